"""Layer operations, registry tokens, account settings, creation templates and SigV4."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from botocore.exceptions import ClientError

from berth.auth import tokens
from berth.auth.gate import Auth
from berth.auth.keys import ServerKeys
from berth.auth.principals import Principal
from berth.ecr_api import model
from berth.testing.server import BerthServer, running_berth
from tests.api import aws_raw
from tests.api.helpers import (
    aws,
    aws_binary,
    aws_env,
    aws_json,
    code_of,
    message_of,
    push_image,
    unique,
)
from tests.http.registry_client import Client, sha256

TWELVE_HOURS = timedelta(hours=12)
UPLOAD_ID = re.compile(model._model().shape_for("UploadId").metadata["pattern"])


def server_keys(server: BerthServer) -> ServerKeys:
    return ServerKeys((server.data_dir / "secret.key").read_bytes().strip())


def basic(password: str, user: str = "AWS") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def v2_get(server: BerthServer, path: str = "/v2/", **headers: str) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", headers=headers, timeout=30)


def upload(ecr: Any, repo: str, data: bytes, part: int = 0) -> str:
    """InitiateLayerUpload and UploadLayerPart in parts of ``part`` bytes (all at once: 0)."""
    upload_id = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
    step = part or len(data)
    for first in range(0, len(data), step):
        chunk = data[first:first + step]
        answer = ecr.upload_layer_part(repositoryName=repo, uploadId=upload_id,
                                       partFirstByte=first, partLastByte=first + len(chunk) - 1,
                                       layerPartBlob=chunk)
        assert answer["lastByteReceived"] == first + len(chunk) - 1
        assert answer["uploadId"] == upload_id
    return str(upload_id)


@pytest.fixture(scope="module")
def closed_berth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BerthServer]:
    """A server as it starts: no creation template, account settings at their defaults."""
    with running_berth(tmp_path_factory.mktemp("closed") / "data",
                       open_for_tests=False) as server:
        yield server


# BatchCheckLayerAvailability


def test_batch_check_layer_availability(ecr: Any, registry: Client, repo: str) -> None:
    present = b"present layer bytes"
    digest = registry.push_blob(repo, present)
    missing = sha256(b"never pushed")
    answer = ecr.batch_check_layer_availability(
        repositoryName=repo, layerDigests=[digest, missing, "sha256:nothex", "md5:abc"])
    assert answer["layers"] == [
        {"layerDigest": digest, "layerAvailability": "AVAILABLE", "layerSize": len(present)},
        {"layerDigest": missing, "layerAvailability": "UNAVAILABLE"},
    ]
    assert [(f["layerDigest"], f["failureCode"]) for f in answer["failures"]] == [
        ("sha256:nothex", "InvalidLayerDigest"), ("md5:abc", "InvalidLayerDigest")]
    with pytest.raises(ClientError) as caught:
        ecr.batch_check_layer_availability(repositoryName=unique(), layerDigests=[digest])
    assert code_of(caught) == "RepositoryNotFoundException"


def test_a_blob_of_another_repository_is_not_available(ecr: Any, registry: Client,
                                                       new_repo: Any) -> None:
    first, second = new_repo(), new_repo()
    digest = registry.push_blob(first, uuid.uuid4().bytes)
    answer = ecr.batch_check_layer_availability(repositoryName=second, layerDigests=[digest])
    assert answer["layers"] == [{"layerDigest": digest, "layerAvailability": "UNAVAILABLE"}]


# InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload


def test_upload_a_layer_in_parts_then_pull_it(ecr: Any, registry: Client, repo: str,
                                              shared_berth: BerthServer) -> None:
    data = uuid.uuid4().bytes * 4096  # 64 KiB
    started = ecr.initiate_layer_upload(repositoryName=repo)
    assert started["partSize"] > 0
    # the model's UploadId: a UUID in its 8-4-4-4-12 form, which later calls must match
    assert UPLOAD_ID.fullmatch(started["uploadId"]), started["uploadId"]
    upload_id = started["uploadId"]
    for first in range(0, len(data), 20000):
        chunk = data[first:first + 20000]
        answer = ecr.upload_layer_part(repositoryName=repo, uploadId=upload_id,
                                       partFirstByte=first, partLastByte=first + len(chunk) - 1,
                                       layerPartBlob=chunk)
        assert answer["lastByteReceived"] == first + len(chunk) - 1
        assert answer["repositoryName"] == repo
        assert answer["registryId"] == shared_berth.account_id
    done = ecr.complete_layer_upload(repositoryName=repo, uploadId=upload_id,
                                     layerDigests=[sha256(data)])
    assert done == {**done, "repositoryName": repo, "uploadId": upload_id,
                    "layerDigest": sha256(data), "registryId": shared_berth.account_id}

    pulled = registry.http.get(f"/v2/{repo}/blobs/{sha256(data)}")
    assert pulled.status_code == 200
    assert pulled.content == data
    layers = ecr.batch_check_layer_availability(repositoryName=repo,
                                                layerDigests=[sha256(data)])["layers"]
    assert layers[0]["layerAvailability"] == "AVAILABLE"
    assert layers[0]["layerSize"] == len(data)


def test_a_part_that_does_not_follow_on_is_refused(ecr: Any, registry: Client, repo: str
                                                   ) -> None:
    data = b"0123456789" * 10
    upload_id = upload(ecr, repo, data[:50])
    for first, last, blob in ((60, 99, data[60:]), (40, 99, data[40:]), (0, 49, data[:50]),
                              (50, 120, data[50:])):  # the last: a range longer than the part
        with pytest.raises(ClientError) as caught:
            ecr.upload_layer_part(repositoryName=repo, uploadId=upload_id, partFirstByte=first,
                                  partLastByte=last, layerPartBlob=blob)
        assert code_of(caught) == "InvalidLayerPartException", (first, last)
    ecr.upload_layer_part(repositoryName=repo, uploadId=upload_id, partFirstByte=50,
                          partLastByte=99, layerPartBlob=data[50:])
    ecr.complete_layer_upload(repositoryName=repo, uploadId=upload_id,
                              layerDigests=[sha256(data)])
    assert registry.http.get(f"/v2/{repo}/blobs/{sha256(data)}").content == data


def test_complete_with_the_wrong_digest_is_refused(ecr: Any, registry: Client, repo: str
                                                   ) -> None:
    data = uuid.uuid4().bytes
    upload_id = upload(ecr, repo, data)
    wrong = sha256(b"something else")
    with pytest.raises(ClientError) as caught:
        ecr.complete_layer_upload(repositoryName=repo, uploadId=upload_id, layerDigests=[wrong])
    assert code_of(caught) == "InvalidLayerException"
    assert registry.http.head(f"/v2/{repo}/blobs/{wrong}").status_code == 404
    assert registry.http.head(f"/v2/{repo}/blobs/{sha256(data)}").status_code == 404


def test_complete_an_empty_upload_is_refused(ecr: Any, repo: str) -> None:
    upload_id = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
    with pytest.raises(ClientError) as caught:
        ecr.complete_layer_upload(repositoryName=repo, uploadId=upload_id,
                                  layerDigests=[sha256(b"")])
    assert code_of(caught) == "EmptyUploadException"


def test_uploading_a_layer_the_repository_has_is_refused(ecr: Any, registry: Client, repo: str
                                                         ) -> None:
    data = uuid.uuid4().bytes
    registry.push_blob(repo, data)
    upload_id = upload(ecr, repo, data)
    with pytest.raises(ClientError) as caught:
        ecr.complete_layer_upload(repositoryName=repo, uploadId=upload_id,
                                  layerDigests=[sha256(data)])
    assert code_of(caught) == "LayerAlreadyExistsException"


def test_unknown_uploads(ecr: Any, repo: str, new_repo: Any) -> None:
    unknown = str(uuid.uuid4())
    with pytest.raises(ClientError) as caught:
        ecr.complete_layer_upload(repositoryName=repo, uploadId=unknown,
                                  layerDigests=[sha256(b"x")])
    assert code_of(caught) == "UploadNotFoundException"
    with pytest.raises(ClientError) as caught:
        ecr.upload_layer_part(repositoryName=repo, uploadId=unknown, partFirstByte=0,
                              partLastByte=0, layerPartBlob=b"x")
    assert code_of(caught) == "UploadNotFoundException"

    # an upload belongs to its repository
    upload_id = upload(ecr, repo, b"abc")
    with pytest.raises(ClientError) as caught:
        ecr.complete_layer_upload(repositoryName=new_repo(), uploadId=upload_id,
                                  layerDigests=[sha256(b"abc")])
    assert code_of(caught) == "UploadNotFoundException"

    done = upload(ecr, repo, b"finished")
    ecr.complete_layer_upload(repositoryName=repo, uploadId=done,
                              layerDigests=[sha256(b"finished")])
    with pytest.raises(ClientError) as caught:
        ecr.complete_layer_upload(repositoryName=repo, uploadId=done,
                                  layerDigests=[sha256(b"finished")])
    assert code_of(caught) in ("UploadNotFoundException", "LayerAlreadyExistsException")
    with pytest.raises(ClientError) as caught:
        ecr.initiate_layer_upload(repositoryName=unique())
    assert code_of(caught) == "RepositoryNotFoundException"


# GetDownloadUrlForLayer


def test_download_url_works_without_credentials(ecr: Any, registry: Client, repo: str) -> None:
    data = uuid.uuid4().bytes * 100
    digest = registry.push_blob(repo, data)
    answer = ecr.get_download_url_for_layer(repositoryName=repo, layerDigest=digest)
    assert answer["layerDigest"] == digest
    response = httpx.get(answer["downloadUrl"], timeout=30)
    assert response.status_code == 200
    assert response.content == data
    assert hashlib.sha256(response.content).hexdigest() == digest.split(":")[1]


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_a_tampered_download_url_is_refused(ecr: Any, registry: Client, repo: str,
                                            new_repo: Any) -> None:
    digest = registry.push_blob(repo, b"secret layer")
    other = registry.push_blob(repo, b"another layer")
    url = ecr.get_download_url_for_layer(repositoryName=repo, layerDigest=digest)["downloadUrl"]
    query = parse_qs(urlsplit(url).query)
    signature = query["X-Berth-Signature"][0]
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    later = str(int(query["X-Berth-Expires"][0]) + 3600)
    elsewhere = new_repo()
    registry.push_blob(elsewhere, b"secret layer")
    tampered = [
        _with_query(url, **{"X-Berth-Signature": flipped}),
        _with_query(url, **{"X-Berth-Expires": later}),
        url.replace(digest, other),
        url.replace(f"/v2/{repo}/", f"/v2/{elsewhere}/"),
    ]
    for bad in tampered:
        response = httpx.get(bad, timeout=30)
        assert response.status_code == 403, bad
        assert b"secret layer" not in response.content


class ShiftedClock:
    """Berth's Clock port, ``offset`` seconds from now."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def now(self) -> float:
        return time.time() + self.offset


