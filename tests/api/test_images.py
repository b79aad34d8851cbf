"""ECR's image operations on images pushed over /v2/, with boto3 (and the aws CLI)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from berth.ecr_api import model
from berth.testing.server import BerthServer
from tests.api.helpers import (
    ARTIFACT_TYPE,
    artifact_payload,
    aws,
    aws_json,
    code_of,
    index_payload,
    push_image,
    push_index,
    push_manifest,
    unique,
)
from tests.http.registry_client import OCI_CONFIG, OCI_INDEX, OCI_MANIFEST, Client, sha256

DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
FAILURE_CODES = set(model._model().shape_for("ImageFailureCode").enum)


def ids(response: dict[str, Any]) -> set[tuple[str | None, str | None]]:
    return {(i.get("imageDigest"), i.get("imageTag")) for i in response["imageIds"]}


def manifest_of(ecr: Any, repo: str, **image_id: str) -> str:
    return str(ecr.batch_get_image(repositoryName=repo, imageIds=[image_id])["images"][0][
        "imageManifest"])


def failures(response: dict[str, Any]) -> list[tuple[dict[str, str], str]]:
    return [(f["imageId"], f["failureCode"]) for f in response["failures"]]


# DescribeImages


def test_describe_images_details(ecr: Any, registry: Client, repo: str,
                                 shared_berth: BerthServer) -> None:
    layers = [b"a" * 100, b"b" * 250, b"c" * 7]
    payload, digest = registry.manifest(repo, layers)
    before = datetime.now(UTC)
    push_manifest(registry, repo, "v1", payload)
    push_manifest(registry, repo, "stable", payload)

    by_tag = ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    [detail] = by_tag["imageDetails"]
    assert detail["registryId"] == shared_berth.account_id
    assert detail["repositoryName"] == repo
    assert detail["imageDigest"] == digest
    assert sorted(detail["imageTags"]) == ["stable", "v1"]
    assert detail["imageSizeInBytes"] == 357
    assert isinstance(detail["imagePushedAt"], datetime)
    assert before - timedelta(seconds=5) <= detail["imagePushedAt"] <= datetime.now(UTC)
    assert detail["imageManifestMediaType"] == OCI_MANIFEST
    assert detail["artifactMediaType"] == OCI_CONFIG
    assert "nextToken" not in by_tag

    by_digest = ecr.describe_images(repositoryName=repo, imageIds=[{"imageDigest": digest}])
    assert by_digest["imageDetails"] == [detail]
    assert ecr.describe_images(repositoryName=repo)["imageDetails"] == [detail]


def test_describe_images_of_an_index_and_an_artifact(ecr: Any, registry: Client, repo: str
                                                     ) -> None:
    index, children = push_index(registry, repo, "multi")
    [detail] = ecr.describe_images(repositoryName=repo,
                                   imageIds=[{"imageTag": "multi"}])["imageDetails"]
    assert detail["imageDigest"] == index
    assert detail["imageManifestMediaType"] == OCI_INDEX
    # ECR: "If the image is a manifest list, this will be the max size of all manifests"
    child_sizes = [d["imageSizeInBytes"] for d in ecr.describe_images(
        repositoryName=repo, imageIds=[{"imageDigest": c} for c in children])["imageDetails"]]
    assert detail["imageSizeInBytes"] == max(child_sizes)

    subject = manifest_of(ecr, repo, imageDigest=children[0])
    artifact = artifact_payload(registry, repo, children[0], len(subject))
    digest = push_manifest(registry, repo, sha256(artifact), artifact)
    [detail] = ecr.describe_images(repositoryName=repo,
                                   imageIds=[{"imageDigest": digest}])["imageDetails"]
    assert detail["artifactMediaType"] == ARTIFACT_TYPE
    assert detail["subjectManifestDigest"] == children[0]
    assert "imageTags" not in detail


def test_describe_images_of_a_docker_image(ecr: Any, registry: Client, repo: str) -> None:
    config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    layer = uuid.uuid4().bytes * 3
    payload = json.dumps({
        "schemaVersion": 2, "mediaType": DOCKER_V2,
        "config": {"mediaType": DOCKER_CONFIG, "digest": registry.push_blob(repo, config),
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "digest": registry.push_blob(repo, layer), "size": len(layer)}],
    }).encode()
    push_manifest(registry, repo, "v1", payload, DOCKER_V2)
    [detail] = ecr.describe_images(repositoryName=repo)["imageDetails"]
    assert detail["imageManifestMediaType"] == DOCKER_V2
    assert detail["artifactMediaType"] == DOCKER_CONFIG
    assert detail["imageSizeInBytes"] == len(layer)
    got = ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}],
                              acceptedMediaTypes=[DOCKER_V2])
    assert got["images"][0]["imageManifestMediaType"] == DOCKER_V2
    with pytest.raises(ClientError) as caught:  # the media type named is not the manifest's
        ecr.put_image(repositoryName=repo, imageManifest=payload.decode(), imageTag="v2",
                      imageManifestMediaType=OCI_MANIFEST)
    assert code_of(caught) == "InvalidParameterException"


def test_describe_images_filters_by_tag_status(ecr: Any, registry: Client, repo: str) -> None:
    tagged = {push_image(registry, repo, "one"), push_image(registry, repo, "two")}
    untagged = {push_image(registry, repo, None)}
    moved_away = push_image(registry, repo, "three")
    push_image(registry, repo, "three")  # "three" moves on; its first image is untagged now
    untagged.add(moved_away)

    def digests(status: str | None) -> set[str]:
        extra = {"filter": {"tagStatus": status}} if status else {}
        return {d["imageDigest"] for page in ecr.get_paginator("describe_images").paginate(
            repositoryName=repo, **extra) for d in page["imageDetails"]}

    three = ecr.describe_images(repositoryName=repo,
                                imageIds=[{"imageTag": "three"}])["imageDetails"][0]
    tagged.add(three["imageDigest"])
    assert digests("TAGGED") == tagged
    assert digests("UNTAGGED") == untagged
    assert digests("ANY") == digests(None) == tagged | untagged


def test_describe_images_paginates(ecr: Any, registry: Client, repo: str) -> None:
    pushed = {push_image(registry, repo, f"t{i}") for i in range(5)}
    pushed |= {push_image(registry, repo, None) for _ in range(2)}
    pages = list(ecr.get_paginator("describe_images").paginate(
        repositoryName=repo, PaginationConfig={"PageSize": 2}))
    seen = [d["imageDigest"] for page in pages for d in page["imageDetails"]]
    assert all(len(page["imageDetails"]) <= 2 for page in pages)
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == pushed

    tagged = list(ecr.get_paginator("describe_images").paginate(
        repositoryName=repo, filter={"tagStatus": "TAGGED"},
        PaginationConfig={"PageSize": 2}))
    assert sum(len(p["imageDetails"]) for p in tagged) == 5


def test_a_pull_is_recorded(ecr: Any, registry: Client, repo: str) -> None:
    digest = push_image(registry, repo, "v1")
    [before] = ecr.describe_images(repositoryName=repo)["imageDetails"]
    assert "lastRecordedPullTime" not in before
    pulled = registry.http.get(f"/v2/{repo}/manifests/v1", headers={"Accept": OCI_MANIFEST})
    assert pulled.status_code == 200
    deadline = time.monotonic() + 10
    while True:
        [detail] = ecr.describe_images(repositoryName=repo,
                                       imageIds=[{"imageDigest": digest}])["imageDetails"]
        if "lastRecordedPullTime" in detail or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert isinstance(detail["lastRecordedPullTime"], datetime)
    assert detail["lastRecordedPullTime"] >= detail["imagePushedAt"]


def test_describe_images_errors(ecr: Any, registry: Client, repo: str) -> None:
    digest = push_image(registry, repo, "v1")
    missing = [{"imageTag": "nope"}, {"imageDigest": "sha256:" + "0" * 64},
               {"imageDigest": digest, "imageTag": "nope"}]
    for image_id in missing:
        with pytest.raises(ClientError) as caught:
            ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": "v1"}, image_id])
        assert code_of(caught) == "ImageNotFoundException", image_id
    with pytest.raises(ClientError) as caught:
        ecr.describe_images(repositoryName=unique())
    assert code_of(caught) == "RepositoryNotFoundException"
    with pytest.raises(ClientError) as caught:
        ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": "v1"}], maxResults=5)
    assert code_of(caught) == "InvalidParameterException"


# ListImages


def test_list_images_has_one_id_per_tag(ecr: Any, registry: Client, repo: str) -> None:
    payload, multi = registry.manifest(repo, [uuid.uuid4().bytes])
    for tag in ("a", "b", "c"):
        push_manifest(registry, repo, tag, payload)
    single = push_image(registry, repo, "solo")
    untagged = push_image(registry, repo, None)

    everything = {(multi, "a"), (multi, "b"), (multi, "c"), (single, "solo"), (untagged, None)}
    assert ids(ecr.list_images(repositoryName=repo)) == everything
    assert ids(ecr.list_images(repositoryName=repo, filter={"tagStatus": "TAGGED"})) == (
        everything - {(untagged, None)})
    assert ids(ecr.list_images(repositoryName=repo, filter={"tagStatus": "UNTAGGED"})) == {
        (untagged, None)}
    for page_size in (1, 2, 4):
        pages = list(ecr.get_paginator("list_images").paginate(
            repositoryName=repo, PaginationConfig={"PageSize": page_size}))
        listed = [(i["imageDigest"], i.get("imageTag")) for p in pages for i in p["imageIds"]]
        assert all(len(p["imageIds"]) <= page_size for p in pages)
        assert len(listed) == len(set(listed)), listed
        assert set(listed) == everything, page_size


def test_list_images_of_a_missing_repository(ecr: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ecr.list_images(repositoryName=unique())
    assert code_of(caught) == "RepositoryNotFoundException"


# BatchGetImage


def test_batch_get_image_by_tag_and_by_digest(ecr: Any, registry: Client, repo: str) -> None:
    payload, digest = registry.manifest(repo, [b"layer"])
    push_manifest(registry, repo, "v1", payload)
    got = ecr.batch_get_image(repositoryName=repo,
                              imageIds=[{"imageTag": "v1"}, {"imageDigest": digest}])
    assert got["failures"] == []
    assert [i["imageId"] for i in got["images"]] == [
        {"imageDigest": digest, "imageTag": "v1"}, {"imageDigest": digest}]
    for image in got["images"]:
        assert image["imageManifest"].encode() == payload
        assert image["imageManifestMediaType"] == OCI_MANIFEST
        assert image["repositoryName"] == repo

    both = ecr.batch_get_image(repositoryName=repo,
                               imageIds=[{"imageDigest": digest, "imageTag": "v1"}])
    assert both["failures"] == []
    assert both["images"][0]["imageId"] == {"imageDigest": digest, "imageTag": "v1"}


def test_batch_get_image_failures(ecr: Any, registry: Client, repo: str) -> None:
    digest = push_image(registry, repo, "v1")
    other = push_image(registry, repo, "v2")
    got = ecr.batch_get_image(repositoryName=repo, imageIds=[
        {"imageTag": "v1"},
        {"imageTag": "missing"},
        {"imageDigest": "sha256:" + "1" * 64},
        {"imageDigest": other, "imageTag": "v1"},
        {},
    ])
    assert [i["imageId"] for i in got["images"]] == [{"imageDigest": digest, "imageTag": "v1"}]
    assert failures(got) == [
        ({"imageTag": "missing"}, "ImageNotFound"),
        ({"imageDigest": "sha256:" + "1" * 64}, "ImageNotFound"),
        ({"imageDigest": other, "imageTag": "v1"}, "ImageTagDoesNotMatchDigest"),
        ({}, "MissingDigestAndTag"),
    ]
    assert all(f["failureReason"] for f in got["failures"])


def test_batch_get_image_honours_accepted_media_types(ecr: Any, registry: Client, repo: str
                                                      ) -> None:
    digest = push_image(registry, repo, "v1")
    accepted = ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}],
                                   acceptedMediaTypes=[DOCKER_V2, OCI_MANIFEST])
    assert [i["imageId"]["imageDigest"] for i in accepted["images"]] == [digest]

    refused = ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}],
                                  acceptedMediaTypes=[DOCKER_V2])
    assert refused["images"] == []
    assert [f["imageId"] for f in refused["failures"]] == [{"imageTag": "v1"}]
    assert refused["failures"][0]["failureCode"] in FAILURE_CODES


# BatchDeleteImage


def test_batch_delete_a_tag_keeps_the_image_until_its_last_tag(
        ecr: Any, registry: Client, repo: str) -> None:
    payload, digest = registry.manifest(repo, [uuid.uuid4().bytes])
    push_manifest(registry, repo, "a", payload)
    push_manifest(registry, repo, "b", payload)

    deleted = ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "a"}])
    assert deleted["failures"] == []
    assert deleted["imageIds"] == [{"imageDigest": digest, "imageTag": "a"}]
    assert ids(ecr.list_images(repositoryName=repo)) == {(digest, "b")}
    assert registry.http.get(f"/v2/{repo}/manifests/a").status_code == 404

    deleted = ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "b"}])
    assert deleted["imageIds"] == [{"imageDigest": digest, "imageTag": "b"}]
    assert ecr.list_images(repositoryName=repo)["imageIds"] == []
    with pytest.raises(ClientError) as caught:
        ecr.describe_images(repositoryName=repo, imageIds=[{"imageDigest": digest}])
    assert code_of(caught) == "ImageNotFoundException"
    assert registry.http.get(f"/v2/{repo}/manifests/{digest}").status_code == 404


def test_batch_delete_by_digest_removes_every_tag(ecr: Any, registry: Client, repo: str) -> None:
    payload, digest = registry.manifest(repo, [uuid.uuid4().bytes])
    push_manifest(registry, repo, "a", payload)
    push_manifest(registry, repo, "b", payload)
    keep = push_image(registry, repo, "keep")
    deleted = ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageDigest": digest}])
    assert deleted["failures"] == []
    assert ids(deleted) == {(digest, "a"), (digest, "b")}
    assert ids(ecr.list_images(repositoryName=repo)) == {(keep, "keep")}


def test_batch_delete_a_child_of_an_index_is_refused(ecr: Any, registry: Client, repo: str
                                                     ) -> None:
    _, children = push_index(registry, repo, "multi")
    refused = ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageDigest": children[0]}])
    assert refused["imageIds"] == []
    assert failures(refused) == [({"imageDigest": children[0]}, "ImageReferencedByManifestList")]
    assert registry.http.get(f"/v2/{repo}/manifests/{children[0]}",
                             headers={"Accept": OCI_MANIFEST}).status_code == 200

    ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "multi"}])
    gone = ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageDigest": children[0]}])
    assert gone["failures"] == []
    assert ids(gone) == {(children[0], None)}
    assert ids(ecr.list_images(repositoryName=repo)) == {(children[1], None)}


def test_batch_delete_image_failures(ecr: Any, registry: Client, repo: str) -> None:
    digest = push_image(registry, repo, "v1")
    other = push_image(registry, repo, "v2")
    result = ecr.batch_delete_image(repositoryName=repo, imageIds=[
        {"imageTag": "missing"}, {"imageDigest": "sha256:" + "2" * 64},
        {"imageDigest": other, "imageTag": "v1"}, {}])
    assert result["imageIds"] == []
    assert failures(result) == [
        ({"imageTag": "missing"}, "ImageNotFound"),
        ({"imageDigest": "sha256:" + "2" * 64}, "ImageNotFound"),
        ({"imageDigest": other, "imageTag": "v1"}, "ImageTagDoesNotMatchDigest"),
        ({}, "MissingDigestAndTag"),
    ]
    assert ids(ecr.list_images(repositoryName=repo)) == {(digest, "v1"), (other, "v2")}
    with pytest.raises(ClientError) as caught:
        ecr.batch_delete_image(repositoryName=unique(), imageIds=[{"imageTag": "v1"}])
    assert code_of(caught) == "RepositoryNotFoundException"


# PutImage


def test_put_image_adds_a_tag_to_an_existing_manifest(ecr: Any, registry: Client, repo: str
                                                      ) -> None:
    digest = push_image(registry, repo, "v1")
    manifest = manifest_of(ecr, repo, imageTag="v1")
    image = ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag="release")[
        "image"]
    assert image["imageId"] == {"imageDigest": digest, "imageTag": "release"}
    assert image["imageManifest"] == manifest
    assert image["imageManifestMediaType"] == OCI_MANIFEST
    assert ids(ecr.list_images(repositoryName=repo)) == {(digest, "v1"), (digest, "release")}
    pulled = registry.http.get(f"/v2/{repo}/manifests/release", headers={"Accept": OCI_MANIFEST})
    assert pulled.status_code == 200
    assert pulled.headers["Docker-Content-Digest"] == digest


def test_put_image_of_a_new_manifest(ecr: Any, registry: Client, repo: str) -> None:
    payload, digest = registry.manifest(repo, [b"fresh layer"])  # blobs pushed, manifest not
    image = ecr.put_image(repositoryName=repo, imageManifest=payload.decode(), imageTag="new",
                          imageManifestMediaType=OCI_MANIFEST, imageDigest=digest)["image"]
    assert image["imageId"] == {"imageDigest": digest, "imageTag": "new"}
    untagged_payload, untagged = registry.manifest(repo, [b"another layer"])
    image = ecr.put_image(repositoryName=repo, imageManifest=untagged_payload.decode())["image"]
    assert image["imageId"] == {"imageDigest": untagged}
    assert ids(ecr.list_images(repositoryName=repo)) == {(digest, "new"), (untagged, None)}


def test_put_image_that_changes_nothing_fails(ecr: Any, registry: Client, repo: str) -> None:
    push_image(registry, repo, "v1")
    manifest = manifest_of(ecr, repo, imageTag="v1")
    for extra in ({"imageTag": "v1"}, {}):
        with pytest.raises(ClientError) as caught:
            ecr.put_image(repositoryName=repo, imageManifest=manifest, **extra)
        assert code_of(caught) == "ImageAlreadyExistsException"


def test_put_image_cannot_move_an_immutable_tag(ecr: Any, registry: Client,
                                                new_repo: Any) -> None:
    repo = new_repo(imageTagMutability="IMMUTABLE")
    push_image(registry, repo, "v1")
    other, _ = registry.manifest(repo, [uuid.uuid4().bytes])
    with pytest.raises(ClientError) as caught:
        ecr.put_image(repositoryName=repo, imageManifest=other.decode(), imageTag="v1")
    assert code_of(caught) == "ImageTagAlreadyExistsException"
    assert "v1" in caught.value.response["Error"]["Message"]
    # a new tag, even on a new manifest, is fine
    ecr.put_image(repositoryName=repo, imageManifest=other.decode(), imageTag="v2")


def test_put_image_with_missing_layers_fails(ecr: Any, registry: Client, repo: str) -> None:
    payload, _ = registry.manifest(repo, [b"present"])
    doc = json.loads(payload)
    doc["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar",
                          "digest": "sha256:" + "3" * 64, "size": 5})
    with pytest.raises(ClientError) as caught:
        ecr.put_image(repositoryName=repo, imageManifest=json.dumps(doc), imageTag="broken")
    assert code_of(caught) == "LayersNotFoundException"
    assert ecr.list_images(repositoryName=repo)["imageIds"] == []


def test_put_image_of_an_index_with_a_missing_child_fails(ecr: Any, registry: Client, repo: str
                                                          ) -> None:
    child = push_image(registry, repo, None)
    size = len(manifest_of(ecr, repo, imageDigest=child))
    index = index_payload([(child, size), ("sha256:" + "4" * 64, 300)])
    with pytest.raises(ClientError) as caught:
        ecr.put_image(repositoryName=repo, imageManifest=index.decode(), imageTag="multi",
                      imageManifestMediaType=OCI_INDEX)
    assert code_of(caught) == "ReferencedImagesNotFoundException"
    complete = index_payload([(child, size)])
    image = ecr.put_image(repositoryName=repo, imageManifest=complete.decode(), imageTag="multi",
                          imageManifestMediaType=OCI_INDEX)["image"]
    assert image["imageManifestMediaType"] == OCI_INDEX


def test_put_image_with_a_wrong_digest_fails(ecr: Any, registry: Client, repo: str) -> None:
    push_image(registry, repo, "v1")
    manifest = manifest_of(ecr, repo, imageTag="v1")
    with pytest.raises(ClientError) as caught:
        ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag="v2",
                      imageDigest="sha256:" + "5" * 64)
    assert code_of(caught) == "ImageDigestDoesNotMatchException"
    assert ids(ecr.list_images(repositoryName=repo)) == {(sha256(manifest.encode()), "v1")}


@pytest.mark.parametrize("tag", ["bad tag", "semi;colon", "slash/tag", "caf\u00e9", "a:b"])
def test_put_image_with_an_invalid_tag_fails(ecr: Any, registry: Client, repo: str, tag: str
                                             ) -> None:
    push_image(registry, repo, "v1")
    manifest = manifest_of(ecr, repo, imageTag="v1")
    with pytest.raises(ClientError) as caught:
        ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag=tag)
    assert code_of(caught) == "InvalidParameterException"
    assert registry.http.get(f"/v2/{repo}/tags/list").json()["tags"] == ["v1"]


def test_put_image_with_an_invalid_manifest_fails(ecr: Any, repo: str) -> None:
    with pytest.raises(ClientError) as caught:
        ecr.put_image(repositoryName=repo, imageManifest="{not json", imageTag="v1")
    assert code_of(caught) == "InvalidParameterException"
    with pytest.raises(ClientError) as caught:
        ecr.put_image(repositoryName=unique(), imageManifest="{}", imageTag="v1")
    assert code_of(caught) == "RepositoryNotFoundException"


# ListImageReferrers


def test_list_image_referrers(ecr: Any, registry: Client, repo: str) -> None:
    subject = push_image(registry, repo, "v1")
    subject_size = len(manifest_of(ecr, repo, imageTag="v1"))
    sbom = artifact_payload(registry, repo, subject, subject_size)
    sbom_digest = push_manifest(registry, repo, sha256(sbom), sbom)
    signature = artifact_payload(registry, repo, subject, subject_size,
                                 "application/vnd.example.signature")
    signature_digest = push_manifest(registry, repo, sha256(signature), signature)

    found = ecr.list_image_referrers(repositoryName=repo, subjectId={"imageDigest": subject})
    by_digest = {r["digest"]: r for r in found["referrers"]}
    assert set(by_digest) == {sbom_digest, signature_digest}
    assert by_digest[sbom_digest]["artifactType"] == ARTIFACT_TYPE
    assert by_digest[sbom_digest]["mediaType"] == OCI_MANIFEST
    assert by_digest[sbom_digest]["size"] == len(sbom)
    assert by_digest[sbom_digest]["annotations"] == {"org.example.kind": "sbom"}

    filtered = ecr.list_image_referrers(repositoryName=repo, subjectId={"imageDigest": subject},
                                        filter={"artifactTypes": [ARTIFACT_TYPE]})
    assert [r["digest"] for r in filtered["referrers"]] == [sbom_digest]
    lonely = push_image(registry, repo, "v2")
    assert ecr.list_image_referrers(repositoryName=repo,
                                    subjectId={"imageDigest": lonely})["referrers"] == []


# the aws CLI


def test_image_commands_of_the_cli(registry: Client, repo: str, shared_berth: BerthServer
                                   ) -> None:
    payload, digest = registry.manifest(repo, [b"x" * 10, b"y" * 20])
    push_manifest(registry, repo, "v1", payload)
    push_manifest(registry, repo, "v2", payload)
    listed = aws_json(shared_berth, "ecr", "list-images", "--repository-name", repo)
    assert ids(listed) == {(digest, "v1"), (digest, "v2")}
    described = aws_json(shared_berth, "ecr", "describe-images", "--repository-name", repo,
                         "--image-ids", "imageTag=v1", "--query",
                         "imageDetails[0].[imageDigest,imageSizeInBytes]")
    assert described == [digest, 30]
    got = aws_json(shared_berth, "ecr", "batch-get-image", "--repository-name", repo,
                   "--image-ids", "imageTag=v2", "--query", "images[0].imageManifest")
    assert got.encode() == payload
    deleted = aws_json(shared_berth, "ecr", "batch-delete-image", "--repository-name", repo,
                       "--image-ids", "imageTag=v1", "imageTag=v9")
    assert deleted["imageIds"] == [{"imageDigest": digest, "imageTag": "v1"}]
    assert [f["failureCode"] for f in deleted["failures"]] == ["ImageNotFound"]
    failed = aws(shared_berth, "ecr", "describe-images", "--repository-name", repo,
                 "--image-ids", "imageTag=v1", check=False)
    assert failed.returncode != 0
    assert "ImageNotFoundException" in failed.stderr
