"""evaluate(): one test (or table) per evaluation rule, the AWS examples among them."""

from __future__ import annotations

from typing import Any

import pytest

from berth.lifecycle import Decision, ImageFacts, LifecyclePolicy, Rule, evaluate
from berth.lifecycle.evaluate import _ordinal
from tests.unit.lifecycle.documents import (
    DAY,
    NOW,
    archive_expiry,
    digest_of,
    image,
    policy,
    rule,
)


def outcome(rules: list[dict[str, Any]] | LifecyclePolicy,
            images: list[ImageFacts]) -> dict[str, tuple[int | None, str]]:
    """image name → (rule priority, action), for images named "A"…"J" or "img0"…"img99"."""
    parsed = rules if isinstance(rules, LifecyclePolicy) else policy(*rules)
    names = {img.digest: _name(img) for img in images}
    return {names[d.digest]: (d.rule_priority, d.action) for d in evaluate(parsed, images, NOW)}


def _name(img: ImageFacts) -> str:
    for candidate in [*"ABCDEFGHIJ", *(f"img{n}" for n in range(100))]:
        if digest_of(candidate) == img.digest:
            return candidate
    raise AssertionError("unnamed image")


# --- AWS's worked examples (lifecycle_policy_examples) ---------------------------------

BETA_PROD = [image("A", "beta-1", "prod-1", age=10), image("B", "beta-2", "prod-2", age=9),
             image("C", "beta-3", age=8)]


def test_aws_multiple_rules_example_a() -> None:
    # Rule 2 would expire A and B, but both match rule 1's tags: only rule 1 acts.
    rules = [rule(1, "tagged", patterns=["prod*"]), rule(2, "tagged", patterns=["beta*"])]
    assert outcome(rules, BETA_PROD) == {"A": (1, "expire")}


def test_aws_multiple_rules_example_b() -> None:
    rules = [rule(1, "tagged", patterns=["beta*"]), rule(2, "tagged", patterns=["prod*"])]
    assert outcome(rules, BETA_PROD) == {"A": (1, "expire"), "B": (1, "expire")}


def test_aws_multiple_tags_example_a() -> None:
    # Every pattern of the list must match one of the image's tags.
    images = [image("A", "alpha-1", age=12), image("B", "beta-1", age=11),
              image("C", "alpha-2", "beta-2", age=10), image("D", "alpha-3", age=4),
              image("E", "beta-3", age=3), image("F", "alpha-4", "beta-4", age=2)]
    rules = [rule(1, "tagged", patterns=["alpha*", "beta*"], count_type="sinceImagePushed",
                  count_number=5)]
    assert outcome(rules, images) == {"C": (1, "expire")}


def test_aws_multiple_tags_example_b() -> None:
    images = [image("A", "alpha-1", "beta-1", "gamma-1", age=10),
              image("B", "alpha-2", "beta-2", age=9),
              image("C", "alpha-3", "beta-3", "gamma-2", age=8)]
    rules = [rule(1, "tagged", patterns=["alpha*", "beta*"])]
    assert outcome(rules, images) == {"A": (1, "expire"), "B": (1, "expire")}


def test_aws_all_images_example_a() -> None:
    images = [image("A", "alpha-1", age=4), image("B", "beta-1", age=3), image("C", age=2),
              image("D", "alpha-2", age=1)]
    assert outcome([rule(1)], images) == {"A": (1, "expire"), "B": (1, "expire"),
                                          "C": (1, "expire")}


def test_aws_all_images_example_b() -> None:
    # Rule 3 counts every image, those rules 1 and 2 own included, keeps the newest (E)
    # and may act only on D, the one image no higher rule selects.
    images = [image("A", "alpha-1", "beta-1", age=4), image("B", age=3),
              image("C", "alpha-2", age=2), image("D", "git hash", age=1.01),
              image("E", age=1)]
    rules = [rule(1, "tagged", patterns=["alpha*"]),
             rule(2, "untagged", count_type="sinceImagePushed", count_number=1), rule(3)]
    assert outcome(rules, images) == {"A": (1, "expire"), "B": (2, "expire"),
                                      "D": (3, "expire")}


