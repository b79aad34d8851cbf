"""Builders the vulnerability database tests share: OSV records and import sources."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def record(adv_id: str, *affected: dict[str, Any], modified: str = "2025-01-01T00:00:00Z",
           **fields: Any) -> dict[str, Any]:
    """An OSV record; ``fields`` adds or overrides top-level keys."""
    return {"schema_version": "1.6.0", "id": adv_id, "modified": modified,
            "affected": list(affected), **fields}


def entry(ecosystem: str, name: Any, *ranges: dict[str, Any],
          versions: list[Any] | None = None, **fields: Any) -> dict[str, Any]:
    """One ``affected`` entry (``name`` and ``versions`` of any type, to test refusals)."""
    value: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name},
                             "ranges": list(ranges), **fields}
    if versions is not None:
        value["versions"] = versions
    return value


def ecosystem_range(*events: tuple[str, Any], kind: str = "ECOSYSTEM") -> dict[str, Any]:
    return {"type": kind, "events": [{k: v} for k, v in events]}


def fixed(version: str, kind: str = "ECOSYSTEM") -> dict[str, Any]:
    """introduced 0, fixed ``version``."""
    return ecosystem_range(("introduced", "0"), ("fixed", version), kind=kind)


def write_dir(root: Path, *records: dict[str, Any] | bytes) -> Path:
    """One file per record under ``root`` (every third in a subdirectory)."""
    for n, item in enumerate(records):
        folder = root / "sub" if n % 3 == 2 else root
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"r{n:04d}.json").write_bytes(_bytes(item))
    return root


def write_zip(path: Path, *records: dict[str, Any] | bytes,
              compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """An osv.dev-style all.zip: one member per record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression) as archive:
        for n, item in enumerate(records):
            name = item["id"] if isinstance(item, dict) and isinstance(item.get("id"), str) \
                else f"doc{n}"
            archive.writestr(f"{name}.json", _bytes(item))
    return path


def _bytes(item: dict[str, Any] | bytes) -> bytes:
    return item if isinstance(item, bytes) else json.dumps(item, indent=1).encode()
