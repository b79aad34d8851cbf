"""The BlobStore's garbage-collection contract: trash, listings, sealing; every backend."""

from __future__ import annotations

import pytest

from berth.oci.digest import Digest
from berth.storage.blobs import BlobMissing, BlobStore
from tests.contract.test_blob_store import UPLOAD, chunks, read_all

OTHER = "fedcba9876543210fedcba9876543210"


async def store_blob(store: BlobStore, data: bytes, upload_id: str = UPLOAD) -> Digest:
    digest = Digest.of(data)
    await store.create_upload(upload_id)
    await store.append_upload(upload_id, 0, chunks(data), None)
    assert await store.seal_upload(upload_id) == len(data)
    await store.commit_upload(upload_id, digest)
    return digest


async def listed(store: BlobStore, batch: int = 100) -> list[Digest]:
    found: list[Digest] = []
    async for part in store.stored_blobs(batch):
        assert len(part) > 0
        found += part
    assert found == sorted(found, key=str)  # in digest order, across lists too
    return found


async def test_seal_reports_the_size_of_an_upload(blob_store: BlobStore) -> None:
    await blob_store.create_upload(UPLOAD)
    await blob_store.append_upload(UPLOAD, 0, chunks(b"abc"), None)
    assert await blob_store.seal_upload(UPLOAD) == 3
    with pytest.raises(BlobMissing):
        await blob_store.seal_upload(OTHER)


async def test_discard_restore_purge(blob_store: BlobStore) -> None:
    digest = await store_blob(blob_store, b"garbage")
    await blob_store.discard([digest, Digest.of(b"never stored")])
    assert await blob_store.stat(digest) is None
    assert await blob_store.trashed() == [digest]
    assert await listed(blob_store) == []
    assert await blob_store.restore([digest]) == 1
    assert await read_all(blob_store, digest) == b"garbage"
    assert await blob_store.trashed() == []

    await blob_store.discard([digest])
    await blob_store.discard([digest])  # idempotent
    assert await blob_store.purge([digest]) == len(b"garbage")
    assert await blob_store.purge([digest]) == 0
    assert await blob_store.restore([digest]) == 0
    assert await blob_store.stat(digest) is None and await blob_store.trashed() == []


async def test_restore_keeps_a_blob_stored_again_meanwhile(blob_store: BlobStore) -> None:
    digest = await store_blob(blob_store, b"twice")
    await blob_store.discard([digest])
    await store_blob(blob_store, b"twice", OTHER)
    assert await blob_store.restore([digest]) == 0
    assert await blob_store.trashed() == []
    assert await read_all(blob_store, digest) == b"twice"


async def test_listings_of_blobs_and_uploads(blob_store: BlobStore) -> None:
    digests = [await store_blob(blob_store, f"blob {i}".encode()) for i in range(5)]
    await blob_store.create_upload(OTHER)
    assert await blob_store.upload_ids() == [OTHER]
    await blob_store.discard(digests[:1])
    expected = sorted(digests[1:], key=str)
    assert await listed(blob_store) == expected
    assert await listed(blob_store, batch=1) == expected
