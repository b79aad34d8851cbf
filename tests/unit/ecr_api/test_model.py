import enum
import json
import warnings
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from berth.ecr_api import model
from berth.ecr_api.java_regex import compile_pattern
from berth.ecr_api.model import (
    InvalidParameter,
    SerializationError,
    Violation,
    all_error_names,
    error_names,
    has_operation,
    operation_names,
    shape_output,
    target_prefix,
    validate_input,
)

# RepositoryName's pattern as botocore 1.44.8 states it (AWS quotes the model's pattern).
NAME_PATTERN = r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*"
NAME_RULES = ("Member must have length less than or equal to 256, "
              "Member must have length greater than or equal to 2, "
              f"Member must satisfy regular expression pattern: {NAME_PATTERN}")
MUTABILITY = "[MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]"
UPLOAD_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
FILTERS = "imageTagMutabilityExclusionFilters"
FAILED = "failed to satisfy constraint:"


def one(violation: str) -> str:
    return f"1 validation error detected: {violation}"


def message_of(operation: str, body: Any) -> str:
    with pytest.raises(InvalidParameter) as caught:
        validate_input(operation, body)
    return caught.value.message


# --- the operations -----------------------------------------------------------------

def test_operations_come_from_the_model() -> None:
    core = {"CreateRepository", "DescribeRepositories", "BatchGetImage", "BatchDeleteImage",
            "PutImage", "InitiateLayerUpload", "UploadLayerPart", "CompleteLayerUpload",
            "GetAuthorizationToken", "BatchCheckLayerAvailability", "GetDownloadUrlForLayer"}
    assert core <= operation_names()
    assert has_operation("CreateRepository")
    assert not has_operation("createRepository")
    assert not has_operation("ListBuckets")
    assert target_prefix() == "AmazonEC2ContainerRegistry_V20150921"


def test_error_names() -> None:
    assert error_names("CreateRepository") == {
        "ServerException", "InvalidParameterException", "InvalidTagParameterException",
        "TooManyTagsException", "RepositoryAlreadyExistsException", "LimitExceededException",
        "KmsException"}
    assert {"RepositoryNotFoundException", "ValidationException", "UploadNotFoundException",
            "LayersNotFoundException", "ImageTagAlreadyExistsException"} <= all_error_names()
    for operation in operation_names():
        assert error_names(operation) <= all_error_names(), operation


def test_an_unknown_operation_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        validate_input("ListBuckets", {})
    with pytest.raises(KeyError):
        shape_output("ListBuckets", {})
    with pytest.raises(KeyError):
        error_names("ListBuckets")


# --- validating input ---------------------------------------------------------------

def test_a_valid_create_repository_is_normalized() -> None:
    body = {
        "repositoryName": "team/app-1",
        "registryId": "123456789012",
        "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
        "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "dev-*"}],
        "imageScanningConfiguration": {"scanOnPush": True},
        "tags": [{"Key": "team", "Value": "core"}],
        "encryptionConfiguration": None,
        "notAMember": 1,
    }
    normalized = validate_input("CreateRepository", body)
    assert normalized == {key: value for key, value in body.items()
                          if key not in ("encryptionConfiguration", "notAMember")}
    assert normalized is not body


