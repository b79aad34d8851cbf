"""The seed guide's "Cross-Account Access and Image Sharing" policy, run as written with
the aws CLI, and the two accounts it names pulling over /v2/ and BatchGetImage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from berth.testing.server import BerthServer, registry_password, running_berth
from tests.api.helpers import aws_json
from tests.http.registry_client import Client

GUIDE_POLICY = """{
    "Version": "2012-10-17",
    "Statement": [
      {
        "Sid": "AllowCrossAccountPull",
        "Effect": "Allow",
        "Principal": {
          "AWS": [
            "arn:aws:iam::987654321098:root",
            "arn:aws:iam::111222333444:root"
          ]
        },
        "Action": [
          "ecr:GetDownloadUrlForLayer",
          "ecr:BatchGetImage",
          "ecr:BatchCheckLayerAvailability"
        ]
      }
    ]
  }"""


def make_account(server: BerthServer, account_id: str) -> tuple[str, str]:
    done = subprocess.run([sys.executable, "-m", "berth", "iam", "create-account",
                           "--account-id", account_id],
                          env={**os.environ, **server.settings_env}, capture_output=True,
                          text=True, timeout=60, check=True)
    made = json.loads(done.stdout)
    return made["AccessKeyId"], made["SecretAccessKey"]


def login(server: BerthServer, key: tuple[str, str]) -> str:
    return registry_password(server.client("ecr", key=key))


def test_the_guides_cross_account_policy(tmp_path: Path) -> None:
    with running_berth(tmp_path / "data") as server:
        owner = Client(server.url, server.password())
        server.client().create_repository(repositoryName="my-application")
        owner.push_image("my-application", "v1.0.0")
        staging = make_account(server, "987654321098")
        production = make_account(server, "111222333444")
        stranger = make_account(server, "555566667777")
        aws_json(server, "ecr", "set-repository-policy", "--repository-name",
                 "my-application", "--policy-text", GUIDE_POLICY)
        host = {"Host": f"{server.account_id}.dkr.ecr.{server.region}.localhost"}
        for key, allowed in ((staging, True), (production, True), (stranger, False)):
            with httpx.Client(base_url=server.url, headers=host,
                              auth=httpx.BasicAuth("AWS", login(server, key))) as them:
                status = them.get("/v2/my-application/manifests/v1.0.0").status_code
                assert status == (200 if allowed else 403), key
                assert them.post("/v2/my-application/blobs/uploads/").status_code == 403
        got = server.client("ecr", key=staging).batch_get_image(
            registryId=server.account_id, repositoryName="my-application",
            imageIds=[{"imageTag": "v1.0.0"}])
        assert [i["imageId"]["imageTag"] for i in got["images"]] == ["v1.0.0"]
        owner.close()
