"""Who is calling, on each plane: SigV4 on the ECR API, registry tokens on /v2/.

``Auth`` is built once by ``berth.app``. Refusals are errors from the registry in
``berth.errors``; nothing here logs a secret or a token.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from berth.auth import sessions, sigv4
from berth.auth import tokens as registry_tokens
from berth.auth.authorize import Authorizer
from berth.auth.credentials import Credentials
from berth.auth.keys import ServerKeys
from berth.auth.principals import Principal
from berth.clock import Clock
from berth.errors import BerthError, ExpiredToken, Unauthorized
from berth.forwarded import client_address
from berth.services.audit import AuditEvent

SIGNED_SERVICES = frozenset({"ecr", "sts", "iam"})


class SignatureRefused(BerthError):
    """A SigV4 failure, with AWS's own error name and status."""

    def __init__(self, error: sigv4.SigV4Error) -> None:
        super().__init__(error.message)
        self.ecr_exception = error.kind  # type: ignore[misc]
        self.ecr_status = error.status  # type: ignore[misc]


@dataclass(frozen=True)
class Auth:
    keys: ServerKeys
    credentials: Credentials
    clock: Clock
    region: str
    public_url: str
    authorizer: Authorizer

    # /v2/

    @property
    def challenge(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'Basic realm="{self.public_url}/",service="ecr.amazonaws.com"'}

    def registry_caller(self, authorization: str | None) -> Principal:
        """The principal of a ``Basic AWS:<token>`` header; Unauthorized otherwise."""
        if not authorization:
            raise Unauthorized("authentication required", headers=self.challenge)
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            raise Unauthorized("use Basic authentication with user AWS", headers=self.challenge)
        try:
            user, _, token = base64.b64decode(encoded.strip(), validate=True).decode().partition(
                ":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("malformed Basic credentials", headers=self.challenge) from None
        if user != "AWS":
            raise Unauthorized("the user name must be AWS", headers=self.challenge)
        try:
            return registry_tokens.verify(self.keys, token, self.clock.now())
        except registry_tokens.TokenInvalid as exc:
            raise Unauthorized(f"authorization token refused: {exc}",
                               headers=self.challenge) from None

    def issue_token(self, principal: Principal) -> registry_tokens.IssuedToken:
        return registry_tokens.issue(self.keys, principal, self.clock.now())

    def download_query(self, account_id: str, name: str, digest: str, seconds: int
                       ) -> dict[str, str]:
        """Query parameters that let anyone GET one blob for ``seconds``."""
        expires = str(int(self.clock.now()) + seconds)
        signature = self.keys.sign(_download_message(account_id, name, digest, expires))
        return {"X-Berth-Account": account_id, "X-Berth-Expires": expires,
                "X-Berth-Signature": base64.urlsafe_b64encode(signature).decode()}

    def download_allowed(self, account_id: str, name: str, digest: str,
                         query: Mapping[str, str]) -> bool:
        """Whether the query is a current download grant for exactly this blob."""
        expires = query.get("X-Berth-Expires", "")
        if query.get("X-Berth-Account") != account_id or not expires.isdigit():
            return False
        if int(expires) <= self.clock.now():
            return False
        try:
            signature = base64.urlsafe_b64decode(query.get("X-Berth-Signature", ""))
        except (binascii.Error, ValueError):
            return False
        return self.keys.check(_download_message(account_id, name, digest, expires), signature)

    # the ECR API (and STS)

    async def _signer(self, claim: sigv4.SignatureClaim) -> tuple[Principal, str]:
        """Who a claim's key belongs to, and its secret: a role session from its token,
        else a long-term key (which carries no session token)."""
        if claim.session_token is not None:
            try:
                return sessions.verify(self.keys, claim.access_key_id, claim.session_token,
                                       self.clock.now())
            except sessions.SessionExpired:
                raise ExpiredToken() from None
            except sessions.SessionInvalid:
                raise SignatureRefused(sigv4.unrecognized_client()) from None
        found = await self.credentials.lookup(claim.access_key_id)
        if found is None:
            raise SignatureRefused(sigv4.unrecognized_client())
        return found

    async def api_caller_of(self, scope: Mapping[str, Any], body: bytes) -> Principal:
        """``api_caller`` for an ASGI request and its body."""
        return await self.api_caller(signed_request(scope, body))

    async def api_caller(self, request: sigv4.IncomingRequest) -> Principal:
        """The principal whose key signed the request; AWS's errors otherwise."""
        try:
            claim = sigv4.parse_claim(request)
        except sigv4.SigV4Error as exc:
            raise SignatureRefused(exc) from None
        principal, secret = await self._signer(claim)
        now = datetime.fromtimestamp(self.clock.now(), UTC)
        try:
            sigv4.verify(request, claim, secret, now, region=self.region,
                         services=SIGNED_SERVICES)
        except sigv4.SigV4Error as exc:
            raise SignatureRefused(exc) from None
        return principal


def audit_event(scope: Mapping[str, Any], caller: Principal | None, *, event_name: str,
                source: str, request_id: str, resource_arn: str | None,
                recipient_account: str | None, read_only: bool,
                error: BerthError | None, error_code: str | None = None) -> AuditEvent:
    """An audit event of an ASGI request: who (when known), from where, what, and how it
    ended (``error_code`` overrides the error's AWS name, as /v2/ reports OCI codes)."""
    agent = next((v.decode("latin-1") for k, v in scope.get("headers", ())
                  if k == b"user-agent"), None)
    return AuditEvent(
        event_name=event_name, source=source,
        principal_arn=caller.arn if caller else None,
        account_id=caller.account_id if caller else None,
        access_key_id=caller.access_key_id if caller else None,
        source_ip=client_address(scope), user_agent=agent,
        request_id=request_id, resource_arn=resource_arn,
        recipient_account=recipient_account, read_only=read_only,
        error_code=error_code or (error.ecr_exception if error else None),
        error_message=error.message if error else None)


def request_context(scope: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """The global condition keys of an ASGI request."""
    context: dict[str, str | list[str]] = {
        "aws:SecureTransport": "true" if scope.get("scheme") == "https" else "false"}
    if (address := client_address(scope)) is not None:
        context["aws:SourceIp"] = address
    return context


def signed_request(scope: Mapping[str, Any], body: bytes) -> sigv4.IncomingRequest:
    """What SigV4 checks of an ASGI request: the raw path and query, the headers as
    received (latin-1, as sigv4 expects), and the body."""
    return sigv4.IncomingRequest(
        method=scope["method"], path=scope.get("raw_path", b"/").decode("latin-1"),
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
        body=body)


def _download_message(account_id: str, name: str, digest: str, expires: str) -> bytes:
    return f"download\n{account_id}\n{name}\n{digest}\n{expires}".encode()


