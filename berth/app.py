"""The one place that picks concrete backends and assembles the ASGI application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from functools import partial
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from berth.auth.authorize import Authorizer
from berth.auth.credentials import Credentials, new_account_id
from berth.auth.gate import Auth
from berth.auth.keys import ServerKeys, load_or_create_master_key
from berth.clock import Clock, SystemClock
from berth.config import SETTINGS_ENV, ConfigError, Settings, import_settings
from berth.ecr_api import dispatch as ecr_dispatch
from berth.errors import BerthError, Denied, MethodNotAllowed, NotFound
from berth.forwarded import ForwardedHeaders, TrustedProxies, parse_networks
from berth.iam_api import endpoint as query_api
from berth.registry.handlers import record as record_v2
from berth.registry.responses import oci_error
from berth.registry.routes import ROUTES
from berth.services import Services
from berth.services.archive import ACTIVATE_JOB
from berth.services.audit import AuditLog
from berth.services.gc import Gc
from berth.services.jobs import Kind, Worker
from berth.services.lifecycle import LIFECYCLE_JOB
from berth.services.lifecycle import audit_events as lifecycle_events
from berth.services.scanning import SCAN_JOB, VULNDB_JOB
from berth.storage.blobs import BlobStore
from berth.storage.blobs.filesystem import FilesystemBlobStore
from berth.storage.meta import Job
from berth.storage.meta.identity import SqlIdentityStore
from berth.storage.meta.migrate import migrate
from berth.storage.meta.sql import SqlMetaStore, create_engine

log = logging.getLogger("berth")
UPLOAD_SWEEP_SECONDS = 300  # at most; sooner when uploads expire sooner
ONLINE_GC_DUTY = 0.5  # a server's passes rest as long as they work (berth gc does not)


def prepare(settings: Settings) -> Settings:
    """Once per server start, before any worker: data dir, account id, schema, keys and
    the bootstrap credential."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.account_id is None:
        settings = replace(settings, account_id=_stored_account_id(settings.data_dir))
    asyncio.run(_prepare_database(settings))
    return settings


def _stored_account_id(data_dir: Path) -> str:
    path = data_dir / "account-id"
    if path.exists():
        return path.read_text().strip()
    account = new_account_id()
    path.write_text(account + "\n")
    return account


async def _prepare_database(settings: Settings) -> None:
    engine = create_engine(settings.resolved_database_url)
    try:
        await migrate(engine)
        credentials = Credentials(SqlIdentityStore(engine), server_keys(settings), SystemClock())
        await bootstrap_credentials(settings, credentials)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def collector_session(settings: Settings) -> AsyncIterator[Gc]:
    """The garbage collector on the configured backends, for ``berth gc``."""
    meta = SqlMetaStore.from_url(settings.resolved_database_url)
    try:
        yield Gc(meta, blob_store_for(settings), SystemClock(), settings.upload_expiry_seconds)
    finally:
        await meta.close()


@contextlib.asynccontextmanager
async def identity_session(settings: Settings) -> AsyncIterator[Credentials]:
    """Credentials on the configured database, for the ``berth iam`` commands."""
    engine = create_engine(settings.resolved_database_url)
    try:
        yield Credentials(SqlIdentityStore(engine), server_keys(settings), SystemClock())
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def services_session(settings: Settings) -> AsyncIterator[Services]:
    """The services on the configured backends, for commands run beside the server."""
    meta = SqlMetaStore.from_url(settings.resolved_database_url)
    try:
        yield Services.build(meta, blob_store_for(settings), SystemClock(),
                             default_account=str(settings.account_id), region=settings.region,
                             public_url=settings.resolved_public_url,
                             vulndb_dir=settings.data_dir / "vulndb")
    finally:
        await meta.close()


async def registry_policy_for_all_actions(meta: SqlMetaStore, account_id: str) -> str | None:
    """The registry policy, when REGISTRY_POLICY_SCOPE is V2 (the default): then it
    governs every ECR action, as a repository policy does; under V1 only replication."""
    settings = await meta.account_settings(account_id)
    if settings.get("REGISTRY_POLICY_SCOPE", "V2") != "V2":
        return None
    return await meta.registry_policy(account_id)


def server_keys(settings: Settings) -> ServerKeys:
    return ServerKeys(load_or_create_master_key(settings.secret_key, settings.data_dir))


async def bootstrap_credentials(settings: Settings, credentials: Credentials) -> None:
    """The default account's root key: the configured one, else one made on first start,
    written to ``<data dir>/credentials`` (mode 0600) and printed once."""
    account = str(settings.account_id)
    await credentials.ensure_account(account)
    if settings.root_access_key_id and settings.root_secret_access_key:
        await credentials.ensure_key(account, settings.root_access_key_id,
                                     settings.root_secret_access_key)
        return
    if await credentials.root_keys(account):
        return
    key = await credentials.create_access_key(account, None)
    path = settings.data_dir / "credentials"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"[default]\naws_access_key_id = {key.access_key_id}\n"
                f"aws_secret_access_key = {key.secret_access_key}\n")
    print(f"berth: created the root credential of account {account}; it is shown once "
          f"and kept in {path}:\n  AccessKeyId     {key.access_key_id}\n"
          f"  SecretAccessKey {key.secret_access_key}", file=sys.stderr, flush=True)


def blob_store_for(settings: Settings) -> BlobStore:
    url = settings.resolved_blob_store
    if url.startswith("file://"):
        return FilesystemBlobStore(Path(url[len("file://"):]))
    raise ConfigError(f"unsupported blob store {url!r}; use file://PATH")


