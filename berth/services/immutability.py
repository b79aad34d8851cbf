"""Tag immutability, ECR's four modes: which tags of a repository may not move."""

from __future__ import annotations

from berth.lifecycle.matching import wildcard_match
from berth.storage.meta import RepositorySettings

MODES = ("MUTABLE", "IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION")


def tag_is_immutable(settings: RepositorySettings, tag: str) -> bool:
    mode = settings.image_tag_mutability
    if mode == "MUTABLE":
        return False
    if mode == "IMMUTABLE":
        return True
    excluded = any(wildcard_match(tag, f) for f in settings.tag_mutability_filters)
    return not excluded if mode == "IMMUTABLE_WITH_EXCLUSION" else excluded

