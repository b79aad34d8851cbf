"""The job queue: durable background work that several workers and nodes share.

A job is a row; a worker claims one by writing a lease (owner, expiry) on it in one
statement, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so claimers never wait on each
other (SQLite has one writer at a time, which serialises claims by itself). A worker
that dies just lets its lease lapse, and the job is claimed again. Handlers must be
idempotent: a job can run more than once.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Sequence

from sqlalchemy import delete, func, select, update

from berth.storage.meta import Job, NewJob
from berth.storage.meta.schema import jobs
from berth.storage.meta.sql import SqlBase


class SqlJobQueue(SqlBase):
    async def enqueue(self, new: Sequence[NewJob], now: float) -> None:
        """Queue jobs; one already pending for the same (kind, key) stays as it is."""
        async with self._write() as conn:
            await self.queue_jobs(conn, new, now)

    async def claim(self, kinds: Collection[str], now: float, lease: float) -> Job | None:
        """The oldest due job of ``kinds`` nobody holds, now held by a new owner until
        ``now + lease``; None when there is none."""
        available = select(jobs.c.id).where(
            jobs.c.kind.in_(list(kinds)), jobs.c.run_at <= now,
            jobs.c.lease_until.is_(None) | (jobs.c.lease_until < now))
        # Idle workers poll: a plain read first, so polling never takes SQLite's write lock.
        async with self._read() as conn:
            if (await conn.execute(available.limit(1))).first() is None:
                return None
        due = (available.order_by(jobs.c.run_at, jobs.c.id).limit(1)
               .with_for_update(skip_locked=True).scalar_subquery())
        owner = secrets.token_hex(8)
        stmt = (update(jobs).where(jobs.c.id == due)
                .values(lease_owner=owner, lease_until=now + lease,
                        attempts=jobs.c.attempts + 1)
                .returning(jobs.c.id, jobs.c.kind, jobs.c.key, jobs.c.payload,
                           jobs.c.attempts))
        async with self._write() as conn:
            row = (await conn.execute(stmt)).first()
        if row is None:
            return None
        return Job(row.id, row.kind, row.key, json.loads(row.payload), row.attempts,
                   owner, now + lease)

    async def complete(self, job: Job) -> bool:
        """Remove a finished job; False when the lease was lost to another worker."""
        async with self._write() as conn:
            result = await conn.execute(delete(jobs).where(
                jobs.c.id == job.id, jobs.c.lease_owner == job.lease_owner))
        return bool(result.rowcount)

    async def retry(self, job: Job, at: float, error: str) -> bool:
        """Release the job to run again at ``at``, noting why it failed."""
        async with self._write() as conn:
            result = await conn.execute(update(jobs).where(
                jobs.c.id == job.id, jobs.c.lease_owner == job.lease_owner,
            ).values(lease_owner=None, lease_until=None, run_at=at, last_error=error[:2000]))
        return bool(result.rowcount)

    async def pending(self, kind: str | None = None) -> int:
        """How many jobs (of ``kind``) are queued or running."""
        query = select(func.count()).select_from(jobs)
        if kind is not None:
            query = query.where(jobs.c.kind == kind)
        async with self._read() as conn:
            return int((await conn.execute(query)).scalar_one())
