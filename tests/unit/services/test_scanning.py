"""The scanning service's statuses that need a clock or an odd image: the rescan window
of continuous scanning, oversized images, scanning with no database, the 24-hour rule."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from berth.errors import LimitExceeded
from berth.services import Services
from berth.services.scan_config import Rule
from berth.services.scanning import DAY, SCAN_JOB
from berth.storage.blobs.memory import MemoryBlobStore
from berth.storage.meta import ManifestRecord
from berth.storage.meta.sql import SqlMetaStore

ACCOUNT = "123456789012"


class Clock:
    def __init__(self) -> None:
        self.now_value = 1_000_000.0

    def now(self) -> float:
        return self.now_value


def manifest(repo_id: int, size: int) -> ManifestRecord:
    payload = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + "0" * 64, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": "sha256:" + "1" * 64, "size": size}]}).encode()

    return ManifestRecord(repo_id, "sha256:" + hashlib.sha256(payload).hexdigest(),
                          "application/vnd.oci.image.manifest.v1+json", None, None, payload,
                          1_000_000.0, image_size=size)


async def _setup(meta: SqlMetaStore, tmp_path: Path, size: int
                 ) -> tuple[Services, Clock, ManifestRecord]:
    clock = Clock()
    services = Services.build(meta, MemoryBlobStore(), clock, default_account=ACCOUNT,
                              region="us-east-1", public_url="http://x",
                              vulndb_dir=tmp_path / "vulndb")
    repo, _ = await meta.create_repository(ACCOUNT, "app", clock.now())
    record = manifest(repo.id, size)
    await meta.put_manifest(record, [], [], ["v1"])
    return services, clock, record


async def _run_queued(services: Services, now: float) -> None:
    while (job := await services.jobs.claim([SCAN_JOB], now, 60)) is not None:
        await services.scanning.run(job)
        await services.jobs.complete(job)


async def test_images_over_the_size_limit_are_not_scanned(meta: SqlMetaStore, tmp_path: Path
                                                          ) -> None:
    services, clock, record = await _setup(meta, tmp_path, 11 << 30)
    repo = await services.repositories.get(ACCOUNT, "app")
    await services.scanning.start(repo, record)
    await _run_queued(services, clock.now())
    scan = await services.scanning.status(repo, record.digest)
    assert scan.status == "IMAGE_SIZE_EXCEEDED"


async def test_one_basic_scan_a_day(meta: SqlMetaStore, tmp_path: Path) -> None:
    services, clock, record = await _setup(meta, tmp_path, 11 << 30)
    repo = await services.repositories.get(ACCOUNT, "app")
    await services.scanning.start(repo, record)
    clock.now_value += DAY - 1
    with pytest.raises(LimitExceeded):
        await services.scanning.start(repo, record)
    clock.now_value += 2
    assert (await services.scanning.start(repo, record)).status == "IN_PROGRESS"


def _database(tmp_path: Path, services: Services, name: str, ids: list[str]) -> None:
    from datetime import UTC, datetime

    from berth.scan.vulndb import build

    source = tmp_path / name
    source.mkdir()
    for ident in ids:
        (source / f"{ident}.json").write_text(json.dumps({
            "id": ident, "modified": "2026-11-01T00:00:00Z", "affected": [{
                "package": {"ecosystem": "Debian:12", "name": "zlib"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}))
    home = services.scanning.vulndb
    assert home is not None
    home.install(build([source], home.incoming, now=datetime.now(UTC)).path)


@pytest.mark.parametrize(("days", "status"), [(15, "SCAN_ELIGIBILITY_EXPIRED"),
                                              (13, "ACTIVE")])
async def test_continuous_scanning_follows_images_for_fourteen_days(
        meta: SqlMetaStore, tmp_path: Path, days: int, status: str) -> None:
    from berth.storage.meta import Job
    from berth.storage.meta.scans import ScanResult

    services, clock, record = await _setup(meta, tmp_path, 100)
    repo = await services.repositories.get(ACCOUNT, "app")
    await services.scanning.put_configuration(ACCOUNT, "ENHANCED",
                                              [Rule("CONTINUOUS_SCAN", ("*",))])
    _database(tmp_path, services, "one", ["TEST-1"])
    await services.scanning.start(repo, record)
    await services.scanning.scans.finish_scan(repo.id, record.digest, ScanResult(
        "ACTIVE", "x", clock.now(), findings=[], inventory={"os": None, "packages": []},
        package_keys=frozenset({("Debian:12", "zlib")})))
    await services.jobs.complete((await services.jobs.claim([SCAN_JOB], clock.now(), 60))
                                 or pytest.fail("no scan job"))
    _database(tmp_path, services, "two", ["TEST-1", "TEST-2"])
    clock.now_value += days * DAY
    await services.scanning.vulndb_changed(Job(1, "vulndb-changed", "k", {"new": "x"}, 1,
                                               "me", clock.now() + 60))
    assert (await services.scanning.status(repo, record.digest)).status == status
    rescans = await services.jobs.pending(SCAN_JOB)
    assert rescans == (0 if status == "SCAN_ELIGIBILITY_EXPIRED" else 1)
