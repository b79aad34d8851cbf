"""Alpine package versions (apk: Alpine, Wolfi, Chainguard), ordered as apk-tools orders
valid versions. Written from the rule description, not from apk-tools' code.

Grammar: ``number{.number}...{letter}{_suffix{number}}...{-r number}``, where a letter
may be followed by more numbers (``6.6.2p1``). Versions are walked token by token; at the
first token where two versions differ:

* tokens of the same kind compare by value: numbers numerically, letters alphabetically,
  suffixes ``alpha < beta < pre < rc < cvs < svn < git < hg < p``;
* a number after a dot that starts with ``0`` is a decimal fraction: it compares with any
  other dotted number as a string of digits, so ``1.01 < 1.1`` and ``1.001 < 1.01``;
* otherwise the version that continues with a pre-release suffix (``_alpha`` ... ``_rc``)
  is older; then the one that goes on longer is newer, with the kinds ranked
  ``end < -r < suffix number < post-release suffix < letter < number`` — so
  ``1.0 < 1.0-r0 < 1.0_p1 < 1.0a < 1.0.1`` and ``1.0_rc1 < 1.0``.

A bare post-release suffix (``1.0_p``, no number) ranks here like one with a number,
above the end of the string; apk-tools' handling of that rare form may differ. Versions
apk only accepts "fuzzily" (no leading digit, ``1.0bc``, ``1-r``, ``1..2``, upper case)
are ``UnparsableVersion``. A ``~hash`` component (newer apk-tools) is not accepted yet.
"""

from __future__ import annotations

import re

from berth.scan.versions.base import UnparsableVersion

_GRAMMAR = re.compile(
    r"[0-9]+(?:\.[0-9]+)*(?:[a-z][0-9]+(?:\.[0-9]+)*)*[a-z]?"
    r"(?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*(?:-r[0-9]+)?"
)
_TOKENS = re.compile(
    r"(?P<dot>\.[0-9]+)|(?P<num>[0-9]+)|(?P<letter>[a-z])"
    r"|_(?P<suffix>alpha|beta|pre|rc|cvs|svn|git|hg|p)(?P<suffix_no>[0-9]*)"
    r"|-r(?P<rev>[0-9]+)"
)
_SUFFIX_VALUE = {"alpha": -4, "beta": -3, "pre": -2, "rc": -1,
                 "cvs": 1, "svn": 2, "git": 3, "hg": 4, "p": 5}

# Ranks of token kinds when two versions differ in kind: higher rank = newer.
_PRE_SUFFIX, _END, _REV, _SUFFIX_NO, _POST_SUFFIX, _LETTER, _NUMBER = range(7)

Token = tuple[int, int | tuple[int, int | str]]


def _dotted(digits: str) -> tuple[int, int | str]:
    """A number after a dot: fractions (leading 0) sort as digit strings, below the rest."""
    return (0, digits) if digits.startswith("0") else (1, int(digits))


def _tokens(version: str) -> list[Token]:
    out: list[Token] = []
    for m in _TOKENS.finditer(version):
        kind = m.lastgroup
        if kind == "dot":
            out.append((_NUMBER, _dotted(m["dot"][1:])))
        elif kind == "num":
            out.append((_NUMBER, (1, int(m["num"]))))
        elif kind == "letter":
            out.append((_LETTER, ord(m["letter"])))
        elif kind == "rev":
            out.append((_REV, int(m["rev"])))
        else:
            value = _SUFFIX_VALUE[m["suffix"]]
            out.append((_PRE_SUFFIX if value < 0 else _POST_SUFFIX, value))
            if m["suffix_no"]:
                out.append((_SUFFIX_NO, int(m["suffix_no"])))
    return out


def parse(version: str) -> tuple[Token, ...]:
    """Sort key of an apk version; raises ``UnparsableVersion`` outside the grammar."""
    if not _GRAMMAR.fullmatch(version):
        raise UnparsableVersion("apk", version, "not number{.number}{letter}{_suffix{n}}{-rN}")
    return (*_tokens(version), (_END, 0))
