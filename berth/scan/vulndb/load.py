"""Write parsed records into a fresh SQLite file, fast (berth.scan.vulndb.schema).

The file is new and private until it is renamed into place, so durability while
writing buys nothing: no journal, no syncs, one transaction, batched inserts, and the
indexes built once at the end. A newer duplicate replaces an older one by deleting
the older's rows in one pass just before the indexes are built.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import TracebackType

from berth.scan.vulndb.osv import Record, key_text
from berth.scan.vulndb.schema import CREATE_INDEXES, CREATE_TABLES, FILL_PKG, SCHEMA_VERSION

BATCH = 2000  # records per executemany

_PRAGMAS = (
    "PRAGMA journal_mode=OFF",
    "PRAGMA synchronous=OFF",
    "PRAGMA locking_mode=EXCLUSIVE",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA cache_size=-65536",  # KiB: index builds sort in memory
)
_INSERT_ADVISORY = "INSERT INTO advisory VALUES (?,?,?,?,?,?,?,?,?)"
_INSERT_AFFECTED = "INSERT INTO affected VALUES (?,?,?,?,?,?,?)"
_AdvisoryRow = tuple[int, str, str, str | None, str, str, str, str, str]
_AffectedRow = tuple[int, str, str, str, str, str | None, int]


class Added(Enum):
    NEW = "new"
    REPLACED = "replaced"
    OLDER = "older"


class Loader:
    """Accumulates records into a new database file at ``path`` (which must not exist).

    Use as a context manager; call ``finish`` once, last. Not thread-safe.
    """

    @dataclass(frozen=True, slots=True)
    class Summary:
        records: int
        affected: int
        newest_modified: str | None

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        for statement in (*_PRAGMAS, *CREATE_TABLES, "BEGIN"):
            self._db.execute(statement)
        self._advisories: list[_AdvisoryRow] = []
        self._affected: list[_AffectedRow] = []
        # id -> (modified_key, rec, ecosystems): tuples of str and int only, which the
        # cyclic GC stops tracking; 10^5 tracked sets here made collections cost 15%
        self._seen: dict[str, tuple[str, int, tuple[str, ...]]] = {}
        self._replaced: list[int] = []
        self._ecosystems: Counter[str] = Counter()  # records per ecosystem
        self._newest = ""  # the greatest modified_key

    def __enter__(self) -> Loader:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._db.close()

    def add(self, record: Record) -> Added:
        """Queue a record: NEW; REPLACED when it replaces an older copy of its id; OLDER,
        storing nothing, when a copy with the same or a newer ``modified`` is there."""
        earlier = self._seen.get(record.id)
        if earlier is not None:
            if record.modified_key <= earlier[0]:
                return Added.OLDER
            self._replaced.append(earlier[1])
            self._ecosystems.subtract(earlier[2])
        rec = len(self._seen) + len(self._replaced) + 1
        ecosystems = tuple({row.ecosystem: None for row in record.affected})
        self._ecosystems.update(ecosystems)
        self._seen[record.id] = (record.modified_key, rec, ecosystems)
        self._newest = max(self._newest, record.modified_key)
        self._advisories.append((rec, record.id, record.modified, record.published,
                                 record.summary, record.details, record.severity,
                                 record.aliases, record.refs))
        self._affected.extend((rec, *row) for row in record.affected)
        if len(self._advisories) >= BATCH:
            self._flush()
        return Added.NEW if earlier is None else Added.REPLACED

    def finish(self, built_at: str, sources: Sequence[Mapping[str, object]],
               skipped: Mapping[str, int]) -> Summary:
        """Drop replaced records, build indexes and the ``pkg`` table, write ``meta``,
        ANALYZE, commit and close."""
        self._flush()
        self._drop_replaced()
        for statement in (*CREATE_INDEXES, FILL_PKG):
            self._db.execute(statement)
        summary = self.Summary(self._count("advisory"), self._count("affected"),
                               key_text(self._newest) if self._newest else None)
        self._write_meta(summary, built_at, sources, skipped)
        self._db.execute("ANALYZE")
        self._db.execute("COMMIT")
        self._db.close()
        return summary

    def _flush(self) -> None:
        self._db.executemany(_INSERT_ADVISORY, self._advisories)
        self._db.executemany(_INSERT_AFFECTED, self._affected)
        self._advisories.clear()
        self._affected.clear()

    def _drop_replaced(self) -> None:
        if not self._replaced:
            return
        self._db.execute("CREATE TEMP TABLE replaced(rec INTEGER PRIMARY KEY)")
        self._db.executemany("INSERT INTO replaced VALUES (?)", [(r,) for r in self._replaced])
        for table in ("advisory", "affected"):
            self._db.execute(f"DELETE FROM {table} WHERE rec IN (SELECT rec FROM replaced)")
        self._db.execute("DROP TABLE replaced")

    def _count(self, table: str) -> int:
        return int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def _write_meta(self, summary: Summary, built_at: str,
                    sources: Sequence[Mapping[str, object]], skipped: Mapping[str, int]) -> None:
        ecosystems = {name: n for name, n in sorted(self._ecosystems.items()) if n}
        meta = {"schema_version": SCHEMA_VERSION, "built_at": built_at,
                "newest_modified": summary.newest_modified, "records": summary.records,
                "affected": summary.affected, "ecosystems": ecosystems,
                "skipped": dict(sorted(skipped.items())), "sources": list(sources)}
        self._db.executemany("INSERT INTO meta VALUES (?, ?)",
                             [(k, json.dumps(v, sort_keys=True)) for k, v in meta.items()])
