"""The records the scanning modules hand each other."""

from __future__ import annotations

from dataclasses import dataclass, field

# ECR / Inspector packageManager values berth reports
OS = "OS"
PYTHONPKG = "PYTHONPKG"
NODEPKG = "NODEPKG"
GOBINARY = "GOBINARY"
JAR = "JAR"
CARGO = "CARGO"


@dataclass(frozen=True, slots=True)
class OsInfo:
    """The image's operating system, from os-release and friends."""

    id: str                 # os-release ID: "debian", "alpine", "rocky", ...
    version_id: str         # os-release VERSION_ID ("12", "3.20.3"), "" when absent
    pretty_name: str
    ecosystem: str | None   # OSV ecosystem of its packages ("Debian:12", "Alpine:v3.20");
                            # None when berth cannot match this OS
    point_release: str | None = None  # Debian's etc/debian_version ("12.5"); informational


@dataclass(frozen=True, slots=True)
class Package:
    """One installed package, as matching and the SBOM need it.

    ``ecosystem`` is OSV's name for where advisories about it live: release-qualified
    for OS packages ("Debian:12", "Alpine:v3.20", "Rocky Linux:9"), else "PyPI", "npm",
    "Go", "Maven". For OS packages ``source_name``/``source_version`` name the source
    package that advisories are written against (dpkg ``Source:`` with the binary's
    epoch carried over when the Source line has none, apk ``o:`` origin, rpm SOURCERPM
    name); None when the package is its own source.
    """

    ecosystem: str
    name: str
    version: str
    package_manager: str    # OS, PYTHONPKG, NODEPKG, GOBINARY, JAR, CARGO
    purl_type: str          # "deb", "apk", "rpm", "pypi", "npm", "golang", "maven", "cargo"
    path: str               # the file it was read from, relative to the root, no leading /
    layer: str              # digest of the layer that last wrote that file
    source_name: str | None = None
    source_version: str | None = None
    arch: str | None = None
    licenses: tuple[str, ...] = ()

    @property
    def match_name(self) -> str:
        return self.source_name or self.name

    @property
    def match_version(self) -> str:
        return self.source_version or self.version


@dataclass(frozen=True, slots=True)
class Inventory:
    """Everything found in an image after all its layers are applied."""

    os: OsInfo | None
    packages: tuple[Package, ...]
    notes: tuple[str, ...] = field(default=())  # what was refused or capped, and why

    @property
    def scannable(self) -> bool:
        return bool(self.packages) or (self.os is not None and self.os.ecosystem is not None)


@dataclass(frozen=True, slots=True)
class Range:
    """One OSV range: ``type`` SEMVER or ECOSYSTEM; events in the order given, each
    a (kind, version) pair with kind introduced, fixed, last_affected or limit."""

    type: str
    events: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Affected:
    """One ``affected[]`` entry of an advisory, as the database returns it."""

    advisory_id: str
    ecosystem: str
    name: str
    ranges: tuple[Range, ...]
    versions: tuple[str, ...]
    vendor_severity: str | None = None   # ecosystem_specific / database_specific severity
                                         # or Debian urgency, as written


@dataclass(frozen=True, slots=True)
class Advisory:
    """An OSV record's descriptive fields."""

    id: str
    aliases: tuple[str, ...]
    summary: str
    details: str
    published: str | None
    modified: str
    severity: tuple[tuple[str, str], ...]   # (type, score) as in OSV: ("CVSS_V3", "CVSS:3.1/...")
    references: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Cvss:
    version: str     # "2.0", "3.0", "3.1", "4.0"
    vector: str
    score: float | None


@dataclass(frozen=True, slots=True)
class Finding:
    """A package that an advisory affects."""

    vulnerability_id: str      # the CVE when the advisory has one, else its own id
    advisory_ids: tuple[str, ...]
    package: Package
    severity: str              # ECR FindingSeverity: INFORMATIONAL … CRITICAL, UNDEFINED
    fixed_version: str | None  # None when no fix is known
    description: str
    uri: str
    references: tuple[str, ...]
    cvss: tuple[Cvss, ...]
    published: str | None
    modified: str | None
    vendor_severity: str | None = None
