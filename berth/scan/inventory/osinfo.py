"""The image's operating system, named as OSV names its advisories' ecosystems."""

from __future__ import annotations

from typing import Any

from berth.scan.model import OsInfo

_RELEASE_FILES = ("etc/os-release", "usr/lib/os-release")


def os_info(files: dict[str, dict[str, Any]]) -> OsInfo | None:
    """From os-release (``etc`` first), else from ``etc/alpine-release``."""
    fields = next((files[p]["fields"] for p in _RELEASE_FILES if p in files), None)
    if fields is None:
        alpine = files.get("etc/alpine-release")
        if alpine is None:
            return None
        fields = {"ID": "alpine", "VERSION_ID": alpine["version"]}
    os_id = fields.get("ID", "").lower()
    version = fields.get("VERSION_ID", "")
    pretty = fields.get("PRETTY_NAME") or f"{os_id} {version}".strip()
    return OsInfo(os_id, version, pretty, ecosystem(os_id, version, fields.get("VERSION", "")))


def ecosystem(os_id: str, version: str, long_version: str = "") -> str | None:
    """``Debian:12``, ``Ubuntu:22.04:LTS``, ``Alpine:v3.20``, ...; None when OSV has no
    per-release ecosystem berth can name for this system."""
    major = version.split(".")[0]
    if os_id == "debian":
        return f"Debian:{major}" if major.isdigit() else "Debian:sid"
    if os_id == "ubuntu" and version:
        return f"Ubuntu:{version}" + (":LTS" if "LTS" in long_version else "")
    if os_id == "alpine" and version.count(".") >= 1:
        return "Alpine:v" + ".".join(version.split(".")[:2])
    if os_id == "rocky" and major.isdigit():
        return f"Rocky Linux:{major}"
    if os_id == "almalinux" and major.isdigit():
        return f"AlmaLinux:{major}"
    return {"wolfi": "Wolfi", "chainguard": "Chainguard"}.get(os_id)
