"""The directory that holds the database versions and says which one is current.

Layout::

    <home>/
      CURRENT                 "vulndb-<hex>.sqlite\\n": the database in use
      PREVIOUS                the one it replaced (for diffs and rollback); absent at first
      vulndb-<hex>.sqlite     the current and the previous file; no others are kept
      incoming/               where imports build (``VulnDbHome.incoming``)
      .lock                   flock(2) held by install and rollback

Pointers are replaced atomically (temporary file, fsync, rename, fsync of the
directory), so a reader sees the old or the new name, never a torn one. Every process
on the machine sees a switch on its next ``current_id()``, which reads ``CURRENT``
afresh each time. Installs from several processes at once serialise on ``.lock``.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from berth.durable import fsync_dir, publish, write_atomic
from berth.scan.vulndb.errors import NotADatabase
from berth.scan.vulndb.read import VulnDb, schema_version_of
from berth.scan.vulndb.schema import SCHEMA_VERSION, digest_of_name

CURRENT = "CURRENT"
PREVIOUS = "PREVIOUS"
LOCK = ".lock"
INCOMING = "incoming"
_KEPT_OPEN = 2  # VulnDb instances per home: the current one and the one it replaced


class VulnDbHome:
    """A home directory of databases (created when missing).

    ``current()`` hands out shared, home-owned VulnDb instances: callers must not close
    them. A replaced instance stays open through one more switch, so readers that still
    hold it finish their queries; ``close()`` closes them all.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.incoming = path / INCOMING
        self.incoming.mkdir(parents=True, exist_ok=True)
        self._guard = threading.Lock()
        self._open: dict[str, VulnDb] = {}  # file name -> instance, oldest first

    def install(self, built_file: Path) -> None:
        """Make ``built_file`` (a content-named database, e.g. from build()) current.

        The file is moved into the home (copied when it is on another file system). The
        current database becomes the previous one; the one before is deleted. Installing
        the current database again changes nothing. Raises NotADatabase for a file of
        another schema or without a content name.
        """
        digest = digest_of_name(built_file.name)
        if digest is None:
            raise NotADatabase(f"{built_file.name} is not a content-named database file")
        if schema_version_of(built_file) != SCHEMA_VERSION:
            raise NotADatabase(f"{built_file} has another schema version")
        with self._locked():
            current = self._pointer(CURRENT)
            _move_in(built_file, self.path / built_file.name)
            if current == built_file.name:
                return
            if current is not None:
                write_atomic(self.path / PREVIOUS, current + "\n")
            write_atomic(self.path / CURRENT, built_file.name + "\n")
            self._delete_unpointed()

    def rollback(self) -> bool:
        """Swap CURRENT and PREVIOUS; False when there is no previous database."""
        with self._locked():
            current, previous = self._pointer(CURRENT), self._pointer(PREVIOUS)
            if current is None or previous is None or not (self.path / previous).exists():
                return False
            write_atomic(self.path / PREVIOUS, current + "\n")
            write_atomic(self.path / CURRENT, previous + "\n")
            return True

    def current_id(self) -> str | None:
        """The current database's id (``sha256:<hex>``), or None before any install.
        One small file read: cheap enough to call before every scan."""
        name = self._pointer(CURRENT)
        return digest_of_name(name) if name else None

    def current(self) -> VulnDb | None:
        """The current database (shared instance; see the class), or None."""
        return self._instance(CURRENT)

    def previous(self) -> VulnDb | None:
        """The database the current one replaced (shared instance), or None."""
        return self._instance(PREVIOUS)

    def close(self) -> None:
        """Close every instance this home handed out."""
        with self._guard:
            for db in self._open.values():
                db.close()
            self._open.clear()

    def _instance(self, pointer: str) -> VulnDb | None:
        attempts = 3  # installs elsewhere may delete the file between reading and opening
        for attempt in range(1, attempts + 1):
            name = self._pointer(pointer)
            if name is None:
                return None
            try:
                return self._opened(name)
            except NotADatabase:
                if attempt == attempts or (self.path / name).exists():
                    raise
        raise AssertionError("unreachable")

    def _opened(self, name: str) -> VulnDb:
        with self._guard:
            db = self._open.get(name)
            if db is None:
                db = self._open[name] = VulnDb(self.path / name)
                while len(self._open) > _KEPT_OPEN:
                    self._open.pop(next(iter(self._open))).close()
            return db

    def _pointer(self, pointer: str) -> str | None:
        try:
            name = (self.path / pointer).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name if digest_of_name(name) else None

    def _delete_unpointed(self) -> None:
        keep = {self._pointer(CURRENT), self._pointer(PREVIOUS)}
        for path in self.path.glob("vulndb-*.sqlite"):
            if path.name not in keep:
                path.unlink(missing_ok=True)
        fsync_dir(self.path)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.path / LOCK).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _move_in(source: Path, target: Path) -> None:
    """Move a file into the home atomically; a no-op when it is already there."""
    if source.resolve() == target.resolve():
        return
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        tmp = target.with_name(f".{target.name}.{os.getpid()}.copying")
        try:
            shutil.copyfile(source, tmp)
            publish(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        source.unlink()
    fsync_dir(target.parent)
