"""MetaStore on SQLAlchemy Core (async): SQLite through aiosqlite, PostgreSQL through asyncpg.

SQLite runs in WAL mode with foreign keys on; write transactions begin with
``BEGIN IMMEDIATE`` so two processes never deadlock upgrading a read lock.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import delete, event, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from berth.storage.meta import (
    ImageFactsRecord,
    ManifestRecord,
    MissingReferences,
    NewJob,
    PreviewRecord,
    Repository,
    RepositorySettings,
    ScanStart,
    TagFrozen,
    TemplateRecord,
    Upload,
)
from berth.storage.meta.gc import GcQueries
from berth.storage.meta.hot import HotReads
from berth.storage.meta.schema import (
    account_settings,
    blobs,
    creation_templates,
    image_scans,
    jobs,
    lifecycle_policies,
    lifecycle_previews,
    manifest_blobs,
    manifest_children,
    manifests,
    pull_time_exclusions,
    registry_policies,
    repositories,
    repository_blobs,
    repository_policies,
    repository_tags,
    tags,
    uploads,
)

_MANIFEST_COLUMNS = (
    manifests.c.repository_id, manifests.c.digest, manifests.c.media_type,
    manifests.c.artifact_type, manifests.c.subject_digest, manifests.c.payload,
    manifests.c.pushed_at, manifests.c.image_size, manifests.c.last_pulled_at,
    manifests.c.image_status, manifests.c.last_archived_at, manifests.c.last_activated_at,
)


def repository_from_row(row: Any) -> Repository:
    return repository_from_mapping(row._mapping)


def repository_from_mapping(m: Mapping[str, Any]) -> Repository:
    filters = json.loads(m["tag_mutability_filters"]) if m["tag_mutability_filters"] else []
    return Repository(m["id"], m["account_id"], m["name"], m["created_at"], RepositorySettings(
        image_tag_mutability=m["image_tag_mutability"], tag_mutability_filters=tuple(filters),
        scan_on_push=bool(m["scan_on_push"]), encryption_type=m["encryption_type"],
        kms_key=m["kms_key"]))


def settings_columns(settings: RepositorySettings) -> dict[str, Any]:
    return {
        "image_tag_mutability": settings.image_tag_mutability,
        "tag_mutability_filters": json.dumps(list(settings.tag_mutability_filters))
        if settings.tag_mutability_filters else None,
        "scan_on_push": settings.scan_on_push,
        "encryption_type": settings.encryption_type,
        "kms_key": settings.kms_key,
    }


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("berth_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


class SqlBase:
    """Transactions on a shared engine, for every SQL store."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(berth_write=True)
            async with conn.begin():
                yield conn

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self._dialect == "postgresql" else sqlite.insert)(table)

    async def queue_jobs(self, conn: AsyncConnection, new: Sequence[NewJob], now: float
                         ) -> None:
        """Queue ``new`` inside the caller's transaction; a (kind, key) already pending
        keeps its place and payload."""
        if new:
            await conn.execute(self._insert(jobs).values([
                {"kind": j.kind, "key": j.key, "payload": json.dumps(dict(j.payload)),
                 "run_at": j.run_at, "created_at": now} for j in new
            ]).on_conflict_do_nothing())


