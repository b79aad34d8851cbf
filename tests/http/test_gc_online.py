"""Online garbage collection under load, against a real server (two worker processes).

Fifty rounds in a row, each running at once: pushes (monolithic, chunked and
mounted blobs, many of them of digests GC is deleting at that moment), deletions of
images together with their blob links, pulls, and a GC pass from this process (as
another node would run it); every third pass has a clock two days ahead, so it also
removes the links of pushes whose manifest has not arrived yet, and those pushes
retry as a client would. After each round every surviving image is pulled and
checked byte for byte; at the end the store holds exactly the surviving images'
blobs.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from berth.config import async_database_url
from berth.services.gc import Gc
from berth.storage.blobs.filesystem import FilesystemBlobStore
from berth.storage.meta.sql import SqlMetaStore
from berth.testing.databases import PostgresUnavailable, fresh_postgres_database
from berth.testing.server import BerthServer, running_berth
from tests.http.registry_client import LAYER, OCI_CONFIG, OCI_MANIFEST, error_code, sha256

ROUNDS = 50
REPOS = ["gc/a", "gc/b", "gc/c", "gc/d"]
POOL = [f"shared layer {k} ".encode() * 50 for k in range(6)]
TWO_DAYS = 2 * 24 * 3600.0


@dataclass(frozen=True)
class Image:
    repo: str
    digest: str
    manifest: bytes
    blobs: dict[str, bytes] = field(hash=False)


class Shifted:
    def __init__(self, offset: float) -> None:
        self.offset = offset

    def now(self) -> float:
        return time.time() + self.offset


class Load:
    """A client pushing, deleting and pulling, and what it knows must be pullable."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.retries = 0
        self.collected = self.kept = self.links = 0  # what the passes did, in sum

    async def upload(self, repo: str, data: bytes, how: int, source: str) -> None:
        """Upload a blob (0: monolithic, 1: chunked, 2: mounted or else chunked);
        push again when the session is gone (a clock two days ahead expires them all)."""
        for _attempt in range(10):
            response = await self._upload(repo, data, how, source)
            if response is None or response.status_code == 201:
                return
            assert response.status_code == 404, response.text
            assert error_code(response) == "BLOB_UPLOAD_UNKNOWN", response.text
            self.retries += 1
        raise AssertionError(f"uploading to {repo} kept failing")

    async def _upload(self, repo: str, data: bytes, how: int, source: str
                      ) -> httpx.Response | None:
        digest = sha256(data)
        uploads = f"/v2/{repo}/blobs/uploads/"
        if how == 0:
            response = await self.http.post(uploads, params={"digest": digest}, content=data)
        else:
            params = {"mount": digest, "from": source} if how == 2 else {}
            started = await self.http.post(uploads, params=params)
            if started.status_code == 201:
                return None  # mounted
            assert started.status_code == 202, started.text
            location = started.headers["Location"]
            if how == 1:
                patched = await self.http.patch(location, content=data, headers={
                    "Content-Range": f"0-{len(data) - 1}"})
                if patched.status_code != 202:
                    return patched
                location, data = patched.headers["Location"], b""
            response = await self.http.put(location, params={"digest": digest}, content=data)
        return response

    async def push(self, repo: str, source: str, rnd: int, n: int) -> Image:
        layers = [POOL[(rnd + n) % len(POOL)], POOL[(rnd + n + 3) % len(POOL)],
                  f"unique layer {rnd} {n} {repo}".encode()]
        config = json.dumps({"round": rnd, "n": n, "repo": repo}).encode()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": sha256(config), "size": len(config)},
            "layers": [{"mediaType": LAYER, "digest": sha256(layer), "size": len(layer)}
                       for layer in layers]}).encode()
        for _attempt in range(10):
            for how, blob in enumerate([config, *layers]):
                await self.upload(repo, blob, (how + rnd) % 3, source)
            put = await self.http.put(f"/v2/{repo}/manifests/r{rnd}-{n}", content=manifest,
                                      headers={"Content-Type": OCI_MANIFEST})
            if put.status_code == 201:
                blobs = {sha256(b): b for b in [config, *layers]}
                return Image(repo, put.headers["Docker-Content-Digest"], manifest, blobs)
            # GC removed a link the push made more than its grace period ago (a clock
            # two days ahead): the layer is unknown now, and the client pushes it again
            assert put.status_code == 400 and error_code(put) == "MANIFEST_BLOB_UNKNOWN", put.text
            self.retries += 1
        raise AssertionError(f"pushing {repo} r{rnd}-{n} kept failing")

    async def delete(self, image: Image, kept: list[Image]) -> None:
        """Delete the image and unlink its blobs that no kept image of the repository uses."""
        response = await self.http.delete(f"/v2/{image.repo}/manifests/{image.digest}")
        assert response.status_code == 202, response.text
        used = {d for other in kept if other.repo == image.repo for d in other.blobs}
        for digest in image.blobs.keys() - used:
            response = await self.http.delete(f"/v2/{image.repo}/blobs/{digest}")
            assert response.status_code in (202, 404), response.text

    async def pull(self, image: Image) -> None:
        response = await self.http.get(f"/v2/{image.repo}/manifests/{image.digest}",
                                       headers={"Accept": OCI_MANIFEST})
        assert response.status_code == 200 and response.content == image.manifest, image
        for digest, data in image.blobs.items():
            blob = await self.http.get(f"/v2/{image.repo}/blobs/{digest}")
            assert blob.status_code == 200, (image.repo, digest, blob.text)
            assert blob.content == data, (image.repo, digest)


