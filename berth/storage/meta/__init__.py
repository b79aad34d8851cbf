"""The MetaStore port: repositories, manifests, tags, blob links and upload sessions.

Every method is one transaction. Records are frozen dataclasses; nothing returned
does I/O later.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class RepositorySettings:
    """What ECR lets a user choose for a repository."""

    image_tag_mutability: str = "MUTABLE"
    tag_mutability_filters: tuple[str, ...] = ()
    scan_on_push: bool = False
    encryption_type: str = "AES256"
    kms_key: str | None = None


@dataclass(frozen=True, slots=True)
class Repository:
    id: int
    account_id: str
    name: str
    created_at: float
    settings: RepositorySettings = RepositorySettings()


@dataclass(frozen=True, slots=True)
class ManifestRecord:
    repository_id: int
    digest: str
    media_type: str
    artifact_type: str | None
    subject_digest: str | None
    payload: bytes
    pushed_at: float
    image_size: int = 0
    last_pulled_at: float | None = None
    image_status: str = "ACTIVE"           # ACTIVE, ARCHIVED or ACTIVATING
    last_archived_at: float | None = None
    last_activated_at: float | None = None


@dataclass(frozen=True, slots=True)
class Upload:
    id: str
    repository_id: int
    algorithm: str
    created_at: float
    updated_at: float
    hashed_size: int | None = None  # the upload's first hashed_size bytes have
    hashed_digest: str | None = None  # this digest (in the upload's algorithm)


@dataclass(frozen=True, slots=True)
class TemplateRecord:
    """A repository creation template; ``document`` holds its ECR fields as given."""

    prefix: str
    document: dict[str, Any]
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class PreviewRecord:
    """A lifecycle preview: IN_PROGRESS, COMPLETE or FAILED, and its results."""

    status: str
    document: str
    results: list[dict[str, Any]] | None
    created_at: float


@dataclass(frozen=True, slots=True)
class ImageFactsRecord:
    """What lifecycle evaluation needs of one manifest."""

    digest: str
    media_type: str
    pushed_at: float
    last_pulled_at: float | None
    subject_digest: str | None
    image_size: int
    tags: tuple[str, ...]
    listed_by_index: bool
    image_status: str = "ACTIVE"
    last_archived_at: float | None = None
    last_activated_at: float | None = None


@dataclass(frozen=True, slots=True)
class NewJob:
    """Background work to do: one pending job per (kind, key); ``payload`` is JSON-able."""

    kind: str
    key: str
    payload: Mapping[str, Any]
    run_at: float


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed job: its holder owns it until ``lease_until`` or until it reports back."""

    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    attempts: int        # including this one
    lease_owner: str
    lease_until: float


@dataclass(frozen=True, slots=True)
class ScanStart:
    """The scan status a newly pushed image starts with, when it is scanned on push."""

    scan_type: str
    status: str
    description: str


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """A blob row, as garbage collection sees it."""

    digest: str
    size: int


class TagFrozen(ValueError):
    """An immutable tag already exists; the push that would move it stored nothing."""

    def __init__(self, tag: str) -> None:
        super().__init__(tag)
        self.tag = tag


class MissingReferences(LookupError):
    """A manifest names blobs or child manifests the repository does not have."""

    def __init__(self, blobs: Sequence[str], manifests: Sequence[str]) -> None:
        super().__init__(", ".join([*blobs, *manifests]))
        self.blobs = list(blobs)
        self.manifests = list(manifests)


