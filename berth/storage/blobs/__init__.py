"""The BlobStore port: content-addressed bytes, and the upload sessions that make them.

A blob becomes visible under a digest only after its bytes were verified to have
that digest; uploads write to a private name and ``commit_upload`` publishes them
atomically. Readers stream; nothing holds a whole blob in memory.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator
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
             ) -> AsyncIterator[bytes]:
        """Stream ``length`` bytes (all when None) from ``offset``. Raises BlobMissing."""

    def local_path(self, digest: Digest) -> str | None:
        """A filesystem path the server may send with zero copies, or None."""

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

    async def hash_upload(self, upload_id: str, hasher: Hasher) -> int:
        """Feed the upload's bytes so far to ``hasher`` (to resume after a restart)."""

    async def commit_upload(self, upload_id: str, digest: Digest) -> int:
        """Publish the upload's bytes as ``digest`` (already verified) and end the session.

        Atomic and durable: afterwards the blob is fully on disk, and before it
        nothing is visible under ``digest``. When the blob already exists the upload
        is just dropped. Returns the blob's size.
        """

    async def delete_upload(self, upload_id: str) -> None:
        """Drop an upload session's bytes. Idempotent."""
