"""podman against a running berth: pull, tag, push to another repository, pull again.

podman runs on vfs storage of its own (see ``Podman``); it pulls and pushes, but runs no
containers. Images get into berth from OCI layouts through skopeo.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from berth.testing import layouts
from tests.e2e.clients import Podman, Skopeo, unique_repo
from tests.e2e.oci_files import read_json_blob, sha256, uncompressed_digest


def test_pull_tag_push_and_pull_again(podman: Podman, skopeo: Skopeo, http: httpx.Client,
                                      tmp_path: Path) -> None:
    source = tmp_path / "source"
    image = layouts.many_layer_image(source, layers=3, layer_size=32 * 1024)
    manifest = read_json_blob(source, image.digest)
    config = manifest["config"]["digest"]
    diff_ids = read_json_blob(source, config)["rootfs"]["diff_ids"]
    origin, copy = unique_repo("podman-origin"), unique_repo("podman-copy")
    skopeo.push(source, origin, "v1")

    pulled = podman.ref(origin, "v1")
    podman.pull(pulled)
    local = podman.image(pulled)
    assert local["Digest"] == image.digest
    assert f"sha256:{local['Id']}" == config  # podman's image ID is the config digest

    pushed = podman.ref(copy, "v2")
    podman.run("tag", pulled, pushed)
    digest = podman.push(pushed, tmp_path / "digest")

    # podman may recompress layers: what must hold is the image, not the bytes
    raw = skopeo.inspect_raw(skopeo.ref(copy, "v2"))
    assert sha256(raw) == digest
    assert skopeo.inspect(skopeo.ref(copy, "v2"))["Digest"] == digest
    copied = json.loads(raw)
    assert copied["config"]["digest"] == config
    assert len(copied["layers"]) == len(manifest["layers"]) == 3
    for layer, diff_id in zip(copied["layers"], diff_ids, strict=True):
        blob = http.get(f"/v2/{copy}/blobs/{layer['digest']}")
        assert blob.status_code == 200, layer
        assert sha256(blob.content) == layer["digest"]
        assert len(blob.content) == layer["size"]
        assert uncompressed_digest(blob.content, layer["mediaType"]) == diff_id

    podman.run("rmi", "--force", local["Id"])
    assert not podman.image_exists(pushed)
    assert not podman.image_exists(pulled)
    podman.pull(pushed)
    again = podman.image(pushed)
    assert again["Digest"] == digest
    assert f"sha256:{again['Id']}" == config


def test_pull_picks_the_requested_architecture_of_an_index(podman: Podman, skopeo: Skopeo,
                                                          tmp_path: Path) -> None:
    source = tmp_path / "source"
    index = layouts.multi_arch_index(source)
    children = read_json_blob(source, index.digest)["manifests"]
    repo = unique_repo("podman-multi")
    skopeo.push(source, repo, "latest", "latest", "--all")

    ref = podman.ref(repo, "latest")
    for child in children:
        arch = child["platform"]["architecture"]
        config = read_json_blob(source, child["digest"])["config"]["digest"]
        podman.pull(ref, "--arch", arch)
        local = podman.image(ref)
        assert f"sha256:{local['Id']}" == config, arch
        assert local["Architecture"] == arch
        assert local["Digest"] == index.digest  # what the tag named
        assert sorted(local["RepoDigests"]) == sorted(
            f"{skopeo.server.host}/{repo}@{d}" for d in (index.digest, child["digest"]))
