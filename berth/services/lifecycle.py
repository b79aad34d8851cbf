"""Lifecycle policies of repositories: storing them, previewing them, applying them.

The preview and the run call the same pure ``berth.lifecycle.evaluate``; the run
then acts on its decisions. berth has no archive tier yet, so ``transition``
decisions are reported by the preview and left undone by a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from berth.clock import Clock
from berth.errors import (
    InvalidParameter,
    LifecyclePolicyNotFound,
    LifecyclePolicyPreviewNotFound,
)
from berth.lifecycle.evaluate import Decision, ImageFacts, evaluate
from berth.lifecycle.policy import LifecyclePolicy, LifecyclePolicyError, parse_policy
from berth.storage.meta import ImageFactsRecord, MetaStore, PreviewRecord, Repository


@dataclass(frozen=True)
class RunReport:
    expired: list[Decision]
    not_applied: list[Decision]  # transitions: no archive tier yet


def parse(text: str) -> LifecyclePolicy:
    try:
        return parse_policy(text)
    except LifecyclePolicyError as exc:
        raise InvalidParameter(f"Invalid parameter at 'LifecyclePolicyText' failed to satisfy "
                               f"constraint: '{exc}'") from None


def _facts(record: ImageFactsRecord) -> ImageFacts:
    return ImageFacts(digest=record.digest, tags=record.tags, pushed_at=record.pushed_at,
                      last_pulled_at=record.last_pulled_at,
                      listed_by_index=record.listed_by_index,
                      subject_digest=record.subject_digest)


class Lifecycle:
    def __init__(self, meta: MetaStore, clock: Clock) -> None:
        self.meta = meta
        self.clock = clock

    async def put(self, repo: Repository, text: str) -> None:
        parse(text)
        await self.meta.set_lifecycle_policy(repo.id, text)

    async def get(self, repo: Repository) -> tuple[str, float | None]:
        found = await self.meta.lifecycle_policy(repo.id)
        if found is None:
            raise LifecyclePolicyNotFound(
                f"Lifecycle policy does not exist for the repository with name '{repo.name}' "
                f"in the registry with id '{repo.account_id}'")
        return found

    async def delete(self, repo: Repository) -> tuple[str, float | None]:
        found = await self.get(repo)
        await self.meta.set_lifecycle_policy(repo.id, None)
        return found

    async def decisions(self, repo: Repository, policy: LifecyclePolicy
                        ) -> tuple[list[Decision], dict[str, ImageFactsRecord]]:
        records = {r.digest: r for r in await self.meta.image_facts(repo.id)}
        found = evaluate(policy, [_facts(r) for r in records.values()], self.clock.now())
        return found, records

    async def start_preview(self, repo: Repository, text: str | None) -> PreviewRecord:
        """Evaluate ``text`` (or the stored policy) without acting, and keep the result."""
        if text is None:
            text, _ = await self.get(repo)
        found, records = await self.decisions(repo, parse(text))
        results = [_result(d, records[d.digest]) for d in found]
        preview = PreviewRecord("COMPLETE", text, results, self.clock.now())
        await self.meta.put_lifecycle_preview(repo.id, preview)
        return preview

    async def preview(self, repo: Repository) -> PreviewRecord:
        found = await self.meta.lifecycle_preview(repo.id)
        if found is None:
            raise LifecyclePolicyPreviewNotFound(
                f"There is no lifecycle policy preview for the repository with name "
                f"'{repo.name}' in the registry with id '{repo.account_id}'")
        return found

    async def repositories_with_policy(self, account_id: str) -> list[str]:
        names, after = [], None
        while True:
            page = await self.meta.describe_repositories(account_id, None, after, 500)
            for repo in page:
                if await self.meta.lifecycle_policy(repo.id) is not None:
                    names.append(repo.name)
            if len(page) < 500:
                return names
            after = page[-1].name

    async def run(self, repo: Repository) -> RunReport:
        """Apply the stored policy now: expire what it expires."""
        text, _ = await self.get(repo)
        found, _ = await self.decisions(repo, parse(text))
        expired = [d for d in found if d.action == "expire"]
        for decision in expired:
            await self.meta.delete_manifest(repo.id, decision.digest)
        await self.meta.lifecycle_evaluated(repo.id, self.clock.now())
        return RunReport(expired, [d for d in found if d.action != "expire"])


def _result(decision: Decision, record: ImageFactsRecord) -> dict[str, Any]:
    return {"digest": decision.digest, "tags": list(record.tags),
            "pushed_at": record.pushed_at, "rule": decision.rule_priority,
            "action": decision.action, "target": decision.target_storage_class,
            "reason": decision.reason}
