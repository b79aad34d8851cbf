"""rpm's sqlite database (rpm 4.16 and later: Fedora, RHEL 9, Rocky and Alma 9, Amazon
Linux 2023), read without rpm: each row of ``Packages`` is a header blob.

Header blob (rpm ``lib/header.c``): big-endian index count and data length, that many
16-byte entries (tag, type, offset, count), then the data. Every offset is checked:
the blob comes from an image, not from rpm.
"""

from __future__ import annotations

import sqlite3
import struct
import tempfile
from pathlib import Path
from typing import IO, Any

NAME, VERSION, RELEASE, EPOCH, LICENSE, ARCH, SOURCERPM = 1000, 1001, 1002, 1003, 1014, 1022, 1044
_INT32, _STRING, _STRING_ARRAY, _I18N = 4, 6, 8, 9
MAX_ENTRIES = 100_000


def packages(data: IO[bytes]) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rpmdb.sqlite"
        with path.open("wb") as f:
            while chunk := data.read(1 << 20):
                f.write(chunk)
        db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            rows = db.execute("SELECT blob FROM Packages ORDER BY hnum").fetchall()
        finally:
            db.close()
    found = []
    for (blob,) in rows:
        tags = header(bytes(blob))
        if NAME in tags and VERSION in tags:
            found.append(_package(tags))
    return found


def _package(tags: dict[int, Any]) -> dict[str, Any]:
    evr = f"{tags[VERSION]}-{tags[RELEASE]}" if RELEASE in tags else str(tags[VERSION])
    if EPOCH in tags:
        evr = f"{tags[EPOCH]}:{evr}"
    source = str(tags.get(SOURCERPM) or "")
    source_name = source.rsplit("-", 2)[0] if source.count("-") >= 2 else tags[NAME]
    return {"name": tags[NAME], "version": evr, "arch": tags.get(ARCH),
            "source": source_name, "source_version": evr, "license": tags.get(LICENSE)}


def header(blob: bytes) -> dict[int, Any]:
    """The tags this module reads, from one header blob; {} for a malformed one."""
    if len(blob) < 8:
        return {}
    count, length = struct.unpack(">II", blob[:8])
    start = 8 + 16 * count
    if count > MAX_ENTRIES or start + length > len(blob):
        return {}
    store = blob[start:start + length]
    found: dict[int, Any] = {}
    for i in range(count):
        tag, kind, offset, _count = struct.unpack(">IiiI", blob[8 + 16 * i: 24 + 16 * i])
        if tag in (NAME, VERSION, RELEASE, EPOCH, LICENSE, ARCH, SOURCERPM):
            value = _value(store, kind, offset)
            if value is not None:
                found[tag] = value
    return found


def _value(store: bytes, kind: int, offset: int) -> Any:
    if offset < 0 or offset >= len(store):
        return None
    if kind == _INT32 and offset + 4 <= len(store):
        return struct.unpack(">i", store[offset:offset + 4])[0]
    if kind in (_STRING, _STRING_ARRAY, _I18N):
        end = store.find(b"\0", offset)
        return store[offset:end if end >= 0 else len(store)].decode(errors="replace")
    return None
