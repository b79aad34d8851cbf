r"""botocore's parameter patterns are Java regular expressions, matched against the whole
value. Java's \w \d \s \b are ASCII unless asked otherwise, hence re.ASCII. What
Python's re lacks or reads differently is rewritten token by token; what cannot be
rewritten (Unicode properties, class intersections) raises, so a model update cannot
slip one past."""

from __future__ import annotations

import functools
import re

_JAVA_TOKEN = re.compile(
    r"\\Q.*?(?:\\E|\Z)"                                   # quoted literal
    r"|\\[pP](?:\{\w+\}|[A-Za-z])"                        # character property
    r"|\\x\{[0-9a-fA-F]+\}"                               # code point
    r"|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"  # surrogate pair
    r"|\\.|\[\^?\]?|.",
    re.DOTALL,
)
_POSIX = {
    "Lower": "a-z", "Upper": "A-Z", "ASCII": r"\x00-\x7f", "Alpha": "a-zA-Z",
    "Digit": "0-9", "Alnum": "a-zA-Z0-9", "Punct": r"!-/:-@\[-`{-~", "Graph": "!-~",
    "Print": " -~", "Blank": r" \t", "Cntrl": r"\x00-\x1f\x7f", "XDigit": "0-9a-fA-F",
    "Space": r" \t\n\x0b\f\r",
}
_CLASS_ESCAPES = frozenset({r"\w", r"\W", r"\d", r"\D", r"\s", r"\S"})


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A model pattern as a Python regex; use ``fullmatch``. Raises ValueError."""
    try:
        return re.compile(_python_regex(pattern), re.ASCII)
    except re.error as error:
        raise _untranslatable(pattern, str(error)) from error


def _python_regex(pattern: str) -> str:
    tokens = _JAVA_TOKEN.findall(pattern)
    out: list[str] = []
    in_class = False
    for index, token in enumerate(tokens):
        if in_class:
            after = tokens[index + 1] if index + 1 < len(tokens) else ""
            out.append(_class_token(token, tokens[index - 1], after, pattern))
            in_class = token != "]"
        else:
            out.append(_plain_token(token, pattern))
            in_class = token.startswith("[")
    return "".join(out)


def _plain_token(token: str, pattern: str) -> str:
    if token == r"\z":                       # end of input
        return r"\Z"
    if token == r"\Z":                       # end of input, before a final newline
        return r"(?=\n?\Z)"
    if token.startswith((r"\p", r"\P")):
        body = _property(token, pattern)
        return f"[^{body}]" if token[1] == "P" else f"[{body}]"
    return _literal_token(token)


def _class_token(token: str, before: str, after: str, pattern: str) -> str:
    if token == "[" or (token == "&" and after == "&"):
        raise _untranslatable(pattern, "class union or intersection")
    if token.startswith(r"\p"):
        return _property(token, pattern)
    if token.startswith(r"\P"):
        raise _untranslatable(pattern, f"{token} inside a class")
    if token == "-" and after != "]" and (before in _CLASS_ESCAPES or before[:2] == r"\p"):
        return r"\-"                         # Java: a '-' after \w is a literal
    return _literal_token(token)


def _literal_token(token: str) -> str:
    if token.startswith(r"\Q"):
        return re.escape(token[2:].removesuffix(r"\E"))
    if token.startswith(r"\x{"):
        return f"\\U{int(token[3:-1], 16):08x}"
    if token.startswith(r"\u") and len(token) == 12:
        high, low = int(token[2:6], 16), int(token[8:12], 16)
        return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}"
    return token


def _property(token: str, pattern: str) -> str:
    name = token[3:-1] if token[2:3] == "{" else token[2:]
    body = _POSIX.get(name.removeprefix("Is"))
    if body is None:
        raise _untranslatable(pattern, f"{token} is not a POSIX class")
    return body


def _untranslatable(pattern: str, reason: str) -> ValueError:
    return ValueError(f"cannot translate Java regex {pattern!r}: {reason}")
