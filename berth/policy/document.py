"""IAM policy documents: JSON text in, frozen dataclasses out, or a PolicyError saying why.

Accepted as AWS accepts them: `Statement` as one object or a list; Action, Resource,
Principal and condition values as a string or a list; `"Principal": "*"` (the same as
`{"AWS": "*"}`); 12-digit account ids as principals, stored as `arn:aws:iam::<id>:root`.
A missing Version means 2008-10-17, under which `${...}` is literal text.

Two kinds of document:

    identity  attached to a user or role: no Principal; Resource or NotResource required;
              Sids alphanumeric; only the characters IAM allows (tab, LF, CR, U+0020-U+00FF)
    resource  attached to a repository or registry: Principal or NotPrincipal required;
              Resource may be left out and then means the resource the policy is attached to

Size limits (`max_chars`): ECR's policyText is at most 10,240 characters (botocore's
model); IAM counts characters other than white space against its quotas
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from berth.policy import conditions
from berth.policy.conditions import Condition

PolicyKind = Literal["identity", "resource"]

ECR_POLICY_MAX_CHARS = 10_240           # repository and registry policy text
IAM_MANAGED_POLICY_MAX_CHARS = 6_144    # white space not counted
IAM_USER_INLINE_MAX_CHARS = 2_048       # all of a user's inline policies together
IAM_GROUP_INLINE_MAX_CHARS = 5_120
IAM_ROLE_INLINE_MAX_CHARS = 10_240
IAM_TRUST_POLICY_MAX_CHARS = 2_048

VERSIONS = ("2012-10-17", "2008-10-17")
_TOP_KEYS = {"Version", "Id", "Statement"}
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource",
                   "Principal", "NotPrincipal", "Condition"}
_PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
_ACCOUNT = re.compile(r"\d{12}")
_AWS_PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:(iam|sts)::\d{12}:\S+")
_IAM_SID = re.compile(r"[A-Za-z0-9]*")
_IAM_CHARACTERS = re.compile(r"[\t\n\r\u0020-\u00ff]*")


class PolicyError(ValueError):
    """A policy document AWS would refuse; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class PrincipalId:
    type: str                       # "AWS", "Service", "Federated" or "CanonicalUser"
    value: str                      # "*", an ARN, a service name...


@dataclass(frozen=True, slots=True)
class Statement:
    sid: str | None
    effect: Literal["Allow", "Deny"]
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    principals: tuple[PrincipalId, ...] | None = None
    not_principals: tuple[PrincipalId, ...] | None = None
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    version: str
    statements: tuple[Statement, ...]
    id: str | None = None

    @property
    def variables(self) -> bool:
        """Whether `${...}` are policy variables (only in Version 2012-10-17)."""
        return self.version == "2012-10-17"


def policy_size(text: str, *, count_whitespace: bool = True) -> int:
    return len(text) if count_whitespace else sum(1 for ch in text if not ch.isspace())


def parse(text: str, kind: PolicyKind, *, max_chars: int | None = None,
          count_whitespace: bool = True) -> Policy:
    """The policy in text, or PolicyError with the reason AWS would give for refusing it."""
    size = policy_size(text, count_whitespace=count_whitespace)
    if max_chars is not None and size > max_chars:
        raise PolicyError(f"policy is {size} characters, over the limit of {max_chars}")
    if kind == "identity" and not _IAM_CHARACTERS.fullmatch(text):
        raise PolicyError("policy contains characters outside tab, LF, CR and U+0020-U+00FF")
    document = _load(text)
    if not isinstance(document, dict):
        raise PolicyError("policy must be a JSON object")
    _no_unknown(document, _TOP_KEYS, "policy")
    version = document.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise PolicyError(f"Version {version!r} is not 2012-10-17 or 2008-10-17")
    policy_id = document.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise PolicyError("Id must be a string")
    statements = _statements(document.get("Statement"), kind)
    return Policy(version=version, statements=statements, id=policy_id)


def _load(text: str) -> Any:
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        for key in keys:
            if keys.count(key) > 1:
                raise PolicyError(f"duplicate key {key!r}")
        return dict(pairs)

    try:
        return json.loads(text, object_pairs_hook=unique)
    except json.JSONDecodeError as exc:
        raise PolicyError(f"policy is not valid JSON: {exc.msg} at line {exc.lineno} "
                          f"column {exc.colno}") from None
    except RecursionError:
        raise PolicyError("policy is not valid JSON: nested too deeply") from None


def _no_unknown(obj: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(obj) - known)
    if unknown:
        raise PolicyError(f"{where} has unknown key {unknown[0]!r}")


def _statements(raw: Any, kind: PolicyKind) -> tuple[Statement, ...]:
    if raw is None:
        raise PolicyError("policy has no Statement")
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise PolicyError("Statement must not be empty")
    statements = tuple(_statement(item, index, kind) for index, item in enumerate(items))
    sids = [s.sid for s in statements if s.sid]
    for sid in sids:
        if sids.count(sid) > 1:
            raise PolicyError(f"Sid {sid!r} is used by more than one statement")
    return statements


