"""skopeo against a running berth: round trips through OCI layouts, copies between
repositories, referrers, inspect, list-tags and delete."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from berth.testing import layouts
from berth.testing.layouts import Layout
from tests.e2e.clients import MANIFEST_TYPES, Skopeo, unique_repo
from tests.e2e.oci_files import (
    assert_manifest_served,
    assert_same_layout,
    blob_path,
    read_json_blob,
    sha256,
)

MiB = 1 << 20
SBOM = "application/vnd.example.sbom.v1+json"
SIGNATURE = "application/vnd.example.signature.v1"


def error_code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["code"])


# round trips: oci layout → berth → oci layout


def test_simple_image_round_trip(skopeo: Skopeo, http: httpx.Client, tmp_path: Path) -> None:
    image = layouts.simple_image(tmp_path / "source")
    repo = unique_repo("simple")

    skopeo.push(tmp_path / "source", repo, "latest")
    assert_manifest_served(http, repo, "latest", tmp_path / "source", image.digest)
    skopeo.pull(repo, "latest", tmp_path / "pulled")

    assert_same_layout(tmp_path / "source", tmp_path / "pulled", image.digest, blobs=3)


def test_twenty_layer_round_trip(skopeo: Skopeo, http: httpx.Client, tmp_path: Path) -> None:
    image = layouts.many_layer_image(tmp_path / "source", layers=20)
    repo = unique_repo("many")

    skopeo.push(tmp_path / "source", repo, "v1")
    assert_manifest_served(http, repo, "v1", tmp_path / "source", image.digest)
    skopeo.pull(repo, "v1", tmp_path / "pulled")

    manifest = read_json_blob(tmp_path / "pulled", image.digest)
    assert len(manifest["layers"]) == 20
    assert_same_layout(tmp_path / "source", tmp_path / "pulled", image.digest, blobs=22)


@pytest.mark.slow
def test_256_mib_layer_round_trip(skopeo: Skopeo, tmp_path: Path) -> None:
    source, pulled = tmp_path / "source", tmp_path / "pulled"
    try:
        image = layouts.big_image(source, size=256 * MiB)
        layer = read_json_blob(source, image.digest)["layers"][0]
        assert layer["size"] > 256 * MiB
        repo = unique_repo("big")

        skopeo.push(source, repo, "latest", timeout=480)
        skopeo.pull(repo, "latest", pulled, timeout=480)

        assert_same_layout(source, pulled, image.digest, blobs=3)
    finally:  # 512 MiB of layouts need not outlive the test
        shutil.rmtree(source, ignore_errors=True)
        shutil.rmtree(pulled, ignore_errors=True)


def test_multi_arch_index_round_trip(skopeo: Skopeo, http: httpx.Client, tmp_path: Path
                                     ) -> None:
    source = tmp_path / "source"
    index = layouts.multi_arch_index(source)
    children = read_json_blob(source, index.digest)["manifests"]
    assert {c["platform"]["architecture"] for c in children} == {"amd64", "arm64"}
    repo = unique_repo("multi")

    skopeo.push(source, repo, "latest", "latest", "--all")

    assert_manifest_served(http, repo, "latest", source, index.digest)
    for child in children:
        assert_manifest_served(http, repo, child["digest"], source, child["digest"])
    skopeo.pull(repo, "latest", tmp_path / "pulled", "latest", "--all")
    # the index, and a manifest, a config and a layer per architecture
    assert_same_layout(source, tmp_path / "pulled", index.digest, blobs=7)


# artifacts and referrers


def test_artifact_subject_is_listed_by_referrers(skopeo: Skopeo, http: httpx.Client,
                                                tmp_path: Path) -> None:
    source = tmp_path / "source"
    layout = Layout(source)
    image = layout.add_image([layout.add_file_layer({"app": b"the app\n"})])
    sbom = layout.add_artifact(image, SBOM, b'{"packages": []}')
    signature = layout.add_artifact(image, SIGNATURE, b"signed")
    for descriptor, ref in ((image, "v1"), (sbom, "v1-sbom"), (signature, "v1-sig")):
        layout.tag(descriptor, ref)
    repo = unique_repo("artifact")

    skopeo.push(source, repo, "v1", "v1")
    skopeo.push(source, repo, "v1-sbom", "v1-sbom")
    skopeo.push(source, repo, "v1-sig", "v1-sig")
    assert_manifest_served(http, repo, "v1-sbom", source, sbom.digest)

    everything = http.get(f"/v2/{repo}/referrers/{image.digest}")
    assert everything.status_code == 200, everything.text
    assert everything.headers["Content-Type"] == layouts.OCI_INDEX
    assert "OCI-Filters-Applied" not in everything.headers
    listed = {m["digest"]: m for m in everything.json()["manifests"]}
    assert set(listed) == {sbom.digest, signature.digest}
    assert listed[sbom.digest]["artifactType"] == SBOM
    assert listed[sbom.digest]["mediaType"] == layouts.OCI_MANIFEST
    assert listed[sbom.digest]["size"] == sbom.size
    assert listed[signature.digest]["artifactType"] == SIGNATURE

    only_sboms = http.get(f"/v2/{repo}/referrers/{image.digest}",
                          params={"artifactType": SBOM})
    assert only_sboms.status_code == 200, only_sboms.text
    assert only_sboms.headers["OCI-Filters-Applied"] == "artifactType"
    assert [(m["digest"], m["artifactType"]) for m in only_sboms.json()["manifests"]] == [
        (sbom.digest, SBOM)]

    # the artifacts themselves have no referrers
    none = http.get(f"/v2/{repo}/referrers/{sbom.digest}")
    assert none.status_code == 200, none.text
    assert none.json()["manifests"] == []


# between repositories of berth


def test_copy_between_repositories(skopeo: Skopeo, http: httpx.Client, tmp_path: Path) -> None:
    source = tmp_path / "source"
    image = layouts.many_layer_image(source, layers=3, layer_size=16 * 1024)
    first, second = unique_repo("copy-from"), unique_repo("copy-to")
    skopeo.push(source, first, "v1")

    skopeo.copy(skopeo.ref(first, "v1"), skopeo.ref(second, "v2"), "--preserve-digests")

    assert_manifest_served(http, second, "v2", source, image.digest)
    assert skopeo.inspect(skopeo.ref(second, "v2"))["Digest"] == image.digest
    manifest = read_json_blob(source, image.digest)
    for blob in [manifest["config"], *manifest["layers"]]:
        head = http.head(f"/v2/{second}/blobs/{blob['digest']}")
        assert head.status_code == 200, blob
        assert head.headers["Docker-Content-Digest"] == blob["digest"]
        assert int(head.headers["Content-Length"]) == blob["size"]
    skopeo.pull(second, "v2", tmp_path / "pulled")
    assert_same_layout(source, tmp_path / "pulled", image.digest, blobs=5)


def test_cross_repository_mount_over_http(skopeo: Skopeo, http: httpx.Client, tmp_path: Path
                                          ) -> None:
    source = tmp_path / "source"
    image = layouts.simple_image(source)
    layer = read_json_blob(source, image.digest)["layers"][0]["digest"]
    layer_bytes = blob_path(source, layer).read_bytes()
    owner, other = unique_repo("mount-owner"), unique_repo("mount-other")
    skopeo.push(source, owner, "v1")
    layouts.simple_image(tmp_path / "other", seed=1)  # a repository without that layer
    skopeo.push(tmp_path / "other", other, "v1")

    target = unique_repo("mount-target")
    mounted = http.post(f"/v2/{target}/blobs/uploads/", params={"mount": layer, "from": owner})
    assert mounted.status_code == 201, mounted.text
    assert mounted.headers["Location"] == f"/v2/{target}/blobs/{layer}"
    assert mounted.headers["Docker-Content-Digest"] == layer
    fetched = http.get(mounted.headers["Location"])
    assert fetched.status_code == 200
    assert fetched.content == layer_bytes

    # from a repository that lacks the blob: an upload session instead, usable as one
    fallback = unique_repo("mount-fallback")
    session = http.post(f"/v2/{fallback}/blobs/uploads/", params={"mount": layer, "from": other})
    assert session.status_code == 202, session.text
    location = session.headers["Location"]
    assert location.startswith(f"/v2/{fallback}/blobs/uploads/")
    assert http.head(f"/v2/{fallback}/blobs/{layer}").status_code == 404
    finished = http.put(location, params={"digest": layer}, content=layer_bytes,
                        headers={"Content-Type": "application/octet-stream"})
    assert finished.status_code == 201, finished.text
    assert http.get(f"/v2/{fallback}/blobs/{layer}").content == layer_bytes

    # from a repository that does not exist: a session too
    nowhere = http.post(f"/v2/{fallback}/blobs/uploads/",
                        params={"mount": layer, "from": unique_repo("no-such-repo")})
    assert nowhere.status_code == 202, nowhere.text
    assert http.delete(nowhere.headers["Location"]).status_code == 204


# inspect, list-tags, delete


def test_inspect(skopeo: Skopeo, tmp_path: Path) -> None:
    source = tmp_path / "source"
    image = layouts.simple_image(source)
    manifest = read_json_blob(source, image.digest)
    repo = unique_repo("inspect")
    for tag in ("1.0", "1.1", "latest"):
        skopeo.push(source, repo, tag)

    info = skopeo.inspect(skopeo.ref(repo, "1.1"))
    assert info["Name"] == f"{skopeo.server.host}/{repo}"
    assert info["Digest"] == image.digest
    assert sorted(info["RepoTags"]) == ["1.0", "1.1", "latest"]
    assert info["Architecture"] == "amd64"
    assert info["Layers"] == [layer["digest"] for layer in manifest["layers"]]

    assert skopeo.inspect(skopeo.ref(repo, digest=image.digest))["Digest"] == image.digest


def test_inspect_raw(skopeo: Skopeo, tmp_path: Path) -> None:
    source = tmp_path / "source"
    index = layouts.multi_arch_index(source)
    repo = unique_repo("raw")
    skopeo.push(source, repo, "latest", "latest", "--all")

    raw = skopeo.inspect_raw(skopeo.ref(repo, "latest"))
    assert raw == blob_path(source, index.digest).read_bytes()
    assert sha256(raw) == index.digest
    child = read_json_blob(source, index.digest)["manifests"][1]
    child_raw = skopeo.inspect_raw(skopeo.ref(repo, digest=child["digest"]))
    assert child_raw == blob_path(source, child["digest"]).read_bytes()
    config = read_json_blob(source, child["digest"])["config"]["digest"]
    config_raw = skopeo.inspect_raw(skopeo.ref(repo, digest=child["digest"]), "--config")
    assert config_raw == blob_path(source, config).read_bytes()


def test_list_tags(skopeo: Skopeo, tmp_path: Path) -> None:
    layouts.simple_image(tmp_path / "one")
    layouts.simple_image(tmp_path / "two", seed=2)
    repo = unique_repo("tags")
    for tag in ("v1", "v1.0", "stable"):
        skopeo.push(tmp_path / "one", repo, tag)
    skopeo.push(tmp_path / "two", repo, "v2")

    assert sorted(skopeo.list_tags(repo)) == ["stable", "v1", "v1.0", "v2"]


def test_delete(skopeo: Skopeo, http: httpx.Client, tmp_path: Path) -> None:
    source = tmp_path / "source"
    image = layouts.simple_image(source)
    repo = unique_repo("delete")
    skopeo.push(source, repo, "doomed")
    layouts.simple_image(tmp_path / "kept", seed=3)
    skopeo.push(tmp_path / "kept", repo, "kept")
    assert_manifest_served(http, repo, image.digest, source, image.digest)

    skopeo.delete(skopeo.ref(repo, "doomed"))

    for reference in (image.digest, "doomed"):
        gone = http.get(f"/v2/{repo}/manifests/{reference}", headers={"Accept": MANIFEST_TYPES})
        assert gone.status_code == 404, reference
        assert error_code(gone) == "MANIFEST_UNKNOWN"
    assert skopeo.list_tags(repo) == ["kept"]
