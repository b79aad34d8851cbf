"""One entry point for every detector: a kept file's kind → the reader of its bytes.

Text files are read whole (they are capped at ``Limits.max_text_file``) and decoded as
UTF-8 with replacement; rpm databases, archives and executables are read as streams.
Every reader returns the file's facts, or None when it holds nothing to report; a reader
may raise on malformed content (the layer reader notes it and goes on).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import IO

from berth.scan.inventory import apk, dpkg, executable, java, npm, osrelease, python, records
from berth.scan.inventory import rpmdb as rpm
from berth.scan.inventory.limits import Limits
from berth.scan.inventory.paths import ARCHIVE, EXECUTABLE
from berth.scan.inventory.records import FileFacts

Note = Callable[[str], None]
TextReader = Callable[[str, str], FileFacts | None]
StreamReader = Callable[[str, IO[bytes], int, Limits, Note], FileFacts | None]

TEXT_READERS: dict[str, TextReader] = {
    records.OS_RELEASE: osrelease.read_os_release,
    records.DEBIAN_VERSION: partial(osrelease.read_release_file, records.DEBIAN_VERSION),
    records.ALPINE_RELEASE: partial(osrelease.read_release_file, records.ALPINE_RELEASE),
    records.DPKG: dpkg.read_status,
    records.DPKG_FILES: dpkg.read_file_list,
    records.APK: apk.read_installed,
    records.PYTHON: python.read_metadata,
    records.NPM: npm.read_package_json,
}
STREAM_READERS: dict[str, StreamReader] = {
    records.RPM: rpm.read_rpmdb,
    ARCHIVE: java.read_archive,
    EXECUTABLE: executable.read_executable,
}


def size_cap(kind: str, limits: Limits) -> int:
    """The largest file of ``kind`` that is read; larger ones are skipped and noted."""
    return {records.RPM: limits.max_rpmdb, ARCHIVE: limits.max_archive,
            EXECUTABLE: limits.max_executable}.get(kind, limits.max_text_file)


def read(kind: str, path: str, data: IO[bytes], size: int, limits: Limits, note: Note
         ) -> FileFacts | None:
    """The facts of the file at ``path`` (``size`` bytes in ``data``)."""
    text_reader = TEXT_READERS.get(kind)
    if text_reader is not None:
        return text_reader(path, data.read(size).decode("utf-8", errors="replace"))
    return STREAM_READERS[kind](path, data, size, limits, note)
