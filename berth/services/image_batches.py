"""ECR's view of images: named by ids (a digest, a tag, or both), described, listed,
fetched, deleted and put in batches, with ECR's per-image failure codes."""

from __future__ import annotations

from dataclasses import dataclass

from berth.errors import (
    ImageAlreadyExists,
    ImageDigestDoesNotMatch,
    ManifestInvalid,
    ManifestTooLarge,
    ManifestUnknown,
)
from berth.oci.digest import Digest, DigestError, is_digest
from berth.oci.manifest import MAX_MANIFEST_BYTES
from berth.oci.names import valid_tag
from berth.services.images import Images, parse_manifest_payload
from berth.storage.meta import ManifestRecord, MetaStore, Repository


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

    async def require(self, repo: Repository, ref: ImageRef) -> ManifestRecord:
        """The image ``ref`` names; ImageNotFoundException when there is none."""
        found = await self.resolve(repo, ref)
        if isinstance(found, ImageFailure):
            raise ManifestUnknown(
                f"The image with imageId {describe_ref(ref)} does not exist within the "
                f"repository with name '{repo.name}' in the registry with id "
                f"'{repo.account_id}'")
        return found

    async def describe(self, repo: Repository, refs: list[ImageRef] | None, tag_status: str,
                       after: str | None, limit: int, image_status: str = "ACTIVE"
                       ) -> tuple[list[ImageInfo], str | None]:
        """Details of the named images (ImageNotFound if one is missing), or a page of all."""
        if refs is not None:
            records: dict[str, ManifestRecord] = {}
            for ref in refs:
                found = await self.require(repo, ref)
                records[found.digest] = found
            tags = await self.meta.tags_of(repo.id, list(records))
            return [ImageInfo(r, tags[d]) for d, r in records.items()], None
        return await self._page(repo, tag_status, after, limit, image_status)

    async def _page(self, repo: Repository, tag_status: str, after: str | None, limit: int,
                    image_status: str = "ACTIVE") -> tuple[list[ImageInfo], str | None]:
        found: list[ImageInfo] = []
        cursor = after
        while len(found) < limit:
            batch = await self.meta.list_manifests(repo.id, None, cursor, limit)
            if not batch:
                return found, None
            tags = await self.meta.tags_of(repo.id, [r.digest for r in batch])
            for record in batch:
                cursor = record.digest
                if (image_status in ("ANY", record.image_status)
                        and matches_tag_status(tag_status, tags[record.digest])):
                    found.append(ImageInfo(record, tags[record.digest]))
                    if len(found) == limit:
                        break
        return found, cursor

    async def list_ids(self, repo: Repository, tag_status: str, after: ImageRef | None,
                       limit: int, image_status: str = "ACTIVE"
                       ) -> tuple[list[ImageRef], ImageRef | None]:
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
                       if _key(r) > _key(after)
                       and image_status in ("ANY", record.image_status)]
        while len(ids) < limit:
            infos, cursor = await self._page(repo, "ANY", cursor, limit, image_status)
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
        manifest = parse_manifest_payload(payload, media_type)
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


def matches_tag_status(tag_status: str, tags: list[str]) -> bool:
    if tag_status == "TAGGED":
        return bool(tags)
    if tag_status == "UNTAGGED":
        return not tags
    return True


def _ids_of(info: ImageInfo, tag_status: str) -> list[ImageRef]:
    if not matches_tag_status(tag_status, info.tags):
        return []
    if not info.tags:
        return [ImageRef(info.record.digest)]
    return [ImageRef(info.record.digest, tag) for tag in info.tags]


def _key(ref: ImageRef) -> tuple[str, str]:
    return (ref.digest or "", ref.tag or "")


def describe_ref(ref: ImageRef) -> str:
    parts = []
    if ref.digest:
        parts.append(f"imageDigest={ref.digest}")
    if ref.tag:
        parts.append(f"imageTag={ref.tag}")
    return "{" + ", ".join(parts) + "}"
