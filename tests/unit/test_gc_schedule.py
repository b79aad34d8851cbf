"""The server's garbage-collection loop and its setting."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from berth.app import _collect_garbage
from berth.config import ConfigError, load_settings
from berth.services.gc import GcReport


class Recorder:
    """Stands in for Gc: records which step the loop ran."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def _step(self, name: str) -> GcReport:
        self.calls.append(name)
        return GcReport(dry_run=False, ran=True, duration=0.0)

    async def recover(self) -> GcReport:
        return await self._step("recover")

    async def run(self) -> GcReport:
        return await self._step("run")

    async def sweep_uploads(self) -> GcReport:
        return await self._step("sweep_uploads")


async def loop_for(seconds: float, interval: int, upload_expiry: int) -> list[str]:
    recorder = Recorder()
    task = asyncio.create_task(_collect_garbage(recorder, interval, upload_expiry))  # type: ignore[arg-type]
    await asyncio.sleep(seconds)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return recorder.calls


async def test_recovers_at_start_then_collects_on_schedule() -> None:
    calls = await loop_for(2.5, interval=1, upload_expiry=2)
    assert calls[0] == "recover" and calls.count("run") >= 1


async def test_interval_zero_only_sweeps_uploads() -> None:
    calls = await loop_for(2.5, interval=0, upload_expiry=2)
    assert calls[0] == "recover" and "run" not in calls and "sweep_uploads" in calls


def test_the_interval_setting() -> None:
    assert load_settings({}).gc_interval_seconds == 3600
    assert load_settings({"BERTH_GC_INTERVAL_SECONDS": "0"}).gc_interval_seconds == 0
    with pytest.raises(ConfigError, match="0 \\(off\\) or more"):
        load_settings({"BERTH_GC_INTERVAL_SECONDS": "-5"})
