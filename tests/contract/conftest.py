"""Every MetaStore and BlobStore backend, for the one contract suite each interface has."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from berth.config import async_database_url
from berth.storage.blobs.filesystem import FilesystemBlobStore
from berth.storage.blobs.memory import MemoryBlobStore
from berth.storage.meta.migrate import migrate
from berth.storage.meta.sql import SqlMetaStore
from berth.testing.databases import PostgresUnavailable, fresh_postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def meta(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlMetaStore]:
    if request.param == "sqlite":
        store = SqlMetaStore.from_url(async_database_url(f"sqlite:///{tmp_path / 'meta.db'}"))
        await migrate(store.engine)
        yield store
        await store.close()
        return
    try:
        async with fresh_postgres_database() as url:
            store = SqlMetaStore.from_url(async_database_url(url))
            await migrate(store.engine)
            yield store
            await store.close()
    except PostgresUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")


@pytest.fixture(params=["filesystem", "memory"])
def blob_store(request: pytest.FixtureRequest, tmp_path: Path
               ) -> FilesystemBlobStore | MemoryBlobStore:
    if request.param == "filesystem":
        return FilesystemBlobStore(tmp_path / "blobs")
    return MemoryBlobStore()
