"""Build OCI image layouts on disk, for skopeo, podman and the benchmarks.

Layers are real gzip-compressed tarballs (so clients that unpack them can), or,
for large sizes, uncompressed tarballs of incompressible bytes written in chunks
with bounded memory.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
EMPTY = "application/vnd.oci.empty.v1+json"


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    diff_id: str | None = None  # a layer's uncompressed digest, for the image config

    def json(self, **extra: Any) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size, **extra}


class Layout:
    """An OCI image layout directory being written."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (root / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
        self._index: list[dict[str, Any]] = []

    def add_blob(self, data: bytes, media_type: str) -> Descriptor:
        digest = hashlib.sha256(data).hexdigest()
        (self.root / "blobs" / "sha256" / digest).write_bytes(data)
        return Descriptor(media_type, f"sha256:{digest}", len(data))

    def add_json(self, doc: dict[str, Any], media_type: str) -> Descriptor:
        return self.add_blob(json.dumps(doc, sort_keys=True).encode(), media_type)

    def add_random_layer(self, size: int, seed: int) -> Descriptor:
        """An uncompressed tar of one file of ``size`` pseudo-random bytes."""
        tmp = self.root / "blobs" / f"tmp-{seed}"
        hasher = hashlib.sha256()
        with open(tmp, "wb") as out:
            header = tarfile.TarInfo(f"data-{seed}.bin")
            header.size = size
            head = header.tobuf(format=tarfile.PAX_FORMAT)
            out.write(head)
            hasher.update(head)
            for chunk in _random_chunks(size, seed):
                out.write(chunk)
                hasher.update(chunk)
            tail = b"\0" * ((512 - size % 512) % 512 + 1024)
            out.write(tail)
            hasher.update(tail)
        digest = hasher.hexdigest()
        os.replace(tmp, self.root / "blobs" / "sha256" / digest)
        path = self.root / "blobs" / "sha256" / digest
        return Descriptor(LAYER_TAR, f"sha256:{digest}", os.path.getsize(path),
                          diff_id=f"sha256:{digest}")

    def add_file_layer(self, files: dict[str, bytes]) -> Descriptor:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for name, content in sorted(files.items()):
                info = tarfile.TarInfo(name)
                info.size = len(content)
                info.mtime = 0
                tar.addfile(info, io.BytesIO(content))
        layer = self.add_blob(gzip.compress(buf.getvalue(), mtime=0), LAYER_GZIP)
        diff_id = "sha256:" + hashlib.sha256(buf.getvalue()).hexdigest()
        return Descriptor(layer.media_type, layer.digest, layer.size, diff_id)

    def add_image(self, layers: list[Descriptor], arch: str = "amd64",
                  labels: dict[str, str] | None = None) -> Descriptor:
        config = self.add_json({
            "architecture": arch, "os": "linux",
            "config": {"Labels": labels or {}},
            "rootfs": {"type": "layers", "diff_ids": [d.diff_id or d.digest for d in layers]},
        }, OCI_CONFIG)
        return self.add_json({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config.json(),
            "layers": [d.json() for d in layers],
        }, OCI_MANIFEST)

    def add_index(self, images: list[tuple[Descriptor, str]]) -> Descriptor:
        return self.add_json({
            "schemaVersion": 2, "mediaType": OCI_INDEX,
            "manifests": [d.json(platform={"architecture": arch, "os": "linux"})
                          for d, arch in images],
        }, OCI_INDEX)

    def add_artifact(self, subject: Descriptor, artifact_type: str, payload: bytes
                     ) -> Descriptor:
        empty = self.add_blob(b"{}", EMPTY)
        blob = self.add_blob(payload, "application/octet-stream")
        return self.add_json({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": artifact_type,
            "config": empty.json(), "layers": [blob.json()], "subject": subject.json(),
            "annotations": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"},
        }, OCI_MANIFEST)

    def tag(self, descriptor: Descriptor, ref: str) -> None:
        self._index.append(descriptor.json(
            annotations={"org.opencontainers.image.ref.name": ref}))
        (self.root / "index.json").write_text(json.dumps(
            {"schemaVersion": 2, "manifests": self._index}))


def _random_chunks(size: int, seed: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    """Incompressible bytes, reproducible from the seed, in chunks of at most 1 MiB."""
    block = hashlib.sha512(seed.to_bytes(8, "big")).digest()
    counter = 0
    while size > 0:
        n = min(chunk, size)
        base = hashlib.shake_256(block + counter.to_bytes(8, "big")).digest(n)
        yield base
        size -= n
        counter += 1


def simple_image(root: Path, ref: str = "latest", seed: int = 0) -> Descriptor:
    layout = Layout(root)
    layer = layout.add_file_layer({f"hello-{seed}.txt": f"hello {seed}\n".encode()})
    image = layout.add_image([layer])
    layout.tag(image, ref)
    return image


def many_layer_image(root: Path, layers: int = 20, ref: str = "latest", seed: int = 0,
                     layer_size: int = 64 * 1024) -> Descriptor:
    layout = Layout(root)
    descs = [layout.add_random_layer(layer_size, seed * 1000 + i) for i in range(layers)]
    image = layout.add_image(descs)
    layout.tag(image, ref)
    return image


def big_image(root: Path, size: int, ref: str = "latest", seed: int = 0) -> Descriptor:
    layout = Layout(root)
    image = layout.add_image([layout.add_random_layer(size, seed)])
    layout.tag(image, ref)
    return image


def multi_arch_index(root: Path, ref: str = "latest") -> Descriptor:
    layout = Layout(root)
    images = []
    for i, arch in enumerate(("amd64", "arm64")):
        layer = layout.add_file_layer({"arch.txt": arch.encode(), "n": str(i).encode()})
        images.append((layout.add_image([layer], arch=arch), arch))
    index = layout.add_index(images)
    layout.tag(index, ref)
    return index
