"""The vulnerability database file: its SQLite schema, its name, its fingerprints.

One file per database version, built once and never written again::

    meta      k TEXT PRIMARY KEY, v TEXT                  every v is JSON
              schema_version  int        SCHEMA_VERSION of the builder
              built_at        str        RFC 3339 UTC, the ``now`` given to build()
              newest_modified str|null   the newest OSV ``modified`` kept, RFC 3339 UTC
              records         int        advisory rows
              affected        int        affected rows
              ecosystems      {eco: n}   advisories naming each ecosystem
              skipped         {reason: n}
              sources         [{name, members, loaded, skipped: {reason: n}}]

    advisory  rec INTEGER PRIMARY KEY     load order; affected.rec points here
              id TEXT NOT NULL            UNIQUE index advisory_id
              modified TEXT NOT NULL      as written in the record
              published TEXT, summary TEXT, details TEXT (capped)
              severity TEXT               JSON [[type, score], ...]
              aliases TEXT                JSON [alias, ...]  (aliases + upstream)
              refs TEXT                   JSON [url, ...]

    affected  rec INTEGER                 -> advisory.rec
              ecosystem TEXT, name TEXT   INDEX affected_key(ecosystem, name, fp);
                                          PyPI names PEP 503-normalised
              ranges TEXT                 JSON [[type, [[kind, version], ...]], ...], no GIT
              versions TEXT               JSON [version, ...]
              vendor_severity TEXT        urgency / severity as the source wrote it, or NULL
              fp INTEGER                  row_fingerprint(id, modified, ranges, versions)

    pkg       ecosystem TEXT, name TEXT   PRIMARY KEY, WITHOUT ROWID
              n INTEGER, fp INTEGER       count(*) and sum(fp) of the key's affected rows

The file's sha256 cannot live inside it, so it lives in its name:
``vulndb-<64 hex>.sqlite`` (see ``file_name``); a database's id is ``sha256:<hex>``.
``pkg`` makes diffs between versions a join over one row per (ecosystem, name): a
key changed when its row count or fingerprint sum differs (see berth.scan.vulndb.diff).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

SCHEMA_VERSION = 1

CREATE_TABLES = (
    "CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT NOT NULL)",
    "CREATE TABLE advisory(rec INTEGER PRIMARY KEY, id TEXT NOT NULL, modified TEXT NOT NULL,"
    " published TEXT, summary TEXT NOT NULL, details TEXT NOT NULL, severity TEXT NOT NULL,"
    " aliases TEXT NOT NULL, refs TEXT NOT NULL)",
    "CREATE TABLE affected(rec INTEGER NOT NULL, ecosystem TEXT NOT NULL, name TEXT NOT NULL,"
    " ranges TEXT NOT NULL, versions TEXT NOT NULL, vendor_severity TEXT, fp INTEGER NOT NULL)",
    "CREATE TABLE pkg(ecosystem TEXT NOT NULL, name TEXT NOT NULL, n INTEGER NOT NULL,"
    " fp INTEGER NOT NULL, PRIMARY KEY(ecosystem, name)) WITHOUT ROWID",
)

# Created after the load: building an index once over sorted data beats keeping it
# up to date row by row. affected_key holds fp so that FILL_PKG reads only the index.
CREATE_INDEXES = (
    "CREATE UNIQUE INDEX advisory_id ON advisory(id)",
    "CREATE INDEX affected_key ON affected(ecosystem, name, fp)",
)

FILL_PKG = ("INSERT INTO pkg SELECT ecosystem, name, count(*), sum(fp) FROM affected"
            " GROUP BY ecosystem, name")

_NAME = re.compile(r"vulndb-([0-9a-f]{64})\.sqlite")

# 40 bits: the per-key sums stay far from SQLite's 63-bit overflow even for keys
# with millions of rows, and a change goes unseen with odds of about 1 in 10^12.
_FP_BYTES = 5


def file_name(digest: str) -> str:
    """The content name of a database whose sha256 is ``digest`` (``sha256:<hex>``)."""
    algorithm, _, hexdigest = digest.partition(":")
    if algorithm != "sha256" or not re.fullmatch(r"[0-9a-f]{64}", hexdigest):
        raise ValueError(f"not a sha256 digest: {digest!r}")
    return f"vulndb-{hexdigest}.sqlite"


def digest_of_name(name: str) -> str | None:
    """``sha256:<hex>`` for a content-named file name, else None."""
    found = _NAME.fullmatch(name)
    return f"sha256:{found.group(1)}" if found else None


def read_only_uri(path: Path) -> str:
    """A SQLite URI that opens ``path`` read-only, promising SQLite the file never
    changes (no locks, no journal lookups)."""
    return f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"


def row_fingerprint(adv_id: str, modified: str, ranges: str, versions: str) -> int:
    """A 40-bit hash of what makes an affected row match or not (ranges, versions) and
    of the record version it belongs to (id, modified)."""
    text = "\0".join((adv_id, modified, ranges, versions)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=_FP_BYTES).digest(), "big")


@dataclass(frozen=True, slots=True)
class SourceStats:
    """What one import source gave: JSON documents read, records stored from it (a later
    newer duplicate may replace one), and documents or entries left out by reason."""

    name: str
    members: int
    loaded: int
    skipped: Mapping[str, int]

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "members": self.members, "loaded": self.loaded,
                "skipped": dict(self.skipped)}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> SourceStats:
        return cls(str(value["name"]), int(value["members"]), int(value["loaded"]),
                   {str(k): int(v) for k, v in value["skipped"].items()})