def download_url(server: BerthServer, repo: str, digest: str, offset: float) -> str:
    """A download URL as the server makes them, issued ``offset`` seconds from now."""
    auth = Auth(server_keys(server), None, ShiftedClock(offset),  # type: ignore[arg-type]
                server.region, server.url, None)  # type: ignore[arg-type]
    query = auth.download_query(server.account_id, repo, digest, 900)
    return f"{server.url}/v2/{repo}/blobs/{digest}?{urlencode(query)}"


def test_an_expired_download_url_is_refused(registry: Client, repo: str,
                                            shared_berth: BerthServer) -> None:
    digest = registry.push_blob(repo, b"old layer")
    expired = download_url(shared_berth, repo, digest, -3600)
    assert httpx.get(expired, timeout=30).status_code == 403
    # made the same way but current, it is accepted: the refusal is the expiry alone
    current = httpx.get(download_url(shared_berth, repo, digest, 0), timeout=30)
    assert current.status_code == 200
    assert current.content == b"old layer"


def test_download_url_of_a_missing_layer(ecr: Any, repo: str) -> None:
    with pytest.raises(ClientError) as caught:
        ecr.get_download_url_for_layer(repositoryName=repo, layerDigest=sha256(b"nothing"))
    assert code_of(caught) == "LayersNotFoundException"
    with pytest.raises(ClientError) as caught:
        ecr.get_download_url_for_layer(repositoryName=unique(), layerDigest=sha256(b"nothing"))
    assert code_of(caught) == "RepositoryNotFoundException"


