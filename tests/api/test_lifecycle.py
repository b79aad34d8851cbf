"""Lifecycle policies over the ECR API: the seed guide's commands, validation, the preview
(the pure engine's own tests are in tests/unit/lifecycle)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from berth.testing.guide import LIFECYCLE_POLICY
from berth.testing.server import BerthServer
from tests.api.helpers import aws_json, push_image, unique
from tests.http.registry_client import Client

GUIDE_POLICY = json.loads(LIFECYCLE_POLICY)
KEEP_TWO = {"rules": [{"rulePriority": 1, "description": "keep the two newest v* images",
                       "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"],
                                     "countType": "imageCountMoreThan", "countNumber": 2},
                       "action": {"type": "expire"}}]}


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_the_guides_lifecycle_commands(shared_berth: BerthServer, ecr: Any) -> None:
    repo = unique("lifecycle")
    ecr.create_repository(repositoryName=repo)
    text = LIFECYCLE_POLICY
    put = aws_json(shared_berth, "ecr", "put-lifecycle-policy", "--repository-name", repo,
                   "--lifecycle-policy-text", text)
    assert json.loads(put["lifecyclePolicyText"]) == GUIDE_POLICY
    got = aws_json(shared_berth, "ecr", "get-lifecycle-policy", "--repository-name", repo)
    assert json.loads(got["lifecyclePolicyText"]) == GUIDE_POLICY
    aws_json(shared_berth, "ecr", "start-lifecycle-policy-preview", "--repository-name", repo)
    preview = aws_json(shared_berth, "ecr", "get-lifecycle-policy-preview",
                       "--repository-name", repo)
    assert preview["status"] == "COMPLETE" and preview["previewResults"] == []


def test_preview_names_what_would_expire_and_touches_nothing(ecr: Any,
                                                            registry: Client) -> None:
    repo = unique("lifecycle")
    ecr.create_repository(repositoryName=repo)
    digests = [push_image(registry, repo, f"v{i}") for i in range(4)]
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=json.dumps(KEEP_TWO))
    started = ecr.start_lifecycle_policy_preview(repositoryName=repo)
    assert started["status"] == "COMPLETE"
    preview = ecr.get_lifecycle_policy_preview(repositoryName=repo)
    expiring = {r["imageDigest"] for r in preview["previewResults"]}
    assert expiring == set(digests[:2])  # the two oldest
    assert all(r["appliedRulePriority"] == 1 and r["action"] == {"type": "EXPIRE"}
               for r in preview["previewResults"])
    assert preview["summary"]["expiringImageTotalCount"] == 2
    assert len(ecr.describe_images(repositoryName=repo)["imageDetails"]) == 4


def test_invalid_policies_are_refused_naming_the_rule(ecr: Any) -> None:
    repo = unique("lifecycle")
    ecr.create_repository(repositoryName=repo)
    bad = {"rules": [{"rulePriority": 1, "selection": {
        "tagStatus": "untagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan",
        "countNumber": 1}, "action": {"type": "expire"}}]}
    with pytest.raises(ClientError) as refused:
        ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=json.dumps(bad))
    assert code(refused) == "InvalidParameterException"
    assert "rule 1" in refused.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as missing:
        ecr.get_lifecycle_policy(repositoryName=repo)
    assert code(missing) == "LifecyclePolicyNotFoundException"
    with pytest.raises(ClientError) as no_preview:
        ecr.get_lifecycle_policy_preview(repositoryName=repo)
    assert code(no_preview) == "LifecyclePolicyPreviewNotFoundException"


def test_delete_lifecycle_policy(ecr: Any) -> None:
    repo = unique("lifecycle")
    ecr.create_repository(repositoryName=repo)
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=json.dumps(KEEP_TWO))
    deleted = ecr.delete_lifecycle_policy(repositoryName=repo)
    assert json.loads(deleted["lifecyclePolicyText"]) == KEEP_TWO
    with pytest.raises(ClientError) as gone:
        ecr.delete_lifecycle_policy(repositoryName=repo)
    assert code(gone) == "LifecyclePolicyNotFoundException"


def test_berth_lifecycle_run_applies_the_policy(tmp_path: Any) -> None:
    import os
    import subprocess
    import sys

    from berth.testing.server import running_berth

    with running_berth(tmp_path / "data") as server:
        ecr = server.client()
        registry = Client(server.url, server.password())
        repo = unique("lifecycle")
        ecr.create_repository(repositoryName=repo)
        digests = [push_image(registry, repo, f"v{i}") for i in range(4)]
        ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=json.dumps(KEEP_TWO))
        done = subprocess.run([sys.executable, "-m", "berth", "lifecycle", "run"],
                              env={**os.environ, **server.settings_env},
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        assert f"{repo}: expired 2 image(s)" in done.stdout
        left = {d["imageDigest"] for d in ecr.describe_images(repositoryName=repo)["imageDetails"]}
        assert left == set(digests[2:])
        assert ecr.get_lifecycle_policy(repositoryName=repo)["lastEvaluatedAt"]
        registry.close()
