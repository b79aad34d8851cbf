"""ELF executables, read once as they stream by: Go build information, else the crate
list cargo-auditable links into Rust binaries.

Go's reader pulls the stream and stops at the build information; every byte it pulls
is also fed to the cargo-auditable search, so a file that is no Go binary has been read
to its end by both, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, cast

from berth.scan.inventory import gobinary, records
from berth.scan.inventory.limits import Limits
from berth.scan.inventory.records import FileFacts
from berth.scan.inventory.rustaudit import AuditScanner

ELF = gobinary.ELF


def read_executable(path: str, data: IO[bytes], size: int, limits: Limits,
                    note: Callable[[str], None]) -> FileFacts | None:
    """The Go (toolchain, modules) or Rust (crates) packages an ELF executable was
    built from; None for any other file."""
    if data.read(len(ELF)) != ELF:
        return None
    audit = AuditScanner()
    audit.feed(ELF)
    found = gobinary.find_buildinfo(cast(IO[bytes], _Tee(data, audit.feed)),
                                   start=len(ELF))
    if found is not None:
        packages = gobinary.modules(*found)
        return FileFacts(path, records.GO, packages) if packages else None
    crates = audit.packages()
    if audit.note is not None:
        note(f"{path}: {audit.note}")
    return FileFacts(path, records.RUST, crates) if crates else None


class _Tee:
    """A stream that hands each chunk read from it to ``observe`` too."""

    def __init__(self, data: IO[bytes], observe: Callable[[bytes], None]) -> None:
        self._data = data
        self._observe = observe

    def read(self, size: int = -1) -> bytes:
        chunk = self._data.read(size)
        self._observe(chunk)
        return chunk
