"""The one interface every version scheme sits behind.

A scheme is a pure function from a version string to a sort key; ``Comparator`` caches
those keys (matching compares the same few hundred strings many times) and orders
strings by them. Garbage never gets a key: it raises ``UnparsableVersion``, so a caller
cannot mistake an unreadable version for an equal one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

CACHE_SIZE = 65536


class SortKey(Protocol):
    """What ``Comparator.key`` returns: keys of one scheme are totally ordered by ``<``."""

    def __lt__(self, other: Any, /) -> bool: ...


class UnparsableVersion(ValueError):
    """A version string that its scheme cannot read."""

    def __init__(self, scheme: str, version: str, reason: str) -> None:
        super().__init__(f"{scheme} version {version!r}: {reason}")
        self.scheme = scheme
        self.version = version
        self.reason = reason


class _Rejected:
    """A cached parse failure, so that garbage is not re-parsed on every comparison."""

    __slots__ = ("error",)

    def __init__(self, error: UnparsableVersion) -> None:
        self.error = error


class Comparator:
    """Orders the version strings of one scheme.

    ``parse`` maps a string to a sort key or raises ``UnparsableVersion``; it must be
    pure, because its results (failures included) are cached per string.
    """

    def __init__(self, scheme: str, parse: Callable[[str], SortKey]) -> None:
        self.scheme = scheme
        self._parse = parse
        self._cached = lru_cache(maxsize=CACHE_SIZE)(self._parse_or_reject)

    def __repr__(self) -> str:
        return f"Comparator({self.scheme!r})"

    def _parse_or_reject(self, version: str) -> SortKey | _Rejected:
        try:
            return self._parse(version)
        except UnparsableVersion as error:
            return _Rejected(error)

    def key(self, version: str) -> SortKey:
        """The sort key of ``version``; raises ``UnparsableVersion`` for garbage."""
        found = self._cached(version)
        if isinstance(found, _Rejected):
            raise found.error
        return found

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as ``a`` sorts before, level with, or after ``b``.

        Raises ``UnparsableVersion`` when either string is garbage.
        """
        ka, kb = self.key(a), self.key(b)
        return int(kb < ka) - int(ka < kb)

    def cache_clear(self) -> None:
        """Forget every cached parse (for benchmarks that measure a cold start)."""
        self._cached.cache_clear()

    def parses(self, version: str) -> bool:
        """Whether ``version`` is a valid version of this scheme."""
        return not isinstance(self._cached(version), _Rejected)
