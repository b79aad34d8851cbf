"""Fixtures for the end-to-end tests: skopeo, podman and httpx pointed at ``shared_berth``.

All of them are module-scoped like ``shared_berth``; each test uses repositories of its
own (``unique_repo``).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from berth.testing.server import BerthServer
from tests.e2e.clients import (
    Containerd,
    ContainersConfig,
    Podman,
    RegistryAuth,
    Skopeo,
    login,
    require_root,
    require_tool,
)


@pytest.fixture(scope="module")
def registry_auth(shared_berth: BerthServer, tmp_path_factory: pytest.TempPathFactory
                  ) -> RegistryAuth:
    return login(shared_berth, tmp_path_factory.mktemp("auth"))


@pytest.fixture(scope="module")
def containers_config(tmp_path_factory: pytest.TempPathFactory) -> ContainersConfig:
    return ContainersConfig.create(tmp_path_factory.mktemp("containers"))


@pytest.fixture(scope="module")
def http(shared_berth: BerthServer, registry_auth: RegistryAuth) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=shared_berth.url, auth=registry_auth.http_auth,
                      timeout=60) as client:
        yield client


# The tool fixtures come first in the argument lists, so that a missing tool skips the
# test before a server is started for it.


@pytest.fixture(scope="module")
def skopeo_binary() -> str:
    return require_tool("skopeo")


@pytest.fixture(scope="module")
def podman_binary() -> str:
    return require_tool("podman")


@pytest.fixture(scope="module")
def skopeo(skopeo_binary: str, shared_berth: BerthServer, registry_auth: RegistryAuth,
           containers_config: ContainersConfig) -> Skopeo:
    return Skopeo(skopeo_binary, shared_berth, registry_auth, containers_config)


@pytest.fixture(scope="module")
def podman(podman_binary: str, shared_berth: BerthServer, registry_auth: RegistryAuth,
           containers_config: ContainersConfig, tmp_path_factory: pytest.TempPathFactory
           ) -> Podman:
    """podman with storage of its own for the module (see ``Podman``)."""
    return Podman(podman_binary, shared_berth, registry_auth, containers_config,
                  tmp_path_factory.mktemp("podman"))


@pytest.fixture(scope="module")
def containerd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Containerd]:
    """A containerd daemon of the module's own (see ``Containerd``)."""
    binary, ctr = require_tool("containerd"), require_tool("ctr")
    require_root("containerd")
    daemon = Containerd(binary, ctr, tmp_path_factory.mktemp("containerd"))
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()
