"""/v2/ handlers: parse the request, call one service, render the answer.

Handler names are the operations of the distribution spec.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote, urlencode

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from berth.auth.gate import Auth, audit_event, request_context
from berth.errors import BerthError, Denied, ManifestTooLarge, Unsupported
from berth.oci.manifest import MAX_MANIFEST_BYTES
from berth.policy.ecr_actions import repository_arn
from berth.registry.hosts import account_for_host
from berth.registry.responses import API_VERSION, BlobResponse, empty, json_response
from berth.services import Services
from berth.services.audit import AuditLog
from berth.services.blobs import parse_digest
from berth.services.images import acceptable
from berth.services.repositories import check_name
from berth.storage.meta import Repository
from berth.streams import read_capped

DEFAULT_PAGE = 1000
MAX_PAGE = 10000
CHUNK_MIN_LENGTH = "0"  # any chunk size is accepted; S3-backed nodes raise this


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _account(request: Request, action: str | None) -> str:
    """The account the request is for, once its caller proved who it is and IAM allows
    it ``action`` (ECR's action for this request) on the named repository."""
    auth: Auth = request.app.state.auth
    caller = auth.registry_caller(request.headers.get("authorization"))
    account = account_for_host(request.headers.get("host"), _services(request).default_account)
    request.state.caller, request.state.action = caller, action
    request.state.account = account
    if action is not None:
        await auth.authorizer.authorize(caller, action, account,
                                        request.path_params.get("name"),
                                        request_context(request.scope))
    return account


def record(request: Request, error: BerthError | None = None) -> None:
    """Put a /v2/ write, or a refusal, in the audit log (ECR's action names it)."""
    audit: AuditLog | None = getattr(request.app.state, "audit", None)
    action = getattr(request.state, "action", None)
    if audit is None or action is None:
        return
    account, name = request.state.account, request.path_params.get("name")
    audit.record(audit_event(
        request.scope, request.state.caller, event_name=action.removeprefix("ecr:"),
        source="ecr.amazonaws.com", request_id=str(uuid.uuid4()),
        resource_arn=repository_arn(_services(request).region, account, name) if name else None,
        recipient_account=account, read_only=False, error=error,
        error_code=error.code if error else None))


async def _repo(request: Request, action: str) -> Repository:
    return await _services(request).repositories.get(
        await _account(request, action), request.path_params["name"])


async def _push_repo(request: Request, action: str) -> Repository:
    return await _services(request).repositories.for_push(
        await _account(request, action), request.path_params["name"])


def _content_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


def _page(request: Request) -> tuple[int, str | None]:
    raw = request.query_params.get("n")
    n = DEFAULT_PAGE if raw is None or not raw.isdigit() else min(int(raw), MAX_PAGE)
    return n, request.query_params.get("last") or None


def _next_link(path: str, n: int, items: list[str]) -> dict[str, str]:
    if n == 0 or len(items) < n:
        return {}
    return {"Link": f'<{path}?{urlencode({"n": n, "last": items[-1]})}>; rel="next"'}


def _upload_location(name: str, upload_id: str) -> str:
    return f"/v2/{name}/blobs/uploads/{upload_id}"


def _upload_headers(name: str, upload_id: str, size: int) -> dict[str, str]:
    return {"Location": _upload_location(name, upload_id), "Docker-Upload-UUID": upload_id,
            "Range": f"0-{max(size - 1, 0)}"}


# base and catalog

async def check_api(request: Request) -> Response:
    await _account(request, None)
    return json_response({})


async def get_catalog(request: Request) -> Response:
    n, last = _page(request)
    account = await _account(request, "ecr:DescribeRepositories")
    names = [] if n == 0 else await _services(request).repositories.catalog(account, last, n)
    return json_response({"repositories": names}, headers=_next_link("/v2/_catalog", n, names))


# blobs

def _etag_matches(request: Request, etag: str) -> bool:
    """Whether ``If-None-Match`` names the representation (RFC 9110 §13.1.2: weak
    comparison, ``*`` for any), so a GET or HEAD answers 304."""
    for header in request.headers.getlist("if-none-match"):
        for tag in header.split(","):
            tag = tag.strip()
            if tag == "*" or tag.removeprefix("W/") == etag:
                return True
    return False


def _not_modified(headers: dict[str, str], background: BackgroundTask | None = None
                  ) -> Response:
    return Response(None, status_code=304, headers={API_VERSION[0]: API_VERSION[1], **headers},
                    background=background)


async def get_blob(request: Request) -> Response:
    services = _services(request)
    digest = parse_digest(request.path_params["digest"])
    etag = f'"{digest}"'
    # If-None-Match comes before Range (RFC 9110 §13.2.2); the blob must still exist
    # and be the caller's to read
    unchanged = _etag_matches(request, etag)
    range_header = None if unchanged else request.headers.get("range")
    download = await _download_repo(request)
    if download is not None:
        read = await services.blobs.open(download, digest, range_header)
    else:
        name = request.path_params["name"]
        check_name(name)
        action = ("ecr:BatchCheckLayerAvailability" if request.method == "HEAD"
                  else "ecr:GetDownloadUrlForLayer")
        read = await services.blobs.pull(await _account(request, action), name, digest,
                                         range_header)
    caching = {"Docker-Content-Digest": str(digest), "ETag": etag,
               "Cache-Control": "max-age=31536000"}
    if unchanged:
        return _not_modified(caching)
    headers = {"Content-Length": str(read.length), "Content-Type": "application/octet-stream",
               "Accept-Ranges": "bytes", **caching}
    if read.partial:
        headers["Content-Range"] = read.content_range
    return BlobResponse(206 if read.partial else 200, headers,
                        lambda: services.blobs.stream(read), head=request.method == "HEAD")


async def _download_repo(request: Request) -> Repository | None:
    """The repository of a GetDownloadUrlForLayer URL, when the request carries a valid one."""
    query = request.query_params
    if "X-Berth-Signature" not in query:
        return None
    auth: Auth = request.app.state.auth
    name, digest = request.path_params["name"], request.path_params["digest"]
    account = query.get("X-Berth-Account", "")
    if not auth.download_allowed(account, name, digest, query):
        raise Denied("the download URL is invalid or has expired")
    return await _services(request).repositories.get(account, name)


async def delete_blob(request: Request) -> Response:
    digest = parse_digest(request.path_params["digest"])
    await _services(request).blobs.unlink(await _repo(request, "ecr:BatchDeleteImage"), digest)
    record(request)
    return empty(202, {"Docker-Content-Digest": str(digest)})


# uploads

async def start_upload(request: Request) -> Response:
    services = _services(request)
    name = request.path_params["name"]
    repo = await _push_repo(request, "ecr:InitiateLayerUpload")
    params = request.query_params
    mount = params.get("mount")
    if mount is not None:
        digest = parse_digest(mount)
        source = await _mount_source(request, params.get("from"))
        if await services.blobs.mount(repo, digest, source):
            return empty(201, {"Location": f"/v2/{name}/blobs/{digest}",
                               "Docker-Content-Digest": str(digest)})
    upload = await services.blobs.start_upload(repo, params.get("digest-algorithm"))
    if params.get("digest") is not None:
        digest = await services.blobs.finish(repo, upload.id, params["digest"], request.stream())
        return empty(201, {"Location": f"/v2/{name}/blobs/{digest}",
                           "Docker-Content-Digest": str(digest)})
    headers = _upload_headers(name, upload.id, 0)
    headers["OCI-Chunk-Min-Length"] = CHUNK_MIN_LENGTH
    return empty(202, headers)


async def _mount_source(request: Request, name: str | None) -> Repository | None:
    """The repository to mount from, when it exists and the caller may pull from it."""
    if not name:
        return None
    auth: Auth = request.app.state.auth
    # the caller and account _account established for this request's push
    caller, account = request.state.caller, request.state.account
    try:
        await auth.authorizer.authorize(caller, "ecr:GetDownloadUrlForLayer", account, name,
                                        request_context(request.scope))
        return await _services(request).repositories.get(account, name)
    except BerthError:  # an unknown, invalid or forbidden source just means "no mount"
        return None


async def get_upload(request: Request) -> Response:
    repo = await _repo(request, "ecr:UploadLayerPart")
    state = await _services(request).blobs.upload_state(repo, request.path_params["upload_id"])
    return empty(204, _upload_headers(repo.name, state.id, state.size))


async def patch_upload(request: Request) -> Response:
    repo = await _repo(request, "ecr:UploadLayerPart")
    state = await _services(request).blobs.append(
        repo, request.path_params["upload_id"], request.stream(),
        request.headers.get("content-range"), _content_length(request))
    return empty(202, _upload_headers(repo.name, state.id, state.size))


async def finish_upload(request: Request) -> Response:
    repo = await _repo(request, "ecr:CompleteLayerUpload")
    has_body = _content_length(request) != 0 or "transfer-encoding" in request.headers
    digest = await _services(request).blobs.finish(
        repo, request.path_params["upload_id"], request.query_params.get("digest"),
        request.stream() if has_body else None)
    record(request)
    return empty(201, {"Location": f"/v2/{repo.name}/blobs/{digest}",
                       "Docker-Content-Digest": str(digest)})


async def cancel_upload(request: Request) -> Response:
    repo = await _repo(request, "ecr:UploadLayerPart")
    await _services(request).blobs.cancel(repo, request.path_params["upload_id"])
    return empty(204)


# manifests

async def get_manifest(request: Request) -> Response:
    account = await _account(request, "ecr:BatchGetImage")
    record = await _services(request).images.pull(
        account, request.path_params["name"], request.path_params["reference"])
    accept = [a.split(";")[0].strip() for a in request.headers.getlist("accept")
              for a in a.split(",") if a.strip()]
    if not acceptable(record.media_type, accept):
        raise Unsupported(f"manifest is {record.media_type}, which the client does not accept")
    etag = f'"{record.digest}"'
    caching = {"Docker-Content-Digest": record.digest, "ETag": etag}
    background = None
    if request.method == "GET":
        # a GET answered 304 is a pull too: a caching proxy in front revalidates the
        # images it serves, and their pull times must not go stale behind it
        images = _services(request).images
        puller = request.state.caller.role_arn or request.state.caller.arn
        if images.needs_pull_record(record, puller):
            background = BackgroundTask(images.record_pull, record, account, puller)
    if _etag_matches(request, etag):
        return _not_modified(caching, background)
    headers = {API_VERSION[0]: API_VERSION[1], "Content-Length": str(len(record.payload)),
               **caching}
    if request.method == "HEAD":
        return Response(b"", media_type=record.media_type, headers=headers)
    return Response(record.payload, media_type=record.media_type, headers=headers,
                    background=background)


async def put_manifest(request: Request) -> Response:
    length = _content_length(request)
    if length is not None and length > MAX_MANIFEST_BYTES:
        raise ManifestTooLarge()
    repo = await _push_repo(request, "ecr:PutImage")
    payload = await read_capped(request.stream(), MAX_MANIFEST_BYTES, ManifestTooLarge)
    pushed = await _services(request).images.put(
        repo, request.path_params["reference"], payload, request.headers.get("content-type"),
        request.query_params.getlist("tag"))
    headers = {"Location": f"/v2/{repo.name}/manifests/{pushed.digest}",
               "Docker-Content-Digest": str(pushed.digest)}
    if pushed.subject is not None:
        headers["OCI-Subject"] = str(pushed.subject)
    record(request)
    response = empty(201, headers)
    for tag in pushed.tags:
        response.headers.append("OCI-Tag", tag)
    return response


async def delete_manifest(request: Request) -> Response:
    repo = await _repo(request, "ecr:BatchDeleteImage")
    await _services(request).images.delete(repo, request.path_params["reference"])
    record(request)
    return empty(202)


# tags and referrers

async def list_tags(request: Request) -> Response:
    repo = await _repo(request, "ecr:ListImages")
    n, last = _page(request)
    tags = [] if n == 0 else await _services(request).images.tags(repo, last, n)
    path = f"/v2/{quote(repo.name)}/tags/list"
    return json_response({"name": repo.name, "tags": tags}, headers=_next_link(path, n, tags))


async def list_referrers(request: Request) -> Response:
    repo = await _repo(request, "ecr:BatchGetImage")
    subject = parse_digest(request.path_params["digest"])
    artifact_type = request.query_params.get("artifactType")
    found = await _services(request).images.referrers(repo, subject, artifact_type)
    headers = {"OCI-Filters-Applied": "artifactType"} if artifact_type is not None else {}
    body = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [d.to_json() for d in found]}
    return json_response(body, headers=headers,
                         media_type="application/vnd.oci.image.index.v1+json")


async def get_sbom(request: Request) -> Response:
    """The image's inventory as CycloneDX JSON (berth's own endpoint, not the spec's)."""
    repo = await _repo(request, "ecr:BatchGetImage")
    services = _services(request)
    record = await services.images.get(repo, request.path_params["reference"])
    document = await services.scanning.sbom(repo, record)
    return json_response(document, media_type="application/vnd.cyclonedx+json")
