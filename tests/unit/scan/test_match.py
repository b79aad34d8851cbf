"""The matching engine on hand-written OSV records: range evaluation, what is asked of
the database, dedupe, severity precedence, fix selection, naming."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence

import pytest

from berth.scan.match import (
    MatchResult,
    match,
    query_name,
    severity_counts,
    vendor_severity,
    vulnerability_ids,
)
from berth.scan.model import OS, PYTHONPKG, Advisory, Affected, Package, Range

V31_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"          # 9.8
V31_MEDIUM = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"            # 5.3
V2_HIGH = "AV:N/AC:L/Au:N/C:P/I:P/A:P"                                 # 7.5
V4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"


def deb(name: str, version: str, source: str | None = None, source_version: str | None = None,
        ecosystem: str = "Debian:12") -> Package:
    return Package(ecosystem=ecosystem, name=name, version=version, package_manager=OS,
                   purl_type="deb", path="var/lib/dpkg/status", layer="sha256:" + "a" * 64,
                   source_name=source, source_version=source_version)


def lang(ecosystem: str, name: str, version: str) -> Package:
    return Package(ecosystem=ecosystem, name=name, version=version,
                   package_manager=PYTHONPKG, purl_type="pypi", path="app/METADATA",
                   layer="sha256:" + "b" * 64)


def fixed_range(*events: tuple[str, str], kind: str = "ECOSYSTEM") -> Range:
    return Range(kind, tuple(events))


def entry(advisory_id: str, name: str, *ranges: Range, versions: Sequence[str] = (),
          ecosystem: str = "Debian:12", vendor: str | None = None) -> Affected:
    return Affected(advisory_id, ecosystem, name, tuple(ranges), tuple(versions), vendor)


def record(advisory_id: str, aliases: Sequence[str] = (), summary: str = "", details: str = "",
           severity: Sequence[tuple[str, str]] = (), references: Sequence[str] = (),
           published: str | None = "2024-01-01T00:00:00Z",
           modified: str = "2024-02-01T00:00:00Z") -> Advisory:
    return Advisory(advisory_id, tuple(aliases), summary, details, published, modified,
                    tuple(severity), tuple(references))


class FakeDb:
    """The vulndb's two callables over lists, recording what they are asked."""

    def __init__(self, entries: Sequence[Affected], records: Sequence[Advisory] = ()) -> None:
        self.entries: dict[tuple[str, str], list[Affected]] = defaultdict(list)
        for e in entries:
            self.entries[(e.ecosystem, e.name)].append(e)
        self.records = {r.id: r for r in records}
        self.lookups: list[tuple[str, tuple[str, ...]]] = []
        self.advisory_calls: list[tuple[str, ...]] = []

    def lookup(self, ecosystem: str, names: Collection[str]) -> Mapping[str, Sequence[Affected]]:
        self.lookups.append((ecosystem, tuple(names)))
        return {n: self.entries[(ecosystem, n)] for n in names
                if (ecosystem, n) in self.entries}

    def advisories(self, ids: Collection[str]) -> Mapping[str, Advisory]:
        self.advisory_calls.append(tuple(ids))
        return {i: self.records[i] for i in ids if i in self.records}

    def match(self, *packages: Package) -> MatchResult:
        return match(packages, self.lookup, self.advisories)


GLIBC_U4 = fixed_range(("introduced", "0"), ("fixed", "2.36-9+deb12u4"))
GLIBC_U11 = fixed_range(("introduced", "0"), ("fixed", "2.36-9+deb12u11"))


def ids(result: MatchResult) -> list[tuple[str, str]]:
    return [(f.vulnerability_id, f.package.name) for f in result.findings]


# --- range evaluation ------------------------------------------------------------------

def test_exact_versions_list() -> None:
    db = FakeDb([entry("DEBIAN-CVE-2024-0001", "zlib", versions=["1:1.2.13.dfsg-1"])])
    assert ids(db.match(deb("zlib1g", "1:1.2.13.dfsg-1", "zlib"))) == [("CVE-2024-0001", "zlib1g")]
    assert db.match(deb("zlib1g", "1:1.2.13.dfsg-2", "zlib")).findings == ()


def test_introduced_fixed() -> None:
    db = FakeDb([entry("DEBIAN-CVE-2024-0002", "glibc", GLIBC_U4)])
    result = db.match(deb("libc6", "2.36-9+deb12u3", "glibc"))
    assert ids(result) == [("CVE-2024-0002", "libc6")]
    assert result.findings[0].fixed_version == "2.36-9+deb12u4"


