"""The single authorize() step: IAM's decision on a caller, an action and a resource.

Identity policies are the caller's inline and attached managed policies (an
account root needs none in its own account); the resource policy is the
repository's. The engine itself (``berth.policy``) is pure; this module only
fetches the documents it needs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from berth.auth.principals import Principal
from berth.errors import AccessDenied
from berth.policy import AccessRequest, Decision, Policy, PolicyError, evaluate, parse
from berth.policy.document import PolicyKind
from berth.policy.ecr_actions import repository_arn
from berth.policy.managed import managed_policy, managed_policy_name
from berth.storage.meta.identity import SqlIdentityStore

CACHE_SECONDS = 5.0  # a policy change reaches every node within this, as IAM's own lag


class _Ttl:
    """A small time-bounded cache; policies change rarely and are read on every request.
    Concurrent misses of one key share one load."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[Any, tuple[float, Any]] = {}
        self._loading: dict[Any, asyncio.Task[Any]] = {}

    async def get(self, key: Any, load: Callable[[], Awaitable[Any]]) -> Any:
        hit = self._entries.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.seconds:
            return hit[1]
        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(load())
            self._loading[key] = task
            task.add_done_callback(lambda _: self._loading.pop(key, None))
        value = await asyncio.shield(task)
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key] = (time.monotonic(), value)
        return value

    def forget(self, key: Any) -> None:
        self._entries.pop(key, None)


class Authorizer:
    def __init__(self, identity: SqlIdentityStore,
                 repository_policy: Callable[[str, str], Awaitable[str | None]],
                 region: str,
                 repository_tags: Callable[[str, str], Awaitable[dict[str, str]]] | None = None,
                 registry_policy: Callable[[str], Awaitable[str | None]] | None = None
                 ) -> None:
        self.identity = identity
        self._repository_policy = repository_policy
        self._repository_tags = repository_tags
        self._registry_policy = registry_policy
        self._registries = _Ttl(CACHE_SECONDS)
        self.region = region
        self._identities = _Ttl(CACHE_SECONDS)
        self._repositories = _Ttl(CACHE_SECONDS)
        self._tags = _Ttl(CACHE_SECONDS)

    async def authorize(self, caller: Principal, action: str, account_id: str,
                        repository: str | None,
                        context: Mapping[str, str | list[str]] | None = None) -> None:
        """AccessDenied unless IAM's logic allows ``caller`` the action on the repository
        (or on the registry, when ``repository`` is None). ``context`` holds the request's
        condition keys (aws:SourceIp, aws:SecureTransport, aws:RequestTag/..., ...); the
        repository's resource tags and the time are added here."""
        resource = repository_arn(self.region, account_id, repository or "*")
        policy = None if repository is None else await self._repositories.get(
            (account_id, repository), lambda: self._repository_policy(account_id, repository))
        registry = await self._registry(account_id)
        if caller.is_root and caller.account_id == account_id and policy is registry is None:
            return  # a root in its own account, and no resource policy that could deny
        combined = _combined(policy, registry)
        keys = dict(context or {})
        now = datetime.now(UTC)
        keys.setdefault("aws:CurrentTime", now.strftime("%Y-%m-%dT%H:%M:%SZ"))
        keys.setdefault("aws:EpochTime", str(int(now.timestamp())))
        if repository is not None and self._repository_tags is not None:
            load_tags = self._repository_tags
            tags = await self._tags.get((account_id, repository),
                                        lambda: load_tags(account_id, repository))
            for key, value in tags.items():
                keys[f"aws:ResourceTag/{key}"] = keys[f"ecr:ResourceTag/{key}"] = value
        await self.require(caller, action, resource, account_id, combined, keys)

    async def _registry(self, account_id: str) -> str | None:
        """The registry policy that applies to every action (scope V2), if any."""
        load = self._registry_policy
        if load is None:
            return None
        found: str | None = await self._registries.get(account_id, lambda: load(account_id))
        return found

    def forget_registry(self, account_id: str) -> None:
        self._registries.forget(account_id)

    def forget_repository(self, account_id: str, repository: str) -> None:
        self._repositories.forget((account_id, repository))
        self._tags.forget((account_id, repository))


    async def identity_policies(self, caller: Principal) -> list[tuple[str, Policy]]:
        if caller.is_root:
            return []
        key = (caller.account_id, caller.user_name, caller.role_name)
        found: list[tuple[str, Policy]] = await self._identities.get(
            key, lambda: self._load_identity(caller))
        return found

    async def _load_identity(self, caller: Principal) -> list[tuple[str, Policy]]:
        store, account = self.identity, caller.account_id
        if caller.role_name is not None:
            inline = await store.role_policies(account, caller.role_name)
            attached = await store.attached_role_policies(account, caller.role_name)
        else:
            assert caller.user_name is not None
            inline = await store.user_policies(account, caller.user_name)
            attached = await store.attached_policies(account, caller.user_name)
        found = [(f"inline:{name}", _parsed(text, "identity")) for name, text in inline.items()]
        for arn in attached:
            name = managed_policy_name(arn)
            if name is not None:
                found.append((f"managed:{name}", managed_policy(name)))
        return found

    async def decide(self, caller: Principal, action: str, resource: str,
                     resource_account: str, resource_policy: str | Policy | None,
                     context: Mapping[str, str | list[str]] | None = None) -> Decision:
        request = AccessRequest(
            principal_arn=caller.arn, principal_account=caller.account_id,
            principal_kind=caller.kind, action=action,  # type: ignore[arg-type]
            resource=resource, resource_account=resource_account, role_arn=caller.role_arn,
            context=dict(context or {}))
        if isinstance(resource_policy, str):
            resource_policy = _parsed(resource_policy, "resource")
        policy = None if resource_policy is None else ("resource", resource_policy)
        return evaluate(request, await self.identity_policies(caller), policy)

    async def require(self, caller: Principal, action: str, resource: str,
                      resource_account: str, resource_policy: str | Policy | None,
                      context: Mapping[str, str | list[str]] | None = None) -> None:
        decision = await self.decide(caller, action, resource, resource_account,
                                     resource_policy, context)
        if not decision.allowed:
            raise AccessDenied(denial_message(caller, action, resource, decision))


def denial_message(caller: Principal, action: str, resource: str, decision: Decision) -> str:
    """AWS's wording: who, which action, which resource, and why."""
    if decision.reason == "explicit-deny" and decision.deciding:
        why = f"with an explicit deny in a {decision.deciding[0].kind}-based policy"
    elif decision.reason == "cross-account-needs-both":
        why = "because no resource-based policy allows the " + action + " action"
    else:
        why = "because no identity-based policy allows the " + action + " action"
    return (f"User: {caller.arn} is not authorized to perform: {action} on resource: "
            f"{resource} {why}")


def _combined(repository: str | None, registry: str | None) -> Policy | None:
    """The repository's and the registry's policies as one resource policy: a statement
    of either can allow, and a Deny in either wins."""
    parts = [_parsed(text, "resource") for text in (repository, registry) if text is not None]
    if not parts:
        return None
    statements = tuple(s for part in parts for s in part.statements)
    version = "2012-10-17" if any(p.version == "2012-10-17" for p in parts) else parts[0].version
    return Policy(version=version, statements=statements)


def _parsed(text: str, kind: PolicyKind) -> Policy:
    try:
        return parse(text, kind)
    except PolicyError:
        # A stored policy was valid when stored; one that no longer parses grants nothing.
        return Policy(version="2012-10-17", statements=())
