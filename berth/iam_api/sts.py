"""STS actions: who the caller is."""

from __future__ import annotations

from typing import Any

from berth.auth.principals import Principal

NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"


async def get_caller_identity(caller: Principal, form: dict[str, str]) -> dict[str, Any]:
    return {"Arn": caller.arn, "UserId": caller.user_id, "Account": caller.account_id}


ACTIONS = {"GetCallerIdentity": get_caller_identity}
