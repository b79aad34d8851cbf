"""build(): OSV zips and directories in, one content-named SQLite file out; what it
keeps, normalises and refuses, and that nothing stops an import but a bad source."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

import pytest

from berth.scan.model import Range
from berth.scan.vulndb import SourceError, VulnDb, build, builder
from berth.scan.vulndb.osv import DETAILS_CAP

from .osv_records import NOW, ecosystem_range, entry, fixed, record, write_dir, write_zip

OPENSSL = record("DEBIAN-CVE-2024-0001",
                 entry("Debian:12", "openssl", fixed("3.0.13-1~deb12u1"),
                       versions=["3.0.11-1~deb12u2"], ecosystem_specific={"urgency": "low"}),
                 upstream=["CVE-2024-0001"])
REQUESTS = record("PYSEC-2023-74",
                  entry("PyPI", "requests",
                        {"type": "GIT", "repo": "https://github.com/psf/requests",
                         "events": [{"introduced": "0"}, {"fixed": "74ea7cf"}]},
                        fixed("2.31.0"), versions=["2.30.0"]),
                  aliases=["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"])


def test_a_directory_is_imported_recursively(tmp_path: Path) -> None:
    source = write_dir(tmp_path / "osv", OPENSSL, REQUESTS, record(
        "GHSA-1", entry("npm", "lodash", fixed("4.17.21", "SEMVER"))))
    result = build([source], tmp_path / "out", now=NOW)
    assert result.records == 3 and result.affected == 3 and result.skipped == {}
    assert result.path.parent == tmp_path / "out"
    with VulnDb(result.path) as db:
        assert set(db.lookup("npm", ["lodash"])) == {"lodash"}  # it was in sub/
        info = db.info()
    assert info.ecosystems == {"Debian:12": 1, "PyPI": 1, "npm": 1}
    assert info.built_at == "2026-03-01T12:00:00Z"
    assert info.newest_modified == "2025-01-01T00:00:00Z"
    assert [s.name for s in info.sources] == [f"{tmp_path.name}/osv"]


def test_a_zip_is_imported_and_the_file_is_named_by_its_sha256(tmp_path: Path) -> None:
    result = build([write_zip(tmp_path / "Debian:12" / "all.zip", OPENSSL, REQUESTS)],
                   tmp_path / "out", now=NOW)
    hexdigest = hashlib.sha256(result.path.read_bytes()).hexdigest()
    assert result.digest == f"sha256:{hexdigest}"
    assert result.path.name == f"vulndb-{hexdigest}.sqlite"
    assert [(s.name, s.members, s.loaded) for s in result.sources] == [
        ("Debian:12/all.zip", 2, 2)]
    assert [p.name for p in (tmp_path / "out").iterdir()] == [result.path.name]


def test_the_same_input_gives_the_same_file_with_or_without_workers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    many = [record(f"GHSA-{n}", entry("npm", f"pkg{n % 7}", fixed(f"1.{n}.0", "SEMVER")),
                   modified=f"2025-01-{1 + n % 28:02d}T00:00:00Z") for n in range(2500)]
    source = write_zip(tmp_path / "all.zip", *many, b"{not json")
    monkeypatch.setattr(builder, "PARALLEL_FROM", 0)
    seen: list[tuple[int, int | None]] = []
    parallel = build([source], tmp_path / "a", now=NOW, workers=2,
                     progress=lambda done, total: seen.append((done, total)))
    inline = build([source], tmp_path / "b", now=NOW, workers=0)
    assert parallel.digest == inline.digest and parallel.records == 2500
    assert parallel.skipped == {"malformed_json": 1}
    assert seen == [(1000, 2501), (2000, 2501), (2501, 2501)]


def test_withdrawn_records_are_skipped_and_counted(tmp_path: Path) -> None:
    gone = record("GHSA-gone", entry("npm", "left-pad", fixed("1.0.1", "SEMVER")),
                  withdrawn="2025-02-01T00:00:00Z")
    result = build([write_dir(tmp_path / "osv", gone, REQUESTS)], tmp_path / "out", now=NOW)
    assert result.records == 1 and result.skipped == {"withdrawn": 1}
    assert result.sources[0].skipped == {"withdrawn": 1}


def test_bare_distro_ecosystems_are_never_stored(tmp_path: Path) -> None:
    bare_only = record("DEBIAN-CVE-2024-0002", entry("Debian", "bash", fixed("5.2-1")))
    mixed = record("DSA-5000-1", entry("Debian", "curl", fixed("7.88-1")),
                   entry("Debian:12", "curl", fixed("7.88.1-10+deb12u5")),
                   entry("Alpine", "curl", fixed("8.0-r0")),
                   entry("Ubuntu", "curl", fixed("8.0-1")))
    result = build([write_dir(tmp_path / "osv", bare_only, mixed)], tmp_path / "out", now=NOW)
    assert result.records == 1 and result.affected == 1
    assert result.skipped == {"bare_distro_ecosystem": 1, "affected_bare_distro": 3}
    with VulnDb(result.path) as db:
        assert db.lookup("Debian", ["curl", "bash"]) == {}
        assert [a.advisory_id for a in db.lookup("Debian:12", ["curl"])["curl"]] == ["DSA-5000-1"]
        assert db.info().ecosystems == {"Debian:12": 1}


def test_pypi_names_are_stored_pep503_normalised(tmp_path: Path) -> None:
    odd = record("PYSEC-1", entry("PyPI", "Zope.Interface__Extra", fixed("2.0")))
    other = record("GHSA-2", entry("npm", "Some_Pkg", fixed("2.0.0", "SEMVER")))
    result = build([write_dir(tmp_path / "osv", odd, other)], tmp_path / "out", now=NOW)
    with VulnDb(result.path) as db:
        asked = ["zope-interface-extra", "ZOPE_interface.-extra", "zope.interface"]
        found = db.lookup("PyPI", asked)
        assert set(found) == set(asked[:2])
        assert found["ZOPE_interface.-extra"][0].name == "zope-interface-extra"
        assert set(db.lookup("npm", ["Some_Pkg", "some-pkg"])) == {"Some_Pkg"}  # npm: as is


@pytest.mark.parametrize("newer_first", [True, False])
def test_duplicate_ids_the_newest_modified_wins(tmp_path: Path, newer_first: bool) -> None:
    old = record("GHSA-dup", entry("npm", "a", fixed("1.0.0", "SEMVER")),
                 modified="2025-01-01T00:00:00Z", summary="old")
    new = record("GHSA-dup", entry("npm", "b", fixed("2.0.0", "SEMVER")),
                 modified="2025-01-01T00:00:00.5+00:00", summary="new")
    first, second = (new, old) if newer_first else (old, new)
    sources = [write_zip(tmp_path / "one.zip", first, REQUESTS),
               write_zip(tmp_path / "two.zip", second)]
    result = build(sources, tmp_path / "out", now=NOW)
    assert result.records == 2 and result.skipped == {"duplicate": 1}
    assert result.newest_modified == "2025-01-01T00:00:00.500000Z"
    with VulnDb(result.path) as db:
        assert db.advisories(["GHSA-dup"])["GHSA-dup"].summary == "new"
        assert db.lookup("npm", ["a", "b"]).keys() == {"b"}
        assert db.info().ecosystems == {"npm": 1, "PyPI": 1}


def test_an_equal_duplicate_keeps_the_first(tmp_path: Path) -> None:
    a = record("GHSA-dup", entry("npm", "a", fixed("1.0.0", "SEMVER")), summary="first")
    b = {**a, "summary": "second"}
    result = build([write_zip(tmp_path / "1.zip", a), write_zip(tmp_path / "2.zip", b)],
                   tmp_path / "out", now=NOW)
    with VulnDb(result.path) as db:
        assert db.advisories(["GHSA-dup"])["GHSA-dup"].summary == "first"
    assert [s.skipped for s in result.sources] == [{}, {"duplicate": 1}]


def test_bad_documents_are_counted_per_source_and_never_fatal(tmp_path: Path) -> None:
    bad: list[Any] = [b"{not json", b"\xff\xfe", b"[1, 2]", b"[" * 100_000,
           record("X-1", entry("npm", "a", fixed("1", "SEMVER")), affected="nope"),
           record("X-2", entry("npm", 7, fixed("1", "SEMVER"))),
           record("X-3", entry("npm", "a", ecosystem_range(("fixed", 1)))),
           record("X-4", entry("npm", "a", versions=[1, "2"])),
           record("X-5", entry("npm", "a"), aliases="CVE-1"),
           record("X-6", entry("npm", "a"), modified="yesterday"),
           {"modified": "2025-01-01T00:00:00Z", "affected": []},
           {"id": "X-7", "affected": []},
           record("X-8"),
           record("X-9", {"ranges": []}),
           record("X-10", {"ranges": []}, entry("npm", "a", fixed("1", "SEMVER")))]
    zipped = write_zip(tmp_path / "all.zip", *bad, OPENSSL)
    result = build([zipped, write_dir(tmp_path / "osv", *bad, REQUESTS)], tmp_path / "out",
                   now=NOW)
    expected = {"malformed_json": 3, "invalid_record": 6, "invalid_modified": 1,
                "missing_id": 1, "missing_modified": 1, "no_affected": 2,
                "affected_no_package": 1}
    assert [s.skipped for s in result.sources] == [expected, {**expected, "duplicate": 1}]
    assert [s.loaded for s in result.sources] == [2, 1]  # X-10 twice: one copy is kept
    assert result.records == 3
    assert result.skipped == {**{k: 2 * v for k, v in expected.items()}, "duplicate": 1}


def test_a_corrupt_zip_member_is_counted_as_unreadable(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "all.zip", OPENSSL, REQUESTS, compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    at = data.index(b"openssl")
    data[at:at + 7] = b"OPENSSL"  # the CRC no longer matches
    path.write_bytes(bytes(data))
    result = build([path], tmp_path / "out", now=NOW)
    assert result.records == 1 and result.skipped == {"unreadable": 1}


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_LZMA])
def test_zips_compressed_otherwise_are_read_too(tmp_path: Path, compression: int) -> None:
    path = write_zip(tmp_path / "all.zip", OPENSSL, REQUESTS, compression=compression)
    assert build([path], tmp_path / "out", now=NOW).records == 2


@pytest.mark.parametrize("kind", ["missing", "not a zip"])
def test_a_bad_source_fails_before_anything_is_written(tmp_path: Path, kind: str) -> None:
    good = write_zip(tmp_path / "good.zip", OPENSSL)
    bad = tmp_path / "bad.zip"
    if kind == "not a zip":
        bad.write_text("hello")
    with pytest.raises(SourceError, match=r"bad\.zip"):
        build([good, bad], tmp_path / "out", now=NOW)
    assert not (tmp_path / "out").exists()


def test_what_is_stored_for_an_advisory_and_its_entries(tmp_path: Path) -> None:
    ubuntu = record(
        "UBUNTU-CVE-2024-1", entry("Ubuntu:22.04:LTS", "zlib", fixed("1:1.2.11-1ubuntu1")),
        entry("Ubuntu:24.04:LTS", "zlib", fixed("1:1.3-1"),
              ecosystem_specific={"severity": "high"}),
        severity=[{"type": "Ubuntu", "score": "medium"},
                  {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
        upstream=["CVE-2024-1"], aliases=["CVE-2024-1", "USN-1"], summary="zlib bug",
        details="d" * (DETAILS_CAP + 10), published="2024-01-01T00:00:00Z",
        references=[{"type": "WEB", "url": "https://ubuntu.com/security/CVE-2024-1"}])
    ghsa = record("GHSA-x", entry("npm", "a", fixed("1.0.0", "SEMVER"),
                                  database_specific={"severity": "MODERATE"}),
                  entry("npm", "b", ecosystem_range(("introduced", "1.0.0"),
                                                    ("last_affected", "1.2.0"),
                                                    ("limit", "*"), kind="SEMVER")),
                  database_specific={"severity": "HIGH"})
    result = build([write_dir(tmp_path / "osv", ubuntu, ghsa, REQUESTS)], tmp_path / "out",
                   now=NOW)
    with VulnDb(result.path) as db:
        zlib_22 = db.lookup("Ubuntu:22.04:LTS", ["zlib"])["zlib"][0]
        assert zlib_22.vendor_severity == "medium"   # the record's Ubuntu severity
        assert db.lookup("Ubuntu:24.04:LTS", ["zlib"])["zlib"][0].vendor_severity == "high"
        assert db.lookup("npm", ["a"])["a"][0].vendor_severity == "MODERATE"
        b = db.lookup("npm", ["b"])["b"][0]
        assert b.vendor_severity == "HIGH"   # the record's database_specific
        assert b.ranges == (Range("SEMVER", (("introduced", "1.0.0"), ("last_affected", "1.2.0"),
                                             ("limit", "*"))),)
        assert db.lookup("PyPI", ["requests"])["requests"][0].ranges == (
            Range("ECOSYSTEM", (("introduced", "0"), ("fixed", "2.31.0"))),)  # no GIT
        advisory = db.advisories(["UBUNTU-CVE-2024-1"])["UBUNTU-CVE-2024-1"]
    assert advisory.aliases == ("CVE-2024-1", "USN-1")
    assert len(advisory.details) == DETAILS_CAP
    assert advisory.severity[0] == ("Ubuntu", "medium")
    assert advisory.references == ("https://ubuntu.com/security/CVE-2024-1",)
