"""Version ordering, one scheme per ecosystem, behind one interface.

``comparator_for("Debian:12").compare("2.36-9+deb12u4", "2.36-9+deb12u10") == -1``.
Every comparator's ``key`` raises ``UnparsableVersion`` for a string its scheme cannot
read; ``comparator_for`` raises ``UnsupportedEcosystem`` for an ecosystem without one.

| scheme | ecosystems (OSV names, release suffix after ``:`` ignored) |
|---|---|
| dpkg   | Debian, Ubuntu |
| apk    | Alpine, Wolfi, Chainguard |
| rpm    | Red Hat, Rocky Linux, AlmaLinux, SUSE, openSUSE, Photon OS, Azure Linux, Mageia, |
|        | openEuler |
| pep440 | PyPI |
| semver | npm, crates.io |
| go     | Go |
| maven  | Maven |
"""

from __future__ import annotations

from berth.scan.versions import apk, dpkg, maven, pep440, rpm, semver
from berth.scan.versions.base import Comparator, SortKey, UnparsableVersion

__all__ = ["APK", "DPKG", "GO", "MAVEN", "PEP440", "RPM", "SEMVER", "Comparator", "SortKey",
           "UnparsableVersion", "UnsupportedEcosystem", "comparator_for", "scheme_for"]

DPKG = Comparator("dpkg", dpkg.parse)
APK = Comparator("apk", apk.parse)
RPM = Comparator("rpm", rpm.parse)
PEP440 = Comparator("pep440", pep440.parse)
SEMVER = Comparator("semver", semver.parse)
GO = Comparator("go", semver.parse_go)
MAVEN = Comparator("maven", maven.parse)

_BY_ECOSYSTEM = {
    "Debian": DPKG, "Ubuntu": DPKG,
    "Alpine": APK, "Wolfi": APK, "Chainguard": APK,
    "Red Hat": RPM, "Rocky Linux": RPM, "AlmaLinux": RPM, "SUSE": RPM, "openSUSE": RPM,
    "Photon OS": RPM, "Azure Linux": RPM, "Mageia": RPM, "openEuler": RPM,
    "PyPI": PEP440,
    "npm": SEMVER, "crates.io": SEMVER,
    "Go": GO,
    "Maven": MAVEN,
}


class UnsupportedEcosystem(LookupError):
    """No version scheme is known for this ecosystem."""


def comparator_for(ecosystem: str) -> Comparator:
    """The comparator for an OSV ecosystem name ("Debian:12", "PyPI", "Alpine:v3.20").

    Raises ``UnsupportedEcosystem`` when berth has no scheme for it.
    """
    found = _BY_ECOSYSTEM.get(ecosystem.split(":", 1)[0])
    if found is None:
        raise UnsupportedEcosystem(ecosystem)
    return found


def scheme_for(ecosystem: str) -> str | None:
    """The scheme's name ("dpkg", "apk", ...) for an ecosystem, None if unsupported."""
    found = _BY_ECOSYSTEM.get(ecosystem.split(":", 1)[0])
    return found.scheme if found else None
