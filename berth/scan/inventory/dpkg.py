"""dpkg's database: ``var/lib/dpkg/status``, distroless ``status.d/*``, and the lists of
files each package installed (``info/*.list``, ``status.d/*.md5sums``).

Advisories name Debian and Ubuntu *source* packages and versions, so each package keeps
its ``Source:`` line: ``Source: bash (5.2.15-2)`` for a binNMU ``5.2.15-2+b13``;
``Source: zlib`` (no version: the source version is the binary's). A source version
without an epoch inherits the binary's (Trivy's SrcEpoch): ``Version: 1:2.0-1+b1`` with
``Source: foo (2.0-1)`` has source version ``1:2.0-1``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from berth.scan.inventory import records
from berth.scan.inventory.records import FileFacts, RawPackage

_SOURCE = re.compile(r"(?P<name>[^\s(]+)\s*(?:\((?P<version>[^)\s]+)\))?\s*")


def paragraphs(text: str) -> Iterator[dict[str, str]]:
    """deb822 paragraphs: field names lower-cased, continuation lines joined by \\n."""
    fields: dict[str, str] = {}
    key: str | None = None
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields, key = {}, None
        elif line[0] in " \t":
            if key is not None:
                fields[key] += "\n" + line.strip()
        else:
            name, sep, value = line.partition(":")
            if sep:
                key = name.strip().lower()
                fields[key] = value.strip()
    if fields:
        yield fields


def read_status(path: str, text: str) -> FileFacts | None:
    """The installed packages of a status file. In ``var/lib/dpkg/status`` only those
    whose Status ends in ``installed`` count (not ``deinstall ok config-files``,
    ``half-installed``…); a distroless ``status.d`` file may have no Status line."""
    distroless = path.startswith("var/lib/dpkg/status.d/")
    found = [package for fields in paragraphs(text)
             if _installed(fields, distroless) and (package := _package(fields))]
    return FileFacts(path, records.DPKG, tuple(found)) if found else None


def _installed(fields: dict[str, str], distroless: bool) -> bool:
    status = fields.get("status")
    if status is None:
        return distroless
    words = status.split()
    return bool(words) and words[-1] == "installed"


def _package(fields: dict[str, str]) -> RawPackage | None:
    name, version = fields.get("package"), fields.get("version")
    if not name or not version:
        return None
    source_name, source_version = source_of(fields.get("source", ""), version)
    return RawPackage(name, version,
                      source_name if source_name not in (None, name) else None,
                      source_version if source_version not in (None, version) else None,
                      fields.get("architecture") or None)


def source_of(line: str, version: str) -> tuple[str | None, str | None]:
    """(source name, source version) of a ``Source:`` value; (None, None) when empty."""
    match = _SOURCE.fullmatch(line.strip())
    if not line.strip() or match is None:
        return None, None
    source_version = match.group("version") or version
    epoch, colon, _ = version.partition(":")
    if colon and ":" not in source_version:
        source_version = f"{epoch}:{source_version}"
    return match.group("name"), source_version


def read_file_list(path: str, text: str) -> FileFacts | None:
    """The files one package installed: ``info/<pkg>.list`` (a path a line) or
    ``status.d/<pkg>.md5sums`` (``<md5>  <path>``). ``owns`` holds them all; the layer
    reader keeps only those language detectors or Go binaries care about."""
    md5sums = path.endswith(".md5sums")
    owned = []
    for line in text.splitlines():
        item = line.split(None, 1)[1] if md5sums and " " in line.strip() else line
        item = item.strip().lstrip("/")
        if item and item != ".":
            owned.append(item)
    return FileFacts(path, records.DPKG_FILES, owns=tuple(owned)) if owned else None
