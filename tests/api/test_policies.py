"""Repository and registry policies over the ECR API: storage, validation, lock-out guard."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.api.helpers import unique

CROSS_ACCOUNT_PULL = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "AllowCrossAccountPull", "Effect": "Allow",
                   "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                   "Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
                              "ecr:BatchCheckLayerAvailability"]}]}
LOCK_OUT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "NoOneSetsPolicies", "Effect": "Deny", "Principal": "*",
     "Action": "ecr:SetRepositoryPolicy"}]}


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_set_get_delete_repository_policy(ecr: Any) -> None:
    repo = unique("policy")
    ecr.create_repository(repositoryName=repo)
    with pytest.raises(ClientError) as missing:
        ecr.get_repository_policy(repositoryName=repo)
    assert code(missing) == "RepositoryPolicyNotFoundException"
    text = json.dumps(CROSS_ACCOUNT_PULL)
    assert ecr.set_repository_policy(repositoryName=repo, policyText=text)["policyText"] == text
    assert json.loads(ecr.get_repository_policy(repositoryName=repo)["policyText"]) == \
        CROSS_ACCOUNT_PULL
    assert ecr.delete_repository_policy(repositoryName=repo)["policyText"] == text
    with pytest.raises(ClientError) as gone:
        ecr.delete_repository_policy(repositoryName=repo)
    assert code(gone) == "RepositoryPolicyNotFoundException"


@pytest.mark.parametrize(("document", "why"), [
    ("{not json", "JSON"),
    ("[" * 5000, "JSON"),  # within the size limit, deeper than the parser recurses
    (json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:*"}]}), "Principal"),
    (json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Maybe", "Principal": "*", "Action": "ecr:*"}]}), "Effect"),
    (json.dumps({**CROSS_ACCOUNT_PULL, "Padding": "x" * 10_300}), "10240"),
])
def test_malformed_policies_are_refused_saying_why(ecr: Any, document: str, why: str) -> None:
    repo = unique("policy")
    ecr.create_repository(repositoryName=repo)
    with pytest.raises(ClientError) as refused:
        ecr.set_repository_policy(repositoryName=repo, policyText=document)
    assert code(refused) == "InvalidParameterException"
    assert why.lower() in refused.value.response["Error"]["Message"].lower()


def test_lock_out_guard_needs_force(ecr: Any) -> None:
    repo = unique("policy")
    ecr.create_repository(repositoryName=repo)
    with pytest.raises(ClientError) as guarded:
        ecr.set_repository_policy(repositoryName=repo, policyText=json.dumps(LOCK_OUT))
    assert code(guarded) == "InvalidParameterException"
    assert "force" in guarded.value.response["Error"]["Message"]
    ecr.set_repository_policy(repositoryName=repo, policyText=json.dumps(LOCK_OUT), force=True)
    assert json.loads(ecr.get_repository_policy(repositoryName=repo)["policyText"]) == LOCK_OUT


def test_registry_policy(ecr: Any) -> None:
    with pytest.raises(ClientError) as missing:
        ecr.get_registry_policy()
    assert code(missing) == "RegistryPolicyNotFoundException"
    document = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Replicate", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
         "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
         "Resource": "arn:aws:ecr:us-east-1:*:repository/*"}]}
    put = ecr.put_registry_policy(policyText=json.dumps(document))
    assert json.loads(put["policyText"]) == document
    assert json.loads(ecr.get_registry_policy()["policyText"]) == document
    ecr.delete_registry_policy()
    with pytest.raises(ClientError):
        ecr.delete_registry_policy()
