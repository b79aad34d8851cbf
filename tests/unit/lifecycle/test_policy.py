"""parse_policy: what ECR accepts, and a table of everything it refuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from berth.lifecycle import LifecyclePolicy, LifecyclePolicyError, Rule, parse_policy
from berth.testing.guide import LIFECYCLE_POLICY
from tests.unit.lifecycle.documents import archive_expiry, policy, rule, text

SEED_POLICY = json.loads(LIFECYCLE_POLICY)


def test_the_seed_guide_policy() -> None:
    parsed = parse_policy(json.dumps(SEED_POLICY))
    assert parsed == LifecyclePolicy((
        Rule(priority=1, description="Remove untagged images older than 7 days",
             tag_status="untagged", count_type="sinceImagePushed", count_unit="days",
             count_number=7),
        Rule(priority=2, description="Keep only the last 30 tagged images", tag_status="tagged",
             tag_prefixes=("v",), count_type="imageCountMoreThan", count_number=30),
        Rule(priority=3, description="Remove dev images older than 14 days", tag_status="tagged",
             tag_prefixes=("dev-", "feature-"), count_type="sinceImagePushed",
             count_unit="days", count_number=14),
    ))


def test_archive_rules() -> None:
    # AWS's "Combining archive and expire rules" example: an `any` rule per storage class.
    parsed = policy(rule(1, count_type="sinceImagePushed", count_number=30, action="transition"),
                    archive_expiry(2, days=365))
    assert parsed.rules == (
        Rule(priority=1, tag_status="any", count_type="sinceImagePushed", count_unit="days",
             count_number=30, action="transition", target_storage_class="archive"),
        Rule(priority=2, tag_status="any", count_type="sinceImageTransitioned",
             count_unit="days", count_number=365, storage_class="archive"),
    )


@pytest.mark.parametrize("document", [
    rule(1, count_type="sinceImagePulled", count_number=90, action="transition"),
    rule(1, "tagged", patterns=["prod*"], count_type="sinceImagePushed", count_number=14),
    rule(1, "tagged", patterns=["*test*1*2*3", "test*1*2*3*"]),  # AWS: four wildcards is fine
    rule(1, "untagged", count_number=1, action="transition"),
    rule(1, count_type="sinceImagePushed", count_number=1, storage_class="standard"),
    archive_expiry(1, "untagged"),
    archive_expiry(1, "tagged", prefixes=["v"]),
], ids=["pulled-transition", "pattern-age", "four-wildcards", "count-transition",
        "explicit-standard", "archive-untagged", "archive-tagged"])
def test_accepted_rules(document: dict[str, Any]) -> None:
    assert len(policy(document).rules) == 1


def test_rules_come_out_in_priority_order_and_need_not_be_sequential() -> None:
    parsed = policy(rule(100), rule(5, "tagged", prefixes=["a"]), rule(10, "untagged"))
    assert [r.priority for r in parsed.rules] == [5, 10, 100]


def test_length_limits_are_botocores() -> None:
    with pytest.raises(LifecyclePolicyError, match="100 to 30,720 characters long; it has 99"):
        parse_policy("{" + " " * 97 + "}")
    with pytest.raises(LifecyclePolicyError, match="missing required field"):
        parse_policy("{" + " " * 98 + "}")  # 100 characters: the length is fine
    compact = json.dumps({"rules": [rule(1)]}, separators=(",", ":"))
    assert parse_policy(compact.ljust(30_720)).rules[0].priority == 1
    with pytest.raises(LifecyclePolicyError, match="it has 30,721"):
        parse_policy(compact.ljust(30_721))


def test_fifty_rules_but_not_fifty_one() -> None:
    rules = [rule(n, "tagged", prefixes=[f"p{n}-"]) for n in range(1, 51)]
    assert len(policy(*rules).rules) == 50
    with pytest.raises(LifecyclePolicyError, match="1 to 50 rules; this one has 51"):
        policy(*rules, rule(51, "tagged", prefixes=["p51-"]))


def _with(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``document`` with the field at ``path`` ("selection.countUnit") set, or dropped
    when ``value`` is ``DROP``."""
    document = json.loads(json.dumps(document))
    *parents, leaf = path.split(".")
    target = document
    for key in parents:
        target = target[key]
    if value is DROP:
        del target[leaf]
    else:
        target[leaf] = value
    return document


DROP = object()
BASE = rule(1, "tagged", prefixes=["v"])
PUSHED = rule(1, count_type="sinceImagePushed", count_number=7)

Case = tuple[Callable[[], str], str, int | None]

