"""Fixtures every test layer shares: a running berth, and the metadata backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from berth.testing.server import BerthServer, running_berth


@pytest.fixture
def berth(tmp_path: Path) -> Iterator[BerthServer]:
    """A berth server of its own for one test (SQLite, filesystem blobs)."""
    with running_berth(tmp_path / "data") as server:
        yield server


@pytest.fixture(scope="module")
def shared_berth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BerthServer]:
    """One berth server for a whole test module; tests use their own repository names."""
    with running_berth(tmp_path_factory.mktemp("berth") / "data") as server:
        yield server
