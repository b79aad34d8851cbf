"""Maven artifacts in Java archives: ``META-INF/maven/<group>/<artifact>/pom.properties``
inside a jar/war/ear and inside the jars it carries (``WEB-INF/lib/*.jar``,
``BOOT-INF/lib/*.jar``), one level deep at most.

The archive is spooled (a zip's directory is at its end); every member is read with a
cap on the bytes it actually decompresses to, not on the size it declares. Archives
without pom.properties (no Maven coordinates) are not reported.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from typing import IO

from berth.scan.inventory import records
from berth.scan.inventory.limits import Limits
from berth.scan.inventory.records import FileFacts, RawPackage

_SPOOL = 8 << 20
MAX_PROPERTIES = 1 << 20
_ARCHIVES = (".jar", ".war", ".ear")
Note = Callable[[str], None]
# What a broken or hostile zip raises (encrypted members: RuntimeError; unknown
# compression: NotImplementedError).
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, RuntimeError,
               NotImplementedError)


def read_archive(path: str, data: IO[bytes], size: int, limits: Limits, note: Note
                 ) -> FileFacts | None:
    """The Maven artifacts the archive (and the archives in it) carries."""
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL) as spool:
        shutil.copyfileobj(data, spool, 1 << 20)
        spool.seek(0)
        with zipfile.ZipFile(spool) as archive:
            found = _artifacts(archive, path, limits, note, nested=True)
    unique = tuple(dict.fromkeys(found))
    return FileFacts(path, records.MAVEN, unique) if unique else None


def _artifacts(archive: zipfile.ZipFile, where: str, limits: Limits, note: Note,
               nested: bool) -> list[RawPackage]:
    found: list[RawPackage] = []
    inner = 0
    for info in archive.infolist():
        name = info.filename
        if name.startswith("META-INF/maven/") and name.endswith("/pom.properties"):
            text = _member(archive, info, MAX_PROPERTIES)
            package = _pom_package(text) if text is not None else None
            if package is not None:
                found.append(package)
        elif nested and name.lower().endswith(_ARCHIVES) and not info.is_dir():
            inner += 1
            if inner > limits.max_nested_archives:
                note(f"{where}: more than {limits.max_nested_archives} nested archives")
                break
            found += _nested(archive, info, f"{where}!/{name}", limits, note)
    return found


def _nested(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, limits: Limits,
            note: Note) -> list[RawPackage]:
    try:
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL) as spool:
            with archive.open(info) as member:
                copied = _copy_capped(member, spool, limits.max_archive_member)
            if copied is None:
                note(f"{where}: over the {limits.max_archive_member}-byte cap, not read")
                return []
            spool.seek(0)
            with zipfile.ZipFile(spool) as inner:
                return _artifacts(inner, where, limits, note, nested=False)
    except _ZIP_ERRORS as exc:
        note(f"{where}: not a readable archive ({type(exc).__name__}: {exc})"[:300])
        return []


def _copy_capped(source: IO[bytes], target: IO[bytes], cap: int) -> int | None:
    copied = 0
    while chunk := source.read(1 << 20):
        copied += len(chunk)
        if copied > cap:
            return None
        target.write(chunk)
    return copied


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> str | None:
    with archive.open(info) as member:
        data = member.read(cap + 1)
    return None if len(data) > cap else data.decode("utf-8", errors="replace")


def _pom_package(text: str) -> RawPackage | None:
    props = properties(text)
    group, artifact, version = (props.get(k) for k in ("groupId", "artifactId", "version"))
    if not (group and artifact and version):
        return None
    return RawPackage(f"{group}:{artifact}", version)


def properties(text: str) -> dict[str, str]:
    """``key=value`` / ``key: value`` lines of a Java properties file (no escapes or
    continuations: pom.properties has none)."""
    props: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#!":
            continue
        cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if cut > 0:
            props[line[:cut].strip()] = line[cut + 1:].strip()
    return props
