"""Online garbage collection: blobs no manifest needs any more, and abandoned uploads.

It runs while pushes and pulls go on. One pass (docs/gc.md has the invariants and
the interleavings considered):

1. trash a crashed pass left behind goes back in place when its row still exists,
   and is purged otherwise;
2. upload sessions untouched for ``grace`` seconds are dropped with their bytes, and
   so are upload files that have no session;
3. repository links older than ``grace`` that no manifest of their repository uses
   are removed (a layer pushed without its manifest is kept that long);
4. blob files that have no row (a crash between placing a file and committing its
   row) get one, unlinked, so that step 5 collects them;
5. blobs that no link reaches and no manifest references are marked by an
   anti-join, and each batch is deleted by ``MetaStore.delete_blobs``, which checks
   again under row locks and moves the files to the trash before it commits; the
   trash is purged after the commit.

A dry run makes the same reads and changes nothing. Only one pass at a time runs
across processes and nodes (``MetaStore.gc_lock``); abandoned uploads are also
swept on their own, more often, by ``sweep_uploads``. With ``duty`` below 1 a pass
rests after each batch, so that it works at most that fraction of its time and
leaves the rest of the machine to the requests (a server's online passes do).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from berth.clock import Clock
from berth.oci.digest import Digest
from berth.storage.blobs import BlobMissing, BlobStore
from berth.storage.meta import MetaStore, StoredBlob

BATCH = 500
Progress = Callable[[str, int], None]
"""Told the stage running and how many items it has handled so far."""


@dataclass(frozen=True, slots=True)
class GcReport:
    """What a pass did, or with ``dry_run`` would do. ``ran`` is False when another
    process or node held the collector lock, and then nothing was done."""

    dry_run: bool
    ran: bool
    duration: float
    blobs_deleted: int = 0
    blob_bytes: int = 0
    orphan_files: int = 0      # blob files without a row; counted in blobs_deleted too
    blobs_kept: int = 0        # marked, then found referenced or busy under the lock
    links_removed: int = 0
    uploads_removed: int = 0
    upload_bytes: int = 0
    trash_restored: int = 0
    trash_purged: int = 0


def _quiet(stage: str, done: int) -> None:
    return None


class _Pass:
    """One pass's counts, mode and pace."""

    def __init__(self, dry: bool, progress: Progress, duty: float) -> None:
        self.dry = dry
        self.tally: Counter[str] = Counter()
        self.progress = progress
        self.duty = duty
        self.started = self.mark = time.monotonic()

    async def step(self, stage: str, done: int) -> None:
        """Report a batch done; then rest ``(1 - duty) / duty`` times as long as it took."""
        self.progress(stage, done)
        if self.duty < 1:
            await asyncio.sleep((time.monotonic() - self.mark) * (1 - self.duty) / self.duty)
        self.mark = time.monotonic()

    def report(self, ran: bool = True) -> GcReport:
        return GcReport(dry_run=self.dry, ran=ran, duration=time.monotonic() - self.started,
                        **self.tally)