@asynccontextmanager
async def server_and_gc(tmp_path: Path, backend: str
                        ) -> AsyncIterator[tuple[BerthServer, SqlMetaStore, FilesystemBlobStore]]:
    env = {"BERTH_GC_INTERVAL_SECONDS": "0"}
    async with _database(backend) as url:
        if url is not None:
            env["BERTH_DATABASE_URL"] = url
        with running_berth(tmp_path / "data", env=env, workers=2) as server:
            database = url or f"sqlite:///{(tmp_path / 'data' / 'berth.db').resolve()}"
            meta = SqlMetaStore.from_url(async_database_url(database))
            try:
                yield server, meta, FilesystemBlobStore(tmp_path / "data" / "blobs")
            finally:
                await meta.close()


@asynccontextmanager
async def _database(backend: str) -> AsyncIterator[str | None]:
    if backend == "sqlite":
        yield None
        return
    try:
        async with fresh_postgres_database() as url:
            yield url
    except PostgresUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")


@pytest.mark.timeout(180)
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql",
                                                            marks=pytest.mark.postgres)])
async def test_pushes_deletes_pulls_and_gc_at_once(tmp_path: Path, backend: str) -> None:
    async with server_and_gc(tmp_path, backend) as (server, meta, store):
        grace = 24 * 3600.0
        now, ahead = Gc(meta, store, Shifted(0), grace), Gc(meta, store, Shifted(TWO_DAYS), grace)
        async with httpx.AsyncClient(base_url=server.url, timeout=60,
                                     auth=httpx.BasicAuth("AWS", server.password()),
                                     limits=httpx.Limits(max_connections=32)) as http:
            load, alive = Load(http), []
            for rnd in range(ROUNDS):
                alive = await run_round(load, ahead if rnd % 3 == 0 else now, alive, rnd)
                await asyncio.gather(*(load.pull(image) for image in alive))
            final = await ahead.run()
            print(f"\n{ROUNDS} rounds: {load.collected} blobs collected, {load.kept} found "
                  f"in use again under the lock, {load.links} links removed, "
                  f"{load.retries} uploads or pushes retried")
            assert final.ran and final.trash_restored == 0
            for image in alive:
                await load.pull(image)
        stored = {str(d) async for part in store.stored_blobs(1000) for d in part}
        assert stored == {d for image in alive for d in image.blobs}
        assert await store.trashed() == [] and await store.upload_ids() == []


async def run_round(load: Load, gc: Gc, alive: list[Image], rnd: int) -> list[Image]:
    """One round: everything at once; returns the images that must be pullable now."""
    pushing = REPOS[:2] if rnd % 2 == 0 else REPOS[2:]
    others = [r for r in REPOS if r not in pushing]
    doomed = [image for repo in others
              for image in [i for i in alive if i.repo == repo][:-1]]  # keep the newest
    survivors = [image for image in alive if image not in doomed]
    results = await asyncio.gather(
        gc.run(),
        *(load.delete(image, survivors) for image in doomed),
        *(load.pull(image) for image in survivors),
        *(load.push(repo, others[n], rnd, n) for repo in pushing for n in range(2)))
    report = results[0]
    assert report.ran
    load.collected += report.blobs_deleted
    load.kept += report.blobs_kept
    load.links += report.links_removed
    return survivors + [r for r in results if isinstance(r, Image)]
