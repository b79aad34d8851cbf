"""The job queue and the scan store: every backend (SQLite, PostgreSQL) passes the same tests."""

from __future__ import annotations

import asyncio

from berth.storage.meta import NewJob, ScanStart
from berth.storage.meta.jobs import SqlJobQueue
from berth.storage.meta.scans import ImageRef, ScanResult, SqlScanStore
from berth.storage.meta.sql import SqlMetaStore
from tests.contract.test_meta_store import ACCOUNT, digest, record


def job(key: str, at: float = 1.0, kind: str = "scan") -> NewJob:
    return NewJob(kind, key, {"key": key}, at)


async def test_a_job_is_claimed_once_until_its_lease_lapses(meta: SqlMetaStore) -> None:
    queue = SqlJobQueue(meta.engine)
    await queue.enqueue([job("a")], 1.0)
    first = await queue.claim(["scan"], 2.0, 10.0)
    assert first is not None and first.payload == {"key": "a"} and first.attempts == 1
    assert await queue.claim(["scan"], 3.0, 10.0) is None
    again = await queue.claim(["scan"], 20.0, 10.0)  # the first holder died
    assert again is not None and again.id == first.id and again.attempts == 2
    assert not await queue.complete(first)  # its lease was lost
    assert await queue.complete(again)
    assert await queue.pending() == 0


async def test_jobs_wait_until_due_and_come_oldest_first(meta: SqlMetaStore) -> None:
    queue = SqlJobQueue(meta.engine)
    await queue.enqueue([job("late", 50.0), job("b", 5.0), job("a", 4.0),
                         job("other", 1.0, kind="gc")], 1.0)
    assert await queue.claim(["scan"], 3.0, 10.0) is None
    claimed = [await queue.claim(["scan"], 10.0, 10.0) for _ in range(3)]
    assert [j.key if j else None for j in claimed] == ["a", "b", None]


async def test_one_pending_job_per_kind_and_key(meta: SqlMetaStore) -> None:
    queue = SqlJobQueue(meta.engine)
    await queue.enqueue([job("a")], 1.0)
    await queue.enqueue([NewJob("scan", "a", {"other": True}, 0.5)], 1.0)
    claimed = await queue.claim(["scan"], 2.0, 10.0)
    assert claimed is not None and claimed.payload == {"key": "a"}
    assert await queue.pending("scan") == 1


async def test_a_retried_job_runs_again_later_with_its_error(meta: SqlMetaStore) -> None:
    queue = SqlJobQueue(meta.engine)
    await queue.enqueue([job("a")], 1.0)
    claimed = await queue.claim(["scan"], 2.0, 10.0)
    assert claimed is not None and await queue.retry(claimed, 30.0, "boom")
    assert await queue.claim(["scan"], 29.0, 10.0) is None
    again = await queue.claim(["scan"], 31.0, 10.0)
    assert again is not None and again.attempts == 2


async def test_concurrent_claimers_never_share_a_job(meta: SqlMetaStore) -> None:
    queue = SqlJobQueue(meta.engine)
    await queue.enqueue([job(str(i)) for i in range(20)], 1.0)
    claimed = await asyncio.gather(*[queue.claim(["scan"], 2.0, 100.0) for _ in range(30)])
    keys = [j.key for j in claimed if j is not None]
    assert sorted(keys) == sorted(str(i) for i in range(20))


async def _image(meta: SqlMetaStore, name: str = "app") -> tuple[int, str]:
    repo, _ = await meta.create_repository(ACCOUNT, name, 1.0)
    rec = record(repo.id, name)
    await meta.put_manifest(rec, [], [], ["v1"], scan=ScanStart("BASIC", "IN_PROGRESS", "x"),
                            jobs=[job(f"{repo.id}:{rec.digest}")])
    return repo.id, rec.digest


async def test_a_push_starts_its_scan_and_queues_the_job_atomically(meta: SqlMetaStore) -> None:
    scans, queue = SqlScanStore(meta.engine), SqlJobQueue(meta.engine)
    repo_id, image = await _image(meta)
    found = await scans.scan(repo_id, image)
    assert found is not None and found.status == "IN_PROGRESS" and found.completed_at is None
    assert await queue.pending("scan") == 1


async def test_finished_scans_keep_documents_and_package_keys(meta: SqlMetaStore) -> None:
    scans = SqlScanStore(meta.engine)
    repo_id, image = await _image(meta)
    keys = frozenset({("Debian:12", "glibc"), ("PyPI", "requests")})
    assert await scans.finish_scan(repo_id, image, ScanResult(
        "COMPLETE", "done", 5.0, vulndb_id="db1", source_updated_at=4.0,
        severity_counts={"HIGH": 1}, findings=[{"id": "CVE-1"}], inventory={"packages": []},
        package_keys=keys))
    found = await scans.scan(repo_id, image)
    assert found is not None and found.severity_counts == {"HIGH": 1}
    assert found.vulndb_id == "db1" and found.completed_at == 5.0
    assert await scans.scan_documents(repo_id, image) == ([{"id": "CVE-1"}], {"packages": []})
    ref = ImageRef(repo_id, ACCOUNT, "app", image)
    assert await scans.images_with_packages({("PyPI", "requests")}) == [ref]
    assert await scans.images_with_packages({("PyPI", "flask")}) == []
    assert await scans.images_with_status(["COMPLETE"]) == [ref]


async def test_deleting_the_image_drops_its_scan(meta: SqlMetaStore) -> None:
    scans = SqlScanStore(meta.engine)
    repo_id, image = await _image(meta)
    await meta.delete_manifest(repo_id, image)
    assert await scans.scan(repo_id, image) is None
    assert not await scans.finish_scan(repo_id, image, ScanResult("COMPLETE", "x", 1.0))
    assert not await scans.begin_scan(repo_id, image, "BASIC", "IN_PROGRESS", "x", 1.0,
                                      job("gone"))


async def test_begin_scan_restarts_and_queues(meta: SqlMetaStore) -> None:
    scans, queue = SqlScanStore(meta.engine), SqlJobQueue(meta.engine)
    repo, _ = await meta.create_repository(ACCOUNT, "app", 1.0)
    rec = record(repo.id, "x")
    await meta.put_manifest(rec, [], [], [])
    assert await scans.begin_scan(repo.id, rec.digest, "BASIC", "IN_PROGRESS", "x", 2.0,
                                  job("k"))
    found = await scans.scan(repo.id, rec.digest)
    assert found is not None and found.started_at == 2.0 and await queue.pending() == 1


async def test_layer_inventories_are_kept_per_version(meta: SqlMetaStore) -> None:
    scans = SqlScanStore(meta.engine)
    await scans.put_layer_inventory(digest("layer"), 1, {"files": 3}, 1.0)
    assert await scans.layer_inventory(digest("layer"), 1) == {"files": 3}
    assert await scans.layer_inventory(digest("layer"), 2) is None
    await scans.put_layer_inventory(digest("layer"), 2, {"files": 4}, 2.0)
    assert await scans.layer_inventory(digest("layer"), 2) == {"files": 4}


async def test_registry_scanning_configuration_round_trips(meta: SqlMetaStore) -> None:
    scans = SqlScanStore(meta.engine)
    assert await scans.registry_scanning(ACCOUNT) is None
    rules = [{"frequency": "SCAN_ON_PUSH", "filters": ["*"]}]
    await scans.put_registry_scanning(ACCOUNT, "ENHANCED", rules, 1.0)
    assert await scans.registry_scanning(ACCOUNT) == ("ENHANCED", rules)
