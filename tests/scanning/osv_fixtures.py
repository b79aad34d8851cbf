"""OSV records written at test time against the versions a real root filesystem holds,
with the findings a correct scanner must report for them, and the near misses it must
not report."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Installed:
    name: str
    version: str
    source: str
    source_version: str


def dpkg_status(text: str) -> list[Installed]:
    """Installed packages of a dpkg status file, read independently of berth's parser."""
    found = []
    for paragraph in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in paragraph.splitlines():
            if line[:1] in (" ", "\t") or ":" not in line:
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "package" not in fields or not fields.get("status", "").endswith(" installed"):
            continue
        version = fields["version"]
        source, source_version = fields["package"], version
        if "source" in fields:
            match = re.fullmatch(r"(\S+)(?:\s+\((\S+)\))?", fields["source"])
            assert match, fields["source"]
            source = match.group(1)
            source_version = match.group(2) or version
            epoch = version.split(":", 1)[0] + ":" if ":" in version else ""
            if match.group(2) and ":" not in source_version and epoch:
                source_version = epoch + source_version
        found.append(Installed(fields["package"], version, source, source_version))
    return found


def record(ident: str, ecosystem: str, name: str, *, events: list[dict[str, str]] | None = None,
           versions: list[str] | None = None, aliases: list[str] | None = None,
           severity: list[dict[str, str]] | None = None, urgency: str | None = None,
           withdrawn: bool = False, modified: str = "2026-11-01T00:00:00Z") -> dict[str, Any]:
    affected: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name}}
    if events is not None:
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    if versions is not None:
        affected["versions"] = versions
    if urgency is not None:
        affected["ecosystem_specific"] = {"urgency": urgency}
    doc: dict[str, Any] = {"schema_version": "1.6.0", "id": ident, "modified": modified,
                           "published": "2026-10-01T00:00:00Z", "summary": f"test {ident}",
                           "affected": [affected], "aliases": aliases or []}
    if severity:
        doc["severity"] = severity
    if withdrawn:
        doc["withdrawn"] = "2026-11-02T00:00:00Z"
    return doc


CRITICAL_V3 = {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}


@dataclass(frozen=True)
class Fixture:
    records: list[dict[str, Any]]
    expected: set[tuple[str, str]]   # (vulnerability id, binary package name)
    fixes: dict[str, str | None]     # vulnerability id -> fix version
    severities: dict[str, str]


def bump(version: str) -> str:
    """A version dpkg orders just above ``version``."""
    return version + "+test1"


def debian_fixture(packages: list[Installed]) -> Fixture:
    by_source: dict[str, list[Installed]] = {}
    for p in packages:
        by_source.setdefault(p.source, []).append(p)
    glibc = by_source["glibc"][0]
    binnmu = next(p for p in packages if re.search(r"\+b\d+$", p.version)
                  and p.source_version != p.version)
    tar = by_source["tar"][0]
    eco = "Debian:12"
    records = [
        # affected, fixed in a later version: one finding per binary package of glibc
        record("DEBIAN-CVE-2099-0001", eco, "glibc", aliases=["CVE-2099-0001"],
               events=[{"introduced": "0"}, {"fixed": bump(glibc.source_version)}],
               severity=[CRITICAL_V3]),
        # a DSA about the same CVE collapses into the same findings
        record("DSA-9999-1", eco, "glibc", aliases=["CVE-2099-0001"],
               events=[{"introduced": "0"}, {"fixed": bump(glibc.source_version)}]),
        # fixed "earlier" only when compared as text ("X~" sorts before "X" in dpkg)
        record("DEBIAN-CVE-2099-0002", eco, "glibc", aliases=["CVE-2099-0002"],
               events=[{"introduced": "0"}, {"fixed": glibc.source_version + "~"}]),
        # the binNMU binary is matched through its source version
        record("DEBIAN-CVE-2099-0003", eco, binnmu.source, aliases=["CVE-2099-0003"],
               versions=[binnmu.source_version], urgency="low"),
        # another release's record never applies
        record("DEBIAN-CVE-2099-0004", "Debian:11", "glibc", aliases=["CVE-2099-0004"],
               events=[{"introduced": "0"}]),
        # last affected just below the installed version
        record("DEBIAN-CVE-2099-0005", eco, "tar", aliases=["CVE-2099-0005"],
               events=[{"introduced": "0"}, {"last_affected": tar.source_version + "~"}]),
        # withdrawn: ignored
        record("DEBIAN-CVE-2099-0006", eco, "zlib", aliases=["CVE-2099-0006"],
               events=[{"introduced": "0"}], withdrawn=True),
        # affected with no fix yet
        record("DEBIAN-CVE-2099-0007", eco, "zlib", aliases=["CVE-2099-0007"],
               events=[{"introduced": "0"}], urgency="unimportant"),
        # an unrelated package that is not installed
        record("DEBIAN-CVE-2099-0008", eco, "no-such-package", events=[{"introduced": "0"}]),
    ]
    expected = ({("CVE-2099-0001", p.name) for p in by_source["glibc"]}
                | {("CVE-2099-0003", p.name) for p in by_source[binnmu.source]}
                | {("CVE-2099-0007", p.name) for p in by_source["zlib"]})
    return Fixture(records, expected,
                   {"CVE-2099-0001": bump(glibc.source_version), "CVE-2099-0003": None,
                    "CVE-2099-0007": None},
                   {"CVE-2099-0001": "CRITICAL", "CVE-2099-0003": "LOW",
                    "CVE-2099-0007": "INFORMATIONAL"})


def write_records(records: list[dict[str, Any]], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for doc in records:
        (directory / f"{doc['id']}.json").write_text(json.dumps(doc))
    return directory
