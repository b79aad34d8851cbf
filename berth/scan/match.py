"""Which advisories affect which installed packages — pure: data in, findings out.

``match(packages, lookup, advisories)`` asks ``lookup`` once per ecosystem for the
affected entries of the names it needs, evaluates them with the ecosystem's version
order, asks ``advisories`` once for the records of the entries that hit, and returns one
``Finding`` per (vulnerability, package).

Affected (OSV schema, "Evaluation"): a version is affected when it is listed in
``versions`` (exact string), or when a SEMVER or ECOSYSTEM range holds it (see
``in_range``). GIT ranges are ignored. An installed or event version the comparator
cannot read skips that range — it is counted, never matched by accident.

Dedupe: advisories that name the same CVE for the same package (DSA, DLA, DEBIAN-CVE,
GHSA, PYSEC, ... via their id or aliases) make one finding listing every advisory id.
An advisory naming several CVEs counts against each of them. Without a CVE, a GHSA id
among the aliases is the common name, else the advisory's own id.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from packaging.utils import canonicalize_name

from berth.scan.cvss import parse_vector, severity_band
from berth.scan.model import Advisory, Affected, Cvss, Finding, Package, Range
from berth.scan.versions import (
    SEMVER,
    Comparator,
    SortKey,
    UnparsableVersion,
    UnsupportedEcosystem,
    comparator_for,
)

Lookup = Callable[[str, Collection[str]], Mapping[str, Sequence[Affected]]]
AdvisoryLookup = Callable[[Collection[str]], Mapping[str, Advisory]]

_CVE = re.compile(r"(?<![A-Za-z0-9])CVE-\d{4}-\d{4,}(?!\d)")
_RANGE_TYPES = frozenset({"SEMVER", "ECOSYSTEM"})


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Findings sorted by severity (highest first), then vulnerability id, then package;
    and what could not be evaluated.

    ``unparsable_versions``: distinct (ecosystem, version) strings the comparator
    rejected, installed or in events. ``skipped_ranges``: ranges left out for that
    reason or because the ecosystem has no comparator (``versions`` lists still count).
    """

    findings: tuple[Finding, ...]
    unparsable_versions: int = 0
    skipped_ranges: int = 0
    unsupported_ecosystems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """An affected entry that holds a package's version, the fix above it (if any) and
    the comparator that read that fix."""

    affected: Affected
    fixed: str | None
    fixed_by: Comparator | None = field(default=None, compare=False)


@dataclass
class _Tally:
    unparsable: set[tuple[str, str]] = field(default_factory=set)
    skipped_ranges: int = 0
    unsupported: set[str] = field(default_factory=set)


def query_name(package: Package) -> str:
    """The name advisories use: the source package for OS packages, PEP 503 for PyPI."""
    if package.ecosystem == "PyPI":
        return canonicalize_name(package.match_name)
    return package.match_name


def match(packages: Sequence[Package], lookup: Lookup, advisories: AdvisoryLookup) -> MatchResult:
    """Match an inventory against the vulnerability database.

    ``lookup(ecosystem, names)`` returns the affected entries per asked name (absent
    names have none); it is called once per ecosystem. ``advisories(ids)`` returns the
    records of the advisory ids that hit, once; a missing record still yields a finding
    named by the advisory id.
    """
    tally = _Tally()
    # binaries of one source share name and version: evaluate once, report each
    evaluated: dict[tuple[str, str, str], tuple[list[Package], list[Hit]]] = {}
    for ecosystem, members in _by_ecosystem(packages).items():
        entries = lookup(ecosystem, sorted({query_name(p) for p in members}))
        comparator = _comparator(ecosystem, tally)
        for package in members:
            name = query_name(package)
            key = (ecosystem, name, package.match_version)
            if key not in evaluated:
                evaluated[key] = ([], _package_hits(package, entries.get(name, ()),
                                                    comparator, tally))
            evaluated[key][0].append(package)
    hit_ids = {hit.affected.advisory_id for _, hits in evaluated.values() for hit in hits}
    records = advisories(sorted(hit_ids)) if hit_ids else {}
    findings = [finding for same, hits in evaluated.values() if hits
                for finding in _findings(same, hits, records)]
    findings.sort(key=finding_order)
    return MatchResult(tuple(findings), len(tally.unparsable), tally.skipped_ranges,
                       tuple(sorted(tally.unsupported)))


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Findings per severity, only severities that occur (ECR findingSeverityCounts)."""
    counts: dict[str, int] = defaultdict(int)
    for finding in findings:
        counts[finding.severity] += 1
    return dict(counts)


def _by_ecosystem(packages: Iterable[Package]) -> dict[str, list[Package]]:
    grouped: dict[str, list[Package]] = defaultdict(list)
    for package in packages:
        grouped[package.ecosystem].append(package)
    return grouped


def _comparator(ecosystem: str, tally: _Tally) -> Comparator | None:
    try:
        return comparator_for(ecosystem)
    except UnsupportedEcosystem:
        tally.unsupported.add(ecosystem)
        return None


class _Installed:
    """A package's match version and its sort keys, one per comparator asked."""

    def __init__(self, package: Package, tally: _Tally) -> None:
        self.version = package.match_version
        self.ecosystem = package.ecosystem
        self._tally = tally
        self._keys: dict[str, SortKey | None] = {}

    def key(self, comparator: Comparator | None) -> SortKey | None:
        """The key, or None when there is no comparator or it cannot read the version."""
        if comparator is None:
            return None
        if comparator.scheme not in self._keys:
            self._keys[comparator.scheme] = _key(comparator, self.ecosystem, self.version,
                                                 self._tally)
        return self._keys[comparator.scheme]


