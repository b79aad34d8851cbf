"""Builders the policy tests share: callers, requests, policies and statements."""

from __future__ import annotations

import json
from typing import Any

from berth.policy import AccessRequest, Decision, Policy, evaluate, parse
from berth.policy.ecr_actions import repository_arn

OWNER = "111122223333"          # the account that owns the repository
OTHER = "444455556666"
REPO = repository_arn("us-east-1", OWNER, "team/app")

Caller = tuple[str, str, str]   # (principal kind, account, ARN)

ROOT: Caller = ("root", OWNER, f"arn:aws:iam::{OWNER}:root")
ALICE: Caller = ("user", OWNER, f"arn:aws:iam::{OWNER}:user/alice")
BOB: Caller = ("user", OWNER, f"arn:aws:iam::{OWNER}:user/bob")
SESSION: Caller = ("assumed-role", OWNER, f"arn:aws:sts::{OWNER}:assumed-role/deploy/s1")
OTHER_ROOT: Caller = ("root", OTHER, f"arn:aws:iam::{OTHER}:root")
OTHER_USER: Caller = ("user", OTHER, f"arn:aws:iam::{OTHER}:user/ci")
OTHER_SESSION: Caller = ("assumed-role", OTHER, f"arn:aws:sts::{OTHER}:assumed-role/builder/job-7")


def request(caller: Caller, action: str = "ecr:BatchGetImage", resource: str = REPO,
            context: dict[str, Any] | None = None, role_arn: str | None = None
            ) -> AccessRequest:
    kind, account, arn = caller
    return AccessRequest(principal_arn=arn, principal_account=account,
                         principal_kind=kind,  # type: ignore[arg-type]
                         action=action, resource=resource, resource_account=OWNER,
                         context=context or {}, role_arn=role_arn)


def identity(*statements: dict[str, Any], version: str = "2012-10-17") -> Policy:
    return parse(json.dumps({"Version": version, "Statement": list(statements)}), "identity")


def repository(*statements: dict[str, Any]) -> Policy:
    return parse(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
                 "resource")


def decide(req: AccessRequest, identities: tuple[Policy, ...] = (),
           repo: Policy | None = None) -> Decision:
    labeled = [(f"inline:{i}", p) for i, p in enumerate(identities)]
    return evaluate(req, labeled, None if repo is None else ("repository", repo))


def allow(action: str = "ecr:*", resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str = "ecr:*", resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def grant(principal: Any, effect: str = "Allow", action: Any = "ecr:*",
          **extra: Any) -> dict[str, Any]:
    return {"Effect": effect, "Principal": principal, "Action": action, **extra}


def aws(*arns: str) -> dict[str, list[str]]:
    return {"AWS": list(arns)}
