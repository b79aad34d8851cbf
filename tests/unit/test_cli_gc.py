"""``berth gc [--dry-run]``: what it prints and what it deletes, beside the data it finds."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from berth.app import prepare
from berth.clock import SystemClock
from berth.config import Settings
from berth.oci.digest import Digest
from berth.services.blobs import Blobs
from berth.storage.blobs.filesystem import FilesystemBlobStore
from berth.storage.meta.sql import SqlMetaStore

ACCOUNT = "123456789012"


def berth_gc(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "berth", "gc", *args, "--data-dir",
                           str(data_dir)], capture_output=True, text=True, timeout=60,
                          check=False)


async def body(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def leave_garbage(settings: Settings) -> Path:
    """A blob no repository links any more; the path of its file."""
    meta = SqlMetaStore.from_url(settings.resolved_database_url)
    store = FilesystemBlobStore(settings.data_dir / "blobs")
    try:
        blobs = Blobs(meta, store, SystemClock())
        repo, _ = await meta.create_repository(ACCOUNT, "app", 1.0)
        upload = await blobs.start_upload(repo)
        digest = await blobs.finish(repo, upload.id, str(Digest.of(b"x" * 3000)),
                                    body(b"x" * 3000))
        await blobs.unlink(repo, digest)
    finally:
        await meta.close()
    return settings.data_dir / "blobs" / "sha256" / digest.hex[:2] / digest.hex


def test_dry_run_then_collect(tmp_path: Path) -> None:
    settings = prepare(Settings(data_dir=tmp_path, account_id=ACCOUNT))
    garbage = asyncio.run(leave_garbage(settings))

    dry = berth_gc(tmp_path, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would delete 1 blob(s), 2.9 KiB" in dry.stdout
    assert "would delete 0 abandoned upload(s)" in dry.stdout
    assert garbage.exists()

    done = berth_gc(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "deleted 1 blob(s), 2.9 KiB" in done.stdout
    assert "deleting unreferenced blobs: 1" in done.stderr  # progress
    assert not garbage.exists()
    assert "deleted 0 blob(s)" in berth_gc(tmp_path).stdout


def test_refuses_while_another_collection_runs(tmp_path: Path) -> None:
    settings = prepare(Settings(data_dir=tmp_path, account_id=ACCOUNT))

    async def while_locked() -> subprocess.CompletedProcess[str]:
        meta = SqlMetaStore.from_url(settings.resolved_database_url)
        try:
            async with meta.gc_lock() as held:
                assert held
                return await asyncio.to_thread(berth_gc, tmp_path)
        finally:
            await meta.close()

    refused = asyncio.run(while_locked())
    assert refused.returncode == 1
    assert "another garbage collection is running" in refused.stderr
