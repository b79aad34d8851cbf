"""Builders for lifecycle tests: policy documents, texts and images at a fixed now."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from berth.lifecycle import ImageFacts, LifecyclePolicy, parse_policy

DAY = 86_400
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def rule(priority: Any, tag_status: str = "any", *, prefixes: list[Any] | None = None,
         patterns: list[Any] | None = None, count_type: str = "imageCountMoreThan",
         count_number: Any = 1, action: str = "expire",
         storage_class: str | None = None) -> dict[str, Any]:
    """One rule document; the age count types get their countUnit, transition its target."""
    selection: dict[str, Any] = {"tagStatus": tag_status, "countType": count_type,
                                 "countNumber": count_number}
    if prefixes is not None:
        selection["tagPrefixList"] = prefixes
    if patterns is not None:
        selection["tagPatternList"] = patterns
    if count_type != "imageCountMoreThan":
        selection["countUnit"] = "days"
    if storage_class is not None:
        selection["storageClass"] = storage_class
    act: dict[str, Any] = {"type": action}
    if action == "transition":
        act["targetStorageClass"] = "archive"
    return {"rulePriority": priority, "selection": selection, "action": act}


def archive_expiry(priority: int, tag_status: str = "any", days: int = 90,
                   **tags: Any) -> dict[str, Any]:
    return rule(priority, tag_status, count_type="sinceImageTransitioned", count_number=days,
                storage_class="archive", **tags)


def text(*rules: Any, **top: Any) -> str:
    # Indented, so that even a one-rule policy passes the 100-character minimum.
    return json.dumps({"rules": list(rules), **top}, indent=2)


def policy(*rules: dict[str, Any]) -> LifecyclePolicy:
    return parse_policy(text(*rules))


def digest_of(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def image(name: str, *tags: str, age: float = 0.0, pulled: float | None = None,
          archived: float | None = None, restored: float | None = None,
          listed: bool = False, subject: str | None = None) -> ImageFacts:
    """An image named ``name`` (its digest is derived from it); ages are in days before NOW.

    ``archived`` makes it an ARCHIVE image archived that many days ago.
    """
    return ImageFacts(
        digest=digest_of(name), tags=tags, pushed_at=NOW - age * DAY,
        last_pulled_at=None if pulled is None else NOW - pulled * DAY,
        storage_class="ACTIVE" if archived is None else "ARCHIVE",
        last_archived_at=None if archived is None else NOW - archived * DAY,
        last_activated_at=None if restored is None else NOW - restored * DAY,
        listed_by_index=listed,
        subject_digest=None if subject is None else digest_of(subject))