@pytest.mark.parametrize(("operation", "body", "violation"), [
    pytest.param("CreateRepository", {"repositoryName": "Bad_Name"},
                 f"Value 'Bad_Name' at 'repositoryName' {FAILED} "
                 f"Member must satisfy regular expression pattern: {NAME_PATTERN}",
                 id="name-pattern"),
    pytest.param("CreateRepository", {"repositoryName": "team//app"},
                 f"Value 'team//app' at 'repositoryName' {FAILED} "
                 f"Member must satisfy regular expression pattern: {NAME_PATTERN}",
                 id="name-pattern-is-matched-whole"),
    pytest.param("CreateRepository", {},
                 f"Value null at 'repositoryName' {FAILED} Member must not be null",
                 id="name-missing"),
    pytest.param("CreateRepository", {"repositoryName": None},
                 f"Value null at 'repositoryName' {FAILED} Member must not be null",
                 id="name-null"),
    pytest.param("CreateRepository", {"repositoryName": "a" * 257},
                 f"Value '{'a' * 257}' at 'repositoryName' {FAILED} "
                 "Member must have length less than or equal to 256",
                 id="name-too-long"),
    pytest.param("CreateRepository", {"repositoryName": "ab", "imageTagMutability": "SOMETIMES"},
                 f"Value 'SOMETIMES' at 'imageTagMutability' {FAILED} "
                 f"Member must satisfy enum value set: {MUTABILITY}",
                 id="mutability-enum"),
    pytest.param("CreateRepository", {"repositoryName": "ab", FILTERS: [
                     {"filterType": "WILDCARD", "filter": "bad filter"}]},
                 f"Value 'bad filter' at 'imageTagMutabilityExclusionFilters.1.member.filter' "
                 f"{FAILED} Member must satisfy regular expression pattern: "
                 "^[0-9a-zA-Z._*-]{1,128}$",
                 id="exclusion-filter-pattern"),
    pytest.param("CreateRepository", {"repositoryName": "ab", FILTERS: [
                     {"filterType": "WILDCARD", "filter": "ok"},
                     {"filterType": "REGEX", "filter": "x"}]},
                 f"Value 'REGEX' at 'imageTagMutabilityExclusionFilters.2.member.filterType' "
                 f"{FAILED} Member must satisfy enum value set: [WILDCARD]",
                 id="exclusion-filter-enum"),
    pytest.param("CreateRepository", {"repositoryName": "ab", FILTERS: [
                     {"filter": "x"}]},
                 f"Value null at 'imageTagMutabilityExclusionFilters.1.member.filterType' "
                 f"{FAILED} Member must not be null",
                 id="exclusion-filter-required"),
    pytest.param("CreateRepository", {"repositoryName": "ab",
                                      "imageTagMutabilityExclusionFilters": []},
                 f"Value '[]' at 'imageTagMutabilityExclusionFilters' {FAILED} "
                 "Member must have length greater than or equal to 1",
                 id="exclusion-filters-empty"),
    pytest.param("CreateRepository", {"repositoryName": "ab", FILTERS: [
                     {"filterType": "WILDCARD", "filter": str(n)} for n in range(6)]},
                 "Value '[{filterType=WILDCARD, filter=0}, {filterType=WILDCARD, filter=1}, "
                 "{filterType=WILDCARD, filter=2}, {filterType=WILDCARD, filter=3}, "
                 "{filterType=WILDCARD, filter=4}, {filterType=WILDCARD, filter=5}]' at "
                 f"'imageTagMutabilityExclusionFilters' {FAILED} "
                 "Member must have length less than or equal to 5",
                 id="exclusion-filters-too-many"),
    pytest.param("CreateRepository", {"repositoryName": "ab", "tags": [{"Value": "v"}]},
                 f"Value null at 'tags.1.member.key' {FAILED} Member must not be null",
                 id="tag-key-required-and-lower-cased"),
    pytest.param("CreateRepository", {"repositoryName": "ab", "tags": [
                     {"Key": "a", "Value": "b"}, None]},
                 f"Value null at 'tags.2.member' {FAILED} Member must not be null",
                 id="tag-null"),
    pytest.param("DescribeRepositories", {"maxResults": 0},
                 f"Value '0' at 'maxResults' {FAILED} "
                 "Member must have value greater than or equal to 1",
                 id="max-results-0"),
    pytest.param("DescribeRepositories", {"maxResults": 1001},
                 f"Value '1001' at 'maxResults' {FAILED} "
                 "Member must have value less than or equal to 1000",
                 id="max-results-1001"),
    pytest.param("DescribeRepositories", {"repositoryNames": []},
                 f"Value '[]' at 'repositoryNames' {FAILED} "
                 "Member must have length greater than or equal to 1",
                 id="names-empty"),
    pytest.param("DescribeRepositories", {"repositoryNames": ["ab"] * 101},
                 f"Value '[{', '.join(['ab'] * 101)}]' at 'repositoryNames' {FAILED} "
                 "Member must have length less than or equal to 100",
                 id="names-too-many"),
    pytest.param("DescribeRepositories", {"repositoryNames": ["ok", "Bad"]},
                 f"Value '[ok, Bad]' at 'repositoryNames' {FAILED} "
                 f"Member must satisfy constraint: [{NAME_RULES}]",
                 id="names-element-rules-reported-once"),
    pytest.param("DescribeRepositories", {"repositoryNames": ["ok", None]},
                 f"Value '[ok, null]' at 'repositoryNames' {FAILED} "
                 f"Member must satisfy constraint: [{NAME_RULES}, Member must not be null]",
                 id="names-null-element"),
    pytest.param("DescribeRepositories", {"registryId": "1234567890123"},
                 f"Value '1234567890123' at 'registryId' {FAILED} "
                 "Member must satisfy regular expression pattern: [0-9]{12}",
                 id="registry-id-fullmatch"),
    pytest.param("GetAuthorizationToken", {"registryIds": ["123"]},
                 f"Value '[123]' at 'registryIds' {FAILED} Member must satisfy constraint: "
                 "[Member must satisfy regular expression pattern: [0-9]{12}]",
                 id="registry-ids-as-ecr-reports-them"),
    pytest.param("BatchDeleteImage", {"repositoryName": "ab"},
                 f"Value null at 'imageIds' {FAILED} Member must not be null",
                 id="image-ids-required"),
    pytest.param("BatchDeleteImage", {"repositoryName": "ab", "imageIds": [
                     {"imageTag": "v1"}, {"imageTag": ""}]},
                 f"Value '' at 'imageIds.2.member.imageTag' {FAILED} "
                 "Member must have length greater than or equal to 1",
                 id="image-tag-too-short"),
    pytest.param("BatchDeleteImage", {"repositoryName": "ab", "imageIds": [
                     {"imageTag": "t" * 301}]},
                 f"Value '{'t' * 301}' at 'imageIds.1.member.imageTag' {FAILED} "
                 "Member must have length less than or equal to 300",
                 id="image-tag-too-long"),
    pytest.param("BatchDeleteImage", {"repositoryName": "ab", "imageIds": [{"imageTag": 5}]},
                 f"Value '5' at 'imageIds.1.member.imageTag' {FAILED} Member must be a string",
                 id="image-tag-mistyped"),
    pytest.param("BatchDeleteImage", {"repositoryName": "ab", "imageIds": ["latest"]},
                 f"Value 'latest' at 'imageIds.1.member' {FAILED} Member must be a structure",
                 id="image-id-not-a-structure"),
    pytest.param("PutImage", {"repositoryName": "ab", "imageManifest": ""},
                 f"Value '' at 'imageManifest' {FAILED} "
                 "Member must have length greater than or equal to 1",
                 id="manifest-empty"),
    pytest.param("PutImage", {"repositoryName": "ab", "imageManifest": "{" * 4194305},
                 f"Value at 'imageManifest' {FAILED} "
                 "Member must have length less than or equal to 4194304",
                 id="manifest-too-long-value-withheld"),
    pytest.param("UploadLayerPart", {"repositoryName": "ab", "uploadId": UPLOAD_ID,
                                     "partFirstByte": -1, "partLastByte": 0,
                                     "layerPartBlob": ""},
                 f"Value '-1' at 'partFirstByte' {FAILED} "
                 "Member must have value greater than or equal to 0",
                 id="part-first-byte-negative"),
    pytest.param("UploadLayerPart", {"repositoryName": "ab", "uploadId": UPLOAD_ID,
                                     "partFirstByte": 0, "partLastByte": 2 ** 63,
                                     "layerPartBlob": ""},
                 f"Value '9223372036854775808' at 'partLastByte' {FAILED} "
                 "Member must be an integer",
                 id="part-last-byte-beyond-long"),
    pytest.param("UploadLayerPart", {"repositoryName": "ab", "uploadId": UPLOAD_ID,
                                     "partFirstByte": 0, "partLastByte": 2,
                                     "layerPartBlob": "not base64!"},
                 f"Value at 'layerPartBlob' {FAILED} Member must be base64-encoded binary",
                 id="blob-bad-base64"),
    pytest.param("UploadLayerPart", {"repositoryName": "ab", "uploadId": "nope",
                                     "partFirstByte": 0, "partLastByte": 2,
                                     "layerPartBlob": "YWJj"},
                 f"Value 'nope' at 'uploadId' {FAILED} "
                 f"Member must satisfy regular expression pattern: {UUID_PATTERN}",
                 id="upload-id-pattern"),
    pytest.param("DescribeRepositories", {"maxResults": "10"},
                 f"Value '10' at 'maxResults' {FAILED} Member must be an integer",
                 id="string-where-integer"),
    pytest.param("DescribeRepositories", {"maxResults": True},
                 f"Value 'true' at 'maxResults' {FAILED} Member must be an integer",
                 id="bool-where-integer"),
    pytest.param("DescribeRepositories", {"maxResults": 2.5},
                 f"Value '2.5' at 'maxResults' {FAILED} Member must be an integer",
                 id="fraction-where-integer"),
    pytest.param("CreateRepository", {"repositoryName": 12},
                 f"Value '12' at 'repositoryName' {FAILED} Member must be a string",
                 id="int-where-string"),
    pytest.param("CreateRepository", {"repositoryName": "ab", "imageScanningConfiguration": []},
                 f"Value '[]' at 'imageScanningConfiguration' {FAILED} Member must be a structure",
                 id="list-where-structure"),
    pytest.param("CreateRepository", {"repositoryName": "ab",
                                      "imageScanningConfiguration": {"scanOnPush": "yes"}},
                 f"Value 'yes' at 'imageScanningConfiguration.scanOnPush' {FAILED} "
                 "Member must be a boolean",
                 id="string-where-boolean"),
    pytest.param("DescribeRepositories", {"repositoryNames": "ab"},
                 f"Value 'ab' at 'repositoryNames' {FAILED} Member must be a list",
                 id="string-where-list"),
    pytest.param("DescribeRepositories", {"repositoryNames": ["ab", 7]},
                 f"Value '7' at 'repositoryNames.2.member' {FAILED} Member must be a string",
                 id="int-in-a-list-of-strings"),
])
def test_one_violation(operation: str, body: dict[str, Any], violation: str) -> None:
    assert message_of(operation, body) == one(violation)


