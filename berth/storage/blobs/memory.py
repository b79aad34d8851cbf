"""Blobs in a dict: the in-memory backend for tests and the in-process fake."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

from berth.oci.digest import Digest, Hasher
from berth.storage.blobs import BlobMissing, UploadConflict, check_upload_id


class MemoryBlobStore:
    def __init__(self) -> None:
        self._blobs: dict[Digest, bytes] = {}
        self._uploads: dict[str, bytearray] = {}
        self._busy: set[str] = set()

    async def stat(self, digest: Digest) -> int | None:
        blob = self._blobs.get(digest)
        return None if blob is None else len(blob)

    def local_path(self, digest: Digest) -> str | None:
        return None

    async def read(self, digest: Digest, offset: int = 0, length: int | None = None
                   ) -> AsyncIterator[bytes]:
        blob = self._blobs.get(digest)
        if blob is None:
            raise BlobMissing(str(digest))
        end = len(blob) if length is None else offset + length
        yield blob[offset:end]

    async def delete(self, digest: Digest) -> bool:
        return self._blobs.pop(digest, None) is not None

    async def create_upload(self, upload_id: str) -> None:
        self._uploads[check_upload_id(upload_id)] = bytearray()

    async def upload_size(self, upload_id: str) -> int:
        return len(self._upload(upload_id))

    async def append_upload(self, upload_id: str, offset: int, chunks: AsyncIterable[bytes],
                            hasher: Hasher | None, limit: int | None = None) -> int:
        data = self._upload(upload_id)
        if len(data) != offset or upload_id in self._busy:
            raise UploadConflict(len(data))
        self._busy.add(upload_id)
        try:
            async for chunk in chunks:
                if limit is not None and len(data) + len(chunk) > limit:
                    raise ValueError(f"upload exceeds {limit} bytes")
                if hasher is not None:
                    hasher.update(chunk)
                data.extend(chunk)
        finally:
            self._busy.discard(upload_id)
        return len(data)

    async def hash_upload(self, upload_id: str, hasher: Hasher) -> int:
        data = self._upload(upload_id)
        hasher.update(bytes(data))
        return len(data)

    async def commit_upload(self, upload_id: str, digest: Digest) -> int:
        data = bytes(self._upload(upload_id))
        del self._uploads[upload_id]
        self._blobs.setdefault(digest, data)
        return len(data)

    async def delete_upload(self, upload_id: str) -> None:
        self._uploads.pop(upload_id, None)

    def _upload(self, upload_id: str) -> bytearray:
        try:
            return self._uploads[upload_id]
        except KeyError:
            raise BlobMissing(upload_id) from None
