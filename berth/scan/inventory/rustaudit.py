"""The crates a Rust executable was built from, as cargo-auditable records them, found
while the file streams by.

cargo-auditable (rust-secure-code/cargo-auditable) links a ``.dep-v0`` section into the
binary: zlib-compressed JSON, ``{"packages":[{"name","version","source","kind","root",
"dependencies"}, …]}`` (auditable-serde), where ``source`` is ``crates.io``, ``git``,
``local`` or ``registry`` and ``kind`` is ``build`` for a build dependency (absent for
code linked into the binary). Trivy, Syft and Grype read the same section.

As with Go's build information, the ELF section headers come after the data in the
file, so this reader does not look the section up: it tries every zlib header in the
stream (``0x78`` and the check byte of compression levels 2 to 9; cargo-auditable uses
level 7, and the pair of level 0 and 1, ``78 01``, is common in x86 code), inflates a
few bytes, and goes on only when they begin a ``{"packages":[`` document, which a stray
pair of bytes never inflates to. The document is then inflated as the rest of the
file streams by, up to MAX_JSON bytes, and must parse into that shape. Memory: one
chunk, LOOKAHEAD bytes, and the document.
"""

from __future__ import annotations

import json
import re
import zlib
from typing import Any

from berth.scan.inventory.records import RawPackage

MAX_JSON = 8 << 20            # inflated bytes of a dependency list considered
LOOKAHEAD = 512               # compressed bytes tried at each zlib header
_HEADER = re.compile(rb"\x78[\x5e\x9c\xda]")   # zlib levels 2-9
_START = re.compile(rb'\s*\{\s*"packages"\s*:\s*\[')
_START_BYTES = 24             # inflated bytes that must match _START
CRATES_IO = "crates.io"


class AuditScanner:
    """Fed a file's bytes in order; ``packages()`` then gives the crates of its
    dependency list (None when there is none)."""

    def __init__(self) -> None:
        self._window = bytearray()                    # from the first byte not yet tried
        self._inflating: zlib._Decompress | None = None
        self._document = bytearray()
        self._done = False
        self._found: bytes | None = None
        self.note: str | None = None                  # why a list found was not read

    def feed(self, chunk: bytes) -> None:
        if self._done or not chunk:
            return
        if self._inflating is not None:
            self._inflate(chunk)
            return
        self._window += chunk
        self._search(final=False)

    def packages(self) -> tuple[RawPackage, ...] | None:
        """The crates linked into the binary, from crates.io (a crate from git, a path
        or another registry has no advisories to match by its name)."""
        if not self._done and self._inflating is None:
            self._search(final=True)
        if self._inflating is not None:
            self._stop(why="the file ends inside it")
        if self._found is None:
            return None
        try:
            return crates(json.loads(self._found))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            self.note = f"cargo-auditable dependency list not read: {exc}"[:200]
            return None

    def _search(self, final: bool) -> None:
        window = self._window
        for match in _HEADER.finditer(window):
            at = match.start()
            if not final and len(window) - at < LOOKAHEAD:
                break   # tried once the next chunk has come
            if _begins_document(bytes(window[at:at + LOOKAHEAD])):
                self._inflating = zlib.decompressobj()
                rest = bytes(window[at:])
                self._window = bytearray()
                self._inflate(rest)
                return
        else:
            at = max(0, len(window) - 1)   # a header may straddle the next chunk
        del window[:at]

    def _inflate(self, chunk: bytes) -> None:
        assert self._inflating is not None
        try:
            self._document += self._inflating.decompress(
                chunk, MAX_JSON + 1 - len(self._document))
        except zlib.error:
            self._stop(why="its compressed data is corrupt")
            return
        if len(self._document) > MAX_JSON:
            self._stop(why=f"it inflates past {MAX_JSON} bytes")
        elif self._inflating.eof:
            self._stop(found=bytes(self._document))

    def _stop(self, *, found: bytes | None = None, why: str | None = None) -> None:
        """Search no further: a list was found (read, or not readable)."""
        self._found = found
        if why is not None:
            self.note = f"cargo-auditable dependency list not read: {why}"
        self._done = True
        self._inflating = None
        self._window, self._document = bytearray(), bytearray()


def _begins_document(compressed: bytes) -> bool:
    try:
        head = zlib.decompressobj().decompress(compressed, _START_BYTES)
    except zlib.error:
        return False
    return _START.match(head) is not None


def crates(document: dict[str, Any]) -> tuple[RawPackage, ...]:
    """crates.io crates of a parsed dependency list that are linked into the binary
    (build dependencies run only at build time), the root crate included."""
    found: dict[tuple[str, str], RawPackage] = {}
    for entry in document["packages"]:
        if entry.get("kind", "runtime") == "build" or entry.get("source") != CRATES_IO:
            continue
        name, version = entry["name"], entry["version"]
        if isinstance(name, str) and isinstance(version, str) and name and version:
            found.setdefault((name, version), RawPackage(name, version))
    return tuple(found.values())
