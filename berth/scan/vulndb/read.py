"""Read a built database: affected entries by package, advisories by id, its facts.

``VulnDb`` opens the file read-only and immutable, so any number of threads and
processes may read it while new versions are built and installed beside it. Calls are
synchronous and short (indexed queries); callers on an event loop run them in a thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from berth.scan.model import Advisory, Affected, Range
from berth.scan.vulndb.errors import NotADatabase
from berth.scan.vulndb.osv import normalize_name
from berth.scan.vulndb.schema import SCHEMA_VERSION, SourceStats, digest_of_name, read_only_uri

CHUNK = 500  # names or ids per IN (...) query; SQLite's variable limit is far above

_LOOKUP = ("SELECT f.name, a.id, f.ranges, f.versions, f.vendor_severity"
           " FROM affected f JOIN advisory a ON a.rec = f.rec"
           " WHERE f.ecosystem = ? AND f.name IN ({}) ORDER BY f.name, a.id, f.rowid")
_ADVISORIES = ("SELECT id, aliases, summary, details, published, modified, severity, refs"
               " FROM advisory WHERE id IN ({})")


@dataclass(frozen=True, slots=True)
class DbInfo:
    """What a database holds and where it came from (its ``meta`` table)."""

    digest: str | None          # sha256:<hex> from the content name; None if not so named
    path: Path
    schema_version: int
    built_at: str               # RFC 3339 UTC
    newest_modified: str | None  # RFC 3339 UTC, the newest OSV ``modified`` kept
    records: int
    affected: int
    ecosystems: Mapping[str, int]   # advisories per ecosystem
    skipped: Mapping[str, int]      # by reason
    sources: tuple[SourceStats, ...]


class VulnDb:
    """One database file, opened read-only. Thread-safe; ``close`` when done.

    Raises NotADatabase when the file is not a database of SCHEMA_VERSION.
    """

    def __init__(self, path: Path, *, cache_size: int = 20_000) -> None:
        self.path = path
        self.digest = digest_of_name(path.name)
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], tuple[Affected, ...]] = OrderedDict()
        self._cache_size = cache_size
        self._db = _open(path)
        try:
            self._info = self._read_info()
        except BaseException:
            self._db.close()
            raise

    def __enter__(self) -> VulnDb:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Release the file. Idempotent."""
        with self._lock:
            self._db.close()

    def info(self) -> DbInfo:
        """The database's facts, read once at open."""
        return self._info

    def lookup(self, ecosystem: str, names: Collection[str]) -> dict[str, list[Affected]]:
        """The affected entries naming each of ``names`` in ``ecosystem`` (exact string),
        keyed by the name as asked; names without entries are absent. PyPI names are
        PEP 503-normalised before the lookup. Entries are ordered by advisory id."""
        stored = {name: normalize_name(ecosystem, name) for name in names}
        found = self._entries(ecosystem, set(stored.values()))
        return {asked: list(found[key]) for asked, key in stored.items() if found.get(key)}

    def advisories(self, ids: Collection[str]) -> dict[str, Advisory]:
        """The records of ``ids``; unknown ids are absent."""
        result: dict[str, Advisory] = {}
        for chunk in _chunks(sorted(set(ids))):
            for row in self._query(_ADVISORIES.format(_marks(chunk)), chunk):
                result[row[0]] = _advisory(row)
        return result

    def _entries(self, ecosystem: str, names: set[str]) -> dict[str, tuple[Affected, ...]]:
        found: dict[str, tuple[Affected, ...]] = {}
        with self._lock:
            for name in names:
                hit = self._cache.get((ecosystem, name))
                if hit is not None:
                    self._cache.move_to_end((ecosystem, name))
                    found[name] = hit
        missing = sorted(names - found.keys())
        fetched: dict[str, list[Affected]] = {name: [] for name in missing}
        for chunk in _chunks(missing):
            for row in self._query(_LOOKUP.format(_marks(chunk)), [ecosystem, *chunk]):
                fetched[row[0]].append(_affected(ecosystem, row))
        with self._lock:
            for name, entries in fetched.items():
                found[name] = self._cache[(ecosystem, name)] = tuple(entries)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return found

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _read_info(self) -> DbInfo:
        try:
            meta = {k: json.loads(v) for k, v in self._db.execute("SELECT k, v FROM meta")}
            return DbInfo(
                self.digest, self.path, int(meta["schema_version"]), meta["built_at"],
                meta["newest_modified"], int(meta["records"]), int(meta["affected"]),
                dict(meta["ecosystems"]), dict(meta["skipped"]),
                tuple(SourceStats.from_json(s) for s in meta["sources"]))
        except (sqlite3.DatabaseError, ValueError, KeyError, TypeError) as exc:
            raise NotADatabase(f"{self.path} is not a vulnerability database: {exc}") from None


def schema_version_of(path: Path) -> int:
    """The schema version a database file declares; raises NotADatabase."""
    db = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        row = db.execute("SELECT v FROM meta WHERE k = 'schema_version'").fetchone()
        return int(json.loads(row[0]))
    except (sqlite3.DatabaseError, ValueError, TypeError) as exc:
        raise NotADatabase(f"{path} is not a vulnerability database: {exc}") from None
    finally:
        db.close()


def _open(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise NotADatabase(f"{path} does not exist")
    version = schema_version_of(path)
    if version != SCHEMA_VERSION:
        raise NotADatabase(f"{path} has schema {version}, this code reads {SCHEMA_VERSION}")
    return sqlite3.connect(read_only_uri(path), uri=True, check_same_thread=False)


def _affected(ecosystem: str, row: Sequence[Any]) -> Affected:
    name, adv_id, ranges, versions, vendor_severity = row
    return Affected(
        advisory_id=adv_id, ecosystem=ecosystem, name=name,
        ranges=tuple(Range(kind, tuple((k, v) for k, v in events))
                     for kind, events in json.loads(ranges)),
        versions=tuple(json.loads(versions)), vendor_severity=vendor_severity)


def _advisory(row: Sequence[Any]) -> Advisory:
    adv_id, aliases, summary, details, published, modified, severity, refs = row
    return Advisory(
        id=adv_id, aliases=tuple(json.loads(aliases)), summary=summary, details=details,
        published=published, modified=modified,
        severity=tuple((kind, score) for kind, score in json.loads(severity)),
        references=tuple(json.loads(refs)))


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _marks(chunk: Sequence[str]) -> str:
    return ",".join("?" * len(chunk))
