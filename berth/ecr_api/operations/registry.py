"""Registry operations: login tokens, the registry itself, account settings."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

from berth.ecr_api import shapes
from berth.ecr_api.call import Call
from berth.errors import InvalidParameter

# ECR's account settings, their allowed values, and the value an account starts with.
ACCOUNT_SETTINGS: dict[str, tuple[tuple[str, ...], str]] = {
    "BASIC_SCAN_TYPE_VERSION": (("AWS_NATIVE", "CLAIR"), "AWS_NATIVE"),
    "REGISTRY_POLICY_SCOPE": (("V1", "V2"), "V2"),
    "BLOB_MOUNTING": (("ENABLED", "DISABLED"), "DISABLED"),
}


async def get_authorization_token(call: Call) -> dict[str, Any]:
    accounts = call.params.get("registryIds") or [call.caller.account_id]
    issued = call.auth.issue_token(call.caller)
    password = base64.b64encode(f"AWS:{issued.token}".encode()).decode()
    scheme = urlsplit(call.services.public_url).scheme or "http"
    s = call.services
    return {"authorizationData": [
        {"authorizationToken": password, "expiresAt": issued.expires_at,
         "proxyEndpoint": f"{scheme}://"
                          f"{shapes.registry_host(s.public_url, s.default_account, a, s.region)}"}
        for a in accounts]}


async def describe_registry(call: Call) -> dict[str, Any]:
    return {"registryId": call.registry(), "replicationConfiguration": {"rules": []}}


def _setting(name: str) -> tuple[tuple[str, ...], str]:
    if name not in ACCOUNT_SETTINGS:
        raise InvalidParameter(f"Invalid parameter at 'name': unknown account setting '{name}'; "
                               f"use one of {', '.join(ACCOUNT_SETTINGS)}")
    return ACCOUNT_SETTINGS[name]


async def get_account_setting(call: Call) -> dict[str, Any]:
    name = call.params["name"]
    _, default = _setting(name)
    stored = await call.services.meta.account_settings(call.caller.account_id)
    return {"name": name, "value": stored.get(name, default)}


async def put_account_setting(call: Call) -> dict[str, Any]:
    name, value = call.params["name"], call.params["value"]
    allowed, _ = _setting(name)
    if value not in allowed:
        raise InvalidParameter(f"Invalid parameter at 'value': '{value}' is not a value of "
                               f"{name}; use one of {', '.join(allowed)}")
    await call.services.meta.put_account_setting(call.caller.account_id, name, value)
    return {"name": name, "value": value}
