"""rpm's sqlite database (rpm ≥ 4.16: Fedora, RHEL/UBI 9, Rocky and Alma 9, Amazon
Linux 2023), read without rpm. Berkeley DB and ndb databases are not read (noted).

The file is spooled to a temporary file and opened read-only and immutable; each row of
``Packages`` is a header blob (rpm ``lib/header.c`` headerImport): big-endian index count
``il`` and data length ``dl``, ``il`` 16-byte entries (tag, type, offset, count), then
``dl`` bytes of data. Every count and offset is checked: the blob comes from an image.
"""

from __future__ import annotations

import shutil
import sqlite3
import struct
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from berth.scan.inventory import records
from berth.scan.inventory.limits import Limits
from berth.scan.inventory.records import FileFacts, RawPackage

NAME, VERSION, RELEASE, EPOCH, LICENSE, ARCH, SOURCERPM = 1000, 1001, 1002, 1003, 1014, 1022, 1044
DIRINDEXES, BASENAMES, DIRNAMES = 1116, 1117, 1118
_WANTED = frozenset({NAME, VERSION, RELEASE, EPOCH, LICENSE, ARCH, SOURCERPM,
                     DIRINDEXES, BASENAMES, DIRNAMES})
_INT32, _STRING, _STRING_ARRAY, _I18NSTRING = 4, 6, 8, 9
MAX_INDEX = 0xFFFF          # rpm's own limits (HEADER_TAGS_MAX, HEADER_DATA_MAX)
MAX_DATA = 256 << 20
MAX_ROWS = 200_000

Value = tuple[int, ...] | tuple[str, ...]   # a tag's items; one item for a scalar


def read_rpmdb(path: str, data: IO[bytes], size: int, limits: Limits,
               note: Callable[[str], None]) -> FileFacts | None:
    """Packages (gpg-pubkey pseudo-packages skipped) and the files they own."""
    with tempfile.TemporaryDirectory(prefix="berth-rpmdb-") as tmp:
        db_path = Path(tmp) / "rpmdb.sqlite"
        with db_path.open("wb") as out:
            shutil.copyfileobj(data, out, 1 << 20)
        packages: list[RawPackage] = []
        owned: list[str] = []
        for tags in _headers(db_path, note, path):
            if _text(tags, NAME) in (None, "gpg-pubkey") or _text(tags, VERSION) is None:
                continue
            packages.append(package(tags))
            owned.extend(_files(tags))
    if not packages:
        return None
    return FileFacts(path, records.RPM, tuple(packages), owns=tuple(owned))


def _headers(db_path: Path, note: Callable[[str], None], path: str
             ) -> Iterator[dict[int, Value]]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro&immutable=1", uri=True)
    try:
        rows = db.execute("SELECT blob FROM Packages ORDER BY hnum")
        for count, (blob,) in enumerate(rows):
            if count >= MAX_ROWS:
                note(f"{path}: stopped after {MAX_ROWS} packages")
                return
            if isinstance(blob, bytes):
                yield header(blob)
    finally:
        db.close()


def package(tags: dict[int, Value]) -> RawPackage:
    """A package from its header tags; versions ``[epoch:]version-release``."""
    name, epoch = _text(tags, NAME) or "", tags.get(EPOCH, ())
    prefix = f"{epoch[0]}:" if epoch and isinstance(epoch[0], int) else ""
    release = _text(tags, RELEASE)
    version = f"{prefix}{_text(tags, VERSION)}" + (f"-{release}" if release else "")
    source_name = source_version = None
    source = _text(tags, SOURCERPM) or ""
    for suffix in (".src.rpm", ".nosrc.rpm"):
        source = source.removesuffix(suffix)
    if source.count("-") >= 2:
        src_name, src_version, src_release = source.rsplit("-", 2)
        source_name = src_name if src_name != name else None
        source_version = f"{prefix}{src_version}-{src_release}"
        source_version = source_version if source_version != version else None
    licence = _text(tags, LICENSE)
    return RawPackage(name, version, source_name, source_version, _text(tags, ARCH),
                      (licence,) if licence else ())


def _text(tags: dict[int, Value], tag: int) -> str | None:
    items = tags.get(tag, ())
    return items[0] if items and isinstance(items[0], str) else None


def _files(tags: dict[int, Value]) -> Iterator[str]:
    bases, dirs = tags.get(BASENAMES, ()), tags.get(DIRNAMES, ())
    for base, index in zip(bases, tags.get(DIRINDEXES, ()), strict=False):
        if isinstance(index, int) and 0 <= index < len(dirs):
            yield f"{dirs[index]}{base}".lstrip("/")


def header(blob: bytes) -> dict[int, Value]:
    """The tags this module reads, from one header blob; {} for a malformed blob."""
    if len(blob) < 8:
        return {}
    count, length = struct.unpack_from(">II", blob)
    start = 8 + 16 * count
    if count > MAX_INDEX or length > MAX_DATA or start + length > len(blob):
        return {}
    store = blob[start:start + length]
    found: dict[int, Value] = {}
    for i in range(count):
        tag, kind, offset, items = struct.unpack_from(">IIiI", blob, 8 + 16 * i)
        if tag in _WANTED and 0 <= offset < len(store) and 0 < items <= len(store):
            value = _value(store, kind, offset, items)
            if value is not None:
                found[tag] = value
    return found


def _value(store: bytes, kind: int, offset: int, items: int) -> Value | None:
    if kind == _INT32:
        if offset + 4 * items > len(store):
            return None
        return struct.unpack_from(f">{items}i", store, offset)
    if kind in (_STRING, _I18NSTRING):
        return _strings(store, offset, 1)
    if kind == _STRING_ARRAY:
        return _strings(store, offset, items)
    return None


def _strings(store: bytes, offset: int, items: int) -> tuple[str, ...]:
    found = []
    for _ in range(items):
        if offset > len(store):
            break
        end = store.find(b"\0", offset)
        if end < 0:
            end = len(store)
        found.append(store[offset:end].decode("utf-8", errors="replace"))
        offset = end + 1
    return tuple(found)
