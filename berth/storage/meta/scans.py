"""The ScanStore: scanning configuration, layer inventories and image scan results.

Findings and inventories are opaque JSON documents to this store (zlib-compressed);
``berth.services.scanning`` gives them meaning. ``image_packages`` mirrors each
scanned image's (ecosystem, name) keys so an advisory change finds the images it
touches with one indexed query.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from berth.storage.meta import NewJob
from berth.storage.meta.schema import (
    image_packages,
    image_scans,
    layer_inventories,
    registry_scanning,
    repositories,
)
from berth.storage.meta.sql import SqlBase


@dataclass(frozen=True, slots=True)
class ScanRecord:
    repository_id: int
    digest: str
    scan_type: str
    status: str
    description: str
    started_at: float
    completed_at: float | None
    vulndb_id: str | None
    source_updated_at: float | None
    severity_counts: dict[str, int] | None


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What a finished scan stores: its status and, when it ran, its documents."""

    status: str
    description: str
    completed_at: float
    vulndb_id: str | None = None
    source_updated_at: float | None = None
    severity_counts: dict[str, int] | None = None
    findings: list[dict[str, Any]] | None = None
    inventory: dict[str, Any] | None = None
    package_keys: frozenset[tuple[str, str]] = frozenset()


def pack(document: Any) -> bytes:
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 6)


def unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))


_SUMMARY = [c for c in image_scans.c if c.name not in ("findings", "inventory")]


def _record(row: Any) -> ScanRecord:
    m = row._mapping
    counts = m["severity_counts"]
    return ScanRecord(m["repository_id"], m["digest"], m["scan_type"], m["status"],
                      m["description"], m["started_at"], m["completed_at"], m["vulndb_id"],
                      m["source_updated_at"], json.loads(counts) if counts else None)


