"""IAM actions on users, access keys and users' policies, as the aws CLI calls them.

Only an account's root manages its IAM entities for now; policies granting iam:*
to users are not consulted yet.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from berth.auth.credentials import Credentials, IdentityConflict, IdentityMissing
from berth.auth.principals import Principal
from berth.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    InvalidParameter,
    MalformedPolicyDocument,
    NoSuchEntity,
)
from berth.policy import PolicyError, parse
from berth.policy.document import IAM_TRUST_POLICY_MAX_CHARS, IAM_USER_INLINE_MAX_CHARS
from berth.policy.managed import managed_policy_name
from berth.storage.meta.identity import AccessKeyRecord, RoleRecord, UserRecord

NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _user(record: UserRecord) -> dict[str, Any]:
    return {"Path": "/", "UserName": record.name, "UserId": record.user_id,
            "Arn": f"arn:aws:iam::{record.account_id}:user/{record.name}",
            "CreateDate": _when(record.created_at)}


def _key(record: AccessKeyRecord, secret: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"UserName": record.user_name, "AccessKeyId": record.access_key_id,
                           "Status": record.status}
    if secret is not None:
        out["SecretAccessKey"] = secret
    out["CreateDate"] = _when(record.created_at)
    return out


def _role(record: RoleRecord) -> dict[str, Any]:
    return {"Path": "/", "RoleName": record.name, "RoleId": record.role_id,
            "Arn": f"arn:aws:iam::{record.account_id}:role/{record.name}",
            "CreateDate": _when(record.created_at),
            "AssumeRolePolicyDocument": quote(record.trust_policy, safe=""),
            "MaxSessionDuration": record.max_session_seconds}


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise InvalidParameter(f"1 validation error detected: Value null at '{name[0].lower()}"
                               f"{name[1:]}' failed to satisfy constraint: Member must not be "
                               "null")
    return value


class IamActions:
    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self.store = credentials.store

    def _root_only(self, caller: Principal) -> str:
        if not caller.is_root:
            raise AccessDenied(f"User: {caller.arn} is not authorized to manage IAM entities")
        return caller.account_id

    async def _existing_user(self, account: str, name: str) -> UserRecord:
        user = await self.store.get_user(account, name)
        if user is None:
            raise NoSuchEntity(f"The user with name {name} cannot be found.")
        return user

    async def create_user(self, caller: Principal, form: dict[str, str]) -> dict[str, Any]:
        account = self._root_only(caller)
        try:
            user = await self.credentials.create_user(account, _required(form, "UserName"))
        except IdentityConflict:
            raise EntityAlreadyExists(
                f"User with name {form['UserName']} already exists.") from None
        except ValueError as exc:
            raise InvalidParameter(str(exc)) from None
        return {"User": _user(user)}

    async def get_user(self, caller: Principal, form: dict[str, str]) -> dict[str, Any]:
        name = form.get("UserName") or caller.user_name
        if name is None:
            return {"User": {"UserId": caller.account_id, "Arn": caller.arn,
                             "CreateDate": _when(0)}}
        if name != caller.user_name:
            self._root_only(caller)
        return {"User": _user(await self._existing_user(caller.account_id, name))}

    async def list_users(self, caller: Principal, form: dict[str, str]) -> dict[str, Any]:
        account = self._root_only(caller)
        return {"Users": [_user(u) for u in await self.store.list_users(account)],
                "IsTruncated": False}

    async def delete_user(self, caller: Principal, form: dict[str, str]) -> None:
        account = self._root_only(caller)
        name = _required(form, "UserName")
        await self._existing_user(account, name)
        if (await self.store.list_access_keys(account, name)
                or await self.store.user_policies(account, name)
                or await self.store.attached_policies(account, name)):
            raise DeleteConflict("Cannot delete entity, must delete access keys and policies "
                                 "first.")
        await self.store.delete_user(account, name)

    async def create_access_key(self, caller: Principal, form: dict[str, str]
                                ) -> dict[str, Any]:
        account = self._root_only(caller)
        name = form.get("UserName") or None
        try:
            key = await self.credentials.create_access_key(account, name)
        except IdentityMissing:
            raise NoSuchEntity(f"The user with name {name} cannot be found.") from None
        record = await self.store.get_access_key(key.access_key_id)
        assert record is not None
        return {"AccessKey": _key(record, key.secret_access_key)}

    async def list_access_keys(self, caller: Principal, form: dict[str, str]) -> dict[str, Any]:
        account = self._root_only(caller)
        name = form.get("UserName") or None
        if name is not None:
            await self._existing_user(account, name)
        keys = await self.store.list_access_keys(account, name)
        return {"AccessKeyMetadata": [_key(k) for k in keys], "IsTruncated": False}

    async def delete_access_key(self, caller: Principal, form: dict[str, str]) -> None:
        account = self._root_only(caller)
        key_id = _required(form, "AccessKeyId")
        record = await self.store.get_access_key(key_id)
        if (record is None or record.account_id != account
                or record.user_name != (form.get("UserName") or None)):
            raise NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")
        await self.store.delete_access_key(key_id)

    async def put_user_policy(self, caller: Principal, form: dict[str, str]) -> None:
        account = self._root_only(caller)
        name = _required(form, "UserName")
        await self._existing_user(account, name)
        document = _required(form, "PolicyDocument")
        self.validate_document(document)
        await self.store.put_user_policy(account, name, _required(form, "PolicyName"), document)

    async def get_user_policy(self, caller: Principal, form: dict[str, str]) -> dict[str, Any]:
        account = self._root_only(caller)
        name, policy = _required(form, "UserName"), _required(form, "PolicyName")
        documents = await self.store.user_policies(account, name)
        if policy not in documents:
            raise NoSuchEntity(f"The user policy with name {policy} cannot be found.")
        # IAM answers with the document URL-encoded
        return {"UserName": name, "PolicyName": policy,
                "PolicyDocument": quote(documents[policy], safe="")}

    async def list_user_policies(self, caller: Principal, form: dict[str, str]
                                 ) -> dict[str, Any]:
        account = self._root_only(caller)
        name = _required(form, "UserName")
        await self._existing_user(account, name)
        return {"PolicyNames": sorted(await self.store.user_policies(account, name)),
                "IsTruncated": False}

    async def delete_user_policy(self, caller: Principal, form: dict[str, str]) -> None:
        account = self._root_only(caller)
        name, policy = _required(form, "UserName"), _required(form, "PolicyName")
        if not await self.store.delete_user_policy(account, name, policy):
            raise NoSuchEntity(f"The user policy with name {policy} cannot be found.")

    async def attach_user_policy(self, caller: Principal, form: dict[str, str]) -> None:
        account = self._root_only(caller)
        name, arn = _required(form, "UserName"), _required(form, "PolicyArn")
        await self._existing_user(account, name)
        if not self.known_managed_policy(arn):
            raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
        await self.store.attach_user_policy(account, name, arn)

    async def detach_user_policy(self, caller: Principal, form: dict[str, str]) -> None:
        account = self._root_only(caller)
        name, arn = _required(form, "UserName"), _required(form, "PolicyArn")
        if not await self.store.detach_user_policy(account, name, arn):
            raise NoSuchEntity(f"Policy {arn} was not found.")

    async def list_attached_user_policies(self, caller: Principal, form: dict[str, str]
                                          ) -> dict[str, Any]:
        account = self._root_only(caller)
        name = _required(form, "UserName")
        await self._existing_user(account, name)
        arns = await self.store.attached_policies(account, name)
        return {"AttachedPolicies": [{"PolicyName": a.rsplit("/", 1)[1], "PolicyArn": a}
                                     for a in arns], "IsTruncated": False}

    # roles

    async def _existing_role(self, account: str, name: str) -> RoleRecord:
        role = await self.store.get_role(account, name)
        if role is None:
            raise NoSuchEntity(f"The role with name {name} cannot be found.")
        return role

    async def create_role(self, caller: Principal, form: dict[str, str]) -> dict[str, Any]:
        account = self._root_only(caller)
        name, trust = _required(form, "RoleName"), _required(form, "AssumeRolePolicyDocument")
        try:
            parse(trust, "resource", max_chars=IAM_TRUST_POLICY_MAX_CHARS,
                  count_whitespace=False)
        except PolicyError as exc:
            raise MalformedPolicyDocument(exc.message) from None
        seconds = int(form.get("MaxSessionDuration") or 3600)
        if not 3600 <= seconds <= 43200:
            raise InvalidParameter("MaxSessionDuration must be between 3600 and 43200")
        role = RoleRecord(account, name, "AROA" + secrets.token_hex(8).upper()[:17], trust,
                          seconds, self.credentials.clock.now())
        if not await self.store.create_role(role):
            raise EntityAlreadyExists(f"Role with name {name} already exists.")
        return {"Role": _role(role)}

    async def get_role(self, caller: Principal, form: dict[str, str]) -> dict[str, Any]:
        account = self._root_only(caller)
        return {"Role": _role(await self._existing_role(account, _required(form, "RoleName")))}

    async def delete_role(self, caller: Principal, form: dict[str, str]) -> None:
        account = self._root_only(caller)
        name = _required(form, "RoleName")
        await self._existing_role(account, name)
        if (await self.store.role_policies(account, name)
                or await self.store.attached_role_policies(account, name)):
            raise DeleteConflict("Cannot delete entity, must delete policies first.")
        await self.store.delete_role(account, name)

    async def put_role_policy(self, caller: Principal, form: dict[str, str]) -> None:
        account = self._root_only(caller)
        name = _required(form, "RoleName")
        await self._existing_role(account, name)
        document = _required(form, "PolicyDocument")
        self.validate_document(document)
        await self.store.put_role_policy(account, name, _required(form, "PolicyName"), document)

    async def delete_role_policy(self, caller: Principal, form: dict[str, str]) -> None:
        account = self._root_only(caller)
        name, policy = _required(form, "RoleName"), _required(form, "PolicyName")
        if not await self.store.delete_role_policy(account, name, policy):
            raise NoSuchEntity(f"The role policy with name {policy} cannot be found.")

    async def attach_role_policy(self, caller: Principal, form: dict[str, str]) -> None:
        account = self._root_only(caller)
        name, arn = _required(form, "RoleName"), _required(form, "PolicyArn")
        await self._existing_role(account, name)
        if not self.known_managed_policy(arn):
            raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
        await self.store.attach_role_policy(account, name, arn)

    async def detach_role_policy(self, caller: Principal, form: dict[str, str]) -> None:
        account = self._root_only(caller)
        name, arn = _required(form, "RoleName"), _required(form, "PolicyArn")
        if not await self.store.detach_role_policy(account, name, arn):
            raise NoSuchEntity(f"Policy {arn} was not found.")

    def validate_document(self, document: str) -> None:
        try:
            parse(document, "identity", max_chars=IAM_USER_INLINE_MAX_CHARS,
                  count_whitespace=False)
        except PolicyError as exc:
            raise MalformedPolicyDocument(exc.message) from None

    def known_managed_policy(self, arn: str) -> bool:
        return managed_policy_name(arn) is not None

    def actions(self) -> dict[str, Any]:
        return {"CreateUser": self.create_user, "GetUser": self.get_user,
                "ListUsers": self.list_users, "DeleteUser": self.delete_user,
                "CreateAccessKey": self.create_access_key,
                "ListAccessKeys": self.list_access_keys,
                "DeleteAccessKey": self.delete_access_key,
                "PutUserPolicy": self.put_user_policy, "GetUserPolicy": self.get_user_policy,
                "ListUserPolicies": self.list_user_policies,
                "DeleteUserPolicy": self.delete_user_policy,
                "AttachUserPolicy": self.attach_user_policy,
                "DetachUserPolicy": self.detach_user_policy,
                "ListAttachedUserPolicies": self.list_attached_user_policies,
                "CreateRole": self.create_role, "GetRole": self.get_role,
                "DeleteRole": self.delete_role, "PutRolePolicy": self.put_role_policy,
                "DeleteRolePolicy": self.delete_role_policy,
                "AttachRolePolicy": self.attach_role_policy,
                "DetachRolePolicy": self.detach_role_policy}
