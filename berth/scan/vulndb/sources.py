"""Import sources: checking them, and reading and parsing their documents in slices.

A source is an osv.dev ``all.zip`` (every ``*.json`` member is one OSV record) or a
directory searched recursively for ``*.json`` files. ``open_sources`` checks them and
lists their documents once; ``Reader.slices`` cuts the lists into ``Slice``s that carry
where each document is (a file name, or a zip member's offset, sizes and CRC), so that
``parse(slice)`` — here, or in a worker process (``init_worker``/``parse_in_worker``) —
reads them without listing the zip again (100k members take 0.5 s to list).
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, NamedTuple, cast

from berth.scan.vulndb.errors import SourceError
from berth.scan.vulndb.osv import Record, Skip, parse_record

MAX_DOCUMENT = 16 << 20  # bytes; a bigger "record" is not an OSV record
UNREADABLE = "unreadable"
TOO_LARGE = "too_large"

Parsed = Record | str         # a record, or why the document was left out

_DIRECT = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ENCRYPTED = 0x1
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, ..., name length, extra length


@dataclass(frozen=True, slots=True)
class Source:
    """A checked source."""

    path: Path
    name: str                 # the last two path components, e.g. "PyPI/all.zip"
    is_zip: bool
    documents: int


class Member(NamedTuple):
    """Where a zip member is, from the zip's central directory."""

    filename: str
    header_offset: int
    compress_size: int
    file_size: int
    crc: int
    compress_type: int
    flag_bits: int


@dataclass(frozen=True, slots=True)
class Slice:
    """Consecutive documents of one source: files of a directory, or zip members."""

    source: int
    first: int
    documents: tuple[str, ...] | tuple[Member, ...]


def open_sources(paths: Sequence[Path]) -> Reader:
    """A Reader over the sources, checked and listed (``Reader.sources``).

    Raises SourceError, before anything is read, for a path that is missing or neither
    a directory nor a readable zip file.
    """
    reader = Reader([])
    for path in paths:
        name = "/".join(path.resolve().parts[-2:])
        documents = _list(path)
        reader.sources.append(Source(path, name, not path.is_dir(), len(documents)))
        reader.listed.append(documents)
    return reader


def _list(path: Path) -> tuple[str, ...] | tuple[Member, ...]:
    if path.is_dir():
        return tuple(sorted(str(p) for p in path.rglob("*.json") if p.is_file()))
    if not path.is_file():
        raise SourceError(f"import source {path} does not exist")
    try:
        with zipfile.ZipFile(path) as archive:
            return tuple(Member(info.filename, info.header_offset, info.compress_size,
                                info.file_size, info.CRC, info.compress_type, info.flag_bits)
                         for info in archive.infolist()
                         if not info.is_dir() and info.filename.endswith(".json"))
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"import source {path} is neither a directory nor a zip file"
                          f" ({exc})") from None


class Reader:
    """Reads and parses slices of checked sources; keeps the zip files it reads open."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources = sources
        self.listed: list[tuple[str, ...] | tuple[Member, ...]] = []  # by open_sources
        self._raw: dict[int, BinaryIO] = {}

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        for raw in self._raw.values():
            raw.close()
        self._raw.clear()

    def slices(self, size: int) -> Iterator[Slice]:
        """Every listed source cut into slices of at most ``size`` documents, in order."""
        for index, documents in enumerate(self.listed):
            for first in range(0, len(documents), size):
                yield Slice(index, first, documents[first:first + size])

    def parse(self, part: Slice) -> list[Parsed]:
        """The slice's documents parsed, in order."""
        source = self.sources[part.source]
        if not source.is_zip:
            files = cast(tuple[str, ...], part.documents)
            return [_parse(_read_file(Path(name))) for name in files]
        if part.source not in self._raw:
            self._raw[part.source] = source.path.open("rb")
        raw = self._raw[part.source]
        members = cast(tuple[Member, ...], part.documents)
        return [_parse(_read_member(source.path, raw, member)) for member in members]


def _parse(data: bytes | str) -> Parsed:
    if isinstance(data, str):
        return data
    try:
        return parse_record(data)
    except Skip as skip:
        return skip.reason


def _read_member(path: Path, raw: BinaryIO, member: Member) -> bytes | str:
    if member.file_size > MAX_DOCUMENT:
        return TOO_LARGE
    try:
        if member.compress_type in _DIRECT and not member.flag_bits & _ENCRYPTED:
            return _read_direct(raw, member)
        with zipfile.ZipFile(path) as archive:  # rare: other compressions
            return archive.read(member.filename)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
            struct.error, KeyError):
        return UNREADABLE


def _read_direct(raw: BinaryIO, member: Member) -> bytes:
    """What ZipFile.read returns for a stored or deflated member, at a third of its cost
    per member (no ZipExtFile machinery); checks the size and the CRC the same way."""
    raw.seek(member.header_offset)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(raw.read(_LOCAL_HEADER.size))
    if signature != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {member.filename}")
    raw.seek(name_length + extra_length, os.SEEK_CUR)
    data = raw.read(member.compress_size)
    if member.compress_type == zipfile.ZIP_DEFLATED:
        data = zlib.decompressobj(-zlib.MAX_WBITS).decompress(data, member.file_size + 1)
    if len(data) != member.file_size or zlib.crc32(data) != member.crc:
        raise zipfile.BadZipFile(f"bad size or CRC for {member.filename}")
    return data


def _read_file(path: Path) -> bytes | str:
    try:
        if path.stat().st_size > MAX_DOCUMENT:
            return TOO_LARGE
        return path.read_bytes()
    except OSError:
        return UNREADABLE


# worker processes: one Reader each, for the whole build

_worker_reader: Reader | None = None


def init_worker(sources: Sequence[Source]) -> None:
    global _worker_reader
    _worker_reader = Reader(list(sources))


def parse_in_worker(part: Slice) -> list[Parsed]:
    assert _worker_reader is not None, "init_worker was not called"
    return _worker_reader.parse(part)
