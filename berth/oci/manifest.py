"""Parsing manifests just enough to store them: what they reference, and what refers.

The registry keeps the pushed bytes unchanged; this module only reads them to find
the blobs and child manifests they need, the subject they point at and the
artifact type that the referrers API reports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from berth.oci import media_types as mt
from berth.oci.digest import Digest, DigestError

MAX_MANIFEST_BYTES = 4 * 1024 * 1024


class ManifestError(ValueError):
    """The bytes are not a manifest this registry accepts."""


class UnsupportedManifest(ManifestError):
    """A manifest format the registry deliberately refuses (Docker schema 1)."""


@dataclass(frozen=True, slots=True)
class Descriptor:
    media_type: str
    digest: Digest
    size: int
    artifact_type: str | None = None
    annotations: dict[str, str] | None = None
    platform: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": str(self.digest),
            "size": self.size,
        }
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        if self.annotations:
            out["annotations"] = self.annotations
        if self.platform:
            out["platform"] = self.platform
        return out


@dataclass(frozen=True, slots=True)
class Manifest:
    media_type: str
    config: Descriptor | None
    layers: tuple[Descriptor, ...] = ()
    children: tuple[Descriptor, ...] = ()
    subject: Descriptor | None = None
    artifact_type: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def is_index(self) -> bool:
        return self.media_type in mt.INDEXES

    def blob_digests(self) -> list[Digest]:
        """The blobs this manifest needs, config first, each once."""
        seen: dict[Digest, None] = {}
        if self.config is not None:
            seen[self.config.digest] = None
        for layer in self.layers:
            seen[layer.digest] = None
        return list(seen)


def parse_manifest(payload: bytes, content_type: str | None) -> Manifest:
    """Parse a pushed manifest; raise ManifestError saying what is wrong.

    ``content_type`` is the request's Content-Type; the body's own ``mediaType``
    must agree with it when both are given.
    """
    if len(payload) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"manifest is {len(payload)} bytes; the limit is {MAX_MANIFEST_BYTES}")
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"manifest is not valid JSON: {exc}") from None
    except RecursionError:
        raise ManifestError("manifest is not valid JSON: nested too deeply") from None
    if not isinstance(doc, dict):
        raise ManifestError("manifest must be a JSON object")
    media_type = _media_type(doc, content_type)
    if media_type in mt.SCHEMA1 or doc.get("schemaVersion") == 1:
        raise UnsupportedManifest("Docker schema 1 manifests are not supported")
    if doc.get("schemaVersion") != 2:
        raise ManifestError("schemaVersion must be 2")
    if media_type in mt.INDEXES:
        return _parse_index(doc, media_type)
    return _parse_image(doc, media_type)


def _media_type(doc: dict[str, Any], content_type: str | None) -> str:
    declared = doc.get("mediaType")
    header = (content_type or "").split(";")[0].strip() or None
    if declared is not None and not isinstance(declared, str):
        raise ManifestError("mediaType must be a string")
    if declared and header and header in mt.MANIFESTS | mt.SCHEMA1 and declared != header:
        raise ManifestError(f"mediaType {declared!r} does not match Content-Type {header!r}")
    media_type = declared or header
    if media_type is None:
        media_type = mt.OCI_INDEX if "manifests" in doc else mt.OCI_MANIFEST
    if media_type not in mt.MANIFESTS | mt.SCHEMA1:
        raise ManifestError(f"unknown manifest media type {media_type!r}")
    return media_type


def _parse_image(doc: dict[str, Any], media_type: str) -> Manifest:
    if "manifests" in doc:
        raise ManifestError("an image manifest has no 'manifests' field")
    config = _descriptor(doc.get("config"), "config")
    raw_layers = doc.get("layers", [])
    if not isinstance(raw_layers, list):
        raise ManifestError("layers must be a list")
    layers = tuple(_descriptor(item, f"layers[{i}]") for i, item in enumerate(raw_layers))
    artifact_type = doc.get("artifactType")
    if artifact_type is not None and not isinstance(artifact_type, str):
        raise ManifestError("artifactType must be a string")
    # The referrers API reports config.mediaType when artifactType is not set.
    artifact_type = artifact_type or config.media_type
    return Manifest(
        media_type=media_type,
        config=config,
        layers=layers,
        subject=_optional_descriptor(doc, "subject"),
        artifact_type=artifact_type,
        annotations=_annotations(doc),
    )


def _parse_index(doc: dict[str, Any], media_type: str) -> Manifest:
    raw = doc.get("manifests")
    if not isinstance(raw, list):
        raise ManifestError("an index needs a 'manifests' list")
    children = tuple(_descriptor(item, f"manifests[{i}]") for i, item in enumerate(raw))
    artifact_type = doc.get("artifactType")
    if artifact_type is not None and not isinstance(artifact_type, str):
        raise ManifestError("artifactType must be a string")
    return Manifest(
        media_type=media_type,
        config=None,
        children=children,
        subject=_optional_descriptor(doc, "subject"),
        artifact_type=artifact_type,
        annotations=_annotations(doc),
    )


def _optional_descriptor(doc: dict[str, Any], key: str) -> Descriptor | None:
    return None if doc.get(key) is None else _descriptor(doc[key], key)


def _descriptor(raw: Any, where: str) -> Descriptor:
    if not isinstance(raw, dict):
        raise ManifestError(f"{where} must be a descriptor object")
    media_type, digest, size = raw.get("mediaType"), raw.get("digest"), raw.get("size")
    if not isinstance(media_type, str) or not media_type:
        raise ManifestError(f"{where}.mediaType must be a non-empty string")
    if not isinstance(digest, str):
        raise ManifestError(f"{where}.digest must be a string")
    try:
        parsed = Digest.parse(digest)
    except DigestError as exc:
        raise ManifestError(f"{where}.digest: {exc}") from None
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ManifestError(f"{where}.size must be a non-negative integer")
    artifact_type = raw.get("artifactType")
    annotations = raw.get("annotations")
    platform = raw.get("platform")
    return Descriptor(
        media_type=media_type,
        digest=parsed,
        size=size,
        artifact_type=artifact_type if isinstance(artifact_type, str) else None,
        annotations=annotations if isinstance(annotations, dict) else None,
        platform=platform if isinstance(platform, dict) else None,
    )


def _annotations(doc: dict[str, Any]) -> dict[str, str]:
    raw = doc.get("annotations")
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise ManifestError("annotations must map strings to strings")
    return raw