# GetAuthorizationToken and the /v2/ password


def test_get_authorization_token(ecr: Any, shared_berth: BerthServer) -> None:
    [data] = ecr.get_authorization_token()["authorizationData"]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    assert user == "AWS"
    assert password
    assert isinstance(data["expiresAt"], datetime)
    assert abs(data["expiresAt"] - (datetime.now(UTC) + TWELVE_HOURS)) < timedelta(minutes=1)
    assert data["proxyEndpoint"] == shared_berth.url
    assert v2_get(shared_berth, **basic(password)).status_code == 200

    named = ecr.get_authorization_token(registryIds=[shared_berth.account_id])
    assert [d["proxyEndpoint"] for d in named["authorizationData"]] == [shared_berth.url]


def _challenge_ok(response: httpx.Response, server: BerthServer) -> None:
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Basic realm="')
    assert challenge.endswith(',service="ecr.amazonaws.com"')
    assert response.json()["errors"][0]["code"] == "UNAUTHORIZED"


def test_a_forged_token_is_refused(shared_berth: BerthServer) -> None:
    password = shared_berth.password()
    payload, _, signature = password.partition(".")
    claims = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    forged_claims = claims.replace(b'"e":', b'"e":9')  # a later expiry, same signature
    forged = base64.urlsafe_b64encode(forged_claims).rstrip(b"=").decode() + "." + signature
    flipped = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    for bad in (forged, flipped, password + "x", "not-a-token", ""):
        _challenge_ok(v2_get(shared_berth, **basic(bad)), shared_berth)
    _challenge_ok(v2_get(shared_berth, **basic(password, user="admin")), shared_berth)
    _challenge_ok(v2_get(shared_berth), shared_berth)
    _challenge_ok(v2_get(shared_berth, "/v2/_catalog", Authorization="Bearer " + password),
                  shared_berth)
    assert v2_get(shared_berth, **basic(password)).status_code == 200