class SqlScanStore(SqlBase):
    # registry scanning configuration

    async def registry_scanning(self, account_id: str) -> tuple[str, list[Any]] | None:
        """The scan type and rules as stored, or None when never set."""
        query = select(registry_scanning).where(registry_scanning.c.account_id == account_id)
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else (row.scan_type, json.loads(row.rules))

    async def put_registry_scanning(self, account_id: str, scan_type: str, rules: list[Any],
                                    now: float) -> None:
        values = {"scan_type": scan_type, "rules": json.dumps(rules), "updated_at": now}
        async with self._write() as conn:
            await conn.execute(self._insert(registry_scanning).values(
                account_id=account_id, **values).on_conflict_do_update(
                index_elements=["account_id"], set_=values))

    # layer inventories, shared by every image that has the layer

    async def layer_inventory(self, digest: str, version: int) -> dict[str, Any] | None:
        query = select(layer_inventories.c.document).where(
            layer_inventories.c.digest == digest, layer_inventories.c.version == version)
        async with self._read() as conn:
            blob = (await conn.execute(query)).scalar()
        return None if blob is None else unpack(blob)

    async def put_layer_inventory(self, digest: str, version: int, document: dict[str, Any],
                                  now: float) -> None:
        values = {"version": version, "document": pack(document), "created_at": now}
        async with self._write() as conn:
            await conn.execute(self._insert(layer_inventories).values(
                digest=digest, **values).on_conflict_do_update(
                index_elements=["digest"], set_=values))

    # image scans

    async def scan(self, repository_id: int, digest: str) -> ScanRecord | None:
        found = await self.scans(repository_id, [digest])
        return found.get(digest)

    async def scans(self, repository_id: int, digests: Collection[str]) -> dict[str, ScanRecord]:
        """The scan summaries of the listed images that have one."""
        if not digests:
            return {}
        query = select(*_SUMMARY).where(image_scans.c.repository_id == repository_id,
                                        image_scans.c.digest.in_(list(digests)))
        async with self._read() as conn:
            return {row.digest: _record(row) for row in await conn.execute(query)}

    async def scan_documents(self, repository_id: int, digest: str
                             ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """The stored findings and inventory of an image's last scan ([] and None if none)."""
        query = select(image_scans.c.findings, image_scans.c.inventory).where(
            image_scans.c.repository_id == repository_id, image_scans.c.digest == digest)
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return [], None
        return (unpack(row.findings) if row.findings else [],
                unpack(row.inventory) if row.inventory else None)

    async def begin_scan(self, repository_id: int, digest: str, scan_type: str, status: str,
                         description: str, now: float, job: NewJob) -> bool:
        """Mark the image's scan as started and queue ``job`` to do it, atomically. False
        (nothing changed) when the image no longer exists."""
        values = {"scan_type": scan_type, "status": status, "description": description,
                  "started_at": now, "completed_at": None}
        try:
            async with self._write() as conn:
                await conn.execute(self._insert(image_scans).values(
                    repository_id=repository_id, digest=digest, **values
                ).on_conflict_do_update(index_elements=["repository_id", "digest"],
                                        set_=values))
                await self.queue_jobs(conn, [job], now)
        except IntegrityError:  # the manifest is gone: its foreign key refuses the row
            return False
        return True

    async def finish_scan(self, repository_id: int, digest: str, result: ScanResult) -> bool:
        """Store a finished scan and the image's package keys, atomically; False when the
        image (or its scan row) is gone."""
        values: dict[str, Any] = {
            "status": result.status, "description": result.description,
            "completed_at": result.completed_at, "vulndb_id": result.vulndb_id,
            "source_updated_at": result.source_updated_at,
            "severity_counts": None if result.severity_counts is None
            else json.dumps(result.severity_counts),
            "findings": None if result.findings is None else pack(result.findings),
        }
        if result.inventory is not None:
            values["inventory"] = pack(result.inventory)
        async with self._write() as conn:
            changed = await conn.execute(update(image_scans).where(
                image_scans.c.repository_id == repository_id,
                image_scans.c.digest == digest).values(**values))
            if not changed.rowcount:
                return False
            if result.inventory is not None:
                await self._replace_keys(conn, repository_id, digest, result.package_keys)
        return True

    async def set_scan_status(self, repository_id: int, digest: str, status: str,
                              description: str) -> bool:
        """Change only the status of the image's scan (its findings stay)."""
        async with self._write() as conn:
            changed = await conn.execute(update(image_scans).where(
                image_scans.c.repository_id == repository_id, image_scans.c.digest == digest,
            ).values(status=status, description=description))
        return bool(changed.rowcount)

    async def _replace_keys(self, conn: AsyncConnection, repository_id: int, digest: str,
                            keys: Iterable[tuple[str, str]]) -> None:
        await conn.execute(delete(image_packages).where(
            image_packages.c.repository_id == repository_id, image_packages.c.digest == digest))
        rows = [{"repository_id": repository_id, "digest": digest, "ecosystem": e, "name": n}
                for e, n in sorted(set(keys))]
        if rows:
            await conn.execute(image_packages.insert(), rows)

    async def images_with_packages(self, keys: Collection[tuple[str, str]]
                                   ) -> list[ImageRef]:
        """Every scanned image holding any of ``keys``."""
        found: set[ImageRef] = set()
        ordered = sorted(keys)
        async with self._read() as conn:
            for start in range(0, len(ordered), 500):
                chunk = ordered[start:start + 500]
                query = _refs(image_packages).where(
                    tuple_(image_packages.c.ecosystem, image_packages.c.name).in_(chunk)
                ).distinct()
                found.update(ImageRef(*r) for r in await conn.execute(query))
        return sorted(found)

    async def images_with_status(self, statuses: Collection[str]) -> list[ImageRef]:
        """Every image whose scan is in one of ``statuses``."""
        query = _refs(image_scans).where(image_scans.c.status.in_(list(statuses)))
        async with self._read() as conn:
            return sorted(ImageRef(*r) for r in await conn.execute(query))


@dataclass(frozen=True, slots=True, order=True)
class ImageRef:
    repository_id: int
    account_id: str
    repository: str
    digest: str


def _refs(table: Any) -> Any:
    return (select(table.c.repository_id, repositories.c.account_id, repositories.c.name,
                   table.c.digest)
            .join(repositories, repositories.c.id == table.c.repository_id))
