"""An inventory as a CycloneDX 1.5 SBOM (JSON), with package URLs per the purl spec."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

from berth.scan.model import Inventory, OsInfo, Package

SPEC_VERSION = "1.5"


def cyclonedx(inventory: Inventory, *, image_name: str, image_digest: str,
              created: datetime) -> dict[str, Any]:
    """The document; its serial number is derived from the image digest, so the SBOM of
    one image is the same document every time."""
    image_ref = f"image:{image_digest}"
    components: list[dict[str, Any]] = []
    if inventory.os is not None:
        components.append(_os_component(inventory.os))
    components.extend(_component(p, inventory.os) for p in inventory.packages)
    return {
        "bomFormat": "CycloneDX", "specVersion": SPEC_VERSION, "version": 1,
        "serialNumber": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, image_ref)}",
        "metadata": {
            "timestamp": created.isoformat().replace("+00:00", "Z"),
            "tools": {"components": [{"type": "application", "name": "berth"}]},
            "component": {"bom-ref": image_ref, "type": "container", "name": image_name,
                          "version": image_digest},
        },
        "components": components,
    }


def _os_component(system: OsInfo) -> dict[str, Any]:
    return {"bom-ref": f"os:{system.id}@{system.version_id}", "type": "operating-system",
            "name": system.id, "version": system.version_id, "description": system.pretty_name}


def _component(package: Package, system: OsInfo | None) -> dict[str, Any]:
    purl = package_url(package, system)
    out: dict[str, Any] = {"bom-ref": f"{purl}#{package.path}", "type": "library",
                           "name": package.name, "version": package.version, "purl": purl,
                           "properties": _properties(package)}
    if package.licenses:
        out["licenses"] = [{"license": {"name": name}} for name in package.licenses]
    return out


def _properties(package: Package) -> list[dict[str, str]]:
    props = {"berth:package_manager": package.package_manager, "berth:file_path": package.path,
             "berth:layer_digest": package.layer, "berth:ecosystem": package.ecosystem}
    if package.source_name:
        props["berth:source_name"] = package.source_name
    if package.source_version:
        props["berth:source_version"] = package.source_version
    return [{"name": k, "value": v} for k, v in props.items()]


def package_url(package: Package, system: OsInfo | None) -> str:
    kind, name, version = package.purl_type, package.name, package.version
    qualifiers: dict[str, str] = {}
    namespace = ""
    if kind in ("deb", "apk", "rpm"):
        namespace = system.id if system else ""
        if package.arch:
            qualifiers["arch"] = package.arch
        if system and system.version_id:
            qualifiers["distro"] = f"{system.id}-{system.version_id}"
        head, colon, rest = version.partition(":")
        if colon and head.isdigit():
            qualifiers["epoch"], version = head, rest
    elif kind == "pypi":
        name = re.sub(r"[-_.]+", "-", name).lower()
    elif kind == "maven" and ":" in name:
        namespace, name = name.split(":", 1)
    elif kind in ("npm", "golang") and "/" in name:
        namespace, name = name.rsplit("/", 1)
    text = "pkg:" + kind + "/"
    if namespace:
        text += "/".join(quote(part, safe="") for part in namespace.split("/")) + "/"
    text += quote(name, safe="") + "@" + quote(version, safe="+~")
    if qualifiers:
        text += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(qualifiers.items()))
    return text
