"""Repository creation templates."""

from __future__ import annotations

from typing import Any

from berth.ecr_api import shapes
from berth.ecr_api.call import Call, encode_token
from berth.ecr_api.operations.repositories import encryption_settings, mutability_settings
from berth.services.templates import Template
from berth.storage.meta import RepositorySettings


def _fields(call: Call, base: Template | None) -> dict[str, Any]:
    """The template fields the call sets (all of them when creating)."""
    p = call.params
    changes: dict[str, Any] = {}
    if base is None or "encryptionConfiguration" in p or "imageTagMutability" in p:
        current = base.settings if base else RepositorySettings()
        kind, key = (encryption_settings(p["encryptionConfiguration"])
                     if "encryptionConfiguration" in p
                     else (current.encryption_type, current.kms_key))
        with_encryption = RepositorySettings(encryption_type=kind, kms_key=key)
        mutability = (mutability_settings(p, with_encryption) if "imageTagMutability" in p
                      or base is None else RepositorySettings(
                          current.image_tag_mutability, current.tag_mutability_filters,
                          encryption_type=kind, kms_key=key))
        changes["settings"] = mutability
    if "resourceTags" in p:
        changes["resource_tags"] = {t["Key"]: t["Value"] for t in p["resourceTags"]}
    if "appliedFor" in p:
        changes["applied_for"] = tuple(p["appliedFor"])
    for param, name in (("description", "description"), ("repositoryPolicy", "repository_policy"),
                        ("lifecyclePolicy", "lifecycle_policy"),
                        ("customRoleArn", "custom_role_arn")):
        if param in p:
            changes[name] = p[param]
    return changes


def _answer(call: Call, template: Template) -> dict[str, Any]:
    return {"registryId": call.registry(), "repositoryCreationTemplate": shapes.template(template)}


async def create_repository_creation_template(call: Call) -> dict[str, Any]:
    fields = _fields(call, None)
    template = Template(prefix=call.params["prefix"], **fields)
    created = await call.services.templates.create(call.registry(), template)
    return _answer(call, created)


async def update_repository_creation_template(call: Call) -> dict[str, Any]:
    templates = call.services.templates
    current = await templates.get(call.registry(), call.params["prefix"])
    updated = await templates.update(call.registry(), current.prefix, **_fields(call, current))
    return _answer(call, updated)


async def delete_repository_creation_template(call: Call) -> dict[str, Any]:
    deleted = await call.services.templates.delete(call.registry(), call.params["prefix"])
    return _answer(call, deleted)


async def describe_repository_creation_templates(call: Call) -> dict[str, Any]:
    after, limit = call.page()
    prefixes = call.params.get("prefixes")
    found = await call.services.templates.all(call.registry())
    if prefixes:
        found = [t for t in found if t.prefix in prefixes]
    found = [t for t in found if after is None or t.prefix > after]
    page = found[:limit]
    out: dict[str, Any] = {"registryId": call.registry(),
                           "repositoryCreationTemplates": [shapes.template(t) for t in page]}
    if len(found) > limit:
        out["nextToken"] = encode_token(page[-1].prefix)
    return out