def test_fixed_equal_to_installed_is_not_affected() -> None:
    db = FakeDb([entry("DEBIAN-CVE-2024-0002", "glibc", GLIBC_U4)])
    assert db.match(deb("libc6", "2.36-9+deb12u4", "glibc")).findings == ()


def test_fix_older_only_as_text_does_not_match() -> None:
    installed = deb("libc6", "2.36-9+deb12u10", "glibc")
    assert FakeDb([entry("DSA-1", "glibc", GLIBC_U4)]).match(installed).findings == ()
    result = FakeDb([entry("DSA-1", "glibc", GLIBC_U11)]).match(installed)
    assert [f.fixed_version for f in result.findings] == ["2.36-9+deb12u11"]


def test_binnmu_matches_through_its_source_version() -> None:
    db = FakeDb([entry("DEBIAN-CVE-2024-0003", "xz-utils", versions=["5.2.15-2"])])
    liblzma = deb("liblzma5", "5.2.15-2+b13", "xz-utils", "5.2.15-2")
    result = db.match(liblzma)
    assert db.lookups == [("Debian:12", ("xz-utils",))]
    assert [f.package for f in result.findings] == [liblzma]


def test_each_release_is_asked_under_its_own_ecosystem() -> None:
    db = FakeDb([entry("DEBIAN-CVE-2024-0004", "openssl", GLIBC_U11, ecosystem="Debian:11")])
    result = db.match(deb("libssl3", "3.0.11-1~deb12u2", "openssl"))
    assert result.findings == ()
    assert db.lookups == [("Debian:12", ("openssl",))]


def test_last_affected() -> None:
    db = FakeDb([entry("GHSA-x", "lib", fixed_range(("introduced", "1.0-1"),
                                                    ("last_affected", "1.2.3-1")))])
    assert db.match(deb("lib", "1.2.3-2")).findings == ()               # just above
    hit = db.match(deb("lib", "1.2.3-1")).findings
    assert [(f.vulnerability_id, f.fixed_version) for f in hit] == [("GHSA-x", None)]
    assert db.match(deb("lib", "0.9-1")).findings == ()                 # before introduced


def test_limit_caps_a_range() -> None:
    db = FakeDb([entry("X-1", "lib", fixed_range(("introduced", "0"), ("limit", "2.0")))])
    assert len(db.match(deb("lib", "1.5")).findings) == 1
    assert db.match(deb("lib", "2.1")).findings == ()
    star = FakeDb([entry("X-1", "lib", fixed_range(("introduced", "1.0"), ("limit", "*")))])
    assert len(star.match(deb("lib", "99")).findings) == 1


def test_several_introduced_fixed_pairs_and_event_order() -> None:
    # events out of order on purpose: evaluation sorts them by version
    r = fixed_range(("fixed", "2.0-5"), ("introduced", "2.0-1"), ("fixed", "1.0-3"),
                    ("introduced", "0"))
    db = FakeDb([entry("X-2", "lib", r)])
    assert [f.fixed_version for f in db.match(deb("lib", "1.0-2")).findings] == ["1.0-3"]
    assert db.match(deb("lib", "1.5-1")).findings == ()
    assert [f.fixed_version for f in db.match(deb("lib", "2.0-3")).findings] == ["2.0-5"]
    assert db.match(deb("lib", "2.0-5")).findings == ()


def test_unfixed_covers_everything_after_introduced() -> None:
    db = FakeDb([entry("DEBIAN-CVE-2024-0005", "lib", fixed_range(("introduced", "0")))])
    found = db.match(deb("lib", "9:99.9-9")).findings
    assert [(f.vulnerability_id, f.fixed_version) for f in found] == [("CVE-2024-0005", None)]


@pytest.mark.parametrize("ranges", [(), (fixed_range(),), (fixed_range(("fixed", "1.0")),)])
def test_empty_or_eventless_ranges_match_nothing(ranges: tuple[Range, ...]) -> None:
    db = FakeDb([entry("X-3", "lib", *ranges)])
    result = db.match(deb("lib", "0.1"))
    assert (result.findings, result.unparsable_versions) == ((), 0)


