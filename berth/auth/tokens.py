"""Registry tokens: what ``GetAuthorizationToken`` hands out and ``/v2/`` accepts.

A token is ``<payload>.<signature>``, both base64url: the payload names the
principal, its account and the expiry; the signature is an HMAC with the server's
token key. Checking one costs no database query. Tokens live 12 hours, as on ECR.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from berth.auth.keys import ServerKeys
from berth.auth.principals import Principal

TOKEN_LIFETIME = 12 * 3600


class TokenInvalid(ValueError):
    """Forged, malformed or expired."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: float


def issue(keys: ServerKeys, principal: Principal, now: float) -> IssuedToken:
    """A token for 12 hours, or until the caller's temporary credentials end."""
    expires = int(now) + TOKEN_LIFETIME
    if principal.expires_at is not None:
        expires = min(expires, int(principal.expires_at))
    payload = json.dumps({"a": principal.account_id, "u": principal.user_id,
                          "n": principal.user_name, "k": principal.access_key_id,
                          "r": principal.role_name, "s": principal.session_name,
                          "e": expires}, separators=(",", ":")).encode()
    token = f"{_b64(payload)}.{_b64(keys.sign(payload))}"
    return IssuedToken(token, float(expires))


def verify(keys: ServerKeys, token: str, now: float) -> Principal:
    """The principal a token was issued to; TokenInvalid unless genuine and current."""
    encoded, _, signature = token.partition(".")
    try:
        payload = _unb64(encoded)
        genuine = keys.check(payload, _unb64(signature))
    except (binascii.Error, ValueError):
        raise TokenInvalid("malformed token") from None
    if not genuine:
        raise TokenInvalid("token signature does not match")
    claims = json.loads(payload)
    if claims["e"] <= now:
        raise TokenInvalid("token expired")
    return Principal(claims["a"], claims["u"], claims["n"], claims["k"],
                     role_name=claims.get("r"), session_name=claims.get("s"),
                     expires_at=float(claims["e"]) if claims.get("r") else None)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
