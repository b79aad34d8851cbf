"""changed_keys: the (ecosystem, name) keys a database switch concerns, and no others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from berth.scan.vulndb import VulnDb, build, changed_keys

from .osv_records import NOW, entry, fixed, record, write_dir

BASE = {
    "A": record("DSA-1", entry("Debian:12", "openssl", fixed("3.0.13-1")),
                entry("Debian:11", "openssl", fixed("1.1.1w-0")), modified="2025-01-01T00:00:00Z"),
    "B": record("DSA-2", entry("Debian:12", "curl", fixed("7.88.1-10")),
                modified="2025-01-02T00:00:00Z"),
    "C": record("GHSA-3", entry("npm", "lodash", fixed("4.17.21", "SEMVER")),
                entry("npm", "underscore", fixed("1.13.0", "SEMVER"))),
    "D": record("PYSEC-4", entry("PyPI", "requests", fixed("2.31.0"))),
}


def _db(tmp_path: Path, tag: str, records: dict[str, dict[str, Any]]) -> VulnDb:
    source = write_dir(tmp_path / f"src-{tag}", *records.values())
    return VulnDb(build([source], tmp_path / "out", now=NOW).path)


def test_from_nothing_every_key_changed(tmp_path: Path) -> None:
    assert changed_keys(None, _db(tmp_path, "a", BASE)) == {
        ("Debian:12", "openssl"), ("Debian:11", "openssl"), ("Debian:12", "curl"),
        ("npm", "lodash"), ("npm", "underscore"), ("PyPI", "requests")}


def test_the_same_content_changes_nothing(tmp_path: Path) -> None:
    old, new = _db(tmp_path, "a", BASE), _db(tmp_path, "b", BASE)
    assert changed_keys(old, new) == set()
    rebuilt = build([write_dir(tmp_path / "src-c", *BASE.values())], tmp_path / "other",
                    now=NOW.replace(year=2027))   # another file, same advisories
    assert changed_keys(old, VulnDb(rebuilt.path)) == set()


def test_added_removed_and_modified_records(tmp_path: Path) -> None:
    changed = dict(BASE)
    del changed["B"]                                                   # removed
    changed["E"] = record("DSA-5", entry("Debian:12", "bash", fixed("5.2.15-2")))  # added
    changed["C"] = {**BASE["C"], "modified": "2025-06-01T00:00:00Z"}   # modified only
    changed["A"] = record("DSA-1", entry("Debian:12", "openssl", fixed("3.0.14-1")),
                          entry("Debian:11", "openssl", fixed("1.1.1w-0")),
                          modified="2025-01-01T00:00:00Z")             # one range changed
    old, new = _db(tmp_path, "a", BASE), _db(tmp_path, "b", changed)
    expected = {("Debian:12", "curl"), ("Debian:12", "bash"), ("npm", "lodash"),
                ("npm", "underscore"), ("Debian:12", "openssl")}
    assert changed_keys(old, new) == expected
    assert changed_keys(new, old) == expected


def test_a_key_changes_when_another_advisory_names_it(tmp_path: Path) -> None:
    more = {**BASE, "F": record("DLA-6", entry("Debian:11", "openssl", fixed("1.1.1w-0")))}
    assert changed_keys(_db(tmp_path, "a", BASE), _db(tmp_path, "b", more)) == {
        ("Debian:11", "openssl")}


def test_versions_lists_count(tmp_path: Path) -> None:
    listed = {**BASE, "D": record("PYSEC-4", entry("PyPI", "requests", fixed("2.31.0"),
                                                   versions=["2.30.0"]))}
    assert changed_keys(_db(tmp_path, "a", BASE), _db(tmp_path, "b", listed)) == {
        ("PyPI", "requests")}
