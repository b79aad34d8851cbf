"""ECR's repository operations against a running berth, with boto3 and the aws CLI."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from berth.testing.server import BerthServer
from tests.api.helpers import aws, aws_json, code_of, message_of, push_image, unique
from tests.http.registry_client import Client

KMS_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def arn(server: BerthServer, name: str) -> str:
    return f"arn:aws:ecr:{server.region}:{server.account_id}:repository/{name}"


def tags_of(ecr: Any, resource_arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"]
            for t in ecr.list_tags_for_resource(resourceArn=resource_arn)["tags"]}


def describe_one(ecr: Any, name: str) -> dict[str, Any]:
    found = ecr.describe_repositories(repositoryNames=[name])["repositories"]
    assert len(found) == 1
    return dict(found[0])


# CreateRepository


def test_create_repository_with_defaults(ecr: Any, shared_berth: BerthServer) -> None:
    name = unique()
    before = datetime.now(UTC)
    repo = ecr.create_repository(repositoryName=name)["repository"]
    assert repo["repositoryName"] == name
    assert repo["registryId"] == shared_berth.account_id
    assert repo["repositoryArn"] == (
        f"arn:aws:ecr:us-east-1:{shared_berth.account_id}:repository/{name}")
    assert repo["repositoryUri"] == f"{shared_berth.host}/{name}"
    assert isinstance(repo["createdAt"], datetime)
    assert before - timedelta(seconds=5) <= repo["createdAt"] <= datetime.now(UTC) + timedelta(
        seconds=5)
    assert repo["imageTagMutability"] == "MUTABLE"
    assert "imageTagMutabilityExclusionFilters" not in repo
    assert repo["imageScanningConfiguration"] == {"scanOnPush": False}
    assert repo["encryptionConfiguration"] == {"encryptionType": "AES256"}
    assert describe_one(ecr, name) == repo


def test_create_repository_immutable_scanned_and_tagged(ecr: Any, shared_berth: BerthServer
                                                        ) -> None:
    name = unique()
    repo = ecr.create_repository(
        repositoryName=name, imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "AES256"},
        tags=[{"Key": "Team", "Value": "backend"}, {"Key": "Environment", "Value": "prod"}],
    )["repository"]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo["encryptionConfiguration"] == {"encryptionType": "AES256"}
    assert describe_one(ecr, name) == repo
    assert tags_of(ecr, repo["repositoryArn"]) == {"Team": "backend", "Environment": "prod"}


def test_create_repository_with_kms_key(ecr: Any) -> None:
    name = unique()
    repo = ecr.create_repository(
        repositoryName=name,
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": KMS_KEY})["repository"]
    assert repo["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": KMS_KEY}
    assert describe_one(ecr, name)["encryptionConfiguration"] == {
        "encryptionType": "KMS", "kmsKey": KMS_KEY}


def test_kms_key_with_aes256_is_refused(ecr: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ecr.create_repository(repositoryName=unique(), encryptionConfiguration={
            "encryptionType": "AES256", "kmsKey": KMS_KEY})
    assert code_of(caught) == "InvalidParameterException"


@pytest.mark.parametrize("mode", ["IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION"])
def test_create_repository_with_exclusion_filters(ecr: Any, mode: str) -> None:
    name = unique()
    filters = [{"filterType": "WILDCARD", "filter": "latest"},
               {"filterType": "WILDCARD", "filter": "dev-*"}]
    repo = ecr.create_repository(repositoryName=name, imageTagMutability=mode,
                                 imageTagMutabilityExclusionFilters=filters)["repository"]
    assert repo["imageTagMutability"] == mode
    assert repo["imageTagMutabilityExclusionFilters"] == filters
    assert describe_one(ecr, name)["imageTagMutabilityExclusionFilters"] == filters


@pytest.mark.parametrize(("mode", "movable", "frozen"), [
    ("IMMUTABLE", [], ["v1", "dev-1", "latest"]),
    ("IMMUTABLE_WITH_EXCLUSION", ["dev-1", "latest"], ["v1"]),
    ("MUTABLE_WITH_EXCLUSION", ["v1"], ["dev-1", "latest"]),
    ("MUTABLE", ["v1", "dev-1", "latest"], []),
])
def test_tag_mutability_decides_which_tags_a_push_may_move(
        ecr: Any, registry: Client, mode: str, movable: list[str], frozen: list[str]) -> None:
    name = unique()
    extra = ({"imageTagMutabilityExclusionFilters": [
        {"filterType": "WILDCARD", "filter": "dev-*"},
        {"filterType": "WILDCARD", "filter": "latest"}]} if "EXCLUSION" in mode else {})
    ecr.create_repository(repositoryName=name, imageTagMutability=mode, **extra)
    for tag in movable + frozen:
        push_image(registry, name, tag)
    for tag in movable:
        push_image(registry, name, tag)  # moved to a new image
    for tag in frozen:
        payload, _ = registry.manifest(name, [uuid.uuid4().bytes])
        response = registry.put_manifest(name, tag, payload)
        assert response.status_code == 400, (tag, response.text)
        assert response.json()["errors"][0]["code"] == "TAG_INVALID"


def test_create_existing_repository_fails(ecr: Any, repo: str) -> None:
    with pytest.raises(ClientError) as caught:
        ecr.create_repository(repositoryName=repo)
    assert code_of(caught) == "RepositoryAlreadyExistsException"
    assert repo in message_of(caught)


@pytest.mark.parametrize("name", ["Upper", "-leading", "a//b", "trailing/", "sp ace", "a..b"])
def test_create_repository_with_a_bad_name_fails(ecr: Any, name: str) -> None:
    with pytest.raises(ClientError) as caught:
        ecr.create_repository(repositoryName=name)
    assert code_of(caught) == "InvalidParameterException"


@pytest.mark.parametrize("mode", ["IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION"])
def test_exclusion_mode_without_filters_fails(ecr: Any, mode: str) -> None:
    with pytest.raises(ClientError) as caught:
        ecr.create_repository(repositoryName=unique(), imageTagMutability=mode)
    assert code_of(caught) == "InvalidParameterException"
    assert "imageTagMutabilityExclusionFilters" in message_of(caught)


@pytest.mark.parametrize("mode", ["IMMUTABLE", "MUTABLE", None])
def test_filters_without_an_exclusion_mode_fail(ecr: Any, mode: str | None) -> None:
    extra = {"imageTagMutability": mode} if mode else {}
    with pytest.raises(ClientError) as caught:
        ecr.create_repository(repositoryName=unique(), imageTagMutabilityExclusionFilters=[
            {"filterType": "WILDCARD", "filter": "dev-*"}], **extra)
    assert code_of(caught) == "InvalidParameterException"
    assert "imageTagMutabilityExclusionFilters" in message_of(caught)


def test_failed_create_leaves_no_repository(ecr: Any) -> None:
    name = unique()
    with pytest.raises(ClientError):
        ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE_WITH_EXCLUSION")
    with pytest.raises(ClientError) as caught:
        ecr.describe_repositories(repositoryNames=[name])
    assert code_of(caught) == "RepositoryNotFoundException"


def test_reserved_tag_key_fails(ecr: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ecr.create_repository(repositoryName=unique(),
                              tags=[{"Key": "aws:createdBy", "Value": "me"}])
    assert code_of(caught) == "InvalidTagParameterException"


def test_fifty_tags_are_allowed_and_fifty_one_are_too_many(ecr: Any) -> None:
    fifty = [{"Key": f"k{i}", "Value": str(i)} for i in range(50)]
    ecr.create_repository(repositoryName=unique(), tags=fifty)
    name = unique()
    with pytest.raises(ClientError) as caught:
        ecr.create_repository(repositoryName=name, tags=[*fifty, {"Key": "k50", "Value": "x"}])
    assert code_of(caught) == "TooManyTagsException"


# DescribeRepositories


def test_describe_repositories_by_names(ecr: Any, new_repo: Callable[..., str]) -> None:
    first, second = new_repo(), new_repo()
    found = ecr.describe_repositories(repositoryNames=[first, second])["repositories"]
    assert sorted(r["repositoryName"] for r in found) == sorted([first, second])
    assert "nextToken" not in ecr.describe_repositories(repositoryNames=[first])


def test_describe_a_missing_repository_fails(ecr: Any, repo: str) -> None:
    missing = unique()
    for names in ([missing], [repo, missing]):
        with pytest.raises(ClientError) as caught:
            ecr.describe_repositories(repositoryNames=names)
        assert code_of(caught) == "RepositoryNotFoundException"
        assert missing in message_of(caught)


def test_describe_repositories_pages_through_everything(ecr: Any) -> None:
    prefix = f"page-{uuid.uuid4().hex[:8]}"
    mine = sorted(f"{prefix}/r{i}" for i in range(7))
    for name in mine:
        ecr.create_repository(repositoryName=name)
    pages = list(ecr.get_paginator("describe_repositories").paginate(
        PaginationConfig={"PageSize": 3}))
    names = [r["repositoryName"] for page in pages for r in page["repositories"]]
    assert all(len(page["repositories"]) <= 3 for page in pages)
    assert len(pages) >= 3
    assert len(names) == len(set(names)), "a repository was listed twice"
    assert [n for n in names if n.startswith(prefix + "/")] == mine

    first = ecr.describe_repositories(maxResults=2)
    assert len(first["repositories"]) == 2
    following = ecr.describe_repositories(maxResults=2, nextToken=first["nextToken"])
    assert not {r["repositoryName"] for r in first["repositories"]} & {
        r["repositoryName"] for r in following["repositories"]}


def test_describe_repositories_refuses_a_bad_next_token(ecr: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ecr.describe_repositories(nextToken="not a token")
    assert code_of(caught) == "InvalidParameterException"


# DeleteRepository


def test_delete_an_empty_repository(ecr: Any, repo: str, shared_berth: BerthServer) -> None:
    deleted = ecr.delete_repository(repositoryName=repo)["repository"]
    assert deleted["repositoryName"] == repo
    assert deleted["repositoryArn"] == arn(shared_berth, repo)
    with pytest.raises(ClientError) as caught:
        ecr.describe_repositories(repositoryNames=[repo])
    assert code_of(caught) == "RepositoryNotFoundException"


def test_delete_a_repository_with_images_needs_force(ecr: Any, repo: str, registry: Client
                                                     ) -> None:
    push_image(registry, repo, "v1")
    with pytest.raises(ClientError) as caught:
        ecr.delete_repository(repositoryName=repo)
    assert code_of(caught) == "RepositoryNotEmptyException"
    assert describe_one(ecr, repo)["repositoryName"] == repo

    assert ecr.delete_repository(repositoryName=repo, force=True)["repository"][
        "repositoryName"] == repo
    with pytest.raises(ClientError) as caught:
        ecr.describe_repositories(repositoryNames=[repo])
    assert code_of(caught) == "RepositoryNotFoundException"
    assert registry.http.get(f"/v2/{repo}/manifests/v1").status_code == 404


def test_delete_a_missing_repository_fails(ecr: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ecr.delete_repository(repositoryName=unique(), force=True)
    assert code_of(caught) == "RepositoryNotFoundException"


def test_a_deleted_repository_can_be_created_again_empty(ecr: Any, repo: str, registry: Client
                                                         ) -> None:
    push_image(registry, repo, "v1")
    ecr.delete_repository(repositoryName=repo, force=True)
    ecr.create_repository(repositoryName=repo)
    assert ecr.list_images(repositoryName=repo)["imageIds"] == []


# PutImageTagMutability, PutImageScanningConfiguration


def test_put_image_tag_mutability(ecr: Any, repo: str, shared_berth: BerthServer) -> None:
    answer = ecr.put_image_tag_mutability(repositoryName=repo, imageTagMutability="IMMUTABLE")
    assert answer["repositoryName"] == repo
    assert answer["registryId"] == shared_berth.account_id
    assert answer["imageTagMutability"] == "IMMUTABLE"
    assert describe_one(ecr, repo)["imageTagMutability"] == "IMMUTABLE"

    filters = [{"filterType": "WILDCARD", "filter": "snap*"}]
    answer = ecr.put_image_tag_mutability(
        repositoryName=repo, imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=filters)
    assert answer["imageTagMutabilityExclusionFilters"] == filters
    assert describe_one(ecr, repo)["imageTagMutabilityExclusionFilters"] == filters

    answer = ecr.put_image_tag_mutability(repositoryName=repo, imageTagMutability="MUTABLE")
    assert "imageTagMutabilityExclusionFilters" not in answer
    described = describe_one(ecr, repo)
    assert described["imageTagMutability"] == "MUTABLE"
    assert "imageTagMutabilityExclusionFilters" not in described


def test_put_image_tag_mutability_errors(ecr: Any, repo: str) -> None:
    with pytest.raises(ClientError) as caught:
        ecr.put_image_tag_mutability(repositoryName=repo,
                                     imageTagMutability="MUTABLE_WITH_EXCLUSION")
    assert code_of(caught) == "InvalidParameterException"
    assert describe_one(ecr, repo)["imageTagMutability"] == "MUTABLE"
    with pytest.raises(ClientError) as caught:
        ecr.put_image_tag_mutability(repositoryName=unique(), imageTagMutability="IMMUTABLE")
    assert code_of(caught) == "RepositoryNotFoundException"


def test_put_image_tag_mutability_takes_effect_on_push(ecr: Any, repo: str, registry: Client
                                                       ) -> None:
    push_image(registry, repo, "v1")
    push_image(registry, repo, "v1")
    ecr.put_image_tag_mutability(repositoryName=repo, imageTagMutability="IMMUTABLE")
    payload, _ = registry.manifest(repo, [uuid.uuid4().bytes])
    assert registry.put_manifest(repo, "v1", payload).status_code == 400


def test_put_image_scanning_configuration(ecr: Any, repo: str, shared_berth: BerthServer
                                          ) -> None:
    answer = ecr.put_image_scanning_configuration(
        repositoryName=repo, imageScanningConfiguration={"scanOnPush": True})
    assert answer["repositoryName"] == repo
    assert answer["registryId"] == shared_berth.account_id
    assert answer["imageScanningConfiguration"] == {"scanOnPush": True}
    assert describe_one(ecr, repo)["imageScanningConfiguration"] == {"scanOnPush": True}
    ecr.put_image_scanning_configuration(repositoryName=repo,
                                         imageScanningConfiguration={"scanOnPush": False})
    assert describe_one(ecr, repo)["imageScanningConfiguration"] == {"scanOnPush": False}
    with pytest.raises(ClientError) as caught:
        ecr.put_image_scanning_configuration(repositoryName=unique(),
                                             imageScanningConfiguration={"scanOnPush": True})
    assert code_of(caught) == "RepositoryNotFoundException"


# TagResource, UntagResource, ListTagsForResource


def test_tag_untag_and_list_tags_by_arn(ecr: Any, repo: str, shared_berth: BerthServer) -> None:
    resource = arn(shared_berth, repo)
    assert ecr.list_tags_for_resource(resourceArn=resource)["tags"] == []
    ecr.tag_resource(resourceArn=resource, tags=[{"Key": "team", "Value": "a"},
                                                 {"Key": "cost", "Value": "1"}])
    assert tags_of(ecr, resource) == {"team": "a", "cost": "1"}
    ecr.tag_resource(resourceArn=resource, tags=[{"Key": "team", "Value": "b"}])
    assert tags_of(ecr, resource) == {"team": "b", "cost": "1"}
    ecr.untag_resource(resourceArn=resource, tagKeys=["team", "not-there"])
    assert tags_of(ecr, resource) == {"cost": "1"}


@pytest.mark.parametrize("bad", [
    "not-an-arn",
    "arn:aws:s3:::bucket",
    "arn:aws:ecr:us-east-1:{account}:cluster/x",
    "arn:aws:ecr:eu-west-9:{account}:repository/{repo}",
])
def test_a_bad_arn_is_an_invalid_parameter(ecr: Any, repo: str, shared_berth: BerthServer,
                                           bad: str) -> None:
    resource = bad.format(account=shared_berth.account_id, repo=repo)
    calls = [lambda: ecr.list_tags_for_resource(resourceArn=resource),
             lambda: ecr.tag_resource(resourceArn=resource, tags=[{"Key": "k", "Value": "v"}]),
             lambda: ecr.untag_resource(resourceArn=resource, tagKeys=["k"])]
    for attempt in calls:
        with pytest.raises(ClientError) as caught:
            attempt()
        assert code_of(caught) == "InvalidParameterException"


def test_tags_of_a_missing_repository(ecr: Any, shared_berth: BerthServer) -> None:
    with pytest.raises(ClientError) as caught:
        ecr.list_tags_for_resource(resourceArn=arn(shared_berth, unique()))
    assert code_of(caught) == "RepositoryNotFoundException"


def test_tag_resource_errors(ecr: Any, repo: str, shared_berth: BerthServer) -> None:
    resource = arn(shared_berth, repo)
    with pytest.raises(ClientError) as caught:
        ecr.tag_resource(resourceArn=resource, tags=[{"Key": "aws:x", "Value": "v"}])
    assert code_of(caught) == "InvalidTagParameterException"
    with pytest.raises(ClientError) as caught:
        ecr.untag_resource(resourceArn=resource, tagKeys=["aws:x"])
    assert code_of(caught) == "InvalidTagParameterException"

    ecr.tag_resource(resourceArn=resource,
                     tags=[{"Key": f"k{i}", "Value": "v"} for i in range(45)])
    with pytest.raises(ClientError) as caught:
        ecr.tag_resource(resourceArn=resource,
                         tags=[{"Key": f"n{i}", "Value": "v"} for i in range(6)])
    assert code_of(caught) == "TooManyTagsException"
    assert len(tags_of(ecr, resource)) == 45
    ecr.tag_resource(resourceArn=resource,
                     tags=[{"Key": f"n{i}", "Value": "v"} for i in range(5)])
    assert len(tags_of(ecr, resource)) == 50


# the same through the aws CLI


def test_repository_lifecycle_with_the_cli(shared_berth: BerthServer) -> None:
    name = unique("cli")
    created = aws_json(shared_berth, "ecr", "create-repository", "--repository-name", name,
                       "--image-tag-mutability", "IMMUTABLE",
                       "--image-scanning-configuration", "scanOnPush=true",
                       "--tags", "Key=Team,Value=backend", "Key=Env,Value=test")["repository"]
    assert created["repositoryArn"] == arn(shared_berth, name)
    assert created["imageTagMutability"] == "IMMUTABLE"
    assert isinstance(created["createdAt"], str | float)

    described = aws_json(shared_berth, "ecr", "describe-repositories",
                         "--repository-names", name)["repositories"]
    assert [r["repositoryUri"] for r in described] == [f"{shared_berth.host}/{name}"]
    tags = aws_json(shared_berth, "ecr", "list-tags-for-resource", "--resource-arn",
                    created["repositoryArn"])["tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("Env", "test"),
                                                            ("Team", "backend")]
    aws(shared_berth, "ecr", "put-image-tag-mutability", "--repository-name", name,
        "--image-tag-mutability", "MUTABLE")
    assert aws_json(shared_berth, "ecr", "describe-repositories", "--repository-names", name,
                    "--query", "repositories[0].imageTagMutability") == "MUTABLE"
    aws(shared_berth, "ecr", "delete-repository", "--repository-name", name, "--force")

    failed = aws(shared_berth, "ecr", "describe-repositories", "--repository-names", name,
                 check=False)
    assert failed.returncode != 0
    assert "RepositoryNotFoundException" in failed.stderr
    assert "DescribeRepositories" in failed.stderr


def test_cli_lists_every_repository_across_pages(shared_berth: BerthServer) -> None:
    prefix = f"clipage-{uuid.uuid4().hex[:8]}"
    mine = [f"{prefix}/r{i}" for i in range(4)]
    ecr = shared_berth.client("ecr")
    for name in mine:
        ecr.create_repository(repositoryName=name)
    names = aws_json(shared_berth, "ecr", "describe-repositories", "--page-size", "1",
                     "--query", "repositories[].repositoryName")
    assert [n for n in names if n.startswith(prefix)] == mine
    assert len(names) == len(set(names))