def test_git_ranges_are_ignored() -> None:
    git = fixed_range(("introduced", "0"), ("fixed", "abc123"), kind="GIT")
    db = FakeDb([entry("PYSEC-1", "requests", git, ecosystem="PyPI")])
    result = db.match(lang("PyPI", "requests", "2.0.0"))
    assert (result.findings, result.skipped_ranges, result.unparsable_versions) == ((), 0, 0)


def test_unparsable_versions_are_counted_and_never_match() -> None:
    db = FakeDb([
        entry("X-4", "lib", fixed_range(("introduced", "0"), ("fixed", "1.0-"))),   # bad fix
        entry("X-5", "lib", fixed_range(("introduced", "0"), ("fixed", "2.0-1"))),
    ])
    result = db.match(deb("lib", "1.5-1"))
    assert ids(result) == [("X-5", "lib")]
    assert (result.unparsable_versions, result.skipped_ranges) == (1, 1)
    garbage = db.match(deb("lib", "not a version"))
    assert garbage.findings == ()
    assert garbage.unparsable_versions == 2          # the installed one and "1.0-"
    assert garbage.skipped_ranges == 2


def test_an_unparsable_installed_version_still_matches_an_exact_listing() -> None:
    db = FakeDb([entry("X-6", "lib", GLIBC_U4, versions=["weird_version"])])
    result = db.match(deb("lib", "weird_version"))
    assert ids(result) == [("X-6", "lib")]
    assert result.unparsable_versions == 1


def test_unsupported_ecosystem_uses_versions_lists_only() -> None:
    gem = fixed_range(("introduced", "0"), ("fixed", "2.0"))
    db = FakeDb([entry("GHSA-r", "rack", gem, versions=["1.5"], ecosystem="RubyGems")])
    assert ids(db.match(lang("RubyGems", "rack", "1.5"))) == [("GHSA-r", "rack")]
    result = db.match(lang("RubyGems", "rack", "1.6"))
    assert result.findings == ()
    assert (result.skipped_ranges, result.unsupported_ecosystems) == (1, ("RubyGems",))


# --- language ecosystems ------------------------------------------------------------------

def test_pypi_names_are_pep503_normalised() -> None:
    r = fixed_range(("introduced", "0"), ("fixed", "3.9.1"))
    db = FakeDb([entry("PYSEC-2", "django-rest-framework", r, ecosystem="PyPI")])
    result = db.match(lang("PyPI", "Django_REST.framework", "3.9.0"))
    assert db.lookups == [("PyPI", ("django-rest-framework",))]
    assert [f.fixed_version for f in result.findings] == ["3.9.1"]
    assert query_name(lang("npm", "@Babel/Core", "1.0.0")) == "@Babel/Core"


def test_npm_semver_ranges() -> None:
    r = fixed_range(("introduced", "4.0.0"), ("fixed", "4.17.21"), kind="SEMVER")
    db = FakeDb([entry("GHSA-35jh", "lodash", r, ecosystem="npm")])
    assert len(db.match(lang("npm", "lodash", "4.17.20")).findings) == 1
    assert len(db.match(lang("npm", "lodash", "4.17.21-beta.1")).findings) == 1
    assert db.match(lang("npm", "lodash", "4.17.21")).findings == ()
    assert db.match(lang("npm", "lodash", "3.10.1")).findings == ()
    coerced = db.match(lang("npm", "lodash", "4.17"))      # not SemVer: never coerced
    assert (coerced.findings, coerced.unparsable_versions) == ((), 1)


def test_semver_ranges_use_semver_even_without_an_ecosystem_order() -> None:
    r = fixed_range(("introduced", "1.0.0"), ("fixed", "1.4.2"), kind="SEMVER")
    db = FakeDb([entry("GHSA-h", "plug", r, ecosystem="Hex")])
    assert [f.fixed_version for f in db.match(lang("Hex", "plug", "1.4.1")).findings] == ["1.4.2"]
    assert db.match(lang("Hex", "plug", "1.4.10")).findings == ()


def test_lowest_fix_across_advisories_in_version_order() -> None:
    def fix(v: str) -> Range:
        return fixed_range(("introduced", "0"), ("fixed", v), kind="SEMVER")
    db = FakeDb([entry("GHSA-a", "plug", fix("1.10.0"), ecosystem="Hex"),
                 entry("GHSA-b", "plug", fix("1.9.0"), ecosystem="Hex")],
                [record("GHSA-a", ["CVE-2024-5555"]), record("GHSA-b", ["CVE-2024-5555"])])
    found = db.match(lang("Hex", "plug", "1.8.0")).findings
    assert [(f.advisory_ids, f.fixed_version) for f in found] == [(("GHSA-a", "GHSA-b"), "1.9.0")]


