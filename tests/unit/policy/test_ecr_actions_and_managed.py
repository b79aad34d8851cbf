"""The /v2/ action mapping, the ECR ARN forms, and the AWS-managed ECR policies."""

from __future__ import annotations

import json

import pytest

from berth.policy import parse
from berth.policy.ecr_actions import (
    LOGIN_ACTION,
    V2_ACTIONS,
    actions_for,
    registry_arn,
    repository_arn,
)
from berth.policy.managed import (
    FULL_ACCESS,
    MANAGED_POLICY_NAMES,
    POWER_USER,
    PULL_ONLY,
    READ_ONLY,
    managed_policy,
    managed_policy_arn,
    managed_policy_name,
    managed_policy_text,
)


def test_v2_operations_map_to_the_actions_ecr_checks() -> None:
    assert actions_for("pull") == ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
    assert actions_for("push") == ("ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
                                   "ecr:CompleteLayerUpload",
                                   "ecr:BatchCheckLayerAvailability", "ecr:PutImage")
    assert actions_for("delete") == ("ecr:BatchDeleteImage",)
    assert actions_for("catalog") == ("ecr:DescribeRepositories",)
    assert set(V2_ACTIONS) == {"pull", "push", "delete", "catalog"}
    assert LOGIN_ACTION == "ecr:GetAuthorizationToken"


def test_arn_forms() -> None:
    assert repository_arn("eu-west-1", "111122223333", "team/app") == \
        "arn:aws:ecr:eu-west-1:111122223333:repository/team/app"
    assert registry_arn("eu-west-1", "111122223333") == \
        "arn:aws:ecr:eu-west-1:111122223333:repository/*"
    assert repository_arn("cn-north-1", "111122223333", "a", partition="aws-cn") == \
        "arn:aws-cn:ecr:cn-north-1:111122223333:repository/a"


def test_the_four_managed_policies_exist_under_their_aws_names() -> None:
    assert MANAGED_POLICY_NAMES == (FULL_ACCESS, POWER_USER, READ_ONLY, PULL_ONLY)
    assert FULL_ACCESS == "AmazonEC2ContainerRegistryFullAccess"
    for name in MANAGED_POLICY_NAMES:
        arn = managed_policy_arn(name)
        assert arn == f"arn:aws:iam::aws:policy/{name}"
        assert managed_policy_name(arn) == name
        assert parse(managed_policy_text(name), "identity") == managed_policy(name)


def test_unknown_managed_policies() -> None:
    assert managed_policy_name("arn:aws:iam::aws:policy/AdministratorAccess") is None
    assert managed_policy_name("arn:aws:iam::111122223333:policy/Mine") is None
    with pytest.raises(KeyError):
        managed_policy("AdministratorAccess")


DOCUMENTED_ACTIONS = {
    FULL_ACCESS: ["ecr:*", "cloudtrail:LookupEvents"],
    READ_ONLY: ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer", "ecr:GetRepositoryPolicy",
                "ecr:DescribeRepositories", "ecr:ListImages", "ecr:DescribeImages",
                "ecr:BatchGetImage", "ecr:GetLifecyclePolicy",
                "ecr:GetLifecyclePolicyPreview", "ecr:ListTagsForResource",
                "ecr:DescribeImageScanFindings"],
    PULL_ONLY: ["ecr:GetAuthorizationToken", "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage"],
}
DOCUMENTED_ACTIONS[POWER_USER] = [*DOCUMENTED_ACTIONS[READ_ONLY], "ecr:InitiateLayerUpload",
                                  "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
                                  "ecr:PutImage"]


@pytest.mark.parametrize("name", list(DOCUMENTED_ACTIONS))
def test_managed_policies_carry_the_documented_actions(name: str) -> None:
    document = json.loads(managed_policy_text(name))
    first = document["Statement"][0]
    assert first == {"Effect": "Allow", "Action": DOCUMENTED_ACTIONS[name], "Resource": "*"}


def test_full_access_may_create_the_replication_service_linked_role() -> None:
    second = managed_policy(FULL_ACCESS).statements[1]
    assert second.actions == ("iam:CreateServiceLinkedRole",)
    assert second.conditions[0].values == ("replication.ecr.amazonaws.com",)