# --- priority, ownership, counting -------------------------------------------------------

def test_a_rule_that_keeps_an_image_still_protects_it() -> None:
    # Rule 1 selects all prod images and keeps them; rule 2 may not expire them.
    images = [image("A", "prod-1", age=100), image("B", "dev", age=100)]
    rules = [rule(1, "tagged", prefixes=["prod"], count_number=10),
             rule(2, count_type="sinceImagePushed", count_number=30)]
    assert outcome(rules, images) == {"B": (2, "expire")}


def test_lower_rules_count_images_higher_rules_expire() -> None:
    # Rule 2 keeps the 2 newest v images, D and C, though rule 1 expires D: it expires B
    # and A. Had it not counted D, it would have kept B.
    images = [image("A", "v1", age=5), image("B", "v2", age=4), image("C", "v3", age=3),
              image("D", "v4", "old", age=2)]
    rules = [rule(1, "tagged", prefixes=["old"], count_type="sinceImagePushed", count_number=1),
             rule(2, "tagged", prefixes=["v"], count_number=2)]
    assert outcome(rules, images) == {"A": (2, "expire"), "B": (2, "expire"),
                                      "D": (1, "expire")}
    rules[0] = rule(1, "tagged", prefixes=["old"])  # now rule 1 keeps D, and still owns it
    assert outcome(rules, images) == {"A": (2, "expire"), "B": (2, "expire")}


def test_an_image_gets_one_decision_from_the_first_rule() -> None:
    images = [image("A", "v1", "dev-1", age=50)]
    rules = [rule(1, "tagged", prefixes=["dev-"], count_type="sinceImagePushed",
                  count_number=10, action="transition"),
             rule(2, "tagged", prefixes=["v"], count_type="sinceImagePushed", count_number=10)]
    assert outcome(rules, images) == {"A": (1, "transition")}


# --- the count types ----------------------------------------------------------------------

def test_image_count_keeps_the_newest_by_push_time() -> None:
    images = [image("A", age=5), image("B", age=1), image("C", age=3), image("D", age=2)]
    assert outcome([rule(1, count_number=2)], images) == {"A": (1, "expire"),
                                                          "C": (1, "expire")}


def test_a_restored_image_counts_from_its_restore_time() -> None:
    images = [image("A", age=100, restored=1), image("B", age=5), image("C", age=3)]
    assert outcome([rule(1, count_number=2)], images) == {"B": (1, "expire")}


def test_equal_push_times_keep_the_smaller_digest() -> None:
    a, b = image("A", age=2), image("B", age=2)
    _kept, expired = sorted([a, b], key=lambda i: i.digest)
    for images in ([a, b], [b, a]):
        decisions = evaluate(policy(rule(1)), images, NOW)
        assert [d.digest for d in decisions] == [expired.digest]


@pytest.mark.parametrize(("age", "expired"), [
    (7, False), (7 + 1 / DAY, True), (6.9, False), (30, True)])
def test_since_image_pushed_means_strictly_older(age: float, expired: bool) -> None:
    images = [image("A", age=age)]
    got = outcome([rule(1, count_type="sinceImagePushed", count_number=7)], images)
    assert got == ({"A": (1, "expire")} if expired else {})


def test_since_image_pushed_counts_from_the_restore() -> None:
    images = [image("A", age=100, restored=3), image("B", age=100, restored=10)]
    got = outcome([rule(1, count_type="sinceImagePushed", count_number=7)], images)
    assert got == {"B": (1, "expire")}


PULLED = rule(1, count_type="sinceImagePulled", count_number=30, action="transition")


