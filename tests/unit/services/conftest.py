"""The services run on every metadata backend: the contract suite's ``meta`` fixture."""

from tests.contract.conftest import meta  # noqa: F401
