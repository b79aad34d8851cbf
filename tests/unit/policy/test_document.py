"""Parsing policy documents: AWS's accepted forms, and each refusal with its reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from berth.policy.conditions import Condition
from berth.policy.document import (
    ECR_POLICY_MAX_CHARS,
    IAM_MANAGED_POLICY_MAX_CHARS,
    PolicyError,
    PrincipalId,
    parse,
    policy_size,
)


def doc(*statements: dict[str, Any], **top: Any) -> str:
    body: dict[str, Any] = {"Version": "2012-10-17", **top}
    if statements:
        body["Statement"] = list(statements)
    return json.dumps(body)


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}
PUBLIC = {"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}


def test_a_single_statement_object_and_string_values() -> None:
    text = json.dumps({"Version": "2012-10-17", "Id": "p1", "Statement": {
        "Sid": "One", "Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": "*"}})
    policy = parse(text, "identity")
    assert policy.id == "p1"
    assert policy.variables
    (statement,) = policy.statements
    assert statement.sid == "One"
    assert statement.effect == "Allow"
    assert statement.actions == ("ecr:BatchGetImage",)
    assert statement.resources == ("*",)
    assert statement.not_actions is None and statement.principals is None


def test_lists_negations_and_conditions() -> None:
    policy = parse(doc({
        "Effect": "Deny", "NotAction": ["ecr:Get*", "ecr:Describe*"],
        "NotResource": ["arn:aws:ecr:*:*:repository/public/*"],
        "Condition": {"Bool": {"aws:SecureTransport": False},
                      "NumericLessThan": {"test:n": [1, 2.5]},
                      "ForAnyValue:StringLike": {"aws:TagKeys": ["a*", "b"]}},
    }), "identity")
    (statement,) = policy.statements
    assert statement.not_actions == ("ecr:Get*", "ecr:Describe*")
    assert statement.not_resources == ("arn:aws:ecr:*:*:repository/public/*",)
    assert statement.conditions == (
        Condition("Bool", "aws:SecureTransport", ("false",)),
        Condition("NumericLessThan", "test:n", ("1", "2.5")),
        Condition("StringLike", "aws:TagKeys", ("a*", "b"), "ForAnyValue"),
    )


def test_missing_version_means_2008_without_variables() -> None:
    policy = parse(json.dumps({"Statement": [ALLOW_ALL]}), "identity")
    assert policy.version == "2008-10-17"
    assert not policy.variables


def test_principal_forms() -> None:
    policy = parse(doc(
        {**PUBLIC, "Sid": "everyone"},
        {"Effect": "Allow", "Action": "ecr:*", "Principal": {
            "AWS": ["111122223333", "arn:aws:iam::444455556666:user/ci",
                    "arn:aws:iam::444455556666:role/deploy",
                    "arn:aws:sts::444455556666:assumed-role/deploy/s1"],
            "Service": "codebuild.amazonaws.com"}},
        {"Effect": "Deny", "Action": "ecr:*", "NotPrincipal": {"AWS": "*"}},
    ), "resource")
    everyone, named, negated = policy.statements
    assert everyone.principals == (PrincipalId("AWS", "*"),)
    assert named.principals == (
        PrincipalId("AWS", "arn:aws:iam::111122223333:root"),
        PrincipalId("AWS", "arn:aws:iam::444455556666:user/ci"),
        PrincipalId("AWS", "arn:aws:iam::444455556666:role/deploy"),
        PrincipalId("AWS", "arn:aws:sts::444455556666:assumed-role/deploy/s1"),
        PrincipalId("Service", "codebuild.amazonaws.com"),
    )
    assert negated.not_principals == (PrincipalId("AWS", "*"),)


def test_a_resource_policy_may_leave_out_resource() -> None:
    (statement,) = parse(doc(PUBLIC), "resource").statements
    assert statement.resources is None and statement.not_resources is None


def test_resource_policy_sids_may_have_spaces() -> None:
    (statement,) = parse(doc({**PUBLIC, "Sid": "allow pulls"}), "resource").statements
    assert statement.sid == "allow pulls"


REFUSALS: list[tuple[str, str, str]] = [
    # text, kind, the reason given
    ("{", "identity", "not valid JSON"),
    ("[" * 100_000, "identity", "nested too deeply"),
    ("[]", "identity", "must be a JSON object"),
    (doc(ALLOW_ALL, Extra=1), "identity", "policy has unknown key 'Extra'"),
    (doc(ALLOW_ALL, Version="2020-01-01"), "identity",
     "Version '2020-01-01' is not 2012-10-17 or 2008-10-17"),
    (doc(ALLOW_ALL, Id=5), "identity", "Id must be a string"),
    (doc(), "identity", "policy has no Statement"),
    (json.dumps({"Version": "2012-10-17", "Statement": []}), "identity",
     "Statement must not be empty"),
    (json.dumps({"Version": "2012-10-17", "Statement": ["x"]}), "identity",
     "statement 0 must be a JSON object"),
    ('{"Version": "2012-10-17", "Version": "2008-10-17", "Statement": []}', "identity",
     "duplicate key 'Version'"),
    (doc({"Action": "*", "Resource": "*"}), "identity", "statement 0 has no Effect"),
    (doc({**ALLOW_ALL, "Effect": "allow"}), "identity",
     "statement 0: Effect 'allow' is not Allow or Deny"),
    (doc({**ALLOW_ALL, "NotAction": "ecr:*"}), "identity",
     "statement 0 has both Action and NotAction"),
    (doc({"Effect": "Allow", "Resource": "*"}), "identity",
     "statement 0 has neither Action nor NotAction"),
    (doc({**ALLOW_ALL, "NotResource": "*"}), "identity",
     "statement 0 has both Resource and NotResource"),
    (doc({"Effect": "Allow", "Action": "*"}), "identity",
     "statement 0 has neither Resource nor NotResource"),
    (doc({**ALLOW_ALL, "Action": "BatchGetImage"}), "identity",
     "Action 'BatchGetImage' must be prefixed by a service"),
    (doc({**ALLOW_ALL, "Action": []}), "identity", "Action must not be empty"),
    (doc({**ALLOW_ALL, "Action": [1]}), "identity", "must be a string or a list of strings"),
    (doc({**ALLOW_ALL, "Resource": "my-repo"}), "identity",
     "Resource 'my-repo' must be an ARN or \"*\""),
    (doc({**ALLOW_ALL, "Bogus": 1}), "identity", "statement 0 has unknown key 'Bogus'"),
    (doc({**ALLOW_ALL, "Sid": "has space"}), "identity",
     "Sid 'has space' may contain only letters and digits"),
    (doc({**ALLOW_ALL, "Sid": 7}), "identity", "Sid must be a string"),
    (doc({**ALLOW_ALL, "Sid": "A"}, {**ALLOW_ALL, "Sid": "A"}), "identity",
     "Sid 'A' is used by more than one statement"),
    (doc({**ALLOW_ALL, "Principal": "*"}), "identity",
     "statement 0: an identity policy may not name a Principal"),
    (doc({**ALLOW_ALL, "NotPrincipal": {"AWS": "*"}}), "identity",
     "an identity policy may not name a NotPrincipal"),
    (doc({"Effect": "Allow", "Action": "ecr:*"}), "resource",
     "statement 0: a resource policy needs a Principal or NotPrincipal"),
    (doc({**PUBLIC, "NotPrincipal": {"AWS": "*"}}), "resource",
     "has both Principal and NotPrincipal"),
    (doc({**PUBLIC, "Principal": "111122223333"}), "resource",
     "Principal must be \"*\" or an object"),
    (doc({**PUBLIC, "Principal": {"Users": "x"}}), "resource",
     "unknown principal type 'Users'"),
    (doc({**PUBLIC, "Principal": {"AWS": "bob"}}), "resource", "invalid principal 'bob'"),
    (doc({**PUBLIC, "Principal": {"AWS": "arn:aws:iam::111122223333:user/*"}}), "resource",
     "invalid principal 'arn:aws:iam::111122223333:user/*'"),
    (doc({**ALLOW_ALL, "Condition": {"StringMatches": {"k": "v"}}}), "identity",
     "statement 0: unknown condition operator 'StringMatches'"),
    (doc({**ALLOW_ALL, "Condition": {"NullIfExists": {"k": "true"}}}), "identity",
     "unknown condition operator 'NullIfExists'"),
    (doc({**ALLOW_ALL, "Condition": "x"}), "identity", "Condition must be an object"),
    (doc({**ALLOW_ALL, "Condition": {"StringEquals": "x"}}), "identity",
     "StringEquals must map condition keys to values"),
    (doc({**ALLOW_ALL, "Condition": {"StringEquals": {"k": {"a": 1}}}}), "identity",
     "values must be strings, numbers or booleans"),
    (doc({**ALLOW_ALL, "Condition": {"NumericLessThan": {"k": "ten"}}}), "identity",
     "'ten' is not a valid value for NumericLessThan"),
    (doc({**ALLOW_ALL, "Condition": {"DateLessThan": {"aws:CurrentTime": "soon"}}}),
     "identity", "'soon' is not a valid value for DateLessThan"),
    (doc({**ALLOW_ALL, "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.300/8"}}}),
     "identity", "'10.0.0.300/8' is not a valid value for IpAddress"),
    (doc({**ALLOW_ALL, "Condition": {"Bool": {"aws:SecureTransport": "yes"}}}), "identity",
     "'yes' is not a valid value for Bool"),
    (doc({**ALLOW_ALL, "Condition": {"Null": {"k": "maybe"}}}), "identity",
     "'maybe' is not a valid value for Null"),
    (doc(ALLOW_ALL).replace("*", "caf\u0100"), "identity",
     "characters outside tab, LF, CR and U+0020-U+00FF"),
]


@pytest.mark.parametrize(("text", "kind", "reason"), REFUSALS)
def test_refusals(text: str, kind: str, reason: str) -> None:
    with pytest.raises(PolicyError) as refused:
        parse(text, kind)  # type: ignore[arg-type]
    assert reason in refused.value.message


def test_messages_name_the_statement_by_sid() -> None:
    with pytest.raises(PolicyError, match=r"statement 1 \(Second\) has no Effect"):
        parse(doc(ALLOW_ALL, {"Sid": "Second", "Action": "*", "Resource": "*"}), "identity")


def test_size_limit_counts_every_character_by_default() -> None:
    text = doc(PUBLIC)
    padded = text + " " * (ECR_POLICY_MAX_CHARS - len(text))
    assert parse(padded, "resource", max_chars=ECR_POLICY_MAX_CHARS)
    with pytest.raises(PolicyError, match="10241 characters, over the limit of 10240"):
        parse(padded + " ", "resource", max_chars=ECR_POLICY_MAX_CHARS)


def test_iam_size_limits_do_not_count_white_space() -> None:
    actions = [f"ecr:Action{i:04d}" for i in range(300)]
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": "*"}]}, indent=8)
    assert len(text) > IAM_MANAGED_POLICY_MAX_CHARS
    compact = policy_size(text, count_whitespace=False)
    assert compact < IAM_MANAGED_POLICY_MAX_CHARS
    assert parse(text, "identity", max_chars=IAM_MANAGED_POLICY_MAX_CHARS,
                 count_whitespace=False)
    with pytest.raises(PolicyError, match="over the limit"):
        parse(text, "identity", max_chars=compact - 1, count_whitespace=False)


def test_policy_error_is_a_value_error_with_its_message() -> None:
    error = PolicyError("why")
    assert isinstance(error, ValueError)
    assert str(error) == error.message == "why"
