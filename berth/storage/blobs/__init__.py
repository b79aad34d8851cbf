"""The BlobStore port: content-addressed bytes, and the upload sessions that make them.

A blob becomes visible under a digest only after its bytes were verified to have
that digest; uploads write to a private name and ``commit_upload`` publishes them
atomically. Readers stream; nothing holds a whole blob in memory.

Garbage collection moves a blob aside (``discard``) inside the metadata transaction
that deletes its row, and deletes it for good (``purge``) after that commits; a
crash in between leaves it in the trash, from where the next pass puts it back
(``restore``) or purges it, by whether the row still exists. See docs/gc.md.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from berth.oci.digest import Digest, Hasher

_UPLOAD_ID_RE = re.compile(r"^[0-9a-f]{32}$")


class BlobMissing(LookupError):
    """No blob (or upload) is stored under that name."""


class UploadConflict(RuntimeError):
    """The upload does not end at the offset the caller expected, or another writer holds it."""

    def __init__(self, size: int) -> None:
        super().__init__(f"upload is {size} bytes long")
        self.size = size


def check_upload_id(upload_id: str) -> str:
    """Upload ids are 32 lowercase hex characters; anything else never reaches a path."""
    if not _UPLOAD_ID_RE.match(upload_id):
        raise BlobMissing(upload_id)
    return upload_id


class BlobStore(Protocol):
    async def stat(self, digest: Digest) -> int | None:
        """Size of the blob, or None when it is not stored."""

    def read(self, digest: Digest, offset: int = 0, length: int | None = None
             ) -> AsyncIterator[bytes | bytearray]:
        """Stream ``length`` bytes (all when None) from ``offset``. Raises BlobMissing."""

    def local_path(self, digest: Digest) -> str | None:
        """A filesystem path of the blob (the scanner reads layers there), or None."""

    async def delete(self, digest: Digest) -> bool:
        """Remove the blob; True when it existed. Idempotent."""

    async def create_upload(self, upload_id: str) -> None:
        """Start an empty upload session."""

    async def upload_size(self, upload_id: str) -> int:
        """Bytes received so far. Raises BlobMissing."""

    async def append_upload(self, upload_id: str, offset: int, chunks: AsyncIterable[bytes],
                            hasher: Hasher | None, limit: int | None = None) -> int:
        """Append the stream at ``offset``; feed every byte to ``hasher``; return the new size.

        Raises UploadConflict when the upload is not ``offset`` bytes long or another
        request is appending to it, and ValueError past ``limit`` bytes in total.
        Bytes received before a client disconnect stay appended.
        """

    def closing_upload(self, upload_id: str) -> AbstractAsyncContextManager[int]:
        """Hold the upload against appends while it is verified and committed; gives its
        size. Raises UploadConflict when a request is appending to it, BlobMissing when
        it is gone. An append that comes after the commit finds nothing to append to:
        no byte can land in a published blob."""

    async def hash_upload(self, upload_id: str, hasher: Hasher) -> int:
        """Feed the upload's bytes so far to ``hasher`` (to resume after a restart)."""

    async def seal_upload(self, upload_id: str) -> int:
        """Make the upload's bytes durable and return their size; raises BlobMissing.

        Done before the metadata transaction that publishes the blob, so that the
        ``commit_upload`` inside it has little left to wait for.
        """

    async def commit_upload(self, upload_id: str, digest: Digest) -> int:
        """Publish the upload's bytes as ``digest`` (already verified) and end the session.

        Atomic and durable: afterwards the blob is fully on disk, and before it
        nothing is visible under ``digest``. When the blob already exists the upload
        is just dropped. Returns the blob's size. Callers run it while they hold the
        blob's metadata row locked (``MetaStore.link_blob``'s ``publish``).
        """

    async def delete_upload(self, upload_id: str) -> None:
        """Drop an upload session's bytes. Idempotent."""

    async def upload_ids(self) -> list[str]:
        """Every upload session that has bytes stored (for finding orphaned ones)."""

    # garbage collection

    def stored_blobs(self, batch: int) -> AsyncIterator[list[Digest]]:
        """Every stored blob, in lists of about ``batch``, all in the order of their
        digests' text; trash and uploads excluded. Blobs stored or discarded meanwhile
        may be missed."""

    async def discard(self, digests: Sequence[Digest]) -> None:
        """Move the blobs into the trash: nothing is stored under their digests any
        more, and ``restore`` can bring them back until ``purge``. Missing ones are
        skipped. Idempotent; readers that already opened a blob finish reading it."""

    async def restore(self, digests: Sequence[Digest]) -> int:
        """Put trashed blobs back under their digests; return how many came back. A
        blob stored again meanwhile is kept and its trashed copy dropped. Idempotent."""

    async def purge(self, digests: Sequence[Digest]) -> int:
        """Delete trashed blobs for good; return the bytes freed. Idempotent."""

    async def trashed(self) -> list[Digest]:
        """Digests with a copy in the trash."""
