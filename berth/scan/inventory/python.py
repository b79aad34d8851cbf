"""Installed Python distributions: ``*.dist-info/METADATA``, ``*.egg-info/PKG-INFO`` and
``*.egg-info`` files. Core metadata is an RFC 822 header block (then a description,
which is not read): ``Name``, ``Version``, and the licence from ``License-Expression``
(PEP 639), else a one-line ``License``, else the ``License :: …`` classifiers.
"""

from __future__ import annotations

from berth.scan.inventory import records
from berth.scan.inventory.records import FileFacts, RawPackage

_CLASSIFIER = "License :: "
_NOT_A_LICENCE = {"", "UNKNOWN", "LICENSE", "LICENSE.txt"}


def read_metadata(path: str, text: str) -> FileFacts | None:
    """The distribution one metadata file describes; None without Name and Version."""
    fields = headers(text)
    name, version = _first(fields, "name"), _first(fields, "version")
    if not name or not version:
        return None
    package = RawPackage(name, version, licenses=_licences(fields))
    return FileFacts(path, records.PYTHON, (package,))


def headers(text: str) -> dict[str, list[str]]:
    """The header block's fields (names lower-cased; repeated fields kept in order)."""
    fields: dict[str, list[str]] = {}
    last: list[str] | None = None
    for line in text.splitlines():
        if not line.strip():
            break
        if line[0] in " \t":
            if last:
                last[-1] += "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if sep:
            last = fields.setdefault(key.strip().lower(), [])
            last.append(value.strip())
    return fields


def _first(fields: dict[str, list[str]], key: str) -> str | None:
    values = fields.get(key)
    return values[0] if values else None


def _licences(fields: dict[str, list[str]]) -> tuple[str, ...]:
    expression = _first(fields, "license-expression")
    if expression:
        return (expression,)
    licence = _first(fields, "license") or ""
    if licence not in _NOT_A_LICENCE and "\n" not in licence and len(licence) <= 100:
        return (licence,)
    found = [c.rpartition(" :: ")[2] for c in fields.get("classifier", ())
             if c.startswith(_CLASSIFIER) and c.count(" :: ") >= 2]
    return tuple(dict.fromkeys(found))