def test_all_violations_are_collected_in_member_order() -> None:
    body = {"repositoryName": "A", "imageTagMutability": "X",
            "imageScanningConfiguration": {"scanOnPush": 1}, "registryId": "42"}
    assert message_of("CreateRepository", body) == (
        "5 validation errors detected: "
        f"Value '42' at 'registryId' {FAILED} "
        "Member must satisfy regular expression pattern: [0-9]{12}; "
        f"Value 'A' at 'repositoryName' {FAILED} "
        "Member must have length greater than or equal to 2; "
        f"Value 'A' at 'repositoryName' {FAILED} "
        f"Member must satisfy regular expression pattern: {NAME_PATTERN}; "
        f"Value 'X' at 'imageTagMutability' {FAILED} "
        f"Member must satisfy enum value set: {MUTABILITY}; "
        f"Value '1' at 'imageScanningConfiguration.scanOnPush' {FAILED} Member must be a boolean")


def test_violations_are_structured() -> None:
    with pytest.raises(InvalidParameter) as caught:
        validate_input("BatchDeleteImage", {"repositoryName": "ab", "imageIds": [None]})
    assert caught.value.violations == (
        Violation("imageIds.1.member", "null", "Member must not be null"),)
    assert str(caught.value) == caught.value.message


@pytest.mark.parametrize(("operation", "body"), [
    ("CreateRepository", {"repositoryName": "a" * 256}),
    ("CreateRepository", {"repositoryName": "ab"}),
    ("CreateRepository", {"repositoryName": "ab", FILTERS: [
        {"filterType": "WILDCARD", "filter": "*"}] * 5}),
    ("DescribeRepositories", {"maxResults": 1}),
    ("DescribeRepositories", {"maxResults": 1000, "repositoryNames": ["ab"] * 100}),
    ("BatchDeleteImage", {"repositoryName": "ab", "imageIds": [{"imageTag": "t" * 300}]}),
    ("PutImage", {"repositoryName": "ab", "imageManifest": "{" * 4194304}),
])
def test_values_at_the_limits_pass(operation: str, body: dict[str, Any]) -> None:
    assert validate_input(operation, body) == body


