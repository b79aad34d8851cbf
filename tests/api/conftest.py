"""Fixtures of the ECR API tests: clients of the module's shared berth, fresh repositories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from berth.testing.server import BerthServer
from tests.api.helpers import unique
from tests.http.registry_client import Client


@pytest.fixture(scope="module")
def ecr(shared_berth: BerthServer) -> Any:
    """boto3's ECR client, signed with the shared server's root key."""
    return shared_berth.client("ecr")


@pytest.fixture(scope="module")
def registry(shared_berth: BerthServer) -> Iterator[Client]:
    """An OCI client of the shared server's /v2/, logged in with GetAuthorizationToken."""
    client = Client(shared_berth.url, shared_berth.password())
    yield client
    client.close()


@pytest.fixture
def new_repo(ecr: Any) -> Callable[..., str]:
    """Create a repository of this test's own (CreateRepository with ``settings``)."""

    def create(prefix: str = "api", **settings: Any) -> str:
        name = unique(prefix)
        ecr.create_repository(repositoryName=name, **settings)
        return name
    return create


@pytest.fixture
def repo(new_repo: Callable[..., str]) -> str:
    """A new, empty, mutable repository."""
    return new_repo()
