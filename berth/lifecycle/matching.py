"""Which images a rule's selection takes, and how to say so in words.

A rule sees the images of its storage class (``standard`` rules see ACTIVE images,
``archive`` rules see ARCHIVE ones) whose tags meet its tag status. A tagged rule's
list is a conjunction: every entry of ``tagPrefixList``/``tagPatternList`` must match
at least one of the image's tags (AWS, "Lifecycle policy evaluation rules").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from berth.lifecycle.policy import Rule


@lru_cache(maxsize=4096)
def _wildcard(pattern: str) -> Callable[[str], re.Match[str] | None]:
    # Only '*' is special: it stands for any run of characters, the empty one included.
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")) + r"\Z",
                      re.DOTALL).match


def wildcard_match(value: str, pattern: str) -> bool:
    """ECR's WILDCARD patterns, everywhere it has them (lifecycle tag patterns, tag
    immutability exclusions, scanning repository filters): only ``*`` is special."""
    return _wildcard(pattern)(value) is not None


class Selector:
    """One rule's selection, compiled once per evaluation."""

    __slots__ = ("_matchers", "_prefixes", "storage_class", "tag_status")

    def __init__(self, rule: Rule) -> None:
        self.storage_class = "ARCHIVE" if rule.storage_class == "archive" else "ACTIVE"
        self.tag_status = rule.tag_status
        self._prefixes = rule.tag_prefixes
        self._matchers = tuple(_wildcard(pattern) for pattern in rule.tag_patterns)

    def selects(self, storage_class: str, tags: tuple[str, ...]) -> bool:
        if storage_class != self.storage_class:
            return False
        if self.tag_status == "any":
            return True
        if self.tag_status == "untagged":
            return not tags
        if self._prefixes:
            return all(any(tag.startswith(prefix) for tag in tags) for prefix in self._prefixes)
        return all(any(match(tag) for tag in tags) for match in self._matchers)


def describe_selection(rule: Rule) -> str:
    """The images a rule selects, in words: "images tagged with prefix 'v'"."""
    archived = "archived " if rule.storage_class == "archive" else ""
    if rule.tag_status == "any":
        return f"{archived}images" if archived else "images of any tag status"
    if rule.tag_status == "untagged":
        return f"untagged {archived}images"
    if rule.tag_prefixes:
        noun = "prefix" if len(rule.tag_prefixes) == 1 else "prefixes"
        return f"{archived}images tagged with {noun} {_all_of(rule.tag_prefixes)}"
    noun = "a tag" if len(rule.tag_patterns) == 1 else "tags"
    return f"{archived}images with {noun} matching {_all_of(rule.tag_patterns)}"


def _all_of(values: tuple[str, ...]) -> str:
    quoted = [f"'{value}'" for value in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