def test_upload_layer_part_decodes_the_blob() -> None:
    body = {"repositoryName": "team/app", "uploadId": UPLOAD_ID, "partFirstByte": 0,
            "partLastByte": 2, "layerPartBlob": "AAEC"}
    assert validate_input("UploadLayerPart", body) == {**body, "layerPartBlob": b"\x00\x01\x02"}


def test_numbers_read_as_aws_reads_them() -> None:
    assert validate_input("DescribeRepositories", {"maxResults": 5.0}) == {"maxResults": 5}
    big = {"repositoryName": "ab", "uploadId": UPLOAD_ID, "partFirstByte": 2 ** 40,
           "partLastByte": 2 ** 63 - 1, "layerPartBlob": ""}
    assert validate_input("UploadLayerPart", big)["partLastByte"] == 2 ** 63 - 1


def test_get_authorization_token_takes_an_empty_body() -> None:
    assert validate_input("GetAuthorizationToken", {}) == {}
    ids = {"registryIds": ["123456789012"]}
    assert validate_input("GetAuthorizationToken", ids) == ids


@pytest.mark.parametrize(("body", "message"), [
    ([], "Start of list found where not expected"),
    ("repositoryName", "Expected a JSON object as the request body, found 'repositoryName'"),
    (None, "Expected a JSON object as the request body, found 'null'"),
    (3, "Expected a JSON object as the request body, found '3'"),
])
def test_a_body_that_is_not_an_object(body: Any, message: str) -> None:
    with pytest.raises(SerializationError) as caught:
        validate_input("GetAuthorizationToken", body)
    assert caught.value.message == message


