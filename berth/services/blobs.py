"""Blobs and upload sessions: the push and pull of layers, with ranges and resumption.

An upload's bytes live in the BlobStore under its session id; its record lives in
the MetaStore. ``finish`` verifies the digest of everything received and makes the
bytes durable; then one metadata transaction locks the blob's row, commits the bytes
under their digest (or finds them there) and links the blob to the repository, so
metadata never names a blob that is not stored and garbage collection never moves
bytes away that a link is about to need (docs/gc.md). Abandoned sessions are removed
by ``berth.services.gc``.
"""

from __future__ import annotations

import re
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from functools import partial

from berth.clock import Clock
from berth.errors import (
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    RangeNotSatisfiable,
    SizeInvalid,
    UploadOutOfOrder,
)
from berth.oci.digest import ALGORITHMS, DEFAULT_ALGORITHM, Digest, DigestError, Hasher, new_hasher
from berth.services.repositories import repository_missing
from berth.storage.blobs import BlobMissing, BlobStore, UploadConflict
from berth.storage.meta import MetaStore, Repository, Upload

MAX_BLOB_BYTES = 64 * 1024**3
RECORD_DIGEST_FROM = 4 * 1024**2  # a PATCH this big records the digest so far (see append)
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CONTENT_RANGE_RE = re.compile(r"^(?:bytes[= ])?(\d+)-(\d+)(?:/(?:\d+|\*))?$")


@dataclass(frozen=True, slots=True)
class BlobRead:
    """What a GET or HEAD of a blob sends: the whole blob or one byte range of it."""

    digest: Digest
    size: int
    start: int
    length: int
    partial: bool

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.start + self.length - 1}/{self.size}"


@dataclass(frozen=True, slots=True)
class UploadState:
    id: str
    size: int


def parse_digest(text: str | None) -> Digest:
    if not text:
        raise DigestInvalid("a digest is required")
    try:
        return Digest.parse(text)
    except DigestError as exc:
        raise DigestInvalid(str(exc), detail={"digest": text[:200]}) from None


def parse_content_range(text: str) -> tuple[int, int]:
    """``start-end`` (inclusive) from a PATCH's Content-Range."""
    match = _CONTENT_RANGE_RE.match(text.strip())
    if match is None:
        raise UploadOutOfOrder(f"malformed Content-Range {text[:100]!r}")
    start, end = int(match.group(1)), int(match.group(2))
    if end < start:
        raise UploadOutOfOrder(f"Content-Range {text[:100]!r} ends before it starts")
    return start, end


