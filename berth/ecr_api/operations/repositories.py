"""Repository operations: create, describe, delete, settings and resource tags."""

from __future__ import annotations

from typing import Any

from berth.ecr_api import shapes
from berth.ecr_api.call import Call, encode_token
from berth.errors import InvalidParameter
from berth.services.immutability import MODES
from berth.storage.meta import Repository, RepositorySettings

WITH_EXCLUSION = ("IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION")


def _host(call: Call, account_id: str) -> str:
    s = call.services
    return shapes.registry_host(s.public_url, s.default_account, account_id, s.region)


def _render(call: Call, repo: Repository) -> dict[str, Any]:
    return shapes.repository(repo, call.region, _host(call, repo.account_id))


def mutability_settings(params: dict[str, Any], base: RepositorySettings) -> RepositorySettings:
    """Tag mutability and its exclusion filters, checked as ECR checks them."""
    mode = params.get("imageTagMutability") or "MUTABLE"
    raw = params.get("imageTagMutabilityExclusionFilters")
    if mode not in MODES:
        raise InvalidParameter(f"Invalid parameter at 'imageTagMutability': {mode}")
    if mode in WITH_EXCLUSION and not raw:
        raise InvalidParameter(
            "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy "
            "constraint: 'ImageTagMutabilityExclusionFilters can't be null when "
            f"imageTagMutability is set as {mode}'")
    if mode not in WITH_EXCLUSION and raw:
        raise InvalidParameter(
            "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy "
            "constraint: 'ImageTagMutabilityExclusionFilters can only be set when "
            "imageTagMutability is IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION'")
    filters = tuple(f["filter"] for f in raw or [])
    for pattern in filters:
        if pattern.count("*") > 2:
            raise InvalidParameter(f"Invalid parameter at 'imageTagMutabilityExclusionFilters': "
                                   f"filter '{pattern}' has more than 2 wildcards")
    return RepositorySettings(mode, filters, base.scan_on_push, base.encryption_type,
                              base.kms_key)


def encryption_settings(params: dict[str, Any] | None) -> tuple[str, str | None]:
    params = params or {}
    kind = params.get("encryptionType", "AES256")
    key = params.get("kmsKey")
    if key and kind == "AES256":
        raise InvalidParameter("Invalid parameter: kmsKey can only be given with encryption "
                               "type KMS or KMS_DSSE")
    return kind, key


async def create_repository(call: Call) -> dict[str, Any]:
    p = call.params
    kind, key = encryption_settings(p.get("encryptionConfiguration"))
    scanning = p.get("imageScanningConfiguration") or {}
    base = RepositorySettings(scan_on_push=bool(scanning.get("scanOnPush", False)),
                              encryption_type=kind, kms_key=key)
    settings = mutability_settings(p, base)
    tags = {t["Key"]: t["Value"] for t in p.get("tags") or []}
    repo = await call.services.repositories.create(call.registry(), p["repositoryName"],
                                                   settings, tags)
    return {"repository": _render(call, repo)}


async def describe_repositories(call: Call) -> dict[str, Any]:
    names = call.params.get("repositoryNames")
    after, limit = call.page(1000 if names else 100)
    if names and (call.params.get("nextToken") or call.params.get("maxResults")):
        raise InvalidParameter("nextToken and maxResults cannot be used with repositoryNames")
    found = await call.services.repositories.describe(call.registry(), names, after, limit)
    out: dict[str, Any] = {"repositories": [_render(call, r) for r in found]}
    if names is None and len(found) == limit:
        out["nextToken"] = encode_token(found[-1].name)
    return out


async def delete_repository(call: Call) -> dict[str, Any]:
    repo = await call.services.repositories.delete(
        call.registry(), call.params["repositoryName"], bool(call.params.get("force")))
    return {"repository": _render(call, repo)}


async def put_image_tag_mutability(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    settings = mutability_settings(call.params, repo.settings)
    repo = await call.services.repositories.update_settings(
        repo, image_tag_mutability=settings.image_tag_mutability,
        tag_mutability_filters=settings.tag_mutability_filters)
    return {"registryId": repo.account_id, "repositoryName": repo.name,
            **shapes.mutability(repo.settings)}


async def put_image_scanning_configuration(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    scan = bool(call.params["imageScanningConfiguration"].get("scanOnPush", False))
    repo = await call.services.repositories.update_settings(repo, scan_on_push=scan)
    return {"registryId": repo.account_id, "repositoryName": repo.name,
            "imageScanningConfiguration": {"scanOnPush": scan}}


async def _by_arn(call: Call) -> Repository:
    arn = call.params["resourceArn"]
    prefix = f"arn:aws:ecr:{call.region}:"
    account, _, rest = arn[len(prefix):].partition(":") if arn.startswith(prefix) else ("", "", "")
    if not rest.startswith("repository/"):
        raise InvalidParameter(f"Invalid parameter at 'resourceArn': {arn} is not a repository "
                               f"ARN of region {call.region}")
    scoped = Call(call.services, call.auth, call.caller, {**call.params, "registryId": account})
    return await call.services.repositories.get(scoped.registry(), rest[len("repository/"):])


async def tag_resource(call: Call) -> dict[str, Any]:
    repo = await _by_arn(call)
    await call.services.repositories.tag(repo, {t["Key"]: t["Value"]
                                                for t in call.params["tags"]})
    return {}


async def untag_resource(call: Call) -> dict[str, Any]:
    repo = await _by_arn(call)
    await call.services.repositories.untag(repo, call.params["tagKeys"])
    return {}


async def list_tags_for_resource(call: Call) -> dict[str, Any]:
    repo = await _by_arn(call)
    return {"tags": shapes.resource_tags(await call.services.repositories.resource_tags(repo))}
