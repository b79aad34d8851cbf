"""The one place that picks concrete backends and assembles the ASGI application."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from berth.clock import Clock, SystemClock
from berth.config import ConfigError, Settings
from berth.errors import BerthError, MethodNotAllowed, NotFound
from berth.registry.responses import oci_error
from berth.registry.routes import ROUTES
from berth.services import Services
from berth.storage.blobs import BlobStore
from berth.storage.blobs.filesystem import FilesystemBlobStore
from berth.storage.meta.migrate import migrate
from berth.storage.meta.sql import SqlMetaStore, create_engine

log = logging.getLogger("berth")
SETTINGS_ENV = "BERTH_RESOLVED_SETTINGS"
UPLOAD_SWEEP_SECONDS = 300  # at most; sooner when uploads expire sooner


def prepare(settings: Settings) -> Settings:
    """Once per server start, before any worker: data dir, account id, schema."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.account_id is None:
        settings = replace(settings, account_id=_stored_account_id(settings.data_dir))
    asyncio.run(_migrate(settings.resolved_database_url))
    return settings


def _stored_account_id(data_dir: Path) -> str:
    path = data_dir / "account-id"
    if path.exists():
        return path.read_text().strip()
    account = str(secrets.randbelow(9 * 10**11) + 10**11)
    path.write_text(account + "\n")
    return account


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


def blob_store_for(settings: Settings) -> BlobStore:
    url = settings.resolved_blob_store
    if url.startswith("file://"):
        return FilesystemBlobStore(Path(url[len("file://"):]))
    raise ConfigError(f"unsupported blob store {url!r}; use file://PATH")


def create_app(settings: Settings, clock: Clock | None = None,
               services: Services | None = None) -> Starlette:
    """The ASGI app. Backends come from ``settings`` unless ready ``services`` are given
    (as ``berth.testing.fake`` does); either way the app owns and closes them."""
    clock = clock or SystemClock()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ready = services or Services.build(
            SqlMetaStore.from_url(settings.resolved_database_url), blob_store_for(settings),
            clock, default_account=str(settings.account_id), region=settings.region,
            public_url=settings.resolved_public_url)
        app.state.services = ready
        sweeper = asyncio.create_task(_sweep_uploads(ready, settings.upload_expiry_seconds))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await ready.meta.close()

    return Starlette(routes=ROUTES, lifespan=lifespan, exception_handlers={
        BerthError: _berth_error,
        HTTPException: _http_error,
        ClientDisconnect: _client_gone,
        Exception: _unexpected,
    })


async def _sweep_uploads(services: Services, max_age: int) -> None:
    while True:
        try:
            while await services.blobs.expire_uploads(max_age) > 0:
                pass
        except Exception:
            log.exception("sweeping expired uploads failed; retrying later")
        await asyncio.sleep(max(1, min(UPLOAD_SWEEP_SECONDS, max_age // 2)))


async def _berth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BerthError)
    return oci_error(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return oci_error(MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}"))
    return oci_error(NotFound(f"no endpoint at {request.url.path[:200]}"))


async def _client_gone(request: Request, exc: Exception) -> Response:
    return Response(status_code=400)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return oci_error(BerthError("internal server error"))


def export_settings(settings: Settings) -> str:
    raw: dict[str, Any] = asdict(settings)
    raw["data_dir"] = str(settings.data_dir)
    return json.dumps(raw)


def worker_app() -> Starlette:
    """Factory each server worker process calls; settings come from ``berth serve``."""
    raw = json.loads(os.environ[SETTINGS_ENV])
    raw["data_dir"] = Path(raw["data_dir"])
    settings = Settings(**raw)
    logging.basicConfig(level=settings.log_level.upper())
    return create_app(settings)
