"""The metadata side of garbage collection: marking by anti-join, deleting under row locks.

A mix-in of ``SqlMetaStore``. Marking is a plain read; every deletion takes the row
locks first and then, in a statement that starts after it holds them, checks again
that nothing references the rows. On PostgreSQL the locks are ``FOR UPDATE SKIP
LOCKED``: a row that an upload, a mount or a manifest push holds is left for the
next pass rather than waited for, and that transaction, if it comes second, waits
for this one and then sees the row gone. SQLite has one writer at a time, so each
write transaction here excludes every other. docs/gc.md has the interleavings.

The collector lock is an advisory lock on PostgreSQL and an ``flock`` beside the
database file on SQLite; it keeps passes from overlapping (for efficiency: two
overlapping passes are still safe).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from sqlalchemy import delete, exists, func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from berth.storage.meta import StoredBlob
from berth.storage.meta.schema import blobs, manifest_blobs, repository_blobs

GC_LOCK_KEY = 0x62657274_68676300  # "berthgc": the PostgreSQL advisory lock's key

# a link is still used when a manifest of its own repository references its blob
_LINK_USED = exists().where(manifest_blobs.c.repository_id == repository_blobs.c.repository_id,
                            manifest_blobs.c.blob_digest == repository_blobs.c.digest)
_BLOB_IN_MANIFEST = exists().where(manifest_blobs.c.blob_digest == blobs.c.digest)
_BLOB_LINKED = exists().where(repository_blobs.c.digest == blobs.c.digest)


class _Sql(Protocol):
    """What the mix-in needs of ``SqlBase``."""

    engine: AsyncEngine
    _dialect: str

    def _read(self) -> AbstractAsyncContextManager[AsyncConnection]: ...
    def _write(self) -> AbstractAsyncContextManager[AsyncConnection]: ...
    def _insert(self, table: Any) -> Any: ...


class GcQueries:
    """``SqlMetaStore``'s garbage-collection methods; their contracts are in ``MetaStore``."""

    @contextlib.asynccontextmanager
    async def gc_lock(self: _Sql) -> AsyncIterator[bool]:
        if self._dialect == "postgresql":
            async with _advisory_lock(self.engine) as held:
                yield held
            return
        database = self.engine.url.database
        if not database or database == ":memory:":
            yield True  # an in-memory database lives in this one process
            return
        with _file_lock(database + "-gc.lock") as held:
            yield held

    async def prune_links(self: _Sql, cutoff: float, limit: int) -> int:
        rb = repository_blobs
        stale = (select(rb.c.repository_id, rb.c.digest)
                 .where(rb.c.created_at < float(cutoff), ~_LINK_USED)
                 .limit(limit).with_for_update(skip_locked=True))
        async with self._write() as conn:
            keys = [(row.repository_id, row.digest) for row in await conn.execute(stale)]
            if not keys:
                return 0
            result = await conn.execute(delete(rb).where(
                tuple_(rb.c.repository_id, rb.c.digest).in_(keys),
                rb.c.created_at < float(cutoff), ~_LINK_USED))
        return int(result.rowcount)

    async def count_prunable_links(self: _Sql, cutoff: float) -> int:
        query = select(func.count()).select_from(repository_blobs).where(
            repository_blobs.c.created_at < float(cutoff), ~_LINK_USED)
        async with self._read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def unreferenced_blobs(self: _Sql, after: str | None, limit: int,
                                 linked_since: float | None) -> list[StoredBlob]:
        linked = _BLOB_LINKED if linked_since is None else exists().where(
            repository_blobs.c.digest == blobs.c.digest,
            repository_blobs.c.created_at >= float(linked_since))
        query = select(blobs.c.digest, blobs.c.size).where(~linked, ~_BLOB_IN_MANIFEST)
        if after is not None:
            query = query.where(blobs.c.digest > after)
        query = query.order_by(blobs.c.digest).limit(limit)
        async with self._read() as conn:
            return [StoredBlob(row.digest, row.size) for row in await conn.execute(query)]

    async def delete_blobs(self: _Sql, digests: Sequence[str],
                           discard: Callable[[list[str]], Awaitable[None]]) -> list[StoredBlob]:
        if not digests:
            return []
        lock = (select(blobs.c.digest).where(blobs.c.digest.in_(list(digests)))
                .with_for_update(skip_locked=True))
        async with self._write() as conn:
            held = list((await conn.execute(lock)).scalars())
            if not held:
                return []
            # A new statement, so a new snapshot on PostgreSQL: whatever referenced a
            # row before we locked it has committed and is seen here.
            rows = await conn.execute(
                delete(blobs).where(blobs.c.digest.in_(held), ~_BLOB_LINKED, ~_BLOB_IN_MANIFEST)
                .returning(blobs.c.digest, blobs.c.size))
            gone = [StoredBlob(row.digest, row.size) for row in rows]
            if gone:
                await discard([blob.digest for blob in gone])
        return gone

    async def blobs_present(self: _Sql, digests: Sequence[str]) -> set[str]:
        if not digests:
            return set()
        query = select(blobs.c.digest).where(blobs.c.digest.in_(list(digests)))
        async with self._read() as conn:
            return set((await conn.execute(query)).scalars())

    async def blobs_between(self: _Sql, first: str, last: str) -> set[str]:
        query = select(blobs.c.digest).where(blobs.c.digest >= first, blobs.c.digest <= last)
        async with self._read() as conn:
            return set((await conn.execute(query)).scalars())

    async def adopt_blobs(self: _Sql, found: Sequence[StoredBlob], now: float) -> list[str]:
        if not found:
            return []
        stmt = self._insert(blobs).values([
            {"digest": blob.digest, "size": blob.size, "created_at": float(now)} for blob in found
        ]).on_conflict_do_nothing().returning(blobs.c.digest)
        async with self._write() as conn:
            return list((await conn.execute(stmt)).scalars())


@contextlib.asynccontextmanager
async def _advisory_lock(engine: AsyncEngine) -> AsyncIterator[bool]:
    """A session-level advisory lock on a connection kept for the block."""
    async with engine.connect() as conn:
        held = bool((await conn.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                        {"key": GC_LOCK_KEY})).scalar())
        await conn.commit()
        try:
            yield held
        finally:
            if held:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": GC_LOCK_KEY})
                await conn.commit()


@contextlib.contextmanager
def _file_lock(path: str) -> Iterator[bool]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock
