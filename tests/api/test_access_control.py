"""IAM enforced on both planes: identity policies, repository policies, explicit deny,
and cross-account pulls (the seed guide's AllowCrossAccountPull), over real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from berth.testing.server import BerthServer, registry_password
from tests.http.registry_client import Client, error_code

READ_ONLY = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
POWER_USER = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser"


def new_user(server: BerthServer, *policies: str) -> tuple[str, str]:
    iam = server.client("iam")
    name = f"u-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    for arn in policies:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def password(server: BerthServer, key: tuple[str, str]) -> str:
    return registry_password(server.client("ecr", key=key))


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


@pytest.fixture(scope="module")
def image(shared_berth: BerthServer) -> Iterator[tuple[str, str]]:
    """A repository of the root with one image tagged v1."""
    repo = f"acl/{uuid.uuid4().hex[:8]}"
    client = Client(shared_berth.url, shared_berth.password())
    client.push_image(repo, "v1")
    yield repo, "v1"
    client.close()


def test_read_only_user_pulls_but_cannot_push_or_delete(shared_berth: BerthServer,
                                                        image: tuple[str, str]) -> None:
    repo, tag = image
    key = new_user(shared_berth, READ_ONLY)
    reader = Client(shared_berth.url, password(shared_berth, key))
    assert reader.http.get(f"/v2/{repo}/manifests/{tag}").status_code == 200
    refused = reader.http.post(f"/v2/{repo}/blobs/uploads/")
    assert refused.status_code == 403 and error_code(refused) == "DENIED"
    assert "ecr:InitiateLayerUpload" in refused.json()["errors"][0]["message"]
    assert reader.http.delete(f"/v2/{repo}/manifests/{tag}").status_code == 403
    ecr = shared_berth.client("ecr", key=key)
    assert ecr.describe_images(repositoryName=repo)["imageDetails"]
    with pytest.raises(ClientError) as denied:
        ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": tag}])
    assert code(denied) == "AccessDeniedException"
    reader.close()


def test_a_user_without_policies_cannot_even_log_in(shared_berth: BerthServer) -> None:
    key = new_user(shared_berth)
    with pytest.raises(ClientError) as denied:
        shared_berth.client("ecr", key=key).get_authorization_token()
    assert code(denied) == "AccessDeniedException"
    assert "ecr:GetAuthorizationToken" in denied.value.response["Error"]["Message"]


def test_explicit_deny_in_the_repository_policy_overrides_allows(
        shared_berth: BerthServer, image: tuple[str, str]) -> None:
    repo, tag = image
    key = new_user(shared_berth, POWER_USER)
    user = Client(shared_berth.url, password(shared_berth, key))
    assert user.http.get(f"/v2/{repo}/manifests/{tag}").status_code == 200
    arn = f"arn:aws:iam::{shared_berth.account_id}:user/" + \
        shared_berth.client("sts", key=key).get_caller_identity()["Arn"].rsplit("/", 1)[1]
    deny = {"Version": "2012-10-17", "Statement": [
        {"Sid": "NoPullsForThisUser", "Effect": "Deny", "Principal": {"AWS": arn},
         "Action": "ecr:BatchGetImage"}]}
    ecr = shared_berth.client()
    ecr.set_repository_policy(repositoryName=repo, policyText=json.dumps(deny))
    try:
        refused = user.http.get(f"/v2/{repo}/manifests/{tag}")
        assert refused.status_code == 403
        assert "explicit deny" in refused.json()["errors"][0]["message"]
        root = Client(shared_berth.url, shared_berth.password())
        assert root.http.get(f"/v2/{repo}/manifests/{tag}").status_code == 200
        root.close()
    finally:
        ecr.delete_repository_policy(repositoryName=repo)
    user.close()


def create_account(server: BerthServer) -> dict[str, str]:
    done = subprocess.run([sys.executable, "-m", "berth", "iam", "create-account"],
                          env={**os.environ, **server.settings_env}, capture_output=True,
                          text=True, timeout=60, check=True)
    account: dict[str, str] = json.loads(done.stdout)
    return account


def test_cross_account_pull_needs_the_repository_policy(shared_berth: BerthServer,
                                                        image: tuple[str, str]) -> None:
    repo, tag = image
    other = create_account(shared_berth)
    key = (other["AccessKeyId"], other["SecretAccessKey"])
    their_password = password(shared_berth, key)
    host = {"Host": f"{shared_berth.account_id}.dkr.ecr.{shared_berth.region}.localhost"}
    with httpx.Client(base_url=shared_berth.url, auth=httpx.BasicAuth("AWS", their_password),
                      headers=host) as them:
        before = them.get(f"/v2/{repo}/manifests/{tag}")
        assert before.status_code == 403 and error_code(before) == "DENIED"
        policy = {"Version": "2012-10-17", "Statement": [
            {"Sid": "AllowCrossAccountPull", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{other['AccountId']}:root"},
             "Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
                        "ecr:BatchCheckLayerAvailability"]}]}
        ecr = shared_berth.client()
        ecr.set_repository_policy(repositoryName=repo, policyText=json.dumps(policy))
        try:
            after = them.get(f"/v2/{repo}/manifests/{tag}")
            assert after.status_code == 200
            layer = json.loads(after.content)["layers"][0]["digest"]
            assert them.get(f"/v2/{repo}/blobs/{layer}").status_code == 200
            push = them.post(f"/v2/{repo}/blobs/uploads/")
            assert push.status_code == 403
            theirs: Any = shared_berth.client("ecr", key=key)
            got = theirs.batch_get_image(registryId=shared_berth.account_id,
                                         repositoryName=repo, imageIds=[{"imageTag": tag}])
            assert len(got["images"]) == 1
        finally:
            ecr.delete_repository_policy(repositoryName=repo)


def user_with_policy(server: BerthServer, statement: dict[str, Any]) -> tuple[str, str]:
    iam = server.client("iam")
    name = f"c-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    login = {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [login, statement]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


@pytest.mark.parametrize(("cidr", "allowed"), [("127.0.0.0/8", True), ("10.0.0.0/8", False)])
def test_source_ip_conditions(shared_berth: BerthServer, image: tuple[str, str], cidr: str,
                              allowed: bool) -> None:
    repo, tag = image
    key = user_with_policy(shared_berth, {
        "Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": cidr}}})
    user = Client(shared_berth.url, password(shared_berth, key))
    status = user.http.get(f"/v2/{repo}/manifests/{tag}").status_code
    assert status == (200 if allowed else 403)
    user.close()


def test_resource_tag_conditions(shared_berth: BerthServer) -> None:
    ecr = shared_berth.client()
    tagged, other = f"acl/{uuid.uuid4().hex[:8]}", f"acl/{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=tagged, tags=[{"Key": "Team", "Value": "backend"}])
    ecr.create_repository(repositoryName=other)
    key = user_with_policy(shared_berth, {
        "Effect": "Allow", "Action": "ecr:DescribeImages", "Resource": "*",
        "Condition": {"StringEquals": {"ecr:ResourceTag/Team": "backend"}}})
    user = shared_berth.client("ecr", key=key)
    assert user.describe_images(repositoryName=tagged)["imageDetails"] == []
    with pytest.raises(ClientError) as denied:
        user.describe_images(repositoryName=other)
    assert code(denied) == "AccessDeniedException"


def test_a_pull_only_user_cannot_list(shared_berth: BerthServer, image: tuple[str, str]) -> None:
    repo, tag = image
    key = new_user(shared_berth, "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly")
    puller = Client(shared_berth.url, password(shared_berth, key))
    assert puller.http.get(f"/v2/{repo}/manifests/{tag}").status_code == 200
    assert puller.http.get(f"/v2/{repo}/tags/list").status_code == 403
    assert puller.http.get("/v2/_catalog").status_code == 403
    with pytest.raises(ClientError) as denied:
        shared_berth.client("ecr", key=key).list_images(repositoryName=repo)
    assert code(denied) == "AccessDeniedException"
    puller.close()


def test_a_v2_registry_policy_governs_every_repository(shared_berth: BerthServer,
                                                       image: tuple[str, str]) -> None:
    repo, tag = image
    other = create_account(shared_berth)
    key = (other["AccessKeyId"], other["SecretAccessKey"])
    host = {"Host": f"{shared_berth.account_id}.dkr.ecr.{shared_berth.region}.localhost"}
    them = httpx.Client(base_url=shared_berth.url, headers=host,
                        auth=httpx.BasicAuth("AWS", password(shared_berth, key)))
    ecr = shared_berth.client()
    assert them.get(f"/v2/{repo}/manifests/{tag}").status_code == 403
    ecr.put_registry_policy(policyText=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "PullEverything", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{other['AccountId']}:root"},
         "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
         "Resource": f"arn:aws:ecr:{shared_berth.region}:{shared_berth.account_id}:"
                     "repository/*"}]}))
    try:
        assert them.get(f"/v2/{repo}/manifests/{tag}").status_code == 200
        ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V1")
        assert them.get(f"/v2/{repo}/manifests/{tag}").status_code == 403
    finally:
        ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V2")
        ecr.delete_registry_policy()
        them.close()
