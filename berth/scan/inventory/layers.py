"""Reading one layer: a tar stream (gzip, zstd or plain) in bounded memory.

Only the files that describe packages are read (``detect.wanted``); everything else
streams past. Names are normalised (no ``./``, no leading ``/``); a name with a ``..``
component is refused and noted, never followed. Whiteouts (``.wh.<name>``) and opaque
directories (``.wh..wh..opq``) are recorded for ``squash``.
"""

from __future__ import annotations

import gzip
import io
import posixpath
import tarfile
from dataclasses import dataclass, field
from typing import IO, Any

import zstandard

from berth.scan.inventory import detect
from berth.scan.inventory.errors import InventoryError

INVENTORY_VERSION = 1
MAX_DECOMPRESSED = 64 << 30     # bytes read from one layer, whatever it claims
MAX_ENTRIES = 2_000_000
MAX_METADATA_FILE = 64 << 20    # a package database or metadata file
WHITEOUT, OPAQUE = ".wh.", ".wh..wh..opq"
_GZIP, _ZSTD = b"\x1f\x8b", b"\x28\xb5\x2f\xfd"


@dataclass
class LayerInventory:
    """What one layer adds and removes. ``files`` maps a path to what was read from it
    (``{"kind": ..., ...}``; kind ``gone`` when the layer put something unreadable
    there); JSON-able as a whole, so it can be cached by layer digest."""

    digest: str
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    whiteouts: list[str] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"digest": self.digest, "files": self.files, "whiteouts": self.whiteouts,
                "opaque": self.opaque, "notes": self.notes}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> LayerInventory:
        return cls(doc["digest"], dict(doc["files"]), list(doc["whiteouts"]),
                   list(doc["opaque"]), list(doc.get("notes") or ()))


class _Capped(io.RawIOBase):
    """A reader that refuses to produce more than ``limit`` bytes (a decompression bomb
    stops here)."""

    def __init__(self, source: IO[bytes], limit: int) -> None:
        self.source = source
        self.left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.source.read(min(len(buffer), 1 << 20))
        self.left -= len(data)
        if self.left < 0:
            raise InventoryError("the layer decompresses to more than the limit")
        buffer[:len(data)] = data
        return len(data)


def _decompressed(fileobj: IO[bytes], media_type: str) -> IO[bytes]:
    """The layer's tar bytes, by the compression its first bytes show (the media type
    is often wrong: Docker's says gzip for every layer)."""
    raw: Any = fileobj
    buffered: Any = raw if hasattr(raw, "peek") else io.BufferedReader(raw, 1 << 20)
    head = buffered.peek(4)[:4]
    stream: Any = buffered
    if head.startswith(_GZIP):
        stream = gzip.GzipFile(fileobj=buffered, mode="rb")
    elif head.startswith(_ZSTD):
        stream = zstandard.ZstdDecompressor().stream_reader(buffered)
    return stream


def normalise(name: str) -> str | None:
    """The path inside the image, or None for a name that climbs out of it."""
    path = posixpath.normpath("/" + name.lstrip("./").lstrip("/")).lstrip("/")
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        return None
    return "" if path == "." else path


def read_layer(digest: str, media_type: str, fileobj: IO[bytes],
               max_bytes: int = MAX_DECOMPRESSED) -> LayerInventory:
    """Everything ``detect`` wants from one layer. InventoryError for a stream that is
    not a tar archive (after decompression) or that exceeds the caps."""
    layer = LayerInventory(digest)
    stream = io.BufferedReader(_Capped(_decompressed(fileobj, media_type), max_bytes),
                               1 << 20)
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for count, member in enumerate(tar):
                if count >= MAX_ENTRIES:
                    layer.notes.append(f"stopped after {MAX_ENTRIES} entries")
                    break
                _entry(layer, tar, member)
    except (tarfile.TarError, OSError, EOFError, zstandard.ZstdError) as exc:
        raise InventoryError(f"layer {digest} is not a readable tar archive: {exc}") from exc
    return layer


def _entry(layer: LayerInventory, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
    path = normalise(member.name)
    if path is None:
        layer.notes.append(f"refused {member.name[:200]!r}: it climbs out of the image")
        return
    directory, base = posixpath.split(path)
    if base == OPAQUE:
        layer.opaque.append(directory)
        return
    if base.startswith(WHITEOUT):
        layer.whiteouts.append(posixpath.join(directory, base[len(WHITEOUT):]))
        return
    kind = detect.wanted(path, member)
    if kind is None:
        return
    if not member.isreg() or member.size > detect.size_cap(kind):
        if not member.isdir():
            layer.files[path] = {"kind": "gone"}
        if member.isreg():
            layer.notes.append(f"skipped {path}: {member.size} bytes is over the cap")
        return
    data = tar.extractfile(member)
    if data is None:
        return
    try:
        facts = detect.read(kind, path, data, member.size)
    except Exception as exc:  # a malformed file is noted, never fatal
        layer.notes.append(f"could not read {path}: {type(exc).__name__}: {exc}"[:300])
        return
    if facts is not None:
        layer.files[path] = facts
