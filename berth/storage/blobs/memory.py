"""Blobs in a dict: the in-memory backend for tests and the in-process fake."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Sequence

from berth.oci.digest import Digest, Hasher
from berth.storage.blobs import BlobMissing, UploadConflict, check_upload_id


class MemoryBlobStore:
    def __init__(self) -> None:
        self._blobs: dict[Digest, bytes] = {}
        self._uploads: dict[str, bytearray] = {}
        self._busy: set[str] = set()
        self._trash: dict[Digest, bytes] = {}

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

    @contextlib.asynccontextmanager
    async def closing_upload(self, upload_id: str) -> AsyncIterator[int]:
        data = self._upload(upload_id)
        if upload_id in self._busy:
            raise UploadConflict(len(data))
        self._busy.add(upload_id)
        try:
            yield len(data)
        finally:
            self._busy.discard(upload_id)

    async def hash_upload(self, upload_id: str, hasher: Hasher) -> int:
        data = self._upload(upload_id)
        hasher.update(bytes(data))
        return len(data)

    async def seal_upload(self, upload_id: str) -> int:
        return len(self._upload(upload_id))

    async def commit_upload(self, upload_id: str, digest: Digest) -> int:
        data = bytes(self._upload(upload_id))
        del self._uploads[upload_id]
        self._blobs.setdefault(digest, data)
        return len(data)

    async def delete_upload(self, upload_id: str) -> None:
        self._uploads.pop(upload_id, None)

    async def upload_ids(self) -> list[str]:
        return list(self._uploads)

    async def stored_blobs(self, batch: int) -> AsyncIterator[list[Digest]]:
        found = sorted(self._blobs, key=str)
        for start in range(0, len(found), batch):
            yield found[start:start + batch]

    async def discard(self, digests: Sequence[Digest]) -> None:
        for digest in digests:
            if digest in self._blobs:
                self._trash[digest] = self._blobs.pop(digest)

    async def restore(self, digests: Sequence[Digest]) -> int:
        restored = 0
        for digest in digests:
            data = self._trash.pop(digest, None)
            if data is not None and digest not in self._blobs:
                self._blobs[digest] = data
                restored += 1
        return restored

    async def purge(self, digests: Sequence[Digest]) -> int:
        return sum(len(self._trash.pop(d, b"")) for d in digests)

    async def trashed(self) -> list[Digest]:
        return list(self._trash)

    def _upload(self, upload_id: str) -> bytearray:
        try:
            return self._uploads[upload_id]
        except KeyError:
            raise BlobMissing(upload_id) from None
