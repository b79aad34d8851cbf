"""One scan: an image's layers become an inventory, the inventory meets the advisories.

Layers are read once each, whatever the number of images that share them: a layer's
inventory is kept under its digest. Reading and matching are blocking CPU work, so
they run in a thread; nothing here holds more than a bounded part of a layer in
memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import IO, Any

from berth.oci.digest import Digest
from berth.oci.manifest import Descriptor
from berth.scan.inventory import INVENTORY_VERSION, LayerInventory, read_layer
from berth.scan.match import match, query_name, severity_counts
from berth.scan.model import OS, Finding, Inventory, OsInfo, Package
from berth.scan.vulndb import VulnDb
from berth.storage.blobs import BlobStore
from berth.storage.meta.scans import SqlScanStore

SPOOL_BYTES = 8 << 20  # a store without local files spools layers to disk past this


async def layer_inventories(layers: tuple[Descriptor, ...], store: BlobStore,
                            scans: SqlScanStore, now: float) -> list[LayerInventory]:
    """Each layer's inventory, bottom to top, from the cache or read now."""
    found = []
    for layer in layers:
        cached = await scans.layer_inventory(str(layer.digest), INVENTORY_VERSION)
        if cached is not None:
            found.append(LayerInventory.from_json(cached))
            continue
        async with _open_blob(store, layer.digest) as fileobj:
            read = await asyncio.to_thread(read_layer, str(layer.digest), layer.media_type,
                                           fileobj)
        await scans.put_layer_inventory(str(layer.digest), INVENTORY_VERSION, read.to_json(),
                                        now)
        found.append(read)
    return found


@contextlib.asynccontextmanager
async def _open_blob(store: BlobStore, digest: Digest) -> AsyncIterator[IO[bytes]]:
    path = store.local_path(digest)
    if path is not None:
        with open(path, "rb") as f:
            yield f
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        async for chunk in store.read(digest):
            await asyncio.to_thread(spool.write, chunk)
        spool.seek(0)
        yield spool


def inventory_document(inventory: Inventory) -> dict[str, Any]:
    return {"os": None if inventory.os is None else asdict(inventory.os),
            "packages": [asdict(p) for p in inventory.packages],
            "notes": list(inventory.notes)}


def inventory_from_document(doc: dict[str, Any]) -> Inventory:
    packages = tuple(Package(**{**p, "licenses": tuple(p.get("licenses") or ())})
                     for p in doc["packages"])
    return Inventory(None if doc["os"] is None else OsInfo(**doc["os"]), packages,
                     tuple(doc.get("notes") or ()))


def package_keys(inventory: Inventory) -> frozenset[tuple[str, str]]:
    """The (ecosystem, name) keys advisories about this image are filed under."""
    return frozenset((p.ecosystem, query_name(p)) for p in inventory.packages)


def scanned_packages(inventory: Inventory, enhanced: bool) -> list[Package]:
    """BASIC scanning looks at operating-system packages only, as ECR's does."""
    return [p for p in inventory.packages if enhanced or p.package_manager == OS]


def run_match(packages: list[Package], db: VulnDb) -> tuple[list[Finding], int]:
    result = match(packages, db.lookup, db.advisories)
    return list(result.findings), result.unparsable_versions


def finding_key(doc: dict[str, Any]) -> str:
    """Stable across rescans, so a finding keeps when it was first seen."""
    p = doc["package"]
    raw = "\0".join([doc["id"], p["ecosystem"], p["name"], p["version"], p["path"]])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def finding_documents(findings: list[Finding], previous: list[dict[str, Any]], now: float
                      ) -> list[dict[str, Any]]:
    """Findings as stored, carrying over first-seen times; a finding whose advisory
    changed since the last match gets ``updated``."""
    before = {d["key"]: d for d in previous}
    docs = []
    for finding in findings:
        doc = _document(finding)
        doc["key"] = finding_key(doc)
        old = before.get(doc["key"])
        doc["first_observed"] = old["first_observed"] if old else now
        doc["last_observed"] = now
        doc["updated"] = (now if old and _content(old) != _content(doc)
                          else (old or {}).get("updated"))
        docs.append(doc)
    return docs


def _content(doc: dict[str, Any]) -> tuple[Any, ...]:
    return (doc["severity"], doc["fixed_version"], doc["modified"], doc["advisories"])


def _document(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.vulnerability_id, "advisories": list(finding.advisory_ids),
        "severity": finding.severity, "vendor_severity": finding.vendor_severity,
        "description": finding.description, "uri": finding.uri,
        "references": list(finding.references),
        "cvss": [asdict(c) for c in finding.cvss],
        "published": finding.published, "modified": finding.modified,
        "fixed_version": finding.fixed_version,
        "package": {k: v for k, v in asdict(finding.package).items() if k != "licenses"},
    }


def counts(findings: list[Finding]) -> dict[str, int]:
    return dict(severity_counts(findings))

