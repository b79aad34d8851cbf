"""The archive storage class: images kept, listed and described, but not pullable.

ECR moves archived images to cheaper storage and restores them within minutes. berth
keeps the bytes where they are (they stay content-addressed and shared), so archiving
is a status change; a restore passes through ACTIVATING as a durable job, as on ECR,
so clients that wait for ACTIVE see the same states.
"""

from __future__ import annotations

from berth.clock import Clock
from berth.errors import ImageStorageClassUpdateNotSupported
from berth.storage.meta import Job, ManifestRecord, MetaStore, NewJob, Repository
from berth.storage.meta.jobs import SqlJobQueue

ACTIVATE_JOB = "activate"
ACTIVE, ARCHIVED, ACTIVATING = "ACTIVE", "ARCHIVED", "ACTIVATING"


class Archive:
    def __init__(self, meta: MetaStore, jobs: SqlJobQueue, clock: Clock) -> None:
        self.meta = meta
        self.jobs = jobs
        self.clock = clock

    async def update_storage_class(self, repo: Repository, record: ManifestRecord,
                                   target: str) -> str:
        """UpdateImageStorageClass; the image's status afterwards. Asking for the class
        the image is already in (or moving to) changes nothing."""
        if target == "ARCHIVE":
            if record.image_status == ACTIVATING:
                raise ImageStorageClassUpdateNotSupported(
                    "The image is being restored from the archive; archive it again once "
                    "it is ACTIVE.")
            if record.image_status == ACTIVE:
                await self.archive(repo, record.digest)
            return ARCHIVED
        if record.image_status == ARCHIVED:
            await self.restore(repo, record.digest)
            return ACTIVATING
        return record.image_status

    async def archive(self, repo: Repository, digest: str) -> bool:
        return await self.meta.set_image_status(repo.id, digest, [ACTIVE], ARCHIVED,
                                                self.clock.now())

    async def restore(self, repo: Repository, digest: str) -> None:
        now = self.clock.now()
        if await self.meta.set_image_status(repo.id, digest, [ARCHIVED], ACTIVATING, now):
            await self.jobs.enqueue([NewJob(ACTIVATE_JOB, f"{repo.id}:{digest}",
                                            {"repository_id": repo.id, "digest": digest},
                                            now)], now)

    async def activate(self, job: Job) -> None:
        """The restore job: the image is ACTIVE again. Idempotent."""
        await self.meta.set_image_status(job.payload["repository_id"], job.payload["digest"],
                                         [ACTIVATING], ACTIVE, self.clock.now())
