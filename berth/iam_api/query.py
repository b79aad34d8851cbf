"""The AWS query protocol, shared by STS and IAM: signed form posts in, XML out."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response

from berth.errors import BerthError, InvalidParameter
from berth.streams import read_capped

MAX_BODY = 256 * 1024
_CODES = {"UnrecognizedClientException": "InvalidClientTokenId",
          "InvalidSignatureException": "SignatureDoesNotMatch",
          "AccessDeniedException": "AccessDenied",
          "InvalidParameterException": "ValidationError"}


async def read_form(request: Request) -> tuple[bytes, dict[str, str]]:
    body = await read_capped(request.stream(), MAX_BODY,
                             lambda: InvalidParameter("request body too large"))
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"),
                                         keep_blank_values=True).items()}
    return body, form


def to_xml(value: Any) -> str:
    """Elements for a result: dicts become child elements, lists ``<member>`` items,
    datetimes ISO 8601, booleans ``true``/``false``."""
    if isinstance(value, Mapping):
        return "".join(f"<{k}>{to_xml(v)}</{k}>" for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return "".join(f"<member>{to_xml(v)}</member>" for v in value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def answer(namespace: str, action: str, result: Mapping[str, Any] | None,
           request_id: str) -> Response:
    inner = f"<{action}Result>{to_xml(result)}</{action}Result>" if result is not None else ""
    body = (f'<{action}Response xmlns="{namespace}">{inner}<ResponseMetadata>'
            f"<RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>")
    return _xml(body, 200, request_id)


def error(namespace: str, exc: BerthError, request_id: str) -> Response:
    code = _CODES.get(exc.ecr_exception, exc.ecr_exception.removesuffix("Exception"))
    kind = "Receiver" if exc.ecr_status >= 500 else "Sender"
    body = (f'<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type>'
            f"<Code>{escape(code)}</Code><Message>{escape(exc.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>")
    return _xml(body, exc.ecr_status, request_id)


def new_request_id() -> str:
    return str(uuid.uuid4())


def _xml(body: str, status: int, request_id: str) -> Response:
    return Response(body, status_code=status, media_type="text/xml",
                    headers={"x-amzn-RequestId": request_id})
