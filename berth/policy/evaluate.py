"""IAM's evaluation of one request against the caller's identity policies and a resource policy.

    1. An applicable Deny in any policy wins                        -> explicit-deny
    2. Same account: an Allow from an identity policy, or from the
       resource policy naming the caller (its user, role, session
       or "*"), suffices                                            -> allowed
    3. Across accounts: an identity Allow AND a resource-policy
       Allow whose Principal matches the caller are both needed     -> allowed, or
                                                                       cross-account-needs-both
    4. Otherwise                                                    -> implicit-deny

The account root has every identity permission (it has no identity policies), so its
identity side always allows; an explicit Deny still applies to it.

A resource policy's account principal (`arn:aws:iam::<id>:root`) matches every principal
of that account, but as IAM documents it, that *delegates* to the account: across accounts
it satisfies the resource side, and inside the account it grants nothing by itself, the
account's identity policies decide. A role ARN matches the role's assumed-role sessions.

Pure: the current time and every other condition key come in the request context.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from berth.policy import conditions, patterns
from berth.policy.conditions import RequestContext
from berth.policy.document import Policy, Statement

PrincipalKind = Literal["root", "user", "assumed-role"]
Reason = Literal["explicit-deny", "allowed", "implicit-deny", "cross-account-needs-both"]
LabeledPolicy = tuple[str, Policy]


@dataclass(frozen=True, slots=True)
class AccessRequest:
    principal_arn: str              # root, user, or arn:aws:sts::<acct>:assumed-role/<role>/<s>
    principal_account: str
    principal_kind: PrincipalKind
    action: str                     # "ecr:BatchGetImage"
    resource: str                   # an ARN, or "*" for actions without resources
    resource_account: str
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    role_arn: str | None = None     # a session's role with its path; derived when None


@dataclass(frozen=True, slots=True)
class StatementRef:
    kind: Literal["identity", "resource"]
    policy: str                     # the label given with the policy: "inline:ReadOnly"
    index: int | None               # the statement's position; None for ACCOUNT_ROOT
    sid: str | None


ACCOUNT_ROOT = StatementRef("identity", "implicit:account-root", None, None)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: Reason
    deciding: tuple[StatementRef, ...]


@dataclass(frozen=True, slots=True)
class _Caller:
    identities: tuple[tuple[str, bool], ...]    # (ARN, is the account) the caller answers to
    context: RequestContext


@dataclass(frozen=True, slots=True)
class _Match:
    ref: StatementRef
    effect: str
    direct: bool                    # False: granted only through the caller's account


def evaluate(request: AccessRequest, identity_policies: Sequence[LabeledPolicy],
             resource_policy: LabeledPolicy | None) -> Decision:
    """IAM's decision on the request; `deciding` names the statements that made it."""
    caller = _caller(request)
    identity = [m for label, policy in identity_policies
                for m in _matches("identity", label, policy, request, caller)]
    resource = [] if resource_policy is None else list(
        _matches("resource", resource_policy[0], resource_policy[1], request, caller))
    denies = tuple(m.ref for m in identity + resource if m.effect == "Deny")
    if denies:
        return Decision(False, "explicit-deny", denies)
    identity_allows = tuple(m.ref for m in identity)
    if request.principal_kind == "root":
        identity_allows += (ACCOUNT_ROOT,)
    if request.principal_account == request.resource_account:
        return _same_account(identity_allows, resource)
    return _cross_account(identity_allows, tuple(m.ref for m in resource))


def _same_account(identity_allows: tuple[StatementRef, ...],
                  resource: list[_Match]) -> Decision:
    direct = tuple(m.ref for m in resource if m.direct)
    if identity_allows:
        return Decision(True, "allowed", identity_allows + tuple(m.ref for m in resource))
    if direct:
        return Decision(True, "allowed", direct)
    return Decision(False, "implicit-deny", ())


def _cross_account(identity_allows: tuple[StatementRef, ...],
                   resource_allows: tuple[StatementRef, ...]) -> Decision:
    if identity_allows and resource_allows:
        return Decision(True, "allowed", identity_allows + resource_allows)
    if identity_allows or resource_allows:
        return Decision(False, "cross-account-needs-both", identity_allows + resource_allows)
    return Decision(False, "implicit-deny", ())


