"""Domain records rendered with ECR's field names (the response shapes of the model)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from berth.policy.ecr_actions import repository_arn
from berth.services.image_batches import ImageFailure, ImageInfo, ImageRef
from berth.services.templates import Template
from berth.storage.meta import Repository, RepositorySettings


def registry_host(public_url: str, default_account: str, account_id: str, region: str) -> str:
    """The host a registry's images are named by; it maps back to the account on /v2/."""
    host = urlsplit(public_url).netloc
    if account_id == default_account:
        return host
    return f"{account_id}.dkr.ecr.{region}.{host}"


def mutability(settings: RepositorySettings) -> dict[str, Any]:
    out: dict[str, Any] = {"imageTagMutability": settings.image_tag_mutability}
    if settings.tag_mutability_filters:
        out["imageTagMutabilityExclusionFilters"] = [
            {"filterType": "WILDCARD", "filter": f} for f in settings.tag_mutability_filters]
    return out


def encryption(settings: RepositorySettings) -> dict[str, Any]:
    out: dict[str, Any] = {"encryptionType": settings.encryption_type}
    if settings.kms_key:
        out["kmsKey"] = settings.kms_key
    return out


def repository(repo: Repository, region: str, host: str) -> dict[str, Any]:
    return {
        "repositoryArn": repository_arn(region, repo.account_id, repo.name),
        "registryId": repo.account_id,
        "repositoryName": repo.name,
        "repositoryUri": f"{host}/{repo.name}",
        "createdAt": repo.created_at,
        **mutability(repo.settings),
        "imageScanningConfiguration": {"scanOnPush": repo.settings.scan_on_push},
        "encryptionConfiguration": encryption(repo.settings),
    }


def image_id(ref: ImageRef) -> dict[str, Any]:
    out = {}
    if ref.digest is not None:
        out["imageDigest"] = ref.digest
    if ref.tag is not None:
        out["imageTag"] = ref.tag
    return out


def image_failure(failure: ImageFailure) -> dict[str, Any]:
    return {"imageId": image_id(failure.ref), "failureCode": failure.code,
            "failureReason": failure.reason}


def image_detail(repo: Repository, info: ImageInfo) -> dict[str, Any]:
    record = info.record
    detail: dict[str, Any] = {
        "registryId": repo.account_id,
        "repositoryName": repo.name,
        "imageDigest": record.digest,
        "imageSizeInBytes": record.image_size,
        "imagePushedAt": record.pushed_at,
        "imageManifestMediaType": record.media_type,
        "imageStatus": record.image_status,
    }
    if info.tags:
        detail["imageTags"] = info.tags
    if record.artifact_type:
        detail["artifactMediaType"] = record.artifact_type
    if record.last_pulled_at is not None:
        detail["lastRecordedPullTime"] = record.last_pulled_at
    if record.subject_digest:
        detail["subjectManifestDigest"] = record.subject_digest
    if record.last_archived_at is not None:
        detail["lastArchivedAt"] = record.last_archived_at
    if record.last_activated_at is not None:
        detail["lastActivatedAt"] = record.last_activated_at
    return detail


def resource_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def template(t: Template) -> dict[str, Any]:
    out: dict[str, Any] = {
        "prefix": t.prefix,
        "appliedFor": list(t.applied_for),
        "encryptionConfiguration": encryption(t.settings),
        "resourceTags": resource_tags(t.resource_tags),
        **mutability(t.settings),
        "createdAt": t.created_at,
        "updatedAt": t.updated_at,
    }
    for key, value in (("description", t.description),
                       ("repositoryPolicy", t.repository_policy),
                       ("lifecyclePolicy", t.lifecycle_policy),
                       ("customRoleArn", t.custom_role_arn)):
        if value is not None:
            out[key] = value
    return out
