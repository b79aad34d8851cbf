"""berth over HTTPS (``--tls-cert``/``--tls-key``), with every client verifying the
certificate against the test's own authority: skopeo, podman, boto3, the aws CLI."""

from __future__ import annotations

import hashlib
import json
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from berth.testing import layouts
from berth.testing.server import BerthServer
from berth.testing.tls import TlsFiles, make_tls_files
from tests.api.helpers import TLS_ONLY, aws_binary, aws_env
from tests.e2e.clients import (
    Containerd,
    ContainersConfig,
    Podman,
    RegistryAuth,
    Skopeo,
    ToolFailed,
    login,
    unique_repo,
)
from tests.e2e.oci_files import assert_same_layout


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_berth(tls_files: TlsFiles, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[BerthServer]:
    server = BerthServer(tmp_path_factory.mktemp("tls-berth") / "data", tls=tls_files)
    server.start()
    try:
        server.open_for_tests()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tls_auth(skopeo_binary: str, tls_berth: BerthServer,
             tmp_path_factory: pytest.TempPathFactory) -> RegistryAuth:
    """``skopeo login`` the ECR way, over verified TLS."""
    auth = login(tls_berth, tmp_path_factory.mktemp("tls-auth"))
    assert auth.tls_args() == ["--cert-dir", str(auth.cert_dir)]
    return auth


@pytest.fixture(scope="module")
def trust(tls_files: TlsFiles) -> ssl.SSLContext:
    """What Python clients trust: the test authority only."""
    return ssl.create_default_context(cafile=str(tls_files.ca))


@pytest.fixture(scope="module")
def tls_skopeo(skopeo_binary: str, tls_berth: BerthServer, tls_auth: RegistryAuth,
               containers_config: ContainersConfig) -> Skopeo:
    return Skopeo(skopeo_binary, tls_berth, tls_auth, containers_config)


def test_skopeo_round_trip_over_verified_tls(tls_skopeo: Skopeo, tmp_path: Path) -> None:
    image = layouts.many_layer_image(tmp_path / "source", layers=3)
    repo = unique_repo("tls")
    tls_skopeo.push(tmp_path / "source", repo, "v1")
    tls_skopeo.pull(repo, "v1", tmp_path / "pulled")
    assert_same_layout(tmp_path / "source", tmp_path / "pulled", image.digest, blobs=5)


def test_a_client_that_does_not_trust_the_certificate_is_refused(
        tls_skopeo: Skopeo, tmp_path: Path) -> None:
    """Verification is on and real: without the authority, skopeo will not talk."""
    layouts.simple_image(tmp_path / "source")
    with pytest.raises(ToolFailed) as refused:
        tls_skopeo.run("copy", "--quiet", "--authfile", str(tls_skopeo.auth.authfile),
                       f"oci:{tmp_path / 'source'}:latest",
                       tls_skopeo.ref(unique_repo("untrusted"), "v1"))
    assert "certificate" in refused.value.stderr


def test_podman_pulls_and_pushes_over_verified_tls(
        podman_binary: str, tls_berth: BerthServer, tls_skopeo: Skopeo, trust: ssl.SSLContext,
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    layouts.simple_image(tmp_path / "source")
    repo = unique_repo("tls-podman")
    tls_skopeo.push(tmp_path / "source", repo, "v1")
    server, auth = tls_berth, tls_skopeo.auth
    # a short base: podman refuses a runroot path over 50 characters
    podman = Podman(podman_binary, server, auth, tls_skopeo.config,
                    tmp_path_factory.mktemp("podman"))
    podman.pull(podman.ref(repo, "v1"))
    copy = podman.ref(f"{repo}-copy", "v2")
    podman.run("tag", podman.ref(repo, "v1"), copy)
    pushed = podman.push(copy, tmp_path / "digest")
    with httpx.Client(base_url=server.url, auth=auth.http_auth, verify=trust) as http:
        got = http.head(f"/v2/{repo}-copy/manifests/v2",
                        headers={"Accept": "application/vnd.oci.image.manifest.v1+json, "
                                 "application/vnd.docker.distribution.manifest.v2+json"})
    assert got.status_code == 200 and got.headers["Docker-Content-Digest"] == pushed


def test_containerd_pulls_and_pushes_over_verified_tls(
        containerd: Containerd, tls_skopeo: Skopeo, tmp_path: Path) -> None:
    image = layouts.many_layer_image(tmp_path / "source", layers=2, layer_size=16 * 1024)
    repo = unique_repo("tls-containerd")
    tls_skopeo.push(tmp_path / "source", repo, "v1")
    host, auth = tls_skopeo.server.host, tls_skopeo.auth
    pulled, pushed = f"{host}/{repo}:v1", f"{host}/{repo}-copy:v2"
    containerd.pull(pulled, auth)
    assert containerd.digest(pulled) == image.digest
    containerd.run("images", "tag", pulled, pushed)
    containerd.push(pushed, auth)
    assert tls_skopeo.inspect(tls_skopeo.ref(f"{repo}-copy", "v2"))["Digest"] == image.digest
    # an authority that did not sign berth's certificate: containerd refuses the server
    other = make_tls_files(tmp_path / "other")
    (tmp_path / "untrusting").mkdir()
    shutil.copy(other.ca, tmp_path / "untrusting" / "ca.crt")
    with pytest.raises(ToolFailed) as refused:
        containerd.pull(pulled, RegistryAuth(auth.authfile, cert_dir=tmp_path / "untrusting",
                                             password=auth.password))
    assert "certificate" in refused.value.stderr
    containerd.run("images", "rm", pulled, pushed)


def test_boto3_and_the_aws_cli_over_verified_tls(tls_berth: BerthServer,
                                                 tls_files: TlsFiles) -> None:
    ecr = tls_berth.client()
    repo = unique_repo("tls-api").replace("/", "-")
    created = ecr.create_repository(repositoryName=repo)["repository"]
    assert created["repositoryUri"] == f"{tls_berth.host}/{repo}"
    auth = ecr.get_authorization_token()["authorizationData"][0]
    assert auth["proxyEndpoint"] == f"https://{tls_berth.host}"
    out = subprocess.run(
        [aws_binary(), "ecr", "describe-repositories", "--repository-names", repo,
         "--endpoint-url", tls_berth.url, "--ca-bundle", str(tls_files.ca), "--output", "json"],
        capture_output=True, text=True, timeout=120, env=aws_env(tls_berth),
        stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    assert repo in out.stdout


def test_a_download_url_is_https_and_serves_the_layer(tls_berth: BerthServer,
                                                      tls_auth: RegistryAuth,
                                                      trust: ssl.SSLContext) -> None:
    repo = unique_repo("tls-url")
    data = b"layer served through a signed URL" * 100
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with httpx.Client(base_url=tls_berth.url, auth=tls_auth.http_auth, verify=trust) as http:
        pushed = http.post(f"/v2/{repo}/blobs/uploads/", params={"digest": digest},
                           content=data)
    assert pushed.status_code == 201, pushed.text
    url = tls_berth.client().get_download_url_for_layer(
        repositoryName=repo, layerDigest=digest)["downloadUrl"]
    assert url.startswith(f"https://{tls_berth.host}/v2/{repo}/blobs/{digest}?")
    got = httpx.get(url, verify=trust, timeout=30)  # no credentials: the URL is signed
    assert got.status_code == 200 and got.content == data


def test_plain_http_gets_no_registry(tls_berth: BerthServer) -> None:
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://{tls_berth.host}/v2/", timeout=5)


# settings


def serve(tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """``berth serve`` with flags that make it refuse to start (so it never listens)."""
    return subprocess.run([sys.executable, "-m", "berth", "serve", "--data-dir",
                           str(tmp_path / "data"), "--listen", "127.0.0.1:1", *flags],
                          capture_output=True, text=True, timeout=60)


def test_a_certificate_without_its_key_is_refused(tmp_path: Path, tls_files: TlsFiles) -> None:
    done = serve(tmp_path, "--tls-cert", str(tls_files.cert))
    assert done.returncode == 2
    assert "set both BERTH_TLS_CERT and BERTH_TLS_KEY" in done.stderr


@pytest.mark.parametrize("problem", ["missing", "other key", "encrypted"])
def test_an_unusable_certificate_or_key_is_said_before_starting(
        tmp_path: Path, tls_files: TlsFiles, problem: str) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = tmp_path / "key.pem"
    if problem == "missing":
        key = tmp_path / "nowhere.pem"
    else:
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(b"secret") if problem == "encrypted"
            else serialization.NoEncryption())
        key.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    done = serve(tmp_path, "--tls-cert", str(tls_files.cert), "--tls-key", str(key))
    assert done.returncode == 2, done.stderr
    assert "cannot use TLS certificate" in done.stderr
    if problem == "encrypted":
        assert "encrypted" in done.stderr


@pytest.mark.parametrize("secure", [True, False])
def test_aws_secure_transport_is_true_over_tls_only(secure: bool, tls_berth: BerthServer,
                                                    shared_berth: BerthServer,
                                                    trust: ssl.SSLContext) -> None:
    """The usual "deny unless TLS" repository policy: over HTTPS berth serves the
    repository, on both planes; over plain HTTP it refuses."""
    server = tls_berth if secure else shared_berth
    ecr = server.client()
    repo = unique_repo("tls-only").replace("/", "-")
    ecr.create_repository(repositoryName=repo)
    ecr.set_repository_policy(repositoryName=repo, policyText=json.dumps(TLS_ONLY), force=True)
    password = server.password()
    with httpx.Client(base_url=server.url, auth=httpx.BasicAuth("AWS", password),
                      verify=trust if secure else True) as http:
        tags = http.get(f"/v2/{repo}/tags/list")
    if secure:
        assert ecr.describe_images(repositoryName=repo)["imageDetails"] == []
        assert tags.status_code == 200, tags.text
    else:
        with pytest.raises(ClientError) as denied:
            ecr.describe_images(repositoryName=repo)
        assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
        assert tags.status_code == 403, tags.text


def test_tls_offers_http_1_1_only(tls_berth: BerthServer, tls_files: TlsFiles) -> None:
    """ALPN picks HTTP/1.1 even for a client that offers h2 first (see the README)."""
    import socket

    context = ssl.create_default_context(cafile=str(tls_files.ca))
    context.set_alpn_protocols(["h2", "http/1.1"])
    host, port = tls_berth.host.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname=host) as conn:
        assert conn.selected_alpn_protocol() == "http/1.1"
        assert conn.version() in ("TLSv1.2", "TLSv1.3")
