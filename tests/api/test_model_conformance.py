"""berth's ECR answers checked against botocore's model, over raw signed HTTP.

Errors: each bad call must be answered with an error shape the operation declares, or
one of AWS's errors common to every JSON service; where the right error is clear, the
exact one. Successes: the body must hold only members of the output shape
(``shape_output(..., strict=True)`` is the oracle and must give the body back unchanged).
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from berth.ecr_api import model
from berth.testing.server import BerthServer
from tests.api import aws_raw
from tests.api.helpers import artifact_payload, index_payload, push_image, push_manifest
from tests.http.registry_client import Client, sha256

OTHER_ACCOUNT = "999999999999"
UNKNOWN_UPLOAD = "0f8fad5b-d9cb-469f-a165-70867728950e"
# a token whose JSON nests deeper than any parser recurses
DEEP_TOKEN = base64.urlsafe_b64encode(b"[" * 100_000).decode()
DIGEST_0 = "sha256:" + "0" * 64


@dataclass(frozen=True)
class World:
    """What the table's placeholders name: ``{repo}`` has image ``v1`` (``{digest}``,
    ``{manifest}``); ``{frozen}`` is IMMUTABLE with ``v1``; ``{missing}`` does not exist."""

    repo: str
    frozen: str
    missing: str
    digest: str
    manifest: str
    other_manifest: str
    missing_layer_manifest: str
    missing_child_index: str
    account: str
    region: str

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.format(**self.__dict__, other_account=OTHER_ACCOUNT, new=_new())
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value


def _new() -> str:
    return f"conf/new-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def world(shared_berth: BerthServer) -> World:
    ecr = shared_berth.client()
    suffix = uuid.uuid4().hex[:8]
    repo, frozen = f"conf/images-{suffix}", f"conf/frozen-{suffix}"
    ecr.create_repository(repositoryName=repo)
    ecr.create_repository(repositoryName=frozen, imageTagMutability="IMMUTABLE")
    registry = Client(shared_berth.url, shared_berth.password())
    try:
        digest = push_image(registry, repo, "v1", [b"layer one"])
        push_image(registry, frozen, "v1")
        manifest = registry.http.get(f"/v2/{repo}/manifests/v1", headers={
            "Accept": "application/vnd.oci.image.manifest.v1+json"}).text
        other, _ = registry.manifest(frozen, [b"another layer"])
        broken = json.loads(manifest)
        broken["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                 "digest": DIGEST_0, "size": 1})
        index = index_payload([(digest, len(manifest)), (DIGEST_0, 10)])
        artifact = artifact_payload(registry, repo, digest, len(manifest))
        push_manifest(registry, repo, sha256(artifact), artifact)
    finally:
        registry.close()
    return World(repo, frozen, f"conf/missing-{suffix}", digest, manifest, other.decode(),
                 json.dumps(broken), index.decode(), shared_berth.account_id,
                 shared_berth.region)


# (operation, parameters, the error expected; None: any the model allows)
BAD_CALLS: list[tuple[str, Any, str | None]] = [
    ("CreateRepository", {}, "InvalidParameterException"),
    ("CreateRepository", {"repositoryName": "Bad_Name"}, "InvalidParameterException"),
    ("CreateRepository", {"repositoryName": "x"}, "InvalidParameterException"),
    ("CreateRepository", {"repositoryName": 5}, None),
    ("CreateRepository", {"repositoryName": "{repo}"}, "RepositoryAlreadyExistsException"),
    ("CreateRepository", {"repositoryName": "{new}", "imageTagMutability": "SOMETIMES"},
     "InvalidParameterException"),
    ("CreateRepository", {"repositoryName": "{new}", "tags": [{"Key": "aws:x", "Value": "v"}]},
     "InvalidTagParameterException"),
    ("CreateRepository", {"repositoryName": "{new}",
                          "tags": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]},
     "TooManyTagsException"),
    ("CreateRepository", {"repositoryName": "{new}", "imageTagMutability": "IMMUTABLE",
                          "imageTagMutabilityExclusionFilters": [
                              {"filterType": "WILDCARD", "filter": "x*"}]},
     "InvalidParameterException"),
    ("CreateRepository", {"repositoryName": "{new}", "encryptionConfiguration": {
        "encryptionType": "ROT13"}}, "InvalidParameterException"),
    ("DescribeRepositories", {"repositoryNames": ["{missing}"]}, "RepositoryNotFoundException"),
    ("DescribeRepositories", {"maxResults": 0}, "InvalidParameterException"),
    ("DescribeRepositories", {"maxResults": 5000}, "InvalidParameterException"),
    ("DescribeRepositories", {"nextToken": "%%%"}, "InvalidParameterException"),
    ("DescribeRepositories", {"nextToken": "NQ=="}, "InvalidParameterException"),
    ("DescribeRepositories", {"nextToken": DEEP_TOKEN}, "InvalidParameterException"),
    ("DescribeRepositories", {"repositoryNames": ["{repo}"], "maxResults": 5},
     "InvalidParameterException"),
    ("DescribeRepositories", {"registryId": "{other_account}"}, "AccessDeniedException"),
    ("DeleteRepository", {"repositoryName": "{missing}"}, "RepositoryNotFoundException"),
    ("DeleteRepository", {"repositoryName": "{repo}"}, "RepositoryNotEmptyException"),
    ("DescribeImages", {"repositoryName": "{missing}"}, "RepositoryNotFoundException"),
    ("DescribeImages", {"repositoryName": "{repo}", "imageIds": [{"imageTag": "nope"}]},
     "ImageNotFoundException"),
    ("DescribeImages", {"repositoryName": "{repo}", "imageIds": [{"imageTag": "v1"}],
                        "maxResults": 5}, "InvalidParameterException"),
    ("DescribeImages", {"repositoryName": "{repo}", "filter": {"tagStatus": "SOME"}},
     "InvalidParameterException"),
    ("DescribeImages", {"repositoryName": "{repo}", "nextToken": "NQ=="},
     "InvalidParameterException"),
    ("ListImages", {"repositoryName": "{missing}"}, "RepositoryNotFoundException"),
    ("ListImages", {"repositoryName": "{repo}", "nextToken": "garbage!"},
     "InvalidParameterException"),
    ("ListImages", {"repositoryName": "{repo}", "nextToken": "NQ=="},
     "InvalidParameterException"),
    ("BatchGetImage", {"repositoryName": "{missing}", "imageIds": [{"imageTag": "v1"}]},
     "RepositoryNotFoundException"),
    ("BatchGetImage", {"repositoryName": "{repo}", "imageIds": []}, "InvalidParameterException"),
    ("BatchGetImage", {"repositoryName": "{repo}",
                       "imageIds": [{"imageTag": f"t{i}"} for i in range(101)]},
     "InvalidParameterException"),
    ("BatchDeleteImage", {"repositoryName": "{missing}", "imageIds": [{"imageTag": "v1"}]},
     "RepositoryNotFoundException"),
    ("PutImage", {"repositoryName": "{repo}", "imageManifest": "{manifest}", "imageTag": "v1"},
     "ImageAlreadyExistsException"),
    ("PutImage", {"repositoryName": "{repo}", "imageManifest": "{manifest}", "imageTag": "v2",
                  "imageDigest": DIGEST_0}, "ImageDigestDoesNotMatchException"),
    ("PutImage", {"repositoryName": "{repo}", "imageManifest": "{missing_layer_manifest}",
                  "imageTag": "v3"}, "LayersNotFoundException"),
    ("PutImage", {"repositoryName": "{repo}", "imageManifest": "{missing_child_index}",
                  "imageTag": "v4"}, "ReferencedImagesNotFoundException"),
    ("PutImage", {"repositoryName": "{repo}", "imageManifest": "not json", "imageTag": "v5"},
     "InvalidParameterException"),
    ("PutImage", {"repositoryName": "{frozen}", "imageManifest": "{other_manifest}",
                  "imageTag": "v1"}, "ImageTagAlreadyExistsException"),
    ("PutImage", {"repositoryName": "{missing}", "imageManifest": "{manifest}"},
     "RepositoryNotFoundException"),
    ("InitiateLayerUpload", {"repositoryName": "{missing}"}, "RepositoryNotFoundException"),
    ("UploadLayerPart", {"repositoryName": "{repo}", "uploadId": UNKNOWN_UPLOAD,
                         "partFirstByte": 0, "partLastByte": 0, "layerPartBlob": "eA=="},
     "UploadNotFoundException"),
    ("UploadLayerPart", {"repositoryName": "{repo}", "uploadId": "nope",
                         "partFirstByte": 0, "partLastByte": 0, "layerPartBlob": "eA=="},
     "InvalidParameterException"),
    ("UploadLayerPart", {"repositoryName": "{repo}", "uploadId": UNKNOWN_UPLOAD,
                         "partFirstByte": 0, "partLastByte": 0, "layerPartBlob": "***"}, None),
    ("CompleteLayerUpload", {"repositoryName": "{repo}", "uploadId": UNKNOWN_UPLOAD,
                             "layerDigests": [DIGEST_0]}, "UploadNotFoundException"),
    ("CompleteLayerUpload", {"repositoryName": "{repo}", "uploadId": UNKNOWN_UPLOAD,
                             "layerDigests": []}, "InvalidParameterException"),
    ("BatchCheckLayerAvailability", {"repositoryName": "{missing}", "layerDigests": [DIGEST_0]},
     "RepositoryNotFoundException"),
    ("GetDownloadUrlForLayer", {"repositoryName": "{repo}", "layerDigest": DIGEST_0},
     "LayersNotFoundException"),
    ("GetDownloadUrlForLayer", {"repositoryName": "{missing}", "layerDigest": DIGEST_0},
     "RepositoryNotFoundException"),
    ("GetDownloadUrlForLayer", {"repositoryName": "{repo}", "layerDigest": "sha256:abc"},
     None),
    ("GetDownloadUrlForLayer", {"repositoryName": "{repo}", "layerDigest": "md5:" + "a" * 32},
     None),
    ("GetAuthorizationToken", {"registryIds": ["abc"]}, "InvalidParameterException"),
    ("PutImageTagMutability", {"repositoryName": "{missing}", "imageTagMutability": "MUTABLE"},
     "RepositoryNotFoundException"),
    ("PutImageTagMutability", {"repositoryName": "{repo}", "imageTagMutability": "SOMETIMES"},
     "InvalidParameterException"),
    ("PutImageScanningConfiguration", {"repositoryName": "{missing}",
                                       "imageScanningConfiguration": {"scanOnPush": True}},
     "RepositoryNotFoundException"),
    ("TagResource", {"resourceArn": "arn:nope", "tags": [{"Key": "k", "Value": "v"}]},
     "InvalidParameterException"),
    ("TagResource", {"resourceArn": "arn:aws:ecr:{region}:{account}:repository/{repo}",
                     "tags": [{"Key": "aws:k", "Value": "v"}]}, "InvalidTagParameterException"),
    ("TagResource", {"resourceArn": "arn:aws:ecr:{region}:{account}:repository/{missing}",
                     "tags": [{"Key": "k", "Value": "v"}]}, "RepositoryNotFoundException"),
    ("UntagResource", {"resourceArn": "arn:aws:ecr:{region}:{account}:repository/{repo}",
                       "tagKeys": ["aws:k"]}, "InvalidTagParameterException"),
    ("ListTagsForResource", {"resourceArn": "{repo}"}, "InvalidParameterException"),
    ("ListTagsForResource",
     {"resourceArn": "arn:aws:ecr:{region}:{other_account}:repository/{repo}"},
     "AccessDeniedException"),
    ("CreateRepositoryCreationTemplate", {"prefix": "ROOT", "appliedFor": ["CREATE_ON_PUSH"]},
     "TemplateAlreadyExistsException"),
    ("CreateRepositoryCreationTemplate", {"prefix": "Bad Prefix",
                                          "appliedFor": ["CREATE_ON_PUSH"]}, None),
    ("CreateRepositoryCreationTemplate", {"prefix": "{new}", "appliedFor": ["EVERYTHING"]},
     None),
    ("UpdateRepositoryCreationTemplate", {"prefix": "{missing}", "description": "x"},
     "TemplateNotFoundException"),
    ("DeleteRepositoryCreationTemplate", {"prefix": "{missing}"}, "TemplateNotFoundException"),
    ("DescribeRepositoryCreationTemplates", {"nextToken": "NQ=="}, "InvalidParameterException"),
    ("GetAccountSetting", {"name": "NOPE"}, None),
    ("PutAccountSetting", {"name": "BLOB_MOUNTING", "value": "MAYBE"}, None),
    ("ListImageReferrers", {"repositoryName": "{missing}",
                            "subjectId": {"imageDigest": DIGEST_0}},
     "RepositoryNotFoundException"),
    ("ListImageReferrers", {"repositoryName": "{repo}", "subjectId": {"imageDigest": "nope"}},
     "InvalidParameterException"),
    ("ListImageReferrers", {"repositoryName": "{repo}", "subjectId": {"imageDigest": "{digest}"},
                            "nextToken": "ImEi"}, "InvalidParameterException"),
]


@pytest.mark.parametrize("case", BAD_CALLS, ids=[f"{i:02}-{op}-{expected or 'any'}"
                                                for i, (op, _, expected) in enumerate(BAD_CALLS)])
def test_errors_are_shapes_the_model_allows(shared_berth: BerthServer, world: World,
                                            case: tuple[str, Any, str | None]) -> None:
    operation, params, expected = case
    response = aws_raw.call(shared_berth, operation, world.fill(params))
    assert response.status_code >= 400, (response.status_code, response.text[:500])
    assert response.status_code < 500, response.text[:500]
    kind = aws_raw.error_type(response)
    allowed = model.error_names(operation) | aws_raw.COMMON_ERRORS
    assert kind in allowed, f"{operation} answered {kind}: {response.json()['message']}"
    if expected is not None:
        assert kind == expected, response.json()["message"]
    assert response.json().get("message")
    assert response.headers["content-type"].startswith(aws_raw.JSON_11)


# (operation, parameters) of calls that succeed
GOOD_CALLS: list[tuple[str, Any]] = [
    ("DescribeRepositories", {"repositoryNames": ["{repo}"]}),
    ("DescribeRepositories", {"maxResults": 2}),
    ("CreateRepository", {"repositoryName": "{new}", "tags": [{"Key": "a", "Value": "b"}]}),
    ("DescribeImages", {"repositoryName": "{repo}"}),
    ("DescribeImages", {"repositoryName": "{repo}", "imageIds": [{"imageTag": "v1"}]}),
    ("ListImages", {"repositoryName": "{repo}"}),
    ("BatchGetImage", {"repositoryName": "{repo}",
                       "imageIds": [{"imageTag": "v1"}, {"imageTag": "nope"}]}),
    ("BatchDeleteImage", {"repositoryName": "{repo}", "imageIds": [{"imageTag": "nope"}]}),
    ("BatchCheckLayerAvailability", {"repositoryName": "{repo}",
                                     "layerDigests": [DIGEST_0, "sha256:zz"]}),
    ("GetDownloadUrlForLayer", {"repositoryName": "{repo}", "layerDigest": sha256(b"layer one")}),
    ("InitiateLayerUpload", {"repositoryName": "{repo}"}),
    ("GetAuthorizationToken", {}),
    ("DescribeRegistry", {}),
    ("GetAccountSetting", {"name": "BLOB_MOUNTING"}),
    ("DescribeRepositoryCreationTemplates", {}),
    ("ListTagsForResource", {"resourceArn": "arn:aws:ecr:{region}:{account}:repository/{repo}"}),
    ("PutImageScanningConfiguration", {"repositoryName": "{repo}",
                                       "imageScanningConfiguration": {"scanOnPush": False}}),
    ("PutImageTagMutability", {"repositoryName": "{repo}", "imageTagMutability": "MUTABLE"}),
    ("ListImageReferrers", {"repositoryName": "{repo}", "subjectId": {"imageDigest": "{digest}"}}),
]


@pytest.mark.parametrize(("operation", "params"), GOOD_CALLS,
                         ids=[f"{op}-{i}" for i, (op, _) in enumerate(GOOD_CALLS)])
def test_answers_hold_only_output_members(shared_berth: BerthServer, world: World,
                                          operation: str, params: Any) -> None:
    response = aws_raw.call(shared_berth, operation, world.fill(params))
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith(aws_raw.JSON_11)
    body = response.json()
    assert body, f"{operation} answered an empty body"
    assert model.shape_output(operation, body, strict=True) == body


def test_every_served_operation_is_in_the_model() -> None:
    from berth.ecr_api.operations import HANDLERS

    assert set(HANDLERS) <= model.operation_names()
    assert {op for op, _, _ in BAD_CALLS} | {op for op, _ in GOOD_CALLS} <= set(HANDLERS)
