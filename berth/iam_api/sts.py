"""STS over the AWS query protocol: form-encoded ``Action=...`` in, XML out.

``GetCallerIdentity`` tells a SigV4-signed caller who it is, so that
``aws sts get-caller-identity --endpoint-url`` works against berth.
"""

from __future__ import annotations

import logging
import uuid
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response

from berth.auth.gate import Auth
from berth.auth.principals import Principal
from berth.auth.sigv4 import IncomingRequest
from berth.errors import BerthError, InvalidParameter, ServerError

log = logging.getLogger("berth.sts")
NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
MAX_BODY = 64 * 1024


async def handle(request: Request) -> Response:
    request_id = str(uuid.uuid4())
    try:
        body = await _read(request)
        auth: Auth = request.app.state.auth
        caller = await auth.api_caller(IncomingRequest(
            method=request.method, path=request.scope.get("raw_path", b"/").decode("latin-1"),
            query=request.scope.get("query_string", b"").decode("latin-1"),
            headers=[(k.decode("latin-1"), v.decode("latin-1"))
                     for k, v in request.scope["headers"]],
            body=body))
        form = parse_qs(body.decode("utf-8", "replace"))
        action = (form.get("Action") or [""])[0]
        if action != "GetCallerIdentity":
            raise InvalidParameter(f"Could not find operation {action[:100]} for version "
                                   "2011-06-15")
        return _xml(_caller_identity(caller, request_id), 200, request_id)
    except BerthError as exc:
        return _error(exc, request_id)
    except Exception:
        log.exception("STS call failed")
        return _error(ServerError(), request_id)


async def _read(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY:
            raise InvalidParameter("request body too large")
    return bytes(body)


def _caller_identity(caller: Principal, request_id: str) -> str:
    return (f'<GetCallerIdentityResponse xmlns="{NAMESPACE}"><GetCallerIdentityResult>'
            f"<Arn>{escape(caller.arn)}</Arn><UserId>{escape(caller.user_id)}</UserId>"
            f"<Account>{caller.account_id}</Account></GetCallerIdentityResult>"
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
            "</GetCallerIdentityResponse>")


def _error(exc: BerthError, request_id: str) -> Response:
    code = {"UnrecognizedClientException": "InvalidClientTokenId",
            "InvalidSignatureException": "SignatureDoesNotMatch"}.get(
                exc.ecr_exception, exc.ecr_exception.removesuffix("Exception"))
    kind = "Receiver" if exc.ecr_status >= 500 else "Sender"
    body = (f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{kind}</Type>'
            f"<Code>{escape(code)}</Code><Message>{escape(exc.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>")
    return _xml(body, exc.ecr_status, request_id)


def _xml(body: str, status: int, request_id: str) -> Response:
    return Response(body, status_code=status, media_type="text/xml",
                    headers={"x-amzn-RequestId": request_id})
