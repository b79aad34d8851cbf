"""Decision tables for IAM's evaluation logic: one table row per rule."""

from __future__ import annotations

from typing import Any

import pytest

from berth.policy import ACCOUNT_ROOT, Policy, StatementRef
from berth.policy.ecr_actions import repository_arn
from tests.unit.policy.builders import (
    ALICE,
    BOB,
    OTHER,
    OTHER_ROOT,
    OTHER_SESSION,
    OTHER_USER,
    OWNER,
    REPO,
    ROOT,
    SESSION,
    Caller,
    allow,
    aws,
    decide,
    deny,
    grant,
    identity,
    repository,
    request,
)

ID_ALLOW = StatementRef("identity", "inline:0", 0, None)
REPO_0 = StatementRef("resource", "repository", 0, None)

# caller, identity policies, repository policy, allowed, reason
TABLE: list[tuple[str, Caller, tuple[Policy, ...], Policy | None, bool, str]] = [
    ("no policy at all", ALICE, (), None, False, "implicit-deny"),
    ("identity allow suffices in the account", ALICE, (identity(allow()),), None,
     True, "allowed"),
    ("identity allow for another action", ALICE, (identity(allow("ecr:PutImage")),), None,
     False, "implicit-deny"),
    ("identity allow for another resource", ALICE,
     (identity(allow(resource=repository_arn("us-east-1", OWNER, "other"))),), None,
     False, "implicit-deny"),
    ("resource policy naming the user suffices", ALICE, (),
     repository(grant(aws(ALICE[2]))), True, "allowed"),
    ("resource policy naming someone else", BOB, (), repository(grant(aws(ALICE[2]))),
     False, "implicit-deny"),
    ("resource policy open to *", ALICE, (), repository(grant("*")), True, "allowed"),
    ("own account principal only delegates", ALICE, (), repository(grant(aws(OWNER))),
     False, "implicit-deny"),
    ("own account principal plus identity allow", ALICE, (identity(allow()),),
     repository(grant(aws(OWNER))), True, "allowed"),
    ("identity deny beats identity allow", ALICE, (identity(allow(), deny()),), None,
     False, "explicit-deny"),
    ("deny in another identity policy", ALICE, (identity(allow()), identity(deny())), None,
     False, "explicit-deny"),
    ("resource deny beats identity allow", ALICE, (identity(allow()),),
     repository(grant("*", "Deny")), False, "explicit-deny"),
    ("identity deny beats resource allow", ALICE, (identity(deny()),),
     repository(grant("*")), False, "explicit-deny"),
    ("resource deny for someone else does not apply", ALICE, (identity(allow()),),
     repository(grant(aws(BOB[2]), "Deny")), True, "allowed"),
    ("root is allowed in its own account", ROOT, (), None, True, "allowed"),
    ("root is still refused by an explicit deny", ROOT, (), repository(grant("*", "Deny")),
     False, "explicit-deny"),
    ("root deny by account principal", ROOT, (), repository(grant(aws(OWNER), "Deny")),
     False, "explicit-deny"),
    ("cross-account: identity only", OTHER_USER, (identity(allow()),), None,
     False, "cross-account-needs-both"),
    ("cross-account: resource only", OTHER_USER, (), repository(grant(aws(OTHER))),
     False, "cross-account-needs-both"),
    ("cross-account: neither", OTHER_USER, (), None, False, "implicit-deny"),
    ("cross-account: both via account principal", OTHER_USER, (identity(allow()),),
     repository(grant(aws(OTHER))), True, "allowed"),
    ("cross-account: both via user principal", OTHER_USER, (identity(allow()),),
     repository(grant(aws(OTHER_USER[2]))), True, "allowed"),
    ("cross-account: resource names a third account", OTHER_USER, (identity(allow()),),
     repository(grant(aws("999988887777"))), False, "cross-account-needs-both"),
    ("cross-account: * is everyone", OTHER_USER, (identity(allow()),), repository(grant("*")),
     True, "allowed"),
    ("cross-account: resource deny", OTHER_USER, (identity(allow()),),
     repository(grant(aws(OTHER), "Deny")), False, "explicit-deny"),
    ("cross-account root needs the resource policy", OTHER_ROOT, (), None,
     False, "cross-account-needs-both"),
    ("cross-account root with the resource policy", OTHER_ROOT, (),
     repository(grant(aws(OTHER))), True, "allowed"),
    ("session of a role the policy names", SESSION, (),
     repository(grant(aws(f"arn:aws:iam::{OWNER}:role/deploy"))), True, "allowed"),
    ("session named by its own ARN", SESSION, (), repository(grant(aws(SESSION[2]))),
     True, "allowed"),
    ("session of another role", SESSION, (),
     repository(grant(aws(f"arn:aws:iam::{OWNER}:role/admin"))), False, "implicit-deny"),
    ("role session with identity allow", SESSION, (identity(allow()),), None,
     True, "allowed"),
    ("cross-account role session, role named", OTHER_SESSION, (identity(allow()),),
     repository(grant(aws(f"arn:aws:iam::{OTHER}:role/builder"))), True, "allowed"),
    ("a service principal is not an IAM caller", ALICE, (),
     repository(grant({"Service": "codebuild.amazonaws.com"})), False, "implicit-deny"),
]


