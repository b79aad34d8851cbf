"""How the filesystem store writes an upload: batches written and hashed by threads of
their own, in order, every one finished before the call returns, whatever happens."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from berth.oci.digest import Digest
from berth.storage.blobs import BlobMissing, filesystem
from berth.storage.blobs.filesystem import WRITE_BATCH, FilesystemBlobStore

UPLOAD = "0123456789abcdef0123456789abcdef"
KIB = 1024


def payload(size: int) -> bytes:
    return (bytes(range(251)) * (size // 251 + 1))[:size]


async def pieces(data: bytes, size: int, then: BaseException | None = None
                 ) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]
        await asyncio.sleep(0)
    if then is not None:
        raise then


@pytest.fixture
async def store(tmp_path: Path) -> FilesystemBlobStore:
    store = FilesystemBlobStore(tmp_path / "blobs")
    await store.create_upload(UPLOAD)
    return store


def upload_bytes(store: FilesystemBlobStore) -> bytes:
    return (store.root / "_uploads" / UPLOAD).read_bytes()


@pytest.mark.parametrize("size", [0, 1, WRITE_BATCH - 1, WRITE_BATCH, 5 * WRITE_BATCH + 12345])
@pytest.mark.parametrize("piece", [300 * KIB, 4 * KIB])
async def test_every_byte_is_written_and_hashed_in_order(store: FilesystemBlobStore,
                                                          size: int, piece: int) -> None:
    data = payload(size)
    hasher = hashlib.sha256()
    assert await store.append_upload(UPLOAD, 0, pieces(data, piece), hasher) == size
    assert upload_bytes(store) == data
    assert hasher.hexdigest() == hashlib.sha256(data).hexdigest()


async def test_without_a_hasher_the_bytes_are_written_all_the_same(
        store: FilesystemBlobStore) -> None:
    data = payload(3 * WRITE_BATCH + 7)
    assert await store.append_upload(UPLOAD, 0, pieces(data, 256 * KIB), None) == len(data)
    assert upload_bytes(store) == data


async def test_a_failed_write_stops_the_stream_without_a_gap(
        store: FilesystemBlobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second batch fails (disk full): no later batch may land after the first,
    where it would shift every byte the client sends next."""
    real = filesystem._write
    calls = []

    def failing(fd: int, writeback: filesystem._Writeback, batch: list[bytes]) -> None:
        calls.append(len(calls))
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, writeback, batch)

    monkeypatch.setattr(filesystem, "_write", failing)
    data = payload(8 * WRITE_BATCH)
    with pytest.raises(OSError) as raised:
        await store.append_upload(UPLOAD, 0, pieces(data, WRITE_BATCH), hashlib.sha256())
    assert raised.value.errno == errno.ENOSPC  # the failure itself, not a later skip
    assert upload_bytes(store) == data[:WRITE_BATCH]
    assert await store.upload_size(UPLOAD) == WRITE_BATCH  # what a resuming client is told


async def test_bytes_received_before_the_client_left_are_kept(
        store: FilesystemBlobStore) -> None:
    data = payload(2 * WRITE_BATCH + 999)
    with pytest.raises(ConnectionResetError):
        await store.append_upload(UPLOAD, 0, pieces(data, 64 * KIB, ConnectionResetError()),
                                  hashlib.sha256())
    assert upload_bytes(store) == data
    hasher = hashlib.sha256()
    rest = b"and the rest"
    assert await store.append_upload(UPLOAD, len(data), pieces(rest, 5), hasher) == \
        len(data) + len(rest)
    assert upload_bytes(store) == data + rest


async def test_cancelled_request_waits_for_its_writes_before_the_file_is_closed(
        store: FilesystemBlobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write still running when the request is cancelled must end before append_upload
    closes the descriptor (and drops the lock), or it would write to a closed or reused
    descriptor, or beside another request's appends."""
    real = filesystem._write
    running = threading.Event()
    active = []

    def slow(fd: int, writeback: filesystem._Writeback, batch: list[bytes]) -> None:
        active.append(fd)
        running.set()
        time.sleep(0.3)
        os.fstat(fd)  # still open
        real(fd, writeback, batch)
        active.remove(fd)

    monkeypatch.setattr(filesystem, "_write", slow)
    never = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        for _ in range(filesystem.BATCHES_IN_FLIGHT + 2):
            yield payload(WRITE_BATCH)
        await never.wait()
        yield b"never sent"

    task = asyncio.create_task(store.append_upload(UPLOAD, 0, stalls(), hashlib.sha256()))
    await asyncio.get_running_loop().run_in_executor(None, running.wait)
    await asyncio.sleep(0.05)  # the stream now waits for its oldest batch to be written
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert active == []
    written = upload_bytes(store)
    assert len(written) % WRITE_BATCH == 0 and written == payload(WRITE_BATCH) * (
        len(written) // WRITE_BATCH)


async def test_no_append_while_the_upload_is_being_closed(store: FilesystemBlobStore) -> None:
    await store.append_upload(UPLOAD, 0, pieces(b"verified bytes", 5), None)
    async with store.closing_upload(UPLOAD) as size:
        assert size == len(b"verified bytes")
        with pytest.raises(filesystem.UploadConflict):
            await store.append_upload(UPLOAD, size, pieces(b"late", 4), None)
    assert upload_bytes(store) == b"verified bytes"


async def test_an_append_opened_before_the_commit_cannot_write_into_the_blob(
        store: FilesystemBlobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The PATCH opened the upload file, then the PUT verified and published it (a
    rename: the PATCH's descriptor now points at the blob) before the PATCH took the
    lock. The PATCH must find the upload gone, not append to the published blob."""
    data = b"the blob's exact bytes"
    digest = Digest.of(data)
    await store.append_upload(UPLOAD, 0, pieces(data, 7), None)
    real_lock = filesystem._lock_or_conflict
    committed = []

    def commit_first(fd: int) -> None:
        if not committed:
            committed.append(True)
            os.rename(store.root / "_uploads" / UPLOAD, store.root / "published")
            os.makedirs(store.root / digest.algorithm / digest.hex[:2], exist_ok=True)
            os.rename(store.root / "published",
                      store.root / digest.algorithm / digest.hex[:2] / digest.hex)
        real_lock(fd)

    monkeypatch.setattr(filesystem, "_lock_or_conflict", commit_first)
    with pytest.raises(BlobMissing):
        await store.append_upload(UPLOAD, len(data), pieces(b"poison", 6), None)
    assert b"".join([c async for c in store.read(digest)]) == data
