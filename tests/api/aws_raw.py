"""Calls to berth's AWS endpoint that bypass boto3's client-side validation.

Requests are signed with botocore's own ``SigV4Auth`` (so the signature is what a real
SDK sends) and sent with httpx; the body, the target and the signing time are whatever
the test says, however wrong.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from unittest import mock

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from berth.ecr_api import model
from berth.testing.server import BerthServer

JSON_11 = "application/x-amz-json-1.1"

# AWS's errors common to every JSON service (not declared by operations in the model).
COMMON_ERRORS = frozenset({
    "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
    "IncompleteSignatureException", "MissingAuthenticationTokenException",
    "ExpiredTokenException", "UnknownOperationException", "SerializationException",
    "ValidationException", "ThrottlingException",
})


def target(operation: str) -> str:
    return f"{model.target_prefix()}.{operation}"


def signed_headers(server: BerthServer, body: bytes, headers: dict[str, str], *,
                   key: tuple[str, str] | None = None, when: datetime | None = None,
                   service: str = "ecr", region: str | None = None,
                   session_token: str | None = None) -> dict[str, str]:
    """The headers of a POST / with ``body``, signed as botocore signs them.

    ``when`` (naive UTC, as botocore uses) signs the request at another moment;
    ``service``, ``region`` and ``session_token`` change the credential scope.
    """
    access_key, secret = key or server.root_key
    request = AWSRequest(method="POST", url=f"{server.url}/", data=body, headers=headers)
    signer = SigV4Auth(Credentials(access_key, secret, session_token), service,
                       region or server.region)
    if when is None:
        signer.add_auth(request)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=when):
            signer.add_auth(request)
    return dict(request.headers.items())


def call(server: BerthServer, operation: str, params: Any = None, *,
         raw_body: bytes | None = None, target_header: str | None = None,
         key: tuple[str, str] | None = None, when: datetime | None = None,
         **scope: str) -> httpx.Response:
    """``operation`` with ``params`` (any JSON value) or ``raw_body``, signed and sent;
    ``scope``: ``service``, ``region`` or ``session_token`` for the signature."""
    body = raw_body if raw_body is not None else json.dumps(
        {} if params is None else params).encode()
    headers = {"Content-Type": JSON_11, "X-Amz-Target": target_header or target(operation)}
    signed = signed_headers(server, body, headers, key=key, when=when, **scope)
    return httpx.post(f"{server.url}/", content=body, headers=signed, timeout=60)


def error_type(response: httpx.Response) -> str:
    """The ``__type`` of an AWS JSON error, without a ``namespace#`` prefix."""
    assert response.status_code >= 400, (response.status_code, response.text)
    return str(response.json()["__type"]).rpartition("#")[2]