@pytest.mark.parametrize(("case", "caller", "identities", "repo", "allowed", "reason"),
                         TABLE, ids=[row[0] for row in TABLE])
def test_evaluation_rules(case: str, caller: Caller, identities: tuple[Policy, ...],
                          repo: Policy | None, allowed: bool, reason: str) -> None:
    decision = decide(request(caller), identities, repo)
    assert (decision.allowed, decision.reason) == (allowed, reason), case
    if reason == "implicit-deny":
        assert decision.deciding == ()
    else:
        assert decision.deciding, "every other decision names a statement"


def test_deciding_names_policy_statement_and_sid() -> None:
    policies = (identity(allow("ecr:PutImage"), allow(Sid="Pull")),
                identity(deny("ecr:Delete*", Sid="NoDelete")))
    allowed = decide(request(ALICE), policies, repository(grant("*", Sid="Open")))
    assert allowed.deciding == (StatementRef("identity", "inline:0", 1, "Pull"),
                                StatementRef("resource", "repository", 0, "Open"))
    denied = decide(request(ALICE, "ecr:DeleteRepository"), policies)
    assert denied.deciding == (StatementRef("identity", "inline:1", 0, "NoDelete"),)


def test_root_is_decided_by_its_implicit_permission() -> None:
    assert decide(request(ROOT)).deciding == (ACCOUNT_ROOT,)
    both = decide(request(OTHER_ROOT), repo=repository(grant(aws(OTHER))))
    assert both.deciding == (ACCOUNT_ROOT, REPO_0)


def test_cross_account_refusal_names_the_side_that_allowed() -> None:
    assert decide(request(OTHER_USER), (identity(allow()),)).deciding == (ID_ALLOW,)


def test_role_with_a_path_matches_through_role_arn() -> None:
    role = f"arn:aws:iam::{OWNER}:role/teams/deploy"
    repo = repository(grant(aws(role)))
    assert not decide(request(SESSION), repo=repo).allowed
    assert decide(request(SESSION, role_arn=role), repo=repo).allowed


NEGATION_TABLE = [
    # statement, action, resource, allowed
    (allow(NotAction="ecr:*Delete*", Action=None), "ecr:BatchGetImage", REPO, True),
    (allow(NotAction="ecr:*Delete*", Action=None), "ecr:BatchDeleteImage", REPO, False),
    (allow(NotAction=["ecr:Put*", "ecr:Batch*"], Action=None), "ECR:BATCHGETIMAGE", REPO,
     False),
    (allow(NotResource="arn:aws:ecr:*:*:repository/secret/*", Resource=None),
     "ecr:BatchGetImage", REPO, True),
    (allow(NotResource="arn:aws:ecr:*:*:repository/team/*", Resource=None),
     "ecr:BatchGetImage", REPO, False),
]


@pytest.mark.parametrize(("statement", "action", "resource", "allowed"), NEGATION_TABLE)
def test_not_action_and_not_resource(statement: dict[str, Any], action: str, resource: str,
                                     allowed: bool) -> None:
    statement = {k: v for k, v in statement.items() if v is not None}
    assert decide(request(ALICE, action, resource), (identity(statement),)).allowed is allowed


def test_deny_with_not_action_guards_everything_else() -> None:
    guard = {"Effect": "Deny", "NotAction": ["ecr:BatchGetImage", "ecr:GetDownload*"],
             "Resource": "*"}
    policies = (identity(allow(), guard),)
    assert decide(request(ALICE, "ecr:GetDownloadUrlForLayer"), policies).allowed
    assert decide(request(ALICE, "ecr:PutImage"), policies).reason == "explicit-deny"


NOT_PRINCIPAL_TABLE = [
    # listed principals of a "Deny everyone but" statement, caller, denied
    ([ALICE[2], f"arn:aws:iam::{OWNER}:root"], ALICE, False),
    ([ALICE[2], f"arn:aws:iam::{OWNER}:root"], BOB, True),
    ([ALICE[2]], ALICE, True),              # the account must be listed too, as IAM says
    ([OWNER], ROOT, False),
    ([OWNER], ALICE, True),
    ([SESSION[2], f"arn:aws:iam::{OWNER}:role/deploy", OWNER], SESSION, False),
    ([f"arn:aws:iam::{OWNER}:role/deploy", OWNER], SESSION, True),
    (["*"], ALICE, False),
]


