"""Garbage collection at scale: one pass over 100,000 blobs, and what a pass costs pushes.

    .venv/bin/python bench/gc.py [--blobs 100000] [--garbage 1000] [--seconds 8]
                                 [--cycles 3] [--workers 2] [--database-url postgresql://...]

1. Seeds a fresh data directory without HTTP: images of ten small blobs (a config
   and nine layers) in 100 repositories. The files go through the blob store's
   upload path (session file, fsync, rename); the blob rows through the metadata
   store in bulk, and the links and manifests as bulk SQL (the rows a push makes,
   one transaction per 500 images instead of one per blob). The links were "made"
   two days ago, so past the grace period. Then ``--garbage`` blobs' worth of
   images are deleted.
2. Times one GC pass (target: under 60 s), then a second one with nothing to do.
3. Starts berth (``--workers`` processes) on that data and measures push throughput
   over HTTP: 16 clients pushing images of three small blobs (monolithic uploads)
   and a manifest, in phases of ``--seconds``: alone, then ``--cycles`` times: while
   GC passes run back to back at a server's pace (``ONLINE_GC_DUTY``) in a process
   of their own, as another node would run them, the first with another
   ``--garbage`` to delete; alone; the same at full speed (as ``berth gc`` runs);
   alone. Each GC phase is compared with the mean of the two alone phases around
   it. Target: under 20% fewer pushes while collecting.

Everything lives in one temporary directory, removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from berth.app import ONLINE_GC_DUTY, prepare
from berth.clock import SystemClock
from berth.config import Settings, load_settings
from berth.oci.digest import Digest
from berth.services.gc import Gc, GcReport
from berth.storage.blobs.filesystem import FilesystemBlobStore
from berth.storage.meta import Repository, StoredBlob
from berth.storage.meta.schema import manifest_blobs, manifests, repository_blobs
from berth.storage.meta.sql import SqlMetaStore
from berth.testing.layouts import LAYER_TAR, OCI_CONFIG, OCI_MANIFEST
from berth.testing.server import BerthServer

PER_IMAGE = 10
REPOSITORIES = 100
TWO_DAYS = 2 * 24 * 3600.0
GRACE = 24 * 3600.0
CLIENTS = 16


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# 1. seeding: files through the store's upload path, rows in bulk


async def one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def store_file(store: FilesystemBlobStore, data: bytes, gate: asyncio.Semaphore
                     ) -> StoredBlob:
    """The upload path of the store (session file, seal, commit), without HTTP."""
    upload_id, digest = uuid.uuid4().hex, Digest.of(data)
    async with gate:
        await store.create_upload(upload_id)
        await store.append_upload(upload_id, 0, one(data), None)
        await store.seal_upload(upload_id)
        size = await store.commit_upload(upload_id, digest)
    return StoredBlob(str(digest), size)


def image_rows(repo: Repository, blobs: list[StoredBlob], at: float
               ) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
    """The rows a push of one image makes: links, the manifest, its references."""
    descriptors = [{"digest": b.digest, "size": b.size} for b in blobs]
    payload = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, **descriptors[0]},
        "layers": [{"mediaType": LAYER_TAR, **d} for d in descriptors[1:]]}).encode()
    digest = str(Digest.of(payload))
    links = [{"repository_id": repo.id, "digest": b.digest, "created_at": at} for b in blobs]
    manifest = {"repository_id": repo.id, "digest": digest, "media_type": OCI_MANIFEST,
                "payload": payload, "pushed_at": at, "image_size": sum(b.size for b in blobs)}
    references = [{"repository_id": repo.id, "manifest_digest": digest,
                   "blob_digest": b.digest, "size": b.size} for b in blobs]
    return links, manifest, references


async def seed_chunk(meta: SqlMetaStore, store: FilesystemBlobStore, repos: list[Repository],
                     numbers: range, at: float) -> list[tuple[Repository, str]]:
    gate = asyncio.Semaphore(64)
    stored = await asyncio.gather(*(store_file(store, f"{n}:{k}:".encode() + os.urandom(96),
                                               gate)
                                    for n in numbers for k in range(PER_IMAGE)))
    await meta.adopt_blobs(stored, at)  # blob rows in bulk: the metadata API for it
    rows = [image_rows(repos[n % REPOSITORIES], stored[i * PER_IMAGE:(i + 1) * PER_IMAGE], at)
            for i, n in enumerate(numbers)]
    async with meta.engine.begin() as conn:  # links and manifests in bulk, as SQL
        await conn.execute(repository_blobs.insert(), [link for r in rows for link in r[0]])
        await conn.execute(manifests.insert(), [r[1] for r in rows])
        await conn.execute(manifest_blobs.insert(), [ref for r in rows for ref in r[2]])
    return [(repos[n % REPOSITORIES], r[1]["digest"]) for n, r in zip(numbers, rows, strict=True)]


async def seed(meta: SqlMetaStore, store: FilesystemBlobStore, account: str, count: int
               ) -> list[tuple[Repository, str]]:
    """``count`` blobs in images whose links are two days old; returns every image."""
    at = time.time() - TWO_DAYS
    repos = [(await meta.create_repository(account, f"bench/r{i}", at))[0]
             for i in range(REPOSITORIES)]
    made: list[tuple[Repository, str]] = []
    total, started = count // PER_IMAGE, time.monotonic()
    for first in range(0, total, 500):
        made += await seed_chunk(meta, store, repos, range(first, min(first + 500, total)), at)
        say(f"  seeded {len(made) * PER_IMAGE:,} blobs "
            f"({len(made) * PER_IMAGE / (time.monotonic() - started):,.0f}/s)")
    return made


async def make_garbage(meta: SqlMetaStore, made: list[tuple[Repository, str]], blobs: int
                       ) -> None:
    """Delete images holding ``blobs`` blobs (every blob is in one image only)."""
    for _ in range(blobs // PER_IMAGE):
        repo, digest = made.pop()
        assert await meta.delete_manifest(repo.id, digest)


# 2. one pass


async def timed_passes(meta: SqlMetaStore, store: FilesystemBlobStore
                       ) -> tuple[GcReport, GcReport]:
    gc = Gc(meta, store, SystemClock(), GRACE)
    first = await gc.run()
    again = await gc.run()
    return first, again


# 3. pushes over HTTP


class Pushes:
    """Clients pushing small images until told to stop; counts completed pushes."""

    def __init__(self, server: BerthServer) -> None:
        self.server = server
        self.done: list[float] = []  # completion times
        self.stop = threading.Event()

    async def client(self, http: httpx.AsyncClient, number: int) -> None:
        repo = f"load/c{number}"
        while not self.stop.is_set():
            blobs = [os.urandom(200) for _ in range(3)]
            for blob in blobs:
                digest = "sha256:" + hashlib.sha256(blob).hexdigest()
                response = await http.post(f"/v2/{repo}/blobs/uploads/",
                                           params={"digest": digest}, content=blob)
                assert response.status_code == 201, response.text
            manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                                   "config": _descriptor(OCI_CONFIG, blobs[0]),
                                   "layers": [_descriptor(LAYER_TAR, b) for b in blobs[1:]]})
            response = await http.put(f"/v2/{repo}/manifests/{uuid.uuid4().hex[:12]}",
                                      content=manifest, headers={"Content-Type": OCI_MANIFEST})
            assert response.status_code == 201, response.text
            self.done.append(time.monotonic())

    async def run(self) -> None:
        async with httpx.AsyncClient(
                base_url=self.server.url, timeout=60,
                auth=httpx.BasicAuth("AWS", self.server.password()),
                limits=httpx.Limits(max_connections=CLIENTS)) as http:
            await asyncio.gather(*(self.client(http, n) for n in range(CLIENTS)))

    def rate(self, start: float, end: float) -> float:
        return sum(start <= t < end for t in self.done) / (end - start)


def _descriptor(media_type: str, blob: bytes) -> dict[str, object]:
    return {"mediaType": media_type, "size": len(blob),
            "digest": "sha256:" + hashlib.sha256(blob).hexdigest()}


async def collect_for(seconds: float, duty: float) -> dict[str, Any]:
    """GC passes back to back for ``seconds`` on the berth the environment names (the
    bench runs this in a process of its own, as another node would run it)."""
    settings = load_settings(os.environ)
    meta = SqlMetaStore.from_url(settings.resolved_database_url)
    gc = Gc(meta, FilesystemBlobStore(Path(settings.resolved_blob_store[len("file://"):])),
            SystemClock(), GRACE, duty=duty)
    reports: list[GcReport] = []
    start = time.monotonic()
    try:
        while not reports or time.monotonic() < start + seconds:
            reports.append(await gc.run())
    finally:
        await meta.close()
    return {"start": start, "end": time.monotonic(), "passes": len(reports),
            "deleted": sum(r.blobs_deleted for r in reports),
            "longest": max(r.duration for r in reports)}


def gc_passes(server: BerthServer, seconds: float, duty: float) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--collect-for", str(seconds),
                           "--duty", str(duty)], env={**os.environ, **server.settings_env},
                          capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def load_phases(server: BerthServer, seconds: float, cycles: int, garbage: Callable[[], None]
                ) -> tuple[list[float], list[dict[str, Any]]]:
    """Pushes per second in phases: alone, then ``cycles`` times: during GC at a
    server's pace, alone, during GC at full speed (as ``berth gc``), alone."""
    pushes = Pushes(server)
    worker = threading.Thread(target=asyncio.run, args=(pushes.run(),))
    worker.start()
    alone: list[float] = []
    during: list[dict[str, Any]] = []
    try:
        time.sleep(2)  # warm up
        for duty in [None] + [ONLINE_GC_DUTY, 1.0] * cycles:
            if duty is not None:
                garbage()
                collected = gc_passes(server, seconds, duty)
                collected["rate"] = pushes.rate(collected["start"], collected["end"])
                during.append({**collected, "duty": duty})
            start = time.monotonic()
            time.sleep(seconds)
            alone.append(pushes.rate(start, time.monotonic()))
    finally:
        pushes.stop.set()
        worker.join()
    return alone, during


