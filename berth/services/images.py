"""Manifests, tags and referrers: what an image is, and the names that point at it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from berth.clock import Clock
from berth.errors import (
    DigestInvalid,
    ImageAlreadyExists,
    ImageDigestDoesNotMatch,
    ImageTagAlreadyExists,
    LayersNotFound,
    ManifestInvalid,
    ManifestTooLarge,
    ManifestUnknown,
    NameUnknown,
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
from berth.services.repositories import check_name
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


@dataclass(frozen=True, slots=True)
class PushedManifest:
    digest: Digest
    subject: Digest | None
    tags: tuple[str, ...]


class Images:
    def __init__(self, meta: MetaStore, clock: Clock) -> None:
        self.meta = meta
        self.clock = clock

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
        if record is not None:
            return record
        repo = await self.meta.get_repository(account_id, name)
        if repo is None:
            raise NameUnknown(f"repository {name!r} not found", detail={"name": name})
        raise ManifestUnknown(f"manifest {reference[:200]!r} not found in {name!r}",
                              detail={"reference": reference[:200]})

    def needs_pull_record(self, record: ManifestRecord) -> bool:
        """Whether a pull of ``record`` should be written down; a hot image is written at
        most once per PULL_TIME_RESOLUTION seconds, not on every pull."""
        last = record.last_pulled_at
        return last is None or last < self.clock.now() - PULL_TIME_RESOLUTION

    async def record_pull(self, record: ManifestRecord) -> None:
        await self.meta.record_pull(record.repository_id, record.digest, self.clock.now(),
                                    PULL_TIME_RESOLUTION)

    async def put(self, repo: Repository, reference: str, payload: bytes,
                  content_type: str | None, extra_tags: list[str]) -> PushedManifest:
        """Store a manifest pushed by tag or digest (with ``?tag=`` extra tags)."""
        if len(payload) > MAX_MANIFEST_BYTES:
            raise ManifestTooLarge()
        manifest = _parse(payload, content_type)
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
        try:
            created = await self.meta.put_manifest(record, _required_blobs(manifest), children,
                                                   tags, frozen)
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


def _parse(payload: bytes, content_type: str | None) -> Manifest:
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


# ECR's view: images named by ids (a digest, a tag, or both), in batches.


@dataclass(frozen=True, slots=True)
class ImageRef:
    digest: str | None = None
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class ImageFailure:
    ref: ImageRef
    code: str     # ECR's ImageFailureCode
    reason: str


@dataclass(frozen=True, slots=True)
class ImageInfo:
    record: ManifestRecord
    tags: list[str]


class ImageBatches:
    """Describe, list, get, delete and put images the way ECR's API does."""

    def __init__(self, meta: MetaStore, images: Images) -> None:
        self.meta = meta
        self.images = images

    async def resolve(self, repo: Repository, ref: ImageRef) -> ManifestRecord | ImageFailure:
        if ref.digest is None and ref.tag is None:
            return ImageFailure(ref, "MissingDigestAndTag", "Missing image digest and tag")
        if ref.digest is not None:
            try:
                Digest.parse(ref.digest)
            except DigestError:
                return ImageFailure(ref, "InvalidImageDigest", "Invalid image digest")
        if ref.tag is not None and not valid_ecr_tag(ref.tag):
            return ImageFailure(ref, "InvalidImageTag", "Invalid image tag")
        record = (await self.meta.resolve_tag(repo.id, ref.tag) if ref.tag is not None
                  else await self.meta.get_manifest(repo.id, str(ref.digest)))
        if record is None:
            return ImageFailure(ref, "ImageNotFound", "Requested image not found")
        if ref.digest is not None and record.digest != ref.digest:
            return ImageFailure(ref, "ImageTagDoesNotMatchDigest",
                                "Image tag does not match the provided digest")
        return record

    async def describe(self, repo: Repository, refs: list[ImageRef] | None, tag_status: str,
                       after: str | None, limit: int) -> tuple[list[ImageInfo], str | None]:
        """Details of the named images (ImageNotFound if one is missing), or a page of all."""
        if refs is not None:
            records: dict[str, ManifestRecord] = {}
            for ref in refs:
                found = await self.resolve(repo, ref)
                if isinstance(found, ImageFailure):
                    raise ManifestUnknown(
                        f"The image with imageId {_describe_ref(ref)} does not exist within "
                        f"the repository with name '{repo.name}' in the registry with id "
                        f"'{repo.account_id}'")
                records[found.digest] = found
            tags = await self.meta.tags_of(repo.id, list(records))
            return [ImageInfo(r, tags[d]) for d, r in records.items()], None
        return await self._page(repo, tag_status, after, limit)

    async def _page(self, repo: Repository, tag_status: str, after: str | None, limit: int
                    ) -> tuple[list[ImageInfo], str | None]:
        found: list[ImageInfo] = []
        cursor = after
        while len(found) < limit:
            batch = await self.meta.list_manifests(repo.id, None, cursor, limit)
            if not batch:
                return found, None
            tags = await self.meta.tags_of(repo.id, [r.digest for r in batch])
            for record in batch:
                cursor = record.digest
                if _status_matches(tag_status, tags[record.digest]):
                    found.append(ImageInfo(record, tags[record.digest]))
                    if len(found) == limit:
                        break
        return found, cursor

    async def list_ids(self, repo: Repository, tag_status: str, after: ImageRef | None,
                       limit: int) -> tuple[list[ImageRef], ImageRef | None]:
        """One id per tag (untagged images: digest only), in digest then tag order,
        after the id ``after``; the second value is the last id when more may follow."""
        ids: list[ImageRef] = []
        cursor = after.digest if after else None
        if after is not None and after.digest is not None:
            # the rest of the tags of the image the previous page ended in
            record = await self.meta.get_manifest(repo.id, after.digest)
            if record is not None:
                tags = (await self.meta.tags_of(repo.id, [record.digest]))[record.digest]
                ids = [r for r in _ids_of(ImageInfo(record, tags), tag_status)
                       if _key(r) > _key(after)]
        while len(ids) < limit:
            infos, cursor = await self._page(repo, "ANY", cursor, limit)
            for info in infos:
                ids.extend(_ids_of(info, tag_status))
            if cursor is None:
                break
        return ids[:limit], (ids[limit - 1] if len(ids) > limit or cursor else None)

    async def get(self, repo: Repository, refs: list[ImageRef], accepted: list[str] | None
                  ) -> tuple[list[tuple[ImageRef, ManifestRecord]], list[ImageFailure]]:
        images: list[tuple[ImageRef, ManifestRecord]] = []
        failures: list[ImageFailure] = []
        for ref in refs:
            found = await self.resolve(repo, ref)
            if isinstance(found, ImageFailure):
                failures.append(found)
            elif accepted and found.media_type not in accepted:
                failures.append(ImageFailure(ref, "ImageNotFound",
                                             f"Manifest is {found.media_type}, not an accepted "
                                             "media type"))
            else:
                images.append((ImageRef(found.digest, ref.tag), found))
        return images, failures

    async def delete(self, repo: Repository, refs: list[ImageRef]
                     ) -> tuple[list[ImageRef], list[ImageFailure]]:
        """By tag: remove the tag, and the image with its last tag; by digest: the image."""
        deleted: list[ImageRef] = []
        failures: list[ImageFailure] = []
        for ref in refs:
            found = await self.resolve(repo, ref)
            if isinstance(found, ImageFailure):
                failures.append(found)
                continue
            outcome = await self._delete_one(repo, ref, found)
            if isinstance(outcome, ImageFailure):
                failures.append(outcome)
            else:
                deleted.extend(outcome)
        return deleted, failures

    async def _delete_one(self, repo: Repository, ref: ImageRef, record: ManifestRecord
                          ) -> list[ImageRef] | ImageFailure:
        tags = (await self.meta.tags_of(repo.id, [record.digest]))[record.digest]
        if ref.tag is not None and ref.digest is None and len(tags) > 1:
            await self.meta.delete_tag(repo.id, ref.tag)
            return [ImageRef(record.digest, ref.tag)]
        if await self.meta.parents_of(repo.id, record.digest):
            return ImageFailure(ref, "ImageReferencedByManifestList",
                                "Requested image is referenced by a manifest list")
        await self.meta.delete_manifest(repo.id, record.digest)
        return [ImageRef(record.digest, tag) for tag in tags] or [ImageRef(record.digest)]

    async def put(self, repo: Repository, payload: bytes, media_type: str | None,
                  tag: str | None, digest: str | None) -> tuple[ManifestRecord, str | None]:
        """PutImage: ImageAlreadyExists when nothing would change."""
        if tag is not None and not valid_ecr_tag(tag):
            raise ManifestInvalid(f"Invalid parameter at 'imageTag': '{tag[:300]}' is not a "
                                  "valid image tag")
        if len(payload) > MAX_MANIFEST_BYTES:
            raise ManifestTooLarge()
        manifest = _parse(payload, media_type)
        algorithm = Digest.parse(digest).algorithm if digest and is_digest(digest) else "sha256"
        actual = Digest.of(payload, algorithm)
        if digest is not None and str(actual) != digest:
            raise ImageDigestDoesNotMatch(
                f"Invalid parameter: the digest {digest} does not match the manifest's "
                f"digest {actual}")
        existing = await self.meta.get_manifest(repo.id, str(actual))
        if existing is not None:
            tags = (await self.meta.tags_of(repo.id, [str(actual)]))[str(actual)]
            if tag is None or tag in tags:
                named = f"digest '{actual}' and tag '{tag}'" if tag else f"digest '{actual}'"
                raise ImageAlreadyExists(
                    f"Image with {named} already exists in the repository with name "
                    f"'{repo.name}' in registry with id '{repo.account_id}'")
        await self.images.store(repo, manifest, payload, actual, [tag] if tag else [])
        record = await self.meta.get_manifest(repo.id, str(actual))
        assert record is not None
        return record, tag


def valid_ecr_tag(tag: str) -> bool:
    """ECR allows tags of up to 300 characters; the OCI grammar otherwise."""
    return 0 < len(tag) <= 300 and valid_tag(tag[:128]) and all(
        c.isalnum() or c in "._-" for c in tag)


def _status_matches(tag_status: str, tags: list[str]) -> bool:
    if tag_status == "TAGGED":
        return bool(tags)
    if tag_status == "UNTAGGED":
        return not tags
    return True


def _ids_of(info: ImageInfo, tag_status: str) -> list[ImageRef]:
    if not _status_matches(tag_status, info.tags):
        return []
    if not info.tags:
        return [ImageRef(info.record.digest)]
    return [ImageRef(info.record.digest, tag) for tag in info.tags]


def _key(ref: ImageRef) -> tuple[str, str]:
    return (ref.digest or "", ref.tag or "")


def _describe_ref(ref: ImageRef) -> str:
    parts = []
    if ref.digest:
        parts.append(f"imageDigest={ref.digest}")
    if ref.tag:
        parts.append(f"imageTag={ref.tag}")
    return "{" + ", ".join(parts) + "}"
