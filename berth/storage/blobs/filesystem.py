"""Blobs as files.

Layout under the root::

    <root>/sha256/<first two hex>/<hex>     committed blobs, named by digest
    <root>/_uploads/<upload id>            upload sessions, append-only
    <root>/_trash/<algorithm>-<hex>        blobs garbage collection moved aside

Uploads are renamed onto their digest's name after fsync, and the directory is
fsynced after the rename, so a crash never leaves a partial file under a digest.
Blocking calls run in the default thread pool, or, for an upload longer than one
batch, in a writing and a hashing thread of its own (hashlib releases the GIL),
while the event loop receives the next batches.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import os
import re
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from berth.durable import fsync_dir
from berth.oci.digest import ALGORITHMS, Digest, DigestError, Hasher, new_hasher
from berth.storage.blobs import BlobMissing, UploadConflict, check_upload_id

READ_CHUNK = 1024 * 1024
WRITE_BATCH = 1024 * 1024
MAX_IOV = 512
WRITEBACK_EVERY = 8 * 1024 * 1024
BATCHES_IN_FLIGHT = 3


def _load_sync_file_range() -> Callable[[int, int, int], None] | None:
    """Linux's sync_file_range(2), to start write-back of what an upload wrote so far
    without waiting for it; the fsync that commits the blob then has little left to do."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        call = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    call.argtypes = (ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint)
    write = 2  # SYNC_FILE_RANGE_WRITE: start write-back, do not wait

    def start_writeback(fd: int, offset: int, length: int) -> None:
        call(fd, offset, length, write)

    return start_writeback


_start_writeback = _load_sync_file_range()
_HEX_NAME = {a: re.compile(f"[0-9a-f]{{{len(new_hasher(a).hexdigest())}}}") for a in ALGORITHMS}


class FilesystemBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._uploads = root / "_uploads"
        self._uploads.mkdir(parents=True, exist_ok=True)
        self._trash = root / "_trash"
        self._trash.mkdir(exist_ok=True)
        # uploads fsynced by seal_upload and not appended to since: their commit has no
        # second fsync to do (a hint only; losing it costs one fsync)
        self._sealed: set[str] = set()

    def _path(self, digest: Digest) -> Path:
        return self.root / digest.algorithm / digest.hex[:2] / digest.hex

    def _upload_path(self, upload_id: str) -> Path:
        return self._uploads / check_upload_id(upload_id)

    async def stat(self, digest: Digest) -> int | None:
        try:
            return os.stat(self._path(digest)).st_size
        except FileNotFoundError:
            return None

    def local_path(self, digest: Digest) -> str | None:
        return str(self._path(digest))

    async def read(self, digest: Digest, offset: int = 0, length: int | None = None
                   ) -> AsyncIterator[bytes | bytearray]:
        """Each chunk is read on the event loop when the page cache holds it, which is
        the usual case for a blob just pushed or often pulled; a hop to a thread per
        chunk cost a 512 MiB GET 10-30% of its speed. What is not cached is read
        by a thread, so the loop never waits for the disk."""
        try:
            fd = os.open(self._path(digest), os.O_RDONLY)
        except FileNotFoundError:
            raise BlobMissing(str(digest)) from None
        loop = asyncio.get_running_loop()
        try:
            remaining = length if length is not None else os.fstat(fd).st_size - offset
            while remaining > 0:
                want = min(READ_CHUNK, remaining)
                data: bytes | bytearray | None = _read_cached(fd, want, offset)
                if data is None:
                    data = await loop.run_in_executor(None, os.pread, fd, want, offset)
                if not data:
                    break
                offset += len(data)
                remaining -= len(data)
                yield data
        finally:
            os.close(fd)

    async def delete(self, digest: Digest) -> bool:
        try:
            os.unlink(self._path(digest))
            return True
        except FileNotFoundError:
            return False

    async def create_upload(self, upload_id: str) -> None:
        fd = os.open(self._upload_path(upload_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)

    async def upload_size(self, upload_id: str) -> int:
        try:
            return os.stat(self._upload_path(upload_id)).st_size
        except FileNotFoundError:
            raise BlobMissing(upload_id) from None

    async def append_upload(self, upload_id: str, offset: int, chunks: AsyncIterable[bytes],
                            hasher: Hasher | None, limit: int | None = None) -> int:
        self._sealed.discard(upload_id)
        try:
            fd = os.open(self._upload_path(upload_id), os.O_WRONLY | os.O_APPEND)
        except FileNotFoundError:
            raise BlobMissing(upload_id) from None
        try:
            _lock_or_conflict(fd)
            if not _still_at(fd, self._upload_path(upload_id)):
                raise BlobMissing(upload_id)  # committed (or dropped) since it was opened
            size = os.fstat(fd).st_size
            if size != offset:
                raise UploadConflict(size)
            return await _pump(fd, size, chunks, hasher, limit)
        finally:
            os.close(fd)  # also releases the lock

    @contextlib.asynccontextmanager
    async def closing_upload(self, upload_id: str) -> AsyncIterator[int]:
        try:
            fd = os.open(self._upload_path(upload_id), os.O_RDONLY)
        except FileNotFoundError:
            raise BlobMissing(upload_id) from None
        try:
            _lock_or_conflict(fd)  # the lock every append takes
            yield os.fstat(fd).st_size
        finally:
            os.close(fd)

    async def hash_upload(self, upload_id: str, hasher: Hasher) -> int:
        path = self._upload_path(upload_id)
        return await asyncio.get_running_loop().run_in_executor(None, _hash_file, path, hasher)

    async def seal_upload(self, upload_id: str) -> int:
        path = self._upload_path(upload_id)
        size = await asyncio.get_running_loop().run_in_executor(None, _fsync_file, path)
        if len(self._sealed) > 4096:
            self._sealed.clear()
        self._sealed.add(upload_id)
        return size

    async def commit_upload(self, upload_id: str, digest: Digest) -> int:
        source = self._upload_path(upload_id)
        target = self._path(digest)
        sealed = upload_id in self._sealed
        self._sealed.discard(upload_id)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, _commit, source, target, sealed)

    async def delete_upload(self, upload_id: str) -> None:
        self._sealed.discard(upload_id)
        with contextlib.suppress(FileNotFoundError, BlobMissing):
            os.unlink(self._upload_path(upload_id))

    async def upload_ids(self) -> list[str]:
        return [name for name in os.listdir(self._uploads) if _is_upload_id(name)]

    # garbage collection: the trash is one directory, so moving a blob there is a rename

    def _trash_path(self, digest: Digest) -> Path:
        return self._trash / f"{digest.algorithm}-{digest.hex}"

    async def stored_blobs(self, batch: int) -> AsyncIterator[list[Digest]]:
        loop = asyncio.get_running_loop()
        found: list[Digest] = []
        for algorithm in sorted(ALGORITHMS):
            top = self.root / algorithm
            prefixes = sorted(os.listdir(top)) if top.is_dir() else []
            for prefix in prefixes:
                found += await loop.run_in_executor(None, _list_blobs, top / prefix, algorithm)
                if len(found) >= batch:
                    yield found
                    found = []
        if found:
            yield found

    async def discard(self, digests: Sequence[Digest]) -> None:
        moves = [(self._path(d), self._trash_path(d)) for d in digests]
        await asyncio.get_running_loop().run_in_executor(None, _move_all, moves)

    async def restore(self, digests: Sequence[Digest]) -> int:
        moves = [(self._trash_path(d), self._path(d)) for d in digests]
        return await asyncio.get_running_loop().run_in_executor(None, _restore_all, moves)

    async def purge(self, digests: Sequence[Digest]) -> int:
        paths = [self._trash_path(d) for d in digests]
        return await asyncio.get_running_loop().run_in_executor(None, _unlink_all, paths)

    async def trashed(self) -> list[Digest]:
        found = []
        for name in os.listdir(self._trash):
            with contextlib.suppress(DigestError):
                found.append(Digest.parse(name.replace("-", ":", 1)))
        return found


def _still_at(fd: int, path: Path) -> bool:
    """Whether the open file is still the one at ``path`` (not renamed away)."""
    try:
        here = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (here.st_dev, here.st_ino) == (opened.st_dev, opened.st_ino)


