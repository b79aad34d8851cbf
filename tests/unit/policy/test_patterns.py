"""Wildcards in Action and Resource, and policy variable substitution."""

from __future__ import annotations

import pytest

from berth.policy.patterns import matches, substitute

REPO = "arn:aws:ecr:us-east-1:111122223333:repository/team/app"

RESOURCE_TABLE = [
    ("*", REPO, True),
    (REPO, REPO, True),
    ("arn:aws:ecr:us-east-1:111122223333:repository/*", REPO, True),     # * crosses "/"
    ("arn:aws:ecr:us-east-1:111122223333:repository/team/*", REPO, True),
    ("arn:aws:ecr:us-east-1:111122223333:repository/other/*", REPO, False),
    ("arn:aws:ecr:*:111122223333:repository/team/app", REPO, True),
    ("arn:aws:ecr:*:444455556666:repository/team/app", REPO, False),
    ("arn:aws:ecr:us-east-?:111122223333:repository/team/app", REPO, True),
    ("arn:aws:ecr:us-east-??:111122223333:repository/team/app", REPO, False),
    ("arn:aws:ecr:us-*-1:111122223333:repository/team/app", REPO, True),
    ("arn:aws:ecr:u*1:111122223333:repository/team/app", REPO, True),
    ("arn:aws:ecr:*", REPO, True),          # a segment-ending * may run past colons
    ("arn:aws:ecr:us*:repository/team/app", REPO, True),
    ("arn:aws:ecr:u*t-1:111122223333:repository/team/app", REPO, True),
    ("arn:aws:ecr:u*z:repository/team/app", REPO, False),   # mid-segment * stays inside
    ("arn:aws:ecr:us-east-1:111122223333:repository/TEAM/app", REPO, False),  # case-sensitive
    ("arn:aws:ecr:us-east-1:111122223333:repository/team/ap?", REPO, True),
    ("arn:aws:s3:::*", REPO, False),
]


@pytest.mark.parametrize(("pattern", "resource", "expected"), RESOURCE_TABLE)
def test_resource_wildcards(pattern: str, resource: str, expected: bool) -> None:
    assert matches(pattern, resource, mode="resource") is expected


ACTION_TABLE = [
    ("*", "ecr:BatchGetImage", True),
    ("ecr:*", "ecr:BatchGetImage", True),
    ("ECR:batchgetimage", "ecr:BatchGetImage", True),        # actions ignore case
    ("ecr:Batch*", "ecr:BatchDeleteImage", True),
    ("ecr:Get*", "ecr:BatchGetImage", False),
    ("ecr:*Image", "ecr:PutImage", True),
    ("ecr:?utImage", "ecr:PutImage", True),
    ("ecr:?utImage", "ecr:PPutImage", False),
    ("s3:*", "ecr:PutImage", False),
    ("ecr:Put[I]mage", "ecr:PutImage", False),               # brackets are not wildcards
]


@pytest.mark.parametrize(("pattern", "action", "expected"), ACTION_TABLE)
def test_action_wildcards(pattern: str, action: str, expected: bool) -> None:
    assert matches(pattern, action, ignore_case=True) is expected


def lookup(key: str) -> str | None:
    return {"aws:username": "alice", "aws:principalaccount": "111122223333",
            "odd": "a*?$"}.get(key.lower())


SUBSTITUTE_TABLE = [
    ("repository/${aws:username}/*", "repository/alice/*"),
    ("${aws:PrincipalAccount}:${aws:username}", "111122223333:alice"),
    ("${ aws:username }", "alice"),
    ("${aws:missing, 'anon'}", "anon"),
    ("${aws:username, 'anon'}", "alice"),
    ("${odd}", "a${*}${?}${$}"),
    ("${*}${?}${$}", "${*}${?}${$}"),
    ("no variables", "no variables"),
    ("${unclosed", "${unclosed"),
    ("${aws:missing}", None),
    ("${}", None),
]


@pytest.mark.parametrize(("pattern", "expected"), SUBSTITUTE_TABLE)
def test_substitute(pattern: str, expected: str | None) -> None:
    assert substitute(pattern, lookup) == expected


def test_literal_substitution_gives_plain_text() -> None:
    assert substitute("${odd}-${*}", lookup, literal=True) == "a*?$-*"


def test_escaped_characters_are_literal_only_with_variables() -> None:
    assert matches("a${*}", "a*", variables=True)
    assert not matches("a${*}", "ab", variables=True)
    assert matches("a${*}", "a${x}", variables=False)
