"""The single authorize() step: IAM's decision on a caller, an action and a resource.

Identity policies are the caller's inline and attached managed policies (an
account root needs none in its own account); the resource policy is the
repository's. The engine itself (``berth.policy``) is pure; this module only
fetches the documents it needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from berth.auth.principals import Principal
from berth.errors import AccessDenied
from berth.policy import AccessRequest, Decision, Policy, PolicyError, evaluate, parse
from berth.policy.document import PolicyKind
from berth.policy.managed import managed_policy, managed_policy_name
from berth.storage.meta.identity import SqlIdentityStore


@dataclass(frozen=True)
class Authorizer:
    identity: SqlIdentityStore

    async def identity_policies(self, caller: Principal) -> list[tuple[str, Policy]]:
        if caller.user_name is None:
            return []
        inline = await self.identity.user_policies(caller.account_id, caller.user_name)
        found = [(f"inline:{name}", _parsed(text, "identity")) for name, text in inline.items()]
        for arn in await self.identity.attached_policies(caller.account_id, caller.user_name):
            name = managed_policy_name(arn)
            if name is not None:
                found.append((f"managed:{name}", managed_policy(name)))
        return found

    async def decide(self, caller: Principal, action: str, resource: str,
                     resource_account: str, resource_policy: str | None) -> Decision:
        request = AccessRequest(
            principal_arn=caller.arn, principal_account=caller.account_id,
            principal_kind="root" if caller.is_root else "user", action=action,
            resource=resource, resource_account=resource_account)
        policy = None if resource_policy is None else ("resource",
                                                        _parsed(resource_policy, "resource"))
        return evaluate(request, await self.identity_policies(caller), policy)

    async def require(self, caller: Principal, action: str, resource: str,
                      resource_account: str, resource_policy: str | None) -> None:
        decision = await self.decide(caller, action, resource, resource_account,
                                     resource_policy)
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


def _parsed(text: str, kind: PolicyKind) -> Policy:
    try:
        return parse(text, kind)
    except PolicyError:
        # A stored policy was valid when stored; one that no longer parses grants nothing.
        return Policy(version="2012-10-17", statements=())
