"""The IdentityStore on every backend: accounts, users, keys and users' policies."""

from __future__ import annotations

from berth.storage.meta.identity import AccessKeyRecord, SqlIdentityStore, UserRecord
from berth.storage.meta.sql import SqlMetaStore

ACCOUNT = "123456789012"


async def test_users_keys_and_policies(meta: SqlMetaStore) -> None:
    store = SqlIdentityStore(meta.engine)
    assert await store.ensure_account(ACCOUNT, 1.0)
    assert not await store.ensure_account(ACCOUNT, 2.0)
    assert await store.create_user(UserRecord(ACCOUNT, "alice", "AIDAALICE", 1.0))
    assert not await store.create_user(UserRecord(ACCOUNT, "alice", "AIDAOTHER", 1.0))
    await store.add_access_key(AccessKeyRecord("AKIAALICE", ACCOUNT, "alice", "enc", "Active",
                                               1.0))
    await store.put_user_policy(ACCOUNT, "alice", "read", '{"a": 1}')
    await store.put_user_policy(ACCOUNT, "alice", "read", '{"a": 2}')
    assert await store.user_policies(ACCOUNT, "alice") == {"read": '{"a": 2}'}
    await store.attach_user_policy(ACCOUNT, "alice", "arn:aws:iam::aws:policy/X")
    await store.attach_user_policy(ACCOUNT, "alice", "arn:aws:iam::aws:policy/X")
    assert await store.attached_policies(ACCOUNT, "alice") == ["arn:aws:iam::aws:policy/X"]
    assert [u.name for u in await store.list_users(ACCOUNT)] == ["alice"]
    assert await store.delete_user(ACCOUNT, "alice")
    assert await store.get_access_key("AKIAALICE") is None
    assert await store.user_policies(ACCOUNT, "alice") == {}
    assert await store.attached_policies(ACCOUNT, "alice") == []
    assert not await store.delete_user(ACCOUNT, "alice")
