"""Wildcards and policy variables as IAM reads them in Action, Resource and condition values.

`*` matches any run of characters and `?` exactly one. How far they reach depends on
where the pattern stands:

    GLOB      Action, StringLike     `*` and `?` match anything, `/` and `:` included
    RESOURCE  Resource, NotResource  within one colon-separated ARN segment; a `*` that ends
                                     a segment may run past colons, and from the sixth
                                     segment (the resource part) on nothing stops them
    ARN       ArnEquals, ArnLike...  each of the six ARN segments matched on its own; only
                                     the resource part lets wildcards cross colons

With policy variables on (policy Version 2012-10-17), `substitute` replaces `${key}` by the
request context's single value for key (`${key, 'fallback'}` gives a fallback), and `${*}`,
`${?}`, `${$}` stand for the literal characters. A substituted value is always literal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Literal

Mode = Literal["glob", "resource", "arn"]
Lookup = Callable[[str], str | None]

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_WITH_DEFAULT = re.compile(r"\s*([^,\s]+)\s*(?:,\s*'([^']*)'\s*)?")
_ESCAPED = {"*": "${*}", "?": "${?}", "$": "${$}"}
_ARN_PREFIX_COLONS = 5          # arn:partition:service:region:account:resource


def has_variables(pattern: str) -> bool:
    return "${" in pattern


def substitute(pattern: str, lookup: Lookup, *, literal: bool = False) -> str | None:
    """The pattern with every `${key}` replaced by `lookup(key)` (or its quoted fallback).

    Returns None when a variable has neither a value nor a fallback: IAM then treats the
    pattern as matching nothing. By default the result is still a pattern (substituted
    characters escaped, `${*}` kept); with `literal` it is plain text for exact comparison.
    """
    out: list[str] = []
    position = 0
    for match in _VARIABLE.finditer(pattern):
        out.append(pattern[position:match.start()])
        position = match.end()
        body = match.group(1).strip()
        if body in _ESCAPED:
            out.append(body if literal else match.group(0))
            continue
        value = _resolve(body, lookup)
        if value is None:
            return None
        out.append(value if literal else "".join(_ESCAPED.get(ch, ch) for ch in value))
    out.append(pattern[position:])
    return "".join(out)


def _resolve(body: str, lookup: Lookup) -> str | None:
    parsed = _WITH_DEFAULT.fullmatch(body)
    if parsed is None:
        return None
    value = lookup(parsed.group(1))
    return value if value is not None else parsed.group(2)


def matches(pattern: str, value: str, *, mode: Mode = "glob", variables: bool = False,
            ignore_case: bool = False) -> bool:
    """Whether value matches an already substituted pattern.

    With variables on, `${*}`, `${?}` and `${$}` in the pattern are literal characters.
    """
    return compile_pattern(pattern, mode, variables, ignore_case).fullmatch(value) is not None


@lru_cache(maxsize=8192)
def compile_pattern(pattern: str, mode: Mode, variables: bool,
                    ignore_case: bool) -> re.Pattern[str]:
    if mode != "glob" and pattern == "*":
        return re.compile(".*", re.DOTALL)
    tokens = _tokens(pattern, variables)
    source = "".join(_translate(tokens, index, mode) for index in range(len(tokens)))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(source, flags)


# A token is (is_wildcard, character).
_Token = tuple[bool, str]


def _tokens(pattern: str, variables: bool) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(pattern):
        chunk = pattern[index:index + 4]
        if variables and chunk in ("${*}", "${?}", "${$}"):
            tokens.append((False, chunk[2]))
            index += 4
            continue
        ch = pattern[index]
        tokens.append((ch in "*?", ch))
        index += 1
    return tokens


def _translate(tokens: list[_Token], index: int, mode: Mode) -> str:
    wildcard, ch = tokens[index]
    if not wildcard:
        return re.escape(ch)
    if mode == "glob" or _colons_before(tokens, index) >= _ARN_PREFIX_COLONS:
        return ".*" if ch == "*" else "."
    if ch == "?":
        return "[^:]"
    if mode == "resource" and _ends_segment(tokens, index):
        return ".*"
    return "[^:]*"


def _colons_before(tokens: list[_Token], index: int) -> int:
    return sum(1 for wildcard, ch in tokens[:index] if not wildcard and ch == ":")


def _ends_segment(tokens: list[_Token], index: int) -> bool:
    return index + 1 == len(tokens) or tokens[index + 1] == (False, ":")