# the run


def report_line(name: str, report: GcReport) -> str:
    return (f"{name:<38} {report.duration:8.2f} s   deleted {report.blobs_deleted:,} blobs "
            f"({report.blob_bytes:,} bytes), {report.links_removed:,} links")


async def build(settings: Settings, account: str, blobs: int, garbage: int
                ) -> tuple[list[str], list[tuple[Repository, str]]]:
    meta = SqlMetaStore.from_url(settings.resolved_database_url)
    store = FilesystemBlobStore(settings.data_dir / "blobs")
    try:
        started = time.monotonic()
        made = await seed(meta, store, account, blobs)
        say(f"  seeded {blobs:,} blobs in {time.monotonic() - started:.0f} s")
        await make_garbage(meta, made, garbage)
        first, again = await timed_passes(meta, store)
    finally:
        await meta.close()
    return [report_line(f"pass, {garbage:,} of {blobs:,} unreferenced", first),
            report_line("pass, nothing to delete", again)], made


def more_garbage(settings: Settings, made: list[tuple[Repository, str]], blobs: int) -> None:
    async def delete() -> None:
        meta = SqlMetaStore.from_url(settings.resolved_database_url)
        try:
            await make_garbage(meta, made, blobs)
        finally:
            await meta.close()

    asyncio.run(delete())


