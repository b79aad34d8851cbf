"""Repository and registry policies: set, get, delete, validated by the policy engine.

SetRepositoryPolicy keeps ECR's lock-out guard: a policy that would stop the caller
from setting the repository's policy again is refused unless ``force`` is given.
"""

from __future__ import annotations

from typing import Any

from berth.ecr_api.call import Call
from berth.errors import InvalidParameter, RegistryPolicyNotFound, RepositoryPolicyNotFound
from berth.policy import PolicyError, parse
from berth.policy.document import ECR_POLICY_MAX_CHARS
from berth.policy.ecr_actions import repository_arn


def _checked(text: str) -> str:
    try:
        parse(text, "resource", max_chars=ECR_POLICY_MAX_CHARS)
    except PolicyError as exc:
        raise InvalidParameter("Invalid parameter at 'PolicyText' failed to satisfy constraint: "
                               f"'Invalid repository policy provided: {exc.message}'") from None
    return text


async def set_repository_policy(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    text = _checked(call.params["policyText"])
    if not call.params.get("force"):
        arn = repository_arn(call.region, repo.account_id, repo.name)
        decision = await call.auth.authorizer.decide(
            call.caller, "ecr:SetRepositoryPolicy", arn, repo.account_id, text)
        if not decision.allowed:
            raise InvalidParameter(
                "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'The policy "
                "would prevent you from setting a repository policy on this repository in the "
                "future; use force to set it anyway'")
    await call.services.meta.set_repository_policy(repo.id, text)
    return {"registryId": repo.account_id, "repositoryName": repo.name, "policyText": text}


async def get_repository_policy(call: Call) -> dict[str, Any]:
    repo = await call.repository()
    text = await call.services.meta.repository_policy(repo.id)
    if text is None:
        raise RepositoryPolicyNotFound(
            f"Repository policy does not exist for the repository with name '{repo.name}' in "
            f"the registry with id '{repo.account_id}'")
    return {"registryId": repo.account_id, "repositoryName": repo.name, "policyText": text}


async def delete_repository_policy(call: Call) -> dict[str, Any]:
    answer = await get_repository_policy(call)
    repo = await call.repository()
    await call.services.meta.set_repository_policy(repo.id, None)
    return answer


async def put_registry_policy(call: Call) -> dict[str, Any]:
    account = call.registry()
    text = _checked(call.params["policyText"])
    await call.services.meta.set_registry_policy(account, text)
    return {"registryId": account, "policyText": text}


async def get_registry_policy(call: Call) -> dict[str, Any]:
    account = call.registry()
    text = await call.services.meta.registry_policy(account)
    if text is None:
        raise RegistryPolicyNotFound(
            f"Registry policy does not exist in the registry with id '{account}'")
    return {"registryId": account, "policyText": text}


async def delete_registry_policy(call: Call) -> dict[str, Any]:
    answer = await get_registry_policy(call)
    await call.services.meta.set_registry_policy(answer["registryId"], None)
    return answer
