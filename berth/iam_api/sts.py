"""STS actions: who the caller is, and assuming a role."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from berth.auth import sessions
from berth.auth.gate import Auth
from berth.auth.principals import Principal
from berth.errors import AccessDenied, InvalidParameter

NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
MIN_SESSION, DEFAULT_SESSION = 900, 3600


async def get_caller_identity(auth: Auth, caller: Principal, form: dict[str, str]
                              ) -> dict[str, Any]:
    return {"Arn": caller.arn, "UserId": caller.user_id, "Account": caller.account_id}


async def assume_role(auth: Auth, caller: Principal, form: dict[str, str]) -> dict[str, Any]:
    """Temporary credentials of a role, when its trust policy (and, for a user, the
    caller's own policies) allow ``sts:AssumeRole``."""
    role_arn, session = form.get("RoleArn", ""), form.get("RoleSessionName", "")
    parts = role_arn.split(":")
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        raise InvalidParameter(f"{role_arn[:200]} is invalid")
    if not 2 <= len(session) <= 64:
        raise InvalidParameter("RoleSessionName must have length between 2 and 64")
    account, name = parts[4], parts[5].rsplit("/", 1)[1]
    role = await auth.credentials.store.get_role(account, name)
    duration = int(form.get("DurationSeconds") or DEFAULT_SESSION)
    if role is None or not MIN_SESSION <= duration <= role.max_session_seconds:
        raise AccessDenied(f"User: {caller.arn} is not authorized to perform: sts:AssumeRole "
                           f"on resource: {role_arn}")
    # A trust policy must always allow the caller (naming it, or delegating to its
    # account, whose own policies must then allow too): IAM's cross-account rule, which
    # a role applies even to its own account. Evaluating against no account gives that.
    decision = await auth.authorizer.decide(caller, "sts:AssumeRole", role_arn, "",
                                            role.trust_policy)
    if not decision.allowed:
        raise AccessDenied(f"User: {caller.arn} is not authorized to perform: sts:AssumeRole "
                           f"on resource: {role_arn}")
    issued = sessions.issue(auth.keys, account, name, role.role_id, session,
                            auth.clock.now() + duration)
    return {"Credentials": {"AccessKeyId": issued.access_key_id,
                            "SecretAccessKey": issued.secret_access_key,
                            "SessionToken": issued.session_token,
                            "Expiration": datetime.fromtimestamp(issued.expires_at, UTC)},
            "AssumedRoleUser": {"AssumedRoleId": f"{role.role_id}:{session}",
                                "Arn": f"arn:aws:sts::{account}:assumed-role/{name}/{session}"}}


ACTIONS = {"GetCallerIdentity": get_caller_identity, "AssumeRole": assume_role}
