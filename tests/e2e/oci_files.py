"""Reading OCI image layouts back, and comparing what came back with what went in."""

from __future__ import annotations

import filecmp
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.clients import MANIFEST_TYPES

REF_NAME = "org.opencontainers.image.ref.name"


def sha256_file(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            hasher.update(chunk)
    return f"sha256:{hasher.hexdigest()}"


def sha256(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def blob_path(layout: Path, digest: str) -> Path:
    algorithm, hex_digest = digest.split(":", 1)
    return layout / "blobs" / algorithm / hex_digest


def read_json_blob(layout: Path, digest: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(blob_path(layout, digest).read_bytes())
    return doc


def tagged_digest(layout: Path, ref: str) -> str:
    """The digest that ``index.json`` of a layout names ``ref``."""
    index = json.loads((layout / "index.json").read_text())
    found = [m["digest"] for m in index["manifests"]
             if m.get("annotations", {}).get(REF_NAME) == ref]
    assert len(found) == 1, f"{ref!r} in {layout}/index.json: {index}"
    return str(found[0])


def blob_digests(layout: Path) -> set[str]:
    return {f"sha256:{p.name}" for p in (layout / "blobs" / "sha256").iterdir()}


def assert_same_layout(source: Path, pulled: Path, digest: str, ref: str = "latest",
                       blobs: int | None = None) -> None:
    """``pulled`` names ``digest`` as ``ref`` and holds exactly ``source``'s blobs, each
    byte for byte, each hashing to its name; ``blobs`` is how many there must be."""
    assert tagged_digest(pulled, ref) == digest
    expected = blob_digests(source)
    if blobs is not None:
        assert len(expected) == blobs, sorted(expected)
    assert blob_digests(pulled) == expected
    for blob in sorted(expected):
        assert sha256_file(blob_path(pulled, blob)) == blob
        assert filecmp.cmp(blob_path(source, blob), blob_path(pulled, blob), shallow=False), blob


def assert_manifest_served(http: httpx.Client, repo: str, reference: str, source: Path,
                           digest: str) -> None:
    """berth answers ``reference`` with exactly the layout's bytes of manifest ``digest``."""
    response = http.get(f"/v2/{repo}/manifests/{reference}", headers={"Accept": MANIFEST_TYPES})
    assert response.status_code == 200, response.text
    assert response.headers["Docker-Content-Digest"] == digest
    assert response.content == blob_path(source, digest).read_bytes()
    assert response.headers["Content-Type"] == json.loads(response.content)["mediaType"]


def uncompressed_digest(blob: bytes, media_type: str) -> str:
    """The digest of a layer's tar stream (its diff_id), for the compressions podman uses."""
    if media_type.endswith("gzip"):
        return sha256(gzip.decompress(blob))
    if media_type.endswith("tar"):
        return sha256(blob)
    raise AssertionError(f"unexpected layer media type {media_type}")
