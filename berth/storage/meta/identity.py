"""The IdentityStore: accounts, IAM users and their access keys.

Secrets arrive here already encrypted by ``berth.auth``; this store never sees
a plaintext secret.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, delete, select

from berth.storage.meta.schema import (
    access_keys,
    accounts,
    iam_roles,
    iam_users,
    role_attached_policies,
    role_policies,
    user_attached_policies,
    user_policies,
)
from berth.storage.meta.sql import SqlBase


@dataclass(frozen=True, slots=True)
class UserRecord:
    account_id: str
    name: str
    user_id: str
    created_at: float


@dataclass(frozen=True, slots=True)
class RoleRecord:
    account_id: str
    name: str
    role_id: str
    trust_policy: str
    max_session_seconds: int
    created_at: float


@dataclass(frozen=True, slots=True)
class AccessKeyRecord:
    access_key_id: str
    account_id: str
    user_name: str | None  # None: the account's root
    secret: str            # encrypted
    status: str
    created_at: float


class SqlIdentityStore(SqlBase):
    async def ensure_account(self, account_id: str, now: float) -> bool:
        """Create the account unless it exists; True when created."""
        async with self._write() as conn:
            result = await conn.execute(self._insert(accounts).values(
                id=account_id, created_at=now).on_conflict_do_nothing())
        return bool(result.rowcount)

    async def account_exists(self, account_id: str) -> bool:
        async with self._read() as conn:
            return (await conn.execute(
                select(accounts.c.id).where(accounts.c.id == account_id))).first() is not None

    async def create_user(self, user: UserRecord) -> bool:
        """False when the account already has a user of that name."""
        async with self._write() as conn:
            result = await conn.execute(self._insert(iam_users).values(
                account_id=user.account_id, name=user.name, user_id=user.user_id,
                created_at=user.created_at).on_conflict_do_nothing())
        return bool(result.rowcount)

    async def get_user(self, account_id: str, name: str) -> UserRecord | None:
        query = select(iam_users).where(iam_users.c.account_id == account_id,
                                        iam_users.c.name == name)
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else UserRecord(**row._mapping)

    async def add_access_key(self, key: AccessKeyRecord) -> None:
        async with self._write() as conn:
            await conn.execute(access_keys.insert().values(
                access_key_id=key.access_key_id, account_id=key.account_id,
                user_name=key.user_name, secret=key.secret, status=key.status,
                created_at=key.created_at))

    async def replace_secret(self, access_key_id: str, secret: str) -> None:
        async with self._write() as conn:
            await conn.execute(access_keys.update().where(
                access_keys.c.access_key_id == access_key_id).values(secret=secret))

    async def get_access_key(self, access_key_id: str) -> AccessKeyRecord | None:
        query = select(access_keys).where(access_keys.c.access_key_id == access_key_id)
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else AccessKeyRecord(**row._mapping)

    async def list_access_keys(self, account_id: str, user_name: str | None
                               ) -> list[AccessKeyRecord]:
        query = select(access_keys).where(access_keys.c.account_id == account_id)
        query = query.where(access_keys.c.user_name.is_(None) if user_name is None
                            else access_keys.c.user_name == user_name)
        async with self._read() as conn:
            return [AccessKeyRecord(**row._mapping)
                    for row in await conn.execute(query.order_by(access_keys.c.created_at))]

    async def delete_access_key(self, access_key_id: str) -> bool:
        async with self._write() as conn:
            result = await conn.execute(delete(access_keys).where(
                access_keys.c.access_key_id == access_key_id))
        return bool(result.rowcount)

    async def delete_user(self, account_id: str, name: str) -> bool:
        """Remove the user, its keys and its policies."""
        async with self._write() as conn:
            await conn.execute(delete(access_keys).where(
                access_keys.c.account_id == account_id, access_keys.c.user_name == name))
            result = await conn.execute(delete(iam_users).where(
                iam_users.c.account_id == account_id, iam_users.c.name == name))
        return bool(result.rowcount)

    async def list_users(self, account_id: str) -> list[UserRecord]:
        query = (select(iam_users).where(iam_users.c.account_id == account_id)
                 .order_by(iam_users.c.name))
        async with self._read() as conn:
            return [UserRecord(**row._mapping) for row in await conn.execute(query)]

    # policies of a user or a role: the same tables' shapes, two owners

    async def put_user_policy(self, account_id: str, user_name: str, policy_name: str,
                              document: str) -> None:
        await self._put_inline(user_policies, account_id, user_name, policy_name, document)

    async def delete_user_policy(self, account_id: str, user_name: str, policy_name: str
                                 ) -> bool:
        return await self._delete_inline(user_policies, account_id, user_name, policy_name)

    async def user_policies(self, account_id: str, user_name: str) -> dict[str, str]:
        return await self._inline(user_policies, account_id, user_name)

    async def attach_user_policy(self, account_id: str, user_name: str, arn: str) -> None:
        await self._attach(user_attached_policies, account_id, user_name, arn)

    async def detach_user_policy(self, account_id: str, user_name: str, arn: str) -> bool:
        return await self._detach(user_attached_policies, account_id, user_name, arn)

    async def attached_policies(self, account_id: str, user_name: str) -> list[str]:
        return await self._attached(user_attached_policies, account_id, user_name)

    async def put_role_policy(self, account_id: str, role_name: str, policy_name: str,
                              document: str) -> None:
        await self._put_inline(role_policies, account_id, role_name, policy_name, document)

    async def delete_role_policy(self, account_id: str, role_name: str, policy_name: str
                                 ) -> bool:
        return await self._delete_inline(role_policies, account_id, role_name, policy_name)

    async def role_policies(self, account_id: str, role_name: str) -> dict[str, str]:
        return await self._inline(role_policies, account_id, role_name)

    async def attach_role_policy(self, account_id: str, role_name: str, arn: str) -> None:
        await self._attach(role_attached_policies, account_id, role_name, arn)

    async def detach_role_policy(self, account_id: str, role_name: str, arn: str) -> bool:
        return await self._detach(role_attached_policies, account_id, role_name, arn)

    async def attached_role_policies(self, account_id: str, role_name: str) -> list[str]:
        return await self._attached(role_attached_policies, account_id, role_name)

    async def _put_inline(self, table: Table, account_id: str, owner: str, name: str,
                          document: str) -> None:
        owner_column = table.c.keys()[1]
        async with self._write() as conn:
            await conn.execute(self._insert(table).values(
                {"account_id": account_id, owner_column: owner, "policy_name": name,
                 "document": document},
            ).on_conflict_do_update(index_elements=["account_id", owner_column, "policy_name"],
                                    set_={"document": document}))

    async def _delete_inline(self, table: Table, account_id: str, owner: str, name: str
                             ) -> bool:
        async with self._write() as conn:
            result = await conn.execute(delete(table).where(
                table.c.account_id == account_id, table.columns[1] == owner,
                table.c.policy_name == name))
        return bool(result.rowcount)

    async def _inline(self, table: Table, account_id: str, owner: str) -> dict[str, str]:
        query = select(table.c.policy_name, table.c.document).where(
            table.c.account_id == account_id, table.columns[1] == owner)
        async with self._read() as conn:
            return {row.policy_name: row.document for row in await conn.execute(query)}

    async def _attach(self, table: Table, account_id: str, owner: str, arn: str) -> None:
        async with self._write() as conn:
            await conn.execute(self._insert(table).values(
                {"account_id": account_id, table.c.keys()[1]: owner, "policy_arn": arn},
            ).on_conflict_do_nothing())

    async def _detach(self, table: Table, account_id: str, owner: str, arn: str) -> bool:
        async with self._write() as conn:
            result = await conn.execute(delete(table).where(
                table.c.account_id == account_id, table.columns[1] == owner,
                table.c.policy_arn == arn))
        return bool(result.rowcount)

    async def _attached(self, table: Table, account_id: str, owner: str) -> list[str]:
        query = select(table.c.policy_arn).where(table.c.account_id == account_id,
                                                 table.columns[1] == owner)
        async with self._read() as conn:
            return sorted((await conn.execute(query)).scalars())

    # roles

    async def create_role(self, role: RoleRecord) -> bool:
        """False when the account already has a role of that name."""
        async with self._write() as conn:
            result = await conn.execute(self._insert(iam_roles).values(
                account_id=role.account_id, name=role.name, role_id=role.role_id,
                trust_policy=role.trust_policy, max_session_seconds=role.max_session_seconds,
                created_at=role.created_at).on_conflict_do_nothing())
        return bool(result.rowcount)

    async def get_role(self, account_id: str, name: str) -> RoleRecord | None:
        query = select(iam_roles).where(iam_roles.c.account_id == account_id,
                                        iam_roles.c.name == name)
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else RoleRecord(**row._mapping)

    async def delete_role(self, account_id: str, name: str) -> bool:
        async with self._write() as conn:
            result = await conn.execute(delete(iam_roles).where(
                iam_roles.c.account_id == account_id, iam_roles.c.name == name))
        return bool(result.rowcount)