class Blobs:
    def __init__(self, meta: MetaStore, store: BlobStore, clock: Clock,
                 upload_expiry: float = 24 * 3600) -> None:
        self.meta = meta
        self.store = store
        self.clock = clock
        # An upload's last-activity time is written at most this often: a fraction of
        # the expiry, so a live upload is never taken for an abandoned one.
        self.touch_every = min(60.0, upload_expiry / 4)
        # Running hash of uploads this process is receiving, so a chunked upload is
        # hashed once; another node or a restart rehashes what is on disk instead.
        self._hashers: OrderedDict[str, tuple[int, str, Hasher]] = OrderedDict()

    # reading

    async def size(self, repo: Repository, digest: Digest) -> int:
        size = await self.meta.linked_blob_size(repo.id, str(digest))
        if size is None:
            raise BlobUnknown(detail={"digest": str(digest)})
        return size

    async def open(self, repo: Repository, digest: Digest, range_header: str | None) -> BlobRead:
        return self._read(digest, await self.size(repo, digest), range_header)

    async def pull(self, account_id: str, name: str, digest: Digest, range_header: str | None
                   ) -> BlobRead:
        """A blob of the named repository, in one query when it is there."""
        found, size = await self.meta.blob_size_by_name(account_id, name, str(digest))
        if size is None:
            if not found:
                raise repository_missing(account_id, name)
            raise BlobUnknown(detail={"digest": str(digest)})
        return self._read(digest, size, range_header)

    def _read(self, digest: Digest, size: int, range_header: str | None) -> BlobRead:
        start, length, partial = _byte_range(range_header, size)
        return BlobRead(digest, size, start, length, partial)

    def stream(self, read: BlobRead) -> AsyncIterator[bytes | bytearray]:
        return self.store.read(read.digest, read.start, read.length)

    async def unlink(self, repo: Repository, digest: Digest) -> None:
        if not await self.meta.unlink_blob(repo.id, str(digest)):
            raise BlobUnknown(detail={"digest": str(digest)})

    async def mount(self, repo: Repository, digest: Digest, source: Repository | None) -> bool:
        """Link a blob of another repository of the account, by ECR's rule; False when not.

        ECR mounts only when the account enabled BLOB_MOUNTING, both repositories are
        encrypted alike, and a manifest of the source references the blob.
        """
        if source is None or source.account_id != repo.account_id:
            return False
        settings = await self.meta.account_settings(repo.account_id)
        if settings.get("BLOB_MOUNTING", "DISABLED") != "ENABLED":
            return False
        if ((source.settings.encryption_type, source.settings.kms_key)
                != (repo.settings.encryption_type, repo.settings.kms_key)):
            return False
        if not await self.meta.blob_in_manifest(source.id, str(digest)):
            return False
        if await self.meta.linked_blob_size(source.id, str(digest)) is None:
            return False
        return await self.meta.mount_blob(repo.id, str(digest), self.clock.now()) is not None

    # uploads

    async def start_upload(self, repo: Repository, algorithm: str | None = None) -> UploadState:
        algorithm = algorithm or DEFAULT_ALGORITHM
        if algorithm not in ALGORITHMS:
            raise DigestInvalid(f"unsupported digest algorithm {algorithm[:50]!r}")
        upload_id = uuid.uuid4().hex
        now = self.clock.now()
        # The row first: an upload file without a row is an orphan to garbage collection.
        await self.meta.create_upload(Upload(upload_id, repo.id, algorithm, now, now))
        await self.store.create_upload(upload_id)
        self._remember(upload_id, 0, algorithm, new_hasher(algorithm))
        return UploadState(upload_id, 0)

    async def upload_state(self, repo: Repository, upload_id: str) -> UploadState:
        await self._upload(repo, upload_id)
        return UploadState(upload_id, await self._stored_size(upload_id))

    async def append(self, repo: Repository, upload_id: str, body: AsyncIterable[bytes],
                     content_range: str | None, content_length: int | None) -> UploadState:
        upload = await self._upload(repo, upload_id)
        offset = await self._stored_size(upload_id)
        if content_range is not None:
            start, end = parse_content_range(content_range)
            if start != offset:
                raise UploadOutOfOrder(
                    f"chunk starts at {start} but the upload has {offset} bytes",
                    headers=_range_headers(upload_id, offset))
            if content_length is not None and content_length != end - start + 1:
                raise UploadOutOfOrder("Content-Range and Content-Length disagree",
                                       headers=_range_headers(upload_id, offset))
        size, hasher = await self._receive(upload, offset, body)
        now = self.clock.now()
        # Expiry needs no finer clock than touch_every. The digest so far lets a PUT on
        # another process close the upload without reading it again: worth a write for
        # a big chunk, not for each of many small ones (hashing a MiB again is cheaper).
        if size - offset >= RECORD_DIGEST_FROM or now - upload.updated_at >= self.touch_every:
            await self.meta.record_upload_progress(
                upload_id, now, size, f"{upload.algorithm}:{hasher.hexdigest()}")
        return UploadState(upload_id, size)

    async def finish(self, repo: Repository, upload_id: str, digest_text: str | None,
                     body: AsyncIterable[bytes] | None) -> Digest:
        """Close the upload with its last bytes; verify, commit and link the blob."""
        digest = parse_digest(digest_text)
        upload = await self._upload(repo, upload_id)
        received = None
        if body is not None:
            received, _ = await self._receive(upload, await self._stored_size(upload_id), body)
        try:
            # Held from the digest check to the commit: no append can slip in between,
            # nor write into the blob once it is published under its digest.
            async with self.store.closing_upload(upload_id) as size:
                if received is not None and size != received:
                    raise BlobUploadInvalid("upload changed while it was being closed")
                actual = await self._digest(upload, size, digest.algorithm)
                if actual != digest:
                    await self._drop(upload_id)
                    raise DigestInvalid(f"content digest is {actual}, not {digest}",
                                        detail={"digest": str(digest)})
                size = await self.store.seal_upload(upload_id)
                await self.meta.link_blob(
                    repo.id, str(digest), size, self.clock.now(), finished_upload=upload_id,
                    publish=partial(self.store.commit_upload, upload_id, digest))
        except UploadConflict as exc:
            raise _busy(upload_id, exc.size) from None
        except BlobMissing:  # expired or cancelled meanwhile
            raise BlobUploadUnknown(detail={"upload": upload_id}) from None
        self._hashers.pop(upload_id, None)
        return digest

    async def cancel(self, repo: Repository, upload_id: str) -> None:
        await self._upload(repo, upload_id)
        await self._drop(upload_id)

    async def _upload(self, repo: Repository, upload_id: str) -> Upload:
        upload = await self.meta.get_upload(upload_id) if _plausible_id(upload_id) else None
        if upload is None or upload.repository_id != repo.id:
            raise BlobUploadUnknown(detail={"upload": upload_id[:64]})
        return upload

    async def _stored_size(self, upload_id: str) -> int:
        try:
            return await self.store.upload_size(upload_id)
        except BlobMissing:
            raise BlobUploadUnknown(detail={"upload": upload_id}) from None

    async def _receive(self, upload: Upload, offset: int, body: AsyncIterable[bytes]
                       ) -> tuple[int, Hasher]:
        hasher = await self._hasher_at(upload, offset, upload.algorithm)
        self._hashers.pop(upload.id, None)  # stale if this append fails half-way
        try:
            size = await self.store.append_upload(upload.id, offset, body, hasher,
                                                  limit=MAX_BLOB_BYTES)
        except UploadConflict as exc:
            raise _busy(upload.id, exc.size) from None
        except BlobMissing:
            raise BlobUploadUnknown(detail={"upload": upload.id}) from None
        except ValueError as exc:
            raise SizeInvalid(str(exc)) from None
        self._remember(upload.id, size, upload.algorithm, hasher)
        return size, hasher

    async def _hasher_at(self, upload: Upload, offset: int, algorithm: str) -> Hasher:
        cached = self._hashers.get(upload.id)
        if cached is not None and cached[0] == offset and cached[1] == algorithm:
            return cached[2]
        hasher = new_hasher(algorithm)
        try:
            hashed = await self.store.hash_upload(upload.id, hasher)
        except BlobMissing:
            raise BlobUploadUnknown(detail={"upload": upload.id}) from None
        if hashed != offset:
            raise BlobUploadInvalid("upload changed while it was being read")
        return hasher

    async def _digest(self, upload: Upload, size: int, algorithm: str) -> Digest:
        cached = self._hashers.get(upload.id)
        recorded = upload.hashed_digest
        if (cached is None or cached[0] != size) and upload.hashed_size == size \
                and recorded is not None and recorded.startswith(algorithm + ":"):
            return Digest.parse(recorded)  # written by the process that received the bytes
        hasher = await self._hasher_at(upload, size, algorithm)
        return Digest(algorithm, hasher.hexdigest())

    async def _drop(self, upload_id: str) -> None:
        self._hashers.pop(upload_id, None)
        await self.store.delete_upload(upload_id)
        await self.meta.delete_upload(upload_id)

    def _remember(self, upload_id: str, size: int, algorithm: str, hasher: Hasher) -> None:
        self._hashers[upload_id] = (size, algorithm, hasher)
        self._hashers.move_to_end(upload_id)
        while len(self._hashers) > 4096:
            self._hashers.popitem(last=False)


def _byte_range(header: str | None, size: int) -> tuple[int, int, bool]:
    """(start, length, partial) for a single-range ``Range`` header; others are ignored."""
    match = _RANGE_RE.match(header.strip()) if header else None
    if match is None or match.group(1) == match.group(2) == "":
        return 0, size, False
    first, last = match.groups()
    if first == "":
        start = max(0, size - int(last))
        end = size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
        if last and int(last) < start:
            return 0, size, False  # syntactically invalid: ignored, as RFC 9110 says
    if start >= size or end < start:
        raise RangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
    return start, end - start + 1, True


def _busy(upload_id: str, size: int) -> UploadOutOfOrder:
    return UploadOutOfOrder(f"upload has {size} bytes or is being written by another request",
                            headers=_range_headers(upload_id, size))


def _range_headers(upload_id: str, size: int) -> dict[str, str]:
    return {"Range": f"0-{max(size - 1, 0)}", "Docker-Upload-UUID": upload_id}


def _plausible_id(upload_id: str) -> bool:
    return len(upload_id) == 32 and all(c in "0123456789abcdef" for c in upload_id)
