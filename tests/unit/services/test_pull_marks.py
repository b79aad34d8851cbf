"""A hot image's pull time is written once per resolution by each process, however many
pulls arrive while that write is under way."""

from __future__ import annotations

from typing import Any, cast

from berth.services.images import PULL_TIME_RESOLUTION, Images
from berth.storage.meta import ManifestRecord, MetaStore

ROOT = "arn:aws:iam::123456789012:root"
SCANNER = "arn:aws:iam::123456789012:user/scanner"


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def now(self) -> float:
        return self.t


def record(last_pulled_at: float | None, digest: str = "sha256:" + "a" * 64) -> ManifestRecord:
    return ManifestRecord(repository_id=1, digest=digest, media_type="m",
                          artifact_type=None, subject_digest=None, payload=b"{}",
                          pushed_at=0.0, last_pulled_at=last_pulled_at)


def images(clock: Clock) -> Images:
    return Images(cast(MetaStore, cast(Any, None)), clock)


def test_one_write_for_a_burst_of_pulls_of_a_stale_record() -> None:
    clock = Clock()
    service = images(clock)
    stale = record(clock.t - 2 * PULL_TIME_RESOLUTION)
    # every pull of the burst read the record before the first write landed
    assert [service.needs_pull_record(stale, ROOT) for _ in range(1000)].count(True) == 1
    clock.t += PULL_TIME_RESOLUTION + 1
    assert service.needs_pull_record(stale, ROOT)


def test_a_fresh_record_needs_no_write() -> None:
    clock = Clock()
    service = images(clock)
    assert not service.needs_pull_record(record(clock.t - 1), ROOT)
    assert service.needs_pull_record(record(None), ROOT)
    assert not service.needs_pull_record(record(None), ROOT)


def test_marks_are_per_manifest_and_per_principal() -> None:
    clock = Clock()
    service = images(clock)
    assert service.needs_pull_record(record(None), ROOT)
    # an excluded scanner's pull writes nothing, so it must not stand in for root's
    assert service.needs_pull_record(record(None), SCANNER)
    assert service.needs_pull_record(record(None, "sha256:" + "b" * 64), ROOT)
