"""One OSV record (ossf/osv-schema) turned into the rows the database stores — pure.

``parse_record(data)`` returns a ``Record`` or raises ``Skip(reason)``. What it keeps:

- the record unless ``withdrawn`` is set, ``id`` or ``modified`` is missing, ``modified``
  is not an RFC 3339 time, or a field has the wrong JSON type (``invalid_record``);
- every ``affected`` entry with a package, under the ecosystem string as given, except
  the bare aggregate distro ecosystems ``Debian``, ``Alpine`` and ``Ubuntu``: querying
  them without a release yields massive false positives (osv.dev#4230). A record left
  with no entries is skipped (``bare_distro_ecosystem`` or ``no_affected``);
- PyPI names PEP 503-normalised; ranges other than GIT, each event as (kind, version);
- the vendor's own severity word, the first of: the entry's ``ecosystem_specific``
  ``urgency`` (Debian) or ``severity``, its ``database_specific.severity``, its OSV
  severity of type ``Ubuntu``; then the record's ``database_specific.severity`` (GHSA)
  and its OSV severity of type ``Ubuntu``.

The free-form fields (``ecosystem_specific``, ``database_specific``) are read only where
they are objects holding strings; anything else there is ignored, not refused.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, NamedTuple

from berth.scan.vulndb.schema import row_fingerprint

BARE_DISTROS = frozenset({"Debian", "Alpine", "Ubuntu"})
EVENT_KINDS = frozenset({"introduced", "fixed", "last_affected", "limit"})
SUMMARY_CAP = 1_000
DETAILS_CAP = 16_000

# skip reasons, record level
MALFORMED_JSON = "malformed_json"
INVALID_RECORD = "invalid_record"
WITHDRAWN = "withdrawn"
MISSING_ID = "missing_id"
MISSING_MODIFIED = "missing_modified"
INVALID_MODIFIED = "invalid_modified"
BARE_DISTRO = "bare_distro_ecosystem"
NO_AFFECTED = "no_affected"
# entry level: the record is kept without the entry
AFFECTED_BARE_DISTRO = "affected_bare_distro"
AFFECTED_NO_PACKAGE = "affected_no_package"

_PEP503 = re.compile(r"[-_.]+")


class Skip(Exception):
    """The record is not stored; ``reason`` says why (one of the constants above)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Named tuples, not dataclasses: parsing runs in worker processes and these cross back
# pickled, which costs about half as much for named tuples.


class AffectedRow(NamedTuple):
    ecosystem: str
    name: str
    ranges: str            # JSON, see berth.scan.vulndb.schema
    versions: str          # JSON
    vendor_severity: str | None
    fp: int                # schema.row_fingerprint


class Record(NamedTuple):
    id: str
    modified: str
    modified_key: str      # ``modified`` as fixed-width UTC ISO text: compares as times do
    published: str | None
    summary: str
    details: str
    severity: str          # JSON
    aliases: str           # JSON
    refs: str              # JSON
    affected: tuple[AffectedRow, ...]
    dropped: tuple[str, ...]  # entry-level reasons, one per entry left out


def normalize_name(ecosystem: str, name: str) -> str:
    """The name as stored and looked up: PEP 503 for PyPI, as given elsewhere."""
    return _PEP503.sub("-", name).lower() if ecosystem == "PyPI" else name


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dumps(value: object) -> str:
    """Compact JSON, as stored in the database."""
    return _ENCODER.encode(value) if value != [] else "[]"  # most lists are empty


