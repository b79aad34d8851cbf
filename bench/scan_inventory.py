"""Time the image inventory on a ~100 MB compressed layer (targets: ≤ 2 s, ≤ 64 MB RSS).

    .venv/bin/python bench/scan_inventory.py [--size-mb 100] [--repeat 3] [--zstd]

The layer is the debootstrap minbase bookworm rootfs (``berth.testing.debian_rootfs``,
built and cached on first use: about 90 s, needs root and the network) re-packed with
incompressible filler until the gzip layer is --size-mb MB: filler files that start with
``\\x7fELF`` and are executable, so the inventory searches all of them for Go build
information, the last one ending in a real build information block. It is cached next to
the rootfs layer. --zstd also measures the same tar compressed with zstd (level 3).

Each run reads the layer and squashes it in a child process (``--child``), which reports
the seconds read_layer() + squash() took and its peak RSS (VmHWM: ru_maxrss would count
the pages the child had before exec). A baseline child that only imports gives the
interpreter's own share. Prints best and median seconds and the highest peak, against
scanning.md §6.7's targets.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

from berth.testing.debian_rootfs import (
    LAYER_GZIP,
    LAYER_ZSTD,
    LayerFile,
    cache_dir,
    debian_layer,
)

TARGET_SECONDS = 2.0
TARGET_RSS_MB = 64
FILLER_FILES = 4
GO_VERSION = b"go1.22.4"
GO_MODINFO = (b"path\texample.com/filler\nmod\texample.com/filler\tv1.0.0\t\n"
              b"dep\tgolang.org/x/net\tv0.17.0\t\n")
GO_TAIL = (b"\xff Go buildinf:" + bytes([8, 2]) + bytes(16)
           + bytes([len(GO_VERSION)]) + GO_VERSION + bytes([len(GO_MODINFO)]) + GO_MODINFO
           + bytes(64))


def _random(size: int, seed: int) -> Iterator[bytes]:
    counter = 0
    while size > 0:
        n = min(1 << 20, size)
        yield hashlib.shake_256(seed.to_bytes(8, "big") + counter.to_bytes(8, "big")).digest(n)
        size, counter = size - n, counter + 1


def _filler(index: int, size: int) -> Iterator[bytes]:
    yield b"\x7fELF"
    body = size - 4 - (len(GO_TAIL) + 16 if index == FILLER_FILES - 1 else 0)
    yield from _random(body, index)
    if index == FILLER_FILES - 1:
        yield bytes(-(4 + body) % 16) + GO_TAIL + bytes(16 - (-(4 + body) % 16))


def build(debian: LayerFile, size_mb: int) -> Path:
    """The bench layer (gzip), built once per rootfs digest and size."""
    out = cache_dir() / f"bench-scan-inventory-{debian.digest[7:19]}-{size_mb}mb.tar.gz"
    if out.exists():
        return out
    filler = max(FILLER_FILES * 4096, size_mb * 1_000_000 - debian.size)
    tmp = out.with_suffix(".tmp")
    with debian.open() as source, tarfile.open(fileobj=source, mode="r|gz") as rootfs, \
            gzip.GzipFile(tmp, "wb", mtime=0) as zipped, \
            tarfile.open(fileobj=zipped, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for member in rootfs:
            tar.addfile(member, rootfs.extractfile(member) if member.isreg() else None)
        for i in range(FILLER_FILES):
            info = tarfile.TarInfo(f"opt/filler/blob-{i}")
            info.size, info.mode = filler // FILLER_FILES, 0o755
            tar.addfile(info, _Chunks(_filler(i, info.size)))
    tmp.rename(out)
    return out


class _Chunks:
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks, self.left = chunks, b""

    def read(self, size: int = -1) -> bytes:
        while len(self.left) < size and (more := next(self.chunks, b"")):
            self.left += more
        out, self.left = self.left[:size], self.left[size:]
        return out


def zstd_copy(layer: Path) -> Path:
    import zstandard

    out = layer.with_name(layer.name.replace(".tar.gz", ".tar.zst"))
    if not out.exists():
        with gzip.open(layer, "rb") as tar, open(out.with_suffix(".tmp"), "wb") as raw:
            zstandard.ZstdCompressor(level=3).copy_stream(cast(IO[bytes], tar), raw)
        out.with_suffix(".tmp").rename(out)
    return out


def child(path: str, media_type: str) -> None:
    """Runs in the measured process: prints seconds, package count and VmHWM."""
    from berth.scan.inventory import read_layer, squash

    started = time.perf_counter()
    with open(path, "rb") as blob:
        layer = read_layer("sha256:bench", media_type, blob)
    inventory = squash([layer])
    seconds = time.perf_counter() - started
    go = sorted(p.name for p in inventory.packages if p.ecosystem == "Go")
    print(json.dumps({"seconds": seconds, "packages": len(inventory.packages), "go": go,
                      "notes": list(inventory.notes), "vmhwm_kib": _vmhwm()}))


def _vmhwm() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def measure(args: list[str]) -> dict[str, object]:
    """Run a child; what it reports. Its peak memory is the VmHWM it reads itself:
    ru_maxrss from wait4() would count the parent's pages it had before exec."""
    done = subprocess.run([sys.executable, __file__, *args], stdout=subprocess.PIPE,
                          check=True)
    report: dict[str, object] = json.loads(done.stdout)
    return report


def run(label: str, path: Path, media_type: str, repeat: int) -> None:
    reports = [measure(["--child", str(path), media_type]) for _ in range(repeat)]
    seconds = [float(str(r["seconds"])) for r in reports]
    peak = max(int(str(r["vmhwm_kib"])) for r in reports) / 1024
    first = reports[0]
    go = ", ".join(first["go"]) or "none"  # type: ignore[arg-type]
    print(f"{label}: {path.stat().st_size / 1e6:.1f} MB compressed, {first['packages']} "
          f"packages (Go: {go}), notes: {first['notes'] or 'none'}")
    print(f"  inventory  best {min(seconds):.2f} s  median {statistics.median(seconds):.2f} s"
          f"  (target <= {TARGET_SECONDS} s: "
          f"{'ok' if min(seconds) <= TARGET_SECONDS else 'MISSED'})")
    print(f"  peak RSS   {peak:.1f} MB, VmHWM  (target <= {TARGET_RSS_MB} MB: "
          f"{'ok' if peak <= TARGET_RSS_MB else 'MISSED'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--zstd", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("PATH", "MEDIA_TYPE"))
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.baseline:
        import berth.scan.inventory  # noqa: F401 - what the child imports

        print(json.dumps({"vmhwm_kib": _vmhwm()}))
        return
    layer = build(debian_layer(), args.size_mb)
    baseline = int(str(measure(["--baseline"])["vmhwm_kib"])) / 1024
    print(f"baseline, interpreter + imports only: {baseline:.1f} MB VmHWM")
    run("gzip", layer, LAYER_GZIP, args.repeat)
    if args.zstd:
        run("zstd", zstd_copy(layer), LAYER_ZSTD, args.repeat)


if __name__ == "__main__":
    main()