def _package_hits(package: Package, entries: Sequence[Affected],
                  comparator: Comparator | None, tally: _Tally) -> list[Hit]:
    installed = _Installed(package, tally)
    hits = (_evaluate(affected, installed, comparator, tally) for affected in entries)
    return [hit for hit in hits if hit is not None]


def _key(comparator: Comparator, ecosystem: str, version: str, tally: _Tally) -> SortKey | None:
    try:
        return comparator.key(version)
    except UnparsableVersion:
        tally.unparsable.add((ecosystem, version))
        return None


def _range_comparator(range_type: str, ecosystem: Comparator | None) -> Comparator | None:
    """ECOSYSTEM ranges use the ecosystem's order; SEMVER ranges SemVer's, which for Go
    is Go's (it also reads the installed ``v`` prefix)."""
    if range_type == "SEMVER" and (ecosystem is None or ecosystem.scheme not in ("semver", "go")):
        return SEMVER
    return ecosystem


def _evaluate(affected: Affected, installed: _Installed, comparator: Comparator | None,
              tally: _Tally) -> Hit | None:
    """A Hit if the installed version is affected.

    The fix is the lowest ``fixed`` above the version among the ranges that hold it; if
    only the ``versions`` list holds it, among all ranges.
    """
    in_any = False
    fixes: dict[bool, list[tuple[SortKey, str, Comparator]]] = {True: [], False: []}
    for range_ in affected.ranges:
        if range_.type not in _RANGE_TYPES:
            continue
        ranged = _range_comparator(range_.type, comparator)
        events = _event_keys(range_, affected.ecosystem, ranged, tally)
        version = installed.key(ranged)
        if ranged is None or events is None or version is None:
            tally.skipped_ranges += 1
            continue
        holds = in_range(version, events)
        in_any = in_any or holds
        fixes[holds] += [(key, text, ranged) for kind, key, text in events
                         if kind == "fixed" and key is not None and version < key]
    if not (in_any or installed.version in affected.versions):
        return None
    if not fixes[in_any]:
        return Hit(affected, None)
    _, lowest, comparator = min(fixes[in_any], key=lambda fix: fix[0])
    return Hit(affected, lowest, comparator)


Event = tuple[str, SortKey | None, str]   # kind, key (None: "0" introduced / "*" limit), text


def _event_keys(range_: Range, ecosystem: str, comparator: Comparator | None,
                tally: _Tally) -> list[Event] | None:
    """The range's events with their keys, sorted by version (introduced first on ties);
    None when the ecosystem has no comparator or an event version is unreadable."""
    if comparator is None:
        return None
    events: list[Event] = []
    for kind, text in range_.events:
        if (kind == "introduced" and text == "0") or (kind == "limit" and text == "*"):
            events.append((kind, None, text))
            continue
        key = _key(comparator, ecosystem, text, tally)
        if key is None:
            return None
        events.append((kind, key, text))
    if len(events) < 2 or (len(events) == 2 and events[0][:2] == ("introduced", None)):
        return events   # the common ("introduced", "0") + one event: already in order
    return sorted(events, key=_event_order)


