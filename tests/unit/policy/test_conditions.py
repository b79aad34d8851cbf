"""Condition operators: each with a matching and a non-matching case, missing keys, IfExists,
set operators over multi-valued keys, Null, and policy variables."""

from __future__ import annotations

import pytest

from berth.policy.conditions import Condition, RequestContext, holds, split_operator

KEY = "test:Key"
MISSING = None


def check(operator_text: str, values: list[str], value: str | list[str] | None,
          *, extra: dict[str, str] | None = None, variables: bool = True) -> bool:
    qualifier, name, if_exists = split_operator(operator_text)
    context: dict[str, str | list[str]] = dict(extra or {})
    if value is not None:
        context[KEY] = value
    condition = Condition(name, KEY, tuple(values), qualifier, if_exists)
    return holds(condition, RequestContext(context), variables=variables)


OPERATOR_TABLE = [
    # operator, condition values, context value, expected
    ("StringEquals", ["prod"], "prod", True),
    ("StringEquals", ["prod"], "Prod", False),
    ("StringEquals", ["dev", "prod"], "prod", True),
    ("StringNotEquals", ["prod"], "dev", True),
    ("StringNotEquals", ["dev", "prod"], "prod", False),
    ("StringEqualsIgnoreCase", ["PROD"], "prod", True),
    ("StringEqualsIgnoreCase", ["prod"], "dev", False),
    ("StringNotEqualsIgnoreCase", ["PROD"], "prod", False),
    ("StringNotEqualsIgnoreCase", ["PROD"], "dev", True),
    ("StringLike", ["team-*"], "team-a/x", True),
    ("StringLike", ["team-?"], "team-ab", False),
    ("StringLike", ["team-??"], "team-ab", True),
    ("StringLike", ["Team-*"], "team-a", False),
    ("StringNotLike", ["team-*"], "other", True),
    ("StringNotLike", ["team-*"], "team-b", False),
    ("NumericEquals", ["10"], "10.0", True),
    ("NumericEquals", ["10"], "11", False),
    ("NumericNotEquals", ["10"], "11", True),
    ("NumericNotEquals", ["10"], "10", False),
    ("NumericLessThan", ["10"], "9", True),
    ("NumericLessThan", ["10"], "10", False),
    ("NumericLessThanEquals", ["10"], "10", True),
    ("NumericLessThanEquals", ["10"], "10.5", False),
    ("NumericGreaterThan", ["10"], "11", True),
    ("NumericGreaterThan", ["10"], "10", False),
    ("NumericGreaterThanEquals", ["10"], "10", True),
    ("NumericGreaterThanEquals", ["10"], "9.99", False),
    ("NumericEquals", ["10"], "ten", False),
    ("NumericNotEquals", ["10"], "ten", False),          # unreadable matches nothing
    ("DateEquals", ["2024-05-01T00:00:00Z"], "2024-05-01T00:00:00+00:00", True),
    ("DateEquals", ["2024-05-01T00:00:00Z"], "1714521600", True),     # epoch seconds
    ("DateEquals", ["1714521600"], "2024-05-01T00:00:01Z", False),
    ("DateNotEquals", ["2024-05-01T00:00:00Z"], "2024-05-02T00:00:00Z", True),
    ("DateNotEquals", ["2024-05-01T00:00:00Z"], "2024-05-01T02:00:00+02:00", False),
    ("DateLessThan", ["2024-05-01T00:00:00Z"], "2024-04-30T23:59:59Z", True),
    ("DateLessThan", ["2024-05-01T00:00:00Z"], "2024-05-01T00:00:00Z", False),
    ("DateLessThanEquals", ["2024-05-01"], "2024-05-01T00:00:00Z", True),
    ("DateLessThanEquals", ["2024-05-01"], "2024-05-01T00:00:01Z", False),
    ("DateGreaterThan", ["2024-05-01T00:00:00Z"], "2024-05-01T00:00:01Z", True),
    ("DateGreaterThan", ["2024-05-01T00:00:00Z"], "2024-04-01T00:00:00Z", False),
    ("DateGreaterThanEquals", ["2024-05-01T00:00:00Z"], "2024-05-01T00:00:00Z", True),
    ("DateGreaterThanEquals", ["2024-05-01T00:00:00Z"], "yesterday", False),
    ("Bool", ["true"], "true", True),
    ("Bool", ["true"], "TRUE", True),
    ("Bool", ["true"], "false", False),
    ("Bool", ["false"], "maybe", False),
    ("BinaryEquals", ["QmluYXJ5"], "QmluYXJ5", True),
    ("BinaryEquals", ["QmluYXJ5"], "T3RoZXI=", False),
    ("IpAddress", ["203.0.113.0/24"], "203.0.113.7", True),
    ("IpAddress", ["203.0.113.0/24"], "198.51.100.7", False),
    ("IpAddress", ["203.0.113.7"], "203.0.113.7", True),
    ("IpAddress", ["2001:db8::/32"], "2001:db8::1", True),
    ("IpAddress", ["2001:db8::/32"], "203.0.113.7", False),
    ("IpAddress", ["203.0.113.0/24"], "not-an-ip", False),
    ("NotIpAddress", ["203.0.113.0/24"], "198.51.100.7", True),
    ("NotIpAddress", ["203.0.113.0/24", "198.51.100.0/24"], "198.51.100.7", False),
    ("ArnEquals", ["arn:aws:iam::111122223333:role/ci"], "arn:aws:iam::111122223333:role/ci",
     True),
    ("ArnEquals", ["arn:aws:iam::111122223333:role/ci"], "arn:aws:iam::111122223333:role/CI",
     False),
    ("ArnLike", ["arn:aws:iam::*:role/ci-*"], "arn:aws:iam::111122223333:role/ci-build", True),
    ("ArnLike", ["arn:aws:iam::*:role/ci-*"], "arn:aws:iam::111122223333:user/ci-build", False),
    ("ArnLike", ["arn:aws:iam::1111222233?3:root"], "arn:aws:iam::111122223333:root", True),
    ("ArnLike", ["arn:aws:*:us-east-1:*:*"], "arn:aws:ecr:us-east-1:111122223333:repository/a",
     True),
    ("ArnLike", ["arn:aws:*"], "arn:aws:ecr:us-east-1:111122223333:repository/a", False),
    ("ArnLike", ["arn:aws:ecr:*:*:repository/*"], "not-an-arn", False),
    ("ArnNotEquals", ["arn:aws:iam::111122223333:root"], "arn:aws:iam::444455556666:root", True),
    ("ArnNotLike", ["arn:aws:iam::111122223333:*"], "arn:aws:iam::111122223333:user/bob", False),
    ("ArnNotLike", ["arn:aws:iam::111122223333:*"], "arn:aws:iam::444455556666:user/bob", True),
]