def test_go_versions_with_and_without_v() -> None:
    r = fixed_range(("introduced", "0"), ("fixed", "0.17.0"), kind="SEMVER")
    db = FakeDb([entry("GO-2023-1", "golang.org/x/net", r, ecosystem="Go")])
    found = db.match(lang("Go", "golang.org/x/net", "v0.0.0-20220722155237-a158d28d115b"))
    assert [f.fixed_version for f in found.findings] == ["0.17.0"]


# --- dedupe --------------------------------------------------------------------------------

def test_advisories_for_one_cve_collapse_into_one_finding() -> None:
    db = FakeDb(
        [entry("DEBIAN-CVE-2024-0007", "openssl", fixed_range(("introduced", "0"),
                                                           ("fixed", "3.0.13-1~deb12u1"))),
         entry("DSA-5600-1", "openssl", fixed_range(("introduced", "0"),
                                                    ("fixed", "3.0.13-1~deb12u2")))],
        [record("DEBIAN-CVE-2024-0007", details="A flaw in openssl."),
         record("DSA-5600-1", aliases=["CVE-2024-0007"], summary="openssl - security update")])
    result = db.match(deb("libssl3", "3.0.11-1~deb12u2", "openssl"))
    assert len(result.findings) == 1
    finding = result.findings[0]
    assert finding.vulnerability_id == "CVE-2024-0007"
    assert finding.advisory_ids == ("DEBIAN-CVE-2024-0007", "DSA-5600-1")
    assert finding.fixed_version == "3.0.13-1~deb12u1"       # the lowest fix above
    assert finding.description == "A flaw in openssl."       # the CVE's own record first
    assert db.advisory_calls == [("DEBIAN-CVE-2024-0007", "DSA-5600-1")]


def test_ghsa_and_pysec_collapse_on_their_cve() -> None:
    r = fixed_range(("introduced", "2.3.0"), ("fixed", "2.31.0"))
    db = FakeDb([entry("PYSEC-2023-74", "requests", r, ecosystem="PyPI"),
                 entry("GHSA-j8r2-6x86-q33q", "requests", r, ecosystem="PyPI")],
                [record("PYSEC-2023-74", aliases=["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"]),
                 record("GHSA-j8r2-6x86-q33q", aliases=["CVE-2023-32681"],
                        summary="Unintended leak of Proxy-Authorization header")])
    result = db.match(lang("PyPI", "requests", "2.28.1"))
    assert ids(result) == [("CVE-2023-32681", "requests")]
    assert result.findings[0].advisory_ids == ("GHSA-j8r2-6x86-q33q", "PYSEC-2023-74")


def test_an_advisory_naming_several_cves_counts_for_each() -> None:
    db = FakeDb([entry("DSA-5700-1", "curl", GLIBC_U11)],
                [record("DSA-5700-1", aliases=["CVE-2024-0009", "CVE-2024-0008"])])
    result = db.match(deb("curl", "2.36-9", "curl"))
    assert ids(result) == [("CVE-2024-0008", "curl"), ("CVE-2024-0009", "curl")]


@pytest.mark.parametrize(("advisory_id", "aliases", "expected"), [
    ("CVE-2024-0001", (), ("CVE-2024-0001",)),
    ("DEBIAN-CVE-2024-0001", (), ("CVE-2024-0001",)),            # found in the id
    ("GHSA-aaaa", ("CVE-2024-0002",), ("CVE-2024-0002",)),
    ("PYSEC-1", ("GHSA-bbbb",), ("GHSA-bbbb",)),
    ("GO-2024-1", ("GHSA-cccc", "GHSA-aaaa"), ("GHSA-aaaa",)),
    ("OSV-1", (), ("OSV-1",)),
])
def test_vulnerability_ids(advisory_id: str, aliases: tuple[str, ...],
                           expected: tuple[str, ...]) -> None:
    assert vulnerability_ids(advisory_id, record(advisory_id, aliases)) == expected


