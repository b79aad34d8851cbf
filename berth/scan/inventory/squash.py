"""Layers applied bottom to top: the image's packages, as its final filesystem has them.

OCI whiteouts (image-spec ``layer.md``): ``.wh.<name>`` hides the lower layers' ``<name>``
and everything under it; ``.wh..wh..opq`` hides every lower-layer child of its directory;
neither hides what its own layer writes. A non-directory entry (a symlink, a file that
says nothing) hides the lower layers' file at its path and all below it; a directory hides
a lower file at its path. A file a layer writes again replaces the lower one; each
package's ``layer`` is the digest of the layer that last wrote its file.

Then: the OS is read from the visible os-release files (it may come from another layer
than the package database); OS packages get its ecosystem ("" when berth has none for
it, with a note); language packages whose file an OS package installed are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from berth.scan.inventory import osrelease, records
from berth.scan.inventory.records import FileFacts, LayerInventory, RawPackage
from berth.scan.model import (
    CARGO,
    GOBINARY,
    JAR,
    NODEPKG,
    OS,
    PYTHONPKG,
    Inventory,
    OsInfo,
    Package,
)

Visible = dict[str, tuple[str, FileFacts]]   # path → (layer digest, facts)

# kind → (ecosystem, package_manager, purl_type); ecosystem None: the OS's
_KINDS: dict[str, tuple[str | None, str, str]] = {
    records.DPKG: (None, OS, "deb"), records.APK: (None, OS, "apk"),
    records.RPM: (None, OS, "rpm"), records.PYTHON: ("PyPI", PYTHONPKG, "pypi"),
    records.NPM: ("npm", NODEPKG, "npm"), records.GO: ("Go", GOBINARY, "golang"),
    records.MAVEN: ("Maven", JAR, "maven"), records.RUST: ("crates.io", CARGO, "cargo"),
}


def squash(layers: Sequence[LayerInventory]) -> Inventory:
    """The image's inventory from its layers' inventories, bottom layer first."""
    visible: Visible = {}
    notes: list[str] = []
    for layer in layers:
        _hide(visible, layer)
        visible.update((f.path, (layer.digest, f)) for f in layer.files)
        notes += [f"{layer.digest}: {note}" for note in layer.notes]
    system = osrelease.detect({path: facts for path, (_, facts) in visible.items()})
    owned = {path for _, facts in visible.values() for path in facts.owns}
    packages = _packages(visible, owned, system)
    notes += _os_notes(packages, system)
    return Inventory(system, tuple(packages), tuple(notes))


def _hide(visible: Visible, layer: LayerInventory) -> None:
    gone = {*layer.whiteouts, *layer.replaced}
    opaque, directories = set(layer.opaque_dirs), set(layer.directories)
    if not (gone or opaque or directories):
        return
    for path in list(visible):
        if path in directories or _hidden(path, gone, opaque):
            del visible[path]


def _hidden(path: str, gone: set[str], opaque: set[str]) -> bool:
    """Whether ``path`` or one of its ancestors is gone, or an ancestor is opaque."""
    if path in gone or "" in opaque:
        return True
    end = path.find("/")
    while end >= 0:
        ancestor = path[:end]
        if ancestor in gone or ancestor in opaque:
            return True
        end = path.find("/", end + 1)
    return False


def _packages(visible: Visible, owned: set[str], system: OsInfo | None) -> list[Package]:
    os_ecosystem = system.ecosystem if system and system.ecosystem else ""
    found: list[Package] = []
    seen_os: set[tuple[str, str, str, str | None]] = set()
    for path in sorted(visible):
        layer, facts = visible[path]
        kind = _KINDS.get(facts.kind)
        if kind is None or (kind[0] is not None and path in owned):
            continue
        ecosystem, manager, purl_type = kind
        for raw in facts.packages:
            if ecosystem is None:
                key = (purl_type, raw.name, raw.version, raw.arch)
                if key in seen_os:      # in both dpkg status and status.d, say
                    continue
                seen_os.add(key)
            found.append(_package(raw, ecosystem or os_ecosystem, manager, purl_type,
                                  path, layer))
    return found


def _package(raw: RawPackage, ecosystem: str, manager: str, purl_type: str, path: str,
             layer: str) -> Package:
    return Package(ecosystem, raw.name, raw.version, manager, purl_type, path, layer,
                   raw.source_name, raw.source_version, raw.arch, raw.licenses)


def _os_notes(packages: Iterable[Package], system: OsInfo | None) -> list[str]:
    count = sum(1 for p in packages if p.package_manager == OS)
    if not count or (system is not None and system.ecosystem):
        return []
    what = f"OS {system.id} {system.version_id}".rstrip() if system else "no os-release"
    return [f"{count} OS packages cannot be matched: {what} has no ecosystem berth knows"]