def test_an_expired_token_is_refused(shared_berth: BerthServer) -> None:
    keys = server_keys(shared_berth)
    root = Principal(shared_berth.account_id, shared_berth.account_id, None,
                     shared_berth.root_key[0])
    expired = tokens.issue(keys, root, now=time.time() - 13 * 3600)
    _challenge_ok(v2_get(shared_berth, **basic(expired.token)), shared_berth)
    current = tokens.issue(keys, root, now=time.time() - 11 * 3600)
    assert v2_get(shared_berth, **basic(current.token)).status_code == 200


def test_login_password_of_the_cli_works_on_v2(shared_berth: BerthServer) -> None:
    password = aws(shared_berth, "ecr", "get-login-password").stdout.strip()
    assert v2_get(shared_berth, **basic(password)).status_code == 200


# DescribeRegistry and account settings


def test_describe_registry(ecr: Any, shared_berth: BerthServer) -> None:
    answer = ecr.describe_registry()
    assert answer["registryId"] == shared_berth.account_id
    assert answer["replicationConfiguration"] == {"rules": []}


def test_account_settings_start_at_their_defaults(closed_berth: BerthServer) -> None:
    ecr = closed_berth.client()
    defaults = {"BASIC_SCAN_TYPE_VERSION": "AWS_NATIVE", "REGISTRY_POLICY_SCOPE": "V2",
                "BLOB_MOUNTING": "DISABLED"}
    for name, value in defaults.items():
        answer = ecr.get_account_setting(name=name)
        assert (answer["name"], answer["value"]) == (name, value)


@pytest.mark.parametrize(("name", "value", "restore"), [
    ("BASIC_SCAN_TYPE_VERSION", "CLAIR", "AWS_NATIVE"),
    ("REGISTRY_POLICY_SCOPE", "V1", "V2"),
    ("BLOB_MOUNTING", "DISABLED", "ENABLED"),
])
def test_put_account_setting(ecr: Any, name: str, value: str, restore: str) -> None:
    assert ecr.get_account_setting(name=name)["value"] == restore
    try:
        answer = ecr.put_account_setting(name=name, value=value)
        assert (answer["name"], answer["value"]) == (name, value)
        assert ecr.get_account_setting(name=name)["value"] == value
    finally:
        ecr.put_account_setting(name=name, value=restore)
    assert ecr.get_account_setting(name=name)["value"] == restore


