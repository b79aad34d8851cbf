"""SemVer 2.0 (npm, crates.io) and Go module versions.

``MAJOR.MINOR.PATCH[-pre][+build]`` exactly as semver.org writes it — no coercion: ``1.0``,
``1.0.0.0``, ``v1.0.0`` and ``01.0.0`` are ``UnparsableVersion``. Pre-release versions sort
before the release; their dot-separated identifiers compare numerically when numeric,
as ASCII otherwise, numeric before alphanumeric, more identifiers after fewer. Build
metadata is ignored.

Go (golang.org/x/mod/semver): the same order with a leading ``v``, which OSV leaves out,
so both forms are accepted; ``vMAJOR`` and ``vMAJOR.MINOR`` stand for ``.0`` (Go accepts
them, only with the ``v`` and without pre-release or build). ``+incompatible`` is build
metadata; pseudo-versions (``v0.0.0-20210101000000-abcdef123456``) are pre-releases.
"""

from __future__ import annotations

import re

from berth.scan.versions.base import UnparsableVersion

_NUM = r"(?:0|[1-9][0-9]*)"
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    rf"(?P<major>{_NUM})\.(?P<minor>{_NUM})\.(?P<patch>{_NUM})"
    rf"(?:-(?P<pre>{_PRE_ID}(?:\.{_PRE_ID})*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
_GO_SHORT = re.compile(rf"v(?P<major>{_NUM})(?:\.(?P<minor>{_NUM}))?")

Identifier = tuple[int, int | str]
SemverKey = tuple[int, int, int, tuple[int, *tuple[Identifier, ...]]]

_RELEASE = (1,)


def _pre_key(pre: str | None) -> tuple[int, *tuple[Identifier, ...]]:
    if pre is None:
        return _RELEASE
    ids: list[Identifier] = [(0, int(i)) if i.isdigit() else (1, i) for i in pre.split(".")]
    return (0, *ids)


def parse(version: str) -> SemverKey:
    """Sort key of a strict SemVer 2.0 version; ``UnparsableVersion`` otherwise."""
    m = _SEMVER.fullmatch(version)
    if m is None:
        raise UnparsableVersion("semver", version, "not MAJOR.MINOR.PATCH[-pre][+build]")
    return int(m["major"]), int(m["minor"]), int(m["patch"]), _pre_key(m["pre"])


def parse_go(version: str) -> SemverKey:
    """Sort key of a Go module version, with or without its leading ``v``."""
    short = _GO_SHORT.fullmatch(version)
    if short is not None:
        return int(short["major"]), int(short["minor"] or 0), 0, _RELEASE
    m = _SEMVER.fullmatch(version[1:] if version.startswith("v") else version)
    if m is None:
        raise UnparsableVersion("go", version, "not [v]MAJOR.MINOR.PATCH[-pre][+build]")
    return int(m["major"]), int(m["minor"]), int(m["patch"]), _pre_key(m["pre"])
