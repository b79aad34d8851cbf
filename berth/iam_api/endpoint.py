"""``POST /`` without ``X-Amz-Target``: STS and IAM over the query protocol."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from berth.auth.gate import Auth, audit_event
from berth.errors import BerthError, InvalidParameter, ServerError
from berth.iam_api import iam, query, sts
from berth.services.audit import DENIALS, AuditLog

log = logging.getLogger("berth.iam_api")


async def handle(request: Request) -> Response:
    request_id = query.new_request_id()
    namespace = iam.NAMESPACE
    seen: dict[str, Any] = {}
    try:
        body, form = await query.read_form(request)
        action = form.get("Action", "")
        auth: Auth = request.app.state.auth
        seen["action"] = action
        caller = await auth.api_caller_of(request.scope, body)
        seen["caller"] = caller
        if action in sts.ACTIONS:
            namespace = sts.NAMESPACE
            result = await sts.ACTIONS[action](auth, caller, form)
        else:
            handler = iam.IamActions(auth.credentials).actions().get(action)
            if handler is None:
                raise InvalidParameter(f"Could not find operation {action[:100]}")
            result = await handler(caller, form)
        _audit(request, seen, request_id, None)
        return query.answer(namespace, action, result, request_id)
    except BerthError as exc:
        _audit(request, seen, request_id, exc)
        return query.error(namespace, exc, request_id)
    except Exception:
        log.exception("query API call failed")
        return query.error(namespace, ServerError(), request_id)


def _audit(request: Request, seen: dict[str, Any], request_id: str,
           error: BerthError | None) -> None:
    """IAM writes and refusals go to the audit log; reads and STS identity checks do not."""
    audit: AuditLog | None = getattr(request.app.state, "audit", None)
    action = seen.get("action", "")
    read_only = action.startswith(("Get", "List"))
    if audit is None or not action or (read_only and (error is None
                                                      or error.ecr_exception not in DENIALS)):
        return
    caller = seen.get("caller")
    audit.record(audit_event(
        request.scope, caller, event_name=action, source="iam.amazonaws.com",
        request_id=request_id, resource_arn=None,
        recipient_account=caller.account_id if caller else None, read_only=read_only,
        error=error))