def _statement(raw: Any, index: int, kind: PolicyKind) -> Statement:
    where = f"statement {index}"
    if not isinstance(raw, dict):
        raise PolicyError(f"{where} must be a JSON object")
    _no_unknown(raw, _STATEMENT_KEYS, where)
    sid = _sid(raw.get("Sid"), where, kind)
    if sid:
        where = f"statement {index} ({sid})"
    effect = _effect(raw.get("Effect"), where)
    actions, not_actions = _pair(raw, "Action", "NotAction", where, required=True)
    for action in actions or not_actions or ():
        _check_action(action, where)
    resources, not_resources = _pair(raw, "Resource", "NotResource", where,
                                     required=kind == "identity")
    for resource in resources or not_resources or ():
        if resource != "*" and not resource.startswith("arn:"):
            raise PolicyError(f"{where}: Resource {resource!r} must be an ARN or \"*\"")
    principals, not_principals = _principals(raw, where, kind)
    return Statement(
        sid=sid, effect=effect,
        actions=actions, not_actions=not_actions,
        resources=resources, not_resources=not_resources,
        principals=principals, not_principals=not_principals,
        conditions=_conditions(raw.get("Condition"), where),
    )


def _sid(raw: Any, where: str, kind: PolicyKind) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise PolicyError(f"{where}: Sid must be a string")
    if kind == "identity" and not _IAM_SID.fullmatch(raw):
        raise PolicyError(f"{where}: Sid {raw!r} may contain only letters and digits")
    return raw


def _effect(raw: Any, where: str) -> Literal["Allow", "Deny"]:
    if raw is None:
        raise PolicyError(f"{where} has no Effect")
    if raw == "Allow":
        return "Allow"
    if raw == "Deny":
        return "Deny"
    raise PolicyError(f"{where}: Effect {raw!r} is not Allow or Deny")


def _pair(raw: dict[str, Any], positive: str, negative: str, where: str,
          required: bool) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    if positive in raw and negative in raw:
        raise PolicyError(f"{where} has both {positive} and {negative}")
    if positive in raw:
        return _strings(raw[positive], f"{where}: {positive}"), None
    if negative in raw:
        return None, _strings(raw[negative], f"{where}: {negative}")
    if required:
        raise PolicyError(f"{where} has neither {positive} nor {negative}")
    return None, None


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise PolicyError(f"{where} must not be empty")
    if not all(isinstance(item, str) for item in items):
        raise PolicyError(f"{where} must be a string or a list of strings")
    return tuple(items)


def _check_action(action: str, where: str) -> None:
    if action == "*":
        return
    service, colon, name = action.partition(":")
    if not colon or not service or not name:
        raise PolicyError(f"{where}: Action {action!r} must be prefixed by a service, "
                          "as in ecr:BatchGetImage")


def _principals(raw: dict[str, Any], where: str, kind: PolicyKind
                ) -> tuple[tuple[PrincipalId, ...] | None, tuple[PrincipalId, ...] | None]:
    present = [key for key in ("Principal", "NotPrincipal") if key in raw]
    if kind == "identity":
        if present:
            raise PolicyError(f"{where}: an identity policy may not name a {present[0]}")
        return None, None
    if not present:
        raise PolicyError(f"{where}: a resource policy needs a Principal or NotPrincipal")
    if len(present) == 2:
        raise PolicyError(f"{where} has both Principal and NotPrincipal")
    parsed = _principal_block(raw[present[0]], f"{where}: {present[0]}")
    return (parsed, None) if present[0] == "Principal" else (None, parsed)


def _principal_block(raw: Any, where: str) -> tuple[PrincipalId, ...]:
    if raw == "*":
        return (PrincipalId("AWS", "*"),)
    if not isinstance(raw, dict) or not raw:
        raise PolicyError(f"{where} must be \"*\" or an object such as {{\"AWS\": ...}}")
    out: list[PrincipalId] = []
    for principal_type, values in raw.items():
        if principal_type not in _PRINCIPAL_TYPES:
            raise PolicyError(f"{where} has unknown principal type {principal_type!r}")
        for value in _strings(values, f"{where}.{principal_type}"):
            out.append(PrincipalId(principal_type, _principal_value(principal_type, value,
                                                                     where)))
    return tuple(out)


def _principal_value(principal_type: str, value: str, where: str) -> str:
    if principal_type != "AWS" or value == "*":
        return value
    if _ACCOUNT.fullmatch(value):
        return f"arn:aws:iam::{value}:root"
    if "*" in value or "?" in value or not _AWS_PRINCIPAL_ARN.fullmatch(value):
        raise PolicyError(f"{where}: invalid principal {value!r} (an account id, an IAM or "
                          "STS ARN, or \"*\")")
    return value


def _conditions(raw: Any, where: str) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: Condition must be an object")
    out: list[Condition] = []
    for operator_text, block in raw.items():
        try:
            qualifier, name, if_exists = conditions.split_operator(operator_text)
        except ValueError as exc:
            raise PolicyError(f"{where}: {exc}") from None
        if not isinstance(block, dict) or not block:
            raise PolicyError(f"{where}: {operator_text} must map condition keys to values")
        for key, values in block.items():
            texts = _condition_values(values, f"{where}: {operator_text} {key}")
            for text in texts:
                if conditions.invalid_value(name, text):
                    raise PolicyError(f"{where}: {text!r} is not a valid value for "
                                      f"{operator_text}")
            out.append(Condition(name, key, texts, qualifier, if_exists))
    return tuple(out)


def _condition_values(raw: Any, where: str) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    out: list[str] = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, int | float | str):
            out.append(str(item))
        else:
            raise PolicyError(f"{where}: values must be strings, numbers or booleans")
    return tuple(out)
