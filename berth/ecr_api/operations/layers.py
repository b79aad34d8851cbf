"""Layer operations: the ECR API's own way to upload and download blobs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

from berth.ecr_api.call import Call
from berth.errors import (
    BlobUnknown,
    EmptyUpload,
    InvalidParameter,
    LayerAlreadyExists,
    LayersNotFound,
    UploadNotFound,
)
from berth.oci.digest import Digest, DigestError
from berth.services.blobs import parse_digest

PART_SIZE = 10 * 1024 * 1024
DOWNLOAD_URL_SECONDS = 900


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _ecr_upload_id(upload_id: str) -> str:
    """ECR's uploadId is a hyphenated UUID; berth's sessions are its 32 hex digits."""
    return str(uuid.UUID(upload_id))


def _session_id(ecr_upload_id: str) -> str:
    try:
        return uuid.UUID(ecr_upload_id).hex
    except ValueError:
        raise UploadNotFound(f"The upload with id '{ecr_upload_id}' does not exist") from None


async def batch_check_layer_availability(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    layers, failures = [], []
    for text in call.params["layerDigests"]:
        try:
            digest = Digest.parse(text)
        except DigestError:
            failures.append({"layerDigest": text, "failureCode": "InvalidLayerDigest",
                             "failureReason": "Invalid layer digest"})
            continue
        try:
            size = await call.services.blobs.size(repo, digest)
        except BlobUnknown:
            layers.append({"layerDigest": text, "layerAvailability": "UNAVAILABLE"})
            continue
        layers.append({"layerDigest": text, "layerAvailability": "AVAILABLE", "layerSize": size})
    return {"layers": layers, "failures": failures}


async def initiate_layer_upload(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    upload = await call.services.blobs.start_upload(repo)
    return {"uploadId": _ecr_upload_id(upload.id), "partSize": PART_SIZE}


async def upload_layer_part(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    p = call.params
    data: bytes = p["layerPartBlob"]
    state = await call.services.blobs.append(
        repo, _session_id(p["uploadId"]), _once(data),
        f"{p['partFirstByte']}-{p['partLastByte']}", len(data))
    return {"registryId": repo.account_id, "repositoryName": repo.name,
            "uploadId": p["uploadId"], "lastByteReceived": state.size - 1}


async def complete_layer_upload(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    blobs = call.services.blobs
    upload_id = _session_id(call.params["uploadId"])
    digest = parse_digest(call.params["layerDigests"][0])
    state = await blobs.upload_state(repo, upload_id)
    if state.size == 0:
        raise EmptyUpload(f"The upload with id '{call.params['uploadId']}' contains no data")
    try:
        await blobs.size(repo, digest)
    except BlobUnknown:
        pass
    else:
        await blobs.cancel(repo, upload_id)
        raise LayerAlreadyExists(f"The layer '{digest}' already exists in the repository "
                                 f"with name '{repo.name}'")
    await blobs.finish(repo, upload_id, str(digest), None)
    return {"registryId": repo.account_id, "repositoryName": repo.name,
            "uploadId": call.params["uploadId"], "layerDigest": str(digest)}


async def get_download_url_for_layer(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    try:
        digest = Digest.parse(call.params["layerDigest"])
    except DigestError as exc:
        raise InvalidParameter(f"Invalid parameter at 'layerDigest': {exc}") from None
    try:
        await call.services.blobs.size(repo, digest)
    except BlobUnknown:
        raise LayersNotFound(f"The layer '{digest}' does not exist in the repository with name "
                             f"'{repo.name}'") from None
    query = call.auth.download_query(repo.account_id, repo.name, str(digest),
                                     DOWNLOAD_URL_SECONDS)
    url = f"{call.services.public_url}/v2/{repo.name}/blobs/{digest}?{urlencode(query)}"
    return {"downloadUrl": url, "layerDigest": str(digest)}