def _event_order(event: Event) -> tuple[int, SortKey | int, int]:
    kind, key, _ = event
    if key is None:   # "0" before everything, "*" after everything
        return (0, 0, 0) if kind == "introduced" else (2, 0, 0)
    return 1, key, 0 if kind == "introduced" else 1


def in_range(installed: SortKey, events: Sequence[Event]) -> bool:
    """OSV evaluation of one range over events sorted by version: ``introduced <= v``
    makes v affected, ``fixed <= v`` unaffected, ``last_affected < v`` unaffected; if the
    range has limits, v must lie below one of them (``"*"`` is unbounded)."""
    limits = [key for kind, key, _ in events if kind == "limit"]
    if limits and not any(key is None or installed < key for key in limits):
        return False
    affected = False
    for kind, key, _ in events:
        reached = key is None or not installed < key            # key <= installed
        if kind == "introduced":
            affected = affected or reached
        elif kind == "fixed":
            affected = affected and not reached
        elif kind == "last_affected":
            affected = affected and not (key is not None and key < installed)
    return affected


def vulnerability_ids(advisory_id: str, record: Advisory | None) -> tuple[str, ...]:
    """The ids a hit is reported under: its CVEs, found in the id or the aliases (also
    inside DEBIAN-CVE-… or UBUNTU-CVE-… ids); else a GHSA alias; else its own id."""
    names = (advisory_id, *(record.aliases if record else ()))
    cves = sorted({m[0] for m in map(_CVE.search, names) if m})
    if cves:
        return tuple(cves)
    ghsa = sorted(n for n in names if n.startswith("GHSA-"))
    return (ghsa[0],) if ghsa else (advisory_id,)


def _findings(packages: Sequence[Package], hits: Sequence[Hit],
              records: Mapping[str, Advisory]) -> list[Finding]:
    """One finding per vulnerability the hits name, for each of ``packages`` (which share
    the source name and version the hits were found for)."""
    by_vuln: dict[str, list[Hit]] = defaultdict(list)
    for hit in hits:
        advisory_id = hit.affected.advisory_id
        for vuln_id in vulnerability_ids(advisory_id, records.get(advisory_id)):
            by_vuln[vuln_id].append(hit)
    first, *others = dict.fromkeys(packages)
    findings = []
    for vuln_id, group in by_vuln.items():
        finding = build_finding(vuln_id, first, group, records)
        findings += [finding, *(replace(finding, package=p) for p in others)]
    return findings


# --- from grouped hits to findings ---------------------------------------------------

SEVERITY_ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED")
_SEVERITY_RANK = {name: len(SEVERITY_ORDER) - i for i, name in enumerate(SEVERITY_ORDER)}
_VENDOR_WORDS = {"unimportant": "INFORMATIONAL", "negligible": "INFORMATIONAL",
                 "low": "LOW", "medium": "MEDIUM", "moderate": "MEDIUM", "high": "HIGH",
                 "important": "HIGH", "critical": "CRITICAL"}
# Where a severity came from, most trusted first: the vendor, then CVSS v3.x, v4, v2.
_FROM_VENDOR, _FROM_V3, _FROM_V4, _FROM_V2, _FROM_NOTHING = 4, 3, 2, 1, 0
_CVSS_SOURCE = {"3.1": _FROM_V3, "3.0": _FROM_V3, "4.0": _FROM_V4, "2.0": _FROM_V2}
DESCRIPTION_LIMIT = 512


def vendor_severity(word: str | None) -> str | None:
    """ECR severity of a vendor's word (Debian urgency, OSV database/ecosystem severity,
    Ubuntu priority); None for words that say nothing ("not yet assigned", "end-of-life")."""
    return _VENDOR_WORDS.get(word.strip().rstrip("*").lower()) if word else None


def cvss_scores(record: Advisory | None) -> tuple[Cvss, ...]:
    """The record's well-formed CVSS vectors with their base scores (v4: score None)."""
    parsed = (parse_vector(score) for kind, score in (record.severity if record else ())
              if kind.startswith("CVSS_V"))
    return tuple(c for c in parsed if c is not None)


