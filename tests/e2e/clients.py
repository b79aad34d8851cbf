"""Real skopeo and podman, driven against a running berth over HTTP.

Every invocation goes through ``run_tool`` (captured output, a timeout, the command's
stderr in the failure message). Every credential a client presents comes from one
``RegistryAuth``, made by ``login``.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from berth.testing.tls import TlsFiles

DEFAULT_TIMEOUT = 120.0

# Accept headers for reading manifests back over HTTP.
MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])


class ToolFailed(AssertionError):
    def __init__(self, command: list[str], returncode: int, stdout: bytes, stderr: bytes
                 ) -> None:
        self.returncode = returncode
        self.stdout = stdout.decode(errors="replace")
        self.stderr = stderr.decode(errors="replace")
        super().__init__(
            f"{' '.join(command)!r} exited with {returncode}\n"
            f"--- stdout\n{self.stdout[-4000:]}\n--- stderr\n{self.stderr[-4000:]}")


def run_tool(command: list[str], env: dict[str, str] | None = None,
             timeout: float = DEFAULT_TIMEOUT) -> subprocess.CompletedProcess[bytes]:
    """Run a client command; raise ToolFailed (with its output) when it exits non-zero."""
    try:
        return subprocess.run(command, check=True, capture_output=True, timeout=timeout,
                              env=env, stdin=subprocess.DEVNULL)
    except subprocess.CalledProcessError as exc:
        raise ToolFailed(command, exc.returncode, exc.stdout, exc.stderr) from None


def require_tool(name: str) -> str:
    """The tool's path; skip the test when it is missing, but fail under CI=true."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is required under CI=true but is not on PATH")
        pytest.skip(f"{name} is not installed (not on PATH); its end-to-end tests are skipped")
    return path


def require_root(what: str) -> None:
    """Skip a test of a tool that needs root when not root, but fail under CI=true."""
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} needs root, which CI=true runs as")
        pytest.skip(f"{what} needs root; its end-to-end tests are skipped")


def unique_repo(prefix: str) -> str:
    return f"e2e/{prefix}-{uuid.uuid4().hex[:10]}"


# credentials


@dataclass(frozen=True)
class RegistryAuth:
    """What clients present to berth: an auth file for skopeo and podman, an httpx auth;
    and what they trust: for a server over TLS, a directory holding its authority's
    certificate (``--cert-dir``), else nothing (plain HTTP, ``--tls-verify=false``)."""

    authfile: Path
    cert_dir: Path | None = None
    password: str | None = None  # the GetAuthorizationToken password, user AWS

    @property
    def http_auth(self) -> httpx.Auth | None:
        return httpx.BasicAuth("AWS", self.password) if self.password is not None else None

    def tls_args(self, side: str = "") -> list[str]:
        """skopeo's and podman's TLS flags; ``side`` is ``src-`` or ``dest-`` for copy."""
        if self.cert_dir is None:
            return [f"--{side}tls-verify=false"]
        return [f"--{side}cert-dir", str(self.cert_dir)]


class Registry(Protocol):
    """Where clients reach berth: a ``BerthServer`` itself, or a proxy in front of one."""

    @property
    def host(self) -> str: ...

    @property
    def tls(self) -> TlsFiles | None: ...

    def password(self) -> str: ...


def login(server: Registry, directory: Path) -> RegistryAuth:
    """Credentials for ``server``, the one place tests log in: the ECR way, with the
    password GetAuthorizationToken gives, through ``skopeo login --password-stdin``;
    over TLS with verification on, trusting the server's test authority."""
    authfile = directory / "auth.json"
    cert_dir = None
    if server.tls is not None:  # containers tools read every *.crt there as an authority
        cert_dir = directory / "certs"
        cert_dir.mkdir()
        shutil.copy(server.tls.ca, cert_dir / "ca.crt")
    password = server.password()
    auth = RegistryAuth(authfile, cert_dir, password)
    skopeo = shutil.which("skopeo")
    if skopeo is not None:
        subprocess.run([skopeo, "login", "--authfile", str(authfile), *auth.tls_args(),
                        "--username", "AWS", "--password-stdin", server.host],
                       input=password.encode(), check=True, capture_output=True, timeout=60)
    else:
        token = base64.b64encode(f"AWS:{password}".encode()).decode()
        authfile.write_text(json.dumps({"auths": {server.host: {"auth": token}}}))
    return auth


# configuration shared by skopeo and podman


