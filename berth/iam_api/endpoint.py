"""``POST /`` without ``X-Amz-Target``: STS and IAM over the query protocol."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from berth.auth.gate import Auth
from berth.errors import BerthError, InvalidParameter, ServerError
from berth.iam_api import iam, query, sts

log = logging.getLogger("berth.iam_api")


async def handle(request: Request) -> Response:
    request_id = query.new_request_id()
    namespace = iam.NAMESPACE
    try:
        body, form = await query.read_form(request)
        action = form.get("Action", "")
        auth: Auth = request.app.state.auth
        caller = await auth.api_caller_of(request.scope, body)
        if action in sts.ACTIONS:
            namespace = sts.NAMESPACE
            result = await sts.ACTIONS[action](caller, form)
        else:
            handler = iam.IamActions(auth.credentials).actions().get(action)
            if handler is None:
                raise InvalidParameter(f"Could not find operation {action[:100]}")
            result = await handler(caller, form)
        return query.answer(namespace, action, result, request_id)
    except BerthError as exc:
        return query.error(namespace, exc, request_id)
    except Exception:
        log.exception("query API call failed")
        return query.error(namespace, ServerError(), request_id)