@pytest.mark.parametrize(("operator_text", "values", "value", "expected"), OPERATOR_TABLE)
def test_operator(operator_text: str, values: list[str], value: str, expected: bool) -> None:
    assert check(operator_text, values, value) is expected


MISSING_KEY_TABLE = [
    # IAM: a missing key fails positive operators and satisfies negated ones
    ("StringEquals", False), ("StringLike", False), ("NumericLessThan", False),
    ("DateGreaterThan", False), ("Bool", False), ("IpAddress", False), ("ArnLike", False),
    ("BinaryEquals", False),
    ("StringNotEquals", True), ("StringNotLike", True), ("StringNotEqualsIgnoreCase", True),
    ("NumericNotEquals", True), ("DateNotEquals", True), ("NotIpAddress", True),
    ("ArnNotEquals", True), ("ArnNotLike", True),
    # ...IfExists: a missing key satisfies everything
    ("StringEqualsIfExists", True), ("StringNotLikeIfExists", True), ("BoolIfExists", True),
    ("IpAddressIfExists", True), ("NumericLessThanIfExists", True), ("ArnLikeIfExists", True),
    # set operators: ForAllValues is vacuously true, ForAnyValue false
    ("ForAllValues:StringEquals", True), ("ForAnyValue:StringEquals", False),
    ("ForAnyValue:StringNotEquals", False), ("ForAnyValue:StringLikeIfExists", True),
]


@pytest.mark.parametrize(("operator_text", "expected"), MISSING_KEY_TABLE)
def test_missing_key(operator_text: str, expected: bool) -> None:
    values = {"Bool": ["true"], "BoolIfExists": ["true"], "BinaryEquals": ["QQ=="]}.get(
        operator_text, ["1" if "Numeric" in operator_text else
                        "2024-01-01" if "Date" in operator_text else
                        "10.0.0.0/8" if "Ip" in operator_text else
                        "arn:aws:iam::111122223333:root" if "Arn" in operator_text else "x"])
    assert check(operator_text, values, MISSING) is expected


def test_if_exists_still_checks_a_present_key() -> None:
    assert check("StringEqualsIfExists", ["prod"], "prod") is True
    assert check("StringEqualsIfExists", ["prod"], "dev") is False


SET_TABLE = [
    # operator, condition values, multi-valued context value, expected
    ("ForAnyValue:StringEquals", ["a", "b"], ["c", "b"], True),
    ("ForAnyValue:StringEquals", ["a", "b"], ["c", "d"], False),
    ("ForAnyValue:StringEquals", ["a"], [], False),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "b"], True),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "c"], False),
    ("ForAllValues:StringEquals", ["a"], [], True),
    ("ForAllValues:StringLike", ["env-*", "team"], ["env-prod", "team"], True),
    ("ForAnyValue:StringNotEquals", ["a"], ["a", "b"], True),
    ("ForAnyValue:StringNotEquals", ["a"], ["a"], False),
    ("ForAllValues:StringNotEquals", ["secret"], ["a", "b"], True),
    ("ForAllValues:StringNotEquals", ["secret"], ["a", "secret"], False),
    ("ForAllValues:StringEqualsIgnoreCase", ["env", "team"], ["ENV", "Team"], True),
    ("ForAnyValue:NumericGreaterThan", ["5"], ["1", "9"], True),
    # no qualifier on a multi-valued key: positive = some value, negated = no value
    ("StringEquals", ["b"], ["a", "b"], True),
    ("StringNotEquals", ["b"], ["a", "b"], False),
    ("StringNotEquals", ["c"], ["a", "b"], True),
]