def _lock_or_conflict(fd: int) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise UploadConflict(os.fstat(fd).st_size) from None
        raise


async def _pump(fd: int, size: int, chunks: AsyncIterable[bytes], hasher: Hasher | None,
                limit: int | None) -> int:
    """Write the stream in batches while the next ones are received.

    A stream of one batch is hashed and written in one call. A longer one gets two
    threads of its own, one writing and one hashing, each taking the batches in order,
    so the copy into the page cache never waits for the hash: that copy is the slow
    step where the kernel's fresh pages are dear, as on virtual machines that back
    guest memory lazily. Every job is finished before this returns, even when the
    request is cancelled, so none writes after the caller closes ``fd``.
    """
    loop = asyncio.get_running_loop()
    writeback = _Writeback(size)
    lanes: _Lanes | None = None
    in_flight: deque[list[asyncio.Future[None]]] = deque()
    batch: list[bytes] = []
    batched = 0
    try:
        async for chunk in chunks:
            if not chunk:
                continue
            size += len(chunk)
            if limit is not None and size > limit:
                raise ValueError(f"upload exceeds {limit} bytes")
            batch.append(chunk)
            batched += len(chunk)
            if batched >= WRITE_BATCH or len(batch) >= MAX_IOV:
                if lanes is None:
                    lanes = _Lanes(fd, hasher, writeback)
                if len(in_flight) >= BATCHES_IN_FLIGHT:
                    await _settle(in_flight.popleft())
                in_flight.append(lanes.submit(loop, batch))
                batch, batched = [], 0
    finally:
        # Whatever arrived is kept, even when the client went away mid-stream:
        # the upload can be resumed from what its GET reports.
        if batch:
            in_flight.append(lanes.submit(loop, batch) if lanes is not None else [
                loop.run_in_executor(None, _hash_and_write, fd, hasher, writeback, batch)])
        try:
            await _settle([job for jobs in in_flight for job in jobs])
        finally:
            if lanes is not None:
                lanes.close()
    return size


async def _settle(jobs: list[asyncio.Future[None]]) -> None:
    """Wait until every job has run, through cancellation too (``asyncio.wait`` cancels
    nothing); then raise the first failure, or the cancellation."""
    cancelled = False
    pending = set(jobs)
    while pending:
        try:
            _, pending = await asyncio.wait(pending)
        except asyncio.CancelledError:
            cancelled = True
    for job in jobs:
        failure = job.exception()
        if failure is not None and not isinstance(failure, _Skipped):
            raise failure
    if cancelled:
        raise asyncio.CancelledError


class _Skipped(Exception):
    """A batch not written because an earlier one failed; that failure is the one
    reported."""


class _Lanes:
    """A thread that writes and one that hashes, each taking its batches in order.

    After a failed write every later batch is skipped, so none is ever appended past a
    lost one.
    """

    def __init__(self, fd: int, hasher: Hasher | None, writeback: _Writeback) -> None:
        self._fd = fd
        self._hasher = hasher
        self._writeback = writeback
        self._failed = False
        self._writer = ThreadPoolExecutor(1, "berth-upload-write")
        self._hashing = ThreadPoolExecutor(1, "berth-upload-hash") if hasher else None

    def submit(self, loop: asyncio.AbstractEventLoop, batch: list[bytes]
               ) -> list[asyncio.Future[None]]:
        jobs = [loop.run_in_executor(self._writer, self._write, batch)]
        if self._hashing is not None:
            jobs.append(loop.run_in_executor(self._hashing, self._hash, batch))
        return jobs

    def _write(self, batch: list[bytes]) -> None:
        if self._failed:
            raise _Skipped
        try:
            _write(self._fd, self._writeback, batch)
        except BaseException:
            self._failed = True
            raise

    def _hash(self, batch: list[bytes]) -> None:
        assert self._hasher is not None
        _hash(self._hasher, batch)

    def close(self) -> None:
        self._writer.shutdown(wait=False)
        if self._hashing is not None:
            self._hashing.shutdown(wait=False)


