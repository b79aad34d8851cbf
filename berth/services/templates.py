"""Repository creation templates: the settings a repository gets when berth creates it
(on push, for pull-through cache or replication).

A template's prefix ``prod`` applies to repositories named ``prod/...``; the prefix
``ROOT`` applies to every repository no other template matches. The longest
matching prefix wins.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from berth.clock import Clock
from berth.errors import TemplateAlreadyExists, TemplateNotFound
from berth.storage.meta import MetaStore, RepositorySettings, TemplateRecord

ROOT = "ROOT"


@dataclass(frozen=True)
class Template:
    prefix: str
    applied_for: tuple[str, ...]
    settings: RepositorySettings = field(default_factory=RepositorySettings)
    resource_tags: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    repository_policy: str | None = None
    lifecycle_policy: str | None = None
    custom_role_arn: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0

    def document(self) -> dict[str, Any]:
        doc = asdict(self)
        for key in ("prefix", "created_at", "updated_at"):
            doc.pop(key)
        doc["settings"]["tag_mutability_filters"] = list(self.settings.tag_mutability_filters)
        doc["applied_for"] = list(self.applied_for)
        return doc

    @classmethod
    def from_record(cls, record: TemplateRecord) -> Template:
        doc = dict(record.document)
        settings = doc.pop("settings")
        settings["tag_mutability_filters"] = tuple(settings["tag_mutability_filters"])
        doc["applied_for"] = tuple(doc["applied_for"])
        return cls(prefix=record.prefix, settings=RepositorySettings(**settings),
                   created_at=record.created_at, updated_at=record.updated_at, **doc)

    def matches(self, name: str) -> bool:
        # "There is always an assumed / applied to the end of the prefix" (ECR's model)
        return self.prefix == ROOT or name.startswith(self.prefix.rstrip("/") + "/")


class Templates:
    def __init__(self, meta: MetaStore, clock: Clock) -> None:
        self.meta = meta
        self.clock = clock

    async def all(self, account_id: str) -> list[Template]:
        records = await self.meta.templates(account_id)
        return [Template.from_record(records[p]) for p in sorted(records)]

    async def create(self, account_id: str, template: Template) -> Template:
        now = self.clock.now()
        template = replace(template, created_at=now, updated_at=now)
        record = TemplateRecord(template.prefix, template.document(), now, now)
        if not await self.meta.put_template(account_id, record, create=True):
            raise TemplateAlreadyExists(
                f"A repository creation template with prefix '{template.prefix}' already "
                f"exists in the registry with id '{account_id}'")
        return template

    async def get(self, account_id: str, prefix: str) -> Template:
        record = (await self.meta.templates(account_id)).get(prefix)
        if record is None:
            raise TemplateNotFound(
                f"No repository creation template with prefix '{prefix}' exists in the "
                f"registry with id '{account_id}'")
        return Template.from_record(record)

    async def update(self, account_id: str, prefix: str, **changes: Any) -> Template:
        template = replace(await self.get(account_id, prefix), updated_at=self.clock.now(),
                           **changes)
        record = TemplateRecord(prefix, template.document(), template.created_at,
                                template.updated_at)
        if not await self.meta.put_template(account_id, record, create=False):
            raise TemplateNotFound(f"No repository creation template with prefix '{prefix}'")
        return template

    async def delete(self, account_id: str, prefix: str) -> Template:
        template = await self.get(account_id, prefix)
        await self.meta.delete_template(account_id, prefix)
        return template

    async def matching(self, account_id: str, name: str, applied_for: str) -> Template | None:
        """The template that applies to a new repository ``name`` created for ``applied_for``."""
        candidates = [t for t in await self.all(account_id)
                      if applied_for in t.applied_for and t.matches(name)]
        if not candidates:
            return None
        return max(candidates, key=lambda t: -1 if t.prefix == ROOT else len(t.prefix))