@pytest.mark.parametrize(("operator_text", "values", "value", "expected"), SET_TABLE)
def test_set_operators(operator_text: str, values: list[str], value: list[str],
                       expected: bool) -> None:
    assert check(operator_text, values, value) is expected


NULL_TABLE = [
    (["true"], MISSING, True),
    (["true"], "x", False),
    (["false"], "x", True),
    (["false"], MISSING, False),
    (["true"], [], True),
    (["false"], ["a"], True),
    (["true", "false"], "x", True),
]


@pytest.mark.parametrize(("values", "value", "expected"), NULL_TABLE)
def test_null(values: list[str], value: str | list[str] | None, expected: bool) -> None:
    assert check("Null", values, value) is expected


def test_key_names_are_case_insensitive() -> None:
    condition = Condition("StringEquals", "AWS:PrincipalAccount", ("111122223333",))
    context = RequestContext({"aws:principalaccount": "111122223333"})
    assert holds(condition, context, variables=True)


VARIABLE_TABLE = [
    # operator, condition value, context value, expected
    ("StringEquals", "${aws:username}", "alice", True),
    ("StringEquals", "${aws:username}", "bob", False),
    ("StringEquals", "home/${aws:username}", "home/alice", True),
    ("StringLike", "home/${aws:username}/*", "home/alice/x", True),
    ("StringLike", "home/${aws:username}/*", "home/bob/x", False),
    ("StringEquals", "${aws:missing, 'fallback'}", "fallback", True),
    ("StringEquals", "${aws:missing}", "", False),                 # unresolvable: no match
    ("StringNotEquals", "${aws:missing}", "anything", True),       # ... so nothing excluded
    ("StringEquals", "a${*}b", "a*b", True),                       # literal characters
    ("StringLike", "a${*}b", "axb", False),
    ("StringLike", "a${?}${$}", "a?$", True),
    ("ArnLike", "arn:aws:iam::${aws:PrincipalAccount}:user/*",
     "arn:aws:iam::111122223333:user/alice", True),
    ("ArnLike", "arn:aws:iam::${aws:PrincipalAccount}:user/*",
     "arn:aws:iam::444455556666:user/alice", False),
]


@pytest.mark.parametrize(("operator_text", "policy_value", "value", "expected"),
                         VARIABLE_TABLE)
def test_policy_variables(operator_text: str, policy_value: str, value: str,
                          expected: bool) -> None:
    extra = {"aws:username": "alice", "aws:PrincipalAccount": "111122223333"}
    assert check(operator_text, [policy_value], value, extra=extra) is expected


def test_variables_are_literal_text_without_version_2012() -> None:
    extra = {"aws:username": "alice"}
    assert not check("StringEquals", ["${aws:username}"], "alice", extra=extra, variables=False)
    assert check("StringEquals", ["${aws:username}"], "${aws:username}", extra=extra,
                 variables=False)


def test_a_substituted_value_is_literal() -> None:
    extra = {"aws:username": "a*"}
    assert check("StringLike", ["${aws:username}"], "a*", extra=extra)
    assert not check("StringLike", ["${aws:username}"], "abc", extra=extra)


def test_multi_valued_keys_are_not_variables() -> None:
    context = {"aws:TagKeys": ["a", "b"]}
    assert not check("StringEquals", ["${aws:TagKeys}"], "a", extra=context)  # type: ignore[arg-type]


SPLIT_TABLE = [
    ("StringEquals", ("", "StringEquals", False)),
    ("stringequals", ("", "StringEquals", False)),
    ("StringLikeIfExists", ("", "StringLike", True)),
    ("ForAnyValue:StringLike", ("ForAnyValue", "StringLike", False)),
    ("ForAllValues:NumericLessThanIfExists", ("ForAllValues", "NumericLessThan", True)),
    ("Null", ("", "Null", False)),
]


@pytest.mark.parametrize(("text", "expected"), SPLIT_TABLE)
def test_split_operator(text: str, expected: tuple[str, str, bool]) -> None:
    assert split_operator(text) == expected


@pytest.mark.parametrize("text", ["StringMatches", "NullIfExists", "ForAnyValue:Null",
                                  "ForSomeValues:StringEquals", "IfExists", "Bool:Bool"])
def test_unknown_operators(text: str) -> None:
    with pytest.raises(ValueError, match="unknown condition operator"):
        split_operator(text)


def test_condition_text_round_trips() -> None:
    condition = Condition("StringLike", KEY, ("x",), "ForAnyValue", True)
    assert condition.text == "ForAnyValue:StringLikeIfExists"
    assert split_operator(condition.text) == ("ForAnyValue", "StringLike", True)
