"""IAM over the query protocol: users, access keys and users' policies, with boto3 and the
aws CLI against a running berth."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from berth.testing.server import BerthServer
from tests.api.helpers import aws_json

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": "*"}]})
READ_ONLY = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"


@pytest.fixture(scope="module")
def iam(shared_berth: BerthServer) -> Any:
    return shared_berth.client("iam")


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_user_with_a_key_is_who_sts_says(shared_berth: BerthServer, iam: Any) -> None:
    name = f"user-{uuid.uuid4().hex[:8]}"
    user = iam.create_user(UserName=name)["User"]
    assert user["Arn"] == f"arn:aws:iam::{shared_berth.account_id}:user/{name}"
    assert user["UserId"].startswith("AIDA")
    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert key["Status"] == "Active" and len(key["SecretAccessKey"]) == 40
    sts = shared_berth.client("sts", key=(key["AccessKeyId"], key["SecretAccessKey"]))
    assert sts.get_caller_identity()["Arn"] == user["Arn"]
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]
    assert "SecretAccessKey" not in listed[0]
    with pytest.raises(ClientError) as exists:
        iam.create_user(UserName=name)
    assert code(exists) == "EntityAlreadyExists"


def test_policies_and_deletion_order(iam: Any) -> None:
    name = f"user-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="pull", PolicyDocument=POLICY)
    got = iam.get_user_policy(UserName=name, PolicyName="pull")
    assert got["PolicyDocument"] == json.loads(POLICY)  # botocore decodes IAM's URL-encoding
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["pull"]
    iam.attach_user_policy(UserName=name, PolicyArn=READ_ONLY)
    attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    assert attached == [{"PolicyName": "AmazonEC2ContainerRegistryReadOnly",
                         "PolicyArn": READ_ONLY}]
    with pytest.raises(ClientError) as conflict:
        iam.delete_user(UserName=name)
    assert code(conflict) == "DeleteConflict"
    iam.delete_user_policy(UserName=name, PolicyName="pull")
    iam.detach_user_policy(UserName=name, PolicyArn=READ_ONLY)
    iam.delete_user(UserName=name)
    with pytest.raises(ClientError) as gone:
        iam.get_user(UserName=name)
    assert code(gone) == "NoSuchEntity"


def test_refusals(shared_berth: BerthServer, iam: Any) -> None:
    name = f"user-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as unknown_policy:
        iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/Nope")
    assert code(unknown_policy) == "NoSuchEntity"
    with pytest.raises(ClientError) as malformed:
        iam.put_user_policy(UserName=name, PolicyName="bad", PolicyDocument="{not json")
    assert code(malformed) in ("MalformedPolicyDocument", "ValidationError")
    with pytest.raises(ClientError) as no_user:
        iam.create_access_key(UserName="nobody-" + uuid.uuid4().hex[:6])
    assert code(no_user) == "NoSuchEntity"
    key = iam.create_access_key(UserName=name)["AccessKey"]
    as_user = shared_berth.client("iam", key=(key["AccessKeyId"], key["SecretAccessKey"]))
    with pytest.raises(ClientError) as denied:
        as_user.create_user(UserName="x" + uuid.uuid4().hex[:6])
    assert code(denied) == "AccessDenied"
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    revoked = shared_berth.client("sts", key=(key["AccessKeyId"], key["SecretAccessKey"]))
    with pytest.raises(ClientError) as invalid:
        revoked.get_caller_identity()
    assert code(invalid) == "InvalidClientTokenId"


def test_the_aws_cli_manages_users(shared_berth: BerthServer) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    made = aws_json(shared_berth, "iam", "create-user", "--user-name", name)
    assert made["User"]["UserName"] == name
    key = aws_json(shared_berth, "iam", "create-access-key", "--user-name", name)
    assert key["AccessKey"]["UserName"] == name
    aws_json(shared_berth, "iam", "put-user-policy", "--user-name", name, "--policy-name", "p",
             "--policy-document", POLICY)
    listed = aws_json(shared_berth, "iam", "list-user-policies", "--user-name", name)
    assert listed["PolicyNames"] == ["p"]