@pytest.mark.parametrize(("name", "value"), [
    ("BASIC_SCAN_TYPE_VERSION", "ENHANCED"), ("REGISTRY_POLICY_SCOPE", "V3"),
    ("BLOB_MOUNTING", "enabled"), ("NO_SUCH_SETTING", "X"),
])
def test_put_account_setting_refuses_unknown_values(ecr: Any, name: str, value: str) -> None:
    with pytest.raises(ClientError) as caught:
        ecr.put_account_setting(name=name, value=value)
    assert code_of(caught) == "InvalidParameterException"
    if name != "NO_SUCH_SETTING":
        assert ecr.get_account_setting(name=name)["value"] != value


def test_blob_mounting_setting_decides_cross_repository_mounts(
        ecr: Any, registry: Client, new_repo: Any) -> None:
    source, target = new_repo(), new_repo()
    push_image(registry, source, "v1")
    image = ecr.batch_get_image(repositoryName=source, imageIds=[{"imageTag": "v1"}])
    config = json.loads(image["images"][0]["imageManifest"])["config"]["digest"]
    mount = {"mount": config, "from": source}
    assert registry.http.post(f"/v2/{target}/blobs/uploads/", params=mount).status_code == 201
    other = new_repo()
    ecr.put_account_setting(name="BLOB_MOUNTING", value="DISABLED")
    try:
        assert registry.http.post(f"/v2/{other}/blobs/uploads/",
                                  params=mount).status_code == 202
    finally:
        ecr.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")


# repository creation templates


