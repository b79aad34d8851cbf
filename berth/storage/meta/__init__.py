"""The MetaStore port: repositories, manifests, tags, blob links and upload sessions.

Every method is one transaction. Records are frozen dataclasses; nothing returned
does I/O later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Repository:
    id: int
    account_id: str
    name: str
    created_at: float


@dataclass(frozen=True, slots=True)
class ManifestRecord:
    repository_id: int
    digest: str
    media_type: str
    artifact_type: str | None
    subject_digest: str | None
    payload: bytes
    pushed_at: float


@dataclass(frozen=True, slots=True)
class Upload:
    id: str
    repository_id: int
    algorithm: str
    created_at: float
    updated_at: float


class MissingReferences(LookupError):
    """A manifest names blobs or child manifests the repository does not have."""

    def __init__(self, blobs: Sequence[str], manifests: Sequence[str]) -> None:
        super().__init__(", ".join([*blobs, *manifests]))
        self.blobs = list(blobs)
        self.manifests = list(manifests)


class MetaStore(Protocol):
    async def close(self) -> None: ...

    # repositories
    async def get_repository(self, account_id: str, name: str) -> Repository | None:
        """The repository, or None."""

    async def create_repository(self, account_id: str, name: str, now: float) -> Repository:
        """Create it, or return the existing one (idempotent, safe under races)."""

    async def list_repositories(self, account_id: str, last: str | None, limit: int
                                ) -> list[str]:
        """Names after ``last`` in byte order, at most ``limit``."""

    async def delete_repository(self, repository_id: int) -> None:
        """Remove the repository and everything under it."""

    # blobs
    async def link_blob(self, repository_id: int, digest: str, size: int, now: float) -> None:
        """Record the stored blob and let the repository reach it. Idempotent."""

    async def linked_blob_size(self, repository_id: int, digest: str) -> int | None:
        """Size of a blob the repository may reach, or None."""

    async def blob_size(self, digest: str) -> int | None:
        """Size of a blob stored for any repository, or None."""

    async def unlink_blob(self, repository_id: int, digest: str) -> bool:
        """Stop the repository reaching the blob; True when it could."""

    # uploads
    async def create_upload(self, upload: Upload) -> None: ...

    async def get_upload(self, upload_id: str) -> Upload | None: ...

    async def touch_upload(self, upload_id: str, now: float) -> None: ...

    async def delete_upload(self, upload_id: str) -> None:
        """Idempotent."""

    async def expired_uploads(self, before: float, limit: int) -> list[Upload]:
        """Sessions untouched since ``before``."""

    # manifests and tags
    async def put_manifest(self, record: ManifestRecord, blob_digests: Sequence[str],
                           child_digests: Sequence[str], tags: Sequence[str]) -> None:
        """Store the manifest and point ``tags`` at it, atomically.

        Raises MissingReferences, storing nothing, when a blob is not linked to the
        repository or a child manifest is not in it. Pushing an existing digest again
        keeps its first push time and only moves tags.
        """

    async def get_manifest(self, repository_id: int, digest: str) -> ManifestRecord | None: ...

    async def resolve_tag(self, repository_id: int, tag: str) -> ManifestRecord | None: ...

    async def delete_manifest(self, repository_id: int, digest: str) -> bool:
        """Remove the manifest and its tags; True when it existed."""

    async def delete_tag(self, repository_id: int, tag: str) -> bool: ...

    async def list_tags(self, repository_id: int, last: str | None, limit: int) -> list[str]:
        """Tags after ``last`` in byte order, at most ``limit``."""

    async def referrers(self, repository_id: int, subject_digest: str) -> list[ManifestRecord]:
        """Manifests of the repository whose subject is ``subject_digest``."""
