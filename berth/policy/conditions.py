"""IAM condition operators and the request context they read.

A `Condition` is one (operator, key, values) triple of a statement's Condition block; a
statement applies only if all of its conditions hold. Within one condition the values
are alternatives (OR). The rules follow IAM's documentation of condition operators:

- a key missing from the context fails positive operators and satisfies negated ones
  (`StringNotEquals`, `StringNotLike`, `ArnNotLike`, `NotIpAddress`, ...);
  `...IfExists` makes any operator hold when the key is missing; `Null` tests presence;
- `ForAnyValue:` holds when some context value matches, and is false for a missing key;
  `ForAllValues:` holds when every context value matches, and is true for a missing key;
- a negated operator matches a context value that matches none of the condition values;
- a context value that cannot be read as the operator's type (a number, a date, an IP
  address, a boolean) matches nothing, negated or not;
- policy variables (`${aws:username}`) are allowed in String and Arn operators' values.

Condition key names are case-insensitive, so the context is looked up case-insensitively.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from berth.policy import patterns

NULL = "Null"
FOR_ANY = "ForAnyValue"
FOR_ALL = "ForAllValues"
_IF_EXISTS = "IfExists"
_EPOCH = re.compile(r"-?\d+(\.\d+)?")


class RequestContext:
    """The request's condition keys: a value is one string or a tuple of strings."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, str | Sequence[str]]) -> None:
        self._values: dict[str, str | tuple[str, ...]] = {
            key.lower(): value if isinstance(value, str) else tuple(value)
            for key, value in values.items()
        }

    def get(self, key: str) -> str | tuple[str, ...] | None:
        return self._values.get(key.lower())

    def single(self, key: str) -> str | None:
        """The value of a single-valued key (what a policy variable may stand for)."""
        value = self._values.get(key.lower())
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Condition:
    operator: str                   # the base operator, canonically spelled: "StringLike"
    key: str
    values: tuple[str, ...]
    qualifier: str = ""             # "", "ForAnyValue" or "ForAllValues"
    if_exists: bool = False

    @property
    def text(self) -> str:
        """The operator as a policy spells it, e.g. "ForAnyValue:StringLikeIfExists"."""
        prefix = f"{self.qualifier}:" if self.qualifier else ""
        return prefix + self.operator + (_IF_EXISTS if self.if_exists else "")


# -- value readers: None means "not a value of this type" --------------------------------

def _text(value: str) -> str:
    return value


def _folded(value: str) -> str:
    return value.casefold()


def _number(value: str) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _date(value: str) -> datetime | None:
    text = value.strip()
    try:
        if _EPOCH.fullmatch(text):
            return datetime.fromtimestamp(float(text), UTC)
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _boolean(value: str) -> str | None:
    lowered = value.strip().lower()
    return lowered if lowered in ("true", "false") else None


def _binary(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


# -- comparisons of (context value, policy value) -----------------------------------------

def _equal(actual: Any, expected: Any, _variables: bool) -> bool:
    return bool(actual == expected)


def _like(actual: Any, pattern: Any, variables: bool) -> bool:
    return patterns.matches(pattern, actual, mode="glob", variables=variables)


def _arn_like(actual: Any, pattern: Any, variables: bool) -> bool:
    return patterns.matches(pattern, actual, mode="arn", variables=variables)


def _in_network(actual: Any, network: Any, _variables: bool) -> bool:
    return actual.version == network.version and actual in network


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any, bool], bool]:
    return lambda actual, expected, _variables: compare(actual, expected)


@dataclass(frozen=True, slots=True)
class _Operator:
    read_context: Callable[[str], Any]
    read_policy: Callable[[str], Any]
    compare: Callable[[Any, Any, bool], bool]
    negated: bool = False
    variables: bool = False         # policy variables allowed in its values
    pattern: bool = False           # values are wildcard patterns (substitution escapes)


def _family(read: Callable[[str], Any], prefix: str) -> dict[str, _Operator]:
    return {
        f"{prefix}Equals": _Operator(read, read, _ordered(operator.eq)),
        f"{prefix}NotEquals": _Operator(read, read, _ordered(operator.eq), negated=True),
        f"{prefix}LessThan": _Operator(read, read, _ordered(operator.lt)),
        f"{prefix}LessThanEquals": _Operator(read, read, _ordered(operator.le)),
        f"{prefix}GreaterThan": _Operator(read, read, _ordered(operator.gt)),
        f"{prefix}GreaterThanEquals": _Operator(read, read, _ordered(operator.ge)),
    }


