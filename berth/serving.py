"""Running the ASGI app under Granian (chosen by measurement; see the README)."""

from __future__ import annotations

from granian.constants import Interfaces, Loops
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
    ).serve()
