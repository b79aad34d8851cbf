"""apk's installed database (``lib/apk/db/installed``): Alpine, Wolfi, Chainguard.

One block per package, blank-line separated, ``X:value`` lines: ``P`` name, ``V`` version,
``A`` arch, ``o`` origin (the source package advisories name), ``L`` licence, ``F`` a
directory and the ``R`` files under it that the package installed.
"""

from __future__ import annotations

from berth.scan.inventory import records
from berth.scan.inventory.records import FileFacts, RawPackage


def read_installed(path: str, text: str) -> FileFacts | None:
    """Packages and the files they own (all of them; the layer reader filters)."""
    packages: list[RawPackage] = []
    owned: list[str] = []
    for block in text.split("\n\n"):
        fields, files = _block(block)
        owned.extend(files)
        name, version = fields.get("P"), fields.get("V")
        if name and version:
            origin = fields.get("o")
            licence = fields.get("L")
            packages.append(RawPackage(name, version,
                                       origin if origin and origin != name else None,
                                       None, fields.get("A") or None,
                                       (licence,) if licence else ()))
    if not packages:
        return None
    return FileFacts(path, records.APK, tuple(packages), owns=tuple(owned))


def _block(block: str) -> tuple[dict[str, str], list[str]]:
    fields: dict[str, str] = {}
    files: list[str] = []
    directory = ""
    for line in block.splitlines():
        if len(line) < 2 or line[1] != ":":
            continue
        key, value = line[0], line[2:].strip()
        if key == "F":
            directory = value.strip("/")
        elif key == "R" and value:
            files.append(f"{directory}/{value}" if directory else value)
        elif key not in fields:
            fields[key] = value
    return fields, files
