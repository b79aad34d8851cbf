"""A deliberately naive lifecycle evaluator, written from the AWS text, not from evaluate.py.

Plain loops over every image for every rule, a list sort per count rule, a recursive
wildcard matcher, referrers handled by depth. Slow on purpose; the property tests
compare berth.lifecycle.evaluate against it.
"""

from __future__ import annotations

from berth.lifecycle import ImageFacts, LifecyclePolicy, Rule

DAY = 86_400
ARCHIVE_MINIMUM = 90 * DAY

Outcome = tuple[int | None, str, str | None]  # rule priority, action, target storage class


def naive_evaluate(policy: LifecyclePolicy, images: list[ImageFacts],
                   now: float) -> dict[str, Outcome]:
    marked = apply_rules(policy, images, now)
    follow_subjects(marked, images, now)
    return marked


def apply_rules(policy: LifecyclePolicy, images: list[ImageFacts],
                now: float) -> dict[str, Outcome]:
    marked: dict[str, Outcome] = {}
    seen_by_a_higher_rule: set[str] = set()
    for rule in sorted(policy.rules, key=lambda r: r.priority):
        selected = []
        for img in images:
            if img.subject_digest is None and rule_selects(rule, img):
                selected.append(img)
        if rule.count_type == "imageCountMoreThan":
            youngest_first = sorted(selected, key=lambda img: (-push_time(img), img.digest))
            to_act_on = youngest_first[rule.count_number:]
        else:
            to_act_on = [img for img in selected if older_than_limit(rule, img, now)]
        for img in to_act_on:
            if img.digest in seen_by_a_higher_rule:
                continue
            if allowed(rule.action, img, now):
                marked[img.digest] = (rule.priority, rule.action, rule.target_storage_class)
        for img in selected:
            seen_by_a_higher_rule.add(img.digest)
    return marked


def follow_subjects(marked: dict[str, Outcome], images: list[ImageFacts], now: float) -> None:
    # Shallowest referrers first, so that a subject's fate is known before its referrers'.
    for ref in sorted((img for img in images if img.subject_digest is not None),
                      key=lambda img: depth(img, images)):
        subject = find(images, ref.subject_digest)
        if subject is None:
            outcome: Outcome = (None, "expire", None)
        elif subject.digest in marked:
            outcome = marked[subject.digest]
        elif subject.storage_class == "ARCHIVE":
            outcome = (None, "transition", "archive")
        else:
            continue
        if allowed(outcome[1], ref, now):
            marked[ref.digest] = outcome


def find(images: list[ImageFacts], digest: str | None) -> ImageFacts | None:
    for img in images:
        if img.digest == digest:
            return img
    return None


def depth(img: ImageFacts, images: list[ImageFacts]) -> int:
    hops = 0
    current: ImageFacts | None = img
    while current is not None and current.subject_digest is not None:
        hops += 1
        current = find(images, current.subject_digest)
    return hops


def rule_selects(rule: Rule, img: ImageFacts) -> bool:
    wanted = "ARCHIVE" if rule.storage_class == "archive" else "ACTIVE"
    if img.storage_class != wanted:
        return False
    if rule.tag_status == "any":
        return True
    if rule.tag_status == "untagged":
        return len(img.tags) == 0
    if len(img.tags) == 0:
        return False
    prefixes_match = all(any(tag[:len(prefix)] == prefix for tag in img.tags)
                         for prefix in rule.tag_prefixes)
    patterns_match = all(any(wildcard(pattern, tag) for tag in img.tags)
                         for pattern in rule.tag_patterns)
    return prefixes_match and patterns_match


def wildcard(pattern: str, text: str) -> bool:
    if pattern == "":
        return text == ""
    if pattern[0] == "*":
        return any(wildcard(pattern[1:], text[i:]) for i in range(len(text) + 1))
    return text != "" and text[0] == pattern[0] and wildcard(pattern[1:], text[1:])


def push_time(img: ImageFacts) -> float:
    if img.last_activated_at is not None:
        return img.last_activated_at
    return img.pushed_at


def older_than_limit(rule: Rule, img: ImageFacts, now: float) -> bool:
    if rule.count_type == "sinceImagePushed":
        since: float | None = push_time(img)
    elif rule.count_type == "sinceImagePulled":
        restored, pulled = img.last_activated_at, img.last_pulled_at
        if restored is not None and (pulled is None or pulled < restored):
            since = restored
        elif pulled is not None:
            since = pulled
        else:
            since = img.pushed_at
    else:
        since = img.last_archived_at
    if since is None:
        return False
    return now - since > rule.count_number * DAY


def allowed(action: str, img: ImageFacts, now: float) -> bool:
    if img.listed_by_index:
        return False
    if img.storage_class == "ARCHIVE":
        if action == "transition":
            return False
        if img.last_archived_at is None or now - img.last_archived_at < ARCHIVE_MINIMUM:
            return False
    return True
