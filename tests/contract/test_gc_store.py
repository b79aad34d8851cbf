"""The MetaStore's garbage-collection contract, on every backend (SQLite, PostgreSQL).

The races are made deterministic by pausing one side inside its transaction (in the
callback the store runs there) and checking that the other side waits for it or
leaves its row alone, never slips in between.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from berth.storage.meta import StoredBlob, Upload
from berth.storage.meta.sql import SqlMetaStore
from tests.contract.test_meta_store import ACCOUNT, digest, record

B = digest("blob")


class Pause:
    """A callback that stops until released, and says when it was reached."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.calls: list[list[str]] = []

    async def __call__(self, digests: list[str] | None = None) -> None:
        self.calls.append(list(digests or []))
        self.entered.set()
        await self.release.wait()


async def unreferenced(meta: SqlMetaStore, seed: str = "blob", size: int = 7) -> int:
    """A repository and a blob row no link or manifest uses; the repository's id."""
    repo, _ = await meta.create_repository(ACCOUNT, "gc/app", 1.0)
    await meta.link_blob(repo.id, digest(seed), size, 1.0)
    assert await meta.unlink_blob(repo.id, digest(seed))
    return repo.id


async def noop(digests: list[str]) -> None:
    return None


async def test_prune_links_keeps_young_links_and_those_a_manifest_uses(
        meta: SqlMetaStore) -> None:
    one, _ = await meta.create_repository(ACCOUNT, "one", 1.0)
    two, _ = await meta.create_repository(ACCOUNT, "two", 1.0)
    for repo_id, seed, at in [(one.id, "cfg", 1.0), (one.id, "layer", 1.0),
                              (one.id, "young", 100.0), (two.id, "cfg", 1.0)]:
        await meta.link_blob(repo_id, digest(seed), 3, at)
    await meta.put_manifest(record(one.id, "m"), [digest("cfg")], [], ["v1"])
    # one/layer and two/cfg: old, and no manifest of their own repository uses them
    assert await meta.count_prunable_links(50.0) == 2
    assert await meta.prune_links(50.0, 1) == 1
    assert await meta.prune_links(50.0, 10) == 1
    assert await meta.prune_links(50.0, 10) == 0
    assert await meta.linked_blob_size(one.id, digest("cfg")) == 3
    assert await meta.linked_blob_size(one.id, digest("young")) == 3
    assert await meta.linked_blob_size(one.id, digest("layer")) is None
    assert await meta.linked_blob_size(two.id, digest("cfg")) is None


async def test_linking_again_renews_the_grace_period(meta: SqlMetaStore) -> None:
    repo, _ = await meta.create_repository(ACCOUNT, "renew", 1.0)
    await meta.link_blob(repo.id, B, 3, 1.0)
    await meta.link_blob(repo.id, B, 3, 100.0)
    assert await meta.count_prunable_links(50.0) == 0
    await meta.link_blob(repo.id, digest("other"), 3, 1.0)
    assert await meta.mount_blob(repo.id, digest("other"), 100.0) == 3
    assert await meta.prune_links(50.0, 10) == 0


async def test_unreferenced_blobs_page_in_digest_order(meta: SqlMetaStore) -> None:
    repo, _ = await meta.create_repository(ACCOUNT, "mark", 1.0)
    loose = sorted(digest(f"loose{i}") for i in range(5))
    for d in loose:
        await meta.link_blob(repo.id, d, 1, 1.0)
        await meta.unlink_blob(repo.id, d)
    await meta.link_blob(repo.id, digest("old"), 2, 1.0)      # linked long ago
    await meta.link_blob(repo.id, digest("new"), 2, 100.0)    # linked recently
    await meta.link_blob(repo.id, digest("used"), 2, 1.0)
    await meta.put_manifest(record(repo.id, "m"), [digest("used")], [], [])
    await meta.unlink_blob(repo.id, digest("used"))           # a manifest still uses it

    assert [b.digest for b in await meta.unreferenced_blobs(None, 10, None)] == loose
    first = await meta.unreferenced_blobs(None, 2, None)
    rest = await meta.unreferenced_blobs(first[-1].digest, 10, None)
    assert [b.digest for b in first + rest] == loose
    assert first[0] == StoredBlob(loose[0], 1)
    # past links made before 50: what a pass would collect after pruning links
    assert [b.digest for b in await meta.unreferenced_blobs(None, 10, 50.0)] == sorted(
        [*loose, digest("old")])


