"""Properties of evaluation that hold for any policies: generated from a small vocabulary
of actions, resources, principals and conditions so that statements often apply."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from berth.policy import AccessRequest, Decision, Policy, evaluate, parse

OWNER = "111122223333"
OTHER = "444455556666"
REPOS = [f"arn:aws:ecr:us-east-1:{OWNER}:repository/{name}" for name in ("app", "team/tool")]

ACTIONS = ["ecr:BatchGetImage", "ecr:PutImage", "ecr:BatchDeleteImage", "ecr:DescribeImages"]
ACTION_PATTERNS = [*ACTIONS, "ecr:*", "*", "ecr:Batch*", "ECR:putimage", "ecr:?utImage"]
RESOURCE_PATTERNS = [*REPOS, "*", f"arn:aws:ecr:*:{OWNER}:repository/team/*",
                     "arn:aws:ecr:us-east-1:*:repository/a??",
                     "arn:aws:ecr:*:${aws:PrincipalAccount}:repository/*"]
CALLERS = [
    ("root", OWNER, f"arn:aws:iam::{OWNER}:root"),
    ("user", OWNER, f"arn:aws:iam::{OWNER}:user/alice"),
    ("assumed-role", OWNER, f"arn:aws:sts::{OWNER}:assumed-role/deploy/s1"),
    ("root", OTHER, f"arn:aws:iam::{OTHER}:root"),
    ("user", OTHER, f"arn:aws:iam::{OTHER}:user/ci"),
    ("assumed-role", OTHER, f"arn:aws:sts::{OTHER}:assumed-role/builder/job"),
]
PRINCIPALS = ["*", OWNER, OTHER, f"arn:aws:iam::{OWNER}:user/alice",
              f"arn:aws:iam::{OTHER}:user/ci", f"arn:aws:iam::{OWNER}:role/deploy",
              f"arn:aws:iam::{OTHER}:role/builder"]
CONDITIONS: list[dict[str, Any]] = [
    {"Bool": {"aws:SecureTransport": "true"}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"StringEquals": {"ecr:ResourceTag/env": "prod"}},
    {"StringNotEqualsIfExists": {"aws:RequestTag/team": "red"}},
    {"ForAnyValue:StringLike": {"aws:TagKeys": "cost-*"}},
    {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
    {"Null": {"aws:RequestTag/team": "true"}},
    {"StringEquals": {"aws:PrincipalAccount": OWNER}},
]
CONTEXTS: list[dict[str, Any]] = [
    {},
    {"aws:SecureTransport": "true", "aws:SourceIp": "10.2.3.4",
     "aws:CurrentTime": "2026-01-01T00:00:00Z", "ecr:ResourceTag/env": "prod"},
    {"aws:SecureTransport": "false", "aws:SourceIp": "192.0.2.1",
     "aws:CurrentTime": "2031-01-01T00:00:00Z", "aws:RequestTag/team": "red",
     "aws:TagKeys": ["team", "cost-center"]},
]


def one_or_many(pool: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(pool), st.lists(st.sampled_from(pool), min_size=1,
                                                       max_size=3))


@st.composite
def statements(draw: st.DrawFn, kind: str, effect: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    body["NotAction" if draw(st.integers(0, 4)) == 0 else "Action"] = draw(
        one_or_many(ACTION_PATTERNS))
    if kind == "identity" or draw(st.booleans()):
        body["NotResource" if draw(st.integers(0, 4)) == 0 else "Resource"] = draw(
            one_or_many(RESOURCE_PATTERNS))
    if kind == "resource":
        key = "NotPrincipal" if draw(st.integers(0, 5)) == 0 else "Principal"
        body[key] = {"AWS": draw(one_or_many(PRINCIPALS))}
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(CONDITIONS), max_size=2))
        body["Condition"] = {op: block for c in chosen for op, block in c.items()}
    return body


def build(kind: str, body: list[dict[str, Any]]) -> Policy:
    numbered = [{**s, "Sid": f"S{i}"} for i, s in enumerate(body)]
    return parse(json.dumps({"Version": "2012-10-17", "Statement": numbered}),
                 kind)  # type: ignore[arg-type]


identity_bodies = st.lists(st.lists(statements("identity"), min_size=1, max_size=4),
                           max_size=3)
resource_bodies = st.one_of(st.none(), st.lists(statements("resource"), min_size=1,
                                                max_size=4))


@st.composite
def requests(draw: st.DrawFn) -> AccessRequest:
    kind, account, arn = draw(st.sampled_from(CALLERS))
    return AccessRequest(principal_arn=arn, principal_account=account,
                         principal_kind=kind,  # type: ignore[arg-type]
                         action=draw(st.sampled_from(ACTIONS)),
                         resource=draw(st.sampled_from(REPOS)), resource_account=OWNER,
                         context=draw(st.sampled_from(CONTEXTS)))


def run(req: AccessRequest, identities: list[list[dict[str, Any]]],
        resource: list[dict[str, Any]] | None) -> Decision:
    labeled = [(f"p{i}", build("identity", body)) for i, body in enumerate(identities)]
    repo = None if resource is None else ("repository", build("resource", resource))
    return evaluate(req, labeled, repo)


def refs(decision: Decision) -> set[tuple[str, str, str | None]]:
    return {(r.kind, r.policy, r.sid) for r in decision.deciding}


@given(requests(), identity_bodies, resource_bodies, statements("identity", "Deny"),
       st.data())
def test_adding_a_deny_never_turns_a_deny_into_an_allow(
        req: AccessRequest, identities: list[list[dict[str, Any]]],
        resource: list[dict[str, Any]] | None, extra: dict[str, Any], data: st.DataObject
) -> None:
    before = run(req, identities, resource)
    into_identity: bool = data.draw(st.booleans())
    if identities and into_identity:
        target = data.draw(st.integers(0, len(identities) - 1))
        identities = [*identities[:target], [*identities[target], extra],
                      *identities[target + 1:]]
    elif resource is not None:
        resource = [*resource, data.draw(statements("resource", "Deny"))]
    else:
        identities = [*identities, [extra]]
    after = run(req, identities, resource)
    if not before.allowed:
        assert not after.allowed
    if before.reason == "explicit-deny":
        assert after.reason == "explicit-deny"


@given(requests(), identity_bodies, resource_bodies, st.data())
def test_adding_an_allow_never_turns_an_allow_into_a_deny(
        req: AccessRequest, identities: list[list[dict[str, Any]]],
        resource: list[dict[str, Any]] | None, data: st.DataObject) -> None:
    before = run(req, identities, resource)
    if resource is not None and data.draw(st.booleans()):
        resource = [*resource, data.draw(statements("resource", "Allow"))]
    else:
        identities = [*identities, [data.draw(statements("identity", "Allow"))]]
    after = run(req, identities, resource)
    if before.allowed:
        assert after.allowed


@given(requests(), identity_bodies, resource_bodies, st.randoms(use_true_random=False))
def test_evaluation_does_not_depend_on_order(
        req: AccessRequest, identities: list[list[dict[str, Any]]],
        resource: list[dict[str, Any]] | None, rng: Any) -> None:
    labeled = [(f"p{i}", build("identity", body)) for i, body in enumerate(identities)]
    repo = None if resource is None else ("repository", build("resource", resource))
    before = evaluate(req, labeled, repo)

    def shuffled(policy: Policy) -> Policy:
        order = list(policy.statements)
        rng.shuffle(order)
        return Policy(policy.version, tuple(order), policy.id)

    reordered = [(label, shuffled(p)) for label, p in labeled]
    rng.shuffle(reordered)
    after = evaluate(req, reordered, None if repo is None else (repo[0], shuffled(repo[1])))
    assert (after.allowed, after.reason) == (before.allowed, before.reason)
    assert refs(after) == refs(before)


@settings(max_examples=500)
@given(requests(), identity_bodies, resource_bodies)
def test_cross_account_allowed_means_each_side_allows_alone(
        req: AccessRequest, identities: list[list[dict[str, Any]]],
        resource: list[dict[str, Any]] | None) -> None:
    decision = run(req, identities, resource)
    if decision.allowed and req.principal_account != req.resource_account:
        assert run(req, identities, None).reason == "cross-account-needs-both"
        # a root's identity side is its implicit permission, present with no policies
        alone = "allowed" if req.principal_kind == "root" else "cross-account-needs-both"
        assert run(req, [], resource).reason == alone


@given(requests(), identity_bodies, resource_bodies)
def test_deciding_statements_have_the_decision_effect(
        req: AccessRequest, identities: list[list[dict[str, Any]]],
        resource: list[dict[str, Any]] | None) -> None:
    labeled = {f"p{i}": build("identity", body) for i, body in enumerate(identities)}
    repo = None if resource is None else build("resource", resource)
    decision = evaluate(req, list(labeled.items()),
                        None if repo is None else ("repository", repo))
    assert (decision.reason == "implicit-deny") == (not decision.deciding)
    wanted = "Deny" if decision.reason == "explicit-deny" else "Allow"
    for ref in decision.deciding:
        if ref.index is None:           # the account root's own permission
            assert req.principal_kind == "root" and wanted == "Allow"
            continue
        policy = labeled[ref.policy] if ref.kind == "identity" else repo
        assert policy is not None
        statement = policy.statements[ref.index]
        assert statement.effect == wanted and statement.sid == ref.sid


@given(requests(), identity_bodies, resource_bodies)
def test_same_account_identity_allow_stands_without_resource_denies(
        req: AccessRequest, identities: list[list[dict[str, Any]]],
        resource: list[dict[str, Any]] | None) -> None:
    alone = run(req, identities, None)
    if req.principal_account != req.resource_account or not alone.allowed:
        return
    allows_only = [s for s in resource or () if s["Effect"] == "Allow"] or None
    assert run(req, identities, allows_only).allowed
