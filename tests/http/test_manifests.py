"""Manifest, tag, catalog and referrers endpoints over real HTTP."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from berth.testing.server import BerthServer
from tests.http.registry_client import OCI_INDEX, OCI_MANIFEST, Client, error_code, sha256, unique

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"


def test_put_get_head_by_tag_and_digest(client: Client) -> None:
    repo = unique()
    payload, digest = client.manifest(repo, [b"layer one"])
    put = client.put_manifest(repo, "v1", payload)
    assert put.status_code == 201
    assert put.headers["Docker-Content-Digest"] == digest
    assert put.headers["Location"] == f"/v2/{repo}/manifests/{digest}"
    for reference in ("v1", digest):
        got = client.http.get(f"/v2/{repo}/manifests/{reference}",
                              headers={"Accept": OCI_MANIFEST})
        assert got.status_code == 200
        assert got.content == payload
        assert got.headers["Content-Type"] == OCI_MANIFEST
        assert got.headers["Docker-Content-Digest"] == digest
        head = client.http.head(f"/v2/{repo}/manifests/{reference}")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["Content-Length"] == str(len(payload))


def test_docker_schema2_and_manifest_list(client: Client) -> None:
    repo = unique()
    config = b'{"architecture":"amd64","os":"linux"}'
    layer = b"docker layer"
    doc = {"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
           "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                      "digest": client.push_blob(repo, config), "size": len(config)},
           "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                       "digest": client.push_blob(repo, layer), "size": len(layer)}]}
    payload = json.dumps(doc).encode()
    assert client.put_manifest(repo, "amd64", payload, DOCKER_MANIFEST).status_code == 201
    listing = json.dumps({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": [
        {"mediaType": DOCKER_MANIFEST, "digest": sha256(payload), "size": len(payload),
         "platform": {"architecture": "amd64", "os": "linux"}}]}).encode()
    assert client.put_manifest(repo, "multi", listing, DOCKER_LIST).status_code == 201
    got = client.http.get(f"/v2/{repo}/manifests/multi", headers={"Accept": DOCKER_LIST})
    assert got.headers["Content-Type"] == DOCKER_LIST and got.content == listing


def test_index_needs_its_child_manifests(client: Client) -> None:
    repo = unique()
    child_payload, child = client.manifest(repo, [b"child layer"])
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": child, "size": len(child_payload)}]}).encode()
    refused = client.put_manifest(repo, "idx", index, OCI_INDEX)
    assert refused.status_code == 400 and error_code(refused) == "MANIFEST_BLOB_UNKNOWN"
    assert client.put_manifest(repo, child, child_payload).status_code == 201
    assert client.put_manifest(repo, "idx", index, OCI_INDEX).status_code == 201


def test_unknown_blob_in_manifest(client: Client) -> None:
    repo = unique()
    payload, _ = client.manifest(repo, [b"present"])
    doc = json.loads(payload)
    doc["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar",
                          "digest": sha256(b"absent"), "size": 6})
    response = client.put_manifest(repo, "v1", json.dumps(doc).encode())
    assert response.status_code == 400
    assert error_code(response) == "MANIFEST_BLOB_UNKNOWN"
    assert client.http.get(f"/v2/{repo}/manifests/v1").status_code == 404


def test_blob_of_another_repository_does_not_count(client: Client) -> None:
    source, target = unique(), unique()
    payload, _ = client.manifest(source, [b"only in source"])
    response = client.put_manifest(target, "v1", payload)
    assert response.status_code == 400 and error_code(response) == "MANIFEST_BLOB_UNKNOWN"


@pytest.mark.parametrize(("body", "why"), [
    (b"{not json", "malformed JSON"),
    (b"[]", "not an object"),
    (json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST}).encode(), "no config"),
    (json.dumps({"schemaVersion": 3, "mediaType": OCI_MANIFEST}).encode(), "bad schema"),
    (json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {
        "mediaType": "x", "digest": "sha256:short", "size": 1}, "layers": []}).encode(),
     "bad digest"),
    (json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {
        "mediaType": "x", "digest": sha256(b"c"), "size": -1}, "layers": []}).encode(),
     "negative size"),
])
def test_malformed_manifests(client: Client, body: bytes, why: str) -> None:
    response = client.put_manifest(unique(), "v1", body)
    assert response.status_code == 400, why
    assert error_code(response) == "MANIFEST_INVALID", why


def test_schema1_is_refused(client: Client) -> None:
    schema1 = json.dumps({"schemaVersion": 1, "name": "x", "tag": "v1", "fsLayers": []}).encode()
    response = client.put_manifest(
        unique(), "v1", schema1, "application/vnd.docker.distribution.manifest.v1+prettyjws")
    assert response.status_code == 400 and error_code(response) == "MANIFEST_INVALID"


def test_media_type_must_match_content_type(client: Client) -> None:
    repo = unique()
    payload, _ = client.manifest(repo, [b"x"])
    response = client.put_manifest(repo, "v1", payload, DOCKER_MANIFEST)
    assert response.status_code == 400 and error_code(response) == "MANIFEST_INVALID"


def test_oversized_manifest(client: Client) -> None:
    repo = unique()
    payload, _ = client.manifest(repo, [b"x"])
    doc = json.loads(payload)
    doc["annotations"] = {"padding": "x" * (4 * 1024 * 1024)}
    response = client.put_manifest(repo, "v1", json.dumps(doc).encode())
    assert response.status_code == 413
    assert error_code(response) == "MANIFEST_INVALID"


def test_digest_reference_must_match(client: Client) -> None:
    repo = unique()
    payload, _ = client.manifest(repo, [b"x"])
    response = client.put_manifest(repo, sha256(b"other"), payload)
    assert response.status_code == 400 and error_code(response) == "DIGEST_INVALID"


@pytest.mark.parametrize("tag", ["-bad", ".bad", "a" * 129, "has space", "ümlaut"])
def test_invalid_tags(client: Client, tag: str) -> None:
    repo = unique()
    payload, _ = client.manifest(repo, [b"x"])
    response = client.put_manifest(repo, tag, payload)
    assert response.status_code in (400, 404)
    assert error_code(response) in ("MANIFEST_INVALID", "NOT_FOUND")


def test_push_by_digest_with_tag_parameters(client: Client) -> None:
    repo = unique()
    payload, digest = client.manifest(repo, [b"x"])
    response = client.put_manifest(repo, digest, payload, tag=["a", "b"])
    assert response.status_code == 201
    assert response.headers.get_list("OCI-Tag") == ["a", "b"]
    assert client.http.get(f"/v2/{repo}/tags/list").json()["tags"] == ["a", "b"]


def test_content_negotiation(client: Client) -> None:
    repo = unique()
    client.push_image(repo, "v1")
    refused = client.http.get(f"/v2/{repo}/manifests/v1", headers={"Accept": DOCKER_MANIFEST})
    assert refused.status_code in (404, 415)
    star = client.http.get(f"/v2/{repo}/manifests/v1", headers={"Accept": "*/*"})
    assert star.status_code == 200
    several = client.http.get(f"/v2/{repo}/manifests/v1",
                              headers={"Accept": f"{DOCKER_MANIFEST}, {OCI_MANIFEST}"})
    assert several.status_code == 200


def test_unknown_manifest(client: Client) -> None:
    repo = unique()
    client.push_image(repo, "v1")
    for reference in ("nope", sha256(b"nope")):
        response = client.http.get(f"/v2/{repo}/manifests/{reference}")
        assert response.status_code == 404 and error_code(response) == "MANIFEST_UNKNOWN"


def test_delete_by_tag_and_by_digest(client: Client) -> None:
    repo = unique()
    digest = client.push_image(repo, "v1")
    client.put_manifest(repo, "v2", client.http.get(f"/v2/{repo}/manifests/v1").content)
    assert client.http.delete(f"/v2/{repo}/manifests/v2").status_code == 202
    assert client.http.get(f"/v2/{repo}/manifests/v2").status_code == 404
    assert client.http.get(f"/v2/{repo}/manifests/v1").status_code == 200
    assert client.http.delete(f"/v2/{repo}/manifests/{digest}").status_code == 202
    assert client.http.get(f"/v2/{repo}/manifests/v1").status_code == 404
    gone = client.http.delete(f"/v2/{repo}/manifests/{digest}")
    assert gone.status_code == 404 and error_code(gone) == "MANIFEST_UNKNOWN"


def test_tags_pagination(client: Client) -> None:
    repo = unique()
    payload, _ = client.manifest(repo, [b"x"])
    tags = [f"t{i:02d}" for i in range(7)]
    for tag in tags:
        assert client.put_manifest(repo, tag, payload).status_code == 201
    assert client.http.get(f"/v2/{repo}/tags/list").json() == {"name": repo, "tags": tags}
    seen: list[str] = []
    url = f"/v2/{repo}/tags/list?n=3"
    while url:
        response = client.http.get(url)
        seen += response.json()["tags"]
        link = response.headers.get("Link")
        url = link[1:link.index(">")] if link else ""
    assert seen == tags
    assert client.http.get(f"/v2/{repo}/tags/list", params={"n": 0}).json()["tags"] == []
    after = client.http.get(f"/v2/{repo}/tags/list", params={"last": "t04"}).json()["tags"]
    assert after == ["t05", "t06"]


def test_catalog_pagination(client: Client) -> None:
    prefix = unique("cat")
    names = sorted(f"{prefix}/r{i}" for i in range(5))
    for name in names:
        client.push_blob(name, b"x")
    everything = client.http.get("/v2/_catalog", params={"n": 10000}).json()["repositories"]
    assert [n for n in everything if n.startswith(prefix)] == names
    page = client.http.get("/v2/_catalog", params={"n": 2, "last": names[0]})
    assert page.json()["repositories"] == names[1:3]
    assert 'rel="next"' in page.headers["Link"]


def test_referrers(client: Client) -> None:
    repo = unique()
    subject = client.push_image(repo, "v1")
    subject_payload = client.http.get(f"/v2/{repo}/manifests/v1").content
    empty = client.push_blob(repo, b"{}")
    artifacts = {}
    for kind in ("application/vnd.example.sbom", "application/vnd.example.sig"):
        sig = client.push_blob(repo, kind.encode())
        doc = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": kind,
               "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty,
                          "size": 2},
               "layers": [{"mediaType": "application/octet-stream", "digest": sig,
                           "size": len(kind)}],
               "subject": {"mediaType": OCI_MANIFEST, "digest": subject,
                           "size": len(subject_payload)},
               "annotations": {"kind": kind}}
        payload = json.dumps(doc).encode()
        put = client.put_manifest(repo, sha256(payload), payload)
        assert put.status_code == 201 and put.headers["OCI-Subject"] == subject
        artifacts[kind] = sha256(payload)
    listing = client.http.get(f"/v2/{repo}/referrers/{subject}")
    assert listing.status_code == 200
    assert listing.headers["Content-Type"] == OCI_INDEX
    found = {m["artifactType"]: m for m in listing.json()["manifests"]}
    assert {k: m["digest"] for k, m in found.items()} == artifacts
    assert found["application/vnd.example.sig"]["annotations"] == {
        "kind": "application/vnd.example.sig"}
    filtered = client.http.get(f"/v2/{repo}/referrers/{subject}",
                               params={"artifactType": "application/vnd.example.sig"})
    assert filtered.headers["OCI-Filters-Applied"] == "artifactType"
    assert [m["digest"] for m in filtered.json()["manifests"]] == [
        artifacts["application/vnd.example.sig"]]
    none = client.http.get(f"/v2/{repo}/referrers/{sha256(b'no such subject')}")
    assert none.status_code == 200 and none.json()["manifests"] == []
    bad = client.http.get(f"/v2/{repo}/referrers/sha256:xyz")
    assert bad.status_code == 400 and error_code(bad) == "DIGEST_INVALID"


def test_unknown_endpoint_and_method(client: Client) -> None:
    assert error_code(client.http.get("/v2/repo/nonsense/x")) == "NOT_FOUND"
    response = client.http.post(f"/v2/{unique()}/tags/list")
    assert response.status_code == 405 and error_code(response) == "UNSUPPORTED"


def test_a_pull_records_the_pull_time(client: Client, shared_berth: BerthServer) -> None:
    repo = unique()
    client.push_image(repo, "v1")
    ecr = shared_berth.client()
    before = ecr.describe_images(repositoryName=repo)["imageDetails"][0]
    assert "lastRecordedPullTime" not in before
    client.http.head(f"/v2/{repo}/manifests/v1")  # a HEAD is no pull
    client.http.get(f"/v2/{repo}/manifests/v1")
    assert recorded_pull_time(ecr, repo) >= before["imagePushedAt"]


def recorded_pull_time(ecr: Any, repo: str) -> Any:
    """The image's lastRecordedPullTime, once the background write has made it (5 s)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        detail = ecr.describe_images(repositoryName=repo)["imageDetails"][0]
        if "lastRecordedPullTime" in detail:
            return detail["lastRecordedPullTime"]
        time.sleep(0.1)
    raise AssertionError(f"no pull time recorded for {repo}")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_if_none_match_answers_304(client: Client, method: str) -> None:
    repo = unique()
    digest = client.push_image(repo, "v1")
    url = f"/v2/{repo}/manifests/v1"
    for header in (f'"{digest}"', f'W/"{digest}"', f'"sha256:{"0" * 64}", "{digest}"', "*"):
        response = client.http.request(method, url, headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["ETag"] == f'"{digest}"'
        assert response.headers["Docker-Content-Digest"] == digest
    other = client.http.request(method, url, headers={"If-None-Match": f'"sha256:{"0" * 64}"'})
    assert other.status_code == 200 and other.headers["ETag"] == f'"{digest}"'
    missing = client.http.request(method, f"/v2/{repo}/manifests/v2",
                                  headers={"If-None-Match": "*"})
    assert missing.status_code == 404  # "*" matches only what exists


def test_a_revalidated_pull_records_the_pull_time(client: Client,
                                                  shared_berth: BerthServer) -> None:
    """A caching proxy in front of berth sees 304s; the image is still being pulled."""
    repo = unique()
    digest = client.push_image(repo, "v1")
    got = client.http.get(f"/v2/{repo}/manifests/v1", headers={"If-None-Match": f'"{digest}"'})
    assert got.status_code == 304
    assert recorded_pull_time(shared_berth.client(), repo)


def test_if_none_match_needs_the_right_to_pull(shared_berth: BerthServer) -> None:
    client = Client(f"http://{shared_berth.host}", "not a token")
    try:
        response = client.http.get(f"/v2/{unique()}/manifests/v1",
                                   headers={"If-None-Match": "*"})
        assert response.status_code == 401
    finally:
        client.close()


def test_a_deeply_nested_manifest_is_invalid_not_a_crash(client: Client) -> None:
    response = client.put_manifest(unique(), "v1", b'{"a":' * 100_000)
    assert response.status_code == 400 and error_code(response) == "MANIFEST_INVALID"
