"""The audit log: writes, refusals and logins, CloudTrail-shaped, read with berth audit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from berth.testing.server import BerthServer, running_berth
from tests.api.test_access_control import READ_ONLY, new_user, password
from tests.http.registry_client import Client


def audit(server: BerthServer, *args: str) -> list[dict[str, Any]]:
    done = subprocess.run([sys.executable, "-m", "berth", "audit", *args],
                          env={**os.environ, **server.settings_env}, capture_output=True,
                          text=True, timeout=60, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


def eventually(server: BerthServer, *args: str, count: int = 1) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while True:
        found = audit(server, *args)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_writes_logins_and_refusals_are_recorded(tmp_path: Path) -> None:
    with running_berth(tmp_path / "data") as server:
        root = Client(server.url, server.password())
        server.client().create_repository(repositoryName="audited")
        root.push_image("audited", "v1")
        key = new_user(server, READ_ONLY)
        reader = Client(server.url, password(server, key))
        assert reader.http.post("/v2/audited/blobs/uploads/").status_code == 403

        created = eventually(server, "--action", "CreateRepository")
        assert created[0]["eventSource"] == "ecr.amazonaws.com"
        assert created[0]["userIdentity"]["arn"] == f"arn:aws:iam::{server.account_id}:root"
        assert created[0]["resources"][0]["ARN"] == \
            f"arn:aws:ecr:{server.region}:{server.account_id}:repository/audited"
        pushed = eventually(server, "--action", "ecr:PutImage")
        assert pushed[0]["decision"] == "allowed" and pushed[0]["readOnly"] is False
        logins = eventually(server, "--action", "GetAuthorizationToken", count=2)
        assert len(logins) >= 2
        refused = eventually(server, "--action", "InitiateLayerUpload")
        assert refused[0]["decision"] == "denied" and refused[0]["errorCode"] == "DENIED"
        assert "/u-" in refused[0]["userIdentity"]["arn"]
        users = eventually(server, "--principal", ":root", "--action", "CreateUser")
        assert users[0]["eventSource"] == "iam.amazonaws.com"
        assert audit(server, "--since", "2999-01-01T00:00:00Z") == []
        root.close()
        reader.close()
