"""Behind a reverse proxy: with BERTH_TRUSTED_PROXIES, policies and the audit log see the
client and the scheme the proxy reports; without it, nobody can claim them by header."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from berth.testing.server import BerthServer, registry_password, running_berth
from tests.api.helpers import TLS_ONLY
from tests.api.test_access_control import code
from tests.api.test_audit import eventually
from tests.http.registry_client import Client


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BerthServer]:
    """A server that believes its loopback peer, as one behind a local proxy would."""
    with running_berth(tmp_path_factory.mktemp("proxied") / "data",
                       {"BERTH_TRUSTED_PROXIES": "127.0.0.1/32, ::1"}) as server:
        yield server


@pytest.fixture(scope="module", params=["trusted", "untrusted"])
def server(request: pytest.FixtureRequest, behind_proxy: BerthServer,
           shared_berth: BerthServer) -> BerthServer:
    return behind_proxy if request.param == "trusted" else shared_berth


def forwarding(client: Any, headers: dict[str, str]) -> Any:
    """A boto3 client whose requests carry ``headers``, as a proxy adds them."""
    def add(request: Any, **_: Any) -> None:
        for name, value in headers.items():
            request.headers[name] = value
    client.meta.events.register("before-send", add)
    return client


def pusher(server: BerthServer) -> tuple[str, str]:
    repo = f"proxied/{uuid.uuid4().hex[:8]}"
    root = Client(server.url, server.password())
    root.push_image(repo, "v1")
    root.close()
    return repo, "v1"


def test_the_scheme_the_proxy_reports_satisfies_a_tls_only_policy(server: BerthServer) -> None:
    trusted = server.env.get("BERTH_TRUSTED_PROXIES") is not None
    repo = f"tls-only-{uuid.uuid4().hex[:8]}"
    ecr = server.client()
    ecr.create_repository(repositoryName=repo)
    ecr.set_repository_policy(repositoryName=repo, policyText=json.dumps(TLS_ONLY), force=True)
    with httpx.Client(base_url=server.url,
                      auth=httpx.BasicAuth("AWS", server.password())) as http:
        plain = http.get(f"/v2/{repo}/tags/list")
        forwarded = http.get(f"/v2/{repo}/tags/list", headers={"X-Forwarded-Proto": "https"})
    assert plain.status_code == 403, plain.text
    assert forwarded.status_code == (200 if trusted else 403), forwarded.text

    with pytest.raises(ClientError) as denied:
        ecr.describe_images(repositoryName=repo)
    assert code(denied) == "AccessDeniedException"
    via_tls = forwarding(server.client(), {"X-Forwarded-Proto": "https"})
    if trusted:
        assert via_tls.describe_images(repositoryName=repo)["imageDetails"] == []
    else:
        with pytest.raises(ClientError) as denied:
            via_tls.describe_images(repositoryName=repo)
        assert code(denied) == "AccessDeniedException"


def test_source_ip_conditions_see_the_forwarded_client(server: BerthServer) -> None:
    trusted = server.env.get("BERTH_TRUSTED_PROXIES") is not None
    repo, tag = pusher(server)
    iam = server.client("iam")
    name = f"u-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="office", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "ecr:BatchGetImage",
                                           "ecr:DescribeImages"], "Resource": "*"},
            {"Effect": "Deny", "Action": "ecr:*", "Resource": "*",
             "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    secret = (key["AccessKeyId"], key["SecretAccessKey"])

    office = {"X-Forwarded-For": "203.0.113.7"}
    with pytest.raises(ClientError) as denied:
        server.client("ecr", key=secret).describe_images(repositoryName=repo)
    assert code(denied) == "AccessDeniedException"
    if not trusted:
        ecr = forwarding(server.client("ecr", key=secret), office)
        with pytest.raises(ClientError) as denied:
            ecr.get_authorization_token()
        assert code(denied) == "AccessDeniedException"
        with pytest.raises(ClientError) as denied:
            ecr.describe_images(repositoryName=repo)
        assert code(denied) == "AccessDeniedException"
        return

    ecr = forwarding(server.client("ecr", key=secret), office)
    assert ecr.describe_images(repositoryName=repo)["imageDetails"]
    user = Client(server.url, registry_password(ecr))
    manifest = f"/v2/{repo}/manifests/{tag}"
    assert user.http.get(manifest, headers=office).status_code == 200
    assert user.http.get(manifest).status_code == 403
    # what the client wrote left of the address the proxy appended counts for nothing
    spoofed = {"X-Forwarded-For": "203.0.113.7, 198.51.100.1"}
    assert user.http.get(manifest, headers=spoofed).status_code == 403
    assert user.http.get(manifest, headers={"X-Forwarded-For": "unknown"}).status_code == 403
    user.close()


def test_the_audit_log_names_the_forwarded_client(behind_proxy: BerthServer) -> None:
    repo = f"audited-{uuid.uuid4().hex[:8]}"
    forwarding(behind_proxy.client(), {"X-Forwarded-For": "198.51.100.23"}).create_repository(
        repositoryName=repo)
    created = [e for e in eventually(behind_proxy, "--action", "CreateRepository")
               if e["resources"][0]["ARN"].endswith(f":repository/{repo}")]
    assert created and created[0]["sourceIPAddress"] == "198.51.100.23"


def test_a_bad_trusted_proxies_setting_is_refused_before_starting(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "berth", "serve", "--data-dir",
                           str(tmp_path / "data"), "--listen", "127.0.0.1:1",
                           "--trusted-proxies", "10.0.0.0/8,lb.internal"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "'lb.internal' is not an IP address or CIDR block" in done.stderr
