"""Manifests, tags and referrers: what an image is, and the names that point at it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from berth.clock import Clock
from berth.errors import (
    DigestInvalid,
    ImageTagAlreadyExists,
    LayersNotFound,
    ManifestInvalid,
    ManifestTooLarge,
    ManifestUnknown,
    ReferencedImagesNotFound,
)
from berth.oci.digest import Digest, DigestError, is_digest
from berth.oci.manifest import (
    MAX_MANIFEST_BYTES,
    Descriptor,
    Manifest,
    ManifestError,
    parse_manifest,
)
from berth.oci.names import valid_tag
from berth.services.immutability import tag_is_immutable
from berth.services.repositories import check_name, repository_missing
from berth.services.scanning import Scanning
from berth.storage.meta import (
    ManifestRecord,
    MetaStore,
    MissingReferences,
    Repository,
    TagFrozen,
)

_NONDISTRIBUTABLE = ("application/vnd.oci.image.layer.nondistributable",
                     "application/vnd.docker.image.rootfs.foreign")
MAX_TAGS_PER_PUSH = 100
PULL_TIME_RESOLUTION = 60.0  # seconds; ECR promises at least daily
MAX_PULL_MARKS = 100_000


@dataclass(frozen=True, slots=True)
class PushedManifest:
    digest: Digest
    subject: Digest | None
    tags: tuple[str, ...]


class Images:
    def __init__(self, meta: MetaStore, clock: Clock, scanning: Scanning | None = None) -> None:
        self.meta = meta
        self.clock = clock
        self.scanning = scanning
        # (repository id, digest, principal) -> when this process last wrote its pull
        self._pull_marks: dict[tuple[int, str, str], float] = {}

    async def get(self, repo: Repository, reference: str) -> ManifestRecord:
        """The manifest a tag or digest names; MANIFEST_UNKNOWN when there is none."""
        if is_digest(reference):
            digest = _reference_digest(reference)
            record = await self.meta.get_manifest(repo.id, str(digest))
        elif valid_tag(reference):
            record = await self.meta.resolve_tag(repo.id, reference)
        else:
            record = None
        if record is None:
            raise ManifestUnknown(f"manifest {reference[:200]!r} not found in {repo.name!r}",
                                  detail={"reference": reference[:200]})
        return record

    async def pull(self, account_id: str, name: str, reference: str) -> ManifestRecord:
        """The manifest to serve for a pull, in one query when it exists; NAME_INVALID,
        NAME_UNKNOWN or MANIFEST_UNKNOWN otherwise."""
        check_name(name)
        by_digest = is_digest(reference)
        if by_digest:
            reference = str(_reference_digest(reference))
        record = (await self.meta.manifest_by_name(account_id, name, reference, by_digest)
                  if by_digest or valid_tag(reference) else None)
        if record is not None and record.image_status == "ACTIVE":
            return record
        if record is not None:  # archived images are listed but cannot be pulled (ECR: 404)
            raise ManifestUnknown(
                f"manifest {reference[:200]!r} in {name!r} is {record.image_status.lower()}; "
                "restore it with UpdateImageStorageClass to pull it",
                detail={"reference": reference[:200], "imageStatus": record.image_status})
        repo = await self.meta.get_repository(account_id, name)
        if repo is None:
            raise repository_missing(account_id, name)
        raise ManifestUnknown(f"manifest {reference[:200]!r} not found in {name!r}",
                              detail={"reference": reference[:200]})

    def needs_pull_record(self, record: ManifestRecord, principal_arn: str) -> bool:
        """Whether this pull of ``record`` should be written down: a hot image's pull
        time is written at most once per PULL_TIME_RESOLUTION seconds by each process.

        The process marks the write here, before it is made, so that the pulls arriving
        while it is under way do not each queue one more. (They did: at thousands of
        pulls a second, every minute brought a burst of writes that held each
        connection for up to a second.) The mark is per principal, as an excluded
        principal's pull is not written and must not stand in for another's.
        """
        now = self.clock.now()
        key = (record.repository_id, record.digest, principal_arn)
        written = max(record.last_pulled_at or 0.0, self._pull_marks.get(key, 0.0))
        if written >= now - PULL_TIME_RESOLUTION:
            return False
        if len(self._pull_marks) >= MAX_PULL_MARKS:
            self._pull_marks.clear()
        self._pull_marks[key] = now
        return True

    async def record_pull(self, record: ManifestRecord, account_id: str,
                          principal_arn: str) -> None:
        """Write the pull time, unless the puller is one of the account's pull-time
        exclusions (a user or role ARN; a role's sessions count as the role)."""
        if principal_arn in await self.meta.pull_time_exclusions(account_id):
            return
        await self.meta.record_pull(record.repository_id, record.digest, self.clock.now(),
                                    PULL_TIME_RESOLUTION)

    async def put(self, repo: Repository, reference: str, payload: bytes,
                  content_type: str | None, extra_tags: list[str]) -> PushedManifest:
        """Store a manifest pushed by tag or digest (with ``?tag=`` extra tags)."""
        if len(payload) > MAX_MANIFEST_BYTES:
            raise ManifestTooLarge()
        manifest = parse_manifest_payload(payload, content_type)
        digest, tags = _digest_and_tags(reference, payload, extra_tags)
        pushed, _ = await self.store(repo, manifest, payload, digest, tags)
        return pushed

    async def store(self, repo: Repository, manifest: Manifest, payload: bytes, digest: Digest,
                    tags: list[str]) -> tuple[PushedManifest, bool]:
        """Store a parsed manifest under its tags; True when the manifest is new.

        Immutable tags (by the repository's settings) may be created but never moved.
        """
        children = [str(c.digest) for c in manifest.children]
        size = (max(await self.meta.child_sizes(repo.id, children), default=0)
                if manifest.is_index else sum(layer.size for layer in manifest.layers))
        record = ManifestRecord(
            repository_id=repo.id, digest=str(digest), media_type=manifest.media_type,
            artifact_type=manifest.artifact_type,
            subject_digest=str(manifest.subject.digest) if manifest.subject else None,
            payload=payload, pushed_at=self.clock.now(), image_size=size)
        frozen = {t for t in tags if tag_is_immutable(repo.settings, t)}
        jobs, scan = ([], None) if self.scanning is None or manifest.is_index else \
            await self.scanning.on_push(repo, str(digest))
        try:
            created = await self.meta.put_manifest(record, _required_blobs(manifest), children,
                                                   tags, frozen, jobs, scan)
        except MissingReferences as exc:
            error = ReferencedImagesNotFound if exc.manifests else LayersNotFound
            raise error(f"manifest references unknown content: {exc}",
                        detail={"blobs": exc.blobs, "manifests": exc.manifests}) from None
        except TagFrozen as exc:
            raise ImageTagAlreadyExists(
                f"The image tag '{exc.tag}' already exists in the '{repo.name}' repository "
                "and cannot be overwritten because the tag is immutable.") from None
        subject = manifest.subject.digest if manifest.subject else None
        return PushedManifest(digest, subject, tuple(tags)), created

    async def delete(self, repo: Repository, reference: str) -> None:
        """Delete a manifest by digest (with its tags), or just a tag."""
        if is_digest(reference):
            found = await self.meta.delete_manifest(repo.id, str(_reference_digest(reference)))
        else:
            found = valid_tag(reference) and await self.meta.delete_tag(repo.id, reference)
        if not found:
            raise ManifestUnknown(detail={"reference": reference[:200]})

    async def tags(self, repo: Repository, last: str | None, limit: int) -> list[str]:
        return await self.meta.list_tags(repo.id, last, limit)

    async def referrers(self, repo: Repository, subject: Digest, artifact_type: str | None
                        ) -> list[Descriptor]:
        records = await self.meta.referrers(repo.id, str(subject))
        found = [_descriptor(record) for record in records]
        if artifact_type is not None:
            found = [d for d in found if d.artifact_type == artifact_type]
        return found


def acceptable(media_type: str, accept: list[str]) -> bool:
    """Whether a client whose Accept lists ``accept`` takes a manifest of ``media_type``.

    No Accept header takes anything, as do ``*/*`` and ``application/json``.
    """
    if not accept:
        return True
    return any(a in (media_type, "*/*", "application/*", "application/json") for a in accept)


def parse_manifest_payload(payload: bytes, content_type: str | None) -> Manifest:
    try:
        return parse_manifest(payload, content_type)
    except ManifestError as exc:
        raise ManifestInvalid(str(exc)) from None


def _reference_digest(reference: str) -> Digest:
    try:
        return Digest.parse(reference)
    except DigestError as exc:
        raise DigestInvalid(str(exc), detail={"reference": reference[:200]}) from None


def _digest_and_tags(reference: str, payload: bytes, extra_tags: list[str]
                     ) -> tuple[Digest, list[str]]:
    tags = list(dict.fromkeys(extra_tags))
    if is_digest(reference):
        claimed = _reference_digest(reference)
        digest = Digest.of(payload, claimed.algorithm)
        if digest != claimed:
            raise DigestInvalid(f"manifest digest is {digest}, not {claimed}",
                                detail={"digest": reference})
    else:
        digest = Digest.of(payload)
        tags.insert(0, reference)
    bad = [t for t in tags if not valid_tag(t)]
    if bad:
        raise ManifestInvalid(f"invalid tag {bad[0][:200]!r}", detail={"tag": bad[0][:200]})
    if len(tags) > MAX_TAGS_PER_PUSH:
        raise ManifestInvalid(f"at most {MAX_TAGS_PER_PUSH} tags per push")
    return digest, list(dict.fromkeys(tags))


def _required_blobs(manifest: Manifest) -> list[str]:
    """Blobs that must be in the repository: all but non-distributable layers with URLs."""
    required = [str(manifest.config.digest)] if manifest.config else []
    for layer in manifest.layers:
        if layer.media_type.startswith(_NONDISTRIBUTABLE):
            continue
        required.append(str(layer.digest))
    return list(dict.fromkeys(required))


def _descriptor(record: ManifestRecord) -> Descriptor:
    try:
        annotations = json.loads(record.payload).get("annotations") or None
    except (ValueError, AttributeError):
        annotations = None
    return Descriptor(
        media_type=record.media_type,
        digest=Digest.parse(record.digest),
        size=len(record.payload),
        artifact_type=record.artifact_type,
        annotations=annotations if isinstance(annotations, dict) else None,
    )
