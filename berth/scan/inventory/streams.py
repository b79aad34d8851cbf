"""A layer blob as a stream of tar bytes, read once, in bounded memory.

The compression is chosen by the blob's first bytes (gzip, zstd, bzip2, xz or none);
the media type only names what was expected, and a disagreement is noted: registries
and tools mislabel layers (an uncompressed tar sent as ``+gzip`` happens). The tar bytes
pass through ``CappedReader``, which stops a decompression bomb at
``Limits.max_layer_bytes``; ``BoundedTarInfo`` refuses pax and GNU long-name headers
larger than ``Limits.max_header`` (tarfile would read them whole into memory).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import tarfile
from typing import IO, Any, cast

import zstandard

from berth.scan.inventory.errors import InventoryError
from berth.scan.inventory.limits import Limits

_MAGIC = ((b"\x1f\x8b", "gzip"), (b"\x28\xb5\x2f\xfd", "zstd"), (b"BZh", "bzip2"),
          (b"\xfd7zXZ\x00", "xz"))
_SKIPPABLE_ZSTD = range(0x50, 0x60)   # zstd skippable frames: 0x184D2A5? little-endian
_READ = 1 << 20


class LayerTooLarge(Exception):
    """The layer decompressed past Limits.max_layer_bytes."""


def sniff(head: bytes) -> str:
    """'gzip', 'zstd', 'bzip2', 'xz' or 'none', from a blob's first bytes."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if len(head) >= 4 and head[0] in _SKIPPABLE_ZSTD and head[1:4] == b"\x2a\x4d\x18":
        return "zstd"
    return "none"


def declared(media_type: str) -> str | None:
    """The compression a layer media type names (OCI ``+gzip``/``+zstd``, Docker
    ``.tar.gzip``), 'none' for a plain tar type, None when the type does not say."""
    kind = media_type.lower().split(";")[0].strip()
    if kind.endswith(("+gzip", ".tar.gzip", ".tar.gz")):
        return "gzip"
    if kind.endswith(("+zstd", ".tar.zstd")):
        return "zstd"
    if kind.endswith(".tar"):
        return "none"
    return None


class _Prefixed:
    """``head`` followed by the rest of ``source``: sniffing without seeking."""

    def __init__(self, head: bytes, source: IO[bytes]) -> None:
        self.head, self.source = head, source

    def read(self, size: int = -1) -> bytes:
        if not self.head:
            return self.source.read(size)
        if size < 0:
            data, self.head = self.head + self.source.read(), b""
            return data
        data, self.head = self.head[:size], self.head[size:]
        return data


class CappedReader:
    """Counts the tar bytes read; raises LayerTooLarge past ``limit``."""

    def __init__(self, source: Any, limit: int) -> None:
        self.source, self.limit, self.count = source, limit, 0

    def read(self, size: int = _READ) -> bytes:
        data: bytes = self.source.read(size if size >= 0 else _READ)
        self.count += len(data)
        if self.count > self.limit:
            raise LayerTooLarge(f"the layer decompresses to more than {self.limit} bytes")
        return data


def tar_stream(fileobj: IO[bytes], media_type: str, limits: Limits
               ) -> tuple[CappedReader, str, list[str]]:
    """The layer's tar bytes (capped), the compression found, and notes (a media type
    that disagrees with the bytes)."""
    head = _read_head(fileobj, 6)
    found, expected = sniff(head), declared(media_type)
    notes = []
    if expected is not None and expected != found:
        notes.append(f"media type {media_type} says {expected}, the bytes are {found}")
    tar = CappedReader(_decompressor(found, _Prefixed(head, fileobj), limits),
                       limits.max_layer_bytes)
    return tar, found, notes


def _read_head(fileobj: IO[bytes], size: int) -> bytes:
    head = b""
    while len(head) < size and (more := fileobj.read(size - len(head))):
        head += more
    return head


def _decompressor(kind: str, source: _Prefixed, limits: Limits) -> Any:
    raw = cast(IO[bytes], source)
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if kind == "zstd":
        engine = zstandard.ZstdDecompressor(max_window_size=limits.max_zstd_window)
        return engine.stream_reader(raw, read_size=_READ, read_across_frames=True)
    if kind == "bzip2":
        return bz2.BZ2File(raw)
    if kind == "xz":
        return lzma.LZMAFile(raw)
    return source


# What a stream that is not a readable tar raises, after decompression.
STREAM_ERRORS: tuple[type[BaseException], ...] = (
    tarfile.TarError, OSError, EOFError, zstandard.ZstdError, lzma.LZMAError, ValueError)


def bounded_tarinfo(limit: int) -> type[tarfile.TarInfo]:
    """A TarInfo class that refuses extended headers over ``limit`` bytes."""

    class BoundedTarInfo(tarfile.TarInfo):
        def _proc_member(self, tar: tarfile.TarFile) -> tarfile.TarInfo:
            extended = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK,
                        tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)
            if self.type in extended and self.size > limit:
                raise InventoryError(f"a {self.size}-byte tar extended header "
                                     f"(over {limit}) at {tar.offset}")
            result: tarfile.TarInfo = getattr(super(), "_proc_member")(tar)  # noqa: B009
            return result

    return BoundedTarInfo
