"""Property tests: evaluate() against the naive reference, on random valid policies and
random repositories (ties, exact day boundaries, archives, manifest lists, referrers)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from berth.lifecycle import ImageFacts, LifecyclePolicy, evaluate, parse_policy
from tests.unit.lifecycle.reference import naive_evaluate

DAY = 86_400
NOW = 1_800_000_000.0
TAGS = ["v1", "v2", "v10", "version", "dev-1", "dev-2", "feature-1", "feature-x", "latest",
        "prod", "prod-1", "release-v1", "a", "ab", "a-b"]
PREFIXES = ["v", "dev-", "feature-", "prod", "a", "release-", "late"]
PATTERNS = ["v*", "*-1", "dev-*", "*", "prod*", "*e*", "a*b", "latest", "*v*1*", "feature-x"]
SETTINGS = settings(max_examples=300, deadline=None)
FEWER = settings(max_examples=100, deadline=None)


@st.composite
def rule_documents(draw: st.DrawFn) -> dict[str, Any]:
    tag_status = draw(st.sampled_from(["tagged", "untagged", "any"]))
    selection: dict[str, Any] = {"tagStatus": tag_status}
    if tag_status == "tagged":
        if draw(st.booleans()):
            selection["tagPrefixList"] = draw(st.lists(st.sampled_from(PREFIXES), min_size=1,
                                                       max_size=2, unique=True))
        else:
            selection["tagPatternList"] = draw(st.lists(st.sampled_from(PATTERNS), min_size=1,
                                                        max_size=2, unique=True))
    action: dict[str, Any] = {"type": "expire"}
    if draw(st.integers(0, 3)) == 0:
        selection.update(storageClass="archive", countType="sinceImageTransitioned",
                         countUnit="days", countNumber=draw(st.sampled_from([90, 91, 120])))
        return {"selection": selection, "action": action}
    count_type = draw(st.sampled_from(["imageCountMoreThan", "sinceImagePushed",
                                       "sinceImagePulled"]))
    selection["countType"] = count_type
    if count_type == "imageCountMoreThan":
        selection["countNumber"] = draw(st.integers(1, 6))
    else:
        selection.update(countUnit="days", countNumber=draw(st.sampled_from([1, 2, 7, 30, 90])))
    if count_type == "sinceImagePulled" or draw(st.booleans()):
        action = {"type": "transition", "targetStorageClass": "archive"}
    return {"selection": selection, "action": action}


def _fits(kept: list[dict[str, Any]], candidate: dict[str, Any]) -> bool:
    """Whether ``candidate`` may join ``kept`` (one untagged rule and one `any` rule per
    storage class, unique tag filters)."""
    def key(doc: dict[str, Any]) -> tuple[str, str, str]:
        sel = doc["selection"]
        filters = sel.get("tagPrefixList") or sel.get("tagPatternList") or []
        kind = "prefix" if "tagPrefixList" in sel else "pattern"
        if sel["tagStatus"] != "tagged":
            kind, filters = sel["tagStatus"], []
        return sel.get("storageClass", "standard"), kind, json.dumps(sorted(filters))
    return all(key(candidate) != key(doc) for doc in kept)


@st.composite
def policies(draw: st.DrawFn) -> LifecyclePolicy:
    kept: list[dict[str, Any]] = []
    for doc in draw(st.lists(rule_documents(), min_size=1, max_size=6)):
        if _fits(kept, doc):
            kept.append(doc)
    # `any` rules last: they get the highest priorities of their storage class.
    kept.sort(key=lambda doc: doc["selection"]["tagStatus"] == "any")
    priorities = sorted(draw(st.lists(st.integers(1, 60), min_size=len(kept),
                                      max_size=len(kept), unique=True)))
    rules = [{"rulePriority": p, **doc} for p, doc in zip(priorities, kept, strict=True)]
    text = json.dumps({"rules": draw(st.permutations(rules))}, indent=2)
    return parse_policy(text)  # the generator makes only policies ECR accepts


DAYS = [0, 1, 2, 3, 6, 7, 8, 29, 30, 31, 89, 90, 91, 119, 120, 121]


def _days_ago(draw: st.DrawFn) -> float:
    # A few whole days (so that times tie), or a second either side of one: the
    # boundaries of "older than N days" for the count numbers the rules use.
    return NOW - draw(st.sampled_from(DAYS)) * DAY - draw(st.sampled_from([0, 0, 1, -1, 7200]))


@st.composite
def repositories(draw: st.DrawFn) -> list[ImageFacts]:
    images: list[ImageFacts] = []
    for n in range(draw(st.integers(0, 25))):
        archived = draw(st.integers(0, 3)) == 0
        subject = None
        if n and draw(st.integers(0, 5)) == 0:
            subject = draw(st.sampled_from([img.digest for img in images] + ["sha256:gone"]))
        images.append(ImageFacts(
            digest=f"sha256:{n:064x}",
            tags=tuple(draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True))),
            pushed_at=_days_ago(draw),
            last_pulled_at=_days_ago(draw) if draw(st.booleans()) else None,
            storage_class="ARCHIVE" if archived else "ACTIVE",
            last_archived_at=_days_ago(draw) if archived and draw(st.integers(0, 9)) else None,
            last_activated_at=_days_ago(draw) if draw(st.integers(0, 3)) == 0 else None,
            listed_by_index=draw(st.integers(0, 7)) == 0,
            subject_digest=subject))
    return draw(st.permutations(images))  # digests in no particular order


def _outcomes(policy: LifecyclePolicy, images: list[ImageFacts]) -> dict[str, Any]:
    return {d.digest: (d.rule_priority, d.action, d.target_storage_class)
            for d in evaluate(policy, images, NOW)}


@SETTINGS
@given(policies(), repositories())
def test_evaluate_agrees_with_the_naive_reference(policy: LifecyclePolicy,
                                                  images: list[ImageFacts]) -> None:
    assert _outcomes(policy, images) == naive_evaluate(policy, images, NOW)


@FEWER
@given(policies(), repositories(), st.randoms(use_true_random=False))
def test_the_order_of_the_images_does_not_matter(policy: LifecyclePolicy,
                                                 images: list[ImageFacts], rnd: Any) -> None:
    shuffled = list(images)
    rnd.shuffle(shuffled)
    assert evaluate(policy, shuffled, NOW) == evaluate(policy, images, NOW)


@FEWER
@given(policies(), repositories())
def test_decision_invariants(policy: LifecyclePolicy, images: list[ImageFacts]) -> None:
    decisions = evaluate(policy, images, NOW)
    by_digest = {img.digest: img for img in images}
    assert len({d.digest for d in decisions}) == len(decisions)
    keys = [(d.rule_priority is None, d.rule_priority or 0) for d in decisions]
    assert keys == sorted(keys)
    for d in decisions:
        img = by_digest[d.digest]
        assert not img.listed_by_index
        assert d.target_storage_class == ("archive" if d.action == "transition" else None)
        if d.action == "transition":
            assert img.storage_class == "ACTIVE"
        elif img.storage_class == "ARCHIVE":
            assert img.last_archived_at is not None
            assert NOW - img.last_archived_at >= 90 * DAY
        assert d.reason
        if d.rule_priority is not None:
            assert d.reason.startswith(f"rule {d.rule_priority}: ")