def test_the_root_template_of_an_open_server_exists(ecr: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ecr.create_repository_creation_template(prefix="ROOT", appliedFor=["CREATE_ON_PUSH"])
    assert code_of(caught) == "TemplateAlreadyExistsException"
    [root] = ecr.describe_repository_creation_templates(prefixes=["ROOT"])[
        "repositoryCreationTemplates"]
    assert root["appliedFor"] == ["CREATE_ON_PUSH"]


def test_template_lifecycle(ecr: Any, shared_berth: BerthServer) -> None:
    prefix = f"tmpl-{uuid.uuid4().hex[:8]}"
    created = ecr.create_repository_creation_template(
        prefix=prefix, description="for tests", appliedFor=["CREATE_ON_PUSH"],
        imageTagMutability="IMMUTABLE",
        encryptionConfiguration={"encryptionType": "AES256"},
        resourceTags=[{"Key": "team", "Value": "a"}])
    assert created["registryId"] == shared_berth.account_id
    template = created["repositoryCreationTemplate"]
    assert template["prefix"] == prefix
    assert template["description"] == "for tests"
    assert template["appliedFor"] == ["CREATE_ON_PUSH"]
    assert template["imageTagMutability"] == "IMMUTABLE"
    assert template["resourceTags"] == [{"Key": "team", "Value": "a"}]
    assert isinstance(template["createdAt"], datetime)

    with pytest.raises(ClientError) as caught:
        ecr.create_repository_creation_template(prefix=prefix, appliedFor=["CREATE_ON_PUSH"])
    assert code_of(caught) == "TemplateAlreadyExistsException"

    described = ecr.describe_repository_creation_templates(prefixes=[prefix])
    assert described["repositoryCreationTemplates"] == [template]
    everything = [t["prefix"] for page in ecr.get_paginator(
        "describe_repository_creation_templates").paginate()
        for t in page["repositoryCreationTemplates"]]
    assert {"ROOT", prefix} <= set(everything)

    updated = ecr.update_repository_creation_template(
        prefix=prefix, imageTagMutability="MUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "rel-*"}],
        resourceTags=[{"Key": "team", "Value": "b"}])["repositoryCreationTemplate"]
    assert updated["imageTagMutability"] == "MUTABLE_WITH_EXCLUSION"
    assert updated["imageTagMutabilityExclusionFilters"] == [
        {"filterType": "WILDCARD", "filter": "rel-*"}]
    assert updated["resourceTags"] == [{"Key": "team", "Value": "b"}]
    assert updated["description"] == "for tests"
    assert updated["updatedAt"] >= template["updatedAt"]

    deleted = ecr.delete_repository_creation_template(prefix=prefix)
    assert deleted["repositoryCreationTemplate"]["prefix"] == prefix
    assert ecr.describe_repository_creation_templates(prefixes=[prefix])[
        "repositoryCreationTemplates"] == []
    for attempt in (lambda: ecr.delete_repository_creation_template(prefix=prefix),
                    lambda: ecr.update_repository_creation_template(
                        prefix=prefix, description="x")):
        with pytest.raises(ClientError) as caught:
            attempt()
        assert code_of(caught) == "TemplateNotFoundException"


def test_templates_page(ecr: Any) -> None:
    mine = sorted(f"page-{uuid.uuid4().hex[:8]}" for _ in range(3))
    for prefix in mine:
        ecr.create_repository_creation_template(prefix=prefix, appliedFor=["REPLICATION"])
    pages = list(ecr.get_paginator("describe_repository_creation_templates").paginate(
        PaginationConfig={"PageSize": 1}))
    prefixes = [t["prefix"] for p in pages for t in p["repositoryCreationTemplates"]]
    assert all(len(p["repositoryCreationTemplates"]) <= 1 for p in pages)
    assert len(prefixes) == len(set(prefixes))
    assert [p for p in prefixes if p in mine] == mine
    assert "ROOT" in prefixes
    for prefix in mine:
        ecr.delete_repository_creation_template(prefix=prefix)


def test_template_settings_are_checked(ecr: Any) -> None:
    prefix = f"tmpl-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as caught:
        ecr.create_repository_creation_template(
            prefix=prefix, appliedFor=["CREATE_ON_PUSH"],
            imageTagMutability="IMMUTABLE_WITH_EXCLUSION")
    assert code_of(caught) == "InvalidParameterException"
    assert ecr.describe_repository_creation_templates(prefixes=[prefix])[
        "repositoryCreationTemplates"] == []


def test_create_on_push_follows_the_matching_template(closed_berth: BerthServer) -> None:
    ecr = closed_berth.client()
    ecr.create_repository_creation_template(
        prefix="team", appliedFor=["CREATE_ON_PUSH"], imageTagMutability="IMMUTABLE",
        resourceTags=[{"Key": "owner", "Value": "team"}, {"Key": "cost", "Value": "42"}])
    ecr.create_repository_creation_template(
        prefix="team/special", appliedFor=["CREATE_ON_PUSH"],
        resourceTags=[{"Key": "owner", "Value": "special"}])
    ecr.create_repository_creation_template(prefix="cache", appliedFor=["PULL_THROUGH_CACHE"])
    registry = Client(closed_berth.url, closed_berth.password())
    try:
        push_image(registry, "team/app", "v1")
        [repo] = ecr.describe_repositories(repositoryNames=["team/app"])["repositories"]
        assert repo["imageTagMutability"] == "IMMUTABLE"
        tags = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]
        assert sorted((t["Key"], t["Value"]) for t in tags) == [("cost", "42"),
                                                                ("owner", "team")]
        payload, _ = registry.manifest("team/app", [uuid.uuid4().bytes])
        assert registry.put_manifest("team/app", "v1", payload).status_code == 400

        push_image(registry, "team/special/x", "v1")
        [special] = ecr.describe_repositories(repositoryNames=["team/special/x"])["repositories"]
        assert special["imageTagMutability"] == "MUTABLE"
        assert ecr.list_tags_for_resource(resourceArn=special["repositoryArn"])["tags"] == [
            {"Key": "owner", "Value": "special"}]

        for name in ("other/app", "teams/app", "cache/app", "team"):
            response = registry.http.post(f"/v2/{name}/blobs/uploads/",
                                          params={"digest": sha256(b"x")}, content=b"x")
            assert response.status_code == 404, name
            assert response.json()["errors"][0]["code"] == "NAME_UNKNOWN"
            with pytest.raises(ClientError) as caught:
                ecr.describe_repositories(repositoryNames=[name])
            assert code_of(caught) == "RepositoryNotFoundException"
    finally:
        registry.close()


