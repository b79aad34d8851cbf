"""The Alembic migrations build exactly the schema that berth.storage.meta.schema declares."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from berth.storage.meta.schema import metadata
from berth.storage.meta.sql import SqlMetaStore


def _diff(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return list(compare_metadata(context, metadata))


async def test_migrated_schema_matches_declared_schema(meta: SqlMetaStore) -> None:
    async with meta.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []
