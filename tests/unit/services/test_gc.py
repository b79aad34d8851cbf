"""Garbage collection as a service: what a pass deletes and keeps, on SQLite and
PostgreSQL with the filesystem blob store; the upload-vs-GC race made deterministic."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from berth.oci.digest import Digest
from berth.services.blobs import Blobs
from berth.services.gc import Gc, GcReport
from berth.services.images import Images
from berth.storage.blobs.filesystem import FilesystemBlobStore
from berth.storage.meta import Repository, Upload
from berth.storage.meta.schema import blobs, manifests, repository_blobs, uploads
from berth.storage.meta.sql import SqlMetaStore
from berth.testing.layouts import OCI_CONFIG, OCI_MANIFEST

ACCOUNT = "123456789012"
GRACE = 24 * 3600.0
DAY = 24 * 3600.0


class Clock:
    def __init__(self) -> None:
        self.time = 1_000_000.0

    def now(self) -> float:
        return self.time


class Registry:
    """The services GC runs beside, and helpers to push and inspect."""

    def __init__(self, meta: SqlMetaStore, root: Path) -> None:
        self.meta = meta
        self.clock = Clock()
        self.store = FilesystemBlobStore(root)
        self.blobs = Blobs(meta, self.store, self.clock)
        self.images = Images(meta, self.clock)
        self.gc = Gc(meta, self.store, self.clock, GRACE, batch=3)

    async def repo(self, name: str = "app") -> Repository:
        return (await self.meta.create_repository(ACCOUNT, name, self.clock.now()))[0]

    async def push_blob(self, repo: Repository, data: bytes) -> Digest:
        upload = await self.blobs.start_upload(repo)
        return await self.blobs.finish(repo, upload.id, str(Digest.of(data)), body(data))

    async def push_image(self, repo: Repository, tag: str, layers: list[bytes]) -> str:
        config = json.dumps({"tag": tag}).encode()
        descriptors = [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": str(await self.push_blob(repo, layer)), "size": len(layer)}
                       for layer in layers]
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": str(await self.push_blob(repo, config)),
                       "size": len(config)},
            "layers": descriptors}).encode()
        pushed = await self.images.put(repo, tag, manifest, OCI_MANIFEST, [])
        return str(pushed.digest)

    async def readable(self, data: bytes) -> bool:
        digest = Digest.of(data)
        if await self.store.stat(digest) is None:
            return False
        return b"".join([c async for c in self.store.read(digest)]) == data

    async def snapshot(self) -> dict[str, Any]:
        """Every row GC may touch and every file, to compare before and after."""
        async with self.meta.engine.connect() as conn:
            rows = {table.name: sorted(map(tuple, await conn.execute(select(table))))
                    for table in (blobs, repository_blobs, uploads, manifests)}
        files = [entry async for part in self.store.stored_blobs(100) for entry in part]
        return {**rows, "files": sorted(map(str, files)), "trash": sorted(
            map(str, await self.store.trashed())), "uploads": await self.store.upload_ids()}


async def body(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.fixture
def registry(meta: SqlMetaStore, tmp_path: Path) -> Registry:
    return Registry(meta, tmp_path / "blobs")


def counts(report: GcReport) -> GcReport:
    """The report without what differs between runs."""
    return replace(report, duration=0.0, dry_run=False)


async def test_blobs_of_a_deleted_image_go_after_the_grace_period(registry: Registry) -> None:
    repo = await registry.repo()
    gone = await registry.push_image(repo, "old", [b"only old", b"shared"])
    await registry.push_image(repo, "new", [b"only new", b"shared"])
    await registry.images.delete(repo, gone)
    # its layers stay linked (a push may still be using them) for the grace period
    assert (await registry.gc.run()).blobs_deleted == 0
    registry.clock.time += DAY + 1
    report = await registry.gc.run()
    assert (report.links_removed, report.blobs_deleted) == (2, 2)  # "only old" and a config
    assert report.blob_bytes == len(b"only old") + len(json.dumps({"tag": "old"}))
    assert not await registry.readable(b"only old")
    assert await registry.readable(b"shared") and await registry.readable(b"only new")
    assert (await registry.gc.run()).blobs_deleted == 0  # idempotent


async def test_an_unlinked_blob_goes_at_once(registry: Registry) -> None:
    repo, other = await registry.repo(), await registry.repo("other")
    digest = await registry.push_blob(repo, b"unwanted")
    await registry.push_blob(other, b"kept elsewhere")
    await registry.push_blob(repo, b"kept elsewhere")
    await registry.blobs.unlink(repo, digest)
    await registry.blobs.unlink(repo, Digest.of(b"kept elsewhere"))
    report = await registry.gc.run()
    assert (report.blobs_deleted, report.blob_bytes) == (1, len(b"unwanted"))
    assert not await registry.readable(b"unwanted")
    assert await registry.readable(b"kept elsewhere")


async def test_abandoned_uploads_are_removed_with_their_bytes(registry: Registry) -> None:
    repo = await registry.repo()
    stale = await registry.blobs.start_upload(repo)
    await registry.blobs.append(repo, stale.id, body(b"partial"), None, None)
    registry.clock.time += DAY + 1
    live = await registry.blobs.start_upload(repo)
    await registry.store.create_upload("f" * 32)  # a file whose session row is gone
    report = await registry.gc.sweep_uploads()
    assert (report.uploads_removed, report.upload_bytes) == (2, len(b"partial"))
    assert await registry.store.upload_ids() == [live.id]
    assert await registry.meta.get_upload(stale.id) is None
    assert await registry.meta.get_upload(live.id) is not None


async def crash_leftovers(registry: Registry) -> Repository:
    """Everything a pass finds to do, as crashes and abandoned work leave it."""
    repo = await registry.repo()
    await registry.push_image(repo, "kept", [b"in use"])
    await registry.push_blob(repo, b"old loose layer")
    upload = await registry.blobs.start_upload(repo)
    await registry.blobs.append(repo, upload.id, body(b"abandoned"), None, None)
    registry.clock.time += DAY + 1
    await registry.blobs.unlink(repo, await registry.push_blob(repo, b"unlinked"))
    # a file whose row never committed, and a pass that crashed before purging
    await registry.store.create_upload("a" * 32)
    await registry.store.append_upload("a" * 32, 0, body(b"orphan file"), None)
    await registry.store.commit_upload("a" * 32, Digest.of(b"orphan file"))
    await registry.store.discard([Digest.of(b"in use")])  # row kept: goes back
    registry.store._trash.joinpath("sha256-" + "0" * 64).write_bytes(b"dead")  # purged
    return repo


async def test_a_dry_run_changes_nothing_and_predicts_the_pass(registry: Registry) -> None:
    await crash_leftovers(registry)
    before = await registry.snapshot()
    dry = await registry.gc.run(dry_run=True)
    assert dry.dry_run and await registry.snapshot() == before
    report = await registry.gc.run()
    assert counts(dry) == counts(report)
    assert (report.blobs_deleted, report.orphan_files, report.links_removed,
            report.uploads_removed, report.trash_restored, report.trash_purged) == (
        3, 1, 1, 1, 1, 1)
    assert report.blob_bytes == len(b"old loose layer" b"unlinked" b"orphan file")
    assert await registry.readable(b"in use")
    assert await registry.snapshot() != before
    assert counts(await registry.gc.run(dry_run=True)) == counts(GcReport(False, True, 0.0))


async def test_recovery_alone_puts_back_what_still_has_a_row(registry: Registry) -> None:
    repo = await registry.repo()
    digest = await registry.push_blob(repo, b"survivor")
    await registry.store.discard([digest])
    report = await registry.gc.recover()
    assert (report.trash_restored, report.blobs_deleted) == (1, 0)
    assert await registry.readable(b"survivor")


async def test_a_failed_delete_puts_the_files_back(registry: Registry,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    repo = await registry.repo()
    await registry.blobs.unlink(repo, await registry.push_blob(repo, b"doomed"))

    async def crash(digests: list[str], discard: Any) -> list[Any]:
        await discard(digests)
        raise ConnectionError("database went away before the commit")

    monkeypatch.setattr(registry.meta, "delete_blobs", crash)
    with pytest.raises(ConnectionError):
        await registry.gc.run()
    assert await registry.readable(b"doomed") and await registry.store.trashed() == []


async def test_only_one_pass_runs_at_a_time(registry: Registry) -> None:
    repo = await registry.repo()
    await registry.blobs.unlink(repo, await registry.push_blob(repo, b"waits"))
    async with registry.meta.gc_lock():
        report = await registry.gc.run()
    assert not report.ran and report.blobs_deleted == 0
    assert await registry.readable(b"waits")
    assert (await registry.gc.run()).blobs_deleted == 1


class Hold:
    """Wraps a coroutine method so that its first call stops until released."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, *args: Any) -> Any:
        if not self.entered.is_set():
            self.entered.set()
            await self.release.wait()
        return await self.target(*args)


async def race_with_gc(registry: Registry, hold: Hold, first: Any) -> GcReport:
    started = asyncio.create_task(first)
    await asyncio.wait_for(hold.entered.wait(), 10)
    collecting = asyncio.create_task(registry.gc.run())
    await asyncio.sleep(0.3)
    hold.release.set()
    await asyncio.wait_for(started, 30)
    return await asyncio.wait_for(collecting, 30)


async def test_an_upload_of_a_blob_gc_is_deleting_keeps_it(
        registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """The data-loss race of a naive collector: the upload finds the file present,
    GC unlinks it, the upload links the row. Here the upload holds the row while it
    looks for the file, so GC, which needs the row, waits or passes it by."""
    repo = await registry.repo()
    await registry.blobs.unlink(repo, await registry.push_blob(repo, b"contested"))
    hold = Hold(registry.store.commit_upload)
    monkeypatch.setattr(registry.store, "commit_upload", hold)
    report = await race_with_gc(registry, hold, registry.push_blob(repo, b"contested"))
    # on SQLite GC's first write waits for the upload; on PostgreSQL it marks the blob
    # and then passes it by under the lock
    assert report.blobs_deleted == 0 and report.blobs_kept in (0, 1)
    assert await registry.readable(b"contested")
    assert await registry.meta.linked_blob_size(repo.id, str(Digest.of(b"contested"))) == 9


async def test_an_upload_after_gc_moved_the_file_stores_it_again(
        registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = await registry.repo()
    await registry.blobs.unlink(repo, await registry.push_blob(repo, b"contested"))
    hold = Hold(registry.store.discard)
    monkeypatch.setattr(registry.store, "discard", hold)
    collecting = asyncio.create_task(registry.gc.run())
    await asyncio.wait_for(hold.entered.wait(), 10)
    pushing = asyncio.create_task(registry.push_blob(repo, b"contested"))
    await asyncio.sleep(0.3)
    assert not pushing.done()  # it waits for the row GC holds
    hold.release.set()
    report = await asyncio.wait_for(collecting, 30)
    await asyncio.wait_for(pushing, 30)
    assert report.blobs_deleted == 1
    assert await registry.readable(b"contested")
    assert await registry.meta.linked_blob_size(repo.id, str(Digest.of(b"contested"))) == 9


async def test_a_session_without_a_file_yet_is_not_an_orphan(registry: Registry) -> None:
    repo = await registry.repo()
    await registry.meta.create_upload(Upload("b" * 32, repo.id, "sha256", 1.0, 1.0))
    registry.clock.time = 2.0
    assert (await registry.gc.run()).uploads_removed == 0
