"""The IAM actions and resource ARNs ECR checks, for requests that are not ECR API calls.

A `/v2/` request is allowed when every action of its operation is allowed on the
repository, as ECR does for docker and other OCI clients:

    pull     GET/HEAD manifests and blobs         ecr:BatchGetImage, ecr:GetDownloadUrlForLayer
    push     blob uploads, PUT manifests          ecr:InitiateLayerUpload, ecr:UploadLayerPart,
                                                  ecr:CompleteLayerUpload,
                                                  ecr:BatchCheckLayerAvailability, ecr:PutImage
    delete   DELETE manifests                     ecr:BatchDeleteImage
    catalog  GET /v2/_catalog                     ecr:DescribeRepositories (on the registry)

Logging in needs ecr:GetAuthorizationToken, which has no resource ("*").
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

V2Operation = Literal["pull", "push", "delete", "catalog"]

PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
PUSH_ACTIONS = ("ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
                "ecr:BatchCheckLayerAvailability", "ecr:PutImage")
DELETE_ACTIONS = ("ecr:BatchDeleteImage",)
CATALOG_ACTIONS = ("ecr:DescribeRepositories",)
LOGIN_ACTION = "ecr:GetAuthorizationToken"
LOGIN_RESOURCE = "*"

V2_ACTIONS: Mapping[V2Operation, tuple[str, ...]] = MappingProxyType({
    "pull": PULL_ACTIONS,
    "push": PUSH_ACTIONS,
    "delete": DELETE_ACTIONS,
    "catalog": CATALOG_ACTIONS,
})


def actions_for(operation: V2Operation) -> tuple[str, ...]:
    """The actions a /v2/ operation needs, all of them on the same resource."""
    return V2_ACTIONS[operation]


def repository_arn(region: str, account_id: str, name: str, partition: str = "aws") -> str:
    """arn:aws:ecr:<region>:<account>:repository/<name>."""
    return f"arn:{partition}:ecr:{region}:{account_id}:repository/{name}"


def registry_arn(region: str, account_id: str, partition: str = "aws") -> str:
    """The resource of registry-wide checks: arn:aws:ecr:<region>:<account>:repository/*.

    ECR has no resource type for the registry itself; registry-wide operations (the
    catalog, DescribeRepositories without names) and registry policies address every
    repository of the registry this way.
    """
    return repository_arn(region, account_id, "*", partition)
