"""Reading one layer: a tar stream (gzip, zstd, … or plain), once, in bounded memory.

Each entry is looked at by name and mode only, and streams past unless it is a file the
inventory reads (``paths.classify``, or an executable that may be a Go binary); those
are read under per-kind size caps. Nothing is extracted and no link is followed:

- a name with a ``..`` component is refused and noted;
- a symlink hides whatever lower layers had at its path; one that points out of the
  image (``..`` past the root), or that stands at a path the inventory reads and is
  absolute, is noted;
- a hard link to a file this layer already read gets that file's facts; any other hard
  link hides the lower layers' file, like a symlink;
- ``.wh.<name>`` and ``.wh..wh..opq`` are recorded for ``squash``.

Caps (``Limits``): decompressed bytes and entry count stop the reading with a note (the
inventory is then partial); a file over its cap is skipped with a note. A stream that is
not a readable tar (after decompression) raises InventoryError; a malformed file inside
one is noted and skipped.
"""

from __future__ import annotations

import itertools
import tarfile
from dataclasses import replace
from typing import IO, cast

from berth.scan.inventory import detectors, records
from berth.scan.inventory.errors import InventoryError
from berth.scan.inventory.limits import DEFAULT_LIMITS, Limits
from berth.scan.inventory.ownership import Owners
from berth.scan.inventory.paths import (
    EXECUTABLE,
    OPAQUE,
    RPM_OTHER,
    WHITEOUT,
    classify,
    is_executable,
    link_target,
    normalise,
)
from berth.scan.inventory.records import FileFacts, LayerInventory
from berth.scan.inventory.streams import (
    STREAM_ERRORS,
    CappedReader,
    LayerTooLarge,
    bounded_tarinfo,
    tar_stream,
)

_BUFSIZE = 64 << 10   # tarfile copies its buffer per header read: small is faster
_OWNER_KINDS = frozenset({records.DPKG_FILES, records.APK, records.RPM})


def read_layer(digest: str, media_type: str, fileobj: IO[bytes],
               limits: Limits = DEFAULT_LIMITS) -> LayerInventory:
    """What one layer adds and removes (see ``LayerInventory``).

    ``fileobj`` is read once, sequentially, to its end or to a cap. Raises
    InventoryError when the (decompressed) stream is not a readable tar archive."""
    reading = _Reading(digest, limits)
    try:
        stream, _, notes = tar_stream(fileobj, media_type, limits)
        for text in notes:
            reading.note(text)
        _read_entries(reading, stream)
    except LayerTooLarge as exc:
        reading.note(f"stopped reading: {exc}; this layer's inventory is partial")
    except InventoryError:
        raise
    except _BrokenStream as exc:
        raise InventoryError(f"layer {digest}: the stream broke: {exc}") from exc.__cause__
    except STREAM_ERRORS as exc:
        raise InventoryError(f"layer {digest} is not a readable tar stream "
                             f"({type(exc).__name__}: {exc})") from exc
    return reading.finish()


def _read_entries(reading: _Reading, stream: CappedReader) -> None:
    tarinfo = bounded_tarinfo(reading.limits.max_header)
    with tarfile.open(fileobj=cast(IO[bytes], stream), mode="r|", bufsize=_BUFSIZE,
                      tarinfo=tarinfo) as tar:
        for count in itertools.count():
            member = tar.next()
            if member is None:
                return
            # a streaming TarFile would otherwise keep every entry it has read
            getattr(tar, "members").clear()  # noqa: B009 - ``members`` is not in typeshed
            if count >= reading.limits.max_entries:
                reading.note(f"stopped after {reading.limits.max_entries} entries; "
                             "this layer's inventory is partial")
                return
            _entry(reading, tar, member)