def test_cve_ids_are_found_inside_distro_ids() -> None:
    assert vulnerability_ids("UBUNTU-CVE-2024-12345", None) == ("CVE-2024-12345",)
    assert vulnerability_ids("DSA-5600-1", record("DSA-5600-1", ["DEBIAN-CVE-2024-0002"])) == (
        "CVE-2024-0002",)


def test_each_binary_of_a_source_gets_its_finding() -> None:
    db = FakeDb([entry("DEBIAN-CVE-2024-0002", "glibc", GLIBC_U4)])
    result = db.match(deb("libc6", "2.36-9", "glibc"), deb("libc-bin", "2.36-9", "glibc"))
    assert ids(result) == [("CVE-2024-0002", "libc-bin"), ("CVE-2024-0002", "libc6")]
    assert db.lookups == [("Debian:12", ("glibc",))]


def test_a_missing_record_still_gives_a_finding() -> None:
    db = FakeDb([entry("DEBIAN-CVE-2024-0002", "glibc", GLIBC_U4)])
    finding = db.match(deb("libc6", "2.36-9", "glibc")).findings[0]
    assert (finding.vulnerability_id, finding.severity, finding.description) == (
        "CVE-2024-0002", "UNDEFINED", "")


# --- severity --------------------------------------------------------------------------------

def _severity(vendor: str | None, *severity: tuple[str, str], ecosystem: str = "Debian:12") -> str:
    db = FakeDb([entry("X-9", "lib", fixed_range(("introduced", "0")), vendor=vendor,
                       ecosystem=ecosystem)],
                [record("X-9", severity=severity)])
    return db.match(deb("lib", "1.0", ecosystem=ecosystem)).findings[0].severity


@pytest.mark.parametrize(("vendor", "severity", "expected"), [
    ("unimportant", [("CVSS_V3", V31_CRITICAL)], "INFORMATIONAL"),   # vendor first
    ("low", [("CVSS_V3", V31_CRITICAL)], "LOW"),
    ("medium", [], "MEDIUM"),
    ("high", [], "HIGH"),
    ("MODERATE", [], "MEDIUM"),                                        # GHSA's word
    ("CRITICAL", [], "CRITICAL"),
    ("not yet assigned", [("CVSS_V3", V31_CRITICAL)], "CRITICAL"),     # falls through
    ("end-of-life", [("CVSS_V2", V2_HIGH)], "HIGH"),
    (None, [("CVSS_V2", V2_HIGH), ("CVSS_V3", V31_MEDIUM)], "MEDIUM"),  # v3 over v2
    (None, [("CVSS_V4", V4), ("CVSS_V2", V2_HIGH)], "HIGH"),           # v4 has no score yet
    (None, [("CVSS_V4", V4)], "UNDEFINED"),
    (None, [("CVSS_V3", "CVSS:3.1/AV:N/garbage")], "UNDEFINED"),
    (None, [], "UNDEFINED"),
    (None, [("Ubuntu", "medium"), ("CVSS_V3", V31_CRITICAL)], "MEDIUM"),
])
def test_severity_precedence(vendor: str | None, severity: list[tuple[str, str]],
                             expected: str) -> None:
    assert _severity(vendor, *severity) == expected


def test_vendor_words() -> None:
    assert [vendor_severity(w) for w in ("low**", " High ", "negligible", "important", "",
                                         None, "unknown")] == [
        "LOW", "HIGH", "INFORMATIONAL", "HIGH", None, None, None]


def test_dedupe_keeps_the_most_informative_severity() -> None:
    db = FakeDb([entry("DEBIAN-CVE-2024-0007", "lib", GLIBC_U11, vendor="low"),
                 entry("DSA-1", "lib", GLIBC_U11)],
                [record("DEBIAN-CVE-2024-0007", ["CVE-2024-0007"]),
                 record("DSA-1", ["CVE-2024-0007"], severity=[("CVSS_V3", V31_CRITICAL)])])
    finding = db.match(deb("lib", "2.36-9")).findings[0]
    assert (finding.severity, finding.vendor_severity) == ("LOW", "low")
    assert [c.score for c in finding.cvss] == [9.8]


# --- fixes, texts, order ------------------------------------------------------------------------

def test_fix_is_the_lowest_above_installed_within_the_matching_range() -> None:
    other_branch = fixed_range(("introduced", "3.0-1"), ("fixed", "3.0-2"))
    holding = fixed_range(("introduced", "1.0-1"), ("fixed", "4.0-1"), ("fixed", "5.0-1"))
    db = FakeDb([entry("X-10", "lib", other_branch, holding)])
    assert db.match(deb("lib", "2.0-1")).findings[0].fixed_version == "4.0-1"