REFUSALS: dict[str, Case] = {
    # the text and the document
    "not-json": (lambda: "{\"rules\": [" + " " * 100, "not valid JSON", None),
    "nan": (lambda: text(rule(1, count_number=float("nan"))), "not valid JSON", None),
    "array-document": (lambda: json.dumps([BASE], indent=4), "must be a JSON object", None),
    "no-rules": (lambda: json.dumps({"Rules": [BASE]}, indent=8),
                 'unknown field(s) "Rules"', None),
    "missing-rules": (lambda: json.dumps({}).ljust(100),
                      'the policy is missing required field(s) "rules"', None),
    "unknown-top-field": (lambda: text(BASE, version="1"), 'unknown field(s) "version"', None),
    "rules-not-array": (lambda: json.dumps({"rules": BASE}, indent=4), "must be an array", None),
    "no-rule": (lambda: json.dumps({"rules": []}).ljust(100), "this one has 0", None),
    # one rule's shape
    "rule-not-object": (lambda: text(BASE, "rule"), "rule #2 in the list must be a JSON object",
                        None),
    "no-priority": (lambda: text(_with(BASE, "rulePriority", DROP)),
                    'rule #1 in the list is missing required field(s) "rulePriority"', None),
    "priority-zero": (lambda: text(_with(BASE, "rulePriority", 0)),
                      "rulePriority must be a positive integer, not 0", None),
    "priority-negative": (lambda: text(_with(BASE, "rulePriority", -3)),
                          "positive integer, not -3", None),
    "priority-float": (lambda: text(_with(BASE, "rulePriority", 1.0)),
                       "positive integer, not 1.0", None),
    "priority-string": (lambda: text(_with(BASE, "rulePriority", "1")),
                        'positive integer, not "1"', None),
    "priority-bool": (lambda: text(_with(BASE, "rulePriority", True)),
                      "positive integer, not true", None),
    "unknown-rule-field": (lambda: text(_with(BASE, "name", "x")),
                           'rule 1 has unknown field(s) "name"', 1),
    "no-selection": (lambda: text(_with(BASE, "selection", DROP)),
                     'rule 1 is missing required field(s) "selection"', 1),
    "no-action": (lambda: text(_with(BASE, "action", DROP)),
                  'rule 1 is missing required field(s) "action"', 1),
    "description-number": (lambda: text(_with(BASE, "description", 3)),
                           "rule 1: description must be a string", 1),
    "description-null": (lambda: text(_with(BASE, "description", None)),
                         "rule 1: description must be a string", 1),
    # selection
    "selection-not-object": (lambda: text(_with(BASE, "selection", "tagged")),
                             "rule 1: selection must be a JSON object", 1),
    "unknown-selection-field": (lambda: text(_with(BASE, "selection.tagList", ["v"])),
                                'rule 1: selection has unknown field(s) "tagList"', 1),
    "no-tag-status": (lambda: text(_with(BASE, "selection.tagStatus", DROP)),
                      'missing required field(s) "tagStatus"', 1),
    "no-count-type": (lambda: text(_with(BASE, "selection.countType", DROP)),
                      'missing required field(s) "countType"', 1),
    "no-count-number": (lambda: text(_with(BASE, "selection.countNumber", DROP)),
                        'missing required field(s) "countNumber"', 1),
    "tag-status-upper": (lambda: text(_with(BASE, "selection.tagStatus", "TAGGED")),
                         'tagStatus must be one of tagged, untagged, any, not "TAGGED"', 1),
    "count-type-unknown": (lambda: text(_with(BASE, "selection.countType", "sinceImageBuilt")),
                           "countType must be one of imageCountMoreThan", 1),
    "count-zero": (lambda: text(_with(BASE, "selection.countNumber", 0)),
                   "countNumber must be a positive integer, not 0", 1),
    "count-negative": (lambda: text(_with(BASE, "selection.countNumber", -1)),
                       "countNumber must be a positive integer, not -1", 1),
    "count-float": (lambda: text(_with(BASE, "selection.countNumber", 1.5)),
                    "not 1.5", 1),
    "count-string": (lambda: text(_with(BASE, "selection.countNumber", "3")), 'not "3"', 1),
    "count-null": (lambda: text(_with(BASE, "selection.countNumber", None)), "not null", 1),
    # tag filters
    "tagged-without-list": (lambda: text(rule(1, "tagged")),
                            "tagStatus tagged needs a tagPrefixList or a tagPatternList", 1),
    "both-lists": (lambda: text(rule(1, "tagged", prefixes=["v"], patterns=["v*"])),
                   "a tagPrefixList or a tagPatternList, not both", 1),
    "untagged-with-prefixes": (lambda: text(rule(1, "untagged", prefixes=["v"])),
                               "only allowed with tagStatus tagged, not untagged", 1),
    "any-with-patterns": (lambda: text(rule(1, "any", patterns=["v*"])),
                          "only allowed with tagStatus tagged, not any", 1),
    "empty-prefix-list": (lambda: text(rule(1, "tagged", prefixes=[])),
                          "tagPrefixList must be a non-empty array of strings", 1),
    "prefix-list-string": (lambda: text(_with(BASE, "selection.tagPrefixList", "v")),
                           "tagPrefixList must be a non-empty array", 1),
    "prefix-list-null": (lambda: text(_with(BASE, "selection.tagPrefixList", None)),
                         "tagPrefixList must be a non-empty array", 1),
    "empty-prefix": (lambda: text(rule(1, "tagged", prefixes=["v", ""])),
                     'tagPrefixList entries must be non-empty strings, not ""', 1),
    "number-pattern": (lambda: text(rule(1, "tagged", patterns=[5])),
                       "tagPatternList entries must be non-empty strings, not 5", 1),
    "five-wildcards": (lambda: text(rule(1, "tagged", patterns=["a*b*c*d*e*"])),
                       'entry "a*b*c*d*e*" has 5 wildcards; at most 4', 1),
    "aws-invalid-example": (lambda: text(rule(1, "tagged", patterns=["test*1*2*3*4*5*6"])),
                            "has 6 wildcards", 1),
    # count unit
    "unit-with-count": (lambda: text(_with(BASE, "selection.countUnit", "days")),
                        "countUnit is not allowed with countType imageCountMoreThan", 1),
    "pushed-without-unit": (lambda: text(_with(PUSHED, "selection.countUnit", DROP)),
                            "countUnit is required with countType sinceImagePushed", 1),
    "pulled-without-unit": (
        lambda: text(_with(rule(1, count_type="sinceImagePulled", action="transition"),
                           "selection.countUnit", DROP)),
        "countUnit is required with countType sinceImagePulled", 1),
    "transitioned-without-unit": (
        lambda: text(_with(archive_expiry(1), "selection.countUnit", DROP)),
        "countUnit is required with countType sinceImageTransitioned", 1),
    "unit-hours": (lambda: text(_with(PUSHED, "selection.countUnit", "hours")),
                   'countUnit must be days, not "hours"', 1),
    "unit-null": (lambda: text(_with(PUSHED, "selection.countUnit", None)),
                  "countUnit must be days, not null", 1),
    # storage classes
    "storage-unknown": (lambda: text(_with(PUSHED, "selection.storageClass", "glacier")),
                        "storageClass must be one of standard, archive", 1),
    "storage-upper": (lambda: text(_with(PUSHED, "selection.storageClass", "ARCHIVE")),
                      "storageClass must be one of standard, archive", 1),
    "archive-with-pushed": (lambda: text(_with(PUSHED, "selection.storageClass", "archive")),
                            "storageClass archive is only allowed with countType "
                            "sinceImageTransitioned, not sinceImagePushed", 1),
    "archive-with-count": (lambda: text(_with(BASE, "selection.storageClass", "archive")),
                           "not imageCountMoreThan", 1),
    "transitioned-without-storage": (
        lambda: text(_with(archive_expiry(1), "selection.storageClass", DROP)),
        "countType sinceImageTransitioned needs storageClass archive", 1),
    "transitioned-standard": (
        lambda: text(_with(archive_expiry(1), "selection.storageClass", "standard")),
        "countType sinceImageTransitioned needs storageClass archive", 1),
    # actions
    "action-not-object": (lambda: text(_with(BASE, "action", "expire")),
                          "rule 1: action must be a JSON object", 1),
    "unknown-action-field": (lambda: text(_with(BASE, "action.days", 3)),
                             'rule 1: action has unknown field(s) "days"', 1),
    "no-action-type": (lambda: text(_with(BASE, "action.type", DROP)),
                       'action is missing required field(s) "type"', 1),
    "action-delete": (lambda: text(_with(BASE, "action.type", "delete")),
                      'type must be one of expire, transition, not "delete"', 1),
    "action-upper": (lambda: text(_with(BASE, "action.type", "EXPIRE")),
                     'not "EXPIRE"', 1),
    "transition-without-target": (
        lambda: text(_with(rule(1, action="transition"), "action.targetStorageClass", DROP)),
        "action transition needs targetStorageClass archive, not null", 1),
    "transition-to-standard": (
        lambda: text(_with(rule(1, action="transition"), "action.targetStorageClass",
                           "standard")),
        'needs targetStorageClass archive, not "standard"', 1),
    "transition-to-upper-archive": (
        lambda: text(_with(rule(1, action="transition"), "action.targetStorageClass",
                           "ARCHIVE")),
        'not "ARCHIVE"', 1),
    "expire-with-target": (lambda: text(_with(BASE, "action.targetStorageClass", "archive")),
                           "targetStorageClass is only allowed with action transition", 1),
    "expire-with-null-target": (lambda: text(_with(BASE, "action.targetStorageClass", None)),
                                "targetStorageClass is only allowed with action transition", 1),
    # which count types go with which action
    "pulled-expire": (lambda: text(rule(1, count_type="sinceImagePulled", count_number=90)),
                      "countType sinceImagePulled can only transition images to archive", 1),
    "transitioned-transition": (
        lambda: text(_with(archive_expiry(1), "action",
                           {"type": "transition", "targetStorageClass": "archive"})),
        "countType sinceImageTransitioned can only expire images", 1),
    "transitioned-89-days": (lambda: text(archive_expiry(1, days=89)),
                             "countNumber must be 90 or more, not 89", 1),
    # the rules together
    "same-priority": (lambda: text(rule(1, "tagged", prefixes=["a"]),
                                   rule(1, "tagged", prefixes=["b"])),
                      "rule 1: rulePriority 1 is used by more than one rule", 1),
    "two-untagged": (lambda: text(rule(1, "untagged"), rule(4, "untagged", count_number=5)),
                     "rule 4: only one rule selecting standard images may select untagged "
                     "images, and rule 1 already does", 4),
    "two-archived-untagged": (lambda: text(archive_expiry(1, "untagged"),
                                           archive_expiry(2, "untagged", days=100)),
                              "rule 2: only one rule selecting archive images", 2),
    "any-not-last": (lambda: text(rule(1), rule(2, "tagged", prefixes=["v"])),
                     "rule 1: a rule with tagStatus any must have the highest rulePriority of "
                     "the rules selecting standard images, but rule 2 is higher", 1),
    "two-any": (lambda: text(rule(3), rule(7, count_type="sinceImagePushed", count_number=3)),
                "rule 3: a rule with tagStatus any must have the highest", 3),
    "archive-any-not-last": (lambda: text(archive_expiry(1), archive_expiry(2, "untagged")),
                             "highest rulePriority of the rules selecting archive images", 1),
    "same-prefixes": (lambda: text(rule(1, "tagged", prefixes=["v"]),
                                   rule(2, "tagged", prefixes=["v"], count_number=5)),
                      "rule 2: selects the same tag prefixes as rule 1", 2),
    "same-prefixes-reordered": (lambda: text(rule(1, "tagged", prefixes=["a", "b"]),
                                             rule(2, "tagged", prefixes=["b", "a"])),
                                "same tag prefixes as rule 1", 2),
    "same-patterns": (lambda: text(rule(2, "tagged", patterns=["v*"]),
                                   rule(1, "tagged", patterns=["v*"])),
                      "rule 2: selects the same tag patterns as rule 1", 2),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_refusals(name: str) -> None:
    make_text, message, priority = REFUSALS[name]
    with pytest.raises(LifecyclePolicyError) as refused:
        parse_policy(make_text())
    assert message in refused.value.message
    assert refused.value.rule_priority == priority
    if priority is not None:
        assert refused.value.message.startswith(f"rule {priority}")


@pytest.mark.parametrize("rules", [
    # An `any` rule is last only among the rules of its storage class.
    [rule(1), archive_expiry(2)],
    [archive_expiry(1), rule(2)],
    # One untagged rule per storage class.
    [rule(1, "untagged"), archive_expiry(2, "untagged")],
    # The same prefixes for different storage classes, or as a prefix and as a pattern.
    [rule(1, "tagged", prefixes=["v"]), archive_expiry(2, "tagged", prefixes=["v"])],
    [rule(1, "tagged", prefixes=["v"]), rule(2, "tagged", patterns=["v"])],
    # Overlapping but different prefix sets.
    [rule(1, "tagged", prefixes=["v"]), rule(2, "tagged", prefixes=["v", "w"])],
], ids=["any-per-class", "any-per-class-reversed", "untagged-per-class",
        "prefixes-per-class", "prefix-and-pattern", "overlapping-prefixes"])
def test_accepted_combinations(rules: list[dict[str, Any]]) -> None:
    assert len(policy(*rules).rules) == len(rules)


def test_an_error_is_a_value_error() -> None:
    assert issubclass(LifecyclePolicyError, ValueError)
