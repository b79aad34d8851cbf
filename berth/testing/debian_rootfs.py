"""Layers for testing the image inventory: a real Debian root filesystem, and small
synthetic layers written from a dict.

``debian_layer()`` runs ``debootstrap --variant=minbase <suite>`` once per machine (about
a minute; needs root, the ``debootstrap`` program and the network) and caches the result
as a gzip layer under ``$BERTH_TEST_CACHE`` (default ``~/.cache/berth-tests``), in a
directory named for the suite, the variant and this builder's version. A file lock makes
concurrent pytest workers wait for one build instead of racing. The tar is deterministic:
entries sorted, names without ``./``, mtimes kept (whole seconds), owner names blank,
gzip header without a time; hard links stay hard links.

When the rootfs cannot be built, ``RootfsUnavailable`` says why; tests turn it into a
failure under ``CI=true`` and a skip elsewhere (``require_debian_layer``).
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
BUILDER_VERSION = 1        # bump when the tar written changes
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
_MEDIA_TYPES = {"none": LAYER_TAR, "gzip": LAYER_GZIP, "zstd": LAYER_ZSTD}


class RootfsUnavailable(RuntimeError):
    """debootstrap could not build the root filesystem here; the message says why."""


@dataclass(frozen=True, slots=True)
class LayerFile:
    """A gzip layer on disk: ``digest`` of the compressed bytes, ``diff_id`` of the tar."""

    path: Path
    digest: str
    diff_id: str
    size: int
    media_type: str = LAYER_GZIP

    def open(self) -> IO[bytes]:
        return self.path.open("rb")


def cache_dir() -> Path:
    """Where built fixtures live between test runs."""
    configured = os.environ.get("BERTH_TEST_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "berth-tests"


def debian_layer(suite: str = SUITE, mirror: str = MIRROR) -> LayerFile:
    """The cached minbase rootfs of ``suite`` as a gzip layer, built on first use.

    Raises RootfsUnavailable when it is not cached and cannot be built."""
    home = cache_dir() / f"debootstrap-{suite}-minbase-v{BUILDER_VERSION}"
    home.mkdir(parents=True, exist_ok=True)
    with _locked(home / "lock"):
        cached = _cached(home)
        if cached is not None:
            return cached
        _check_can_build()
        work = Path(tempfile.mkdtemp(dir=home, prefix="build-"))
        try:
            _debootstrap(suite, mirror, work / "rootfs", work / "debootstrap.log")
            digest, diff_id = write_gzip_layer(work / "rootfs", home / "layer.tar.gz.tmp")
        finally:
            _remove_tree(work)
        os.replace(home / "layer.tar.gz.tmp", home / "layer.tar.gz")
        (home / "layer.ids").write_text(f"{digest} {diff_id}\n")
        cached = _cached(home)
        assert cached is not None
        return cached


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _cached(home: Path) -> LayerFile | None:
    ids, layer = home / "layer.ids", home / "layer.tar.gz"
    if not ids.exists() or not layer.exists():
        return None
    digest, diff_id = ids.read_text().split()
    return LayerFile(layer, digest, diff_id, layer.stat().st_size)


def _check_can_build() -> None:
    if shutil.which("debootstrap") is None:
        raise RootfsUnavailable("debootstrap is not installed (apt-get install -y debootstrap)")
    if os.geteuid() != 0:
        raise RootfsUnavailable("debootstrap needs root")


def _debootstrap(suite: str, mirror: str, rootfs: Path, log: Path) -> None:
    command = ["debootstrap", "--variant=minbase", suite, str(rootfs), mirror]
    with log.open("wb") as out:
        try:
            done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=900, check=False)
        except subprocess.TimeoutExpired as exc:
            raise RootfsUnavailable(f"{' '.join(command)} took over 900 s") from exc
    if done.returncode != 0:
        tail = log.read_bytes()[-2000:].decode(errors="replace")
        raise RootfsUnavailable(f"{' '.join(command)} failed ({done.returncode}):\n{tail}")


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root.resolve()) + "/"
    with open("/proc/self/mounts") as mounts:
        points = [line.split()[1] for line in mounts]
    return sorted((p for p in points if p.startswith(prefix)), reverse=True)


def _remove_tree(root: Path) -> None:
    """Unmount what debootstrap left mounted under ``root``, then delete it; never delete
    through a mount (a bind-mounted /dev would lose the host's device nodes)."""
    for point in _mounts_under(root):
        subprocess.run(["umount", "-l", point], check=False)
    if _mounts_under(root):
        raise RootfsUnavailable(f"could not unmount everything under {root}; left in place")
    shutil.rmtree(root)


class _Hashing(io.RawIOBase):
    """A write-through file that hashes what passes."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target, self.sha256 = target, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.sha256.update(data)
        return self.target.write(data)


def write_gzip_layer(rootfs: Path, out: Path) -> tuple[str, str]:
    """Write ``rootfs`` as a deterministic gzip layer; return (digest, diff_id)."""
    with out.open("wb") as raw:
        compressed = _Hashing(raw)
        with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0,
                           compresslevel=6) as zipped:
            plain = _Hashing(zipped)  # type: ignore[arg-type]
            with tarfile.open(fileobj=plain, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                _add_tree(tar, rootfs)
    return f"sha256:{compressed.sha256.hexdigest()}", f"sha256:{plain.sha256.hexdigest()}"


def _add_tree(tar: tarfile.TarFile, root: Path) -> None:
    """Every entry under ``root``, sorted per directory, parents first."""
    for top, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted([*dirs, *files]):
            path = Path(top) / name
            info = tar.gettarinfo(str(path), path.relative_to(root).as_posix())
            if info is None:    # a socket
                continue
            info.mtime, info.uname, info.gname = int(info.mtime), "", ""
            if info.isreg():
                with path.open("rb") as data:
                    tar.addfile(info, data)
            else:
                tar.addfile(info)


def synthetic_layer(files: Mapping[str, bytes] | None = None, *,
                    whiteouts: Iterable[str] = (), opaque_dirs: Iterable[str] = (),
                    symlinks: Mapping[str, str] | None = None,
                    hardlinks: Mapping[str, str] | None = None,
                    directories: Iterable[str] = (), executables: Iterable[str] = (),
                    compression: str = "gzip") -> bytes:
    """A small layer: ``files`` (names written as given, so tests can try ``../x``), then
    directories, hard links (name → target), symlinks, whiteouts (``.wh.<name>`` for each
    path) and opaque markers. ``executables`` get mode 0755. ``compression``: gzip, zstd
    or none."""
    raw = io.BytesIO()
    execs = set(executables)
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in (files or {}).items():
            tar.addfile(_info(name, size=len(data), mode=0o755 if name in execs else 0o644),
                        io.BytesIO(data))
        for name in directories:
            tar.addfile(_info(name, kind=tarfile.DIRTYPE, mode=0o755))
        for name, target in (hardlinks or {}).items():
            tar.addfile(_info(name, kind=tarfile.LNKTYPE, link=target))
        for name, target in (symlinks or {}).items():
            tar.addfile(_info(name, kind=tarfile.SYMTYPE, link=target))
        for path in whiteouts:
            head, _, base = path.rpartition("/")
            tar.addfile(_info(f"{head}/.wh.{base}" if head else f".wh.{base}"))
        for directory in opaque_dirs:
            tar.addfile(_info(f"{directory.rstrip('/')}/.wh..wh..opq"))
    return compress(raw.getvalue(), compression)


def _info(name: str, *, size: int = 0, mode: int = 0o644, kind: bytes = tarfile.REGTYPE,
          link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.type, info.linkname, info.mtime = size, mode, kind, link, 0
    return info


def compress(tar: bytes, compression: str) -> bytes:
    """``tar`` gzip- or zstd-compressed, or as it is (``none``)."""
    if compression == "gzip":
        return gzip.compress(tar, mtime=0)
    if compression == "zstd":
        import zstandard

        return zstandard.ZstdCompressor().compress(tar)
    if compression == "none":
        return tar
    raise ValueError(f"unknown compression {compression!r}")


def media_type(compression: str) -> str:
    """The OCI layer media type for ``compression`` (gzip, zstd, none)."""
    return _MEDIA_TYPES[compression]


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def require_debian_layer(suite: str = SUITE) -> LayerFile:
    """``debian_layer()`` for a test: when it cannot be built, the test fails under
    ``CI=true`` (the CI machine must be able to) and is skipped elsewhere."""
    import pytest

    try:
        return debian_layer(suite)
    except RootfsUnavailable as exc:
        reason = f"no debootstrap {suite} rootfs: {exc}"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(reason)
        pytest.skip(reason)
