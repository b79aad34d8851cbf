"""A database as an OCI artifact, for sharing one build across a fleet — no HTTP here.

Manifest (the caller writes it): ``artifactType`` ARTIFACT_TYPE, the empty config
descriptor, one layer of LAYER_MEDIA_TYPE (the SQLite file, zstd-compressed) whose
annotations are ``artifact_annotations(info)``. The database's id is the sha256 of the
*uncompressed* file (zstd output differs between versions and levels); the layer's own
digest is the registry's business, and ``unpack_artifact_layer`` can check it too.
"""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, cast

import zstandard

from berth.durable import publish
from berth.scan.vulndb.errors import ArtifactError, NotADatabase
from berth.scan.vulndb.read import DbInfo, schema_version_of
from berth.scan.vulndb.schema import SCHEMA_VERSION, file_name, read_only_uri

ARTIFACT_TYPE = "application/vnd.berth.vulndb.v1"
LAYER_MEDIA_TYPE = "application/vnd.berth.vulndb.layer.v1.sqlite+zstd"
ANNOTATION_DIGEST = "io.berth.vulndb.digest"      # sha256 of the uncompressed file
ANNOTATION_SCHEMA = "io.berth.vulndb.schema"
ANNOTATION_RECORDS = "io.berth.vulndb.records"
ANNOTATION_ECOSYSTEMS = "io.berth.vulndb.ecosystems"
ANNOTATION_CREATED = "org.opencontainers.image.created"
LEVEL = 9
MAX_UNPACKED = 4 << 30  # bytes
_CHUNK = 1 << 20


def artifact_layer(path: Path) -> tuple[str, Iterator[bytes]]:
    """The layer's media type and its bytes: ``path`` compressed with zstd, produced
    chunk by chunk while the iterator is consumed (the file is open until then)."""
    return LAYER_MEDIA_TYPE, _compressed(path)


def artifact_annotations(info: DbInfo) -> dict[str, str]:
    """Annotations for the layer descriptor (or the manifest) of a database."""
    if info.digest is None:
        raise ValueError("only content-named databases can be shared")
    return {ANNOTATION_DIGEST: info.digest, ANNOTATION_SCHEMA: str(info.schema_version),
            ANNOTATION_RECORDS: str(info.records), ANNOTATION_CREATED: info.built_at,
            ANNOTATION_ECOSYSTEMS: ",".join(sorted(info.ecosystems))}


def unpack_artifact_layer(stream: IO[bytes] | Iterable[bytes], dest_dir: Path,
                          expected_digest: str, *, layer_digest: str | None = None,
                          max_bytes: int = MAX_UNPACKED) -> Path:
    """Decompress a layer into ``dest_dir`` and return the database file, ready for
    VulnDbHome.install.

    ``expected_digest`` is the uncompressed file's sha256 (ANNOTATION_DIGEST);
    ``layer_digest``, if given, the compressed bytes'. Raises ArtifactError, leaving
    nothing behind, when the stream is not zstd, inflates beyond ``max_bytes``, does
    not match a digest, or is not a sound database of SCHEMA_VERSION.
    """
    final = dest_dir / file_name(expected_digest)  # ValueError for a bad digest
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = dest_dir / f".vulndb-{os.getpid()}-{os.urandom(6).hex()}.unpacking"
    try:
        source = _HashingReader(stream)
        actual = _decompress(source, tmp, max_bytes)
        _check_digest("uncompressed", expected_digest, actual)
        if layer_digest is not None:
            _check_digest("layer", layer_digest, source.finish())
        _check_database(tmp)
        publish(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return final


def _compressed(path: Path) -> Iterator[bytes]:
    compressor = zstandard.ZstdCompressor(level=LEVEL, write_checksum=True)
    with path.open("rb") as f:
        yield from compressor.read_to_iter(f, read_size=_CHUNK, write_size=_CHUNK)


def _decompress(source: _HashingReader, target: Path, max_bytes: int) -> str:
    """Write the decompressed stream to ``target``; its sha256 (``sha256:<hex>``)."""
    digest = hashlib.sha256()
    written = 0
    try:
        with target.open("wb") as out, zstandard.ZstdDecompressor().stream_reader(
                cast(IO[bytes], source), read_size=_CHUNK, read_across_frames=True) as reader:
            while chunk := reader.read(_CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise ArtifactError(f"layer inflates beyond {max_bytes} bytes")
                digest.update(chunk)
                out.write(chunk)
    except zstandard.ZstdError as exc:
        raise ArtifactError(f"layer is not a zstd stream: {exc}") from None
    return f"sha256:{digest.hexdigest()}"


def _check_digest(what: str, expected: str, actual: str) -> None:
    if expected != actual:
        raise ArtifactError(f"{what} digest {actual} does not match {expected}")


def _check_database(path: Path) -> None:
    try:
        version = schema_version_of(path)
    except NotADatabase as exc:
        raise ArtifactError(str(exc)) from None
    if version != SCHEMA_VERSION:
        raise ArtifactError(f"database schema {version}; this code reads {SCHEMA_VERSION}")
    db = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        verdict = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        verdict = str(exc)
    finally:
        db.close()
    if verdict != "ok":
        raise ArtifactError(f"database fails its integrity check: {verdict}")


class _HashingReader(io.RawIOBase):
    """A readable over a file or an iterable of chunks that hashes what passes."""

    def __init__(self, stream: IO[bytes] | Iterable[bytes]) -> None:
        if hasattr(stream, "read"):
            read = stream.read
            stream = iter(lambda: read(_CHUNK), b"")
        self._chunks = iter(stream)
        self._pending = b""
        self._hash = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = bytes(chunk)
        data, self._pending = self._pending[:len(buffer)], self._pending[len(buffer):]
        buffer[:len(data)] = data
        self._hash.update(data)
        return len(data)

    def finish(self) -> str:
        """Read what the decompressor left and return the sha256 of all input."""
        while self.readinto(bytearray(_CHUNK)):
            pass
        return f"sha256:{self._hash.hexdigest()}"
