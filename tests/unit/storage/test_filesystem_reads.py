"""How the filesystem store reads a blob: what the page cache holds on the event loop,
the rest by a thread, and the same bytes either way."""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from berth.oci.digest import Digest
from berth.storage.blobs import filesystem
from berth.storage.blobs.filesystem import READ_CHUNK, FilesystemBlobStore

PAGE = os.sysconf("SC_PAGE_SIZE")
pytestmark = pytest.mark.skipif(not hasattr(os, "RWF_NOWAIT"), reason="no preadv2 RWF_NOWAIT")


def payload(size: int) -> bytes:
    return hashlib.shake_256(b"berth").digest(size)


def stored(tmp_path: Path, data: bytes) -> tuple[FilesystemBlobStore, Digest]:
    store = FilesystemBlobStore(tmp_path / "blobs")
    digest = Digest("sha256", hashlib.sha256(data).hexdigest())
    path = Path(store.local_path(digest) or "")
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    return store, digest


def evict(path: Path, offset: int = 0) -> None:
    """Drop the file's pages from ``offset`` on out of the page cache."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)  # only clean pages can be dropped
        os.posix_fadvise(fd, offset, 0, os.POSIX_FADV_DONTNEED)
        # probed at the last page: a read that finds no page starts the kernel's
        # readahead from there, which must not bring back what the test reads
        probe = filesystem._read_cached(fd, 1, path.stat().st_size - 1)
    finally:
        os.close(fd)
    if probe is not None:
        pytest.skip("this filesystem keeps the file in memory whatever it is told")


class Threads:
    """Counts the reads that went to a thread: those through os.pread."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reads = 0
        real: Callable[..., bytes] = os.pread

        def pread(*args: Any) -> bytes:
            self.reads += 1
            return real(*args)

        monkeypatch.setattr(os, "pread", pread)


async def read_all(store: FilesystemBlobStore, digest: Digest, offset: int = 0,
                   length: int | None = None) -> bytes:
    return b"".join([bytes(chunk) async for chunk in store.read(digest, offset, length)])


async def test_a_cached_blob_is_read_without_a_thread(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    data = payload(3 * READ_CHUNK + 5)
    store, digest = stored(tmp_path, data)
    threads = Threads(monkeypatch)
    assert await read_all(store, digest) == data
    assert threads.reads == 0


async def test_a_blob_not_in_the_page_cache_is_read_by_a_thread(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = payload(3 * READ_CHUNK + 5)
    store, digest = stored(tmp_path, data)
    evict(Path(store.local_path(digest) or ""))
    threads = Threads(monkeypatch)
    assert await read_all(store, digest) == data
    assert threads.reads >= 1


async def test_the_cached_part_comes_first_and_a_thread_reads_the_rest(
        tmp_path: Path) -> None:
    # the cut is aligned for any folio size up to 4 MiB: the page cache drops whole folios
    cut = 4 * 1024 * 1024
    data = payload(2 * cut)
    store, digest = stored(tmp_path, data)
    path = Path(store.local_path(digest) or "")
    evict(path, cut)
    start = cut - READ_CHUNK // 2
    fd = os.open(path, os.O_RDONLY)
    try:
        head = filesystem._read_cached(fd, READ_CHUNK, start)
    finally:
        os.close(fd)
    assert head == data[start:cut]  # up to the first page that is not cached
    evict(path, cut)
    assert await read_all(store, digest, start) == data[start:]


@pytest.mark.parametrize(("offset", "length"), [(1, 10), (READ_CHUNK - 1, 2),
                                                (PAGE + 7, 2 * READ_CHUNK), (0, 0)])
async def test_ranges_read_the_same_cached_or_not(tmp_path: Path, offset: int,
                                                  length: int) -> None:
    data = payload(3 * READ_CHUNK)
    store, digest = stored(tmp_path, data)
    assert await read_all(store, digest, offset, length) == data[offset:offset + length]
    evict(Path(store.local_path(digest) or ""))
    assert await read_all(store, digest, offset, length) == data[offset:offset + length]


async def test_without_rwf_nowait_support_every_read_goes_to_a_thread(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = payload(READ_CHUNK + 1)
    store, digest = stored(tmp_path, data)

    def unsupported(*args: Any) -> int:
        raise OSError(errno.EOPNOTSUPP, "not supported")

    monkeypatch.setattr(filesystem, "_RWF_NOWAIT", filesystem._RWF_NOWAIT)
    monkeypatch.setattr(os, "preadv", unsupported)
    threads = Threads(monkeypatch)
    assert await read_all(store, digest) == data
    assert filesystem._RWF_NOWAIT is None  # asked once, then never again
    assert threads.reads == 2


async def test_a_read_error_is_raised_not_hidden(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    store, digest = stored(tmp_path, payload(10))

    def failing(*args: Any) -> int:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "preadv", failing)
    with pytest.raises(OSError) as caught:
        await read_all(store, digest)
    assert caught.value.errno == errno.EIO
