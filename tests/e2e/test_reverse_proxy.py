"""berth behind nginx, which ends TLS and forwards plain HTTP, the way a load balancer or
an ingress sits in front of berth nodes. With ``--trusted-proxies`` naming nginx, a
"deny unless TLS" repository policy lets clients through the proxy and refuses them
when they go around it. skopeo, boto3 and the aws CLI talk to nginx with verification on.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from berth.testing import layouts
from berth.testing.server import BerthServer, free_port, registry_password, running_berth
from berth.testing.tls import TlsFiles, make_tls_files
from tests.api.helpers import TLS_ONLY, aws_binary, aws_env
from tests.e2e.clients import ContainersConfig, Skopeo, login, require_tool, unique_repo
from tests.e2e.oci_files import assert_same_layout

NGINX_CONF = """daemon off;
worker_processes 1;
pid {base}/nginx.pid;
error_log {base}/error.log;
events {{}}
http {{
  access_log off;
  client_body_temp_path {base}/body;
  proxy_temp_path {base}/proxy;
  server {{
    listen {host} ssl;
    ssl_certificate {tls.cert};
    ssl_certificate_key {tls.key};
    client_max_body_size 0;
    proxy_request_buffering off;
    proxy_buffering off;
    location / {{
      proxy_pass http://{upstream};
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}
  }}
}}
"""


@dataclass
class Nginx:
    """nginx on a free 127.0.0.1 port, ending TLS with ``tls`` in front of ``berth``: a
    ``Registry`` for the e2e clients."""

    berth: BerthServer
    tls: TlsFiles
    port: int

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"https://{self.host}"

    def client(self, service: str = "ecr") -> Any:
        import boto3

        key, secret = self.berth.root_key
        return boto3.client(service, endpoint_url=self.url, region_name=self.berth.region,
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            verify=str(self.tls.ca))

    def password(self) -> str:
        return registry_password(self.client())


@pytest.fixture(scope="module")
def behind_nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    binary = require_tool("nginx")
    base = tmp_path_factory.mktemp("nginx")
    port = free_port()
    tls = make_tls_files(base / "tls")
    with running_berth(base / "berth", {"BERTH_TRUSTED_PROXIES": "127.0.0.1",
                                        "BERTH_PUBLIC_URL": f"https://127.0.0.1:{port}"}
                       ) as berth:
        proxy = Nginx(berth, tls, port)
        (base / "nginx.conf").write_text(NGINX_CONF.format(
            base=base, host=proxy.host, tls=tls, upstream=berth.host))
        process = subprocess.Popen([binary, "-c", str(base / "nginx.conf"), "-p", str(base)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            wait_for_tls(proxy, process, base / "error.log")
            yield proxy
        finally:
            process.terminate()
            process.wait(timeout=10)


def wait_for_tls(proxy: Nginx, process: subprocess.Popen[bytes], log: Path) -> None:
    context = ssl.create_default_context(cafile=str(proxy.tls.ca))
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise AssertionError(f"nginx exited: {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=1) as raw, \
                    context.wrap_socket(raw, server_hostname="127.0.0.1"):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_clients_through_a_tls_terminating_nginx_meet_a_tls_only_policy(
        skopeo_binary: str, behind_nginx: Nginx, containers_config: ContainersConfig,
        tmp_path: Path) -> None:
    repo = unique_repo("proxied").replace("/", "-")
    ecr = behind_nginx.client()
    created = ecr.create_repository(repositoryName=repo)["repository"]
    assert created["repositoryUri"] == f"{behind_nginx.host}/{repo}"  # the public URL's
    ecr.set_repository_policy(repositoryName=repo, policyText=json.dumps(TLS_ONLY), force=True)

    (tmp_path / "auth").mkdir()
    skopeo = Skopeo(skopeo_binary, behind_nginx, login(behind_nginx, tmp_path / "auth"),
                    containers_config)
    image = layouts.many_layer_image(tmp_path / "source", layers=3)
    skopeo.push(tmp_path / "source", repo, "v1")
    skopeo.pull(repo, "v1", tmp_path / "pulled")
    assert_same_layout(tmp_path / "source", tmp_path / "pulled", image.digest, blobs=5)
    assert [d["imageDigest"] for d in ecr.describe_images(repositoryName=repo)["imageDetails"]
            ] == [image.digest]

    cli = subprocess.run(
        [aws_binary(), "ecr", "describe-images", "--repository-name", repo, "--endpoint-url",
         behind_nginx.url, "--ca-bundle", str(behind_nginx.tls.ca), "--output", "json"],
        capture_output=True, text=True, timeout=120, env=aws_env(behind_nginx.berth),
        stdin=subprocess.DEVNULL)
    assert cli.returncode == 0, cli.stderr
    assert image.digest in cli.stdout

    # around the proxy, over plain HTTP, the same policy refuses
    with pytest.raises(ClientError) as denied:
        behind_nginx.berth.client().describe_images(repositoryName=repo)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
