"""What reading one layer yields, in a form that can be cached and squashed later.

A layer's ``LayerInventory`` depends only on the layer's bytes (and INVENTORY_VERSION), so
it is cached by layer digest and shared by every image built on that layer. It holds
facts, not file contents: the packages each kept file describes, os-release fields, the
language-package files an OS package database says it installed, and what the layer
removes from the layers below it.

JSON shape (``to_json``), compact because it is stored per layer::

    {"v": 1, "digest": "sha256:…",
     "files": [{"path": "var/lib/dpkg/status", "kind": "dpkg",
                "packages": [{"name": "bash", "version": "5.2.15-2+b13",
                              "source_version": "5.2.15-2", "arch": "amd64"}, …]},
               {"path": "usr/lib/os-release", "kind": "os-release",
                "fields": {"ID": "debian", …}}, …],
     "whiteouts": […], "opaque_dirs": […], "replaced": […], "directories": […],
     "notes": […]}
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from berth.scan.inventory.errors import InventoryError

# Bump whenever a detector, a cap or the record shape changes what a layer yields:
# cached LayerInventories of another version must be read again.
INVENTORY_VERSION = 3

# FileFacts.kind
OS_RELEASE = "os-release"          # fields: os-release KEY=VALUE pairs
DEBIAN_VERSION = "debian-version"  # fields: {"VERSION": "12.5"}
ALPINE_RELEASE = "alpine-release"  # fields: {"VERSION": "3.20.3"}
DPKG = "dpkg"                      # packages (dpkg status or a distroless status.d file)
DPKG_FILES = "dpkg-files"          # owns: a dpkg info/*.list or status.d/*.md5sums file
APK = "apk"                        # packages, owns
RPM = "rpm"                        # packages, owns
PYTHON = "python"                  # packages (one)
NPM = "npm"                        # packages (one)
GO = "go"                          # packages: the toolchain as "stdlib", main module, deps
RUST = "rust"                      # packages: crates.io crates cargo-auditable recorded
MAVEN = "maven"                    # packages: pom.properties of a jar and its nested jars
OS_PACKAGE_KINDS = frozenset({DPKG, APK, RPM})


@dataclass(frozen=True, slots=True)
class RawPackage:
    """A package as one file describes it, before the image's OS (and so the ecosystem
    of OS packages) is known. ``source_name``/``source_version`` are None when equal to
    the package's own name/version."""

    name: str
    version: str
    source_name: str | None = None
    source_version: str | None = None
    arch: str | None = None
    licenses: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"name": self.name, "version": self.version}
        for key in ("source_name", "source_version", "arch"):
            if getattr(self, key) is not None:
                doc[key] = getattr(self, key)
        if self.licenses:
            doc["licenses"] = list(self.licenses)
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> RawPackage:
        return cls(doc["name"], doc["version"], doc.get("source_name"),
                   doc.get("source_version"), doc.get("arch"),
                   tuple(doc.get("licenses", ())))


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What one kept file says. ``owns`` lists language-package files (and Go binaries
    of the same layer) that an OS package database says its packages installed."""

    path: str
    kind: str
    packages: tuple[RawPackage, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    owns: tuple[str, ...] = ()

    def field(self, key: str) -> str | None:
        return next((value for k, value in self.fields if k == key), None)

    def at(self, path: str) -> FileFacts:
        """The same facts found at another path (a hard link)."""
        return replace(self, path=path)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"path": self.path, "kind": self.kind}
        if self.packages:
            doc["packages"] = [p.to_json() for p in self.packages]
        if self.fields:
            doc["fields"] = dict(self.fields)
        if self.owns:
            doc["owns"] = list(self.owns)
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> FileFacts:
        return cls(doc["path"], doc["kind"],
                   tuple(RawPackage.from_json(p) for p in doc.get("packages", ())),
                   tuple((str(k), str(v)) for k, v in doc.get("fields", {}).items()),
                   tuple(doc.get("owns", ())))


@dataclass(frozen=True, slots=True)
class LayerInventory:
    """One layer's contribution to an image.

    - ``files``: facts of the kept files this layer wrote, sorted by path.
    - ``whiteouts``: ``.wh.<name>`` targets: the lower layers' path and all under it go.
    - ``opaque_dirs``: ``.wh..wh..opq`` directories: every lower-layer child goes.
    - ``replaced``: non-directory entries of this layer that yield no facts (symlinks,
      unreadable or over-cap metadata, executables that are not Go): they hide the lower
      layers' file at that path and anything below it.
    - ``directories``: directories at paths a lower layer may have kept as a file.
    - ``notes``: what was refused or capped, and why.
    None of these hides anything the same layer writes.
    """

    digest: str
    files: tuple[FileFacts, ...] = ()
    whiteouts: tuple[str, ...] = ()
    opaque_dirs: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    directories: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (see the module docstring); ``from_json`` reads it back."""
        return {"v": INVENTORY_VERSION, "digest": self.digest,
                "files": [f.to_json() for f in self.files],
                "whiteouts": list(self.whiteouts), "opaque_dirs": list(self.opaque_dirs),
                "replaced": list(self.replaced), "directories": list(self.directories),
                "notes": list(self.notes)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> LayerInventory:
        """InventoryError when ``doc`` was written by another INVENTORY_VERSION or is not
        a LayerInventory: the layer must be read again."""
        if not isinstance(doc, dict) or doc.get("v") != INVENTORY_VERSION:
            raise InventoryError("cached layer inventory is of another version")
        try:
            return cls(doc["digest"], tuple(FileFacts.from_json(f) for f in doc["files"]),
                       tuple(doc["whiteouts"]), tuple(doc["opaque_dirs"]),
                       tuple(doc["replaced"]), tuple(doc["directories"]),
                       tuple(doc["notes"]))
        except (KeyError, TypeError, AttributeError) as exc:
            raise InventoryError(f"malformed cached layer inventory: {exc!r}") from exc
