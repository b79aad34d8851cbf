"""Bring a database to the newest schema with Alembic, safely from several nodes at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_INI = Path(__file__).with_name("alembic.ini")
_PG_MIGRATION_LOCK = 0x6265727468  # "berth": one advisory lock for every node


def alembic_config() -> Config:
    config = Config(str(_INI))
    config.set_main_option("script_location", str(_INI.parent / "migrations"))
    return config


async def migrate(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text(f"SELECT pg_advisory_lock({_PG_MIGRATION_LOCK})"))
            await conn.commit()
        try:
            await conn.run_sync(_upgrade)
            await conn.commit()
        finally:
            if engine.dialect.name == "postgresql":
                await conn.execute(text(f"SELECT pg_advisory_unlock({_PG_MIGRATION_LOCK})"))
                await conn.commit()


def _upgrade(sync_connection: Any) -> None:
    config = alembic_config()
    config.attributes["connection"] = sync_connection
    command.upgrade(config, "head")