def test_fix_from_any_range_when_only_the_list_matches() -> None:
    db = FakeDb([entry("X-11", "lib", fixed_range(("introduced", "5.0"), ("fixed", "5.1")),
                       versions=["1.0"])])
    assert db.match(deb("lib", "1.0")).findings[0].fixed_version == "5.1"


def test_description_is_summary_else_details_trimmed() -> None:
    long = "word " * 400
    db = FakeDb([entry("X-12", "lib", GLIBC_U11), entry("X-13", "lib", GLIBC_U11)],
                [record("X-12", summary="Short  summary\n"), record("X-13", details=long)])
    result = db.match(deb("lib", "1"))
    by_id = {f.vulnerability_id: f.description for f in result.findings}
    assert by_id["X-12"] == "Short summary"
    assert len(by_id["X-13"]) <= 512 and by_id["X-13"].endswith("word…")


@pytest.mark.parametrize(("ecosystem", "references", "expected"), [
    ("Debian:12", ["https://example.org/a"],
     "https://security-tracker.debian.org/tracker/CVE-2024-0020"),
    ("Alpine:v3.20", [], "https://security.alpinelinux.org/vuln/CVE-2024-0020"),
    ("Ubuntu:22.04:LTS", [], "https://ubuntu.com/security/CVE-2024-0020"),
    ("Rocky Linux:9", ["https://example.org/a", "https://example.org/b"],
     "https://example.org/a"),
    ("Rocky Linux:9", [], "https://osv.dev/vulnerability/CVE-2024-0020"),
])
def test_uri(ecosystem: str, references: list[str], expected: str) -> None:
    db = FakeDb([entry("X-20", "lib", fixed_range(("introduced", "0")), ecosystem=ecosystem)],
                [record("X-20", ["CVE-2024-0020"], references=references)])
    finding = db.match(deb("lib", "1.0", ecosystem=ecosystem)).findings[0]
    assert finding.uri == expected
    assert finding.references == tuple(references)


def test_findings_sorted_and_counted() -> None:
    everything = fixed_range(("introduced", "0"))
    db = FakeDb([entry("CVE-2024-0003", "a", everything, vendor="low"),
                 entry("CVE-2024-0001", "a", everything, vendor="high"),
                 entry("CVE-2024-0002", "b", everything),
                 entry("CVE-2024-0000", "b", everything, vendor="high")])
    result = db.match(deb("b", "1"), deb("a", "1"))
    assert ids(result) == [("CVE-2024-0000", "b"), ("CVE-2024-0001", "a"), ("CVE-2024-0003", "a"),
                           ("CVE-2024-0002", "b")]
    assert severity_counts(result.findings) == {"HIGH": 2, "LOW": 1, "UNDEFINED": 1}


def test_published_and_modified_span_the_records() -> None:
    db = FakeDb([entry("A-1", "lib", GLIBC_U11), entry("B-1", "lib", GLIBC_U11)],
                [record("A-1", ["CVE-2024-1111"], published="2024-03-01", modified="2024-03-02"),
                 record("B-1", ["CVE-2024-1111"], published="2024-01-01", modified="2024-05-01")])
    finding = db.match(deb("lib", "1")).findings[0]
    assert (finding.published, finding.modified) == ("2024-01-01", "2024-05-01")


def test_nothing_asked_of_advisories_without_hits() -> None:
    db = FakeDb([])
    assert db.match(deb("lib", "1")).findings == ()
    assert db.advisory_calls == []


def test_a_hundred_packages_match_quickly() -> None:
    # bench/scan_match.py measures properly; this only catches a pathological slowdown
    packages = [deb(f"bin{i}", f"1.{i}-1+deb12u{i % 12}", f"src{i}") for i in range(100)]
    entries = [entry(f"DEBIAN-CVE-2024-{i}{j}", f"src{i}",
                     fixed_range(("introduced", "0"), ("fixed", f"1.{i}-1+deb12u{j}")))
               for i in range(100) for j in range(10)]
    db = FakeDb(entries)
    start = time.perf_counter()
    result = db.match(*packages)
    assert time.perf_counter() - start < 0.5
    assert len(result.findings) == sum(9 - i % 12 for i in range(100) if i % 12 < 9)
