"""Roles: trust policies, AssumeRole, temporary credentials on both planes, expiry."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from berth.auth import sessions
from berth.testing.server import BerthServer
from tests.api.test_access_control import new_user
from tests.api.test_layers_and_auth import server_keys
from tests.http.registry_client import Client, error_code

READ_ONLY = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"


def trust(account: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": "sts:AssumeRole"}]})


def session_client(server: BerthServer, service: str, creds: dict[str, Any]) -> Any:
    return boto3.client(service, endpoint_url=server.url, region_name=server.region,
                        aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


@pytest.fixture(scope="module")
def role(shared_berth: BerthServer) -> str:
    iam = shared_berth.client("iam")
    name = f"puller-{uuid.uuid4().hex[:6]}"
    made = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(shared_berth.account_id))
    iam.attach_role_policy(RoleName=name, PolicyArn=READ_ONLY)
    assert made["Role"]["Arn"] == f"arn:aws:iam::{shared_berth.account_id}:role/{name}"
    return str(made["Role"]["Arn"])


def test_a_role_session_pulls_but_cannot_push(shared_berth: BerthServer, role: str) -> None:
    repo = f"roles/{uuid.uuid4().hex[:8]}"
    root = Client(shared_berth.url, shared_berth.password())
    root.push_image(repo, "v1")
    assumed = shared_berth.client("sts").assume_role(RoleArn=role, RoleSessionName="ci-run")
    creds = assumed["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    session_arn = assumed["AssumedRoleUser"]["Arn"]
    assert session_arn.endswith(f":assumed-role/{role.rsplit('/', 1)[1]}/ci-run")
    assert session_client(shared_berth, "sts", creds).get_caller_identity()["Arn"] == session_arn
    ecr = session_client(shared_berth, "ecr", creds)
    assert ecr.describe_images(repositoryName=repo)["imageDetails"]
    data = ecr.get_authorization_token()["authorizationData"][0]
    assert data["expiresAt"].timestamp() <= creds["Expiration"].timestamp() + 1
    password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)[1]
    session = Client(shared_berth.url, password)
    assert session.http.get(f"/v2/{repo}/manifests/v1").status_code == 200
    refused = session.http.post(f"/v2/{repo}/blobs/uploads/")
    assert refused.status_code == 403 and error_code(refused) == "DENIED"
    assert "assumed-role" in refused.json()["errors"][0]["message"]
    root.close()
    session.close()


def test_assuming_needs_the_trust_policy_and_the_callers_own_allow(
        shared_berth: BerthServer, role: str) -> None:
    key = new_user(shared_berth)  # no policies: may not call sts:AssumeRole
    with pytest.raises(ClientError) as denied:
        shared_berth.client("sts", key=key).assume_role(RoleArn=role, RoleSessionName="x1")
    assert code(denied) == "AccessDenied"
    iam = shared_berth.client("iam")
    untrusted = f"nobody-{uuid.uuid4().hex[:6]}"
    iam.create_role(RoleName=untrusted, AssumeRolePolicyDocument=trust("210987654321"))
    with pytest.raises(ClientError) as not_trusted:
        shared_berth.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{shared_berth.account_id}:role/{untrusted}",
            RoleSessionName="x2")
    assert code(not_trusted) == "AccessDenied"


def test_expired_and_forged_sessions_are_refused(shared_berth: BerthServer, role: str) -> None:
    name = role.rsplit("/", 1)[1]
    old = sessions.issue(server_keys(shared_berth), shared_berth.account_id, name, "AROAX",
                         "late", time.time() - 60)
    creds = {"AccessKeyId": old.access_key_id, "SecretAccessKey": old.secret_access_key,
             "SessionToken": old.session_token}
    with pytest.raises(ClientError) as expired:
        session_client(shared_berth, "ecr", creds).describe_repositories()
    assert code(expired) == "ExpiredTokenException"
    forged = {**creds, "SessionToken": old.session_token[:-4] + "AAAA"}
    with pytest.raises(ClientError) as invalid:
        session_client(shared_berth, "ecr", forged).describe_repositories()
    assert code(invalid) == "UnrecognizedClientException"


def test_role_management(shared_berth: BerthServer) -> None:
    iam = shared_berth.client("iam")
    name = f"r-{uuid.uuid4().hex[:6]}"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(shared_berth.account_id))
    with pytest.raises(ClientError) as exists:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(shared_berth.account_id))
    assert code(exists) == "EntityAlreadyExists"
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}))
    with pytest.raises(ClientError) as conflict:
        iam.delete_role(RoleName=name)
    assert code(conflict) == "DeleteConflict"
    iam.delete_role_policy(RoleName=name, PolicyName="p")
    iam.delete_role(RoleName=name)
    with pytest.raises(ClientError) as gone:
        iam.get_role(RoleName=name)
    assert code(gone) == "NoSuchEntity"
    with pytest.raises(ClientError) as malformed:
        iam.create_role(RoleName="bad-" + name, AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                      "Action": "sts:AssumeRole"}]}))
    assert code(malformed) == "MalformedPolicyDocument"
