"""The reads every pull and push makes, by repository name or upload, in one query each.

A manifest GET and a blob HEAD/GET are the hottest requests a registry serves. Each
is one joined query here instead of a repository lookup plus a second query. On
SQLite the query runs on a read-only stdlib connection of this process, on the
event loop itself: a WAL reader never waits for writers, and a read of a few tens
of microseconds costs less than the hop to a driver thread. On PostgreSQL it runs
through the engine in autocommit mode, without BEGIN and ROLLBACK round trips.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from berth.storage.meta import ManifestRecord
from berth.storage.meta.schema import (
    blobs,
    manifests,
    repositories,
    repository_blobs,
    tags,
    uploads,
)

_COLUMNS = (
    manifests.c.repository_id, manifests.c.digest, manifests.c.media_type,
    manifests.c.artifact_type, manifests.c.subject_digest, manifests.c.payload,
    manifests.c.pushed_at, manifests.c.image_size, manifests.c.last_pulled_at,
    manifests.c.image_status, manifests.c.last_archived_at, manifests.c.last_activated_at,
)
_IN_REPOSITORY = (repositories.c.account_id == bindparam("account"),
                  repositories.c.name == bindparam("name"))

MANIFEST_BY_TAG = (
    select(*_COLUMNS).select_from(repositories)
    .join(tags, tags.c.repository_id == repositories.c.id)
    .join(manifests, (manifests.c.repository_id == tags.c.repository_id)
          & (manifests.c.digest == tags.c.manifest_digest))
    .where(*_IN_REPOSITORY, tags.c.name == bindparam("ref")))

MANIFEST_BY_DIGEST = (
    select(*_COLUMNS).select_from(repositories)
    .join(manifests, manifests.c.repository_id == repositories.c.id)
    .where(*_IN_REPOSITORY, manifests.c.digest == bindparam("ref")))

BLOB_SIZE = (  # a row when the repository exists; its size is NULL when the blob is not linked
    select(repositories.c.id, blobs.c.size).select_from(repositories)
    .outerjoin(repository_blobs, (repository_blobs.c.repository_id == repositories.c.id)
               & (repository_blobs.c.digest == bindparam("ref")))
    .outerjoin(blobs, blobs.c.digest == repository_blobs.c.digest)
    .where(*_IN_REPOSITORY))


REPOSITORY = select(repositories).where(*_IN_REPOSITORY)  # every push request's first read

UPLOAD = select(uploads).where(uploads.c.id == bindparam("id"))  # every PATCH's and PUT's


def _sqlite_sql(query: Select[Any]) -> str:
    return str(query.compile(dialect=sqlite_dialect.dialect(paramstyle="named")))


_SQLITE = {id(q): _sqlite_sql(q)
           for q in (MANIFEST_BY_TAG, MANIFEST_BY_DIGEST, BLOB_SIZE, REPOSITORY, UPLOAD)}


class HotReads:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self._sqlite_path = database if database and database != ":memory:" else None
        self._sqlite: sqlite3.Connection | None = None
        self._autocommit = (engine.execution_options(isolation_level="AUTOCOMMIT")
                            if self._sqlite_path is None else engine)

    async def manifest(self, account_id: str, name: str, reference: str, by_digest: bool
                       ) -> ManifestRecord | None:
        query = MANIFEST_BY_DIGEST if by_digest else MANIFEST_BY_TAG
        row = await self._one(query, {"account": account_id, "name": name, "ref": reference})
        return None if row is None else ManifestRecord(*row)

    async def blob_size(self, account_id: str, name: str, digest: str
                        ) -> tuple[bool, int | None]:
        row = await self._one(BLOB_SIZE, {"account": account_id, "name": name, "ref": digest})
        if row is None:
            return False, None
        return True, None if row[1] is None else int(row[1])

    async def repository(self, account_id: str, name: str) -> dict[str, Any] | None:
        return await self._named(REPOSITORY, {"account": account_id, "name": name})

    async def upload(self, upload_id: str) -> dict[str, Any] | None:
        return await self._named(UPLOAD, {"id": upload_id})

    async def _named(self, query: Select[Any], params: dict[str, str]) -> dict[str, Any] | None:
        """The first row, by column name."""
        row = await self._one(query, params)
        return None if row is None else dict(zip(query.selected_columns.keys(), row,
                                                 strict=True))

    async def _one(self, query: Select[Any], params: dict[str, str]) -> tuple[Any, ...] | None:
        if self._sqlite_path is not None:
            row = self._connection().execute(_SQLITE[id(query)], params).fetchone()
            return None if row is None else tuple(row)
        async with self._autocommit.connect() as conn:
            result = (await conn.execute(query, params)).first()
        return None if result is None else tuple(result)

    def _connection(self) -> sqlite3.Connection:
        if self._sqlite is None:
            self._sqlite = sqlite3.connect(f"file:{self._sqlite_path}?mode=ro", uri=True,
                                           check_same_thread=False, isolation_level=None)
            self._sqlite.execute("PRAGMA busy_timeout=2000")
        return self._sqlite

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
