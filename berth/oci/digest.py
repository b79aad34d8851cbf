"""Content digests (``algorithm:hex``) as the OCI image spec defines them.

Only sha256 and sha512 are registered; any other algorithm is refused as
DIGEST_INVALID by callers, which is what the distribution spec asks for.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol

_HEX_LENGTH = {"sha256": 64, "sha512": 128}
_DIGEST_RE = re.compile(r"^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$")

ALGORITHMS = frozenset(_HEX_LENGTH)
DEFAULT_ALGORITHM = "sha256"


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def hexdigest(self) -> str: ...


class DigestError(ValueError):
    """The text is not a digest of a registered algorithm."""


@dataclass(frozen=True, slots=True)
class Digest:
    algorithm: str
    hex: str

    @classmethod
    def parse(cls, text: str) -> Digest:
        """Parse ``algorithm:hex``; raise DigestError for anything malformed or unknown."""
        match = _DIGEST_RE.match(text)
        if match is None:
            raise DigestError(f"malformed digest {text[:200]!r}")
        algorithm, encoded = match.groups()
        expected = _HEX_LENGTH.get(algorithm)
        if expected is None:
            raise DigestError(f"unsupported digest algorithm {algorithm!r}")
        if len(encoded) != expected or not _is_lower_hex(encoded):
            raise DigestError(f"{algorithm} digest must be {expected} lowercase hex characters")
        return cls(algorithm, encoded)

    @classmethod
    def of(cls, data: bytes, algorithm: str = DEFAULT_ALGORITHM) -> Digest:
        return cls(algorithm, hashlib.new(algorithm, data).hexdigest())

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"


def is_digest(text: str) -> bool:
    """True when ``text`` looks like a digest (has a colon); tags never contain one."""
    return ":" in text


def new_hasher(algorithm: str) -> Hasher:
    if algorithm not in ALGORITHMS:
        raise DigestError(f"unsupported digest algorithm {algorithm!r}")
    return hashlib.new(algorithm)


def _is_lower_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)