Rating = tuple[int, int, str, str]   # source, severity rank, severity, vendor word ("" if none)


def rate(hit: Hit, record: Advisory | None) -> Rating:
    """How one hit rates: the vendor's word first (the entry's, then an Ubuntu priority
    in the record), then CVSS v3.x > v4 > v2 by base score, else UNDEFINED. A higher
    tuple is more informative."""
    words = [hit.affected.vendor_severity or ""]
    words += [score for kind, score in (record.severity if record else ()) if kind == "Ubuntu"]
    for word in words:
        if (severity := vendor_severity(word)) is not None:
            return _FROM_VENDOR, _SEVERITY_RANK[severity], severity, word
    rated = [(_CVSS_SOURCE[c.version], c.score, c.version) for c in cvss_scores(record)
             if c.score is not None]
    if not rated:
        return _FROM_NOTHING, 0, "UNDEFINED", words[0]
    source, score, version = max(rated)
    severity = severity_band(score, version)
    return source, _SEVERITY_RANK[severity], severity, words[0]


def build_finding(vuln_id: str, package: Package, hits: Sequence[Hit],
                  records: Mapping[str, Advisory]) -> Finding:
    """One finding from every hit on ``package`` that names ``vuln_id``."""
    ids = sorted({hit.affected.advisory_id for hit in hits})
    found = [records[i] for i in ids if i in records]
    found.sort(key=lambda r: (vuln_id not in r.id, r.id))   # the CVE's own record first
    _, _, severity, vendor = max(rate(hit, records.get(hit.affected.advisory_id)) for hit in hits)
    return Finding(
        vulnerability_id=vuln_id, advisory_ids=tuple(ids), package=package,
        severity=severity, fixed_version=_lowest_fix(hits),
        description=_description(found), uri=_uri(vuln_id, package.ecosystem, found),
        references=tuple(dict.fromkeys(ref for r in found for ref in r.references)),
        cvss=_distinct_cvss(found),
        published=min((r.published for r in found if r.published), default=None),
        modified=max((r.modified for r in found if r.modified), default=None),
        vendor_severity=vendor or None)


def finding_order(finding: Finding) -> tuple[int, str, str, str, str]:
    """Sort key: severity (highest first), vulnerability id, then the package."""
    p = finding.package
    return -_SEVERITY_RANK[finding.severity], finding.vulnerability_id, p.name, p.version, p.path


def _lowest_fix(hits: Sequence[Hit]) -> str | None:
    """The lowest of the hits' fixes, in the order that read them (already parsed)."""
    fixes = [(hit.fixed, hit.fixed_by) for hit in hits
             if hit.fixed is not None and hit.fixed_by is not None]
    if not fixes:
        return None
    if len({comparator.scheme for _, comparator in fixes}) > 1:   # no common order
        return min(fixed for fixed, _ in fixes)
    return min(fixes, key=lambda fix: fix[1].key(fix[0]))[0]


def _description(records: Sequence[Advisory]) -> str:
    text = next((r.summary or r.details for r in records if r.summary or r.details), "")
    text = " ".join(text.split())
    if len(text) <= DESCRIPTION_LIMIT:
        return text
    return text[:DESCRIPTION_LIMIT - 1].rsplit(" ", 1)[0] + "…"


def _uri(vuln_id: str, ecosystem: str, records: Sequence[Advisory]) -> str:
    """The distro tracker for Debian, Ubuntu and Alpine CVEs, else the first reference,
    else osv.dev."""
    family = ecosystem.split(":", 1)[0]
    is_cve = _CVE.fullmatch(vuln_id) is not None
    if family == "Debian":
        return f"https://security-tracker.debian.org/tracker/{vuln_id}"
    if family == "Ubuntu" and is_cve:
        return f"https://ubuntu.com/security/{vuln_id}"
    if family == "Alpine" and is_cve:
        return f"https://security.alpinelinux.org/vuln/{vuln_id}"
    first = next((ref for r in records for ref in r.references), None)
    return first or f"https://osv.dev/vulnerability/{vuln_id}"


def _distinct_cvss(records: Sequence[Advisory]) -> tuple[Cvss, ...]:
    seen = {c.vector: c for r in records for c in cvss_scores(r)}
    return tuple(sorted(seen.values(), key=lambda c: (c.version, c.vector), reverse=True))
