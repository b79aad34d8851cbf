"""The /v2/ route table: every endpoint of the distribution spec, in one place.

Repository names contain slashes, so each route matches the name greedily up to
the endpoint's fixed suffix.
"""

from __future__ import annotations

from starlette.routing import Route

from berth.registry import handlers as h

_NAME = "{name:path}"
_DIGEST = "{digest:str}"

ROUTES = [
    Route("/v2/", h.check_api, methods=["GET"]),
    Route("/v2/_catalog", h.get_catalog, methods=["GET"]),
    Route(f"/v2/{_NAME}/tags/list", h.list_tags, methods=["GET"]),
    Route(f"/v2/{_NAME}/manifests/{{reference:str}}", h.get_manifest, methods=["GET"]),
    Route(f"/v2/{_NAME}/manifests/{{reference:str}}", h.put_manifest, methods=["PUT"]),
    Route(f"/v2/{_NAME}/manifests/{{reference:str}}", h.delete_manifest, methods=["DELETE"]),
    Route(f"/v2/{_NAME}/blobs/uploads/", h.start_upload, methods=["POST"]),
    Route(f"/v2/{_NAME}/blobs/uploads/{{upload_id:str}}", h.get_upload, methods=["GET"]),
    Route(f"/v2/{_NAME}/blobs/uploads/{{upload_id:str}}", h.patch_upload, methods=["PATCH"]),
    Route(f"/v2/{_NAME}/blobs/uploads/{{upload_id:str}}", h.finish_upload, methods=["PUT"]),
    Route(f"/v2/{_NAME}/blobs/uploads/{{upload_id:str}}", h.cancel_upload, methods=["DELETE"]),
    Route(f"/v2/{_NAME}/blobs/{_DIGEST}", h.get_blob, methods=["GET"]),
    Route(f"/v2/{_NAME}/blobs/{_DIGEST}", h.delete_blob, methods=["DELETE"]),
    Route(f"/v2/{_NAME}/referrers/{_DIGEST}", h.list_referrers, methods=["GET"]),
    # berth's own: the image's inventory as a CycloneDX SBOM
    Route(f"/v2/{_NAME}/sbom/{{reference:str}}", h.get_sbom, methods=["GET"]),
]
