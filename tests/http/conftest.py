from __future__ import annotations

from collections.abc import Iterator

import pytest

from berth.testing.server import BerthServer
from tests.http.registry_client import Client


@pytest.fixture(scope="module")
def client(shared_berth: BerthServer) -> Iterator[Client]:
    c = Client(shared_berth.url, shared_berth.password())
    yield c
    c.close()