def test_a_prefix_with_a_trailing_slash_matches_its_namespace(closed_berth: BerthServer
                                                             ) -> None:
    # The model's documentation: "There is always an assumed / applied to the end of the
    # prefix", and the Prefix pattern allows one trailing '/'.
    ecr = closed_berth.client()
    ecr.create_repository_creation_template(prefix="svc/", appliedFor=["CREATE_ON_PUSH"],
                                            imageTagMutability="IMMUTABLE")
    registry = Client(closed_berth.url, closed_berth.password())
    try:
        push_image(registry, "svc/app", "v1")
    finally:
        registry.close()
    [repo] = ecr.describe_repositories(repositoryNames=["svc/app"])["repositories"]
    assert repo["imageTagMutability"] == "IMMUTABLE"


# SigV4, STS and the AWS JSON protocol


def test_a_wrong_secret_is_an_invalid_signature(shared_berth: BerthServer) -> None:
    ecr = shared_berth.client(key=(shared_berth.root_key[0], "not-the-secret"))
    with pytest.raises(ClientError) as caught:
        ecr.describe_repositories()
    assert code_of(caught) == "InvalidSignatureException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_an_unknown_access_key_is_unrecognized(shared_berth: BerthServer) -> None:
    ecr = shared_berth.client(key=("AKIA" + "Z" * 16, "whatever"))
    with pytest.raises(ClientError) as caught:
        ecr.describe_repositories()
    assert code_of(caught) == "UnrecognizedClientException"


@pytest.mark.parametrize(("minutes", "words"), [(-20, "Signature expired"),
                                                 (20, "Signature not yet current")])
def test_a_request_signed_at_the_wrong_time_is_refused(shared_berth: BerthServer, minutes: int,
                                                      words: str) -> None:
    when = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=minutes)
    response = aws_raw.call(shared_berth, "DescribeRegistry", {}, when=when)
    assert response.status_code == 403
    assert aws_raw.error_type(response) == "InvalidSignatureException"
    assert words in response.json()["message"]
    # four minutes off is within AWS's five-minute window
    near = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=4)
    assert aws_raw.call(shared_berth, "DescribeRegistry", {}, when=near).status_code == 200


@pytest.mark.parametrize("scope", [{"region": "eu-west-1"}, {"service": "s3"}])
def test_a_signature_for_another_scope_is_refused(shared_berth: BerthServer,
                                                  scope: dict[str, str]) -> None:
    response = aws_raw.call(shared_berth, "DescribeRegistry", {}, **scope)
    assert response.status_code in (400, 403)
    assert aws_raw.error_type(response) in ("InvalidSignatureException",
                                            "IncompleteSignatureException")


def test_a_session_token_berth_never_issued_is_refused(shared_berth: BerthServer) -> None:
    response = aws_raw.call(shared_berth, "DescribeRegistry", {}, session_token="FwoGZXIvYXdz")
    assert aws_raw.error_type(response) == "UnrecognizedClientException"


def test_boto3_with_a_clock_twenty_minutes_slow_is_refused(shared_berth: BerthServer) -> None:
    ecr = shared_berth.client()
    slow = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=20)
    with mock.patch("botocore.auth.get_current_datetime", return_value=slow), \
            pytest.raises(ClientError) as caught:
        ecr.describe_registry()
    assert code_of(caught) == "InvalidSignatureException"
    assert "Signature expired" in message_of(caught)


def test_an_unsigned_request_is_refused(shared_berth: BerthServer) -> None:
    response = httpx.post(f"{shared_berth.url}/", content=b"{}", headers={
        "Content-Type": aws_raw.JSON_11, "X-Amz-Target": aws_raw.target("DescribeRegistry")})
    assert response.status_code in (400, 403)
    assert aws_raw.error_type(response) == "MissingAuthenticationTokenException"


def test_sts_get_caller_identity(shared_berth: BerthServer) -> None:
    identity = shared_berth.client("sts").get_caller_identity()
    expected = {"Account": shared_berth.account_id,
                "Arn": f"arn:aws:iam::{shared_berth.account_id}:root",
                "UserId": shared_berth.account_id}
    assert {k: identity[k] for k in expected} == expected
    assert aws_json(shared_berth, "sts", "get-caller-identity") == expected

    wrong = shared_berth.client("sts", key=(shared_berth.root_key[0], "wrong"))
    with pytest.raises(ClientError) as caught:
        wrong.get_caller_identity()
    assert code_of(caught) == "SignatureDoesNotMatch"


