"""The MetaStore contract: every backend (SQLite, PostgreSQL) passes the same tests."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from berth.storage.meta import (
    ManifestRecord,
    MissingReferences,
    RepositorySettings,
    TagFrozen,
    TemplateRecord,
    Upload,
)
from berth.storage.meta.sql import SqlMetaStore

ACCOUNT = "123456789012"


def digest(seed: str) -> str:
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def record(repo_id: int, seed: str, subject: str | None = None, at: float = 1.0,
           artifact_type: str | None = None) -> ManifestRecord:
    return ManifestRecord(repo_id, digest(seed), "application/vnd.oci.image.manifest.v1+json",
                          artifact_type, subject, f"payload-{seed}".encode(), at)


async def test_create_repository_is_idempotent(meta: SqlMetaStore) -> None:
    first, created = await meta.create_repository(ACCOUNT, "team/app", 1.0)
    again, created_again = await meta.create_repository(ACCOUNT, "team/app", 2.0)
    assert again == first and created and not created_again
    assert (await meta.get_repository(ACCOUNT, "team/app")) == first
    assert await meta.get_repository("999999999999", "team/app") is None


async def test_concurrent_creation_yields_one_repository(meta: SqlMetaStore) -> None:
    results = await asyncio.gather(*(meta.create_repository(ACCOUNT, "race", 1.0)
                                     for _ in range(8)))
    assert len({repo.id for repo, _ in results}) == 1
    assert sum(created for _, created in results) == 1


async def test_catalog_pages_in_byte_order(meta: SqlMetaStore) -> None:
    for name in ["b", "a/z", "a", "B-upper", "a-b", "c"]:
        (await meta.create_repository(ACCOUNT, name, 1.0))[0]
    (await meta.create_repository("000000000001", "other-account", 1.0))[0]
    assert await meta.list_repositories(ACCOUNT, None, 100) == sorted(
        ["b", "a/z", "a", "B-upper", "a-b", "c"])
    assert await meta.list_repositories(ACCOUNT, None, 2) == ["B-upper", "a"]
    assert await meta.list_repositories(ACCOUNT, "a", 2) == ["a-b", "a/z"]
    assert await meta.list_repositories(ACCOUNT, "c", 2) == []


async def test_blob_links_are_per_repository(meta: SqlMetaStore) -> None:
    one = (await meta.create_repository(ACCOUNT, "one", 1.0))[0]
    two = (await meta.create_repository(ACCOUNT, "two", 1.0))[0]
    await meta.link_blob(one.id, digest("x"), 42, 1.0)
    await meta.link_blob(one.id, digest("x"), 42, 2.0)  # idempotent
    assert await meta.linked_blob_size(one.id, digest("x")) == 42
    assert await meta.linked_blob_size(two.id, digest("x")) is None
    assert await meta.blob_size(digest("x")) == 42
    assert await meta.unlink_blob(one.id, digest("x"))
    assert not await meta.unlink_blob(one.id, digest("x"))
    assert await meta.linked_blob_size(one.id, digest("x")) is None


async def test_put_manifest_requires_linked_blobs_and_children(meta: SqlMetaStore) -> None:
    repo = (await meta.create_repository(ACCOUNT, "app", 1.0))[0]
    with pytest.raises(MissingReferences) as missing:
        await meta.put_manifest(record(repo.id, "m"), [digest("cfg"), digest("layer")], [],
                                ["v1"])
    assert missing.value.blobs == [digest("cfg"), digest("layer")]
    assert await meta.get_manifest(repo.id, digest("m")) is None
    assert await meta.list_tags(repo.id, None, 10) == []

    await meta.link_blob(repo.id, digest("cfg"), 10, 1.0)
    await meta.link_blob(repo.id, digest("layer"), 20, 1.0)
    await meta.put_manifest(record(repo.id, "m"), [digest("cfg"), digest("layer")], [], ["v1"])
    with pytest.raises(MissingReferences) as missing_child:
        await meta.put_manifest(record(repo.id, "idx"), [], [digest("m"), digest("nope")], [])
    assert missing_child.value.manifests == [digest("nope")]
    await meta.put_manifest(record(repo.id, "idx"), [], [digest("m")], ["multi"])
    assert (await meta.resolve_tag(repo.id, "multi")).digest == digest("idx")


async def test_tags_move_and_repush_keeps_first_push_time(meta: SqlMetaStore) -> None:
    repo = (await meta.create_repository(ACCOUNT, "app", 1.0))[0]
    await meta.put_manifest(record(repo.id, "a", at=1.0), [], [], ["latest", "v1"])
    await meta.put_manifest(record(repo.id, "b", at=2.0), [], [], ["latest"])
    await meta.put_manifest(record(repo.id, "a", at=3.0), [], [], ["again"])
    assert (await meta.resolve_tag(repo.id, "latest")).digest == digest("b")
    assert (await meta.resolve_tag(repo.id, "v1")).digest == digest("a")
    assert (await meta.get_manifest(repo.id, digest("a"))).pushed_at == 1.0
    assert await meta.list_tags(repo.id, None, 10) == ["again", "latest", "v1"]
    assert await meta.list_tags(repo.id, "again", 1) == ["latest"]


async def test_delete_manifest_removes_its_tags(meta: SqlMetaStore) -> None:
    repo = (await meta.create_repository(ACCOUNT, "app", 1.0))[0]
    await meta.link_blob(repo.id, digest("cfg"), 10, 1.0)
    await meta.put_manifest(record(repo.id, "a"), [digest("cfg")], [], ["v1", "v2"])
    assert await meta.delete_tag(repo.id, "v2")
    assert not await meta.delete_tag(repo.id, "v2")
    assert await meta.delete_manifest(repo.id, digest("a"))
    assert not await meta.delete_manifest(repo.id, digest("a"))
    assert await meta.resolve_tag(repo.id, "v1") is None
    assert await meta.list_tags(repo.id, None, 10) == []
    # the blob stays linked: only GC decides when it goes
    assert await meta.linked_blob_size(repo.id, digest("cfg")) == 10


async def test_referrers_by_subject(meta: SqlMetaStore) -> None:
    repo = (await meta.create_repository(ACCOUNT, "app", 1.0))[0]
    await meta.put_manifest(record(repo.id, "img"), [], [], [])
    await meta.put_manifest(record(repo.id, "sig", subject=digest("img"), at=2.0,
                                   artifact_type="application/sig"), [], [], [])
    await meta.put_manifest(record(repo.id, "sbom", subject=digest("img"), at=3.0,
                                   artifact_type="application/sbom"), [], [], [])
    found = await meta.referrers(repo.id, digest("img"))
    assert [r.digest for r in found] == [digest("sig"), digest("sbom")]
    assert await meta.referrers(repo.id, digest("sig")) == []


async def test_uploads_expire_by_last_touch(meta: SqlMetaStore) -> None:
    repo = (await meta.create_repository(ACCOUNT, "app", 1.0))[0]
    await meta.create_upload(Upload("a" * 32, repo.id, "sha256", 10.0, 10.0))
    await meta.create_upload(Upload("b" * 32, repo.id, "sha512", 10.0, 10.0))
    await meta.record_upload_progress("b" * 32, 100.0, 5, "sha512:" + "0" * 128)
    assert [u.id for u in await meta.expired_uploads(50.0, 10)] == ["a" * 32]
    assert (await meta.get_upload("b" * 32)).algorithm == "sha512"
    await meta.delete_upload("a" * 32)
    await meta.delete_upload("a" * 32)
    assert await meta.get_upload("a" * 32) is None


async def test_deleting_a_repository_removes_everything_under_it(meta: SqlMetaStore) -> None:
    repo = (await meta.create_repository(ACCOUNT, "doomed", 1.0))[0]
    await meta.link_blob(repo.id, digest("cfg"), 10, 1.0)
    await meta.put_manifest(record(repo.id, "a"), [digest("cfg")], [], ["v1"])
    await meta.create_upload(Upload("c" * 32, repo.id, "sha256", 1.0, 1.0))
    await meta.delete_repository(repo.id)
    assert await meta.get_repository(ACCOUNT, "doomed") is None
    assert await meta.get_upload("c" * 32) is None
    again = (await meta.create_repository(ACCOUNT, "doomed", 2.0))[0]
    assert await meta.resolve_tag(again.id, "v1") is None
    assert await meta.linked_blob_size(again.id, digest("cfg")) is None


async def test_repository_settings_and_resource_tags(meta: SqlMetaStore) -> None:
    settings = RepositorySettings("IMMUTABLE_WITH_EXCLUSION", ("dev-*", "latest"), True, "KMS",
                                  "arn:aws:kms:us-east-1:123456789012:key/abc")
    repo, _ = await meta.create_repository(ACCOUNT, "configured", 1.0, settings,
                                           {"Team": "backend", "Env": "prod"})
    assert repo.settings == settings
    assert await meta.repository_tags(repo.id) == {"Env": "prod", "Team": "backend"}
    await meta.update_repository_settings(repo.id, RepositorySettings())
    assert (await meta.get_repository(ACCOUNT, "configured")).settings == RepositorySettings()
    after = await meta.set_repository_tags(repo.id, {"Team": "platform", "New": "1"}, ["Env"])
    assert after == {"New": "1", "Team": "platform"}
    described = await meta.describe_repositories(ACCOUNT, ["configured", "absent"], None, 10)
    assert [r.name for r in described] == ["configured"]


async def test_image_queries(meta: SqlMetaStore) -> None:
    repo, _ = await meta.create_repository(ACCOUNT, "images", 1.0)
    for seed in ("a", "b", "c"):
        await meta.put_manifest(record(repo.id, seed), [], [], [f"tag-{seed}"])
    await meta.put_manifest(record(repo.id, "a"), [], [], ["also-a"])
    await meta.put_manifest(record(repo.id, "idx"), [], [digest("a"), digest("b")], [])
    assert await meta.count_manifests(repo.id) == 4
    ordered = sorted(digest(x) for x in ("a", "b", "c", "idx"))
    listed = await meta.list_manifests(repo.id, None, None, 2)
    assert [m.digest for m in listed] == ordered[:2]
    rest = await meta.list_manifests(repo.id, None, listed[-1].digest, 10)
    assert [m.digest for m in rest] == ordered[2:]
    assert await meta.tags_of(repo.id, [digest("a"), digest("idx")]) == {
        digest("a"): ["also-a", "tag-a"], digest("idx"): []}
    assert await meta.tag_targets(repo.id, ["tag-b", "nope"]) == {"tag-b": digest("b")}
    assert await meta.parents_of(repo.id, digest("a")) == [digest("idx")]
    assert await meta.parents_of(repo.id, digest("c")) == []


async def test_account_settings_and_templates(meta: SqlMetaStore) -> None:
    assert await meta.account_settings(ACCOUNT) == {}
    await meta.put_account_setting(ACCOUNT, "BLOB_MOUNTING", "ENABLED")
    await meta.put_account_setting(ACCOUNT, "BLOB_MOUNTING", "DISABLED")
    assert await meta.account_settings(ACCOUNT) == {"BLOB_MOUNTING": "DISABLED"}
    template = TemplateRecord("team", {"appliedFor": ["CREATE_ON_PUSH"]}, 1.0, 1.0)
    assert await meta.put_template(ACCOUNT, template, create=True)
    assert not await meta.put_template(ACCOUNT, template, create=True)
    changed = TemplateRecord("team", {"appliedFor": ["REPLICATION"]}, 1.0, 2.0)
    assert await meta.put_template(ACCOUNT, changed, create=False)
    assert not await meta.put_template(ACCOUNT, TemplateRecord("x", {}, 1, 1), create=False)
    assert (await meta.templates(ACCOUNT))["team"].document == {"appliedFor": ["REPLICATION"]}
    assert await meta.delete_template(ACCOUNT, "team")
    assert await meta.templates(ACCOUNT) == {}


async def test_frozen_tags_are_created_but_never_moved(meta: SqlMetaStore) -> None:
    repo, _ = await meta.create_repository(ACCOUNT, "immutable", 1.0)
    assert await meta.put_manifest(record(repo.id, "a"), [], [], ["v1"], frozen_tags={"v1"})
    with pytest.raises(TagFrozen):
        await meta.put_manifest(record(repo.id, "b"), [], [], ["latest", "v1"],
                                frozen_tags={"v1"})
    assert await meta.get_manifest(repo.id, digest("b")) is None
    assert await meta.resolve_tag(repo.id, "latest") is None
    assert (await meta.resolve_tag(repo.id, "v1")).digest == digest("a")
    assert not await meta.put_manifest(record(repo.id, "a"), [], [], ["other"])


async def test_racing_pushes_of_one_frozen_tag(meta: SqlMetaStore) -> None:
    repo, _ = await meta.create_repository(ACCOUNT, "race-tag", 1.0)
    results = await asyncio.gather(
        *(meta.put_manifest(record(repo.id, f"m{i}"), [], [], ["v1"], frozen_tags={"v1"})
          for i in range(6)), return_exceptions=True)
    assert sum(1 for r in results if r is True) == 1
    assert sum(1 for r in results if isinstance(r, TagFrozen)) == 5


async def test_pull_path_reads_by_repository_name(meta: SqlMetaStore) -> None:
    repo, _ = await meta.create_repository(ACCOUNT, "hot/path", 1.0)
    await meta.link_blob(repo.id, digest("layer"), 77, 1.0)
    await meta.put_manifest(record(repo.id, "m"), [digest("layer")], [], ["v1"])
    by_tag = await meta.manifest_by_name(ACCOUNT, "hot/path", "v1", by_digest=False)
    by_digest = await meta.manifest_by_name(ACCOUNT, "hot/path", digest("m"), by_digest=True)
    assert by_tag == by_digest == await meta.get_manifest(repo.id, digest("m"))
    assert await meta.manifest_by_name(ACCOUNT, "hot/path", "v2", by_digest=False) is None
    assert await meta.manifest_by_name("000000000000", "hot/path", "v1", by_digest=False) is None
    assert await meta.blob_size_by_name(ACCOUNT, "hot/path", digest("layer")) == (True, 77)
    assert await meta.blob_size_by_name(ACCOUNT, "hot/path", digest("other")) == (True, None)
    assert await meta.blob_size_by_name(ACCOUNT, "hot/other", digest("layer")) == (False, None)
    await meta.create_repository(ACCOUNT, "hot/other", 1.0)
    assert await meta.blob_size_by_name(ACCOUNT, "hot/other", digest("layer")) == (True, None)
    # a write is visible to the next read at once
    await meta.put_manifest(record(repo.id, "n"), [], [], ["v1"])
    moved = await meta.manifest_by_name(ACCOUNT, "hot/path", "v1", by_digest=False)
    assert moved is not None and moved.digest == digest("n")


async def test_pull_times_are_recorded_at_a_resolution(meta: SqlMetaStore) -> None:
    repo, _ = await meta.create_repository(ACCOUNT, "pulled", 1.0)
    await meta.put_manifest(record(repo.id, "m"), [], [], ["v1"])
    await meta.record_pull(repo.id, digest("m"), 100.0, 60.0)
    await meta.record_pull(repo.id, digest("m"), 130.0, 60.0)  # within the resolution
    assert (await meta.get_manifest(repo.id, digest("m"))).last_pulled_at == 100.0
    await meta.record_pull(repo.id, digest("m"), 170.0, 60.0)
    assert (await meta.get_manifest(repo.id, digest("m"))).last_pulled_at == 170.0


async def test_resource_policies(meta: SqlMetaStore) -> None:
    repo, _ = await meta.create_repository(ACCOUNT, "guarded", 1.0)
    assert await meta.repository_policy(repo.id) is None
    assert not await meta.set_repository_policy(repo.id, '{"Version":"2012-10-17"}')
    assert await meta.set_repository_policy(repo.id, '{"Statement":[]}')
    assert await meta.repository_policy(repo.id) == '{"Statement":[]}'
    assert await meta.set_repository_policy(repo.id, None)
    assert await meta.repository_policy(repo.id) is None
    assert not await meta.set_registry_policy(ACCOUNT, "{}")
    assert await meta.registry_policy(ACCOUNT) == "{}"
    assert await meta.set_registry_policy(ACCOUNT, None)
    assert await meta.registry_policy(ACCOUNT) is None


async def test_linking_a_blob_ends_its_upload_session(meta: SqlMetaStore) -> None:
    repo, _ = await meta.create_repository(ACCOUNT, "linked", 1.0)
    await meta.create_upload(Upload("d" * 32, repo.id, "sha256", 1.0, 1.0))
    await meta.link_blob(repo.id, digest("b"), 5, 2.0, finished_upload="d" * 32)
    assert await meta.get_upload("d" * 32) is None
    assert await meta.linked_blob_size(repo.id, digest("b")) == 5
