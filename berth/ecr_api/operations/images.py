"""Image operations: describe, list, get, delete, put, and referrers."""

from __future__ import annotations

from typing import Any

from berth.ecr_api import scan_shapes, shapes
from berth.ecr_api.call import Call, encode_token, is_offset
from berth.errors import InvalidParameter
from berth.oci.digest import Digest, DigestError
from berth.services.image_batches import ImageRef
from berth.storage.meta.scans import ScanRecord

MAX_REFERRERS_PAGE = 50


def _refs(call: Call) -> list[ImageRef]:
    return [ImageRef(i.get("imageDigest"), i.get("imageTag")) for i in call.params["imageIds"]]


def _is_image_cursor(value: object) -> bool:
    """ListImages' token: the last id given, ``[digest, tag or null]``."""
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
            and (value[1] is None or isinstance(value[1], str)))


def _tag_status(call: Call) -> str:
    return str((call.params.get("filter") or {}).get("tagStatus") or "ANY")


def _image_status(call: Call) -> str:
    """The imageStatus filter; ACTIVE images only when none is given, as on ECR."""
    return str((call.params.get("filter") or {}).get("imageStatus") or "ACTIVE")


async def describe_images(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    ids = call.params.get("imageIds")
    if ids and (call.params.get("nextToken") or call.params.get("maxResults")):
        raise InvalidParameter("nextToken and maxResults cannot be used with imageIds")
    after, limit = call.page()
    infos, cursor = await call.services.image_batches.describe(
        repo, _refs(call) if ids else None, _tag_status(call), after, limit,
        _image_status(call))
    scans = await call.services.scanning.summaries(repo, [i.record.digest for i in infos])
    out: dict[str, Any] = {"imageDetails": [
        _with_scan(shapes.image_detail(repo, i), scans.get(i.record.digest)) for i in infos]}
    if cursor is not None:
        out["nextToken"] = encode_token(cursor)
    return out


def _with_scan(detail: dict[str, Any], scan: ScanRecord | None) -> dict[str, Any]:
    if scan is not None:
        detail["imageScanStatus"] = scan_shapes.status(scan)
        summary = scan_shapes.summary(scan)
        if summary is not None:
            detail["imageScanFindingsSummary"] = summary
    return detail


async def list_images(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    after, limit = call.page(1000, _is_image_cursor)
    start = ImageRef(after[0], after[1]) if after else None
    ids, last = await call.services.image_batches.list_ids(repo, _tag_status(call), start, limit,
                                                           _image_status(call))
    out: dict[str, Any] = {"imageIds": [shapes.image_id(r) for r in ids]}
    if last is not None:
        out["nextToken"] = encode_token([last.digest, last.tag])
    return out


async def batch_get_image(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    images, failures = await call.services.image_batches.get(
        repo, _refs(call), call.params.get("acceptedMediaTypes"))
    return {
        "images": [{"registryId": repo.account_id, "repositoryName": repo.name,
                    "imageId": shapes.image_id(ref), "imageManifest": record.payload.decode(),
                    "imageManifestMediaType": record.media_type} for ref, record in images],
        "failures": [shapes.image_failure(f) for f in failures],
    }


async def batch_delete_image(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    deleted, failures = await call.services.image_batches.delete(repo, _refs(call))
    return {"imageIds": [shapes.image_id(r) for r in deleted],
            "failures": [shapes.image_failure(f) for f in failures]}


async def put_image(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    p = call.params
    record, tag = await call.services.image_batches.put(
        repo, p["imageManifest"].encode(), p.get("imageManifestMediaType"), p.get("imageTag"),
        p.get("imageDigest"))
    return {"image": {"registryId": repo.account_id, "repositoryName": repo.name,
                      "imageId": shapes.image_id(ImageRef(record.digest, tag)),
                      "imageManifest": record.payload.decode(),
                      "imageManifestMediaType": record.media_type}}


async def list_image_referrers(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    subject = call.params["subjectId"]["imageDigest"]
    try:
        digest = Digest.parse(subject)
    except DigestError as exc:
        raise InvalidParameter(f"Invalid parameter at 'subjectId.imageDigest': {exc}") from None
    after, limit = call.page(20, is_offset)
    limit = min(limit, MAX_REFERRERS_PAGE)
    types = (call.params.get("filter") or {}).get("artifactTypes")
    found = await call.services.images.referrers(repo, digest, None)
    if types:
        found = [d for d in found if d.artifact_type in types]
    start = int(after or 0)
    page = found[start:start + limit]
    out: dict[str, Any] = {"referrers": [
        {"digest": str(d.digest), "mediaType": d.media_type, "size": d.size,
         "artifactType": d.artifact_type, "annotations": d.annotations,
         "artifactStatus": "ACTIVE"} for d in page]}
    if start + limit < len(found):
        out["nextToken"] = encode_token(start + limit)
    return out


async def update_image_storage_class(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    found = await call.image(repo)
    status = await call.services.archive.update_storage_class(
        repo, found, call.params["targetStorageClass"])
    return {"registryId": repo.account_id, "repositoryName": repo.name,
            "imageId": call.image_id(found.digest),
            "imageStatus": status}
