"""Rendering for /v2/: the spec's error body, and blob bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from berth.errors import BerthError

API_VERSION = ("Docker-Distribution-API-Version", "registry/2.0")
JSON = "application/json"


def oci_error(exc: BerthError) -> Response:
    headers = {API_VERSION[0]: API_VERSION[1], **exc.headers}
    return Response(json.dumps(exc.oci_body()), status_code=exc.status, headers=headers,
                    media_type=JSON)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None,
                  media_type: str = JSON) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status_code=status,
                    headers={API_VERSION[0]: API_VERSION[1], **(headers or {})},
                    media_type=media_type)


def empty(status: int, headers: dict[str, str] | None = None) -> Response:
    all_headers = {API_VERSION[0]: API_VERSION[1], "Content-Length": "0", **(headers or {})}
    return Response(b"", status_code=status, headers=all_headers)


class BlobResponse(Response):
    """A blob body, streamed from the store in bounded chunks; HEAD sends none.

    Not Granian's path-send extension: it is no sendfile but a loop of 128 KiB reads,
    each a hop to a thread of its own, and measured slower than the store's 1 MiB
    reads (README, "Why Granian and Starlette")."""

    def __init__(self, status: int, headers: dict[str, str],
                 stream: Callable[[], AsyncIterator[bytes | bytearray]], head: bool) -> None:
        self.status_code = status
        self.body = b""
        self.background = None
        self.init_headers({API_VERSION[0]: API_VERSION[1], **headers})
        self._stream = stream
        self._head = head

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        if self._head:
            await send({"type": "http.response.body", "body": b""})
            return
        async for chunk in self._stream():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