@pytest.mark.parametrize(("facts", "archived"), [
    ({"age": 100, "pulled": 10}, False),                  # pulled recently
    ({"age": 100, "pulled": 31}, True),                   # not pulled for 31 days
    ({"age": 100}, True),                                 # never pulled: push time
    ({"age": 20}, False),
    ({"age": 100, "pulled": 200, "restored": 5}, False),  # not pulled since restore: restore
    ({"age": 100, "restored": 40}, True),
    ({"age": 100, "pulled": 4, "restored": 40}, False),   # pulled since restore: pull time
    ({"age": 300, "pulled": 35, "restored": 40}, True),
], ids=["recent-pull", "old-pull", "never-pulled-old", "never-pulled-young",
        "restored-recently", "restored-long-ago", "pulled-after-restore",
        "pulled-after-old-restore"])
def test_since_image_pulled(facts: dict[str, Any], archived: bool) -> None:
    assert outcome([PULLED], [image("A", **facts)]) == (
        {"A": (1, "transition")} if archived else {})


def test_since_image_transitioned_expires_archived_images_only() -> None:
    images = [image("A", age=400, archived=120), image("B", age=400, archived=95),
              image("C", age=400, archived=90), image("D", age=400)]
    assert outcome([archive_expiry(1, days=91)], images) == {"A": (1, "expire"),
                                                            "B": (1, "expire")}


def test_an_archived_image_without_an_archive_time_is_left_alone() -> None:
    facts = ImageFacts(digest=digest_of("A"), pushed_at=NOW - 400 * DAY,
                       storage_class="ARCHIVE")
    assert evaluate(policy(archive_expiry(1)), [facts], NOW) == []


# --- storage classes ------------------------------------------------------------------------

def test_standard_rules_neither_see_nor_count_archived_images() -> None:
    images = [image("A", age=1, archived=200), image("B", age=5), image("C", age=6)]
    assert outcome([rule(1)], images) == {"C": (1, "expire")}


def test_rules_of_each_storage_class_own_their_own_images() -> None:
    # AWS's "Combining archive and expire rules": an `any` rule per storage class.
    images = [image("A", age=40), image("B", age=400, archived=366), image("C", age=10)]
    rules = [rule(1, count_type="sinceImagePushed", count_number=30, action="transition"),
             archive_expiry(2, days=365)]
    decisions = evaluate(policy(*rules), images, NOW)
    assert [(d.digest, d.rule_priority, d.action, d.target_storage_class)
            for d in decisions] == [(digest_of("A"), 1, "transition", "archive"),
                                    (digest_of("B"), 2, "expire", None)]


def test_archived_images_are_kept_ninety_days_in_archive() -> None:
    # The parser refuses fewer than 90 days; a rule built by hand shows the evaluator's
    # own guard, which also covers referrers that follow an expired subject.
    short = Rule(priority=1, tag_status="any", count_type="sinceImageTransitioned",
                 count_unit="days", count_number=30, storage_class="archive")
    images = [image("A", archived=60), image("B", archived=89.9), image("C", archived=90)]
    assert outcome(LifecyclePolicy((short,)), images) == {"C": (1, "expire")}


# --- manifest lists --------------------------------------------------------------------------

def test_images_a_manifest_list_references_are_protected_but_counted() -> None:
    images = [image("A", age=1), image("B", age=2, listed=True), image("C", age=3)]
    assert outcome([rule(1, "untagged")], images) == {"C": (1, "expire")}
    pushed = rule(1, "untagged", count_type="sinceImagePushed", count_number=1)
    assert outcome([pushed], images) == {"C": (1, "expire")}


def test_a_protected_image_is_still_owned_by_its_rule() -> None:
    images = [image("A", "v1", age=50, listed=True)]
    rules = [rule(1, "tagged", prefixes=["v"], count_type="sinceImagePushed", count_number=7),
             rule(2, count_type="sinceImagePushed", count_number=7)]
    assert outcome(rules, images) == {}


# --- referrers ----------------------------------------------------------------------------------

