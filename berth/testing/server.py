"""A real berth server in a subprocess on a free 127.0.0.1 port, always stopped after use."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class BerthServer:
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    workers: int = 1
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def start(self, timeout: float = 30) -> None:
        env = {**os.environ, **self.env}
        log = open(self.data_dir.parent / f"berth-{self.port}.log", "ab")  # noqa: SIM115
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "berth", "serve", "--data-dir", str(self.data_dir),
             "--listen", self.host, "--workers", str(self.workers)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"berth exited with {self.process.returncode}; see {log.name}")
            with contextlib.suppress(OSError), urllib.request.urlopen(
                    f"{self.url}/v2/", timeout=1):
                return
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


@contextlib.contextmanager
def running_berth(data_dir: Path, env: dict[str, str] | None = None, workers: int = 1
                  ) -> Iterator[BerthServer]:
    server = BerthServer(data_dir, env or {}, workers)
    server.start()
    try:
        yield server
    finally:
        server.stop()
