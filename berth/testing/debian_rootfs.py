"""A real Debian root filesystem as an image layer, for the scanning tests and bench.

``debian_layer()`` runs ``debootstrap --variant=minbase bookworm`` once (about a
minute; it needs root and the Debian mirror) and keeps the result as a gzip tar layer
under ``$BERTH_TEST_CACHE`` (default ``~/.cache/berth-tests``), so later runs take it
from there. A file lock keeps parallel test processes from building it twice.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"


@dataclass(frozen=True)
class Layer:
    path: Path      # gzip-compressed tar
    digest: str     # of the compressed bytes
    diff_id: str    # of the tar


class DebootstrapUnavailable(RuntimeError):
    """debootstrap could not build the root filesystem here."""


def cache_dir() -> Path:
    return Path(os.environ.get("BERTH_TEST_CACHE") or Path.home() / ".cache" / "berth-tests")


def debian_layer() -> Layer:
    where = cache_dir() / f"debootstrap-{SUITE}-minbase"
    where.mkdir(parents=True, exist_ok=True)
    layer, ids = where / "layer.tar.gz", where / "layer.ids"
    with (where / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (layer.exists() and ids.exists()):
            _build(where, layer, ids)
    digest, diff_id = ids.read_text().split()
    return Layer(layer, digest, diff_id)


def _build(where: Path, layer: Path, ids: Path) -> None:
    rootfs = where / "rootfs"
    shutil.rmtree(rootfs, ignore_errors=True)
    if shutil.which("debootstrap") is None:
        raise DebootstrapUnavailable("debootstrap is not installed (apt-get install debootstrap)")
    done = subprocess.run(["debootstrap", "--variant=minbase", SUITE, str(rootfs), MIRROR],
                          capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise DebootstrapUnavailable(f"debootstrap failed: {done.stderr[-2000:]}")
    tmp = layer.with_suffix(".tmp")
    raw = hashlib.sha256()
    with tmp.open("wb") as out:
        gz = gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=0)
        sink: Any = _Tee(gz, raw)
        with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for path in sorted(rootfs.rglob("*")):
                name = str(path.relative_to(rootfs))
                if name.startswith(("proc/", "sys/", "dev/")):
                    continue
                tar.add(path, arcname=name, recursive=False)
        gz.close()
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    os.replace(tmp, layer)
    ids.write_text(f"sha256:{digest} sha256:{raw.hexdigest()}\n")
    shutil.rmtree(rootfs, ignore_errors=True)


class _Tee:
    """Writes to the gzip stream while hashing the uncompressed tar (the diff id)."""

    def __init__(self, target: gzip.GzipFile, hasher: hashlib._Hash) -> None:
        self.target = target
        self.hasher = hasher

    def write(self, data: bytes) -> int:
        self.hasher.update(data)
        return self.target.write(data)
