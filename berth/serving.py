"""Running the ASGI app under Granian (chosen by measurement; see the README)."""

from __future__ import annotations

from pathlib import Path

from granian.constants import HTTPModes, Interfaces, Loops, SSLProtocols
from granian.log import LogLevels
from granian.server import Server

from berth.config import Settings


def run(settings: Settings) -> None:
    Server(
        "berth.app:worker_app",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        loop=Loops.uvloop,
        factory=True,
        log_level=LogLevels(settings.log_level.lower()),
        backlog=2048,
        # HTTP/2 delivers uploads in 16 KiB frames, each a trip into Python: 2-3x slower
        # pushes (README, "Why Granian and Starlette")
        http=HTTPModes.http1,
        ssl_cert=Path(settings.tls_cert) if settings.tls_cert else None,
        ssl_key=Path(settings.tls_key) if settings.tls_key else None,
        # TLS 1.2 too, as ECR's endpoints take: older docker and containerd builds need it
        ssl_protocol_min=SSLProtocols.tls12,
    ).serve()
