"""The archive storage class and scheduled lifecycle runs, through boto3, the aws CLI and
/v2/ pulls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from berth.testing.server import BerthServer, running_berth
from tests.api.helpers import aws_json, code_of, push_image, unique
from tests.http.registry_client import Client


def status_of(ecr: Any, repo: str, digest: str) -> dict[str, Any]:
    return ecr.describe_images(repositoryName=repo, imageIds=[{"imageDigest": digest}]
                               )["imageDetails"][0]


def wait_active(ecr: Any, repo: str, digest: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        detail = status_of(ecr, repo, digest)
        if detail["imageStatus"] == "ACTIVE" or time.monotonic() > deadline:
            return detail
        time.sleep(0.2)


def test_archive_and_restore(shared_berth: BerthServer, ecr: Any, registry: Client,
                             repo: str) -> None:
    digest = push_image(registry, repo, "v1")
    other = push_image(registry, repo, "v2")
    archived = aws_json(shared_berth, "ecr", "update-image-storage-class", "--repository-name",
                        repo, "--image-id", "imageTag=v1", "--target-storage-class", "ARCHIVE")
    assert archived["imageStatus"] == "ARCHIVED"
    assert archived["imageId"] == {"imageDigest": digest, "imageTag": "v1"}
    # listed only when asked for, described with when it was archived
    listed = ecr.describe_images(repositoryName=repo)["imageDetails"]
    assert [d["imageDigest"] for d in listed] == [other]
    shown = ecr.describe_images(repositoryName=repo, filter={"imageStatus": "ARCHIVED"}
                                )["imageDetails"]
    assert [d["imageDigest"] for d in shown] == [digest]
    assert shown[0]["imageStatus"] == "ARCHIVED" and shown[0]["lastArchivedAt"]
    ids = ecr.list_images(repositoryName=repo, filter={"imageStatus": "ANY"})["imageIds"]
    assert {i["imageDigest"] for i in ids} == {digest, other}
    # not pullable, not scannable
    response = registry.http.get(f"/v2/{repo}/manifests/v1")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    with pytest.raises(ClientError) as exc:
        ecr.start_image_scan(repositoryName=repo, imageId={"imageTag": "v1"})
    assert code_of(exc) == "ImageArchivedException"
    # archiving again changes nothing; restoring passes through ACTIVATING
    again = ecr.update_image_storage_class(repositoryName=repo, imageId={"imageTag": "v1"},
                                           targetStorageClass="ARCHIVE")
    assert again["imageStatus"] == "ARCHIVED"
    restored = ecr.update_image_storage_class(repositoryName=repo,
                                              imageId={"imageDigest": digest},
                                              targetStorageClass="STANDARD")
    assert restored["imageStatus"] == "ACTIVATING"
    detail = wait_active(ecr, repo, digest)
    assert detail["imageStatus"] == "ACTIVE" and detail["lastActivatedAt"]
    assert registry.http.get(f"/v2/{repo}/manifests/v1").status_code == 200


def test_pushing_an_archived_image_again_restores_it(ecr: Any, registry: Client,
                                                     repo: str) -> None:
    payload, digest = registry.manifest(repo, [b"layer-bytes"])
    assert registry.put_manifest(repo, "v1", payload).status_code == 201
    ecr.update_image_storage_class(repositoryName=repo, imageId={"imageTag": "v1"},
                                   targetStorageClass="ARCHIVE")
    assert registry.put_manifest(repo, "v1", payload).status_code == 201
    detail = status_of(ecr, repo, digest)
    assert detail["imageStatus"] == "ACTIVE" and detail["lastActivatedAt"]


def test_unknown_images_and_repositories(ecr: Any, repo: str) -> None:
    with pytest.raises(ClientError) as exc:
        ecr.update_image_storage_class(repositoryName=repo, imageId={"imageTag": "nope"},
                                       targetStorageClass="ARCHIVE")
    assert code_of(exc) == "ImageNotFoundException"
    with pytest.raises(ClientError) as exc:
        ecr.update_image_storage_class(repositoryName=unique("none"),
                                       imageId={"imageTag": "v1"}, targetStorageClass="ARCHIVE")
    assert code_of(exc) == "RepositoryNotFoundException"


ARCHIVE_ALL_BUT_ONE = {"rules": [{
    "rulePriority": 1, "description": "archive all but the newest",
    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
    "action": {"type": "transition", "targetStorageClass": "archive"}}]}
EXPIRE_ALL_BUT_ONE = {"rules": [{
    "rulePriority": 1, "description": "keep the newest",
    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
    "action": {"type": "expire"}}]}


def test_policies_run_on_their_schedule(tmp_path: Path) -> None:
    """Policies run by themselves once they are due (every 2 s here), archiving and
    expiring as the preview says."""
    env = {"BERTH_LIFECYCLE_INTERVAL_SECONDS": "2"}
    with running_berth(tmp_path / "data", env) as server:
        ecr = server.client()
        registry = Client(server.url, server.password())
        archived, expired = unique("sched"), unique("sched")
        for name, policy in ((archived, ARCHIVE_ALL_BUT_ONE), (expired, EXPIRE_ALL_BUT_ONE)):
            ecr.create_repository(repositoryName=name)
            for i in range(3):
                push_image(registry, name, f"v{i}")
                time.sleep(0.01)
            ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=json.dumps(policy))
            ecr.start_lifecycle_policy_preview(repositoryName=name)
        previews = {n: ecr.get_lifecycle_policy_preview(repositoryName=n)["previewResults"]
                    for n in (archived, expired)}
        assert [r["action"]["type"] for r in previews[archived]] == ["TRANSITION"] * 2
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            left = ecr.describe_images(repositoryName=expired)["imageDetails"]
            active = ecr.describe_images(repositoryName=archived)["imageDetails"]
            if len(left) == 1 and len(active) == 1:
                break
            time.sleep(0.3)
        assert len(left) == 1 and len(active) == 1
        gone = ecr.describe_images(repositoryName=archived,
                                   filter={"imageStatus": "ARCHIVED"})["imageDetails"]
        assert {d["imageDigest"] for d in gone} == {r["imageDigest"]
                                                    for r in previews[archived]}
        assert ecr.get_lifecycle_policy(repositoryName=expired)["lastEvaluatedAt"]
        registry.close()
        events = _policy_events(server)
        assert {(e["serviceEventDetails"]["repositoryName"], e["serviceEventDetails"]["action"])
                for e in events} == {(archived, "TRANSITION"), (expired, "EXPIRE")}
        assert len(events) == 4


def _policy_events(server: BerthServer) -> list[dict[str, Any]]:
    """The audit log's PolicyExecutionEvents (written by a background thread)."""
    deadline = time.monotonic() + 10
    while True:
        out = subprocess.run([sys.executable, "-m", "berth", "audit", "--action",
                              "PolicyExecutionEvent"], capture_output=True, text=True,
                             env={**os.environ, **server.settings_env}, check=True).stdout
        events = [json.loads(line) for line in out.splitlines()]
        if len(events) >= 4 or time.monotonic() > deadline:
            return events
        time.sleep(0.3)
