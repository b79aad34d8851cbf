"""ECR cases: the seed guide's cross-account pull, and the AWS-managed policies at work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from berth.policy import Decision, StatementRef, evaluate, parse
from berth.policy.ecr_actions import actions_for, registry_arn
from berth.policy.managed import FULL_ACCESS, POWER_USER, PULL_ONLY, READ_ONLY, managed_policy
from tests.unit.policy.builders import ALICE, OTHER, OWNER, REPO, Caller, decide, request

# -- the seed guide's cross-account example ------------------------------------------------

GUIDE = Path("/work/shared/seed/ecr-guide.txt")
GUIDE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "AllowCrossAccountPull",
        "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::987654321098:root",
                              "arn:aws:iam::111222333444:root"]},
        "Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
                   "ecr:BatchCheckLayerAvailability"],
    }],
}


def guide_policy_text() -> str:
    """The policy exactly as the guide writes it, when the guide is at hand."""
    if not GUIDE.exists():
        return json.dumps(GUIDE_POLICY, indent=2)
    text = GUIDE.read_text()
    start = text.index("--policy-text '", text.index("AllowCrossAccountPull") - 400) + 15
    return text[start:text.index("'", start)]


def test_the_guide_policy_is_the_one_tested() -> None:
    assert json.loads(guide_policy_text()) == GUIDE_POLICY


PULLER = ("user", "987654321098", "arn:aws:iam::987654321098:user/deployer")
SECOND = ("assumed-role", "111222333444", "arn:aws:sts::111222333444:assumed-role/ecs/task")
STRANGER = ("user", OTHER, f"arn:aws:iam::{OTHER}:user/ci")


@pytest.mark.parametrize(("caller", "operation", "allowed"), [
    (PULLER, "pull", True),
    (SECOND, "pull", True),
    (PULLER, "push", False),
    (PULLER, "delete", False),
    (STRANGER, "pull", False),
    (ALICE, "pull", True),          # the owner's own users go by their identity policies
])
def test_cross_account_pull_from_the_seed_guide(caller: Caller, operation: str,
                                                allowed: bool) -> None:
    repo = parse(guide_policy_text(), "resource")
    identities = (managed_policy(FULL_ACCESS),)
    decisions = [decide(request(caller, action), identities, repo)
                 for action in actions_for(operation)]  # type: ignore[arg-type]
    assert all(d.allowed for d in decisions) is allowed, decisions


def test_guide_pull_is_decided_by_both_sides() -> None:
    repo = parse(guide_policy_text(), "resource")
    decision = evaluate(request(PULLER), [("managed:PullOnly", managed_policy(PULL_ONLY))],
                        ("repository", repo))
    assert decision == Decision(True, "allowed", (
        StatementRef("identity", "managed:PullOnly", 0, None),
        StatementRef("resource", "repository", 0, "AllowCrossAccountPull"),
    ))
    without_identity = decide(request(PULLER), (), repo)
    assert without_identity.reason == "cross-account-needs-both"


# -- the AWS-managed policies ----------------------------------------------------------------

def can(policy: str, action: str, resource: str = REPO) -> bool:
    return decide(request(ALICE, action, resource), (managed_policy(policy),)).allowed


@pytest.mark.parametrize(("policy", "operation", "allowed"), [
    (FULL_ACCESS, "pull", True), (FULL_ACCESS, "push", True), (FULL_ACCESS, "delete", True),
    (FULL_ACCESS, "catalog", True),
    (POWER_USER, "pull", True), (POWER_USER, "push", True), (POWER_USER, "delete", False),
    (POWER_USER, "catalog", True),
    (READ_ONLY, "pull", True), (READ_ONLY, "push", False), (READ_ONLY, "delete", False),
    (READ_ONLY, "catalog", True),
    (PULL_ONLY, "pull", True), (PULL_ONLY, "push", False), (PULL_ONLY, "delete", False),
    (PULL_ONLY, "catalog", False),
])
def test_managed_policies_on_v2_operations(policy: str, operation: str, allowed: bool) -> None:
    resource = registry_arn("us-east-1", OWNER) if operation == "catalog" else REPO
    actions = actions_for(operation)  # type: ignore[arg-type]
    # an operation needs every one of its actions (ReadOnly has one push action of five)
    assert all(can(policy, a, resource) for a in actions) is allowed


@pytest.mark.parametrize(("policy", "action", "allowed"), [
    (FULL_ACCESS, "ecr:DeleteRepository", True),
    (FULL_ACCESS, "ecr:SetRepositoryPolicy", True),
    (POWER_USER, "ecr:DeleteRepository", False),
    (POWER_USER, "ecr:SetRepositoryPolicy", False),
    (POWER_USER, "ecr:GetAuthorizationToken", True),
    (READ_ONLY, "ecr:GetAuthorizationToken", True),
    (READ_ONLY, "ecr:DescribeImages", True),
    (PULL_ONLY, "ecr:GetAuthorizationToken", True),
    (PULL_ONLY, "ecr:ListImages", False),
    (PULL_ONLY, "ecr:BatchCheckLayerAvailability", False),
])
def test_managed_policies_on_api_actions(policy: str, action: str, allowed: bool) -> None:
    assert can(policy, action, "*") is allowed
