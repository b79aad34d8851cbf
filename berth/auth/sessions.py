"""Temporary credentials of assumed roles, kept nowhere.

The session token is the signed claim (account, role, session, key id, expiry); the
secret key is derived from the key id with the server key. Verifying a call signed
with them needs no database and no stored secret, on any node that shares the key.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass

from berth.auth.keys import ServerKeys
from berth.auth.principals import Principal

_TOKEN_PREFIX = b"session\n"


class SessionInvalid(ValueError):
    """A session token berth did not issue, or one for another key."""


class SessionExpired(ValueError):
    """The session's credentials have expired."""


@dataclass(frozen=True, slots=True)
class SessionCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: float


def issue(keys: ServerKeys, account_id: str, role_name: str, role_id: str, session_name: str,
          expires_at: float) -> SessionCredentials:
    key_id = "ASIA" + base64.b32encode(secrets.token_bytes(10)).decode()[:16]
    claims = json.dumps({"a": account_id, "r": role_name, "i": role_id, "s": session_name,
                         "k": key_id, "e": int(expires_at)}, separators=(",", ":")).encode()
    token = f"{_b64(claims)}.{_b64(keys.sign(_TOKEN_PREFIX + claims))}"
    return SessionCredentials(key_id, secret_for(keys, key_id), token, float(int(expires_at)))


def secret_for(keys: ServerKeys, key_id: str) -> str:
    return base64.b64encode(keys.sign(b"session secret\n" + key_id.encode())[:30]).decode()


def verify(keys: ServerKeys, key_id: str, token: str, now: float) -> tuple[Principal, str]:
    """The role session a token names and its secret; SessionInvalid or SessionExpired."""
    encoded, _, signature = token.partition(".")
    try:
        claims_bytes = _unb64(encoded)
        genuine = keys.check(_TOKEN_PREFIX + claims_bytes, _unb64(signature))
    except (binascii.Error, ValueError):
        raise SessionInvalid("malformed session token") from None
    if not genuine:
        raise SessionInvalid("session token signature does not match")
    claims = json.loads(claims_bytes)
    if claims["k"] != key_id:
        raise SessionInvalid("session token belongs to another access key")
    if claims["e"] <= now:
        raise SessionExpired("session expired")
    principal = Principal(claims["a"], f"{claims['i']}:{claims['s']}", None, key_id,
                          role_name=claims["r"], session_name=claims["s"],
                          expires_at=float(claims["e"]))
    return principal, secret_for(keys, key_id)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
