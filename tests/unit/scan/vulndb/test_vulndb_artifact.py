"""The OCI artifact form: a zstd layer that unpacks into the same, installable file,
and that refuses anything else."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from pathlib import Path

import pytest
import zstandard

from berth.durable import sha256_file
from berth.scan.vulndb import (
    ARTIFACT_TYPE,
    LAYER_MEDIA_TYPE,
    ArtifactError,
    BuildResult,
    VulnDb,
    VulnDbHome,
    artifact_annotations,
    artifact_layer,
    build,
    unpack_artifact_layer,
)

from .osv_records import NOW, entry, fixed, record, write_dir


@pytest.fixture
def built(tmp_path: Path) -> BuildResult:
    records = [record(f"GHSA-{n}", entry("npm", f"p{n}", fixed("1.0.0", "SEMVER")))
               for n in range(200)]
    return build([write_dir(tmp_path / "osv", *records)], tmp_path / "out", now=NOW)


def _layer(path: Path) -> bytes:
    media_type, chunks = artifact_layer(path)
    assert media_type == LAYER_MEDIA_TYPE == "application/vnd.berth.vulndb.layer.v1.sqlite+zstd"
    return b"".join(chunks)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_layer_unpacks_into_the_same_file_ready_to_install(tmp_path: Path,
                                                             built: BuildResult) -> None:
    layer = _layer(built.path)
    assert len(layer) < built.path.stat().st_size
    unpacked = unpack_artifact_layer(io.BytesIO(layer), tmp_path / "in", built.digest,
                                     layer_digest=sha256_of(layer))
    assert unpacked.name == built.path.name and sha256_file(unpacked) == built.digest
    home = VulnDbHome(tmp_path / "home")
    home.install(unpacked)
    assert home.current_id() == built.digest
    home.close()


def test_a_layer_can_arrive_as_chunks(tmp_path: Path, built: BuildResult) -> None:
    layer = _layer(built.path)
    chunks = (layer[i:i + 1000] for i in range(0, len(layer), 1000))
    unpacked = unpack_artifact_layer(chunks, tmp_path / "in", built.digest)
    assert sha256_file(unpacked) == built.digest


def test_a_layer_of_several_zstd_frames_is_read_whole(tmp_path: Path,
                                                      built: BuildResult) -> None:
    data = built.path.read_bytes()
    frames = b"".join(zstandard.ZstdCompressor().compress(data[i:i + 50_000])
                      for i in range(0, len(data), 50_000))
    unpacked = unpack_artifact_layer(io.BytesIO(frames), tmp_path / "in", built.digest)
    assert sha256_file(unpacked) == built.digest


def test_annotations_name_the_database(built: BuildResult) -> None:
    assert ARTIFACT_TYPE == "application/vnd.berth.vulndb.v1"
    with VulnDb(built.path) as db:
        assert artifact_annotations(db.info()) == {
            "io.berth.vulndb.digest": built.digest, "io.berth.vulndb.schema": "1",
            "io.berth.vulndb.records": "200", "io.berth.vulndb.ecosystems": "npm",
            "org.opencontainers.image.created": "2026-03-01T12:00:00Z"}


@pytest.mark.parametrize("damage", ["not zstd", "truncated", "flipped byte"])
def test_a_corrupt_layer_is_refused(tmp_path: Path, built: BuildResult, damage: str) -> None:
    layer = _layer(built.path)
    bad = {"not zstd": b"\x00" * 5000, "truncated": layer[: len(layer) // 2],
           "flipped byte": layer[:100] + bytes([layer[100] ^ 0xFF]) + layer[101:]}[damage]
    with pytest.raises(ArtifactError):
        unpack_artifact_layer(io.BytesIO(bad), tmp_path / "in", built.digest)
    assert _leftovers(tmp_path / "in") == []


def test_an_oversized_layer_is_refused(tmp_path: Path, built: BuildResult) -> None:
    bomb = zstandard.ZstdCompressor().compress(b"\0" * (64 << 20))
    with pytest.raises(ArtifactError, match="beyond"):
        unpack_artifact_layer(io.BytesIO(bomb), tmp_path / "in", built.digest,
                              max_bytes=8 << 20)
    with pytest.raises(ArtifactError, match="beyond"):
        unpack_artifact_layer(io.BytesIO(_layer(built.path)), tmp_path / "in", built.digest,
                              max_bytes=4096)
    assert _leftovers(tmp_path / "in") == []


def test_a_digest_mismatch_is_refused(tmp_path: Path, built: BuildResult) -> None:
    layer = _layer(built.path)
    with pytest.raises(ArtifactError, match="uncompressed digest"):
        unpack_artifact_layer(io.BytesIO(layer), tmp_path / "in", "sha256:" + "0" * 64)
    with pytest.raises(ArtifactError, match="layer digest"):
        unpack_artifact_layer(io.BytesIO(layer), tmp_path / "in", built.digest,
                              layer_digest="sha256:" + "0" * 64)
    assert _leftovers(tmp_path / "in") == []


def test_a_sound_file_that_is_not_a_database_of_this_schema_is_refused(
        tmp_path: Path, built: BuildResult) -> None:
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (json.dumps(99),))
    db.commit()
    db.close()
    for path in (other, tmp_path / "osv" / "r0000.json"):
        layer = _layer(path)
        with pytest.raises(ArtifactError):
            unpack_artifact_layer(io.BytesIO(layer), tmp_path / "in", sha256_file(path))
    assert _leftovers(tmp_path / "in") == []


def sha256_of(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"
