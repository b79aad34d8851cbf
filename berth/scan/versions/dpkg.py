"""Debian package versions, ordered as ``dpkg --compare-versions`` orders them.

``[epoch:]upstream[-revision]`` (deb-version(7)): the epoch is a number (default 0), the
revision is whatever follows the *last* hyphen (default "", which equals "0"). Upstream
and revision compare alike: alternating runs of non-digits and digits, non-digit runs
character by character with ``~`` before the end of the run, the end before letters,
letters before every other character; digit runs as numbers.

Syntax is checked as strictly as dpkg does: what dpkg calls bad syntax, even where it
only warns, is ``UnparsableVersion`` here.
"""

from __future__ import annotations

import re

from berth.scan.versions.base import UnparsableVersion

_INT_MAX = 2**31 - 1
_UPSTREAM = re.compile(r"[0-9][A-Za-z0-9.+~:-]*")
_REVISION = re.compile(r"[A-Za-z0-9.+~]+")
_RUNS = re.compile(r"([^0-9]*)([0-9]*)")

# A run of this shape stands for "nothing left": dpkg pads the shorter string with it.
_PAD: tuple[tuple[int, ...], int] = ((0,), 0)

Part = tuple[tuple[tuple[int, ...], int], ...]
DpkgKey = tuple[int, Part, Part]


def _weight(char: str) -> int:
    if char == "~":
        return -1
    if char.isascii() and char.isalpha():
        return ord(char)
    return ord(char) + 256


def part_key(text: str) -> Part:
    """Sort key of an upstream version or revision.

    Each (non-digit run, digit run) pair becomes (weights + (0,), number): the 0 stands
    for the end of the run, so ``~`` (-1) sorts before it and letters after it. Only the
    first pair can equal the padding pair, so padding to one pair and appending one pad
    makes tuple order equal dpkg's pad-with-nothing order.
    """
    pairs = [
        ((*(_weight(c) for c in letters), 0), int(digits or "0"))
        for letters, digits in _RUNS.findall(text)
        if letters or digits
    ]
    return (*(pairs or [_PAD]), _PAD)


def _split_epoch(version: str) -> tuple[int, str]:
    head, colon, rest = version.partition(":")
    if not colon:
        return 0, version
    if not head:
        raise UnparsableVersion("dpkg", version, "epoch is empty")
    if not (head.isascii() and head.isdigit()):
        raise UnparsableVersion("dpkg", version, "epoch is not a number")
    if int(head) > _INT_MAX:
        raise UnparsableVersion("dpkg", version, "epoch is too big")
    if not rest:
        raise UnparsableVersion("dpkg", version, "nothing after the colon")
    return int(head), rest


def parse(version: str) -> DpkgKey:
    """Sort key of a Debian version; raises ``UnparsableVersion`` for bad syntax."""
    text = version.strip()
    if not text:
        raise UnparsableVersion("dpkg", version, "empty")
    if any(c.isspace() for c in text):
        raise UnparsableVersion("dpkg", version, "embedded spaces")
    epoch, rest = _split_epoch(text)
    upstream, hyphen, revision = rest.rpartition("-")
    if not hyphen:
        upstream, revision = rest, ""
    elif not revision:
        raise UnparsableVersion("dpkg", version, "revision is empty")
    if not upstream:
        raise UnparsableVersion("dpkg", version, "upstream version is empty")
    if not _UPSTREAM.fullmatch(upstream):
        raise UnparsableVersion("dpkg", version, "upstream must start with a digit and "
                                "hold only alphanumerics and . + ~ - :")
    if revision and not _REVISION.fullmatch(revision):
        raise UnparsableVersion("dpkg", version, "bad character in revision")
    return epoch, part_key(upstream), part_key(revision)
