"""Tag immutability, ECR's four modes: which tags of a repository may not move."""

from __future__ import annotations

import re
from functools import lru_cache

from berth.storage.meta import RepositorySettings

MODES = ("MUTABLE", "IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION")


@lru_cache(maxsize=1024)
def _wildcard(pattern: str) -> re.Pattern[str]:
    # Only '*' is special in ECR's WILDCARD filters.
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")) + r"\Z")


def matches_filter(tag: str, pattern: str) -> bool:
    return _wildcard(pattern).match(tag) is not None


def tag_is_immutable(settings: RepositorySettings, tag: str) -> bool:
    mode = settings.image_tag_mutability
    if mode == "MUTABLE":
        return False
    if mode == "IMMUTABLE":
        return True
    excluded = any(matches_filter(tag, f) for f in settings.tag_mutability_filters)
    return not excluded if mode == "IMMUTABLE_WITH_EXCLUSION" else excluded

