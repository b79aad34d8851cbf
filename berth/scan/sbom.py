"""An inventory as a CycloneDX 1.5 SBOM (JSON), with package URLs per the purl spec.

The document is a pure function of its arguments: its serial number is a UUID derived
from the image digest, component refs from each package's purl and file, so one image's
SBOM is the same bytes every time (``created`` aside).

Package URLs (github.com/package-url/purl-spec), built here rather than with
packageurl-python (they agree on every form below):

| type | form |
|---|---|
| deb, rpm | ``pkg:deb/<os id>/<name>@<version>?arch=…&distro=<os id>-<VERSION_ID>&epoch=N``
  (the epoch moves from the version to the ``epoch`` qualifier) |
| apk | ``pkg:apk/<os id>/<name>@<version>?arch=…&distro=<os id>-<VERSION_ID>`` |
| pypi | ``pkg:pypi/<PEP 503 normalised name>@<version>`` |
| npm | ``pkg:npm/%40scope/name@<version>`` (the ``@`` of a scope percent-encoded) |
| golang | ``pkg:golang/<module path up to the last />/<last segment>@<version>`` |
| maven | ``pkg:maven/<groupId>/<artifactId>@<version>`` |
| cargo | ``pkg:cargo/<name>@<version>`` |

Qualifiers are sorted by key; values and versions are percent-encoded except ``:`` and
``/`` (``+`` becomes ``%2B``).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from berth import __version__
from berth.scan.model import OS, Inventory, OsInfo, Package

SPEC_VERSION = "1.5"
_OS_TYPES = frozenset({"deb", "rpm", "apk"})
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://berth.invalid/sbom")


def cyclonedx(inventory: Inventory, *, image_name: str, image_digest: str,
              created: datetime | str) -> dict[str, Any]:
    """The CycloneDX 1.5 document of an image's inventory. ``created`` is a datetime
    (naive means UTC) or an ISO 8601 string; ValueError when the string is not one."""
    image = _image_component(image_name, image_digest)
    components = [_os_component(inventory.os)] if inventory.os is not None else []
    refs: set[str] = set()
    components += [_component(p, inventory.os, refs) for p in inventory.packages]
    return {
        "bomFormat": "CycloneDX", "specVersion": SPEC_VERSION, "version": 1,
        "serialNumber": f"urn:uuid:{uuid.uuid5(_NAMESPACE, image_digest)}",
        "metadata": {
            "timestamp": _timestamp(created),
            "tools": {"components": [{"type": "application", "name": "berth",
                                      "version": __version__}]},
            "component": image,
        },
        "components": components,
        "dependencies": [{"ref": image["bom-ref"],
                          "dependsOn": [c["bom-ref"] for c in components]}],
    }


def _timestamp(created: datetime | str) -> str:
    when = datetime.fromisoformat(created) if isinstance(created, str) else created
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _image_component(image_name: str, image_digest: str) -> dict[str, Any]:
    purl = image_url(image_name, image_digest)
    return {"bom-ref": purl, "type": "container", "name": image_name,
            "version": image_digest, "purl": purl}


def image_url(image_name: str, image_digest: str) -> str:
    """``pkg:oci/<last path segment>@<digest>?repository_url=<image name>``."""
    last = image_name.rstrip("/").rpartition("/")[2].lower()
    return (f"pkg:oci/{_enc(last)}@{_enc(image_digest)}"
            f"?repository_url={_enc(image_name.lower())}")


def _os_component(system: OsInfo) -> dict[str, Any]:
    out: dict[str, Any] = {
        "bom-ref": f"os:{system.id}@{system.version_id}", "type": "operating-system",
        "name": system.id, "version": system.point_release or system.version_id,
        "description": system.pretty_name}
    if system.ecosystem:
        out["properties"] = [{"name": "berth:ecosystem", "value": system.ecosystem}]
    return out


def _component(package: Package, system: OsInfo | None, refs: set[str]) -> dict[str, Any]:
    purl = package_url(package, system)
    ref = str(uuid.uuid5(_NAMESPACE, f"{purl}|{package.path}"))
    n = 1
    while ref in refs:
        ref, n = str(uuid.uuid5(_NAMESPACE, f"{purl}|{package.path}|{n}")), n + 1
    refs.add(ref)
    out: dict[str, Any] = {"bom-ref": ref, "type": "library", "name": package.name,
                           "version": package.version, "purl": purl,
                           "properties": _properties(package)}
    if package.licenses:
        out["licenses"] = [{"license": {"name": name}} for name in package.licenses]
    return out


def _properties(package: Package) -> list[dict[str, str]]:
    props = {"berth:package_manager": package.package_manager,
             "berth:ecosystem": package.ecosystem, "berth:file_path": package.path,
             "berth:layer_digest": package.layer}
    if package.package_manager == OS:
        props["berth:source_name"] = package.match_name
        props["berth:source_version"] = package.match_version
    return [{"name": key, "value": value} for key, value in props.items()]


def package_url(package: Package, system: OsInfo | None) -> str:
    """The package's purl (see the module docstring)."""
    kind, name, version = package.purl_type, package.name, package.version
    namespace: list[str] = []
    qualifiers: dict[str, str] = {}
    if kind in _OS_TYPES:
        namespace, qualifiers, version = _os_parts(package, system)
    elif kind == "pypi":
        name = re.sub(r"[-_.]+", "-", name).lower()
    elif kind == "maven" and ":" in name:
        group, name = name.split(":", 1)
        namespace = [group]
    elif kind in ("npm", "golang") and "/" in name:
        *namespace, name = name.split("/")
    path = "/".join(_enc(part) for part in [*namespace, name] if part)
    text = f"pkg:{kind}/{path}@{_enc(version)}"
    if qualifiers:
        text += "?" + "&".join(f"{k}={_enc(v)}" for k, v in sorted(qualifiers.items()) if v)
    return text


def _os_parts(package: Package, system: OsInfo | None
              ) -> tuple[list[str], dict[str, str], str]:
    qualifiers: dict[str, str] = {}
    if package.arch:
        qualifiers["arch"] = package.arch
    if system is not None and system.version_id:
        qualifiers["distro"] = f"{system.id}-{system.version_id}"
    version = package.version
    epoch, colon, rest = version.partition(":")
    if colon and epoch.isdigit():
        qualifiers["epoch"], version = epoch, rest
    return ([system.id.lower()] if system is not None else []), qualifiers, version


def _enc(text: str) -> str:
    return quote(text, safe=":/")
