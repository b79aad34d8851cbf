"""An in-process berth for fast tests: in-memory SQLite and blobs, the real app and routes.

    async with in_memory_berth() as http:
        await http.get("/v2/")
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import StaticPool

from berth.app import create_app
from berth.clock import Clock, SystemClock
from berth.config import Settings
from berth.services import Services
from berth.storage.blobs.memory import MemoryBlobStore
from berth.storage.meta.migrate import migrate
from berth.storage.meta.sql import SqlMetaStore

ACCOUNT = "123456789012"


@asynccontextmanager
async def in_memory_berth(clock: Clock | None = None) -> AsyncIterator[httpx.AsyncClient]:
    clock = clock or SystemClock()
    engine = create_async_engine("sqlite+aiosqlite://", poolclass=StaticPool)
    await migrate(engine)
    settings = Settings(account_id=ACCOUNT)
    services = Services.build(SqlMetaStore(engine), MemoryBlobStore(), clock,
                              default_account=ACCOUNT, region=settings.region,
                              public_url="http://berth.test")
    app = create_app(settings, clock, services)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://berth.test") as client:
        yield client
