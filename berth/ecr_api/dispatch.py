"""The ECR API endpoint: ``POST /`` with ``X-Amz-Target``, AWS JSON 1.1, SigV4.

Every call is authenticated, validated against botocore's model, handed to one
operation handler, and its result shaped by the model's output shape. Errors are
AWS's ``{"__type", "message"}`` body; every response carries ``x-amzn-RequestId``.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from berth.auth.gate import Auth, audit_event, request_context
from berth.ecr_api import model
from berth.ecr_api.call import Call
from berth.ecr_api.operations import HANDLERS
from berth.errors import BerthError, SerializationFailure, ServerError, UnknownOperation
from berth.errors import InvalidParameter as InvalidParameterError
from berth.policy.ecr_actions import repository_arn
from berth.services import Services
from berth.services.audit import DENIALS, AuditLog
from berth.streams import read_capped

log = logging.getLogger("berth.ecr_api")
JSON_11 = "application/x-amz-json-1.1"
MAX_BODY = 32 * 1024 * 1024  # UploadLayerPart carries up to 20 MiB, base64-encoded


async def read_body(request: Request) -> bytes:
    return await read_capped(request.stream(), MAX_BODY,
                             lambda: SerializationFailure("request body too large"))


READ_ONLY_PREFIXES = ("Describe", "List", "Get", "BatchGet", "BatchCheck")


async def handle(request: Request, target: str) -> Response:
    request_id = str(uuid.uuid4())
    seen: dict[str, Any] = {"operation": target.rpartition(".")[2]}
    try:
        result = await _call(request, target, seen)
    except BerthError as exc:
        _audit(request, seen, request_id, exc)
        return error_response(exc, request_id)
    except Exception:
        log.exception("ECR operation %s failed", target)
        return error_response(ServerError(), request_id)
    _audit(request, seen, request_id, None)
    return Response(json.dumps(result, separators=(",", ":")), media_type=JSON_11,
                    headers={"x-amzn-RequestId": request_id})


async def _call(request: Request, target: str, seen: dict[str, Any]) -> dict[str, Any]:
    services: Services = request.app.state.services
    auth: Auth = request.app.state.auth
    body = await read_body(request)
    caller = await auth.api_caller_of(request.scope, body)
    seen["caller"] = caller
    prefix, _, operation = target.partition(".")
    if prefix != model.target_prefix() or operation not in HANDLERS:
        raise UnknownOperation(f"Unknown operation {target[:200]}")
    try:
        raw = json.loads(body) if body.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise SerializationFailure("the request body is not valid JSON") from None
    try:
        params = model.validate_input(operation, raw)
    except model.SerializationError as exc:
        raise SerializationFailure(str(exc)) from None
    except model.InvalidParameter as exc:
        raise InvalidParameterError(ecr_message(exc)) from None
    call = Call(services, auth, caller, params)
    seen["target"] = _target(call)
    await _authorize(call, operation, request_context(request.scope))
    result = await HANDLERS[operation](call)
    account, repository = seen["target"]
    if operation in POLICY_CHANGES and repository:
        auth.authorizer.forget_repository(account, repository)
    if operation in REGISTRY_CHANGES:
        auth.authorizer.forget_registry(account)
    return model.shape_output(operation, result)


def _audit(request: Request, seen: dict[str, Any], request_id: str,
           error: BerthError | None) -> None:
    """Writes, logins and refusals go to the audit log; successful reads do not."""
    audit: AuditLog | None = getattr(request.app.state, "audit", None)
    operation = seen["operation"]
    read_only = operation.startswith(READ_ONLY_PREFIXES) and operation != \
        "GetAuthorizationToken"
    refused = error is not None and error.ecr_exception in DENIALS
    if audit is None or (read_only and not refused):
        return
    caller, target = seen.get("caller"), seen.get("target")
    account, repository = target if target else (None, None)
    region = request.app.state.services.region
    audit.record(audit_event(
        request.scope, caller, event_name=operation, source="ecr.amazonaws.com",
        request_id=request_id,
        resource_arn=repository_arn(region, account, repository)
        if account and repository else None,
        recipient_account=account, read_only=read_only, error=error))


REGISTRY_CHANGES = frozenset({"PutRegistryPolicy", "DeleteRegistryPolicy", "PutAccountSetting"})
# what the authorizer caches of a repository: its policy and its resource tags
POLICY_CHANGES = frozenset({"SetRepositoryPolicy", "DeleteRepositoryPolicy",
                            "DeleteRepository", "TagResource", "UntagResource"})


async def _authorize(call: Call, operation: str,
                     context: dict[str, str | list[str]]) -> None:
    """IAM's decision on ``ecr:<Operation>``, on the repository the call names (by name
    or ARN) or the registry; GetAuthorizationToken on every registry it names."""
    action = f"ecr:{operation}"
    authorizer = call.auth.authorizer
    tags = call.params.get("tags")
    if isinstance(tags, list):  # CreateRepository, TagResource
        for tag in tags:
            context[f"aws:RequestTag/{tag['Key']}"] = tag["Value"]
        context["aws:TagKeys"] = [tag["Key"] for tag in tags]
    elif isinstance(call.params.get("tagKeys"), list):  # UntagResource
        context["aws:TagKeys"] = list(call.params["tagKeys"])
    if operation == "GetAuthorizationToken":
        # an identity policy must allow it: no resource or registry policy can (ECR's rule)
        await authorizer.require(call.caller, action, "*", call.caller.account_id, None,
                                 context)
        return
    account, repository = _target(call)
    await authorizer.authorize(call.caller, action, account, repository, context)


def _target(call: Call) -> tuple[str, str | None]:
    arn = call.params.get("resourceArn")
    if isinstance(arn, str) and ":repository/" in arn:
        account = arn.split(":")[4] if arn.count(":") >= 5 else call.caller.account_id
        return account or call.caller.account_id, arn.split(":repository/", 1)[1]
    return call.registry(), call.params.get("repositoryName")


def ecr_message(exc: model.InvalidParameter) -> str:
    """ECR states one broken rule per error, in its own words."""
    first = exc.violations[0]
    return (f"Invalid parameter at '{first.path}' failed to satisfy constraint: "
            f"'{first.constraint}'")


def error_response(exc: BerthError, request_id: str) -> Response:
    body = {"__type": exc.ecr_exception, "message": exc.message}
    return Response(json.dumps(body), status_code=exc.ecr_status, media_type=JSON_11,
                    headers={"x-amzn-RequestId": request_id})