def results(lines: list[str], alone: list[float], during: list[dict[str, Any]]) -> str:
    out = [*lines, f"{'pushes/s alone':<38} {statistics.mean(alone):8.1f}     (phases: "
           + ", ".join(f"{rate:.1f}" for rate in alone) + ")"]
    for duty, name in ((ONLINE_GC_DUTY, "a server's pace"), (1.0, "full speed (berth gc)")):
        phases = [(i, phase) for i, phase in enumerate(during) if phase["duty"] == duty]
        ratios = [phase["rate"] / ((alone[i] + alone[i + 1]) / 2) for i, phase in phases]
        passes = sum(phase["passes"] for _, phase in phases)
        out += [f"{'pushes/s during GC at ' + name:<38} "
                f"{statistics.mean(p['rate'] for _, p in phases):8.1f}     ({len(phases)} phases, "
                f"{passes} passes back to back in processes of their own, longest "
                f"{max(p['longest'] for _, p in phases):.2f} s; "
                f"{sum(p['deleted'] for _, p in phases):,} blobs deleted)",
                f"{'  ratio to the phases around each':<38} {statistics.mean(ratios):8.2f}     "
                f"(each: {', '.join(f'{r:.2f}' for r in ratios)}; mean loss "
                f"{100 * (1 - statistics.mean(ratios)):.0f}%; target < 20%)"]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blobs", type=int, default=100_000)
    parser.add_argument("--garbage", type=int, default=1_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", help="PostgreSQL URL; SQLite in the data dir if unset")
    parser.add_argument("--collect-for", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--duty", type=float, default=1.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.collect_for is not None:
        print(json.dumps(asyncio.run(collect_for(args.collect_for, args.duty))))
        return 0
    with tempfile.TemporaryDirectory(prefix="berth-gc-bench-") as work:
        env = {"BERTH_GC_INTERVAL_SECONDS": "0", "BERTH_LOG_LEVEL": "warning"}
        if args.database_url:
            env["BERTH_DATABASE_URL"] = args.database_url
        server = BerthServer(Path(work) / "data", env=env, workers=args.workers)
        settings = prepare(Settings(
            data_dir=server.data_dir, account_id=server.account_id,
            database_url=args.database_url, root_access_key_id=server.root_key[0],
            root_secret_access_key=server.root_key[1]))
        say(f"seeding {args.blobs:,} blobs ({settings.resolved_database_url.split(':')[0]})")
        lines, made = asyncio.run(build(settings, server.account_id, args.blobs, args.garbage))
        say(f"pushing over HTTP, alone and during GC, {4 * args.cycles + 1} "
            f"phases of {args.seconds:.0f} s (load average {os.getloadavg()[0]:.1f})")
        server.start()
        try:
            server.open_for_tests()  # pushes create their repositories
            alone, during = load_phases(server, args.seconds, args.cycles,
                                        partial(more_garbage, settings, made, args.garbage))
        finally:
            server.stop()
    print("\n" + results(lines, alone, during)
          + f"\n(load average at the end {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
