"""Upload sessions over real HTTP: monolithic, chunked, streamed, resumed, cancelled."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx

from berth.testing.server import BerthServer, running_berth
from tests.http.registry_client import Client, error_code, sha256, unique


def test_monolithic_post(client: Client) -> None:
    repo = unique()
    data = os.urandom(4096)
    response = client.http.post(f"/v2/{repo}/blobs/uploads/", params={"digest": sha256(data)},
                                content=data)
    assert response.status_code == 201
    assert response.headers["Location"] == f"/v2/{repo}/blobs/{sha256(data)}"
    assert response.headers["Docker-Content-Digest"] == sha256(data)
    assert client.http.get(f"/v2/{repo}/blobs/{sha256(data)}").content == data


def test_post_then_put(client: Client) -> None:
    repo = unique()
    data = os.urandom(100_000)
    location = client.start_upload(repo)
    response = client.http.put(location, params={"digest": sha256(data)}, content=data)
    assert response.status_code == 201
    assert client.http.get(f"/v2/{repo}/blobs/{sha256(data)}").content == data


def test_post_advertises_chunk_minimum(client: Client) -> None:
    response = client.http.post(f"/v2/{unique()}/blobs/uploads/")
    assert response.status_code == 202
    assert "OCI-Chunk-Min-Length" in response.headers
    assert response.headers["Range"] == "0-0"


def test_chunked_upload_with_status(client: Client) -> None:
    repo = unique()
    data = os.urandom(30_000)
    location = client.start_upload(repo)
    for start in range(0, len(data), 10_000):
        chunk = data[start:start + 10_000]
        response = client.http.patch(location, content=chunk, headers={
            "Content-Range": f"{start}-{start + len(chunk) - 1}",
            "Content-Type": "application/octet-stream"})
        assert response.status_code == 202
        assert response.headers["Range"] == f"0-{start + len(chunk) - 1}"
        location = response.headers["Location"]
    status = client.http.get(location)
    assert status.status_code == 204 and status.headers["Range"] == f"0-{len(data) - 1}"
    done = client.http.put(location, params={"digest": sha256(data)})
    assert done.status_code == 201


def test_streamed_patch_without_content_range(client: Client) -> None:
    repo = unique()
    parts = [os.urandom(50_000) for _ in range(4)]

    def body():  # type: ignore[no-untyped-def]
        yield from parts

    location = client.start_upload(repo)
    response = client.http.patch(location, content=body())
    assert response.status_code == 202
    data = b"".join(parts)
    final = client.http.put(response.headers["Location"], params={"digest": sha256(data)},
                            content=b"tail")
    assert final.status_code == 400 and error_code(final) == "DIGEST_INVALID"
    location = client.start_upload(repo)
    client.http.patch(location, content=body())
    final = client.http.put(location, params={"digest": sha256(data + b"tail")}, content=b"tail")
    assert final.status_code == 201


def test_out_of_order_chunk_is_refused(client: Client) -> None:
    location = client.start_upload(unique())
    client.http.patch(location, content=b"a" * 10, headers={"Content-Range": "0-9"})
    response = client.http.patch(location, content=b"b" * 10, headers={"Content-Range": "20-29"})
    assert response.status_code == 416
    assert response.headers["Range"] == "0-9"
    assert error_code(response) == "BLOB_UPLOAD_INVALID"
    mismatch = client.http.patch(location, content=b"b" * 5, headers={"Content-Range": "10-19"})
    assert mismatch.status_code == 416


def test_wrong_digest_leaves_nothing(client: Client) -> None:
    repo = unique()
    data = b"actual content"
    claimed = sha256(b"something else")
    response = client.http.post(f"/v2/{repo}/blobs/uploads/", params={"digest": claimed},
                                content=data)
    assert response.status_code == 400 and error_code(response) == "DIGEST_INVALID"
    assert client.http.head(f"/v2/{repo}/blobs/{claimed}").status_code == 404
    assert client.http.head(f"/v2/{repo}/blobs/{sha256(data)}").status_code == 404


def test_put_without_digest(client: Client) -> None:
    location = client.start_upload(unique())
    response = client.http.put(location, content=b"x")
    assert response.status_code == 400 and error_code(response) == "DIGEST_INVALID"


def test_sha512_upload(client: Client) -> None:
    repo = unique()
    data = os.urandom(5000)
    digest = "sha512:" + hashlib.sha512(data).hexdigest()
    location = client.start_upload(repo, **{"digest-algorithm": "sha512"})
    assert client.http.put(location, params={"digest": digest}, content=data).status_code == 201
    head = client.http.head(f"/v2/{repo}/blobs/{digest}")
    assert head.status_code == 200 and head.headers["Docker-Content-Digest"] == digest
    bad = client.http.post(f"/v2/{repo}/blobs/uploads/", params={"digest-algorithm": "md5"})
    assert bad.status_code == 400 and error_code(bad) == "DIGEST_INVALID"


def test_cancel_upload(client: Client) -> None:
    location = client.start_upload(unique())
    assert client.http.delete(location).status_code == 204
    response = client.http.get(location)
    assert response.status_code == 404 and error_code(response) == "BLOB_UPLOAD_UNKNOWN"
    assert client.http.patch(location, content=b"x").status_code == 404


def test_unknown_or_forged_upload_ids(client: Client) -> None:
    repo = unique()
    client.start_upload(repo)
    for upload in ("0" * 32, "not-an-id", "A" * 32):
        response = client.http.get(f"/v2/{repo}/blobs/uploads/{upload}")
        assert response.status_code == 404, upload
        assert error_code(response) == "BLOB_UPLOAD_UNKNOWN"
    traversal = client.http.get(f"/v2/{repo}/blobs/uploads/..%2F..%2Fetc")
    assert traversal.status_code == 404


def test_upload_belongs_to_its_repository(client: Client) -> None:
    location = client.start_upload(unique())
    upload_id = location.rsplit("/", 1)[1]
    other = unique()
    client.start_upload(other)
    response = client.http.get(f"/v2/{other}/blobs/uploads/{upload_id}")
    assert response.status_code == 404


def test_mount_follows_ecrs_rule(client: Client, shared_berth: BerthServer) -> None:
    """ECR mounts a blob only when BLOB_MOUNTING is ENABLED and a manifest of the source
    repository references it; otherwise the client gets an upload session (202)."""
    source, target = unique(), unique()
    layer = b"shared layer " + os.urandom(8)
    client.push_image(source, "v1", [layer])
    digest = sha256(layer)
    mounted = client.http.post(f"/v2/{target}/blobs/uploads/",
                               params={"mount": digest, "from": source})
    assert mounted.status_code == 201
    assert mounted.headers["Location"] == f"/v2/{target}/blobs/{digest}"
    assert client.http.get(f"/v2/{target}/blobs/{digest}").content == layer

    loose = client.push_blob(source, b"in no manifest " + os.urandom(8))
    fallback = client.http.post(f"/v2/{unique()}/blobs/uploads/",
                                params={"mount": loose, "from": source})
    assert fallback.status_code == 202 and "/blobs/uploads/" in fallback.headers["Location"]
    absent = client.http.post(f"/v2/{unique()}/blobs/uploads/",
                              params={"mount": sha256(b"nobody has this"), "from": source})
    assert absent.status_code == 202

    ecr = shared_berth.client()
    ecr.put_account_setting(name="BLOB_MOUNTING", value="DISABLED")
    try:
        disabled = client.http.post(f"/v2/{unique()}/blobs/uploads/",
                                    params={"mount": digest, "from": source})
        assert disabled.status_code == 202
    finally:
        ecr.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")


def test_concurrent_pushes_of_one_blob_to_two_repositories(client: Client) -> None:
    data = os.urandom(2_000_000)
    repos = [unique(), unique()]
    results: list[int] = []

    def push(repo: str) -> None:
        with httpx.Client(base_url=str(client.http.base_url), timeout=60,
                          auth=client.http.auth) as http:
            response = http.post(f"/v2/{repo}/blobs/uploads/", params={"digest": sha256(data)},
                                 content=data)
            results.append(response.status_code)

    threads = [threading.Thread(target=push, args=(r,)) for r in repos]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [201, 201]
    for repo in repos:
        assert client.http.get(f"/v2/{repo}/blobs/{sha256(data)}").content == data


def _send_truncated(server: BerthServer, path: str, declared: int, sent: bytes) -> None:
    """A PATCH whose client dies after ``len(sent)`` of ``declared`` bytes."""
    basic = base64.b64encode(f"AWS:{server.password()}".encode()).decode()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall((f"PATCH {path} HTTP/1.1\r\nHost: {server.host}\r\n"
                      f"Authorization: Basic {basic}\r\n"
                      f"Content-Length: {declared}\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n").encode() + sent)
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(10)
        while sock.recv(65536):
            pass


def test_truncated_upload_keeps_what_arrived_and_resumes_after_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(3_000_000)
    with running_berth(tmp_path / "data") as server, httpx.Client(
            base_url=server.url, timeout=60,
            auth=httpx.BasicAuth("AWS", server.password())) as http:
        repo = unique()
        response = http.post(f"/v2/{repo}/blobs/uploads/")
        location = response.headers["Location"]
        path = urlsplit(location).path
        _send_truncated(server, path, len(data), data[:1_000_000])
        status = http.get(location)
        received = int(status.headers["Range"].split("-")[1]) + 1
        assert 0 < received <= 1_000_000
        assert http.head(f"/v2/{repo}/blobs/{sha256(data)}").status_code == 404

        server.restart()

        status = http.get(location)
        assert status.status_code == 204
        assert status.headers["Range"] == f"0-{received - 1}"
        rest = http.patch(location, content=data[received:], headers={
            "Content-Range": f"{received}-{len(data) - 1}"})
        assert rest.status_code == 202
        done = http.put(location, params={"digest": sha256(data)})
        assert done.status_code == 201, done.text
        assert http.get(f"/v2/{repo}/blobs/{sha256(data)}").content == data


def test_abandoned_uploads_expire(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"BERTH_UPLOAD_EXPIRY_SECONDS": "2"}
    with running_berth(tmp_path / "data", env) as server, httpx.Client(
            base_url=server.url, timeout=30,
            auth=httpx.BasicAuth("AWS", server.password())) as http:
        repo = unique()
        location = http.post(f"/v2/{repo}/blobs/uploads/").headers["Location"]
        http.patch(location, content=b"partial")
        upload_id = location.rsplit("/", 1)[1]
        deadline = time.monotonic() + 15
        while http.get(location).status_code == 204 and time.monotonic() < deadline:
            time.sleep(0.5)
        response = http.get(location)
        assert response.status_code == 404 and error_code(response) == "BLOB_UPLOAD_UNKNOWN"
        assert not (server.data_dir / "blobs" / "_uploads" / upload_id).exists()
