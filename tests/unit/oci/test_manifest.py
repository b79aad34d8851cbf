import json
from typing import Any

import pytest

from berth.oci import media_types as mt
from berth.oci.digest import Digest
from berth.oci.manifest import ManifestError, UnsupportedManifest, parse_manifest

CONFIG = {"mediaType": "application/vnd.oci.image.config.v1+json",
          "digest": str(Digest.of(b"c")), "size": 1}
LAYER = {"mediaType": "application/vnd.oci.image.layer.v1.tar",
         "digest": str(Digest.of(b"l")), "size": 1}


def encode(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


def test_image_manifest() -> None:
    m = parse_manifest(encode({"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST,
                               "config": CONFIG, "layers": [LAYER, LAYER]}), None)
    assert m.media_type == mt.OCI_MANIFEST and not m.is_index
    assert m.blob_digests() == [Digest.of(b"c"), Digest.of(b"l")]
    assert m.artifact_type == CONFIG["mediaType"]


def test_media_type_from_header_when_body_has_none() -> None:
    m = parse_manifest(encode({"schemaVersion": 2, "config": CONFIG, "layers": []}),
                       mt.DOCKER_MANIFEST)
    assert m.media_type == mt.DOCKER_MANIFEST


def test_artifact_with_subject() -> None:
    subject = {"mediaType": mt.OCI_MANIFEST, "digest": str(Digest.of(b"s")), "size": 3}
    m = parse_manifest(encode({
        "schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "artifactType": "application/x",
        "config": {**CONFIG, "mediaType": mt.OCI_EMPTY_CONFIG}, "layers": [],
        "subject": subject}), mt.OCI_MANIFEST)
    assert m.subject is not None and m.subject.digest == Digest.of(b"s")
    assert m.artifact_type == "application/x"


def test_index() -> None:
    child = {"mediaType": mt.OCI_MANIFEST, "digest": str(Digest.of(b"m")), "size": 9,
             "platform": {"os": "linux", "architecture": "arm64"}}
    m = parse_manifest(encode({"schemaVersion": 2, "mediaType": mt.OCI_INDEX,
                               "manifests": [child]}), mt.OCI_INDEX)
    assert m.is_index and m.children[0].digest == Digest.of(b"m")
    assert m.blob_digests() == []


@pytest.mark.parametrize("doc", [
    {"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST},
    {"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "config": CONFIG, "layers": {}},
    {"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "config": CONFIG,
     "layers": [{**LAYER, "size": True}]},
    {"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "config": CONFIG, "layers": [],
     "annotations": {"a": 1}},
    {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": "nope"},
    {"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "config": CONFIG, "layers": [],
     "manifests": []},
    {"schemaVersion": 2, "mediaType": "application/unknown"},
    {"mediaType": mt.OCI_MANIFEST, "config": CONFIG, "layers": []},
])
def test_invalid(doc: dict[str, Any]) -> None:
    with pytest.raises(ManifestError):
        parse_manifest(encode(doc), None)


def test_schema1_is_unsupported() -> None:
    with pytest.raises(UnsupportedManifest):
        parse_manifest(encode({"schemaVersion": 1, "fsLayers": []}), mt.DOCKER_SCHEMA1_SIGNED)


def test_header_and_body_must_agree() -> None:
    with pytest.raises(ManifestError, match="does not match"):
        parse_manifest(encode({"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST,
                               "config": CONFIG, "layers": []}), mt.DOCKER_MANIFEST)


def test_too_large() -> None:
    with pytest.raises(ManifestError, match="limit"):
        parse_manifest(b" " * (4 * 1024 * 1024 + 1), None)