_STRING = _Operator(_text, _text, _equal, variables=True)
_STRING_CI = _Operator(_folded, _folded, _equal, variables=True)
_STRING_LIKE = _Operator(_text, _text, _like, variables=True, pattern=True)
_ARN = _Operator(_text, _text, _arn_like, variables=True, pattern=True)

OPERATORS: dict[str, _Operator] = {
    "StringEquals": _STRING,
    "StringNotEquals": _Operator(_text, _text, _equal, negated=True, variables=True),
    "StringEqualsIgnoreCase": _STRING_CI,
    "StringNotEqualsIgnoreCase": _Operator(_folded, _folded, _equal, negated=True,
                                           variables=True),
    "StringLike": _STRING_LIKE,
    "StringNotLike": _Operator(_text, _text, _like, negated=True, variables=True, pattern=True),
    **_family(_number, "Numeric"),
    **_family(_date, "Date"),
    "Bool": _Operator(_boolean, _boolean, _equal),
    "BinaryEquals": _Operator(_binary, _binary, _equal),
    "IpAddress": _Operator(_address, _network, _in_network),
    "NotIpAddress": _Operator(_address, _network, _in_network, negated=True),
    "ArnEquals": _ARN,
    "ArnLike": _ARN,
    "ArnNotEquals": _Operator(_text, _text, _arn_like, negated=True, variables=True, pattern=True),
    "ArnNotLike": _Operator(_text, _text, _arn_like, negated=True, variables=True, pattern=True),
}
_CANONICAL = {name.lower(): name for name in [*OPERATORS, NULL]}
_QUALIFIERS = {FOR_ANY.lower(): FOR_ANY, FOR_ALL.lower(): FOR_ALL}


def split_operator(text: str) -> tuple[str, str, bool]:
    """(qualifier, base operator, if_exists) of an operator as written in a policy.

    Raises ValueError naming the operator when IAM does not know it.
    """
    qualifier, _, base = text.rpartition(":")
    canonical_qualifier = _QUALIFIERS.get(qualifier.lower(), "") if qualifier else ""
    if qualifier and not canonical_qualifier:
        raise ValueError(f"unknown condition operator {text!r}")
    if_exists = base.lower().endswith(_IF_EXISTS.lower())
    name = _CANONICAL.get((base[: -len(_IF_EXISTS)] if if_exists else base).lower())
    if name is None or (name == NULL and (if_exists or canonical_qualifier)):
        raise ValueError(f"unknown condition operator {text!r}")
    return canonical_qualifier, name, if_exists


def invalid_value(operator_name: str, value: str) -> bool:
    """Whether a policy value can never be read by the operator (IAM refuses the policy)."""
    if operator_name == NULL:
        return _boolean(value) is None
    spec = OPERATORS[operator_name]
    return spec.read_policy is not _text and spec.read_policy(value) is None


def holds(condition: Condition, context: RequestContext, *, variables: bool) -> bool:
    """Whether the condition holds for the request context."""
    present = context.get(condition.key)
    values = (present,) if isinstance(present, str) else (present or ())
    if condition.operator == NULL:
        return any((_boolean(v) == "true") == (not values) for v in condition.values)
    if not values:
        return _holds_without_key(condition)
    spec = OPERATORS[condition.operator]
    expected = _policy_values(condition, spec, context, variables)

    def element(value: str) -> bool:
        actual = spec.read_context(value)
        if actual is None:
            return False
        hit = any(spec.compare(actual, e, variables) for e in expected)
        return hit != spec.negated

    if condition.qualifier == FOR_ALL or (not condition.qualifier and spec.negated):
        return all(element(v) for v in values)
    return any(element(v) for v in values)


def _holds_without_key(condition: Condition) -> bool:
    if condition.if_exists or condition.qualifier == FOR_ALL:
        return True
    if condition.qualifier == FOR_ANY:
        return False
    return OPERATORS[condition.operator].negated


def _policy_values(condition: Condition, spec: _Operator, context: RequestContext,
                   variables: bool) -> list[Any]:
    """The condition's values read as the operator's type; unresolvable variables dropped."""
    out: list[Any] = []
    for raw in condition.values:
        text: str | None = raw
        if variables and spec.variables and patterns.has_variables(raw):
            text = patterns.substitute(raw, context.single, literal=not spec.pattern)
        value = None if text is None else spec.read_policy(text)
        if value is not None:
            out.append(value)
    return out
