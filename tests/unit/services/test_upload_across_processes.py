"""An upload continued on another process (worker or node): the PUT that closes it
trusts the digest recorded by the process that received the bytes, and reads them
again only when that record does not cover them all."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from berth.errors import DigestInvalid, UploadOutOfOrder
from berth.oci.digest import Digest, Hasher
from berth.services.blobs import RECORD_DIGEST_FROM, Blobs
from berth.storage.blobs.filesystem import FilesystemBlobStore
from berth.storage.meta import Repository
from berth.storage.meta.sql import SqlMetaStore

ACCOUNT = "123456789012"


class Clock:
    def now(self) -> float:
        return 1_000_000.0


class CountingStore(FilesystemBlobStore):
    """The filesystem store, counting the bytes it reads back to hash."""

    rehashed = 0

    async def hash_upload(self, upload_id: str, hasher: Hasher) -> int:
        size = await super().hash_upload(upload_id, hasher)
        self.rehashed += size
        return size


async def body(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 256 * 1024):
        yield data[start:start + 256 * 1024]


@pytest.fixture
async def two(meta: SqlMetaStore, tmp_path: Path) -> tuple[Blobs, Blobs, CountingStore]:
    """Two processes' services over one database and one blob directory."""
    first, second = CountingStore(tmp_path), CountingStore(tmp_path)
    return Blobs(meta, first, Clock()), Blobs(meta, second, Clock()), second


async def repository(blobs: Blobs) -> Repository:
    return (await blobs.meta.create_repository(ACCOUNT, "app", 1.0))[0]


async def test_a_put_elsewhere_uses_the_recorded_digest(
        two: tuple[Blobs, Blobs, CountingStore]) -> None:
    here, there, store_there = two
    repo = await repository(here)
    data = os.urandom(RECORD_DIGEST_FROM + 12345)
    upload = await here.start_upload(repo)
    await here.append(repo, upload.id, body(data), None, None)
    assert await there.finish(repo, upload.id, str(Digest.of(data)), None) == Digest.of(data)
    assert store_there.rehashed == 0
    assert await there.size(repo, Digest.of(data)) == len(data)


async def test_the_recorded_digest_still_refuses_a_wrong_one(
        two: tuple[Blobs, Blobs, CountingStore]) -> None:
    here, there, store_there = two
    repo = await repository(here)
    data = os.urandom(RECORD_DIGEST_FROM)
    upload = await here.start_upload(repo)
    await here.append(repo, upload.id, body(data), None, None)
    with pytest.raises(DigestInvalid):
        await there.finish(repo, upload.id, str(Digest.of(data + b"x")), None)
    assert store_there.rehashed == 0


async def test_bytes_the_record_does_not_cover_are_read_again(
        two: tuple[Blobs, Blobs, CountingStore]) -> None:
    """A small chunk records nothing (reading a MiB again is cheaper than a write per
    chunk), so the record no longer covers the upload: the PUT hashes the file."""
    here, there, store_there = two
    repo = await repository(here)
    big, small = os.urandom(RECORD_DIGEST_FROM), b"a small last chunk"
    upload = await here.start_upload(repo)
    await here.append(repo, upload.id, body(big), None, None)
    await here.append(repo, upload.id, body(small), None, None)
    assert await there.finish(repo, upload.id, str(Digest.of(big + small)), None) == \
        Digest.of(big + small)
    assert store_there.rehashed == len(big + small)


async def test_a_sha512_upload_records_its_own_algorithm(
        two: tuple[Blobs, Blobs, CountingStore]) -> None:
    here, there, store_there = two
    repo = await repository(here)
    data = os.urandom(RECORD_DIGEST_FROM)
    upload = await here.start_upload(repo, "sha512")
    await here.append(repo, upload.id, body(data), None, None)
    digest = Digest.of(data, "sha512")
    assert await there.finish(repo, upload.id, str(digest), None) == digest
    assert store_there.rehashed == 0


async def test_a_put_while_a_patch_still_writes_is_refused_and_publishes_nothing(
        two: tuple[Blobs, Blobs, CountingStore]) -> None:
    """A client (or an attacker with push rights) closing an upload while another of
    its requests still appends must not publish bytes that differ from the digest."""
    here, there, _ = two
    repo = await repository(here)
    first = os.urandom(RECORD_DIGEST_FROM)
    upload = await here.start_upload(repo)
    await here.append(repo, upload.id, body(first), None, None)
    release = asyncio.Event()

    async def more() -> AsyncIterator[bytes]:
        yield b"appended while the PUT runs"
        await release.wait()

    patch = asyncio.create_task(here.append(repo, upload.id, more(), None, None))
    await asyncio.sleep(0.1)  # the PATCH holds the upload
    with pytest.raises(UploadOutOfOrder):
        await there.finish(repo, upload.id, str(Digest.of(first)), None)
    release.set()
    await patch
    assert await there.meta.blob_size(str(Digest.of(first))) is None
    whole = first + b"appended while the PUT runs"
    assert await there.finish(repo, upload.id, str(Digest.of(whole)), None) == Digest.of(whole)