def test_every_response_has_a_request_id(shared_berth: BerthServer) -> None:
    ok = aws_raw.call(shared_berth, "DescribeRegistry", {})
    failed = aws_raw.call(shared_berth, "DescribeRepositories",
                          {"repositoryNames": [unique()]})
    assert ok.status_code == 200
    assert failed.status_code == 400
    request_ids = [r.headers.get("x-amzn-RequestId") for r in (ok, failed)]
    assert all(request_ids)
    assert request_ids[0] != request_ids[1]
    for rid in request_ids:
        uuid.UUID(str(rid))
    boto = shared_berth.client().describe_registry()
    assert boto["ResponseMetadata"]["RequestId"]


@pytest.mark.parametrize("target", [
    "AmazonEC2ContainerRegistry_V20150921.NoSuchOperation",
    "AmazonEC2ContainerRegistry_V20150921.describeRegistry",
    "AmazonS3.DescribeRegistry",
    "DescribeRegistry",
])
def test_an_unknown_target_is_an_unknown_operation(shared_berth: BerthServer, target: str
                                                   ) -> None:
    response = aws_raw.call(shared_berth, "DescribeRegistry", {}, target_header=target)
    assert aws_raw.error_type(response) == "UnknownOperationException"


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe",
                                  b"[" * 100_000])
def test_a_malformed_body_is_a_serialization_error(shared_berth: BerthServer, body: bytes
                                                   ) -> None:
    response = aws_raw.call(shared_berth, "DescribeRepositories", raw_body=body)
    assert aws_raw.error_type(response) == "SerializationException"


def test_an_oversized_body_is_refused_unread(shared_berth: BerthServer) -> None:
    """32 MiB is the cap (an UploadLayerPart of 20 MiB, base64-encoded, fits)."""
    response = aws_raw.call(shared_berth, "DescribeRepositories",
                            raw_body=b'{"x": "' + b"a" * (33 * 1024 * 1024) + b'"}')
    assert aws_raw.error_type(response) == "SerializationException"
    assert "too large" in response.json()["message"]


def test_an_oversized_query_api_body_is_refused_unread(shared_berth: BerthServer) -> None:
    """IAM and STS forms are small: 256 KiB is the cap."""
    body = b"Action=GetCallerIdentity&Version=2011-06-15&Pad=" + b"a" * (300 * 1024)
    response = httpx.post(shared_berth.url + "/", content=body, timeout=30, headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
    assert "<Code>ValidationError</Code>" in response.text and "too large" in response.text


@pytest.mark.parametrize(("operation", "params", "named"), [
    ("CreateRepository", {}, "repositoryName"),
    ("BatchGetImage", {"repositoryName": "x1"}, "imageIds"),
    ("PutImage", {"repositoryName": "x1"}, "imageManifest"),
    ("UploadLayerPart", {"repositoryName": "x1", "uploadId": str(uuid.uuid4()),
                         "partFirstByte": 0, "partLastByte": 0}, "layerPartBlob"),
    ("TagResource", {"resourceArn": "arn:x"}, "tags"),
])
def test_a_missing_parameter_is_named(shared_berth: BerthServer, operation: str,
                                      params: dict[str, Any], named: str) -> None:
    response = aws_raw.call(shared_berth, operation, params)
    assert response.status_code == 400
    assert aws_raw.error_type(response) == "InvalidParameterException"
    assert named in response.json()["message"]


def test_cli_reports_auth_errors(shared_berth: BerthServer) -> None:
    env = {**aws_env(shared_berth), "AWS_SECRET_ACCESS_KEY": "wrong"}
    result = subprocess.run([aws_binary(), "ecr", "describe-registry", "--endpoint-url",
                             shared_berth.url], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode != 0
    assert "InvalidSignatureException" in result.stderr


def test_error_messages_name_the_repository(ecr: Any) -> None:
    name = unique()
    with pytest.raises(ClientError) as caught:
        ecr.list_images(repositoryName=name)
    assert name in message_of(caught)