def create_app(settings: Settings, clock: Clock | None = None,
               services: Services | None = None, auth: Auth | None = None) -> Starlette:
    """The ASGI app. Backends come from ``settings`` unless ready ``services`` and
    ``auth`` are given (as ``berth.testing.fake`` does); the app closes them."""
    clock = clock or SystemClock()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if services is None or auth is None:
            meta = SqlMetaStore.from_url(settings.resolved_database_url)
            keys = server_keys(settings)
            ready = Services.build(
                meta, blob_store_for(settings), clock, default_account=str(settings.account_id),
                region=settings.region, public_url=settings.resolved_public_url,
                upload_expiry=settings.upload_expiry_seconds,
                vulndb_dir=settings.data_dir / "vulndb")
            identity = SqlIdentityStore(meta.engine)
            gate = Auth(keys, Credentials(identity, keys, clock), clock, settings.region,
                        settings.resolved_public_url,
                        Authorizer(identity, meta.repository_policy_by_name, settings.region,
                                   meta.repository_tags_by_name,
                                   partial(registry_policy_for_all_actions, meta)))
        else:
            ready, gate = services, auth
        app.state.services = ready
        app.state.auth = gate
        audit = AuditLog(settings.data_dir / "audit", settings.region) if services is None \
            else None
        app.state.audit = audit
        background = [asyncio.create_task(_collect_garbage(
            Gc(ready.meta, ready.blobs.store, clock, settings.upload_expiry_seconds,
               duty=ONLINE_GC_DUTY),
            settings.gc_interval_seconds, settings.upload_expiry_seconds))]
        if services is None:  # the in-memory fake's one connection is not shared with jobs
            background.append(asyncio.create_task(job_worker(ready, audit).run_forever()))
            if settings.lifecycle_interval_seconds:
                background.append(asyncio.create_task(
                    _schedule_lifecycle(ready, settings.lifecycle_interval_seconds)))
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            for task in background:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await ready.meta.close()
            if audit is not None:
                audit.close()

    routes = [Route("/", aws_api, methods=["POST"]),
              Route("/healthz", healthz, methods=["GET"]),
              Route("/readyz", readyz, methods=["GET"]), *ROUTES]
    middleware = [] if settings.trusted_proxies is None else [Middleware(
        ForwardedHeaders, proxies=TrustedProxies(parse_networks(settings.trusted_proxies)))]
    handlers = {
        BerthError: _berth_error,
        HTTPException: _http_error,
        ClientDisconnect: _client_gone,
        Exception: _unexpected,
    }
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware,
                     exception_handlers=handlers)


async def healthz(request: Request) -> Response:
    """The process answers."""
    return Response("ok\n", media_type="text/plain")


async def readyz(request: Request) -> Response:
    """The process can serve: its metadata database answers."""
    services: Services = request.app.state.services
    try:
        await services.meta.account_settings(services.default_account)
    except Exception as exc:
        log.warning("not ready: %s", exc)
        return Response("metadata database unavailable\n", status_code=503,
                        media_type="text/plain")
    return Response("ready\n", media_type="text/plain")


async def aws_api(request: Request) -> Response:
    """``POST /``: the ECR JSON API when ``X-Amz-Target`` is set, else STS and IAM."""
    target = request.headers.get("x-amz-target")
    if target is not None:
        return await ecr_dispatch.handle(request, target)
    return await query_api.handle(request)


def job_worker(services: Services, audit: AuditLog | None = None) -> Worker:
    """The worker for every kind of background job this server runs."""
    scanning = services.scanning

    async def run_lifecycle(job: Job) -> None:
        done = await services.lifecycle.run_job(job)
        if done is not None and audit is not None:
            for event in lifecycle_events(*done, services.region, f"job-{job.id}"):
                audit.record(event)

    return Worker(services.jobs, services.scanning.clock, {
        SCAN_JOB: Kind(scanning.run, scanning.give_up),
        VULNDB_JOB: Kind(scanning.vulndb_changed),
        ACTIVATE_JOB: Kind(services.archive.activate),
        LIFECYCLE_JOB: Kind(run_lifecycle),
    })


async def _schedule_lifecycle(services: Services, interval: int) -> None:
    """Queue the lifecycle runs that are due, looking every minute at most."""
    while True:
        try:
            await services.lifecycle.schedule(interval)
        except Exception:
            log.exception("scheduling lifecycle runs failed; retrying later")
        await asyncio.sleep(max(1, min(60, interval // 10)))


async def _collect_garbage(gc: Gc, interval: int, upload_expiry: int) -> None:
    """Recover a crashed pass's trash at start, sweep abandoned uploads every few
    minutes, and run a full garbage collection every ``interval`` seconds (0: never).
    Only one process or node runs a recovery or a pass at a time; the others skip it."""
    tick = max(1, min(UPLOAD_SWEEP_SECONDS, upload_expiry // 2))
    due = time.monotonic() + interval
    step = gc.recover
    while True:
        try:
            report = await step()
            if step == gc.run and report.ran:
                log.info("garbage collection: %s", report)
        except Exception:
            log.exception("garbage collection failed; retrying later")
        await asyncio.sleep(min(tick, max(1.0, due - time.monotonic())) if interval else tick)
        if interval and time.monotonic() >= due:
            step, due = gc.run, time.monotonic() + interval
        else:
            step = gc.sweep_uploads


async def _berth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BerthError)
    if isinstance(exc, Denied):
        record_v2(request, exc)
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


def worker_app() -> Starlette:
    """Factory each server worker process calls; settings come from ``berth serve``."""
    settings = import_settings(os.environ[SETTINGS_ENV])
    logging.basicConfig(level=settings.log_level.upper())
    return create_app(settings)
