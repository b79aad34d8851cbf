"""Lifecycle policies of repositories: storing them, previewing them, applying them.

The preview and the run call the same pure ``berth.lifecycle.evaluate``; the run
then acts on its decisions: ``expire`` deletes the image, ``transition`` moves it to
the archive storage class.
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
from berth.policy.ecr_actions import repository_arn
from berth.services.archive import Archive
from berth.services.audit import AuditEvent
from berth.storage.meta import (
    ImageFactsRecord,
    Job,
    MetaStore,
    NewJob,
    PreviewRecord,
    Repository,
)
from berth.storage.meta.jobs import SqlJobQueue

LIFECYCLE_JOB = "lifecycle"


@dataclass(frozen=True)
class RunReport:
    expired: list[Decision]
    archived: list[Decision]


def parse(text: str) -> LifecyclePolicy:
    try:
        return parse_policy(text)
    except LifecyclePolicyError as exc:
        raise InvalidParameter(f"Invalid parameter at 'LifecyclePolicyText' failed to satisfy "
                               f"constraint: '{exc}'") from None


def _facts(record: ImageFactsRecord) -> ImageFacts:
    return ImageFacts(digest=record.digest, tags=record.tags, pushed_at=record.pushed_at,
                      last_pulled_at=record.last_pulled_at,
                      storage_class="ARCHIVE" if record.image_status == "ARCHIVED"
                      else "ACTIVE",
                      last_archived_at=record.last_archived_at,
                      last_activated_at=record.last_activated_at,
                      listed_by_index=record.listed_by_index,
                      subject_digest=record.subject_digest)


class Lifecycle:
    def __init__(self, meta: MetaStore, clock: Clock, archive: Archive, jobs: SqlJobQueue
                 ) -> None:
        self.meta = meta
        self.clock = clock
        self.archive = archive
        self.jobs = jobs

    async def put(self, repo: Repository, text: str) -> None:
        parse(text)
        await self.meta.set_lifecycle_policy(repo.id, text, self.clock.now())

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
        """Apply the stored policy now: expire and archive what it says. Idempotent."""
        text, _ = await self.get(repo)
        found, _ = await self.decisions(repo, parse(text))
        expired, archived = [], []
        for decision in found:
            if decision.action == "expire":
                if await self.meta.delete_manifest(repo.id, decision.digest):
                    expired.append(decision)
            elif await self.archive.archive(repo, decision.digest):
                archived.append(decision)
        await self.meta.lifecycle_evaluated(repo.id, self.clock.now())
        return RunReport(expired, archived)


    async def schedule(self, interval: float) -> int:
        """Queue a run for every repository whose policy is due (not evaluated for
        ``interval`` seconds); how many were queued. Every node may call this: a
        repository has one pending run at most."""
        now = self.clock.now()
        due = await self.meta.lifecycle_due(now - interval, 1000)
        await self.jobs.enqueue([NewJob(LIFECYCLE_JOB, str(repo.id), {
            "account": repo.account_id, "repository": repo.name, "id": repo.id}, now)
            for repo in due], now)
        return len(due)

    async def run_job(self, job: Job) -> tuple[Repository, RunReport] | None:
        """A scheduled run; None when the repository or its policy is gone since."""
        repo = await self.meta.get_repository(job.payload["account"], job.payload["repository"])
        if repo is None or repo.id != job.payload["id"]:
            return None
        if await self.meta.lifecycle_policy(repo.id) is None:
            return None
        return repo, await self.run(repo)


def _result(decision: Decision, record: ImageFactsRecord) -> dict[str, Any]:
    return {"digest": decision.digest, "tags": list(record.tags),
            "pushed_at": record.pushed_at, "rule": decision.rule_priority,
            "action": decision.action, "target": decision.target_storage_class,
            "reason": decision.reason}


def audit_events(repo: Repository, report: RunReport, region: str, request_id: str
                 ) -> list[AuditEvent]:
    """What a run did, as ECR reports it to CloudTrail: one PolicyExecutionEvent per
    image expired or archived, naming the rule."""
    arn = repository_arn(region, repo.account_id, repo.name)
    return [AuditEvent(
        event_name="PolicyExecutionEvent", source="ecr.amazonaws.com", principal_arn=None,
        account_id=None, access_key_id=None, source_ip=None, user_agent=None,
        request_id=request_id, resource_arn=arn, recipient_account=repo.account_id,
        read_only=False, details={
            "action": "EXPIRE" if d in report.expired else "TRANSITION",
            "imageDigest": d.digest, "rulePriority": d.rule_priority,
            "repositoryName": repo.name})
        for d in [*report.expired, *report.archived]]