def test_referrers_are_not_selected_or_counted_by_rules() -> None:
    images = [image("A", age=1), image("B", age=100, subject="A"), image("C", age=2)]
    assert outcome([rule(1, "untagged")], images) == {"C": (1, "expire")}
    pushed = rule(1, "untagged", count_type="sinceImagePushed", count_number=7)
    assert outcome([pushed], images) == {}


def test_referrers_follow_their_subject() -> None:
    images = [image("A", "v1", age=3), image("B", "v2", age=2), image("C", "v3", age=1),
              image("D", age=1, subject="A"), image("E", age=1, subject="D"),
              image("F", age=1, subject="C")]
    got = outcome([rule(1, "tagged", prefixes=["v"], count_number=2)], images)
    assert got == {"A": (1, "expire"), "D": (1, "expire"), "E": (1, "expire")}


def test_referrers_are_archived_with_their_subject() -> None:
    images = [image("A", age=40), image("B", age=1, subject="A")]
    decisions = evaluate(policy(rule(1, count_type="sinceImagePushed", count_number=30,
                                     action="transition")), images, NOW)
    assert [(d.digest, d.rule_priority, d.action, d.target_storage_class)
            for d in decisions] == [(digest_of("A"), 1, "transition", "archive"),
                                    (digest_of("B"), 1, "transition", "archive")]


def test_referrers_of_a_gone_or_archived_subject() -> None:
    images = [image("B", age=1, subject="gone"), image("C", age=90, archived=30),
              image("D", age=1, subject="C"), image("E", age=1, archived=1, subject="C")]
    decisions = {d.digest: d for d in evaluate(policy(rule(1, "tagged", prefixes=["x"])),
                                               images, NOW)}
    assert set(decisions) == {digest_of("B"), digest_of("D")}
    gone, archived = decisions[digest_of("B")], decisions[digest_of("D")]
    assert (gone.rule_priority, gone.action, gone.target_storage_class) == (None, "expire", None)
    assert gone.reason == f"follows its subject {digest_of('gone')[:19]}…, which no longer exists"
    assert (archived.rule_priority, archived.action) == (None, "transition")
    assert archived.reason.endswith("which is archived")


def test_referrer_protections() -> None:
    images = [image("A", age=10), image("B", age=1, subject="A", listed=True),
              image("C", age=1, archived=10, subject="A"),
              image("D", age=1, archived=100, subject="A")]
    got = outcome([rule(1, count_type="sinceImagePushed", count_number=7)], images)
    assert got == {"A": (1, "expire"), "D": (1, "expire")}


# --- tag matching ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("patterns", "tag", "matches"), [
    (["prod*"], "prod", True), (["prod*"], "prod1", True),
    (["prod*"], "production-team1", True), (["prod*"], "preprod", False),
    (["*prod*"], "repo-production", True), (["*prod*"], "prod-team", True),
    (["*prod*"], "pro-d", False), (["latest"], "latest", True), (["latest"], "latest-1", False),
    (["v*.*.*"], "v1.2.3", True), (["v*.*.*"], "v1.2", False), (["a.b"], "axb", False),
    (["*"], "anything", True), (["Prod*"], "prod", False),
])
def test_tag_patterns(patterns: list[str], tag: str, matches: bool) -> None:
    got = outcome([rule(1, "tagged", patterns=patterns, count_type="sinceImagePushed",
                        count_number=1)], [image("A", tag, age=2)])
    assert bool(got) is matches


@pytest.mark.parametrize(("prefixes", "tags", "matches"), [
    (["v"], ("v1",), True), (["v"], ("version",), True), (["v"], ("V1",), False),
    (["v"], ("latest", "v2"), True), (["dev-", "feature-"], ("dev-1",), False),
    (["dev-", "feature-"], ("dev-1", "feature-x"), True),
    (["dev-", "feature-"], ("dev-feature-1",), False), (["v"], (), False),
])
def test_tag_prefixes_must_all_match(prefixes: list[str], tags: tuple[str, ...],
                                     matches: bool) -> None:
    got = outcome([rule(1, "tagged", prefixes=prefixes, count_type="sinceImagePushed",
                        count_number=1)], [image("A", *tags, age=2)])
    assert bool(got) is matches


