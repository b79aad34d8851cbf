"""Installed npm packages: the ``package.json`` at the root of each package under a
``node_modules`` directory (``node_modules/<name>/`` or ``node_modules/@scope/<name>/``;
``paths.classify`` picks those). Lock files are not read: in an image, what is installed
is what counts.
"""

from __future__ import annotations

import json
from typing import Any

from berth.scan.inventory import records
from berth.scan.inventory.records import FileFacts, RawPackage


def read_package_json(path: str, text: str) -> FileFacts | None:
    """The package; None without a string name and version. ValueError for bad JSON."""
    doc = json.loads(text)
    if not isinstance(doc, dict):
        return None
    name, version = doc.get("name"), doc.get("version")
    if not (isinstance(name, str) and name and isinstance(version, str) and version):
        return None
    package = RawPackage(name, version, licenses=licences(doc))
    return FileFacts(path, records.NPM, (package,))


def licences(doc: dict[str, Any]) -> tuple[str, ...]:
    """``license`` as a string or ``{"type": …}``, or the legacy ``licenses`` list."""
    given = doc.get("license")
    if given is None:
        given = doc.get("licenses")
    items = given if isinstance(given, list) else [given]
    found = []
    for item in items:
        value = item.get("type") if isinstance(item, dict) else item
        if isinstance(value, str) and value.strip():
            found.append(value.strip())
    return tuple(found)