@dataclass(frozen=True)
class ContainersConfig:
    """A trust policy and registries.conf of our own, so the host's files do not matter."""

    directory: Path

    @classmethod
    def create(cls, directory: Path) -> ContainersConfig:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "policy.json").write_text(
            json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
        (directory / "registries.conf").write_text("unqualified-search-registries = []\n")
        return cls(directory)

    @property
    def policy(self) -> Path:
        return self.directory / "policy.json"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ,
                "CONTAINERS_REGISTRIES_CONF": str(self.directory / "registries.conf")}


# skopeo


@dataclass
class Skopeo:
    binary: str
    server: Registry
    auth: RegistryAuth
    config: ContainersConfig

    def run(self, *args: str, timeout: float = DEFAULT_TIMEOUT
            ) -> subprocess.CompletedProcess[bytes]:
        return run_tool([self.binary, "--policy", str(self.config.policy), *args],
                        env=self.config.env, timeout=timeout)

    def ref(self, repo: str, tag: str | None = None, digest: str | None = None) -> str:
        """``docker://`` reference to ``repo`` in berth, by tag or by digest."""
        suffix = f"@{digest}" if digest else f":{tag or 'latest'}"
        return f"docker://{self.server.host}/{repo}{suffix}"

    def copy(self, source: str, dest: str, *options: str, timeout: float = DEFAULT_TIMEOUT
             ) -> None:
        self.run("copy", "--quiet", "--authfile", str(self.auth.authfile),
                 *self.auth.tls_args("src-"), *self.auth.tls_args("dest-"), *options,
                 source, dest, timeout=timeout)

    def push(self, layout: Path, repo: str, tag: str = "latest", ref: str = "latest",
             *options: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Copy image ``ref`` of an OCI layout to ``repo:tag`` in berth, unchanged.

        ``--preserve-digests``: without it skopeo gzips uncompressed layers on the way to
        a registry, and the digests would no longer be the layout's.
        """
        self.copy(f"oci:{layout}:{ref}", self.ref(repo, tag), "--preserve-digests", *options,
                  timeout=timeout)

    def pull(self, repo: str, tag: str, layout: Path, ref: str = "latest", *options: str,
             timeout: float = DEFAULT_TIMEOUT) -> None:
        """Copy ``repo:tag`` from berth into image ``ref`` of an OCI layout, unchanged."""
        self.copy(self.ref(repo, tag), f"oci:{layout}:{ref}", "--preserve-digests", *options,
                  timeout=timeout)

    def inspect(self, ref: str, *options: str) -> dict[str, Any]:
        out = self.run("inspect", *self.auth.tls_args(), "--authfile", str(self.auth.authfile),
                       *options, ref)
        result: dict[str, Any] = json.loads(out.stdout)
        return result

    def inspect_raw(self, ref: str, *options: str) -> bytes:
        return self.run("inspect", "--raw", *self.auth.tls_args(),
                        "--authfile", str(self.auth.authfile), *options, ref).stdout

    def list_tags(self, repo: str) -> list[str]:
        out = self.run("list-tags", *self.auth.tls_args(), "--authfile", str(self.auth.authfile),
                       f"docker://{self.server.host}/{repo}")
        tags: list[str] = json.loads(out.stdout)["Tags"]
        return tags

    def delete(self, ref: str) -> None:
        self.run("delete", *self.auth.tls_args(), "--authfile", str(self.auth.authfile), ref)


# podman


@dataclass
class Podman:
    """podman with storage, run and config directories of its own (vfs: no mounts needed).

    It can pull and push here, not run containers.
    """

    binary: str
    server: Registry
    auth: RegistryAuth
    config: ContainersConfig
    base: Path
    env: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        for sub in ("root", "runroot", "tmp", "libpod-tmp", "networks", "volumes", "xdg"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        (self.base / "xdg").chmod(0o700)
        storage_conf = self.base / "storage.conf"
        storage_conf.write_text(
            '[storage]\ndriver = "vfs"\n'
            f'graphroot = "{self.base / "root"}"\nrunroot = "{self.base / "runroot"}"\n')
        self.env = {**self.config.env,
                    "CONTAINERS_STORAGE_CONF": str(storage_conf),
                    "XDG_RUNTIME_DIR": str(self.base / "xdg"),
                    "TMPDIR": str(self.base / "tmp")}

    def run(self, *args: str, timeout: float = DEFAULT_TIMEOUT
            ) -> subprocess.CompletedProcess[bytes]:
        return run_tool([
            self.binary,
            "--root", str(self.base / "root"), "--runroot", str(self.base / "runroot"),
            "--storage-driver", "vfs", "--tmpdir", str(self.base / "libpod-tmp"),
            "--network-config-dir", str(self.base / "networks"),
            "--volumepath", str(self.base / "volumes"), "--events-backend", "none",
            *args], env=self.env, timeout=timeout)

    def ref(self, repo: str, tag: str) -> str:
        return f"{self.server.host}/{repo}:{tag}"

    def pull(self, ref: str, *options: str) -> None:
        self.run("pull", "--quiet", *self.auth.tls_args(), "--authfile", str(self.auth.authfile),
                 "--signature-policy", str(self.config.policy), *options, ref)

    def push(self, ref: str, digestfile: Path, *options: str) -> str:
        """Push ``ref``; return the digest of the manifest podman pushed."""
        self.run("push", "--quiet", *self.auth.tls_args(), "--authfile", str(self.auth.authfile),
                 "--signature-policy", str(self.config.policy),
                 "--digestfile", str(digestfile), *options, ref)
        return digestfile.read_text().strip()

    def image(self, ref: str) -> dict[str, Any]:
        """``podman image inspect`` of one local image."""
        found = json.loads(self.run("image", "inspect", ref).stdout)
        assert len(found) == 1, found
        image: dict[str, Any] = found[0]
        return image

    def image_exists(self, ref: str) -> bool:
        try:
            self.run("image", "exists", ref)
        except ToolFailed as exc:
            if exc.returncode == 1:
                return False
            raise
        return True


# containerd


@dataclass
class Containerd:
    """containerd, the runtime under Kubernetes' kubelet and docker's image store, with a
    root, state and socket of its own, driven through ``ctr``. It needs root.

    Pulls unpack on the ``native`` snapshotter (plain copies, no mounts needed), which
    checks every layer against the config's ``diff_ids``.
    """

    binary: str
    ctr: str
    base: Path
    namespace: str = "berth-e2e"
    process: subprocess.Popen[bytes] | None = None

    @property
    def socket(self) -> Path:
        return self.base / "containerd.sock"

    def start(self, timeout: float = 30) -> None:
        config = self.base / "config.toml"
        config.write_text(
            'version = 2\n'
            f'root = "{self.base / "root"}"\nstate = "{self.base / "state"}"\n'
            'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
            f'[grpc]\n  address = "{self.socket}"\n'
            f'[ttrpc]\n  address = "{self.socket}.ttrpc"\n')
        log = self.base / "containerd.log"
        with open(log, "wb") as out:
            self.process = subprocess.Popen([self.binary, "--config", str(config)], stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"containerd exited: {log.read_text()[-4000:]}")
            if self.socket.exists() and subprocess.run(
                    [self.ctr, "--address", str(self.socket), "version"],
                    capture_output=True, timeout=10).returncode == 0:
                return
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"containerd did not start: {log.read_text()[-4000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def run(self, *args: str, timeout: float = DEFAULT_TIMEOUT
            ) -> subprocess.CompletedProcess[bytes]:
        return run_tool([self.ctr, "--address", str(self.socket), "--namespace",
                         self.namespace, *args], timeout=timeout)

    def registry_args(self, ref: str, auth: RegistryAuth) -> list[str]:
        """``ctr``'s credentials and transport for ``ref``'s registry: the login password,
        and plain HTTP, or a ``certs.d`` host entry naming the authority berth's certificate
        is checked against (ctr itself speaks plain HTTP to 127.0.0.1, as it does to
        localhost, unless a host entry says otherwise: the way nodes are set up)."""
        assert auth.password is not None
        user = ["--user", f"AWS:{auth.password}"]
        if auth.cert_dir is None:
            return [*user, "--plain-http"]
        host = ref.split("/", 1)[0]
        hosts_dir = self.base / "certs.d"
        (hosts_dir / host).mkdir(parents=True, exist_ok=True)
        (hosts_dir / host / "hosts.toml").write_text(
            f'server = "https://{host}"\n[host."https://{host}"]\n'
            f'  capabilities = ["pull", "resolve", "push"]\n'
            f'  ca = "{auth.cert_dir / "ca.crt"}"\n')
        return [*user, "--hosts-dir", str(hosts_dir)]

    def pull(self, ref: str, auth: RegistryAuth, *options: str) -> None:
        self.run("images", "pull", "--snapshotter", "native", *self.registry_args(ref, auth),
                 *options, ref)

    def push(self, ref: str, auth: RegistryAuth, *options: str) -> None:
        self.run("images", "push", *self.registry_args(ref, auth), *options, ref)

    def digest(self, ref: str) -> str:
        """The manifest (or index) digest containerd holds for ``ref``."""
        for line in self.run("images", "ls").stdout.decode().splitlines()[1:]:
            fields = line.split()
            if fields and fields[0] == ref:
                return fields[2]
        raise AssertionError(f"containerd has no image {ref}")
