"""Go build information of executables, and Maven coordinates inside jars.

Go (1.18 and later) writes a block beginning ``\\xff Go buildinf:`` into every binary
it links: a flags byte, then (inline form) the Go version and the module information
as length-prefixed strings (``src/debug/buildinfo/buildinfo.go``). The file is streamed
past a window, so memory stays bounded whatever its size.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from typing import IO, Any

MAGIC = b"\xff Go buildinf:"
_WINDOW = 1 << 20
_AFTER = 64 << 10     # bytes kept after the magic: the version and module strings
MAX_MEMBER = 16 << 20
MAX_NESTED = 64


def go_modules(data: IO[bytes]) -> dict[str, Any] | None:
    """``{"go": version, "main": ..., "modules": [[path, version], ...]}`` of a Go
    binary, None for anything else."""
    if data.read(4) != b"\x7fELF":
        return None
    tail = b""
    while True:
        chunk = data.read(_WINDOW)
        if not chunk:
            return None
        window = tail + chunk
        at = window.find(MAGIC)
        if at >= 0:
            block = window[at:]
            while len(block) < _AFTER and (more := data.read(_AFTER)):
                block += more
            return _parse(block)
        tail = window[-len(MAGIC):]


def _uvarint(buf: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while at < len(buf) and shift < 64:
        byte = buf[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if byte < 0x80:
            return value, at
        shift += 7
    raise ValueError("bad varint")


def _parse(block: bytes) -> dict[str, Any] | None:
    if len(block) < 32 or not block[15] & 0x2:  # pre-1.18 pointer form: not read
        return None
    length, at = _uvarint(block, 32)
    version = block[at:at + length].decode(errors="replace")
    length, at = _uvarint(block, at + length)
    info = block[at:at + length]
    if len(info) >= 33 and info[-17:-16] == b"\n":
        info = info[16:-16]
    modules, main = [], None
    for line in info.decode(errors="replace").splitlines():
        parts = line.split("\t")
        if parts[0] == "mod" and len(parts) >= 3:
            main = [parts[1], parts[2]]
        elif parts[0] == "dep" and len(parts) >= 3:
            modules.append([parts[1], parts[2]])
        elif parts[0] == "=>" and len(parts) >= 3 and modules:
            modules[-1] = [parts[1], parts[2]]
    if not version.startswith("go"):
        return None
    return {"go": version[2:].split()[0], "main": main, "modules": modules}


def jar_packages(data: IO[bytes], size: int) -> list[dict[str, str]]:
    """Maven coordinates from ``pom.properties`` in the jar and jars nested one deep."""
    with tempfile.SpooledTemporaryFile(max_size=8 << 20) as spool:
        while chunk := data.read(_WINDOW):
            spool.write(chunk)
        spool.seek(0)
        try:
            with zipfile.ZipFile(spool) as jar:
                return _from_zip(jar, nested=True)
        except (zipfile.BadZipFile, OSError, ValueError):
            return []


def _from_zip(jar: zipfile.ZipFile, nested: bool) -> list[dict[str, str]]:
    found = []
    inner = 0
    for info in jar.infolist():
        if info.file_size > MAX_MEMBER:
            continue
        if info.filename.startswith("META-INF/maven/") and info.filename.endswith(
                "/pom.properties"):
            props = _properties(jar.read(info).decode(errors="replace"))
            if props.get("groupId") and props.get("artifactId") and props.get("version"):
                found.append({"name": f"{props['groupId']}:{props['artifactId']}",
                              "version": props["version"]})
        elif nested and info.filename.endswith(".jar") and inner < MAX_NESTED:
            inner += 1

            try:
                with zipfile.ZipFile(io.BytesIO(jar.read(info))) as sub:
                    found.extend(_from_zip(sub, nested=False))
            except (zipfile.BadZipFile, ValueError):
                continue
    return found


def _properties(text: str) -> dict[str, str]:
    props = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            props[key.strip()] = value.strip()
    return props
