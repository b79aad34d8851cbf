"""Time scan on push: from the manifest PUT to COMPLETE, for a ~200 MB image.

    .venv/bin/python bench/scan_push.py [--filler-mib 150] [--repeat 3]

The image is a real Debian bookworm root filesystem (debootstrap, cached) plus a layer
of incompressible filler, so the scanner reads every byte of both. Each run pushes a
new image (new filler bytes, so no layer inventory is cached) to a scan-on-push
repository of a berth started here, with an advisory database loaded, and polls
DescribeImageScanFindings. Target: COMPLETE within 5 s of the push.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import httpx

from berth.testing.debian_rootfs import debian_layer
from berth.testing.server import running_berth

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Client:
    """Just enough of a registry client: monolithic blob uploads and manifest PUTs."""

    def __init__(self, base_url: str, password: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=120,
                                 auth=httpx.BasicAuth("AWS", password))

    def push_blob(self, repo: str, data: bytes) -> str:
        digest = sha256(data)
        response = self.http.post(f"/v2/{repo}/blobs/uploads/", params={"digest": digest},
                                  content=data)
        assert response.status_code == 201, response.text
        return digest

    def put_manifest(self, repo: str, tag: str, payload: bytes) -> httpx.Response:
        return self.http.put(f"/v2/{repo}/manifests/{tag}", content=payload,
                             headers={"Content-Type": OCI_MANIFEST})

    def close(self) -> None:
        self.http.close()

LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def filler_layer(mib: int) -> tuple[bytes, str]:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = os.urandom(mib << 20)
        info = tarfile.TarInfo("opt/filler.bin")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), 1, mtime=0), sha256(raw.getvalue())


def push(registry: Client, repo: str, tag: str, layers: list[tuple[bytes, str]]) -> float:
    """Push blobs, then the manifest; the monotonic time of the manifest PUT's answer."""
    descriptors = [{"mediaType": LAYER, "digest": registry.push_blob(repo, data),
                    "size": len(data)} for data, _ in layers]
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {
        "type": "layers", "diff_ids": [d for _, d in layers]}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {
        "mediaType": "application/vnd.oci.image.config.v1+json",
        "digest": registry.push_blob(repo, config), "size": len(config)},
        "layers": descriptors}).encode()
    assert registry.put_manifest(repo, tag, manifest).status_code == 201
    return time.monotonic()


def wait_complete(ecr: object, repo: str, tag: str) -> float:
    while True:
        status = ecr.describe_image_scan_findings(  # type: ignore[attr-defined]
            repositoryName=repo, imageId={"imageTag": tag})["imageScanStatus"]["status"]
        if status != "IN_PROGRESS":
            assert status == "COMPLETE", status
            return time.monotonic()
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filler-mib", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base = debian_layer()
    base_bytes = base.path.read_bytes()
    with tempfile.TemporaryDirectory() as tmp, running_berth(Path(tmp) / "data") as server:
        osv = Path(tmp) / "osv"
        osv.mkdir()
        (osv / "TEST-1.json").write_text(json.dumps({
            "id": "TEST-1", "modified": "2026-11-01T00:00:00Z", "affected": [{
                "package": {"ecosystem": "Debian:12", "name": "glibc"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}))
        subprocess.run([sys.executable, "-m", "berth", "vulndb", "import", str(osv)],
                       env={**os.environ, **server.settings_env}, check=True,
                       capture_output=True)
        ecr = server.client()
        ecr.create_repository(repositoryName="bench",
                              imageScanningConfiguration={"scanOnPush": True})
        registry = Client(server.url, server.password())
        times = []
        for run in range(args.repeat):
            filler = filler_layer(args.filler_mib)
            size = len(base_bytes) + len(filler[0])
            pushed = push(registry, "bench", f"r{run}", [(base_bytes, base.diff_id), filler])
            done = wait_complete(ecr, "bench", f"r{run}")
            times.append(done - pushed)
            print(f"run {run + 1}: {size / 2**20:.0f} MiB image, COMPLETE "
                  f"{done - pushed:.2f} s after the push", flush=True)
        registry.close()
    print(f"scan on push, median {statistics.median(times):.2f} s (target <= 5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
