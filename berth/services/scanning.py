"""Vulnerability scanning of images: on push, on demand, and as advisories change.

A scan is a durable job. Scan on push queues it in the transaction that stores the
manifest; ``start`` queues it with the image's new status; an advisory database
import queues one job that finds the images whose stored inventory holds an affected
package and queues rescans for those only. Rescans match the stored inventory again
and never re-read layers.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from berth.clock import Clock, epoch_of
from berth.errors import (
    ImageArchived,
    LimitExceeded,
    ManifestUnknown,
    ScanNotFound,
    UnsupportedImageType,
)
from berth.oci.manifest import Manifest, ManifestError, parse_manifest
from berth.scan.inventory import squash
from berth.scan.model import Inventory
from berth.scan.sbom import cyclonedx
from berth.scan.vulndb import VulnDb, VulnDbHome, changed_keys
from berth.services import scan_runner as runner
from berth.services.scan_config import (
    BASIC,
    ENHANCED,
    Applied,
    Rule,
    ScanningConfig,
    applied,
    validate,
)
from berth.storage.blobs import BlobStore
from berth.storage.meta import Job, ManifestRecord, NewJob, Repository, ScanStart
from berth.storage.meta.jobs import SqlJobQueue
from berth.storage.meta.scans import ImageRef, ScanRecord, ScanResult, SqlScanStore
from berth.storage.meta.sql import SqlMetaStore

SCAN_JOB, VULNDB_JOB = "scan", "vulndb-changed"
BASIC_SCANS_PER_DAY = 1
DAY = 24 * 3600.0

IN_PROGRESS, PENDING, COMPLETE, ACTIVE = "IN_PROGRESS", "PENDING", "COMPLETE", "ACTIVE"
FAILED, UNSUPPORTED, ARCHIVED_IMAGE = "FAILED", "UNSUPPORTED_IMAGE", "IMAGE_ARCHIVED"
EXPIRED, TOO_LARGE = "SCAN_ELIGIBILITY_EXPIRED", "IMAGE_SIZE_EXCEEDED"
# Continuous scanning follows an image this long after its last push or pull
# (Amazon Inspector's default ECR rescan duration), then stops.
RESCAN_SECONDS = 14 * DAY
MAX_IMAGE_BYTES = 10 << 30  # compressed layers; larger images are not scanned
DESCRIPTIONS = {
    IN_PROGRESS: "The scan is in progress.",
    PENDING: "The image is queued for its first scan.",
    COMPLETE: "The scan was completed successfully.",
    ACTIVE: "Continuous scan is selected for image.",
    UNSUPPORTED: "The operating system and/or package manager are not supported.",
    ARCHIVED_IMAGE: "The image is archived; restore it to scan it.",
    EXPIRED: "The configured scan duration has lapsed for this image.",
    TOO_LARGE: "The image is larger than the 10 GiB berth scans.",
}
NO_DATABASE = ("No vulnerability database is loaded; import one with "
               "'berth vulndb import'. The image is scanned again when one is.")


def scan_job(ref: ImageRef | tuple[int, str, str, str], run_at: float, *, rescan: bool
             ) -> NewJob:
    repo_id, account, name, digest = ref if isinstance(ref, tuple) else (
        ref.repository_id, ref.account_id, ref.repository, ref.digest)
    return NewJob(SCAN_JOB, f"{repo_id}:{digest}", {
        "repository_id": repo_id, "account": account, "repository": name, "digest": digest,
        "rescan": rescan}, run_at)


class Scanning:
    def __init__(self, meta: SqlMetaStore, scans: SqlScanStore, jobs: SqlJobQueue,
                 store: BlobStore, clock: Clock, vulndb: VulnDbHome | None) -> None:
        self.meta = meta
        self.scans = scans
        self.jobs = jobs
        self.store = store
        self.clock = clock
        self.vulndb = vulndb

    # configuration

    async def configuration(self, account_id: str) -> ScanningConfig:
        stored = await self.scans.registry_scanning(account_id)
        return ScanningConfig() if stored is None else ScanningConfig.from_stored(*stored)

    async def put_configuration(self, account_id: str, scan_type: str, rules: list[Rule]
                                ) -> ScanningConfig:
        config = validate(scan_type, rules)
        await self.scans.put_registry_scanning(account_id, scan_type, config.to_stored(),
                                               self.clock.now())
        return config

    async def applied(self, repo: Repository) -> Applied:
        config = await self.configuration(repo.account_id)
        return applied(config, repo.name, repo.settings.scan_on_push)

    # starting scans

    async def on_push(self, repo: Repository, digest: str
                      ) -> tuple[list[NewJob], ScanStart | None]:
        """The job and first status of a pushed image, when its repository scans on push."""
        how = await self.applied(repo)
        if not how.on_push:
            return [], None
        status = PENDING if how.scan_type == ENHANCED else IN_PROGRESS
        job = scan_job((repo.id, repo.account_id, repo.name, digest), self.clock.now(),
                       rescan=False)
        return [job], ScanStart(how.scan_type, status, DESCRIPTIONS[status])

    async def start(self, repo: Repository, record: ManifestRecord) -> ScanRecord:
        """StartImageScan: queue a scan of the image now."""
        if record.image_status != "ACTIVE":
            raise ImageArchived("The specified image is archived and cannot be scanned.")
        _scannable_manifest(record)
        how = await self.applied(repo)
        now = self.clock.now()
        previous = await self.scans.scan(repo.id, record.digest)
        if (how.scan_type == BASIC and previous is not None and previous.scan_type == BASIC
                and previous.started_at > now - DAY):
            raise LimitExceeded("The scan quota per image has been exceeded. Wait and try "
                                "again.")
        status = PENDING if how.scan_type == ENHANCED else IN_PROGRESS
        job = scan_job((repo.id, repo.account_id, repo.name, record.digest), now, rescan=False)
        if not await self.scans.begin_scan(repo.id, record.digest, how.scan_type, status,
                                           DESCRIPTIONS[status], now, job):
            raise ManifestUnknown(f"The image {record.digest} was deleted from the repository "
                                  f"with name '{repo.name}' as its scan started")
        return ScanRecord(repo.id, record.digest, how.scan_type, status, DESCRIPTIONS[status],
                          now, None, None, None, None)

    # reading results

    async def status(self, repo: Repository, digest: str) -> ScanRecord:
        found = await self.scans.scan(repo.id, digest)
        if found is None:
            raise ScanNotFound(
                f"Image scan does not exist for the image with '{digest}' in the repository "
                f"with name '{repo.name}' in the registry with id '{repo.account_id}'")
        return found

    async def findings(self, repo: Repository, record: ManifestRecord
                       ) -> tuple[ScanRecord, list[dict[str, Any]]]:
        """The last scan's status and findings; an archived image's scan reads
        IMAGE_ARCHIVED, as on ECR, until it is restored."""
        scan = await self.status(repo, record.digest)
        if record.image_status != "ACTIVE":
            scan = replace(scan, status=ARCHIVED_IMAGE, description=DESCRIPTIONS[ARCHIVED_IMAGE])
        findings, _ = await self.scans.scan_documents(repo.id, record.digest)
        return scan, findings

    async def summaries(self, repo: Repository, digests: list[str]) -> dict[str, ScanRecord]:
        return await self.scans.scans(repo.id, digests)

    async def inventory(self, repo: Repository, record: ManifestRecord) -> Inventory:
        """The image's inventory: stored by its last scan, else read from its layers now."""
        _, stored = await self.scans.scan_documents(repo.id, record.digest)
        return await self._inventory_for(record, stored)

    async def sbom(self, repo: Repository, record: ManifestRecord) -> dict[str, Any]:
        """The image's inventory as a CycloneDX document."""
        inventory = await self.inventory(repo, record)
        return cyclonedx(inventory, image_name=repo.name, image_digest=record.digest,
                         created=datetime.fromtimestamp(record.pushed_at, UTC))

    # the jobs

    async def run(self, job: Job) -> None:
        """Do one scan job. Idempotent: a scan run twice stores the same result."""
        p = job.payload
        ref = ImageRef(p["repository_id"], p["account"], p["repository"], p["digest"])
        repo = await self.meta.get_repository(ref.account_id, ref.repository)
        record = None if repo is None or repo.id != ref.repository_id else \
            await self.meta.get_manifest(repo.id, ref.digest)
        if repo is None or record is None or await self.scans.scan(repo.id, ref.digest) is None:
            return  # the image is gone, or its scan row with it
        if record.image_status != "ACTIVE":
            return  # archived images are not scanned; their scan reads IMAGE_ARCHIVED
        how = await self.applied(repo)
        if record.image_size > MAX_IMAGE_BYTES:
            await self._finish(repo, ref.digest, TOO_LARGE, DESCRIPTIONS[TOO_LARGE])
            return
        previous, stored = await self.scans.scan_documents(repo.id, ref.digest)
        try:
            inventory = await self._inventory_for(record, stored if p.get("rescan") else None)
        except UnsupportedImageType:
            await self._finish(repo, ref.digest, UNSUPPORTED, DESCRIPTIONS[UNSUPPORTED])
            return
        await self._match_and_store(repo, ref.digest, inventory, how, previous)

    async def give_up(self, job: Job, error: str) -> None:
        """The scan job failed every attempt: the image's scan is FAILED."""
        p = job.payload
        await self.scans.finish_scan(p["repository_id"], p["digest"], ScanResult(
            FAILED, f"The scan failed: {error[:500]}", self.clock.now()))

    async def _inventory_for(self, record: ManifestRecord, stored: dict[str, Any] | None
                             ) -> Inventory:
        """The stored inventory when given, else one read from the layers now."""
        if stored is not None:
            return runner.inventory_from_document(stored)
        manifest = _scannable_manifest(record)
        layers = await runner.layer_inventories(manifest.layers, self.store, self.scans,
                                                self.clock.now())
        return squash(layers)

    async def _match_and_store(self, repo: Repository, digest: str, inventory: Inventory,
                               how: Applied, previous: list[dict[str, Any]]) -> None:
        doc = runner.inventory_document(inventory)
        keys = runner.package_keys(inventory)
        if not inventory.scannable:
            await self._finish(repo, digest, UNSUPPORTED, DESCRIPTIONS[UNSUPPORTED], doc, keys)
            return
        db = self._database()
        if db is None:
            await self._finish(repo, digest, FAILED, NO_DATABASE, doc, keys)
            return
        packages = runner.scanned_packages(inventory, how.scan_type == ENHANCED)
        found, _ = await asyncio.to_thread(runner.run_match, packages, db)
        now = self.clock.now()
        docs = runner.finding_documents(found, previous, now)
        status = ACTIVE if how.continuous else COMPLETE
        info = db.info()
        await self.scans.finish_scan(repo.id, digest, ScanResult(
            status, DESCRIPTIONS[status], now, vulndb_id=info.digest,
            source_updated_at=epoch_of(info.built_at),
            severity_counts=runner.counts(found),
            findings=docs, inventory=doc, package_keys=keys))

    async def _finish(self, repo: Repository, digest: str, status: str, description: str,
                      inventory: dict[str, Any] | None = None,
                      keys: frozenset[tuple[str, str]] = frozenset()) -> None:
        await self.scans.finish_scan(repo.id, digest, ScanResult(
            status, description, self.clock.now(), findings=[], inventory=inventory,
            package_keys=keys))

    def _database(self) -> VulnDb | None:
        """The loaded advisory database (the home notices a new one by itself)."""
        return None if self.vulndb is None else self.vulndb.current()

    async def vulndb_changed(self, job: Job) -> None:
        """Queue rescans for what an advisory database switch touches: images under
        continuous scanning that hold a changed package, and scans that failed for want
        of a database."""
        if self.vulndb is None:
            return
        keys = await asyncio.to_thread(self._changed)
        now = self.clock.now()
        refs = set(await self.scans.images_with_status([FAILED]))
        for ref in await self.scans.images_with_packages(keys):
            repo = await self.meta.get_repository(ref.account_id, ref.repository)
            if repo is None or not (await self.applied(repo)).continuous:
                continue
            record = await self.meta.get_manifest(repo.id, ref.digest)
            if record is not None and _eligible(record, now):
                refs.add(ref)
            elif record is not None:
                await self.scans.set_scan_status(repo.id, ref.digest, EXPIRED,
                                                 DESCRIPTIONS[EXPIRED])
        await self.jobs.enqueue([scan_job(r, now, rescan=True) for r in sorted(refs)], now)

    def _changed(self) -> set[tuple[str, str]]:
        """The keys the last switch touched: current against the one it replaced. A
        later import queues its own job, so comparing what is current now is enough."""
        assert self.vulndb is not None
        new = self.vulndb.current()
        return set() if new is None else changed_keys(self.vulndb.previous(), new)


def _eligible(record: ManifestRecord, now: float) -> bool:
    """Whether continuous scanning still follows the image (pushed or pulled lately)."""
    return max(record.pushed_at, record.last_pulled_at or 0.0) > now - RESCAN_SECONDS


def _scannable_manifest(record: ManifestRecord) -> Manifest:
    """The image manifest to scan; UnsupportedImageType for indexes and artifacts."""
    try:
        manifest = parse_manifest(record.payload, record.media_type)
    except ManifestError:
        raise UnsupportedImageType("The image is of a type that cannot be scanned.") from None
    if manifest.is_index:
        raise UnsupportedImageType(
            "The image is a multi-architecture index; scan the platform images it lists.")
    if not manifest.layers or not all(_is_tar(layer.media_type) for layer in manifest.layers):
        raise UnsupportedImageType("The image is of a type that cannot be scanned.")
    return manifest


def _is_tar(media_type: str) -> bool:
    return ".tar" in media_type or media_type.endswith("rootfs.diff.tar.gzip")
