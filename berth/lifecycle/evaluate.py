"""Which images a lifecycle policy expires or archives now, and why.

Pure: the images and the time come in as arguments, decisions go out; the lifecycle
preview and the worker that applies a policy run the same function. How it follows
ECR's evaluation rules (``docs/lifecycle.md`` gives each one's source):

1. The images are sorted once, newest first, by push time (or restore time for an
   image restored from archive); ties go to the smaller digest as the newer.
2. Every rule sees the images its selection takes, in that order, all rules at once.
   The rule with the lowest priority number that selects an image *owns* it: no other
   rule may act on it, yet every rule that selects it still counts it.
3. A rule's candidates are the images beyond its count (``imageCountMoreThan``) or
   older than its limit (the ``since*`` count types); the owner acts on its own.
4. Never acted on: an image a still existing manifest list references; an archived
   image in archive for less than 90 days (by expiry).
5. Referrers (images with a subject) are left out of rules: they are expired when
   their subject is expired or gone, archived when their subject is archived.

Cost: one sort, then O(rules * images) selection checks; no quadratic step.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from berth.lifecycle.matching import Selector, describe_selection
from berth.lifecycle.policy import MIN_ARCHIVE_DAYS, ActionType, LifecyclePolicy, Rule

DAY = 86_400.0

ImageStorageClass = Literal["ACTIVE", "ARCHIVE"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageFacts:
    """What the evaluator needs to know of one image; times are epoch seconds.

    ``listed_by_index``: a manifest list that still exists references this image.
    ``subject_digest``: the image is a referrer (a signature, an SBOM) of that image.
    Digests are unique within one call.
    """

    digest: str
    tags: tuple[str, ...] = ()
    pushed_at: float
    last_pulled_at: float | None = None
    storage_class: ImageStorageClass = "ACTIVE"
    last_archived_at: float | None = None
    last_activated_at: float | None = None
    listed_by_index: bool = False
    subject_digest: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """One image to act on. ``rule_priority`` is None for a referrer whose subject was
    deleted or archived outside this evaluation (no rule applies then)."""

    digest: str
    rule_priority: int | None
    action: ActionType
    target_storage_class: Literal["archive"] | None
    reason: str


def evaluate(policy: LifecyclePolicy, images: Iterable[ImageFacts], now: float) -> list[Decision]:
    """The decisions of ``policy`` on ``images`` at time ``now``.

    At most one decision per image; ordered by rule priority (referrer decisions
    without a rule last), then oldest image first.
    """
    ordered = sorted(images, key=_newest_first)
    rules = sorted(policy.rules, key=lambda rule: rule.priority)
    subjects = [image for image in ordered if image.subject_digest is None]
    selections = [(rule, _selected(rule, subjects)) for rule in rules]
    owner: dict[str, int] = {}
    for rule, selected in selections:
        for image in selected:
            owner.setdefault(image.digest, rule.priority)
    decided: dict[str, Decision] = {}
    for rule, selected in selections:
        for image, why in _candidates(rule, selected, now):
            if owner[image.digest] == rule.priority and _may_act(rule.action, image, now):
                decided[image.digest] = Decision(image.digest, rule.priority, rule.action,
                                                 rule.target_storage_class,
                                                 f"rule {rule.priority}: {why}")
    _follow_subjects(ordered, decided, now)
    rank = {image.digest: index for index, image in enumerate(ordered)}
    return sorted(decided.values(), key=lambda d: (d.rule_priority is None,
                                                   d.rule_priority or 0, -rank[d.digest]))


def pushed_or_restored_at(image: ImageFacts) -> float:
    """The time that stands for the push: ``last_activated_at`` once the image has been
    restored from archive, else ``pushed_at``."""
    return image.pushed_at if image.last_activated_at is None else image.last_activated_at


def _newest_first(image: ImageFacts) -> tuple[float, str]:
    return -pushed_or_restored_at(image), image.digest


def _selected(rule: Rule, images: list[ImageFacts]) -> list[ImageFacts]:
    selects = Selector(rule).selects
    return [image for image in images if selects(image.storage_class, image.tags)]


def _may_act(action: ActionType, image: ImageFacts, now: float) -> bool:
    if image.listed_by_index:
        return False
    if action == "transition":
        return image.storage_class == "ACTIVE"
    if image.storage_class == "ARCHIVE":
        archived = image.last_archived_at
        return archived is not None and now - archived >= MIN_ARCHIVE_DAYS * DAY
    return True


# --- candidates -------------------------------------------------------------------------

def _candidates(rule: Rule, selected: list[ImageFacts],
                now: float) -> Iterator[tuple[ImageFacts, str]]:
    """The images ``rule`` would act on, ignoring ownership and protections."""
    words = describe_selection(rule)
    keep = rule.count_number
    if rule.count_type == "imageCountMoreThan":
        for position in range(keep, len(selected)):
            yield selected[position], (f"{_ordinal(position + 1)} newest of {len(selected)} "
                                       f"{words}; keeps {keep}")
        return
    limit = keep * DAY
    for image in selected:
        since, what = _reference_time(rule, image)
        if since is not None and now - since > limit:
            yield image, f"{words}; {what} {(now - since) / DAY:.2f} days ago, more than {keep}"


def _reference_time(rule: Rule, image: ImageFacts) -> tuple[float | None, str]:
    """The time an age rule measures from, and what it is in words."""
    if rule.count_type == "sinceImageTransitioned":
        return image.last_archived_at, "archived"
    restored = image.last_activated_at
    if rule.count_type == "sinceImagePushed":
        return (image.pushed_at, "pushed") if restored is None else (restored, "restored")
    pulled = image.last_pulled_at
    if restored is not None and (pulled is None or pulled < restored):
        return restored, "not pulled since it was restored"
    if pulled is not None:
        return pulled, "last pulled"
    return image.pushed_at, "never pulled, pushed"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# --- referrers --------------------------------------------------------------------------

def _follow_subjects(images: list[ImageFacts], decided: dict[str, Decision],
                     now: float) -> None:
    """Add the decisions of referrers, each after its subject's (chains included)."""
    by_digest = {image.digest: image for image in images}
    resolved: set[str] = set()
    for image in images:
        chain: list[ImageFacts] = []
        on_chain: set[str] = set()
        current: ImageFacts | None = image
        while (current is not None and current.subject_digest is not None
               and current.digest not in resolved and current.digest not in on_chain):
            chain.append(current)
            on_chain.add(current.digest)
            current = by_digest.get(current.subject_digest)
        for referrer in reversed(chain):
            resolved.add(referrer.digest)
            decision = _referrer_decision(referrer, by_digest, decided, now)
            if decision is not None:
                decided[referrer.digest] = decision


def _referrer_decision(referrer: ImageFacts, by_digest: dict[str, ImageFacts],
                       decided: dict[str, Decision], now: float) -> Decision | None:
    subject_digest = referrer.subject_digest or ""
    subject = by_digest.get(subject_digest)
    followed = decided.get(subject_digest)
    priority: int | None = None
    action: ActionType
    if subject is None:
        action, state = "expire", "no longer exists"
    elif followed is not None:
        action, priority = followed.action, followed.rule_priority
        state = "is expired" if action == "expire" else "is archived"
    elif subject.storage_class == "ARCHIVE":
        action, state = "transition", "is archived"
    else:
        return None
    if not _may_act(action, referrer, now):
        return None
    lead = f"rule {priority}: " if priority is not None else ""
    return Decision(referrer.digest, priority, action,
                    "archive" if action == "transition" else None,
                    f"{lead}follows its subject {subject_digest[:19]}…, which {state}")
