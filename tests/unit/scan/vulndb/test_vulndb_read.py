"""VulnDb: lookups and advisories come back as the model's dataclasses, in any number."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from berth.scan.match import match
from berth.scan.model import OS, PYTHONPKG, Advisory, Affected, Package, Range
from berth.scan.vulndb import NotADatabase, VulnDb, build

from .osv_records import NOW, entry, fixed, record, write_dir, write_zip

GLIBC = record(
    "DSA-5514-1",
    entry("Debian:12", "glibc", fixed("2.36-9+deb12u3"), versions=["2.36-9", "2.36-9+deb12u1"],
          ecosystem_specific={"urgency": "high"}),
    entry("Debian:11", "glibc", fixed("2.31-13+deb11u7")),
    modified="2025-02-03T04:05:06Z", published="2023-10-03T00:00:00Z",
    aliases=["CVE-2023-4911"], summary="glibc security update", details="Buffer overflow.",
    severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"}],
    references=[{"type": "ADVISORY", "url": "https://www.debian.org/security/2023/dsa-5514"}])


@pytest.fixture
def db(tmp_path: Path) -> VulnDb:
    many = [record(f"GHSA-{n:04d}", entry("npm", f"pkg-{n}", fixed("1.0.0", "SEMVER")))
            for n in range(0, 1200, 3)]
    built = build([write_dir(tmp_path / "osv", GLIBC), write_zip(tmp_path / "npm.zip", *many)],
                  tmp_path / "out", now=NOW)
    return VulnDb(built.path)


def test_lookup_returns_affected_entries_of_the_model(db: VulnDb) -> None:
    found = db.lookup("Debian:12", ["glibc", "bash"])
    assert found == {"glibc": [Affected(
        advisory_id="DSA-5514-1", ecosystem="Debian:12", name="glibc",
        ranges=(Range("ECOSYSTEM", (("introduced", "0"), ("fixed", "2.36-9+deb12u3"))),),
        versions=("2.36-9", "2.36-9+deb12u1"), vendor_severity="high")]}
    assert db.lookup("Debian:11", ["glibc"])["glibc"][0].vendor_severity is None
    assert db.lookup("Debian:12", []) == {}
    assert db.lookup("Alpine:v3.20", ["glibc"]) == {}


def test_advisories_returns_the_records_of_the_model(db: VulnDb) -> None:
    assert db.advisories(["DSA-5514-1", "NOPE-1"]) == {"DSA-5514-1": Advisory(
        id="DSA-5514-1", aliases=("CVE-2023-4911",), summary="glibc security update",
        details="Buffer overflow.", published="2023-10-03T00:00:00Z",
        modified="2025-02-03T04:05:06Z",
        severity=(("CVSS_V3", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"),),
        references=("https://www.debian.org/security/2023/dsa-5514",))}
    assert db.advisories([]) == {}


def test_more_names_than_one_query_holds(db: VulnDb) -> None:
    names = [f"pkg-{n}" for n in range(1200)]
    first = db.lookup("npm", names)
    assert sorted(first) == sorted(f"pkg-{n}" for n in range(0, 1200, 3))
    assert db.lookup("npm", names) == first  # again, from the cache
    ids = [f"GHSA-{n:04d}" for n in range(0, 1200, 3)]
    assert set(db.advisories(ids)) == set(ids)


def test_a_small_cache_still_answers_right(tmp_path: Path, db: VulnDb) -> None:
    small = VulnDb(db.path, cache_size=5)
    names = [f"pkg-{n}" for n in range(30)]
    assert small.lookup("npm", names) == db.lookup("npm", names)
    assert small.lookup("npm", names[:3]) == db.lookup("npm", names[:3])
    small.close()


def test_info_describes_the_file(db: VulnDb) -> None:
    info = db.info()
    assert info.digest == db.digest and info.digest and info.digest.startswith("sha256:")
    assert (info.records, info.affected, info.schema_version) == (401, 402, 1)
    assert info.ecosystems == {"Debian:11": 1, "Debian:12": 1, "npm": 400}
    assert info.newest_modified == "2025-02-03T04:05:06Z"
    assert [(s.name.split("/")[-1], s.members, s.loaded) for s in info.sources] == [
        ("osv", 1, 1), ("npm.zip", 400, 400)]


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.sqlite").write_text("hello")
    with pytest.raises(NotADatabase):
        VulnDb(tmp_path / "x.sqlite")
    sqlite3.connect(tmp_path / "other.sqlite").execute("CREATE TABLE t(x)").connection.close()
    with pytest.raises(NotADatabase):
        VulnDb(tmp_path / "other.sqlite")
    with pytest.raises(NotADatabase):
        VulnDb(tmp_path / "missing.sqlite")


def test_the_matcher_runs_on_a_built_database(tmp_path: Path) -> None:
    """scanning.md §6.6 cases through build -> VulnDb -> match: a later fix matches, an
    earlier one (u4 < u14, which a lexical comparison gets wrong) does not, another
    release's entry does not, a withdrawn record does not; PyPI is asked normalised."""
    later = record("TEST-0001", entry("Debian:12", "glibc", fixed("2.36-9+deb12u15")),
                   aliases=["CVE-2099-0001"])
    earlier = record("TEST-0002", entry("Debian:12", "glibc", fixed("2.36-9+deb12u4")))
    other_release = record("TEST-0003", entry("Debian:11", "glibc", fixed("2.36-9+deb12u99")))
    withdrawn = record("TEST-0004", entry("Debian:12", "glibc", fixed("2.36-9+deb12u99")),
                       withdrawn="2025-01-01T00:00:00Z")
    pypi = record("TEST-0005", entry("PyPI", "Jinja2", fixed("3.1.5")))
    built = build([write_dir(tmp_path / "osv", later, earlier, other_release, withdrawn,
                             pypi)], tmp_path / "out", now=NOW)
    libc = Package(ecosystem="Debian:12", name="libc6", version="2.36-9+deb12u14",
                   package_manager=OS, purl_type="deb", path="var/lib/dpkg/status",
                   layer="sha256:" + "a" * 64, source_name="glibc")
    jinja = Package(ecosystem="PyPI", name="jinja2", version="3.1.4", package_manager=PYTHONPKG,
                    purl_type="pypi", path="app/METADATA", layer="sha256:" + "b" * 64)
    with VulnDb(built.path) as db:
        result = match([libc, jinja], db.lookup, db.advisories)
    assert sorted((f.vulnerability_id, f.fixed_version) for f in result.findings) == [
        ("CVE-2099-0001", "2.36-9+deb12u15"), ("TEST-0005", "3.1.5")]
