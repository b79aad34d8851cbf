"""Repositories: finding them by name, creating them (by API or on push), their settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from berth.clock import Clock
from berth.errors import (
    InvalidParameter,
    InvalidTagParameter,
    NameInvalid,
    NameUnknown,
    RepositoryAlreadyExists,
    RepositoryNotEmpty,
    TooManyTags,
)
from berth.oci.names import valid_repository_name
from berth.services.templates import Templates
from berth.storage.meta import MetaStore, Repository, RepositorySettings

MAX_RESOURCE_TAGS = 50


class Repositories:
    def __init__(self, meta: MetaStore, clock: Clock, templates: Templates) -> None:
        self.meta = meta
        self.clock = clock
        self.templates = templates

    async def get(self, account_id: str, name: str) -> Repository:
        """The repository; NAME_INVALID for a bad name, NAME_UNKNOWN when absent."""
        check_name(name)
        repo = await self.meta.get_repository(account_id, name)
        if repo is None:
            raise repository_missing(account_id, name)
        return repo

    async def for_push(self, account_id: str, name: str) -> Repository:
        """The repository a push writes to. A missing one is created only when a
        creation template with CREATE_ON_PUSH matches its name, as on ECR."""
        check_name(name)
        repo = await self.meta.get_repository(account_id, name)
        if repo is not None:
            return repo
        template = await self.templates.matching(account_id, name, "CREATE_ON_PUSH")
        if template is None:
            raise repository_missing(account_id, name)
        repo, _ = await self.meta.create_repository(
            account_id, name, self.clock.now(), template.settings, template.resource_tags)
        return repo

    async def create(self, account_id: str, name: str, settings: RepositorySettings,
                     tags: Mapping[str, str]) -> Repository:
        check_name(name)
        check_resource_tags(tags)
        repo, created = await self.meta.create_repository(account_id, name, self.clock.now(),
                                                          settings, tags)
        if not created:
            raise RepositoryAlreadyExists(
                f"The repository with name '{name}' already exists in the registry with id "
                f"'{account_id}'")
        return repo

    async def describe(self, account_id: str, names: Sequence[str] | None, after: str | None,
                       limit: int) -> list[Repository]:
        """Repositories by name (RepositoryNotFound if any is missing) or a page of all."""
        found = await self.meta.describe_repositories(account_id, names, after, limit)
        if names is not None:
            missing = sorted(set(names) - {r.name for r in found})
            if missing:
                raise repository_missing(account_id, missing[0])
        return found

    async def delete(self, account_id: str, name: str, force: bool) -> Repository:
        repo = await self.get(account_id, name)
        if not force and await self.meta.count_manifests(repo.id):
            raise RepositoryNotEmpty(
                f"The repository with name '{name}' in registry with id '{account_id}' cannot "
                "be deleted because it still contains images")
        await self.meta.delete_repository(repo.id)
        return repo

    async def update_settings(self, repo: Repository, **changes: object) -> Repository:
        settings = replace(repo.settings, **changes)  # type: ignore[arg-type]
        await self.meta.update_repository_settings(repo.id, settings)
        return replace(repo, settings=settings)

    async def resource_tags(self, repo: Repository) -> dict[str, str]:
        return await self.meta.repository_tags(repo.id)

    async def tag(self, repo: Repository, tags: Mapping[str, str]) -> None:
        check_resource_tags(tags)
        current = await self.meta.repository_tags(repo.id)
        if len(set(current) | set(tags)) > MAX_RESOURCE_TAGS:
            raise TooManyTags(f"a repository can have at most {MAX_RESOURCE_TAGS} tags")
        await self.meta.set_repository_tags(repo.id, tags)

    async def untag(self, repo: Repository, keys: Sequence[str]) -> None:
        for key in keys:
            if key.startswith("aws:"):
                raise InvalidTagParameter("tag keys starting with 'aws:' are reserved")
        await self.meta.set_repository_tags(repo.id, {}, keys)

    async def catalog(self, account_id: str, last: str | None, limit: int) -> list[str]:
        return await self.meta.list_repositories(account_id, last, limit)


def check_name(name: str) -> None:
    if not valid_repository_name(name):
        raise NameInvalid(f"invalid repository name {name[:300]!r}", detail={"name": name[:300]})


def check_resource_tags(tags: Mapping[str, str]) -> None:
    if len(tags) > MAX_RESOURCE_TAGS:
        raise TooManyTags(f"a repository can have at most {MAX_RESOURCE_TAGS} tags")
    for key in tags:
        if key.startswith("aws:"):
            raise InvalidTagParameter("tag keys starting with 'aws:' are reserved")
        if not key:
            raise InvalidParameter("tag keys must not be empty")


def repository_missing(account_id: str, name: str) -> NameUnknown:
    """The error for a repository that does not exist, on either plane."""
    return NameUnknown(f"The repository with name '{name}' does not exist in the registry "
                       f"with id '{account_id}'", detail={"name": name})