# Shapes ECR's inputs do not use (timestamps, doubles, maps), checked on ECR's own shapes.

def check_shape(name: str, value: Any) -> tuple[Any, list[str]]:
    errors: list[Violation] = []
    result = model._value(model._model().shape_for(name), value, "x", errors)
    return result, [str(error) for error in errors]


@pytest.mark.parametrize(("value", "expected"), [
    (1700000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    (1700000000.5, datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)),
    ("2023-11-14T22:13:20Z", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    ("2023-11-14T23:13:20+01:00", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    ("2023-11-14T22:13:20", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
])
def test_timestamps_become_aware_datetimes(value: Any, expected: datetime) -> None:
    result, errors = check_shape("CreationTimestamp", value)
    assert (result, errors) == (expected, [])
    assert result.tzinfo is not None


@pytest.mark.parametrize("value", ["yesterday", True, [], 1e300])
def test_bad_timestamps(value: Any) -> None:
    _, errors = check_shape("CreationTimestamp", value)
    assert len(errors) == 1
    assert errors[0].endswith(f"at 'x' {FAILED} Member must be a timestamp")


def test_doubles_and_maps() -> None:
    assert check_shape("Score", 7) == (7.0, [])
    assert check_shape("Score", "7")[1] == [f"Value '7' at 'x' {FAILED} Member must be a number"]
    assert check_shape("FindingSeverityCounts", {"LOW": 1}) == ({"LOW": 1}, [])
    severities = "[INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, UNDEFINED]"
    assert check_shape("FindingSeverityCounts", {"LOW": -1, "BOGUS": 1})[1] == [
        f"Value '{{LOW=-1, BOGUS=1}}' at 'x' {FAILED} Map keys must satisfy constraint: "
        f"[Member must satisfy enum value set: {severities}]",
        f"Value '{{LOW=-1, BOGUS=1}}' at 'x' {FAILED} Map value must satisfy constraint: "
        "[Member must have value greater than or equal to 0]",
    ]
    assert check_shape("Tags", {"a": None})[1] == [
        f"Value '{{a=null}}' at 'x' {FAILED} Map value must satisfy constraint: "
        "[Member must not be null]"]
    assert check_shape("Tags", [])[1] == [f"Value '[]' at 'x' {FAILED} Member must be a map"]


# --- every operation, from a minimal body built from its shapes ------------------------

# Values that satisfy the model's patterns; a pattern none fits makes its operation skip.
PATTERN_SAMPLES = ("team/app-1", "123456789012", UPLOAD_ID, "sha256:" + "ab" * 32,
                   "us-east-1", "ROOT", "arn:aws:iam::123456789012:role/ci",
                   "arn:aws:signer:us-east-1:123456789012:/signing-profiles/ci_profile")


class Unsampled(Exception):
    pass


def sample(shape: Any) -> Any:
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure":
        return {name: sample(shape.members[name]) for name in shape.required_members}
    if kind == "list":
        return [sample(shape.member) for _ in range(max(meta.get("min", 1), 1))]
    if kind == "map":
        return {sample(shape.key): sample(shape.value)}
    if kind == "string":
        return sample_string(meta)
    if kind in ("integer", "long"):
        return max(meta.get("min", 1), 1) if meta.get("max", 1) >= 1 else meta["max"]
    return {"boolean": True, "double": 1.5, "float": 1.5, "timestamp": 1700000000,
            "blob": "YWJj"}[kind]


def sample_string(meta: dict[str, Any]) -> str:
    if meta.get("enum"):
        return str(meta["enum"][0])
    low, high = meta.get("min", 1), meta.get("max", 1 << 30)
    candidates = PATTERN_SAMPLES if "pattern" in meta else ("a" * max(low, 1),)
    for candidate in candidates:
        fits = low <= len(candidate) <= high
        if fits and ("pattern" not in meta
                     or compile_pattern(meta["pattern"]).fullmatch(candidate)):
            return candidate
    raise Unsampled(meta.get("pattern", ""))


def test_every_operation_accepts_a_minimal_body_and_names_each_missing_member() -> None:
    skipped = {}
    for operation in sorted(operation_names()):
        shape = model._model().operation_model(operation).input_shape
        try:
            body = sample(shape)
        except Unsampled as unsampled:
            skipped[operation] = str(unsampled)
            continue
        assert set(validate_input(operation, body)) == set(shape.required_members), operation
        if shape.required_members:
            with pytest.raises(InvalidParameter) as caught:
                validate_input(operation, {})
            assert [(v.path, v.constraint) for v in caught.value.violations] == [
                (name[0].lower() + name[1:], "Member must not be null")
                for name in shape.members if name in shape.required_members], operation
    assert skipped == {}


def full_sample(shape: Any, depth: int = 0) -> Any:
    kind = shape.type_name
    if depth > 12:
        raise AssertionError(f"{shape.name} nests too deep")
    if kind == "structure":
        return {name: full_sample(member, depth + 1) for name, member in shape.members.items()}
    if kind == "list":
        return [full_sample(shape.member, depth + 1)]
    if kind == "map":
        return {"k": full_sample(shape.value, depth + 1)}
    return {"timestamp": datetime(2024, 1, 1, tzinfo=UTC), "blob": b"\x00\xff",
            "boolean": False, "integer": 3, "long": 3, "double": 0.5,
            "float": 0.5}.get(kind, "s")


def test_every_operation_shapes_a_full_result_strictly() -> None:
    for operation in sorted(operation_names()):
        shape = model._model().operation_model(operation).output_shape
        result = full_sample(shape) if shape is not None else {}
        body = shape_output(operation, result, strict=True)
        assert set(body) == set(result), operation
        json.dumps(body)


# --- shaping output ----------------------------------------------------------------

def test_describe_repositories_output() -> None:
    created = datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=UTC)
    wire = {
        "repositoryName": "team/app", "registryId": "123456789012",
        "repositoryArn": "arn:aws:ecr:us-east-1:123456789012:repository/team/app",
        "repositoryUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app",
        "imageTagMutability": "MUTABLE", "imageScanningConfiguration": {"scanOnPush": False},
    }
    repository = {**wire, "createdAt": created, "encryptionConfiguration": None,
                  "internalId": 17}
    body = shape_output("DescribeRepositories",
                        {"repositories": [repository], "nextToken": None})
    assert body == {"repositories": [{**wire, "createdAt": 1704164645.25}]}
    assert isinstance(body["repositories"][0]["createdAt"], float)


def test_naive_and_offset_datetimes_are_rendered_as_utc_epochs() -> None:
    plus_one = timezone(timedelta(hours=1))
    for created in (datetime(2024, 1, 1), datetime(2024, 1, 1, 1, tzinfo=plus_one)):
        body = shape_output("DescribeRepositories", {"repositories": [{"createdAt": created}]})
        assert body == {"repositories": [{"createdAt": 1704067200.0}]}


def test_strict_mode_names_the_unknown_key() -> None:
    result = {"repositories": [{"repositoryName": "ab", "internalId": 17}]}
    with pytest.raises(ValueError, match=r"DescribeRepositories\.repositories\.1: "
                                         r"'internalId' is not a member of Repository"):
        shape_output("DescribeRepositories", result, strict=True)
    with pytest.raises(ValueError, match="'nope' is not a member of DescribeRepositoriesResponse"):
        shape_output("DescribeRepositories", {"nope": 1}, strict=True)


def test_get_authorization_token_output() -> None:
    expires = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    result = {"authorizationData": [{"authorizationToken": "QVdTOnNlY3JldA==",
                                     "expiresAt": expires,
                                     "proxyEndpoint": "https://123456789012.dkr.ecr.local"}]}
    assert shape_output("GetAuthorizationToken", result, strict=True) == {
        "authorizationData": [{"authorizationToken": "QVdTOnNlY3JldA==",
                               "expiresAt": 1717243200.0,
                               "proxyEndpoint": "https://123456789012.dkr.ecr.local"}]}


class FailureCode(enum.Enum):
    NOT_FOUND = "ImageNotFound"


def test_batch_get_image_output_with_nested_failures() -> None:
    result = {
        "images": [{"registryId": "123456789012", "repositoryName": "ab",
                    "imageId": {"imageDigest": "sha256:" + "ab" * 32, "imageTag": "v1"},
                    "imageManifest": "{}", "imageManifestMediaType": "application/json",
                    "blobs": ["x"]}],
        "failures": [{"imageId": {"imageTag": "gone", "imageDigest": None, "row": 3},
                      "failureCode": FailureCode.NOT_FOUND,
                      "failureReason": "Requested image not found"}],
    }
    assert shape_output("BatchGetImage", result) == {
        "images": [{"registryId": "123456789012", "repositoryName": "ab",
                    "imageId": {"imageDigest": "sha256:" + "ab" * 32, "imageTag": "v1"},
                    "imageManifest": "{}", "imageManifestMediaType": "application/json"}],
        "failures": [{"imageId": {"imageTag": "gone"}, "failureCode": "ImageNotFound",
                      "failureReason": "Requested image not found"}],
    }
    with pytest.raises(ValueError, match=r"BatchGetImage\.failures\.1\.imageId: 'row'"):
        shape_output("BatchGetImage", {"failures": result["failures"]}, strict=True)


def test_a_structure_that_is_not_a_mapping_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        shape_output("DescribeRepositories", {"repositories": ["ab"]})


# --- Java regular expressions --------------------------------------------------------

def test_every_model_pattern_compiles_cleanly() -> None:
    patterns = {shape["pattern"] for shape in model._model()._shape_resolver._shape_map.values()
                if "pattern" in shape}
    assert len(patterns) >= 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for pattern in patterns:
            compile_pattern.__wrapped__(pattern)


@pytest.mark.parametrize(("pattern", "text", "matches"), [
    (r"[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+", "sha256:ab", True),   # ECR's LayerDigest
    (r"[\w-_]+", "a-_", True),                               # Java: '-' after \w is literal
    (r"[\w-/.]+", "a/b.c-d", True),
    (r"\w+", "é", False),                                    # Java's \w is ASCII
    (r"^\S+$", "a\u00a0b", True),                            # ... and so is \s
    (r"\p{Alpha}+", "abC", True),
    (r"\p{Alpha}+", "ab1", False),
    (r"\P{Digit}", "a", True),
    (r"[\p{Alnum}\-]+", "a-1", True),
    (r"\Qa.b\E", "a.b", True),
    (r"\Qa.b\E", "axb", False),
    (r"\Aab\z", "ab", True),
    (r"ab\Z", "ab", True),
    (r"\x{41}", "A", True),
    (r"[\uD800\uDC00-\uDBFF\uDFFF]", "\U0001F600", True),
    (r"[0-9]{12}", "1234567890123", False),                  # whole-value match
])
def test_java_patterns(pattern: str, text: str, matches: bool) -> None:
    assert (compile_pattern(pattern).fullmatch(text) is not None) is matches


@pytest.mark.parametrize("pattern", [r"\p{L}+", r"[a-z&&[^b]]", r"[\P{Digit}a]", r"a(?i)b"])
def test_untranslatable_java_patterns_raise(pattern: str) -> None:
    with pytest.raises(ValueError, match="cannot translate Java regex"):
        compile_pattern(pattern)
