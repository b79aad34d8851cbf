"""The BlobStore contract: filesystem and memory backends pass the same tests."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest

from berth.oci.digest import Digest
from berth.storage.blobs import BlobMissing, BlobStore, UploadConflict

UPLOAD = "0123456789abcdef0123456789abcdef"


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def read_all(store: BlobStore, digest: Digest, offset: int = 0,
                   length: int | None = None) -> bytes:
    return b"".join([c async for c in store.read(digest, offset, length)])


async def test_upload_commit_read(blob_store: BlobStore) -> None:
    data = b"hello " * 1000
    digest = Digest.of(data)
    await blob_store.create_upload(UPLOAD)
    hasher = hashlib.sha256()
    size = await blob_store.append_upload(UPLOAD, 0, chunks(data[:100], data[100:]), hasher)
    assert size == len(data) and hasher.hexdigest() == digest.hex
    assert await blob_store.stat(digest) is None  # not visible before commit
    assert await blob_store.commit_upload(UPLOAD, digest) == len(data)
    assert await blob_store.stat(digest) == len(data)
    assert await read_all(blob_store, digest) == data
    assert await read_all(blob_store, digest, 6, 5) == b"hello"
    with pytest.raises(BlobMissing):
        await blob_store.upload_size(UPLOAD)


async def test_append_checks_offset_and_resumes(blob_store: BlobStore) -> None:
    await blob_store.create_upload(UPLOAD)
    await blob_store.append_upload(UPLOAD, 0, chunks(b"abc"), None)
    with pytest.raises(UploadConflict) as conflict:
        await blob_store.append_upload(UPLOAD, 0, chunks(b"xyz"), None)
    assert conflict.value.size == 3
    assert await blob_store.append_upload(UPLOAD, 3, chunks(b"def"), None) == 6
    hasher = hashlib.sha256()
    assert await blob_store.hash_upload(UPLOAD, hasher) == 6
    assert hasher.hexdigest() == hashlib.sha256(b"abcdef").hexdigest()


async def test_limit_is_enforced(blob_store: BlobStore) -> None:
    await blob_store.create_upload(UPLOAD)
    with pytest.raises(ValueError):
        await blob_store.append_upload(UPLOAD, 0, chunks(b"x" * 10, b"y" * 10), None, limit=15)


async def test_committing_an_existing_digest_keeps_one_copy(blob_store: BlobStore) -> None:
    data = b"same bytes"
    digest = Digest.of(data)
    for upload in (UPLOAD, "f" * 32):
        await blob_store.create_upload(upload)
        await blob_store.append_upload(upload, 0, chunks(data), None)
        await blob_store.commit_upload(upload, digest)
    assert await read_all(blob_store, digest) == data
    assert await blob_store.delete(digest)
    assert not await blob_store.delete(digest)
    with pytest.raises(BlobMissing):
        await read_all(blob_store, digest)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABCDEF" * 6, "", "a" * 31])
async def test_upload_ids_never_become_paths(blob_store: BlobStore, bad: str) -> None:
    with pytest.raises(BlobMissing):
        await blob_store.create_upload(bad)
    with pytest.raises(BlobMissing):
        await blob_store.upload_size(bad)


async def test_delete_upload_is_idempotent(blob_store: BlobStore) -> None:
    await blob_store.create_upload(UPLOAD)
    await blob_store.delete_upload(UPLOAD)
    await blob_store.delete_upload(UPLOAD)
    with pytest.raises(BlobMissing):
        await blob_store.append_upload(UPLOAD, 0, chunks(b"x"), None)


async def test_no_append_while_an_upload_is_closed(blob_store: BlobStore) -> None:
    await blob_store.create_upload(UPLOAD)
    await blob_store.append_upload(UPLOAD, 0, chunks(b"abc"), None)
    async with blob_store.closing_upload(UPLOAD) as size:
        assert size == 3
        with pytest.raises(UploadConflict):
            await blob_store.append_upload(UPLOAD, 3, chunks(b"d"), None)
        await blob_store.commit_upload(UPLOAD, Digest.of(b"abc"))
    with pytest.raises(BlobMissing):
        await blob_store.append_upload(UPLOAD, 3, chunks(b"d"), None)
    assert await read_all(blob_store, Digest.of(b"abc")) == b"abc"
    with pytest.raises(BlobMissing):
        async with blob_store.closing_upload(UPLOAD):
            pass
