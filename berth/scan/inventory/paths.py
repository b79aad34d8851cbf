"""Which paths of a layer the inventory keeps, and how tar names become paths.

A path is a POSIX string relative to the image root: no leading ``/`` or ``./``, no
``.`` components, no trailing ``/``. A name with a ``..`` component is refused, never
resolved: layers are read, not extracted, so nothing is followed, but a name that climbs
out of the root is hostile or broken and is noted.
"""

from __future__ import annotations

import re

from berth.scan.inventory import records

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"

EXECUTABLE = "executable"   # classify(): an executable regular file, maybe a Go binary
ARCHIVE = "archive"         # classify(): a jar/war/ear
RPM_OTHER = "rpm-other"     # classify(): an rpm database in a format not read (BDB, ndb)

_EXACT = {
    "etc/os-release": records.OS_RELEASE,
    "usr/lib/os-release": records.OS_RELEASE,
    "etc/debian_version": records.DEBIAN_VERSION,
    "etc/alpine-release": records.ALPINE_RELEASE,
    "var/lib/dpkg/status": records.DPKG,
    "lib/apk/db/installed": records.APK,
    "usr/lib/apk/db/installed": records.APK,
    "var/lib/rpm/rpmdb.sqlite": records.RPM,
    "usr/lib/sysimage/rpm/rpmdb.sqlite": records.RPM,
    "usr/share/rpm/rpmdb.sqlite": records.RPM,
    "var/lib/rpm/Packages": RPM_OTHER,
    "var/lib/rpm/Packages.db": RPM_OTHER,
    "usr/lib/sysimage/rpm/Packages": RPM_OTHER,
    "usr/lib/sysimage/rpm/Packages.db": RPM_OTHER,
}
_PATTERNS = (
    (re.compile(r"var/lib/dpkg/status\.d/[^/]+\.md5sums"), records.DPKG_FILES),
    (re.compile(r"var/lib/dpkg/status\.d/[^/]+"), records.DPKG),
    (re.compile(r"var/lib/dpkg/info/[^/]+\.list"), records.DPKG_FILES),
    (re.compile(r"(?:.*/)?[^/]+\.dist-info/METADATA"), records.PYTHON),
    (re.compile(r"(?:.*/)?[^/]+\.egg-info(?:/PKG-INFO)?"), records.PYTHON),
    # the package.json of a package root only: node_modules/<name>/ or @scope/<name>/
    (re.compile(r"(?:.*/)?node_modules/(?:@[^/]+/)?[^/@.][^/]*/package\.json"), records.NPM),
    (re.compile(r".+\.(?:jar|war|ear)", re.IGNORECASE), ARCHIVE),
)
# Cheap prefilter: only paths ending so (or under status.d) go to the regexes.
_SUFFIXES = ("METADATA", "PKG-INFO", ".egg-info", "package.json", ".list", ".md5sums",
             ".jar", ".war", ".ear", ".JAR", ".WAR", ".EAR")
LANGUAGE_KINDS = frozenset({records.PYTHON, records.NPM, ARCHIVE})
MIN_EXECUTABLE = 64         # smaller files cannot hold Go build information


def normalise(name: str) -> str | None:
    """The path a tar name stands for; None when a ``..`` component climbs out. Bytes
    that are not UTF-8 (tarfile keeps them as surrogates) become U+FFFD."""
    if not name.isascii():
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    return "/".join(parts)


def link_target(path: str, target: str) -> str | None:
    """Where a symlink at ``path`` points, inside the image; None when it climbs out."""
    base = "" if target.startswith("/") else path.rpartition("/")[0]
    parts: list[str] = []
    for part in f"{base}/{target}".split("/"):
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def classify(path: str) -> str | None:
    """The kind of file a regular file at ``path`` is, when the inventory reads it (a
    records kind, or ARCHIVE / RPM_OTHER); None otherwise. Executables are recognised by
    mode, not here (``is_executable``)."""
    kind = _EXACT.get(path)
    if kind is not None:
        return kind
    if not path.endswith(_SUFFIXES) and not path.startswith("var/lib/dpkg/status.d/"):
        return None
    for pattern, found in _PATTERNS:
        if pattern.fullmatch(path):
            return found
    return None


def is_executable(mode: int, size: int) -> bool:
    return bool(mode & 0o111) and size >= MIN_EXECUTABLE


def is_language_file(path: str) -> bool:
    """A file that language-package detectors read (so an OS package may own it)."""
    return classify(path) in LANGUAGE_KINDS
