"""Which files of a layer describe packages, and what each says.

Every reader takes the file's bytes (bounded by ``size_cap``) and returns plain JSON-able
facts; ``squash`` turns the facts of the surviving files into packages.
"""

from __future__ import annotations

import json
import re
import tarfile
from typing import IO, Any

from berth.scan.inventory import binaries, dpkg, rpmdb

_EXACT = {
    "etc/os-release": "os-release", "usr/lib/os-release": "os-release",
    "etc/debian_version": "debian-version", "etc/alpine-release": "alpine-release",
    "var/lib/dpkg/status": "dpkg-status",
    "lib/apk/db/installed": "apk", "usr/lib/apk/db/installed": "apk",
    "var/lib/rpm/rpmdb.sqlite": "rpm", "usr/lib/sysimage/rpm/rpmdb.sqlite": "rpm",
    "usr/share/rpm/rpmdb.sqlite": "rpm",
}
_PATTERNS = [
    (re.compile(r"var/lib/dpkg/status\.d/[^/]+"), "dpkg-status"),
    (re.compile(r"var/lib/dpkg/info/[^/]+\.list"), "dpkg-list"),
    (re.compile(r".*\.dist-info/METADATA|.*\.egg-info/PKG-INFO|.*\.egg-info"), "python"),
    (re.compile(r"(?:.*/)?node_modules/(?:@[^/]+/)?[^/@][^/]*/package\.json"), "npm"),
    (re.compile(r".*\.(?:jar|war|ear)"), "jar"),
]
_CAPS = {"rpm": 512 << 20, "jar": 256 << 20, "exec": 256 << 20}
_TEXT_CAP = 64 << 20
# Language metadata paths an OS package may own (so it is not reported twice).
_OWNED = re.compile(r".*(?:\.dist-info/METADATA|\.egg-info(?:/PKG-INFO)?|/package\.json)")


def wanted(path: str, member: tarfile.TarInfo) -> str | None:
    """The kind of file ``path`` is, when a reader wants it."""
    kind = _EXACT.get(path)
    if kind is not None:
        return kind
    for pattern, found in _PATTERNS:
        if pattern.fullmatch(path):
            if found == "dpkg-status" and path.endswith((".md5sums", ".preinst", ".list")):
                return None
            return found
    if member.isreg() and member.mode & 0o111 and member.size >= 1024:
        return "exec"
    return None


def size_cap(kind: str) -> int:
    return _CAPS.get(kind, _TEXT_CAP)


def read(kind: str, path: str, data: IO[bytes], size: int) -> dict[str, Any] | None:
    """The facts of one file, or None when it holds nothing of interest."""
    if kind == "exec":
        modules = binaries.go_modules(data)
        return None if modules is None else {"kind": "go", **modules}
    if kind == "jar":
        found = binaries.jar_packages(data, size)
        return {"kind": "maven", "packages": found} if found else None
    if kind == "rpm":
        return {"kind": "rpm", "packages": rpmdb.packages(data)}
    text = data.read(size).decode("utf-8", errors="replace")
    return _TEXT_READERS[kind](text)


def _os_release(text: str) -> dict[str, Any]:
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().isidentifier():
            fields[key.strip()] = value.strip().strip("'\"")
    return {"kind": "os-release", "fields": fields}


def _python(text: str) -> dict[str, Any] | None:
    head = text.split("\n\n", 1)[0]
    fields: dict[str, str] = {}
    for line in head.splitlines():
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version", "License") and key not in fields:
            fields[key] = value.strip()
    if not fields.get("Name") or not fields.get("Version"):
        return None
    return {"kind": "python", "name": fields["Name"], "version": fields["Version"],
            "license": fields.get("License")}


def _npm(text: str) -> dict[str, Any] | None:
    doc = json.loads(text)
    if not isinstance(doc, dict):
        return None
    name, version = doc.get("name"), doc.get("version")
    if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
        return None
    license_ = doc.get("license")
    return {"kind": "npm", "name": name, "version": version,
            "license": license_ if isinstance(license_, str) else None}


def _owned(text: str) -> dict[str, Any]:
    owned = [line.lstrip("/") for line in text.splitlines() if _OWNED.fullmatch(line)]
    return {"kind": "owned", "paths": owned}


_TEXT_READERS = {
    "os-release": _os_release,
    "debian-version": lambda text: {"kind": "debian-version", "version": text.strip()},
    "alpine-release": lambda text: {"kind": "alpine-release", "version": text.strip()},
    "dpkg-status": lambda text: {"kind": "dpkg", "packages": dpkg.status(text)},
    "dpkg-list": _owned,
    "apk": lambda text: {"kind": "apk", "packages": dpkg.apk_installed(text)},
    "python": _python,
    "npm": _npm,
}