class _Writeback:
    """Where an upload's written bytes end, and from where write-back was not started."""

    def __init__(self, start: int) -> None:
        self.end = self.started = start

    def advance(self, fd: int, written: int) -> None:
        self.end += written
        if _start_writeback is not None and self.end - self.started >= WRITEBACK_EVERY:
            _start_writeback(fd, self.started, self.end - self.started)
            self.started = self.end


def _hash_and_write(fd: int, hasher: Hasher | None, writeback: _Writeback,
                    batch: list[bytes]) -> None:
    if hasher is not None:
        _hash(hasher, batch)
    _write(fd, writeback, batch)


def _hash(hasher: Hasher, batch: list[bytes]) -> None:
    for chunk in batch:
        hasher.update(chunk)


def _write(fd: int, writeback: _Writeback, batch: list[bytes]) -> None:
    total = sum(len(c) for c in batch)
    written = os.writev(fd, batch)
    if written != total:  # short write: finish the rest piece by piece
        data = b"".join(batch)[written:]
        while data:
            data = data[os.write(fd, data):]
    writeback.advance(fd, total)


_RWF_NOWAIT: int | None = getattr(os, "RWF_NOWAIT", None)


def _read_cached(fd: int, size: int, offset: int) -> bytearray | None:
    """What the page cache holds of ``size`` bytes at ``offset``, read without waiting for
    the disk (``preadv2`` with ``RWF_NOWAIT``): all of them, the cached part before the
    first page that is not, or None when that is none of them (or the system cannot
    tell, and a thread must read)."""
    global _RWF_NOWAIT
    if _RWF_NOWAIT is None:
        return None
    buffer = bytearray(size)
    try:
        got = os.preadv(fd, [buffer], offset, _RWF_NOWAIT)
    except BlockingIOError:
        return None
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
            raise
        _RWF_NOWAIT = None  # a kernel or filesystem without it: threads read everything
        return None
    if got == 0:
        return None  # none cached, or the end of the file: the thread's read tells which
    del buffer[got:]
    return buffer


def _hash_file(path: Path, hasher: Hasher) -> int:
    total = 0
    try:
        with open(path, "rb", buffering=0) as f:
            while chunk := f.read(READ_CHUNK):
                hasher.update(chunk)
                total += len(chunk)
    except FileNotFoundError:
        raise BlobMissing(path.name) from None
    return total


def _commit(source: Path, target: Path, sealed: bool) -> int:
    try:
        size = os.stat(source).st_size if sealed else _fsync_file(source)
    except FileNotFoundError:
        raise BlobMissing(source.name) from None
    if target.exists():
        os.unlink(source)
        return size
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(source, target)
    except FileNotFoundError:  # the session was dropped (expired) meanwhile
        raise BlobMissing(source.name) from None
    fsync_dir(target.parent)
    return size


def _fsync_file(path: Path) -> int:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise BlobMissing(path.name) from None
    try:
        os.fsync(fd)
        return os.fstat(fd).st_size
    finally:
        os.close(fd)


def _is_upload_id(name: str) -> bool:
    return len(name) == 32 and all(c in "0123456789abcdef" for c in name)


def _list_blobs(directory: Path, algorithm: str) -> list[Digest]:
    """The blobs in one prefix directory, sorted; names that are no digest are skipped."""
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return []
    pattern = _HEX_NAME[algorithm]
    return [Digest(algorithm, name) for name in names if pattern.fullmatch(name)]


def _move_all(moves: list[tuple[Path, Path]]) -> None:
    """Rename each pair; a missing source is skipped. Not fsynced: a move lost in a
    crash leaves the blob in place, which the next pass handles like any other."""
    for source, target in moves:
        with contextlib.suppress(FileNotFoundError):
            os.rename(source, target)


def _restore_all(moves: list[tuple[Path, Path]]) -> int:
    restored = 0
    for trashed, target in moves:
        try:
            if target.exists():  # stored again since: same bytes, keep that copy
                os.unlink(trashed)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(trashed, target)
            restored += 1
        except FileNotFoundError:
            continue
    return restored


def _unlink_all(paths: list[Path]) -> int:
    freed = 0
    for path in paths:
        try:
            size = os.stat(path).st_size
            os.unlink(path)
            freed += size
        except FileNotFoundError:
            continue
    return freed

