"""An in-process berth for fast tests: in-memory SQLite and blobs, the real app and routes.

    async with in_memory_berth() as http:      # logged in as the account's root
        await http.get("/v2/")

Pushes create repositories (a ROOT creation template with CREATE_ON_PUSH) and blob
mounting is enabled, as ``BerthServer.open_for_tests`` does for a real server.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import httpx
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import StaticPool

from berth.app import create_app, registry_policy_for_all_actions
from berth.auth.authorize import Authorizer
from berth.auth.credentials import Credentials
from berth.auth.gate import Auth
from berth.auth.keys import ServerKeys
from berth.clock import Clock, SystemClock
from berth.config import Settings
from berth.services import Services
from berth.services.templates import Template
from berth.storage.blobs.memory import MemoryBlobStore
from berth.storage.meta.identity import SqlIdentityStore
from berth.storage.meta.migrate import migrate
from berth.storage.meta.sql import SqlMetaStore

ACCOUNT = "123456789012"
PUBLIC_URL = "http://berth.test"


@asynccontextmanager
async def in_memory_berth(clock: Clock | None = None) -> AsyncIterator[httpx.AsyncClient]:
    clock = clock or SystemClock()
    engine = create_async_engine("sqlite+aiosqlite://", poolclass=StaticPool)
    await migrate(engine)
    settings = Settings(account_id=ACCOUNT)
    meta = SqlMetaStore(engine)
    services = Services.build(meta, MemoryBlobStore(), clock, default_account=ACCOUNT,
                              region=settings.region, public_url=PUBLIC_URL)
    keys = ServerKeys(secrets.token_bytes(32))
    credentials = Credentials(SqlIdentityStore(engine), keys, clock)
    await credentials.ensure_account(ACCOUNT)
    auth = Auth(keys, credentials, clock, settings.region, PUBLIC_URL,
                Authorizer(credentials.store, meta.repository_policy_by_name, settings.region,
                           meta.repository_tags_by_name,
                           partial(registry_policy_for_all_actions, meta)))
    await services.templates.create(ACCOUNT, Template("ROOT", ("CREATE_ON_PUSH",)))
    await meta.put_account_setting(ACCOUNT, "BLOB_MOUNTING", "ENABLED")
    root = (await credentials.lookup((await credentials.create_access_key(
        ACCOUNT, None)).access_key_id))
    assert root is not None
    token = auth.issue_token(root[0]).token
    app = create_app(settings, clock, services, auth)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL,
            auth=httpx.BasicAuth("AWS", token)) as client:
        yield client
