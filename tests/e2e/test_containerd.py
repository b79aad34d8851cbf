"""containerd against a running berth: what Kubernetes nodes (and docker with the
containerd image store) do. Pull and unpack, push, by digest, one platform of an index,
and the registry's refusals as containerd reports them."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from berth.testing import layouts
from berth.testing.server import BerthServer
from tests.e2e.clients import (
    MANIFEST_TYPES,
    Containerd,
    RegistryAuth,
    Skopeo,
    ToolFailed,
    unique_repo,
)
from tests.e2e.oci_files import read_json_blob


def test_containerd_pulls_and_unpacks_what_skopeo_pushed(
        containerd: Containerd, skopeo: Skopeo, shared_berth: BerthServer,
        registry_auth: RegistryAuth, tmp_path: Path) -> None:
    image = layouts.many_layer_image(tmp_path / "source", layers=3, layer_size=64 * 1024)
    repo = unique_repo("containerd")
    skopeo.push(tmp_path / "source", repo, "v1")
    ref = f"{shared_berth.host}/{repo}:v1"
    containerd.pull(ref, registry_auth)   # unpacking checks each layer against diff_ids
    assert containerd.digest(ref) == image.digest
    content = containerd.run("content", "ls", "--quiet").stdout.decode().split()
    manifest = read_json_blob(tmp_path / "source", image.digest)
    for layer in manifest["layers"]:
        assert layer["digest"] in content
    containerd.run("images", "rm", ref)


def test_containerd_pushes_an_image_that_berth_serves_back(
        containerd: Containerd, skopeo: Skopeo, shared_berth: BerthServer,
        registry_auth: RegistryAuth, http: httpx.Client, tmp_path: Path) -> None:
    image = layouts.many_layer_image(tmp_path / "source", layers=2, layer_size=32 * 1024)
    origin, copy = unique_repo("containerd-origin"), unique_repo("containerd-copy")
    skopeo.push(tmp_path / "source", origin, "v1")
    pulled, pushed = f"{shared_berth.host}/{origin}:v1", f"{shared_berth.host}/{copy}:v2"
    containerd.pull(pulled, registry_auth)
    containerd.run("images", "tag", pulled, pushed)
    containerd.push(pushed, registry_auth)

    got = http.get(f"/v2/{copy}/manifests/v2", headers={"Accept": MANIFEST_TYPES})
    assert got.status_code == 200
    assert got.headers["Docker-Content-Digest"] == image.digest
    for layer in json.loads(got.content)["layers"]:
        assert http.head(f"/v2/{copy}/blobs/{layer['digest']}").status_code == 200
    details = shared_berth.client().describe_images(repositoryName=copy)["imageDetails"]
    assert [(d["imageDigest"], d["imageTags"]) for d in details] == [(image.digest, ["v2"])]
    containerd.run("images", "rm", pulled, pushed)


def test_containerd_pulls_one_platform_of_an_index_by_digest(
        containerd: Containerd, skopeo: Skopeo, shared_berth: BerthServer,
        registry_auth: RegistryAuth, tmp_path: Path) -> None:
    index = layouts.multi_arch_index(tmp_path / "source")
    repo = unique_repo("containerd-index")
    skopeo.push(tmp_path / "source", repo, "multi", "latest", "--all")
    ref = f"{shared_berth.host}/{repo}@{index.digest}"
    containerd.pull(ref, registry_auth, "--platform", "linux/arm64")
    assert containerd.digest(ref) == index.digest
    arm64 = next(m for m in read_json_blob(tmp_path / "source", index.digest)["manifests"]
                 if m["platform"]["architecture"] == "arm64")
    content = containerd.run("content", "ls", "--quiet").stdout.decode().split()
    assert arm64["digest"] in content
    containerd.run("images", "rm", ref)


def test_containerd_reports_what_berth_refuses(containerd: Containerd,
                                               shared_berth: BerthServer,
                                               registry_auth: RegistryAuth) -> None:
    missing = f"{shared_berth.host}/{unique_repo('containerd-missing')}:v1"
    with pytest.raises(ToolFailed) as refused:
        containerd.pull(missing, registry_auth)
    assert "not found" in refused.value.stderr
    forged = RegistryAuth(registry_auth.authfile, password="not-a-token")
    with pytest.raises(ToolFailed) as refused:
        containerd.pull(missing, forged)
    assert "401 Unauthorized" in refused.value.stderr
