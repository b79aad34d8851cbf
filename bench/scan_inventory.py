"""Time the inventory of one ~100 MB compressed layer (targets: <= 2 s, <= 64 MB).

    .venv/bin/python bench/scan_inventory.py [--repeat 3]

The layer is a real Debian bookworm root filesystem (debootstrap --variant=minbase,
cached; ~92 MB gzip, 88 packages). Each run reads it in a fresh child process, so the
peak memory printed (ru_maxrss of the child) is the reader's own, interpreter included.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from berth.testing.debian_rootfs import debian_layer

CHILD = """
import json, resource, sys, time
from berth.scan.inventory import read_layer, squash
t = time.perf_counter()
with open(sys.argv[1], "rb") as f:
    layer = read_layer(sys.argv[2], "application/vnd.oci.image.layer.v1.tar+gzip", f)
inventory = squash([layer])
took = time.perf_counter() - t
print(json.dumps({"seconds": took, "packages": len(inventory.packages),
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    layer = debian_layer()
    size = layer.path.stat().st_size
    runs = []
    for _ in range(args.repeat):
        out = subprocess.run([sys.executable, "-c", CHILD, str(layer.path), layer.digest],
                             capture_output=True, text=True, check=True).stdout
        runs.append(json.loads(out))
        print(f"{size / 2**20:.0f} MiB layer: {runs[-1]['seconds']:.2f} s, "
              f"{runs[-1]['packages']} packages, peak RSS {runs[-1]['rss_mib']:.0f} MiB",
              flush=True)
    seconds = statistics.median(r["seconds"] for r in runs)
    rss = max(r["rss_mib"] for r in runs)
    print(f"inventory: median {seconds:.2f} s (target <= 2 s), peak RSS {rss:.0f} MiB "
          f"(target <= 64 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