def _entry(reading: _Reading, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
    path = normalise(member.name)
    if path is None:
        reading.note(f"refused {member.name[:200]!r}: '..' climbs out of the image")
        return
    if not path:
        return
    directory, _, base = path.rpartition("/")
    if base.startswith(WHITEOUT):
        _whiteout(reading, directory, base)
    elif member.isdir():
        reading.directory(path)
    elif member.issym():
        _symlink(reading, path, member.linkname)
    elif member.islnk():
        _hardlink(reading, path, member.linkname)
    elif member.isreg():
        _regular(reading, tar, member, path)
    else:                   # a device or a fifo
        reading.replace(path)


def _whiteout(reading: _Reading, directory: str, base: str) -> None:
    if base == OPAQUE:
        reading.opaque_dirs.add(directory)
    elif not base.startswith(WHITEOUT + WHITEOUT) and base != WHITEOUT:
        # (other .wh..wh.* names are AUFS bookkeeping and hide nothing)
        name = base[len(WHITEOUT):]
        reading.whiteouts.add(f"{directory}/{name}" if directory else name)


def _symlink(reading: _Reading, path: str, target: str) -> None:
    if link_target(path, target) is None:
        reading.note(f"symlink {path} -> {target[:200]} points out of the image; "
                     "not followed")
    elif target.startswith("/") and classify(path) is not None:
        reading.note(f"symlink {path} -> {target[:200]} not followed")
    reading.replace(path)


def _hardlink(reading: _Reading, path: str, target: str) -> None:
    source = normalise(target)
    if source is None:
        reading.note(f"hard link {path} -> {target[:200]!r} refused: '..' climbs out")
    facts = reading.files.get(source) if source else None
    if facts is not None:
        reading.keep(facts.at(path))
    else:
        reading.replace(path)


def _regular(reading: _Reading, tar: tarfile.TarFile, member: tarfile.TarInfo,
             path: str) -> None:
    kind = classify(path) or (EXECUTABLE if is_executable(member.mode, member.size) else None)
    if kind is None:
        reading.forget(path)
        return
    if kind == RPM_OTHER:
        reading.note(f"{path}: rpm databases other than sqlite are not read")
        reading.replace(path)
        return
    cap = detectors.size_cap(kind, reading.limits)
    if member.size > cap:
        reading.note(f"skipped {path}: {member.size} bytes is over the {cap}-byte cap")
        reading.replace(path)
        return
    data = tar.extractfile(member)
    facts = _detect(reading, kind, path, data, member.size) if data is not None else None
    if facts is None:
        reading.replace(path)
    elif facts.kind in _OWNER_KINDS:
        reading.keep(reading.owners.keep(facts))
    else:
        reading.keep(facts)


def _detect(reading: _Reading, kind: str, path: str, data: IO[bytes], size: int
            ) -> FileFacts | None:
    guarded = cast(IO[bytes], _Guarded(data))
    try:
        return detectors.read(kind, path, guarded, size, reading.limits, reading.note)
    except (_BrokenStream, LayerTooLarge, InventoryError):
        raise
    except Exception as exc:  # a malformed file is noted, never fatal
        reading.note(f"could not read {path}: {type(exc).__name__}: {exc}"[:300])
        return None


class _BrokenStream(Exception):
    """The layer stream itself failed while a detector read a file from it."""


class _Guarded:
    """A member's bytes; errors of the underlying stream become _BrokenStream, so they
    are not mistaken for a malformed file."""

    def __init__(self, data: IO[bytes]) -> None:
        self._data = data

    def read(self, size: int = -1) -> bytes:
        try:
            return self._data.read(size)
        except STREAM_ERRORS as exc:
            raise _BrokenStream(f"{type(exc).__name__}: {exc}") from exc


class _Reading:
    """The state of one layer being read; ``finish`` freezes it."""

    def __init__(self, digest: str, limits: Limits) -> None:
        self.digest, self.limits = digest, limits
        self.files: dict[str, FileFacts] = {}
        self.whiteouts: set[str] = set()
        self.opaque_dirs: set[str] = set()
        self.replaced: set[str] = set()
        self.directories: set[str] = set()
        self.notes: list[str] = []
        self.suppressed = 0
        self.owners = Owners()

    def note(self, text: str) -> None:
        if len(self.notes) < self.limits.max_notes:
            self.notes.append(text)
        else:
            self.suppressed += 1

    def keep(self, facts: FileFacts) -> None:
        self.files[facts.path] = facts

    def forget(self, path: str) -> None:
        """A later entry of the layer at ``path`` replaces an earlier one."""
        self.files.pop(path, None)

    def replace(self, path: str) -> None:
        self.forget(path)
        if len(self.replaced) < self.limits.max_replaced:
            self.replaced.add(path)
        elif len(self.replaced) == self.limits.max_replaced:
            self.note(f"over {self.limits.max_replaced} replaced paths; no more recorded")
            self.replaced.add(path)

    def directory(self, path: str) -> None:
        self.forget(path)
        if classify(path) is not None:
            self.directories.add(path)

    def finish(self) -> LayerInventory:
        binaries = [p for p, f in self.files.items() if f.kind in (records.GO, records.RUST)]
        for owner, owned in self.owners.owners_of(binaries).items():
            if (facts := self.files.get(owner)) is not None:
                self.files[owner] = replace(facts, owns=tuple(sorted({*facts.owns, *owned})))
        for path, facts in list(self.files.items()):
            if facts.kind == records.DPKG_FILES and not facts.owns:
                self.replace(path)   # owns nothing of interest: only hides a lower list
        notes = [*self.notes, *([f"… and {self.suppressed} more notes"]
                                if self.suppressed else [])]
        return LayerInventory(
            self.digest, tuple(self.files[p] for p in sorted(self.files)),
            tuple(sorted(self.whiteouts)), tuple(sorted(self.opaque_dirs)),
            tuple(sorted(self.replaced)), tuple(sorted(self.directories)), tuple(notes))
