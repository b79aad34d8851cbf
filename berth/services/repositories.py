"""Finding repositories by name, and making them on first push."""

from __future__ import annotations

from berth.clock import Clock
from berth.errors import NameInvalid, NameUnknown
from berth.oci.names import valid_repository_name
from berth.storage.meta import MetaStore, Repository


class Repositories:
    def __init__(self, meta: MetaStore, clock: Clock) -> None:
        self.meta = meta
        self.clock = clock

    async def get(self, account_id: str, name: str) -> Repository:
        """The repository; NAME_INVALID for a bad name, NAME_UNKNOWN when absent."""
        check_name(name)
        repo = await self.meta.get_repository(account_id, name)
        if repo is None:
            raise NameUnknown(f"repository {name!r} not found", detail={"name": name})
        return repo

    async def for_push(self, account_id: str, name: str) -> Repository:
        """The repository a push writes to, created by that push when it is missing."""
        check_name(name)
        repo = await self.meta.get_repository(account_id, name)
        if repo is None:
            repo = await self.meta.create_repository(account_id, name, self.clock.now())
        return repo

    async def catalog(self, account_id: str, last: str | None, limit: int) -> list[str]:
        return await self.meta.list_repositories(account_id, last, limit)


def check_name(name: str) -> None:
    if not valid_repository_name(name):
        raise NameInvalid(f"invalid repository name {name[:300]!r}", detail={"name": name[:300]})