def _matches(kind: Literal["identity", "resource"], label: str, policy: Policy,
             request: AccessRequest, caller: _Caller) -> list[_Match]:
    out: list[_Match] = []
    for index, statement in enumerate(policy.statements):
        direct = True
        if kind == "resource":
            principal = _principal_match(statement, caller)
            if principal is None:
                continue
            direct = principal
        if _applies(statement, request, caller.context, policy.variables):
            ref = StatementRef(kind, label, index, statement.sid)
            out.append(_Match(ref, statement.effect, direct))
    return out


def _applies(statement: Statement, request: AccessRequest, context: RequestContext,
             variables: bool) -> bool:
    return (_action_matches(statement, request.action)
            and _resource_matches(statement, request.resource, context, variables)
            and all(conditions.holds(c, context, variables=variables)
                    for c in statement.conditions))


def _action_matches(statement: Statement, action: str) -> bool:
    def hit(pattern: str) -> bool:
        return patterns.matches(pattern, action, ignore_case=True)

    if statement.actions is not None:
        return any(hit(p) for p in statement.actions)
    return not any(hit(p) for p in statement.not_actions or ())


def _resource_matches(statement: Statement, resource: str, context: RequestContext,
                      variables: bool) -> bool:
    def hit(pattern: str) -> bool:
        if variables and patterns.has_variables(pattern):
            substituted = patterns.substitute(pattern, context.single)
            if substituted is None:
                return False
            pattern = substituted
        return patterns.matches(pattern, resource, mode="resource", variables=variables)

    if statement.resources is not None:
        return any(hit(p) for p in statement.resources)
    if statement.not_resources is not None:
        return not any(hit(p) for p in statement.not_resources)
    return True     # a resource policy without Resource: the resource it is attached to


def _principal_match(statement: Statement, caller: _Caller) -> bool | None:
    """None: the statement is not about this caller; True: about it by name (or "*");
    False: only through its account."""
    if statement.not_principals is not None:
        listed = {p.value for p in statement.not_principals if p.type == "AWS"}
        if "*" in listed or all(arn in listed for arn, _ in caller.identities):
            return None
        return True
    named = {p.value for p in statement.principals or () if p.type == "AWS"}
    if "*" in named:
        return True
    hits = [is_account for arn, is_account in caller.identities if arn in named]
    if not hits:
        return None
    return not all(hits)


def _caller(request: AccessRequest) -> _Caller:
    partition = request.principal_arn.split(":")[1] if request.principal_arn.count(":") else "aws"
    account_root = f"arn:{partition}:iam::{request.principal_account}:root"
    derived = {"aws:PrincipalAccount": request.principal_account,
               "aws:ResourceAccount": request.resource_account}
    if request.principal_kind == "root":
        identities: tuple[tuple[str, bool], ...] = ((account_root, False),)
        derived |= {"aws:PrincipalArn": account_root, "aws:PrincipalType": "Account"}
    elif request.principal_kind == "user":
        identities = ((request.principal_arn, False), (account_root, True))
        derived |= {"aws:PrincipalArn": request.principal_arn, "aws:PrincipalType": "User",
                    "aws:username": request.principal_arn.rsplit("/", 1)[-1]}
    else:
        role = request.role_arn or _role_of_session(request.principal_arn, partition)
        identities = ((request.principal_arn, False), (role, False), (account_root, True))
        derived |= {"aws:PrincipalArn": role, "aws:PrincipalType": "AssumedRole"}
    merged = {key.lower(): value for key, value in request.context.items()}
    merged |= {key.lower(): value for key, value in derived.items()}
    return _Caller(identities, RequestContext(merged))


def _role_of_session(session_arn: str, partition: str) -> str:
    """arn:aws:sts::<acct>:assumed-role/<role>/<session> -> arn:aws:iam::<acct>:role/<role>."""
    head, _, resource = session_arn.partition(":assumed-role/")
    account = head.rsplit(":", 1)[-1] if head else ""
    role_name = resource.split("/", 1)[0]
    return f"arn:{partition}:iam::{account}:role/{role_name}"