async def test_delete_blobs_discards_inside_the_transaction(meta: SqlMetaStore) -> None:
    repo_id = await unreferenced(meta)
    await meta.link_blob(repo_id, digest("kept"), 1, 1.0)
    seen: list[tuple[list[str], set[str]]] = []

    async def discard(digests: list[str]) -> None:
        seen.append((digests, await meta.blobs_present(digests)))  # not yet committed

    gone = await meta.delete_blobs([B, digest("kept"), digest("absent")], discard)
    assert gone == [StoredBlob(B, 7)]
    assert seen == [([B], {B})]
    assert await meta.blobs_present([B, digest("kept")]) == {digest("kept")}
    assert await meta.delete_blobs([B], discard) == []
    assert len(seen) == 1  # nothing to discard, no call


async def test_a_failing_discard_deletes_nothing(meta: SqlMetaStore) -> None:
    await unreferenced(meta)

    async def broken(digests: list[str]) -> None:
        raise OSError("disk gone")

    with pytest.raises(OSError):
        await meta.delete_blobs([B], broken)
    assert await meta.blobs_present([B]) == {B}


async def test_a_failing_publish_stores_nothing(meta: SqlMetaStore) -> None:
    repo, _ = await meta.create_repository(ACCOUNT, "publish", 1.0)
    await meta.create_upload(Upload("e" * 32, repo.id, "sha256", 1.0, 1.0))

    async def broken() -> None:
        raise OSError("rename failed")

    with pytest.raises(OSError):
        await meta.link_blob(repo.id, B, 5, 2.0, finished_upload="e" * 32, publish=broken)
    assert await meta.blobs_present([B]) == set()
    assert await meta.get_upload("e" * 32) is not None


async def test_mount_links_only_a_stored_blob(meta: SqlMetaStore) -> None:
    repo_id = await unreferenced(meta)
    other, _ = await meta.create_repository(ACCOUNT, "other", 1.0)
    assert await meta.mount_blob(other.id, B, 2.0) == 7
    assert await meta.linked_blob_size(other.id, B) == 7
    assert await meta.mount_blob(repo_id, digest("never stored"), 2.0) is None
    assert await meta.blobs_present([digest("never stored")]) == set()


async def test_blobs_between_reads_a_range_of_digests(meta: SqlMetaStore) -> None:
    repo, _ = await meta.create_repository(ACCOUNT, "range", 1.0)
    stored = sorted(digest(f"r{i}") for i in range(6))
    for d in stored:
        await meta.link_blob(repo.id, d, 1, 1.0)
    assert await meta.blobs_between(stored[1], stored[4]) == set(stored[1:5])
    assert await meta.blobs_between(stored[0], stored[0]) == {stored[0]}
    assert await meta.blobs_present([stored[2], digest("none")]) == {stored[2]}


async def test_adopt_blobs_inserts_only_missing_rows(meta: SqlMetaStore) -> None:
    await unreferenced(meta)
    adopted = await meta.adopt_blobs([StoredBlob(B, 99), StoredBlob(digest("orphan"), 4)], 5.0)
    assert adopted == [digest("orphan")]
    assert await meta.blob_size(B) == 7  # the existing row wins
    assert digest("orphan") in {b.digest for b in await meta.unreferenced_blobs(None, 9, None)}


async def test_gc_lock_is_exclusive(meta: SqlMetaStore) -> None:
    async with meta.gc_lock() as first:
        assert first
        async with meta.gc_lock() as second:
            assert not second
    async with meta.gc_lock() as again:
        assert again