class Gc:
    def __init__(self, meta: MetaStore, store: BlobStore, clock: Clock, grace_seconds: float,
                 batch: int = BATCH, duty: float = 1.0) -> None:
        self.meta = meta
        self.store = store
        self.clock = clock
        self.grace = grace_seconds
        self.batch = batch
        self.duty = duty

    async def run(self, dry_run: bool = False, progress: Progress | None = None) -> GcReport:
        """One full pass; see the module's docstring. Idempotent; safe to interrupt
        at any point (the next pass finishes the work)."""
        work = _Pass(dry_run, progress or _quiet, self.duty)
        if dry_run:  # reads only: no lock needed
            await self._pass(work)
            return work.report()
        async with self.meta.gc_lock() as mine:
            if mine:
                await self._pass(work)
        return work.report(mine)

    async def recover(self) -> GcReport:
        """Only step 1, as a server does when it starts."""
        work = _Pass(False, _quiet, self.duty)
        async with self.meta.gc_lock() as mine:
            if mine:
                await self._recover(work)
        return work.report(mine)

    async def sweep_uploads(self) -> GcReport:
        """Only step 2; needs no lock (dropping a session twice is harmless)."""
        work = _Pass(False, _quiet, self.duty)
        await self._expire_uploads(work)
        return work.report()

    async def _pass(self, work: _Pass) -> None:
        await self._recover(work)
        await self._expire_uploads(work)
        await self._prune_links(work)
        await self._adopt_orphans(work)
        await self._sweep(work)

    # 1. the trash

    async def _recover(self, work: _Pass) -> None:
        trashed = await self.store.trashed()
        for start in range(0, len(trashed), self.batch):
            batch = trashed[start:start + self.batch]
            present = await self.meta.blobs_present([str(d) for d in batch])
            back = [d for d in batch if str(d) in present]
            gone = [d for d in batch if str(d) not in present]
            if not work.dry:
                await self.store.restore(back)
                await self.store.purge(gone)
            work.tally["trash_restored"] += len(back)
            work.tally["trash_purged"] += len(gone)
            await work.step("recovering the trash", start + len(batch))

    # 2. uploads

    async def _expire_uploads(self, work: _Pass) -> None:
        cutoff = self.clock.now() - self.grace
        while True:
            # a dry run deletes nothing, so it must read every expired session at once
            stale = await self.meta.expired_uploads(cutoff, 10**6 if work.dry else self.batch)
            for upload in stale:
                await self._drop_upload(upload.id, work)
            await work.step("expiring abandoned uploads", work.tally["uploads_removed"])
            if work.dry or len(stale) < self.batch:
                break
        # Sessions get their row before their file, so a file without a row is an orphan
        # (or one that its finished upload has just renamed: then it is gone already).
        for upload_id in await self.store.upload_ids():
            if await self.meta.get_upload(upload_id) is None:
                await self._drop_upload(upload_id, work, orphan=True)

    async def _drop_upload(self, upload_id: str, work: _Pass, orphan: bool = False) -> None:
        try:
            size = await self.store.upload_size(upload_id)
        except BlobMissing:
            if orphan:
                return
            size = 0
        if not work.dry:
            await self.store.delete_upload(upload_id)
            await self.meta.delete_upload(upload_id)
        work.tally["uploads_removed"] += 1
        work.tally["upload_bytes"] += size

    # 3. links

    async def _prune_links(self, work: _Pass) -> None:
        cutoff = self.clock.now() - self.grace
        prunable = await self.meta.count_prunable_links(cutoff)
        if work.dry:
            work.tally["links_removed"] = prunable
            return
        # At most what was there when the stage began: links made meanwhile are the
        # next pass's, so a pass always ends (however its clock relates to the links').
        while work.tally["links_removed"] < prunable:
            removed = await self.meta.prune_links(
                cutoff, min(self.batch, prunable - work.tally["links_removed"]))
            if not removed:
                break
            work.tally["links_removed"] += removed
            await work.step("removing unused repository links", work.tally["links_removed"])

    # 4. files without rows

    async def _adopt_orphans(self, work: _Pass) -> None:
        seen = 0
        async for listed in self.store.stored_blobs(max(self.batch, 1000)):
            # A range read per sorted batch; a row it misses only makes a file look
            # orphaned, and adopting a file whose row exists does nothing.
            present = await self.meta.blobs_between(str(listed[0]), str(listed[-1]))
            orphans = [await self._sized(d) for d in listed if str(d) not in present]
            seen += len(listed)
            if orphans and work.dry:
                work.tally["orphan_files"] += len(orphans)
                work.tally["blobs_deleted"] += len(orphans)
                work.tally["blob_bytes"] += sum(blob.size for blob in orphans)
            elif orphans:
                adopted = await self.meta.adopt_blobs(orphans, self.clock.now())
                work.tally["orphan_files"] += len(adopted)
            await work.step("looking for files without a blob row", seen)

    async def _sized(self, digest: Digest) -> StoredBlob:
        return StoredBlob(str(digest), await self.store.stat(digest) or 0)

    # 5. blobs

    async def _sweep(self, work: _Pass) -> None:
        # A dry run has not removed the old links, so it looks past them.
        linked_since = self.clock.now() - self.grace if work.dry else None
        after = None
        while marked := await self.meta.unreferenced_blobs(after, self.batch, linked_since):
            after = marked[-1].digest
            gone = marked if work.dry else await self._delete(marked)
            work.tally["blobs_deleted"] += len(gone)
            work.tally["blob_bytes"] += sum(blob.size for blob in gone)
            work.tally["blobs_kept"] += len(marked) - len(gone)
            await work.step("deleting unreferenced blobs", work.tally["blobs_deleted"])
            if len(marked) < self.batch:
                break

    async def _delete(self, marked: Sequence[StoredBlob]) -> list[StoredBlob]:
        """Delete a batch; the files go to the trash inside the transaction and are
        purged after it commits. When it fails, the files come back at once."""
        digests = [blob.digest for blob in marked]
        try:
            gone = await self.meta.delete_blobs(digests, self._discard)
        except BaseException:
            await self.store.restore([Digest.parse(d) for d in digests])
            raise
        await self.store.purge([Digest.parse(blob.digest) for blob in gone])
        return gone

    async def _discard(self, digests: list[str]) -> None:
        await self.store.discard([Digest.parse(d) for d in digests])
