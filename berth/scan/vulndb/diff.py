"""Which packages a database switch concerns: the input of continuous rescans.

A key (ecosystem, name) changed when the set of (advisory id, modified, ranges,
versions) of its affected rows differs between two databases: an advisory naming it
was added, removed, or modified. Each database's ``pkg`` table already holds, per key,
the row count and the sum of the rows' 40-bit fingerprints (berth.scan.vulndb.schema),
so the diff is one SQL join of the two ``pkg`` tables, with the old file ATTACHed to a
private connection of the new one; nothing is loaded into Python but the answer.
"""

from __future__ import annotations

import sqlite3

from berth.scan.vulndb.read import VulnDb
from berth.scan.vulndb.schema import read_only_uri

_ALL = "SELECT ecosystem, name FROM pkg"
_CHANGED = """
SELECT n.ecosystem, n.name FROM main.pkg n
  LEFT JOIN old.pkg o ON o.ecosystem = n.ecosystem AND o.name = n.name
  WHERE o.n IS NULL OR o.n != n.n OR o.fp != n.fp
UNION ALL
SELECT o.ecosystem, o.name FROM old.pkg o
  WHERE NOT EXISTS (SELECT 1 FROM main.pkg n WHERE n.ecosystem = o.ecosystem
                                              AND n.name = o.name)
"""


def changed_keys(old: VulnDb | None, new: VulnDb) -> set[tuple[str, str]]:
    """The (ecosystem, name) keys whose advisories differ between ``old`` and ``new``;
    every key of ``new`` when ``old`` is None; nothing when both are the same file."""
    if old is not None and old.digest is not None and old.digest == new.digest:
        return set()
    db = sqlite3.connect(read_only_uri(new.path), uri=True)
    try:
        if old is None:
            return set(db.execute(_ALL))
        db.execute("ATTACH DATABASE ? AS old", (read_only_uri(old.path),))
        return set(db.execute(_CHANGED))
    finally:
        db.close()
