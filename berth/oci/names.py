"""Repository names and tags, by the distribution spec's grammar and ECR's limits."""

from __future__ import annotations

import re

# distribution-spec: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_NAME_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG_RE = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")

MAX_NAME_LENGTH = 256  # ECR's limit; the spec leaves it to the registry
RESERVED_FIRST = frozenset({"_catalog"})


def valid_repository_name(name: str) -> bool:
    """True for a name both the spec's grammar and ECR's 2-256 character limit accept.

    The grammar admits no '.', '..' or empty path component on its own, so a valid
    name can never walk outside a directory.
    """
    return 2 <= len(name) <= MAX_NAME_LENGTH and _NAME_RE.match(name) is not None


def valid_tag(tag: str) -> bool:
    return _TAG_RE.match(tag) is not None


def split_reference(image: str) -> tuple[str, str]:
    """``NAME:TAG`` or ``NAME@DIGEST`` as (name, tag or digest); ``latest`` when only a
    name is given. A ``:`` before the last ``/`` belongs to a host's port, not a tag."""
    if "@" in image:
        name, digest = image.split("@", 1)
        return name, digest
    name, colon, tag = image.rpartition(":")
    if not colon or "/" in tag:
        return image, "latest"
    return name, tag
