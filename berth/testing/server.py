"""A real berth server in a subprocess on a free 127.0.0.1 port, always stopped after use."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from berth.testing.tls import TlsFiles


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def registry_password(ecr: Any) -> str:
    """The /v2/ password a GetAuthorizationToken call of the ``ecr`` client gives (its
    token is base64 of ``AWS:<password>``), as ``get-login-password`` prints it."""
    data = ecr.get_authorization_token()["authorizationData"][0]
    return base64.b64decode(data["authorizationToken"]).decode().split(":", 1)[1]


def new_root_key() -> tuple[str, str]:
    return ("AKIA" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30))


class PortTaken(RuntimeError):
    """The port free_port found was taken before the server could listen on it."""


@dataclass
class BerthServer:
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    workers: int = 1
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    root_key: tuple[str, str] = field(default_factory=new_root_key)
    account_id: str = field(default_factory=lambda: str(secrets.randbelow(9 * 10**11) + 10**11))
    region: str = "us-east-1"
    tls: TlsFiles | None = None  # serve HTTPS with this certificate; clients trust its CA

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}"

    @property
    def settings_env(self) -> dict[str, str]:
        """The BERTH_* settings of this server, for commands run beside it."""
        return {"BERTH_ROOT_ACCESS_KEY_ID": self.root_key[0],
                "BERTH_ROOT_SECRET_ACCESS_KEY": self.root_key[1],
                "BERTH_ACCOUNT_ID": self.account_id, "BERTH_REGION": self.region,
                "BERTH_DATA_DIR": str(self.data_dir), "BERTH_LOG_LEVEL": "warning",
                **({"BERTH_TLS_CERT": str(self.tls.cert), "BERTH_TLS_KEY": str(self.tls.key)}
                   if self.tls else {}),
                **self.env}

    def start(self, timeout: float = 30) -> None:
        """Start the server; another process may have taken the free port meanwhile
        (berth then refuses it), so a few other ports are tried."""
        for _ in range(3):
            try:
                return self._start(timeout)
            except PortTaken:
                self.port = free_port()
        self._start(timeout)

    def _start(self, timeout: float) -> None:
        env = {**os.environ, **self.settings_env}
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir.parent / f"berth-{self.port}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "berth", "serve", "--data-dir", str(self.data_dir),
             "--listen", self.host, "--workers", str(self.workers)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        context = ssl.create_default_context(cafile=str(self.tls.ca)) if self.tls else None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                said = Path(log.name).read_text(errors="replace")
                if self.process.returncode == 2 and "cannot listen on" in said:
                    raise PortTaken(self.host)
                raise RuntimeError(f"berth exited with {self.process.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{self.url}/v2/", timeout=1, context=context):
                    return
            except urllib.error.HTTPError:
                return  # 401: up and asking for credentials
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"berth did not answer on {self.url} within {timeout}s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 15)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, 9)
            self.process.wait(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.start()

    # clients

    def client(self, service: str = "ecr", key: tuple[str, str] | None = None) -> Any:
        """A boto3 client signed with the root key (or ``key``) of the server."""
        import boto3

        access_key, secret = key or self.root_key
        return boto3.client(service, endpoint_url=self.url, region_name=self.region,
                            aws_access_key_id=access_key, aws_secret_access_key=secret,
                            verify=str(self.tls.ca) if self.tls else None)

    def password(self) -> str:
        """A registry password from GetAuthorizationToken, as ``get-login-password`` prints."""
        return registry_password(self.client())

    def open_for_tests(self) -> None:
        """Let pushes create repositories (a ROOT CREATE_ON_PUSH template) and mounts work."""
        ecr = self.client()
        ecr.create_repository_creation_template(prefix="ROOT", appliedFor=["CREATE_ON_PUSH"])
        ecr.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")


@contextlib.contextmanager
def running_berth(data_dir: Path, env: dict[str, str] | None = None, workers: int = 1,
                  open_for_tests: bool = True) -> Iterator[BerthServer]:
    """A started server; unless told otherwise, opened for tests (see ``open_for_tests``)."""
    server = BerthServer(data_dir, env or {}, workers)
    server.start()
    if open_for_tests:
        try:
            server.open_for_tests()
        except Exception:
            server.stop()
            raise
    try:
        yield server
    finally:
        server.stop()