def parse_record(data: bytes) -> Record:
    """Validate and normalise one OSV JSON document; raises Skip."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError too
        raise Skip(MALFORMED_JSON) from None
    if not isinstance(doc, dict):
        raise Skip(INVALID_RECORD)
    if doc.get("withdrawn"):
        raise Skip(WITHDRAWN)
    adv_id, modified = _text(doc, "id"), _text(doc, "modified")
    if not adv_id:
        raise Skip(MISSING_ID)
    if not modified:
        raise Skip(MISSING_MODIFIED)
    modified_key = parse_time(modified).isoformat(timespec="microseconds")
    severities = _severities(doc)
    fallback = (_word(_free(doc, "database_specific"), "severity")
                or _ubuntu_word(severities))
    affected, dropped = _affected_rows(doc, adv_id, modified, fallback)
    return Record(
        id=adv_id, modified=modified, modified_key=modified_key,
        published=_text(doc, "published"),
        summary=(_text(doc, "summary") or "")[:SUMMARY_CAP],
        details=(_text(doc, "details") or "")[:DETAILS_CAP],
        severity=dumps(severities),
        aliases=dumps(_aliases(doc, adv_id)),
        refs=dumps(_urls(doc)),
        affected=affected, dropped=dropped)


def parse_time(text: str) -> datetime:
    """An RFC 3339 time as an aware UTC datetime (naive times are taken as UTC)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Skip(INVALID_MODIFIED) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_text(moment: datetime) -> str:
    """An aware datetime as RFC 3339 UTC with a ``Z``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def key_text(modified_key: str) -> str:
    """A ``Record.modified_key`` as RFC 3339 UTC (without zero microseconds)."""
    return utc_text(datetime.fromisoformat(modified_key))


def _affected_rows(doc: dict[str, Any], adv_id: str, modified: str, record_fallback: str | None,
                   ) -> tuple[tuple[AffectedRow, ...], tuple[str, ...]]:
    rows: list[AffectedRow] = []
    dropped: list[str] = []
    for entry in _objects(doc, "affected"):
        package = _object(entry, "package")
        ecosystem, name = _text(package, "ecosystem"), _text(package, "name")
        if not ecosystem or not name:
            dropped.append(AFFECTED_NO_PACKAGE)
        elif ecosystem in BARE_DISTROS:
            dropped.append(AFFECTED_BARE_DISTRO)
        else:
            ranges, versions = dumps(_ranges(entry)), dumps(_strings(entry, "versions"))
            rows.append(AffectedRow(
                ecosystem, normalize_name(ecosystem, name), ranges, versions,
                _entry_severity_word(entry) or record_fallback,
                row_fingerprint(adv_id, modified, ranges, versions)))
    if not rows:
        raise Skip(BARE_DISTRO if AFFECTED_BARE_DISTRO in dropped else NO_AFFECTED)
    return tuple(rows), tuple(dropped)


def _ranges(entry: dict[str, Any]) -> list[list[Any]]:
    kept: list[list[Any]] = []
    for item in _objects(entry, "ranges"):
        kind = _text(item, "type")
        if kind is None:
            raise Skip(INVALID_RECORD)
        if kind == "GIT":
            continue
        events = [_event(event) for event in _objects(item, "events")]
        events = [event for event in events if event is not None]
        if events:
            kept.append([kind, events])
    return kept


def _event(event: dict[str, Any]) -> list[str] | None:
    """The event's (kind, version); None for an object without a known kind."""
    for kind, version in event.items():  # OSV: one key per event object
        if kind in EVENT_KINDS:
            if not isinstance(version, str):
                raise Skip(INVALID_RECORD)
            return [kind, version]
    return None


def _severities(holder: dict[str, Any]) -> list[list[str]]:
    pairs = []
    for item in _objects(holder, "severity"):
        kind, score = _text(item, "type"), _text(item, "score")
        if kind is None or score is None:
            raise Skip(INVALID_RECORD)
        pairs.append([kind, score])
    return pairs


def _entry_severity_word(entry: dict[str, Any]) -> str | None:
    specific = _free(entry, "ecosystem_specific")
    return (_word(specific, "urgency") or _word(specific, "severity")
            or _word(_free(entry, "database_specific"), "severity")
            or _ubuntu_word(_severities(entry)))


def _ubuntu_word(severities: list[list[str]]) -> str | None:
    return next((score for kind, score in severities if kind == "Ubuntu" and score), None)


def _urls(doc: dict[str, Any]) -> list[str]:
    urls = [_text(ref, "url") for ref in _objects(doc, "references")]
    return [url for url in urls if url]


def _aliases(doc: dict[str, Any], adv_id: str) -> list[str]:
    names = _strings(doc, "aliases") + _strings(doc, "upstream")
    return [name for name in dict.fromkeys(names) if name != adv_id]


# typed access: a wrong JSON type makes the whole record invalid


def _text(holder: dict[str, Any], key: str) -> str | None:
    value = holder.get(key)
    if value is None or isinstance(value, str):
        return value
    raise Skip(INVALID_RECORD)


def _object(holder: dict[str, Any], key: str) -> dict[str, Any]:
    value = holder.get(key)
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise Skip(INVALID_RECORD)


def _objects(holder: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = holder.get(key)
    if value is None:
        return []
    if type(value) is not list:
        raise Skip(INVALID_RECORD)
    for item in value:
        if type(item) is not dict:
            raise Skip(INVALID_RECORD)
    return value


def _strings(holder: dict[str, Any], key: str) -> list[str]:
    value = holder.get(key)
    if value is None:
        return []
    if type(value) is not list:
        raise Skip(INVALID_RECORD)
    try:
        "".join(value)  # checks that every item is a str, at C speed (versions lists are long)
    except TypeError:
        raise Skip(INVALID_RECORD) from None
    return value


def _free(holder: dict[str, Any], key: str) -> dict[str, Any]:
    value = holder.get(key)
    return value if isinstance(value, dict) else {}


def _word(holder: dict[str, Any], key: str) -> str | None:
    value = holder.get(key)
    return value if isinstance(value, str) and value else None
