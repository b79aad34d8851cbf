"""The AWS-managed ECR policies, under their AWS names, with the actions AWS documents.

Sources (policy versions current when copied):
https://docs.aws.amazon.com/AmazonECR/latest/userguide/security-iam-awsmanpol.html
https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEC2ContainerRegistryFullAccess.html
https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEC2ContainerRegistryPowerUser.html
https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEC2ContainerRegistryReadOnly.html
https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEC2ContainerRegistryPullOnly.html
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from berth.policy.document import Policy, parse

FULL_ACCESS = "AmazonEC2ContainerRegistryFullAccess"
POWER_USER = "AmazonEC2ContainerRegistryPowerUser"
READ_ONLY = "AmazonEC2ContainerRegistryReadOnly"
PULL_ONLY = "AmazonEC2ContainerRegistryPullOnly"

_ARN_PREFIX = "arn:aws:iam::aws:policy/"

_READ_ONLY_ACTIONS = [
    "ecr:GetAuthorizationToken",
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:GetRepositoryPolicy",
    "ecr:DescribeRepositories",
    "ecr:ListImages",
    "ecr:DescribeImages",
    "ecr:BatchGetImage",
    "ecr:GetLifecyclePolicy",
    "ecr:GetLifecyclePolicyPreview",
    "ecr:ListTagsForResource",
    "ecr:DescribeImageScanFindings",
]
_POWER_USER_ACTIONS = [
    *_READ_ONLY_ACTIONS,
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
]
_PULL_ONLY_ACTIONS = [
    "ecr:GetAuthorizationToken",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchImportUpstreamImage",     # pull through cache: importing on first pull
]


def _allow(actions: list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": "*"}


_DOCUMENTS: dict[str, dict[str, Any]] = {
    FULL_ACCESS: {"Version": "2012-10-17", "Statement": [
        _allow(["ecr:*", "cloudtrail:LookupEvents"]),
        {**_allow(["iam:CreateServiceLinkedRole"]),
         "Condition": {"StringEquals": {"iam:AWSServiceName": ["replication.ecr.amazonaws.com"]}}},
    ]},
    POWER_USER: {"Version": "2012-10-17", "Statement": [_allow(_POWER_USER_ACTIONS)]},
    READ_ONLY: {"Version": "2012-10-17", "Statement": [_allow(_READ_ONLY_ACTIONS)]},
    PULL_ONLY: {"Version": "2012-10-17", "Statement": [_allow(_PULL_ONLY_ACTIONS)]},
}

MANAGED_POLICY_NAMES = tuple(_DOCUMENTS)


def managed_policy_arn(name: str) -> str:
    """arn:aws:iam::aws:policy/<Name>."""
    return _ARN_PREFIX + name


def managed_policy_name(arn: str) -> str | None:
    """The name of the managed policy an ARN names, or None if it is not one of them."""
    if not arn.startswith(_ARN_PREFIX):
        return None
    name = arn[len(_ARN_PREFIX):]
    return name if name in _DOCUMENTS else None


def managed_policy_text(name: str) -> str:
    """The policy document as JSON text. Raises KeyError for an unknown name."""
    return json.dumps(_DOCUMENTS[name], indent=2)


@cache
def managed_policy(name: str) -> Policy:
    """The parsed policy. Raises KeyError for an unknown name."""
    return parse(managed_policy_text(name), "identity")
