"""dpkg's status database and apk's installed database: the OS package lists."""

from __future__ import annotations

import re
from typing import Any

_SOURCE = re.compile(r"(\S+)(?:\s+\((\S+)\))?")


def _paragraphs(text: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    fields: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.strip():
            if fields:
                found.append(fields)
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
        found.append(fields)
    return found


def status(text: str) -> list[dict[str, Any]]:
    """Installed packages of a dpkg status file (or one status.d file): name, version,
    architecture, and the source package and version advisories name."""
    packages = []
    for fields in _paragraphs(text):
        if "package" not in fields or "version" not in fields:
            continue
        if "status" in fields and not fields["status"].endswith(" installed"):
            continue
        version = fields["version"]
        source, source_version = fields["package"], version
        match = _SOURCE.fullmatch(fields.get("source", ""))
        if match:
            source = match.group(1)
            if match.group(2):
                source_version = match.group(2)
                epoch = version.partition(":")[0] if ":" in version else None
                if epoch and ":" not in source_version:
                    source_version = f"{epoch}:{source_version}"  # Trivy's SrcEpoch rule
        packages.append({"name": fields["package"], "version": version,
                         "arch": fields.get("architecture"), "source": source,
                         "source_version": source_version})
    return packages


def apk_installed(text: str) -> list[dict[str, Any]]:
    """apk's installed database: P name, V version, A arch, o origin, L licence."""
    packages = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if len(line) > 2 and line[1] == ":" and line[0] not in fields:
                fields[line[0]] = line[2:]
        if fields.get("P") and fields.get("V"):
            packages.append({"name": fields["P"], "version": fields["V"],
                             "arch": fields.get("A"), "source": fields.get("o") or fields["P"],
                             "source_version": fields["V"], "license": fields.get("L")})
    return packages
