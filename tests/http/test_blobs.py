"""Blob endpoints over real HTTP: HEAD/GET with ranges, DELETE, and their errors."""

from __future__ import annotations

import os

import pytest

from tests.http.registry_client import Client, error_code, sha256, unique

DATA = os.urandom(10_000)


@pytest.fixture(scope="module")
def stored(client: Client) -> tuple[str, str]:
    repo = unique()
    return repo, client.push_blob(repo, DATA)


def test_api_version_check(client: Client) -> None:
    response = client.http.get("/v2/")
    assert response.status_code == 200
    assert response.headers["Docker-Distribution-API-Version"] == "registry/2.0"


def test_head_and_get(client: Client, stored: tuple[str, str]) -> None:
    repo, digest = stored
    head = client.http.head(f"/v2/{repo}/blobs/{digest}")
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(len(DATA))
    assert head.headers["Docker-Content-Digest"] == digest
    assert head.content == b""
    got = client.http.get(f"/v2/{repo}/blobs/{digest}")
    assert got.status_code == 200 and got.content == DATA


@pytest.mark.parametrize(("header", "start", "end"), [
    ("bytes=0-99", 0, 99),
    ("bytes=500-1499", 500, 1499),
    ("bytes=9000-", 9000, 9999),
    ("bytes=-500", 9500, 9999),
    ("bytes=9990-20000", 9990, 9999),
])
def test_range_requests(client: Client, stored: tuple[str, str], header: str, start: int,
                        end: int) -> None:
    repo, digest = stored
    response = client.http.get(f"/v2/{repo}/blobs/{digest}", headers={"Range": header})
    assert response.status_code == 206
    assert response.content == DATA[start:end + 1]
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{len(DATA)}"
    assert response.headers["Content-Length"] == str(end - start + 1)


def test_unsatisfiable_range(client: Client, stored: tuple[str, str]) -> None:
    repo, digest = stored
    response = client.http.get(f"/v2/{repo}/blobs/{digest}", headers={"Range": "bytes=10000-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(DATA)}"


def test_unparseable_range_is_ignored(client: Client, stored: tuple[str, str]) -> None:
    repo, digest = stored
    response = client.http.get(f"/v2/{repo}/blobs/{digest}", headers={"Range": "lines=1-2"})
    assert response.status_code == 200 and response.content == DATA


def test_unknown_blob(client: Client, stored: tuple[str, str]) -> None:
    repo, _ = stored
    missing = sha256(b"never pushed")
    for method in ("GET", "HEAD"):
        response = client.http.request(method, f"/v2/{repo}/blobs/{missing}")
        assert response.status_code == 404
    assert error_code(client.http.get(f"/v2/{repo}/blobs/{missing}")) == "BLOB_UNKNOWN"


def test_blob_is_not_reachable_from_another_repository(client: Client,
                                                       stored: tuple[str, str]) -> None:
    other = unique()
    client.push_blob(other, b"something else")
    _, digest = stored
    assert client.http.get(f"/v2/{other}/blobs/{digest}").status_code == 404


@pytest.mark.parametrize("bad", ["sha256:abc", "md5:" + "0" * 32, "nonsense", "sha256:" + "G" * 64])
def test_malformed_digest(client: Client, stored: tuple[str, str], bad: str) -> None:
    repo, _ = stored
    response = client.http.get(f"/v2/{repo}/blobs/{bad}")
    assert response.status_code == 400
    assert error_code(response) == "DIGEST_INVALID"


def test_delete_blob(client: Client) -> None:
    repo = unique()
    digest = client.push_blob(repo, b"delete me")
    assert client.http.delete(f"/v2/{repo}/blobs/{digest}").status_code == 202
    assert client.http.head(f"/v2/{repo}/blobs/{digest}").status_code == 404
    again = client.http.delete(f"/v2/{repo}/blobs/{digest}")
    assert again.status_code == 404 and error_code(again) == "BLOB_UNKNOWN"


def test_unknown_repository(client: Client) -> None:
    response = client.http.get(f"/v2/{unique()}/blobs/{sha256(b'x')}")
    assert response.status_code == 404 and error_code(response) == "NAME_UNKNOWN"


@pytest.mark.parametrize("name", ["UPPER", "a", "x/../y", "trailing/", "-lead", "a" * 257,
                                  "double//slash"])
def test_invalid_repository_names(client: Client, name: str) -> None:
    response = client.http.get(f"/v2/{name}/tags/list")
    assert response.status_code in (400, 404)
    assert error_code(response) in ("NAME_INVALID", "NOT_FOUND")
    response = client.http.post(f"/v2/{name}/blobs/uploads/")
    assert response.status_code in (400, 404)


def test_path_tricks_never_leave_the_registry(client: Client, shared_berth) -> None:  # type: ignore[no-untyped-def]
    for path in ("/v2/..%2f..%2fetc/blobs/uploads/", "/v2/%2e%2e/%2e%2e/tags/list",
                 "/v2/a/b/blobs/uploads/..%2f..%2f..%2fetc%2fpasswd"):
        response = client.http.request("GET" if "tags" in path else "POST", path)
        assert response.status_code in (400, 404), path
    response = client.http.get("/v2/ab/blobs/uploads/..%2f..%2f..%2fetc%2fpasswd")
    assert response.status_code in (400, 404)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_if_none_match_answers_304(client: Client, stored: tuple[str, str], method: str) -> None:
    repo, digest = stored
    url = f"/v2/{repo}/blobs/{digest}"
    for header in (f'"{digest}"', f'W/"{digest}"', "*"):
        # the precondition comes before the range, even an unsatisfiable one
        response = client.http.request(method, url, headers={"If-None-Match": header,
                                                             "Range": "bytes=99999-"})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["ETag"] == f'"{digest}"'
        assert response.headers["Docker-Content-Digest"] == digest
    other = client.http.request(method, url, headers={"If-None-Match": '"something else"'})
    assert other.status_code == 200 and other.headers["ETag"] == f'"{digest}"'


def test_if_none_match_does_not_reveal_another_repositorys_blob(
        client: Client, stored: tuple[str, str]) -> None:
    _, digest = stored
    other = unique()
    client.push_blob(other, b"something else")
    response = client.http.get(f"/v2/{other}/blobs/{digest}",
                               headers={"If-None-Match": f'"{digest}"'})
    assert response.status_code == 404 and error_code(response) == "BLOB_UNKNOWN"