class MetaStore(Protocol):
    async def close(self) -> None: ...

    # the pull path
    async def manifest_by_name(self, account_id: str, name: str, reference: str,
                               by_digest: bool) -> ManifestRecord | None:
        """The manifest a tag (or digest) names in a repository; None when either is
        missing. One query: this is every pull's first request."""

    async def blob_size_by_name(self, account_id: str, name: str, digest: str
                                ) -> tuple[bool, int | None]:
        """Whether the named repository exists, and the size of the blob if it may reach
        it. One query, whichever the answer: a push asks for every layer it is about to
        send, and most of those are missing."""

    async def record_pull(self, repository_id: int, digest: str, now: float,
                          resolution: float) -> None:
        """Set the manifest's last pull time to ``now`` unless it is already within
        ``resolution`` seconds of it."""

    # repositories
    async def get_repository(self, account_id: str, name: str) -> Repository | None:
        """The repository, or None."""

    async def create_repository(self, account_id: str, name: str, now: float,
                                settings: RepositorySettings | None = None,
                                tags: Mapping[str, str] | None = None) -> tuple[Repository, bool]:
        """Create it (with its resource tags) or find the existing one; True when created.

        Safe under races: concurrent calls agree on one repository.
        """

    async def describe_repositories(self, account_id: str, names: Sequence[str] | None,
                                    after: str | None, limit: int) -> list[Repository]:
        """Repositories in name order after ``after``; only ``names`` when given."""

    async def update_repository_settings(self, repository_id: int,
                                         settings: RepositorySettings) -> None: ...

    async def repository_tags(self, repository_id: int) -> dict[str, str]: ...

    async def set_repository_tags(self, repository_id: int, tags: Mapping[str, str],
                                  remove: Sequence[str] = ()) -> dict[str, str]:
        """Upsert ``tags`` and drop the keys in ``remove``, atomically; return the result."""

    async def list_repositories(self, account_id: str, last: str | None, limit: int
                                ) -> list[str]:
        """Names after ``last`` in byte order, at most ``limit``."""

    async def delete_repository(self, repository_id: int) -> None:
        """Remove the repository and everything under it."""

    # blobs
    async def link_blob(self, repository_id: int, digest: str, size: int, now: float,
                        finished_upload: str | None = None,
                        publish: Callable[[], Awaitable[object]] | None = None) -> None:
        """Record the blob and let the repository reach it, and end the upload session
        that made it, in one transaction. Idempotent; linking again renews the link's
        time (its grace period before garbage collection).

        ``publish`` puts the bytes in place (or finds them there); it runs inside the
        transaction while the blob's row is locked, so garbage collection cannot move
        the bytes away between it and the commit. When it raises, nothing is written.
        """

    async def mount_blob(self, repository_id: int, digest: str, now: float) -> int | None:
        """Let the repository reach a blob already stored, in one transaction that
        holds the blob's row; its size, or None (linking nothing) when it is not
        stored, e.g. because garbage collection just deleted it."""

    async def linked_blob_size(self, repository_id: int, digest: str) -> int | None:
        """Size of a blob the repository may reach, or None."""

    async def blob_size(self, digest: str) -> int | None:
        """Size of a blob stored for any repository, or None."""

    async def blob_in_manifest(self, repository_id: int, digest: str) -> bool:
        """Whether a manifest of the repository references the blob."""

    async def unlink_blob(self, repository_id: int, digest: str) -> bool:
        """Stop the repository reaching the blob; True when it could."""

    # uploads
    async def create_upload(self, upload: Upload) -> None: ...

    async def get_upload(self, upload_id: str) -> Upload | None: ...

    async def record_upload_progress(self, upload_id: str, now: float, size: int,
                                     digest: str) -> None:
        """The upload was appended to: it is fresh, and its first ``size`` bytes have
        ``digest``."""

    async def delete_upload(self, upload_id: str) -> None:
        """Idempotent."""

    async def expired_uploads(self, before: float, limit: int) -> list[Upload]:
        """Sessions untouched since ``before``."""

    # manifests and tags
    async def put_manifest(self, record: ManifestRecord, blob_digests: Sequence[str],
                           child_digests: Sequence[str], tags: Sequence[str],
                           frozen_tags: Collection[str] = (), jobs: Sequence[NewJob] = (),
                           scan: ScanStart | None = None) -> bool:
        """Store the manifest and point ``tags`` at it, atomically; True when it is new.

        When it is new, ``jobs`` are queued and its ``scan`` status is written in the
        same transaction (scan on push).

        Raises MissingReferences, storing nothing, when a blob is not linked to the
        repository or a child manifest is not in it, and TagFrozen, storing nothing,
        when a tag in ``frozen_tags`` already exists. Pushing an existing digest again
        keeps its first push time and only moves tags.
        """

    async def get_manifest(self, repository_id: int, digest: str) -> ManifestRecord | None: ...

    async def resolve_tag(self, repository_id: int, tag: str) -> ManifestRecord | None: ...

    async def delete_manifest(self, repository_id: int, digest: str) -> bool:
        """Remove the manifest and its tags; True when it existed."""

    async def delete_tag(self, repository_id: int, tag: str) -> bool: ...

    async def set_image_status(self, repository_id: int, digest: str, current: Collection[str],
                               status: str, now: float) -> bool:
        """Move the image from one of the ``current`` statuses to ``status``, noting when
        it was archived (ARCHIVED) or restored (ACTIVE); False, changing nothing, when it
        is missing or in another status. Atomic."""

    async def list_tags(self, repository_id: int, last: str | None, limit: int) -> list[str]:
        """Tags after ``last`` in byte order, at most ``limit``."""

    async def referrers(self, repository_id: int, subject_digest: str) -> list[ManifestRecord]:
        """Manifests of the repository whose subject is ``subject_digest``."""

    # images, as ECR sees them
    async def count_manifests(self, repository_id: int) -> int: ...

    async def list_manifests(self, repository_id: int, digests: Sequence[str] | None,
                             after: str | None, limit: int) -> list[ManifestRecord]:
        """Manifests in digest order after ``after``; only ``digests`` when given."""

    async def tags_of(self, repository_id: int, digests: Sequence[str]) -> dict[str, list[str]]:
        """Each digest's tags in byte order (an empty list for untagged ones)."""

    async def tag_targets(self, repository_id: int, names: Sequence[str]) -> dict[str, str]:
        """The digest each existing tag among ``names`` points at."""

    async def parents_of(self, repository_id: int, digest: str) -> list[str]:
        """Digests of the indexes in the repository that list ``digest``."""

    async def child_sizes(self, repository_id: int, digests: Sequence[str]) -> list[int]:
        """Image sizes of the listed manifests."""

    # resource policies (JSON text as given)
    async def repository_policy(self, repository_id: int) -> str | None: ...

    async def repository_policy_by_name(self, account_id: str, name: str) -> str | None: ...

    async def repository_tags_by_name(self, account_id: str, name: str) -> dict[str, str]: ...

    async def set_repository_policy(self, repository_id: int, document: str | None) -> bool:
        """Store, or with None remove, the policy; True when one existed before."""

    async def registry_policy(self, account_id: str) -> str | None: ...

    async def set_registry_policy(self, account_id: str, document: str | None) -> bool:
        """Store, or with None remove, the policy; True when one existed before."""

    # lifecycle
    async def lifecycle_policy(self, repository_id: int) -> tuple[str, float | None] | None:
        """The policy text and when it was last evaluated, or None."""

    async def set_lifecycle_policy(self, repository_id: int, document: str | None,
                                   now: float | None = None) -> bool:
        """Store, or with None remove, the policy; True when one existed before."""

    async def lifecycle_evaluated(self, repository_id: int, now: float) -> None: ...

    async def lifecycle_due(self, before: float, limit: int) -> list[Repository]:
        """Repositories whose lifecycle policy was neither evaluated nor put since
        ``before``."""

    async def lifecycle_preview(self, repository_id: int) -> PreviewRecord | None: ...

    async def put_lifecycle_preview(self, repository_id: int, preview: PreviewRecord
                                    ) -> None: ...

    async def image_facts(self, repository_id: int) -> list[ImageFactsRecord]:
        """Every manifest with its tags and whether an index of the repository lists it."""

    # principals whose pulls are not recorded
    async def pull_time_exclusions(self, account_id: str) -> dict[str, float]:
        """Excluded principal ARNs and when each was added."""

    async def set_pull_time_exclusion(self, account_id: str, principal_arn: str,
                                      now: float | None) -> bool:
        """Add (``now`` given) or remove the exclusion; False when nothing changed."""

    # account settings and repository creation templates
    async def account_settings(self, account_id: str) -> dict[str, str]: ...

    async def put_account_setting(self, account_id: str, name: str, value: str) -> None: ...

    async def templates(self, account_id: str) -> dict[str, TemplateRecord]: ...

    async def put_template(self, account_id: str, record: TemplateRecord, *, create: bool
                           ) -> bool:
        """Insert (create) or replace a template; False when it exists (create) or is
        missing (update)."""

    async def delete_template(self, account_id: str, prefix: str) -> bool: ...

    # garbage collection (docs/gc.md): marking reads, deleting re-checks under row locks
    def gc_lock(self) -> AbstractAsyncContextManager[bool]:
        """Hold the registry-wide collector lock for the block: True when this caller
        has it, False (at once, without waiting) when another process or node does."""

    async def prune_links(self, cutoff: float, limit: int) -> int:
        """Delete up to ``limit`` repository links made before ``cutoff`` that no
        manifest of their repository references; return how many. Links a concurrent
        manifest push has checked are left alone. Idempotent."""

    async def count_prunable_links(self, cutoff: float) -> int:
        """How many links ``prune_links`` would delete now."""

    async def unreferenced_blobs(self, after: str | None, limit: int,
                                 linked_since: float | None) -> list[StoredBlob]:
        """Blobs in digest order after ``after`` that no manifest references and no
        link reaches (with ``linked_since``: no link made at or after it). A read;
        ``delete_blobs`` checks again."""

    async def delete_blobs(self, digests: Sequence[str],
                           discard: Callable[[list[str]], Awaitable[None]]) -> list[StoredBlob]:
        """Delete the blob rows among ``digests`` that nothing references any more,
        re-checked under their row locks (rows another transaction holds are skipped),
        and call ``discard`` with them before committing. Atomic: when ``discard``
        raises, no row is deleted. Returns the deleted blobs."""

    async def blobs_present(self, digests: Sequence[str]) -> set[str]:
        """Which of ``digests`` have a blob row."""

    async def blobs_between(self, first: str, last: str) -> set[str]:
        """Digests of the blob rows from ``first`` to ``last`` (inclusive, in the
        database's order): one range read, to compare with a sorted listing."""

    async def adopt_blobs(self, found: Sequence[StoredBlob], now: float) -> list[str]:
        """Insert rows for stored blobs that have none (a crash between placing a file
        and committing its row), unlinked, so they can be collected; return the digests
        adopted. A row inserted meanwhile by an upload wins."""
