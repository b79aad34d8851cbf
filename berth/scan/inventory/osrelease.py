"""The image's operating system, and the OSV ecosystem its packages' advisories use.

Read from ``etc/os-release``, else ``usr/lib/os-release`` (``ID``, ``VERSION_ID``,
``PRETTY_NAME``, ``VERSION``, ``VERSION_CODENAME``); without either, from
``etc/alpine-release`` or ``etc/debian_version``. Debian's point release ("12.5") comes
from ``etc/debian_version`` and is informational: advisories are per major release.

OSV ecosystems (release-qualified; never bare "Debian", which matches every release):

| os-release ID | ecosystem |
|---|---|
| debian | ``Debian:<major>``; testing and sid have no VERSION_ID: their codename
  (``VERSION_CODENAME`` or the ``trixie/sid`` of debian_version) names the release
  they will become (trixie → ``Debian:13``); an unknown codename → None |
| ubuntu | ``Ubuntu:<VERSION_ID>``, plus ``:LTS`` when VERSION says LTS |
| alpine | ``Alpine:v<major>.<minor>`` |
| rocky, almalinux | ``Rocky Linux:<major>``, ``AlmaLinux:<major>`` |
| wolfi, chainguard | ``Wolfi``, ``Chainguard`` |
| anything else | None: berth cannot match its packages |
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

from berth.scan.inventory import records
from berth.scan.inventory.records import FileFacts
from berth.scan.model import OsInfo

_RELEASE_FILES = ("etc/os-release", "usr/lib/os-release")
_DEBIAN_CODENAMES = {"stretch": "9", "buster": "10", "bullseye": "11", "bookworm": "12",
                     "trixie": "13", "forky": "14", "duke": "15"}
_MAJOR = re.compile(r"\d+")
_MAJOR_MINOR = re.compile(r"(\d+)\.(\d+)")
_KEY = re.compile(r"[A-Z][A-Z0-9_]*")


def read_os_release(path: str, text: str) -> FileFacts:
    """os-release ``KEY=value`` lines, shell-quoted values unquoted (a key given twice:
    the last value, as a shell would have it)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and _KEY.fullmatch(key):
            fields[key] = _unquote(value)
    return FileFacts(path, records.OS_RELEASE, fields=tuple(fields.items()))


def _unquote(value: str) -> str:
    try:
        words = shlex.split(value)
    except ValueError:
        return value.strip().strip("'\"")
    return " ".join(words)


def read_release_file(kind: str, path: str, text: str) -> FileFacts | None:
    """``etc/debian_version`` or ``etc/alpine-release``: one line, a version."""
    version = text.strip().splitlines()[0].strip() if text.strip() else ""
    return FileFacts(path, kind, fields=(("VERSION", version),)) if version else None


def detect(files: Mapping[str, FileFacts]) -> OsInfo | None:
    """The OS the visible files describe; None when they describe none."""
    release = next((files[p] for p in _RELEASE_FILES if p in files), None)
    debian = files.get("etc/debian_version")
    debian_version = debian.field("VERSION") if debian else None
    fields = dict(release.fields) if release else _fallback(files, debian_version)
    if not fields or not fields.get("ID"):
        return None
    os_id = fields["ID"].strip().lower()
    version_id = fields.get("VERSION_ID", "")
    if os_id == "alpine" and not version_id and "etc/alpine-release" in files:
        version_id = files["etc/alpine-release"].field("VERSION") or ""
    pretty = fields.get("PRETTY_NAME") or " ".join(
        v for v in (fields.get("NAME", os_id), version_id) if v)
    point = debian_version if os_id == "debian" else None
    codename = fields.get("VERSION_CODENAME") or (debian_version or "").partition("/")[0]
    return OsInfo(os_id, version_id, pretty,
                  ecosystem(os_id, version_id, fields.get("VERSION", ""), codename),
                  point_release=point)


def _fallback(files: Mapping[str, FileFacts], debian_version: str | None) -> dict[str, str]:
    alpine = files.get("etc/alpine-release")
    if alpine is not None:
        return {"ID": "alpine", "VERSION_ID": alpine.field("VERSION") or ""}
    if debian_version and (major := _MAJOR.match(debian_version)):
        return {"ID": "debian", "VERSION_ID": major.group()}
    return {}


def ecosystem(os_id: str, version_id: str, version: str = "", codename: str = ""
              ) -> str | None:
    """The OSV ecosystem of this OS's packages (see the module docstring)."""
    major = _MAJOR.match(version_id)
    if os_id == "debian":
        number = major.group() if major else _DEBIAN_CODENAMES.get(codename.strip().lower())
        return f"Debian:{number}" if number else None
    if os_id == "ubuntu" and version_id:
        return f"Ubuntu:{version_id}" + (":LTS" if "LTS" in version else "")
    if os_id == "alpine" and (minor := _MAJOR_MINOR.match(version_id)):
        return f"Alpine:v{minor.group(1)}.{minor.group(2)}"
    if os_id == "rocky" and major:
        return f"Rocky Linux:{major.group()}"
    if os_id == "almalinux" and major:
        return f"AlmaLinux:{major.group()}"
    return {"wolfi": "Wolfi", "chainguard": "Chainguard"}.get(os_id)
