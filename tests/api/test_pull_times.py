"""lastRecordedPullTime and the principals excluded from updating it."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from berth.testing.server import BerthServer
from tests.api.test_access_control import READ_ONLY, password
from tests.http.registry_client import Client


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def pulled_at(ecr: Any, repo: str) -> Any:
    return ecr.describe_images(repositoryName=repo)["imageDetails"][0].get(
        "lastRecordedPullTime")


def test_an_excluded_principals_pulls_are_not_recorded(shared_berth: BerthServer) -> None:
    ecr, iam = shared_berth.client(), shared_berth.client("iam")
    name = f"scanner-{uuid.uuid4().hex[:6]}"
    user_arn = iam.create_user(UserName=name)["User"]["Arn"]
    iam.attach_user_policy(UserName=name, PolicyArn=READ_ONLY)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    registered = ecr.register_pull_time_update_exclusion(principalArn=user_arn)
    assert registered["principalArn"] == user_arn and registered["createdAt"]
    assert user_arn in ecr.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"]
    with pytest.raises(ClientError) as again:
        ecr.register_pull_time_update_exclusion(principalArn=user_arn)
    assert code(again) == "ExclusionAlreadyExistsException"

    repo = f"pulls/{uuid.uuid4().hex[:8]}"
    root = Client(shared_berth.url, shared_berth.password())
    root.push_image(repo, "v1")
    scanner = Client(shared_berth.url, password(
        shared_berth, (key["AccessKeyId"], key["SecretAccessKey"])))
    assert scanner.http.get(f"/v2/{repo}/manifests/v1").status_code == 200
    time.sleep(1)
    assert pulled_at(ecr, repo) is None  # the excluded scanner's pull left no trace
    assert root.http.get(f"/v2/{repo}/manifests/v1").status_code == 200
    deadline = time.monotonic() + 5
    while pulled_at(ecr, repo) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pulled_at(ecr, repo) is not None

    ecr.deregister_pull_time_update_exclusion(principalArn=user_arn)
    with pytest.raises(ClientError) as gone:
        ecr.deregister_pull_time_update_exclusion(principalArn=user_arn)
    assert code(gone) == "ExclusionNotFoundException"
    root.close()
    scanner.close()
