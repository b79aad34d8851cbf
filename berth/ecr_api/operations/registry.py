"""Registry operations: login tokens, the registry itself, account settings."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

from berth.ecr_api import shapes
from berth.ecr_api.call import Call, encode_token
from berth.errors import (
    ExclusionAlreadyExists,
    ExclusionNotFound,
    InvalidParameter,
    LimitExceeded,
)

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


MAX_PULL_TIME_EXCLUSIONS = 100


async def register_pull_time_update_exclusion(call: Call) -> dict[str, Any]:
    account, arn = call.registry(), call.params["principalArn"]
    meta = call.services.meta
    if len(await meta.pull_time_exclusions(account)) >= MAX_PULL_TIME_EXCLUSIONS:
        raise LimitExceeded(f"an account can have at most {MAX_PULL_TIME_EXCLUSIONS} "
                            "pull time update exclusions")
    if not await meta.set_pull_time_exclusion(account, arn, call.auth.clock.now()):
        raise ExclusionAlreadyExists(f"The principal {arn} is already excluded")
    return {"principalArn": arn,
            "createdAt": (await meta.pull_time_exclusions(account))[arn]}


async def deregister_pull_time_update_exclusion(call: Call) -> dict[str, Any]:
    arn = call.params["principalArn"]
    if not await call.services.meta.set_pull_time_exclusion(call.registry(), arn, None):
        raise ExclusionNotFound(f"The principal {arn} is not excluded")
    return {"principalArn": arn}


async def list_pull_time_update_exclusions(call: Call) -> dict[str, Any]:
    after, limit = call.page(100)
    arns = [a for a in await call.services.meta.pull_time_exclusions(call.registry())
            if after is None or a > after]
    out: dict[str, Any] = {"pullTimeUpdateExclusions": arns[:limit]}
    if len(arns) > limit:
        out["nextToken"] = encode_token(arns[limit - 1])
    return out
