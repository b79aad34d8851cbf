"""Which files of one layer its OS package databases say they installed.

A language package whose metadata file an OS package installed is the OS package's
(Debian's ``python3-requests`` must not be reported again as PyPI ``requests``), and so
is a Go binary an OS package installed. The lists are long (every file of every package)
and only a few entries matter, so:

- language-package files (``paths.is_language_file``) are kept as strings;
- every other listed path is kept as a 64-bit hash with the index of the list it came
  from (12 bytes a path), and at the end of the layer the Go binaries the layer holds are
  looked up among them. A Go binary owned by a list in another layer is not seen: dpkg
  and apk write a package's files and its list in the same layer.

usr-merged systems list ``/bin/x`` for ``usr/bin/x``: both spellings are remembered.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from berth.scan.inventory.paths import is_language_file
from berth.scan.inventory.records import FileFacts

_MERGED = ("bin/", "sbin/", "lib/", "lib32/", "lib64/", "libx32/")


class Owners:
    """Collects the file lists of one layer (not thread-safe; one per layer read)."""

    def __init__(self) -> None:
        self._lists: list[str] = []
        self._hashes = array("q")
        self._list_of = array("I")

    def keep(self, facts: FileFacts) -> FileFacts:
        """``facts`` with ``owns`` cut down to language-package files; the rest is
        remembered (hashed) for ``owners_of``."""
        index = len(self._lists)
        self._lists.append(facts.path)
        language: list[str] = []
        for path in facts.owns:
            if is_language_file(path):
                language.append(path)
                continue
            for spelling in (path, f"usr/{path}") if path.startswith(_MERGED) else (path,):
                self._hashes.append(hash(spelling))
                self._list_of.append(index)
        return replace(facts, owns=tuple(sorted(set(language))))

    def owners_of(self, paths: Iterable[str]) -> dict[str, list[str]]:
        """For each list (by its path) the given ``paths`` it named."""
        wanted = {hash(p): p for p in paths}
        found: dict[str, list[str]] = defaultdict(list)
        if not wanted:
            return found
        for digest, index in zip(self._hashes, self._list_of, strict=True):
            path = wanted.get(digest)
            if path is not None:
                found[self._lists[index]].append(path)
        return found