@pytest.mark.parametrize(("listed", "caller", "denied"), NOT_PRINCIPAL_TABLE)
def test_not_principal(listed: list[str], caller: Caller, denied: bool) -> None:
    repo = repository({"Effect": "Deny", "NotPrincipal": {"AWS": listed}, "Action": "ecr:*"})
    decision = decide(request(caller), (identity(allow()),), repo)
    assert (decision.reason == "explicit-deny") is denied


def test_not_principal_allow_grants_everyone_else() -> None:
    repo = repository({"Effect": "Allow", "NotPrincipal": aws(BOB[2], OWNER),
                       "Action": "ecr:*"})
    assert decide(request(ALICE), repo=repo).allowed
    assert not decide(request(BOB), repo=repo).allowed


CONDITION_TABLE = [
    # condition block, request context, allowed by an Allow carrying it
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "10.1.2.3"}, True),
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "192.0.2.1"}, False),
    ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "192.0.2.1"}, True),
    ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"}, True),
    ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "false"}, False),
    ({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
     {"aws:CurrentTime": "2029-12-31T23:59:59Z"}, True),
    ({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
     {"aws:CurrentTime": "2030-01-01T00:00:00Z"}, False),
    ({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, {}, False),
    ({"StringEquals": {"aws:PrincipalAccount": OWNER}}, {}, True),
    ({"StringEquals": {"aws:PrincipalAccount": OTHER}}, {}, False),
    ({"ArnEquals": {"aws:PrincipalArn": ALICE[2]}}, {}, True),
    ({"StringEquals": {"aws:PrincipalType": "User", "aws:username": "alice"}}, {}, True),
    ({"StringEquals": {"ecr:ResourceTag/env": "prod"}}, {"ecr:ResourceTag/env": "prod"}, True),
    ({"StringEquals": {"aws:ResourceTag/env": "prod"}}, {"aws:ResourceTag/env": "dev"}, False),
    ({"StringEquals": {"aws:RequestTag/team": "a"}}, {"aws:RequestTag/team": "a"}, True),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}},
     {"aws:TagKeys": ["env"]}, True),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}},
     {"aws:TagKeys": ["env", "owner"]}, False),
    ({"ForAnyValue:StringLike": {"aws:TagKeys": "cost-*"}}, {"aws:TagKeys": ["cost-center"]},
     True),
    ({"Null": {"aws:RequestTag/team": "false"}}, {}, False),
    ({"StringEquals": {"ecr:ResourceTag/env": "prod"}, "Bool": {"aws:SecureTransport": True}},
     {"ecr:ResourceTag/env": "prod", "aws:SecureTransport": "false"}, False),   # AND
    ({"StringEquals": {"ecr:ResourceTag/env": ["dev", "prod"]}},
     {"ecr:ResourceTag/env": "prod"}, True),                                    # OR
]


@pytest.mark.parametrize(("block", "context", "allowed"), CONDITION_TABLE)
def test_conditions_in_statements(block: dict[str, Any], context: dict[str, Any],
                                  allowed: bool) -> None:
    policies = (identity(allow(Condition=block)),)
    assert decide(request(ALICE, context=context), policies).allowed is allowed


def test_conditional_deny_requires_tls() -> None:
    policies = (identity(allow(), deny(Condition={"Bool": {"aws:SecureTransport": "false"}})),)
    assert decide(request(ALICE, context={"aws:SecureTransport": "true"}), policies).allowed
    plain = decide(request(ALICE, context={"aws:SecureTransport": "false"}), policies)
    assert plain.reason == "explicit-deny"


def test_principal_keys_come_from_the_caller_not_the_context() -> None:
    policies = (identity(allow(Condition={"StringEquals": {"aws:PrincipalAccount": OTHER}})),)
    spoofed = {"aws:PrincipalAccount": OTHER}
    assert not decide(request(ALICE, context=spoofed), policies).allowed


def test_a_session_principal_arn_is_its_role() -> None:
    block = {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OWNER}:role/deploy"}}
    assert decide(request(SESSION), (identity(allow(Condition=block)),)).allowed


VARIABLE_RESOURCE = "arn:aws:ecr:*:${aws:PrincipalAccount}:repository/home/${aws:username}/*"


@pytest.mark.parametrize(("caller", "name", "allowed"), [
    (ALICE, "home/alice/tool", True),
    (ALICE, "home/bob/tool", False),
    (BOB, "home/bob/tool", True),
    (SESSION, "home/deploy/tool", False),       # sessions have no aws:username
])
def test_policy_variables_in_resource(caller: Caller, name: str, allowed: bool) -> None:
    policies = (identity(allow(resource=VARIABLE_RESOURCE)),)
    resource = repository_arn("us-east-1", OWNER, name)
    assert decide(request(caller, resource=resource), policies).allowed is allowed


def test_no_variables_in_version_2008() -> None:
    policies = (identity(allow(resource=VARIABLE_RESOURCE), version="2008-10-17"),)
    resource = repository_arn("us-east-1", OWNER, "home/alice/tool")
    assert not decide(request(ALICE, resource=resource), policies).allowed
