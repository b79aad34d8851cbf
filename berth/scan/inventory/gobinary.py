"""Go build information (Go ≥ 1.18) of ELF executables, found while the file streams by.

Go's linker writes a block into every binary (``src/debug/buildinfo/buildinfo.go``): 16-byte
aligned, a 32-byte header (the magic ``\\xff Go buildinf:``, the pointer size, flags (0x2
means the strings follow inline) and 16 unused bytes), then the Go version and the
module information as uvarint-length-prefixed strings. The module information, wrapped in
16-byte sentinels, has ``path``, ``mod`` (the main module), ``dep`` and ``=>`` (replaces
the line before) lines, tab-separated.

Go's own reader looks in the ``.go.buildinfo`` section, but ELF section headers sit at
the end of the file, after the data has streamed by. So this reader searches the stream
for the magic at 16-byte-aligned file offsets (a section is aligned alike in the file
and in memory) and validates what follows: a pointer size of 4 or 8, the inline flag,
sane lengths and a version beginning ``go``, so a copy of the magic in some program's
constants does not pass. Memory: one chunk plus at most MAX_INFO bytes. Binaries of
Go < 1.18 (pointers instead of inline strings) are not read (``PreGo118``).
"""

from __future__ import annotations

import re
from typing import IO

from berth.scan.inventory.records import RawPackage

ELF = b"\x7fELF"
MAGIC = b"\xff Go buildinf:"
ALIGN = 16
HEADER = 32
MAX_INFO = 2 << 20          # bytes of version + module information considered
_CHUNK = 1 << 20
_INLINE = 0x2
_GO_VERSION = re.compile(r"go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?")


class PreGo118(ValueError):
    """A Go binary whose build information is in the pre-1.18 pointer form."""


def find_buildinfo(data: IO[bytes], start: int = 0) -> tuple[str, str] | None:
    """(Go version, module information) from the stream (positioned at file offset
    ``start``); None when there is none. PreGo118 for an old-format binary."""
    window, base, at, eof, old = bytearray(), start, 0, False, False
    while True:
        hit = _find_aligned(window, base, at)
        if hit < 0:
            if eof:
                if old:
                    raise PreGo118("Go build information before Go 1.18 is not read")
                return None
            drop = max(0, len(window) - (len(MAGIC) - 1))
            del window[:drop]
            base, at = base + drop, 0
            eof = not _more(data, window)
            continue
        while not eof and len(window) - hit < HEADER + MAX_INFO:
            eof = not _more(data, window)
        block = bytes(window[hit:hit + HEADER + MAX_INFO])
        if block[14] in (4, 8) and not block[15] & _INLINE:
            old, at = True, hit + 1
            continue
        found = _parse(block)
        if found is not None:
            return found
        at = hit + 1


def _more(data: IO[bytes], window: bytearray) -> int:
    chunk = data.read(_CHUNK)
    window += chunk
    return len(chunk)


def _find_aligned(window: bytearray, base: int, at: int) -> int:
    while True:
        hit = window.find(MAGIC, at)
        if hit < 0 or (base + hit) % ALIGN == 0:
            return hit
        at = hit + 1


def _parse(block: bytes) -> tuple[str, str] | None:
    if len(block) < HEADER or block[14] not in (4, 8) or not block[15] & _INLINE:
        return None
    version, at = _string(block, HEADER)
    info, _ = _string(block, at)
    if version is None or info is None or not version.startswith((b"go", b"devel")):
        return None
    if len(info) >= 33 and info[-17] == ord("\n"):
        info = info[16:-16]   # the sentinels around the module information
    return version.decode("utf-8", errors="replace"), info.decode("utf-8", errors="replace")


def _string(block: bytes, at: int) -> tuple[bytes | None, int]:
    """A uvarint-length-prefixed string at ``at``, and where it ends."""
    length, shift = 0, 0
    while at < len(block) and shift <= 63:
        byte = block[at]
        length |= (byte & 0x7F) << shift
        at += 1
        if byte < 0x80:
            end = at + length
            return (block[at:end], end) if end <= len(block) else (None, at)
        shift += 7
    return None, at


def modules(go_version: str, info: str) -> tuple[RawPackage, ...]:
    """``stdlib`` at the toolchain's version, the main module (unless ``(devel)``),
    and every dependency, replacements applied."""
    main: list[str] | None = None
    deps: list[list[str]] = []
    for line in info.splitlines():
        kind, *rest = line.split("\t")
        if kind in ("mod", "dep") and len(rest) >= 2:
            if kind == "mod":
                main = rest[:2]
            else:
                deps.append(rest[:2])
        elif kind == "=>" and rest:
            target = main if not deps else deps[-1]
            if target is not None:
                target[:] = [rest[0], rest[1] if len(rest) > 1 else ""]
    found = [RawPackage("stdlib", stdlib)] if (stdlib := stdlib_version(go_version)) else []
    if main and main[1] and main[1] != "(devel)":
        found.append(RawPackage(main[0], main[1]))
    found += [RawPackage(path, version) for path, version in deps if version]
    return tuple(found)


def stdlib_version(go_version: str) -> str | None:
    """``go1.22.4`` → ``1.22.4``, ``go1.20`` → ``1.20.0``, ``go1.21rc2`` → ``1.21.0-rc.2``
    (the Go vulnerability database's form); None for a development or vendor build
    (``devel go1.23-…``, ``go1.22-20231128-RC02``), whose fixes no release names."""
    match = _GO_VERSION.fullmatch(go_version.split()[0]) if go_version.strip() else None
    if match is None:
        return None
    major, minor, patch, pre, number = match.groups()
    version = f"{major}.{minor}.{patch or 0}"
    return f"{version}-{pre}.{number}" if pre else version