def test_tag_status() -> None:
    images = [image("A", age=5), image("B", "v1", age=5)]
    pushed: dict[str, Any] = {"count_type": "sinceImagePushed", "count_number": 1}
    assert outcome([rule(1, "untagged", **pushed)], images) == {"A": (1, "expire")}
    assert outcome([rule(1, "tagged", patterns=["*"], **pushed)], images) == {
        "B": (1, "expire")}
    assert outcome([rule(1, **pushed)], images) == {"A": (1, "expire"), "B": (1, "expire")}


# --- reasons and order ----------------------------------------------------------------------------

def test_reasons() -> None:
    images = [image(f"img{n}", f"v1.{n}", age=n + 0.5) for n in range(45)]
    images += [image("A", age=9.5), image("B", "x", pulled=40, age=50)]
    rules = [rule(1, "untagged", count_type="sinceImagePushed", count_number=7),
             rule(2, "tagged", prefixes=["v"], count_number=30),
             rule(3, "tagged", patterns=["x", "*"], count_type="sinceImagePulled",
                  count_number=30, action="transition")]
    reasons = {d.digest: d.reason for d in evaluate(policy(*rules), images, NOW)}
    assert reasons[digest_of("A")] == (
        "rule 1: untagged images; pushed 9.50 days ago, more than 7")
    assert reasons[digest_of("img30")] == (
        "rule 2: 31st newest of 45 images tagged with prefix 'v'; keeps 30")
    assert reasons[digest_of("img44")] == (
        "rule 2: 45th newest of 45 images tagged with prefix 'v'; keeps 30")
    assert reasons[digest_of("B")] == (
        "rule 3: images with tags matching 'x' and '*'; last pulled 40.00 days ago, "
        "more than 30")


def test_reason_wording_per_selection() -> None:
    images = [image("A", "dev-1", "feature-1", age=20), image("B", age=3, restored=20),
              image("C", age=400, archived=100)]
    rules = [rule(1, "tagged", prefixes=["dev-", "feature-"], count_type="sinceImagePushed",
                  count_number=14),
             rule(2, count_type="sinceImagePulled", count_number=14, action="transition"),
             archive_expiry(3)]
    reasons = [d.reason for d in evaluate(policy(*rules), images, NOW)]
    assert reasons == [
        "rule 1: images tagged with prefixes 'dev-' and 'feature-'; pushed 20.00 days ago, "
        "more than 14",
        "rule 2: images of any tag status; not pulled since it was restored 20.00 days ago, "
        "more than 14",
        "rule 3: archived images; archived 100.00 days ago, more than 90"]


@pytest.mark.parametrize(("n", "word"), [
    (1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"),
    (21, "21st"), (22, "22nd"), (23, "23rd"), (101, "101st"), (111, "111th"), (112, "112th")])
def test_ordinals(n: int, word: str) -> None:
    assert _ordinal(n) == word


def test_decisions_come_by_rule_then_oldest_first() -> None:
    images = [image("A", "v1", age=9), image("B", age=8), image("C", "v2", age=7),
              image("D", age=6), image("E", "v3", age=1), image("F", age=1, subject="gone")]
    rules = [rule(1, "untagged", count_type="sinceImagePushed", count_number=2),
             rule(2, "tagged", prefixes=["v"])]
    decisions = evaluate(policy(*rules), images, NOW)
    assert [(d.digest, d.rule_priority) for d in decisions] == [
        (digest_of("B"), 1), (digest_of("D"), 1), (digest_of("A"), 2), (digest_of("C"), 2),
        (digest_of("F"), None)]
    assert all(isinstance(d, Decision) for d in decisions)


def test_no_images_no_decisions() -> None:
    assert evaluate(policy(rule(1)), [], NOW) == []