class SqlMetaStore(GcQueries, SqlBase):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self._hot = HotReads(engine)

    @classmethod
    def from_url(cls, url: str) -> SqlMetaStore:
        return cls(create_engine(url))

    async def close(self) -> None:
        self._hot.close()
        await self.engine.dispose()

    # the pull path: one query each, by repository name

    async def manifest_by_name(self, account_id: str, name: str, reference: str,
                               by_digest: bool) -> ManifestRecord | None:
        return await self._hot.manifest(account_id, name, reference, by_digest)

    async def blob_size_by_name(self, account_id: str, name: str, digest: str
                                ) -> tuple[bool, int | None]:
        return await self._hot.blob_size(account_id, name, digest)

    async def record_pull(self, repository_id: int, digest: str, now: float,
                          resolution: float) -> None:
        async with self._write() as conn:
            await conn.execute(update(manifests).where(
                manifests.c.repository_id == repository_id, manifests.c.digest == digest,
                (manifests.c.last_pulled_at.is_(None))
                | (manifests.c.last_pulled_at < now - resolution),
            ).values(last_pulled_at=now))

    # repositories

    async def get_repository(self, account_id: str, name: str) -> Repository | None:
        found = await self._hot.repository(account_id, name)
        return None if found is None else repository_from_mapping(found)

    async def create_repository(self, account_id: str, name: str, now: float,
                                settings: RepositorySettings | None = None,
                                tags: Mapping[str, str] | None = None) -> tuple[Repository, bool]:
        stmt = self._insert(repositories).values(
            account_id=account_id, name=name, created_at=now,
            **settings_columns(settings or RepositorySettings()),
        ).on_conflict_do_nothing(index_elements=["account_id", "name"])
        async with self._write() as conn:
            created = bool((await conn.execute(stmt)).rowcount)
            row = (await conn.execute(select(repositories).where(
                repositories.c.account_id == account_id, repositories.c.name == name))).one()
            if created and tags:
                await conn.execute(repository_tags.insert(), [
                    {"repository_id": row.id, "key": k, "value": v} for k, v in tags.items()])
        return repository_from_row(row), created

    async def describe_repositories(self, account_id: str, names: Sequence[str] | None,
                                    after: str | None, limit: int) -> list[Repository]:
        query = select(repositories).where(repositories.c.account_id == account_id)
        if names is not None:
            query = query.where(repositories.c.name.in_(list(names)))
        if after:
            query = query.where(repositories.c.name > after)
        query = query.order_by(repositories.c.name).limit(limit)
        async with self._read() as conn:
            return [repository_from_row(row) for row in await conn.execute(query)]

    async def update_repository_settings(self, repository_id: int,
                                         settings: RepositorySettings) -> None:
        async with self._write() as conn:
            await conn.execute(update(repositories).where(repositories.c.id == repository_id)
                               .values(**settings_columns(settings)))

    async def repository_tags(self, repository_id: int) -> dict[str, str]:
        query = (select(repository_tags.c.key, repository_tags.c.value)
                 .where(repository_tags.c.repository_id == repository_id)
                 .order_by(repository_tags.c.key))
        async with self._read() as conn:
            return {row.key: row.value for row in await conn.execute(query)}

    async def set_repository_tags(self, repository_id: int, tags: Mapping[str, str],
                                  remove: Sequence[str] = ()) -> dict[str, str]:
        """Upsert ``tags``, drop ``remove``; return the resulting tags."""
        async with self._write() as conn:
            if remove:
                await conn.execute(delete(repository_tags).where(
                    repository_tags.c.repository_id == repository_id,
                    repository_tags.c.key.in_(list(remove))))
            for key, value in tags.items():
                await conn.execute(self._insert(repository_tags).values(
                    repository_id=repository_id, key=key, value=value,
                ).on_conflict_do_update(index_elements=["repository_id", "key"],
                                        set_={"value": value}))
            rows = await conn.execute(select(repository_tags.c.key, repository_tags.c.value)
                                      .where(repository_tags.c.repository_id == repository_id))
            return {row.key: row.value for row in rows}

    async def list_repositories(self, account_id: str, last: str | None, limit: int
                                ) -> list[str]:
        query = select(repositories.c.name).where(repositories.c.account_id == account_id)
        if last:
            query = query.where(repositories.c.name > last)
        query = query.order_by(repositories.c.name).limit(limit)
        async with self._read() as conn:
            return list((await conn.execute(query)).scalars())

    async def delete_repository(self, repository_id: int) -> None:
        async with self._write() as conn:
            await conn.execute(delete(repositories).where(repositories.c.id == repository_id))

    # blobs

    async def link_blob(self, repository_id: int, digest: str, size: int, now: float,
                        finished_upload: str | None = None,
                        publish: Callable[[], Awaitable[object]] | None = None) -> None:
        async with self._write() as conn:
            if finished_upload is not None:
                await conn.execute(delete(uploads).where(uploads.c.id == finished_upload))
            # DO UPDATE rather than DO NOTHING: it locks an existing row too, so garbage
            # collection (which deletes rows only under that lock) waits or skips it
            # while ``publish`` places the bytes or finds them present (docs/gc.md).
            row = self._insert(blobs).values(digest=digest, size=size, created_at=now)
            await conn.execute(row.on_conflict_do_update(
                index_elements=["digest"], set_={"size": row.excluded.size}))
            if publish is not None:
                await publish()
            await self._link(conn, repository_id, digest, now)

    async def mount_blob(self, repository_id: int, digest: str, now: float) -> int | None:
        async with self._write() as conn:
            size = (await conn.execute(select(blobs.c.size).where(blobs.c.digest == digest)
                                       .with_for_update(read=True))).scalar()
            if size is not None:
                await self._link(conn, repository_id, digest, now)
        return size

    async def _link(self, conn: AsyncConnection, repository_id: int, digest: str, now: float
                    ) -> None:
        """Link, or renew the link's time: a blob pushed again gets a new grace period."""
        await conn.execute(self._insert(repository_blobs).values(
            repository_id=repository_id, digest=digest, created_at=now,
        ).on_conflict_do_update(index_elements=["repository_id", "digest"],
                                set_={"created_at": now}))

    async def linked_blob_size(self, repository_id: int, digest: str) -> int | None:
        query = (select(blobs.c.size)
                 .join(repository_blobs, repository_blobs.c.digest == blobs.c.digest)
                 .where(repository_blobs.c.repository_id == repository_id,
                        repository_blobs.c.digest == digest))
        async with self._read() as conn:
            return (await conn.execute(query)).scalar()

    async def blob_size(self, digest: str) -> int | None:
        async with self._read() as conn:
            return (await conn.execute(
                select(blobs.c.size).where(blobs.c.digest == digest))).scalar()

    async def blob_in_manifest(self, repository_id: int, digest: str) -> bool:
        query = select(manifest_blobs.c.blob_digest).where(
            manifest_blobs.c.repository_id == repository_id,
            manifest_blobs.c.blob_digest == digest).limit(1)
        async with self._read() as conn:
            return (await conn.execute(query)).first() is not None

    async def unlink_blob(self, repository_id: int, digest: str) -> bool:
        async with self._write() as conn:
            result = await conn.execute(delete(repository_blobs).where(
                repository_blobs.c.repository_id == repository_id,
                repository_blobs.c.digest == digest))
        return bool(result.rowcount)

    # uploads

    async def create_upload(self, upload: Upload) -> None:
        async with self._write() as conn:
            await conn.execute(uploads.insert().values(
                id=upload.id, repository_id=upload.repository_id, algorithm=upload.algorithm,
                created_at=upload.created_at, updated_at=upload.updated_at))

    async def get_upload(self, upload_id: str) -> Upload | None:
        found = await self._hot.upload(upload_id)
        return None if found is None else Upload(**found)

    async def record_upload_progress(self, upload_id: str, now: float, size: int,
                                     digest: str) -> None:
        async with self._write() as conn:
            await conn.execute(update(uploads).where(uploads.c.id == upload_id).values(
                updated_at=now, hashed_size=size, hashed_digest=digest))

    async def delete_upload(self, upload_id: str) -> None:
        async with self._write() as conn:
            await conn.execute(delete(uploads).where(uploads.c.id == upload_id))

    async def expired_uploads(self, before: float, limit: int) -> list[Upload]:
        query = (select(uploads).where(uploads.c.updated_at < before)
                 .order_by(uploads.c.updated_at).limit(limit))
        async with self._read() as conn:
            return [Upload(**row._mapping) for row in await conn.execute(query)]

    # manifests and tags

    async def put_manifest(self, record: ManifestRecord, blob_digests: Sequence[str],
                           child_digests: Sequence[str], tag_names: Sequence[str],
                           frozen_tags: Collection[str] = (), jobs: Sequence[NewJob] = (),
                           scan: ScanStart | None = None) -> bool:
        repo = record.repository_id
        async with self._write() as conn:
            sizes = await self._linked_sizes(conn, repo, blob_digests)
            present = await self._present_manifests(conn, repo, child_digests)
            missing_blobs = [d for d in blob_digests if d not in sizes]
            missing_children = [d for d in child_digests if d not in present]
            if missing_blobs or missing_children:
                raise MissingReferences(missing_blobs, missing_children)
            inserted = await conn.execute(self._insert(manifests).values(
                repository_id=repo, digest=record.digest, media_type=record.media_type,
                artifact_type=record.artifact_type, subject_digest=record.subject_digest,
                payload=record.payload, pushed_at=record.pushed_at, image_size=record.image_size,
            ).on_conflict_do_nothing())
            if not inserted.rowcount:
                await self._restore_on_push(conn, record)
            else:
                await self._insert_references(conn, record, sizes, child_digests)
                await self.queue_jobs(conn, jobs, record.pushed_at)
                if scan is not None:
                    await conn.execute(image_scans.insert().values(
                        repository_id=repo, digest=record.digest, scan_type=scan.scan_type,
                        status=scan.status, description=scan.description,
                        started_at=record.pushed_at))
            for tag in tag_names:
                await self._point_tag(conn, record, tag, frozen=tag in frozen_tags)
        return bool(inserted.rowcount)

    async def _restore_on_push(self, conn: AsyncConnection, record: ManifestRecord) -> None:
        """Pushing an archived image again brings it back, as on ECR."""
        await conn.execute(update(manifests).where(
            manifests.c.repository_id == record.repository_id,
            manifests.c.digest == record.digest, manifests.c.image_status != "ACTIVE",
        ).values(image_status="ACTIVE", last_activated_at=record.pushed_at))

    async def set_image_status(self, repository_id: int, digest: str, current: Collection[str],
                               status: str, now: float) -> bool:
        values: dict[str, Any] = {"image_status": status}
        if status == "ARCHIVED":
            values["last_archived_at"] = now
        elif status == "ACTIVE":
            values["last_activated_at"] = now
        async with self._write() as conn:
            result = await conn.execute(update(manifests).where(
                manifests.c.repository_id == repository_id, manifests.c.digest == digest,
                manifests.c.image_status.in_(list(current))).values(**values))
        return bool(result.rowcount)

    async def _point_tag(self, conn: AsyncConnection, record: ManifestRecord, tag: str,
                         frozen: bool) -> None:
        stmt = self._insert(tags).values(
            repository_id=record.repository_id, name=tag, manifest_digest=record.digest,
            updated_at=record.pushed_at)
        if frozen:
            # An immutable tag may be created, never moved: the insert is the check,
            # so two racing pushes cannot both succeed.
            if not (await conn.execute(stmt.on_conflict_do_nothing())).rowcount:
                raise TagFrozen(tag)
            return
        await conn.execute(stmt.on_conflict_do_update(
            index_elements=["repository_id", "name"],
            set_={"manifest_digest": record.digest, "updated_at": record.pushed_at}))

    async def _linked_sizes(self, conn: AsyncConnection, repo: int, digests: Sequence[str]
                            ) -> dict[str, int]:
        if not digests:
            return {}
        # FOR SHARE (PostgreSQL): garbage collection cannot delete a link between this
        # check and the commit of the manifest that references it (docs/gc.md).
        query = (select(blobs.c.digest, blobs.c.size)
                 .join(repository_blobs, repository_blobs.c.digest == blobs.c.digest)
                 .where(repository_blobs.c.repository_id == repo,
                        repository_blobs.c.digest.in_(list(digests)))
                 .with_for_update(read=True, of=repository_blobs))
        return {row.digest: row.size for row in await conn.execute(query)}

    async def _present_manifests(self, conn: AsyncConnection, repo: int, digests: Sequence[str]
                                 ) -> set[str]:
        if not digests:
            return set()
        query = select(manifests.c.digest).where(
            manifests.c.repository_id == repo, manifests.c.digest.in_(list(digests)))
        return set((await conn.execute(query)).scalars())

    async def _insert_references(self, conn: AsyncConnection, record: ManifestRecord,
                                 sizes: dict[str, int], child_digests: Sequence[str]) -> None:
        repo, digest = record.repository_id, record.digest
        if sizes:
            await conn.execute(manifest_blobs.insert(), [
                {"repository_id": repo, "manifest_digest": digest, "blob_digest": blob,
                 "size": size} for blob, size in sizes.items()])
        children = list(dict.fromkeys(child_digests))
        if children:
            await conn.execute(manifest_children.insert(), [
                {"repository_id": repo, "parent_digest": digest, "child_digest": child}
                for child in children])

    async def get_manifest(self, repository_id: int, digest: str) -> ManifestRecord | None:
        query = select(*_MANIFEST_COLUMNS).where(
            manifests.c.repository_id == repository_id, manifests.c.digest == digest)
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else ManifestRecord(**row._mapping)

    async def resolve_tag(self, repository_id: int, tag: str) -> ManifestRecord | None:
        query = (select(*_MANIFEST_COLUMNS)
                 .join(tags, (tags.c.repository_id == manifests.c.repository_id)
                       & (tags.c.manifest_digest == manifests.c.digest))
                 .where(tags.c.repository_id == repository_id, tags.c.name == tag))
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else ManifestRecord(**row._mapping)

    async def delete_manifest(self, repository_id: int, digest: str) -> bool:
        async with self._write() as conn:
            result = await conn.execute(delete(manifests).where(
                manifests.c.repository_id == repository_id, manifests.c.digest == digest))
        return bool(result.rowcount)

    async def delete_tag(self, repository_id: int, tag: str) -> bool:
        async with self._write() as conn:
            result = await conn.execute(delete(tags).where(
                tags.c.repository_id == repository_id, tags.c.name == tag))
        return bool(result.rowcount)

    async def list_tags(self, repository_id: int, last: str | None, limit: int) -> list[str]:
        query = select(tags.c.name).where(tags.c.repository_id == repository_id)
        if last:
            query = query.where(tags.c.name > last)
        query = query.order_by(tags.c.name).limit(limit)
        async with self._read() as conn:
            return list((await conn.execute(query)).scalars())

    async def referrers(self, repository_id: int, subject_digest: str) -> list[ManifestRecord]:
        query = (select(*_MANIFEST_COLUMNS)
                 .where(manifests.c.repository_id == repository_id,
                        manifests.c.subject_digest == subject_digest)
                 .order_by(manifests.c.pushed_at, manifests.c.digest))
        async with self._read() as conn:
            return [ManifestRecord(**row._mapping) for row in await conn.execute(query)]

    # images, as ECR sees them

    async def count_manifests(self, repository_id: int) -> int:
        query = select(func.count()).select_from(manifests).where(
            manifests.c.repository_id == repository_id)
        async with self._read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def list_manifests(self, repository_id: int, digests: Sequence[str] | None,
                             after: str | None, limit: int) -> list[ManifestRecord]:
        """Manifests in digest order after ``after``; only ``digests`` when given."""
        query = select(*_MANIFEST_COLUMNS).where(manifests.c.repository_id == repository_id)
        if digests is not None:
            query = query.where(manifests.c.digest.in_(list(digests)))
        if after:
            query = query.where(manifests.c.digest > after)
        query = query.order_by(manifests.c.digest).limit(limit)
        async with self._read() as conn:
            return [ManifestRecord(**row._mapping) for row in await conn.execute(query)]

    async def tags_of(self, repository_id: int, digests: Sequence[str]) -> dict[str, list[str]]:
        """Each digest's tags, sorted."""
        found: dict[str, list[str]] = {d: [] for d in digests}
        if not digests:
            return found
        query = (select(tags.c.manifest_digest, tags.c.name)
                 .where(tags.c.repository_id == repository_id,
                        tags.c.manifest_digest.in_(list(digests)))
                 .order_by(tags.c.name))
        async with self._read() as conn:
            for row in await conn.execute(query):
                found[row.manifest_digest].append(row.name)
        return found

    async def tag_targets(self, repository_id: int, names: Sequence[str]) -> dict[str, str]:
        """Where each of the named tags points, for those that exist."""
        if not names:
            return {}
        query = select(tags.c.name, tags.c.manifest_digest).where(
            tags.c.repository_id == repository_id, tags.c.name.in_(list(names)))
        async with self._read() as conn:
            return {row.name: row.manifest_digest for row in await conn.execute(query)}

    async def parents_of(self, repository_id: int, digest: str) -> list[str]:
        """Indexes of the repository that list ``digest`` as a child."""
        query = select(manifest_children.c.parent_digest).where(
            manifest_children.c.repository_id == repository_id,
            manifest_children.c.child_digest == digest)
        async with self._read() as conn:
            return list((await conn.execute(query)).scalars())

    async def child_sizes(self, repository_id: int, digests: Sequence[str]) -> list[int]:
        if not digests:
            return []
        query = select(manifests.c.image_size).where(
            manifests.c.repository_id == repository_id, manifests.c.digest.in_(list(digests)))
        async with self._read() as conn:
            return list((await conn.execute(query)).scalars())

    # resource policies

    async def repository_policy(self, repository_id: int) -> str | None:
        query = select(repository_policies.c.document).where(
            repository_policies.c.repository_id == repository_id)
        async with self._read() as conn:
            return (await conn.execute(query)).scalar()

    async def repository_tags_by_name(self, account_id: str, name: str) -> dict[str, str]:
        query = (select(repository_tags.c.key, repository_tags.c.value)
                 .join(repositories, repositories.c.id == repository_tags.c.repository_id)
                 .where(repositories.c.account_id == account_id, repositories.c.name == name))
        async with self._read() as conn:
            return {row.key: row.value for row in await conn.execute(query)}

    async def repository_policy_by_name(self, account_id: str, name: str) -> str | None:
        query = (select(repository_policies.c.document)
                 .join(repositories, repositories.c.id == repository_policies.c.repository_id)
                 .where(repositories.c.account_id == account_id, repositories.c.name == name))
        async with self._read() as conn:
            return (await conn.execute(query)).scalar()

    async def set_repository_policy(self, repository_id: int, document: str | None) -> bool:
        """Store (or with None remove) the policy; True when one existed before."""
        async with self._write() as conn:
            existed = bool((await conn.execute(delete(repository_policies).where(
                repository_policies.c.repository_id == repository_id))).rowcount)
            if document is not None:
                await conn.execute(repository_policies.insert().values(
                    repository_id=repository_id, document=document))
        return existed

    async def registry_policy(self, account_id: str) -> str | None:
        query = select(registry_policies.c.document).where(
            registry_policies.c.account_id == account_id)
        async with self._read() as conn:
            return (await conn.execute(query)).scalar()

    async def set_registry_policy(self, account_id: str, document: str | None) -> bool:
        async with self._write() as conn:
            existed = bool((await conn.execute(delete(registry_policies).where(
                registry_policies.c.account_id == account_id))).rowcount)
            if document is not None:
                await conn.execute(registry_policies.insert().values(
                    account_id=account_id, document=document))
        return existed

    # lifecycle

    async def lifecycle_policy(self, repository_id: int) -> tuple[str, float | None] | None:
        """The policy text and when it was last evaluated, or None."""
        query = select(lifecycle_policies.c.document, lifecycle_policies.c.last_evaluated_at
                       ).where(lifecycle_policies.c.repository_id == repository_id)
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else (row.document, row.last_evaluated_at)

    async def set_lifecycle_policy(self, repository_id: int, document: str | None,
                                   now: float | None = None) -> bool:
        """Store, or with None remove, the policy; True when one existed before."""
        async with self._write() as conn:
            existed = bool((await conn.execute(delete(lifecycle_policies).where(
                lifecycle_policies.c.repository_id == repository_id))).rowcount)
            if document is not None:
                await conn.execute(lifecycle_policies.insert().values(
                    repository_id=repository_id, document=document, updated_at=now))
        return existed

    async def lifecycle_due(self, before: float, limit: int) -> list[Repository]:
        query = (select(repositories).join(
            lifecycle_policies, lifecycle_policies.c.repository_id == repositories.c.id)
            .where(func.coalesce(lifecycle_policies.c.last_evaluated_at,
                                 lifecycle_policies.c.updated_at, 0.0) < before)
            .order_by(repositories.c.id).limit(limit))
        async with self._read() as conn:
            return [repository_from_row(row) for row in await conn.execute(query)]

    async def lifecycle_evaluated(self, repository_id: int, now: float) -> None:
        async with self._write() as conn:
            await conn.execute(update(lifecycle_policies).where(
                lifecycle_policies.c.repository_id == repository_id
            ).values(last_evaluated_at=now))

    async def lifecycle_preview(self, repository_id: int) -> PreviewRecord | None:
        query = select(lifecycle_previews).where(
            lifecycle_previews.c.repository_id == repository_id)
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return PreviewRecord(row.status, row.document,
                             json.loads(row.results) if row.results else None, row.created_at)

    async def put_lifecycle_preview(self, repository_id: int, preview: PreviewRecord) -> None:
        values = {"status": preview.status, "document": preview.document,
                  "results": None if preview.results is None else json.dumps(preview.results),
                  "created_at": preview.created_at}
        async with self._write() as conn:
            await conn.execute(self._insert(lifecycle_previews).values(
                repository_id=repository_id, **values,
            ).on_conflict_do_update(index_elements=["repository_id"], set_=values))

    async def image_facts(self, repository_id: int) -> list[ImageFactsRecord]:
        """Every manifest of the repository with its tags and whether an index lists it."""
        query = select(manifests.c.digest, manifests.c.media_type, manifests.c.pushed_at,
                       manifests.c.last_pulled_at, manifests.c.subject_digest,
                       manifests.c.image_size, manifests.c.image_status,
                       manifests.c.last_archived_at, manifests.c.last_activated_at).where(
                           manifests.c.repository_id == repository_id)
        children = select(manifest_children.c.child_digest).where(
            manifest_children.c.repository_id == repository_id)
        tag_rows = select(tags.c.manifest_digest, tags.c.name).where(
            tags.c.repository_id == repository_id)
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
            listed = set((await conn.execute(children)).scalars())
            by_digest: dict[str, list[str]] = {}
            for digest, name in await conn.execute(tag_rows):
                by_digest.setdefault(digest, []).append(name)
        return [ImageFactsRecord(r.digest, r.media_type, r.pushed_at, r.last_pulled_at,
                                 r.subject_digest, r.image_size,
                                 tuple(sorted(by_digest.get(r.digest, ()))), r.digest in listed,
                                 r.image_status, r.last_archived_at, r.last_activated_at)
                for r in rows]

    # principals whose pulls are not recorded

    async def pull_time_exclusions(self, account_id: str) -> dict[str, float]:
        query = (select(pull_time_exclusions.c.principal_arn, pull_time_exclusions.c.created_at)
                 .where(pull_time_exclusions.c.account_id == account_id)
                 .order_by(pull_time_exclusions.c.principal_arn))
        async with self._read() as conn:
            return {row.principal_arn: row.created_at for row in await conn.execute(query)}

    async def set_pull_time_exclusion(self, account_id: str, principal_arn: str,
                                      now: float | None) -> bool:
        """Add (``now`` given) or remove the exclusion; False when nothing changed."""
        async with self._write() as conn:
            if now is None:
                result = await conn.execute(delete(pull_time_exclusions).where(
                    pull_time_exclusions.c.account_id == account_id,
                    pull_time_exclusions.c.principal_arn == principal_arn))
            else:
                result = await conn.execute(self._insert(pull_time_exclusions).values(
                    account_id=account_id, principal_arn=principal_arn, created_at=now,
                ).on_conflict_do_nothing())
        return bool(result.rowcount)

    # account settings

    async def account_settings(self, account_id: str) -> dict[str, str]:
        query = select(account_settings.c.name, account_settings.c.value).where(
            account_settings.c.account_id == account_id)
        async with self._read() as conn:
            return {row.name: row.value for row in await conn.execute(query)}

    async def put_account_setting(self, account_id: str, name: str, value: str) -> None:
        async with self._write() as conn:
            await conn.execute(self._insert(account_settings).values(
                account_id=account_id, name=name, value=value,
            ).on_conflict_do_update(index_elements=["account_id", "name"],
                                    set_={"value": value}))

    # repository creation templates

    async def templates(self, account_id: str) -> dict[str, TemplateRecord]:
        query = select(creation_templates).where(creation_templates.c.account_id == account_id)
        async with self._read() as conn:
            return {row.prefix: TemplateRecord(row.prefix, json.loads(row.document),
                                               row.created_at, row.updated_at)
                    for row in await conn.execute(query)}

    async def put_template(self, account_id: str, record: TemplateRecord, *, create: bool
                           ) -> bool:
        """Insert (``create``) or replace a template; False when that is not possible
        because it already exists (create) or does not (update)."""
        async with self._write() as conn:
            if create:
                result = await conn.execute(self._insert(creation_templates).values(
                    account_id=account_id, prefix=record.prefix,
                    document=json.dumps(record.document), created_at=record.created_at,
                    updated_at=record.updated_at).on_conflict_do_nothing())
            else:
                result = await conn.execute(update(creation_templates).where(
                    creation_templates.c.account_id == account_id,
                    creation_templates.c.prefix == record.prefix,
                ).values(document=json.dumps(record.document), updated_at=record.updated_at))
        return bool(result.rowcount)

    async def delete_template(self, account_id: str, prefix: str) -> bool:
        async with self._write() as conn:
            result = await conn.execute(delete(creation_templates).where(
                creation_templates.c.account_id == account_id,
                creation_templates.c.prefix == prefix))
        return bool(result.rowcount)
