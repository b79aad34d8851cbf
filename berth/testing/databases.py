"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL database.

PostgreSQL is the server at 127.0.0.1:5432 (user postgres, trust auth) unless
BERTH_TEST_POSTGRES_URL names another. When none answers, tests using it are
skipped, except under CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

ADMIN_URL = os.environ.get("BERTH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


class PostgresUnavailable(RuntimeError):
    pass


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """Create a database for one test and drop it afterwards; yields its URL."""
    name = f"berth_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        raise PostgresUnavailable(f"no PostgreSQL at {ADMIN_URL}: {exc}") from exc
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
