"""Layers applied in order: what the image holds at the top, as packages.

OCI whiteouts (image-spec ``layer.md``): ``.wh.<name>`` hides ``<name>`` (and all under
it) of lower layers; ``.wh..wh..opq`` hides every lower-layer child of its directory;
neither hides the files of its own layer. A file a layer writes again replaces the
lower one; each package remembers the layer that last wrote its file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from berth.scan.inventory.layers import LayerInventory
from berth.scan.inventory.osinfo import os_info
from berth.scan.model import GOBINARY, JAR, NODEPKG, OS, PYTHONPKG, Inventory, OsInfo, Package

Files = dict[str, tuple[str, dict[str, Any]]]
_OS_PURL = {"dpkg": "deb", "apk": "apk", "rpm": "rpm"}


def squash(layers: Sequence[LayerInventory]) -> Inventory:
    files: Files = {}
    notes: list[str] = []
    for layer in layers:
        _hide(files, layer.opaque, layer.whiteouts)
        for path, facts in layer.files.items():
            if facts["kind"] == "gone":
                files.pop(path, None)
            else:
                files[path] = (layer.digest, facts)
        notes.extend(layer.notes)
    system = os_info({p: f for p, (_, f) in files.items()})
    owned = {p for _, f in files.values() if f["kind"] == "owned" for p in f["paths"]}
    packages: list[Package] = []
    for path in sorted(files):
        digest, facts = files[path]
        if path not in owned:
            packages.extend(_packages(path, digest, facts, system))
    return Inventory(system, tuple(packages), tuple(notes))


def _hide(files: Files, opaque: Iterable[str], whiteouts: Iterable[str]) -> None:
    prefixes = [d.rstrip("/") + "/" if d else "" for d in opaque]
    exact = set(whiteouts)
    under = tuple(w + "/" for w in exact)
    for path in list(files):
        if path in exact or path.startswith(under) or any(path.startswith(p) for p in prefixes):
            del files[path]


def _packages(path: str, layer: str, facts: dict[str, Any], system: OsInfo | None
              ) -> list[Package]:
    kind = facts["kind"]
    if kind in _OS_PURL:
        ecosystem = system.ecosystem if system and system.ecosystem else "unknown"
        return [_os_package(p, ecosystem, _OS_PURL[kind], path, layer)
                for p in facts["packages"]]
    if kind == "python":
        return [Package("PyPI", facts["name"], facts["version"], PYTHONPKG, "pypi", path, layer,
                        licenses=_licenses(facts.get("license")))]
    if kind == "npm":
        return [Package("npm", facts["name"], facts["version"], NODEPKG, "npm", path, layer,
                        licenses=_licenses(facts.get("license")))]
    if kind == "go":
        return _go(facts, path, layer)
    if kind == "maven":
        return [Package("Maven", p["name"], p["version"], JAR, "maven", path, layer)
                for p in facts["packages"]]
    return []


def _os_package(p: dict[str, Any], ecosystem: str, purl: str, path: str, layer: str
                ) -> Package:
    return Package(ecosystem, p["name"], p["version"], OS, purl, path, layer,
                   source_name=p.get("source") or None,
                   source_version=p.get("source_version") or None, arch=p.get("arch"),
                   licenses=_licenses(p.get("license")))


def _go(facts: dict[str, Any], path: str, layer: str) -> list[Package]:
    found = [Package("Go", "stdlib", facts["go"], GOBINARY, "golang", path, layer)]
    main = facts.get("main")
    if main and main[1] not in ("(devel)", ""):
        found.append(Package("Go", main[0], main[1], GOBINARY, "golang", path, layer))
    found += [Package("Go", name, version, GOBINARY, "golang", path, layer)
              for name, version in facts.get("modules", [])]
    return found


def _licenses(text: Any) -> tuple[str, ...]:
    return (text,) if isinstance(text, str) and text and text != "UNKNOWN" else ()
