"""Small helpers the ECR API tests share: names, errors, the aws CLI, images over /v2/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from berth.testing.server import BerthServer
from tests.http.registry_client import OCI_INDEX, OCI_MANIFEST, Client, sha256

ARTIFACT_TYPE = "application/vnd.example.sbom.v1+json"
EMPTY_CONFIG = "application/vnd.oci.empty.v1+json"
# the usual "deny unless TLS" repository policy
TLS_ONLY = {"Version": "2012-10-17", "Statement": [{
    "Sid": "DenyPlainHttp", "Effect": "Deny", "Principal": "*", "Action": "ecr:*",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


def unique(prefix: str = "api") -> str:
    """A repository name no other test uses."""
    return f"{prefix}/r-{uuid.uuid4().hex[:12]}"


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def message_of(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"].get("Message", ""))


# the aws CLI


def aws_binary() -> str:
    """The aws CLI of this virtualenv, else the one on PATH; skip when there is none."""
    local = Path(sys.executable).parent / "aws"
    if local.exists():
        return str(local)
    found = shutil.which("aws")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the aws CLI is required under CI=true")
        pytest.skip("the aws CLI is not installed")
    return found


def aws_env(server: BerthServer, home: Path | None = None) -> dict[str, str]:
    """Credentials of ``server``'s root key, and nothing from the host's AWS config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    nowhere = str((home or Path("/nonexistent")) / "aws-config-unused")
    env.update(AWS_ACCESS_KEY_ID=server.root_key[0], AWS_SECRET_ACCESS_KEY=server.root_key[1],
               AWS_DEFAULT_REGION=server.region, AWS_CONFIG_FILE=nowhere,
               AWS_SHARED_CREDENTIALS_FILE=nowhere, AWS_EC2_METADATA_DISABLED="true",
               AWS_PAGER="")
    return env


def aws(server: BerthServer, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``aws <args> --endpoint-url <server> --output json``."""
    command = [aws_binary(), *args, "--endpoint-url", server.url, "--output", "json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                            env=aws_env(server), stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited with {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def aws_json(server: BerthServer, *args: str) -> Any:
    out = aws(server, *args).stdout
    return json.loads(out) if out.strip() else None


# images over /v2/


def push_manifest(registry: Client, repo: str, reference: str, payload: bytes,
                  media_type: str = OCI_MANIFEST) -> str:
    response = registry.put_manifest(repo, reference, payload, media_type)
    assert response.status_code == 201, response.text
    return sha256(payload)


def push_image(registry: Client, repo: str, tag: str | None, layers: list[bytes] | None = None
               ) -> str:
    """An image with ``layers`` (one random layer by default), by tag or untagged."""
    payload, digest = registry.manifest(repo, layers or [uuid.uuid4().bytes])
    return push_manifest(registry, repo, tag or digest, payload)


def index_payload(children: list[tuple[str, int]]) -> bytes:
    return json.dumps({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": digest, "size": size,
                       "platform": {"architecture": arch, "os": "linux"}}
                      for (digest, size), arch in zip(children, ("amd64", "arm64", "s390x"),
                                                      strict=False)],
    }).encode()


def push_index(registry: Client, repo: str, tag: str, count: int = 2
               ) -> tuple[str, list[str]]:
    """An index of ``count`` new images; its digest and the children's digests."""
    children = []
    for _ in range(count):
        payload, digest = registry.manifest(repo, [uuid.uuid4().bytes])
        push_manifest(registry, repo, digest, payload)
        children.append((digest, len(payload)))
    index_digest = push_manifest(registry, repo, tag, index_payload(children), OCI_INDEX)
    return index_digest, [d for d, _ in children]


def artifact_payload(registry: Client, repo: str, subject_digest: str, subject_size: int,
                     artifact_type: str = ARTIFACT_TYPE) -> bytes:
    """An OCI artifact manifest (empty config, one blob) whose subject is the given image."""
    config = registry.push_blob(repo, b"{}")
    blob = uuid.uuid4().bytes
    return json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": artifact_type,
        "config": {"mediaType": EMPTY_CONFIG, "digest": config, "size": 2},
        "layers": [{"mediaType": "application/octet-stream",
                    "digest": registry.push_blob(repo, blob), "size": len(blob)}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": subject_digest, "size": subject_size},
        "annotations": {"org.example.kind": "sbom"},
    }).encode()