async def race(first: Callable[[], Awaitable[object]], pause: Pause,
               second: Callable[[], Awaitable[object]]) -> tuple[object, object]:
    """Start ``first``, wait until it pauses inside its transaction, start ``second``,
    let it run into the first for a while, then release the first."""
    one = asyncio.create_task(first())
    await asyncio.wait_for(pause.entered.wait(), 10)
    two = asyncio.create_task(second())
    await asyncio.sleep(0.3)
    pause.release.set()
    return await asyncio.wait_for(one, 30), await asyncio.wait_for(two, 30)


async def test_gc_leaves_a_blob_an_upload_is_publishing(meta: SqlMetaStore) -> None:
    repo_id = await unreferenced(meta)
    publish = Pause()
    discarded: list[str] = []

    async def discard(digests: list[str]) -> None:
        discarded.extend(digests)

    _, gone = await race(lambda: meta.link_blob(repo_id, B, 7, 2.0, publish=publish),
                         publish, lambda: meta.delete_blobs([B], discard))
    assert gone == [] and discarded == []
    assert await meta.linked_blob_size(repo_id, B) == 7


async def test_an_upload_waits_for_gc_then_publishes_again(meta: SqlMetaStore) -> None:
    repo_id = await unreferenced(meta)
    discard = Pause()
    seen_by_publish: list[tuple[bool, set[str]]] = []

    async def publish() -> None:
        # what others see of the row while the upload places its bytes
        seen_by_publish.append((discard.release.is_set(), await meta.blobs_present([B])))

    gone, _ = await race(lambda: meta.delete_blobs([B], discard), discard,
                         lambda: meta.link_blob(repo_id, B, 7, 2.0, publish=publish))
    assert gone == [StoredBlob(B, 7)] and discard.calls == [[B]]
    # The upload placed its bytes only after the collector had moved the old ones and
    # committed the row's deletion; its own row and link are there now.
    assert seen_by_publish == [(True, set())]
    assert await meta.linked_blob_size(repo_id, B) == 7


async def test_a_mount_racing_gc_links_nothing_once_the_blob_is_gone(
        meta: SqlMetaStore) -> None:
    await unreferenced(meta)
    other, _ = await meta.create_repository(ACCOUNT, "mounter", 1.0)
    discard = Pause()
    gone, mounted = await race(lambda: meta.delete_blobs([B], discard), discard,
                               lambda: meta.mount_blob(other.id, B, 2.0))
    assert gone == [StoredBlob(B, 7)] and mounted is None
    assert await meta.linked_blob_size(other.id, B) is None


async def test_a_mount_holds_its_blob_against_gc(meta: SqlMetaStore) -> None:
    repo_id = await unreferenced(meta)
    await meta.link_blob(repo_id, B, 7, 1.0)
    publish = Pause()
    # an upload holds the row; the mount and GC queue behind it, and GC, rechecking,
    # finds both links
    await race(lambda: meta.link_blob(repo_id, B, 7, 2.0, publish=publish), publish,
               lambda: meta.mount_blob(repo_id, B, 2.0))
    assert await meta.delete_blobs([B], noop) == []


async def test_link_pruning_waits_for_a_manifest_push_that_checked_the_link(
        meta: SqlMetaStore, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _ = await meta.create_repository(ACCOUNT, "push", 1.0)
    await meta.link_blob(repo.id, B, 7, 1.0)  # old enough to prune
    pause = Pause()
    insert = meta._insert_references

    async def paused(*args: object) -> None:  # between the link check and the insert
        await pause()
        await insert(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(meta, "_insert_references", paused)
    pushed, pruned = await race(
        lambda: meta.put_manifest(record(repo.id, "m"), [B], [], ["v1"]), pause,
        lambda: meta.prune_links(50.0, 10))
    assert pushed is True and pruned == 0
    assert await meta.linked_blob_size(repo.id, B) == 7
    assert await meta.blob_in_manifest(repo.id, B)
    assert await meta.delete_blobs([B], noop) == []
