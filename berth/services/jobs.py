"""The worker that runs queued jobs, one at a time per process.

Every server process runs one; several processes and nodes share the queue through
the database. A failed job is retried with exponential backoff; after the last
attempt its kind's ``give_up`` records the failure where users will see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from berth.clock import Clock
from berth.storage.meta import Job
from berth.storage.meta.jobs import SqlJobQueue

log = logging.getLogger("berth.jobs")

Handler = Callable[[Job], Awaitable[None]]
GiveUp = Callable[[Job, str], Awaitable[None]]


@dataclass(frozen=True)
class Kind:
    run: Handler
    give_up: GiveUp | None = None
    attempts: int = 5


class Worker:
    def __init__(self, queue: SqlJobQueue, clock: Clock, kinds: Mapping[str, Kind],
                 idle: float = 0.5, lease: float = 600.0) -> None:
        self.queue = queue
        self.clock = clock
        self.kinds = dict(kinds)
        self.idle = idle
        self.lease = lease  # a job not reported back within it is claimed again
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for work now rather than at the next poll."""
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            try:
                busy = await self.run_once()
            except Exception:  # the database went away for a moment, say
                log.exception("job worker: cannot claim a job")
                busy = False
            if not busy:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle)

    async def run_once(self) -> bool:
        """Claim and run one due job; False when there was none."""
        now = self.clock.now()
        job = await self.queue.claim(self.kinds, now, self.lease)
        if job is None:
            return False
        kind = self.kinds[job.kind]
        try:
            await kind.run(job)
        except Exception as exc:
            await self._failed(job, kind, exc)
        else:
            await self.queue.complete(job)
        return True

    async def _failed(self, job: Job, kind: Kind, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        log.warning("job %s %s failed (attempt %d): %s\n%s", job.kind, job.key, job.attempts,
                    error, traceback.format_exc(limit=5))
        if job.attempts < kind.attempts:
            await self.queue.retry(job, self.clock.now() + 5.0 * 2 ** job.attempts, error)
            return
        if kind.give_up is not None:
            await kind.give_up(job, error)
        await self.queue.complete(job)
