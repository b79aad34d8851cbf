"""Accounts, IAM users and access keys: making them, and finding the secret of a key.

Secrets are encrypted with the server key before they reach the store, and are
shown once, when created.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass

from berth.auth.keys import ServerKeys
from berth.auth.principals import Principal
from berth.clock import Clock
from berth.storage.meta.identity import AccessKeyRecord, SqlIdentityStore, UserRecord

_USER_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


class IdentityConflict(ValueError):
    """The account or user already exists."""


class IdentityMissing(LookupError):
    """No such account or user."""


@dataclass(frozen=True, slots=True)
class NewKey:
    account_id: str
    access_key_id: str
    secret_access_key: str
    user_name: str | None = None

    def as_json(self) -> dict[str, str]:
        return {"AccountId": self.account_id, "AccessKeyId": self.access_key_id,
                "SecretAccessKey": self.secret_access_key}


def new_access_key_id() -> str:
    return "AKIA" + _base32(10)[:16]


def new_secret() -> str:
    return base64.b64encode(secrets.token_bytes(30)).decode()  # 40 characters


def new_account_id() -> str:
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def _base32(n: int) -> str:
    return base64.b32encode(secrets.token_bytes(n)).decode().rstrip("=")


class Credentials:
    def __init__(self, store: SqlIdentityStore, keys: ServerKeys, clock: Clock) -> None:
        self.store = store
        self.keys = keys
        self.clock = clock

    async def create_account(self, account_id: str | None = None) -> NewKey:
        """A new account with a root access key."""
        account_id = account_id or new_account_id()
        if not re.fullmatch(r"\d{12}", account_id):
            raise ValueError("an account id is 12 digits")
        if not await self.store.ensure_account(account_id, self.clock.now()):
            raise IdentityConflict(f"account {account_id} already exists")
        return await self.create_access_key(account_id, None)

    async def ensure_account(self, account_id: str) -> bool:
        return await self.store.ensure_account(account_id, self.clock.now())

    async def ensure_key(self, account_id: str, access_key_id: str, secret: str) -> None:
        """Make a given root key valid for the account (the bootstrap credential)."""
        await self.store.ensure_account(account_id, self.clock.now())
        existing = await self.store.get_access_key(access_key_id)
        if existing is None:
            await self.store.add_access_key(AccessKeyRecord(
                access_key_id, account_id, None, self.keys.encrypt(secret), "Active",
                self.clock.now()))
        elif existing.account_id != account_id or existing.user_name is not None:
            raise IdentityConflict(f"{access_key_id} belongs to another principal")
        elif self.keys.decrypt(existing.secret) != secret:
            await self.store.replace_secret(access_key_id, self.keys.encrypt(secret))

    async def root_keys(self, account_id: str) -> list[str]:
        return [k.access_key_id for k in await self.store.list_access_keys(account_id, None)]

    async def create_user(self, account_id: str, name: str) -> UserRecord:
        if not _USER_NAME.match(name):
            raise ValueError(f"invalid user name {name!r}")
        if not await self.store.account_exists(account_id):
            raise IdentityMissing(f"no account {account_id}")
        user = UserRecord(account_id, name, "AIDA" + _base32(11)[:17], self.clock.now())
        if not await self.store.create_user(user):
            raise IdentityConflict(f"user {name} already exists in {account_id}")
        return user

    async def create_access_key(self, account_id: str, user_name: str | None) -> NewKey:
        if user_name is not None and await self.store.get_user(account_id, user_name) is None:
            raise IdentityMissing(f"no user {user_name} in {account_id}")
        key = NewKey(account_id, new_access_key_id(), new_secret(), user_name)
        await self.store.add_access_key(AccessKeyRecord(
            key.access_key_id, account_id, user_name, self.keys.encrypt(key.secret_access_key),
            "Active", self.clock.now()))
        return key

    async def lookup(self, access_key_id: str) -> tuple[Principal, str] | None:
        """The principal owning an active key, and the key's secret; None when unknown."""
        record = await self.store.get_access_key(access_key_id)
        if record is None or record.status != "Active":
            return None
        user_id = record.account_id
        if record.user_name is not None:
            user = await self.store.get_user(record.account_id, record.user_name)
            if user is None:
                return None
            user_id = user.user_id
        principal = Principal(record.account_id, user_id, record.user_name, access_key_id)
        return principal, self.keys.decrypt(record.secret)
