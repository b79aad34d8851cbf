"""Who is calling: an account root, an IAM user, or a session of an assumed role, with
the ARN AWS gives each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    account_id: str
    user_id: str               # the account id (root), AIDA... (user), AROA...:session (role)
    user_name: str | None      # None for the account root and for role sessions
    access_key_id: str | None = None
    role_name: str | None = None
    session_name: str | None = None
    expires_at: float | None = None  # temporary credentials end then

    @property
    def arn(self) -> str:
        if self.role_name is not None:
            return (f"arn:aws:sts::{self.account_id}:assumed-role/{self.role_name}/"
                    f"{self.session_name}")
        if self.user_name is None:
            return f"arn:aws:iam::{self.account_id}:root"
        return f"arn:aws:iam::{self.account_id}:user/{self.user_name}"

    @property
    def role_arn(self) -> str | None:
        if self.role_name is None:
            return None
        return f"arn:aws:iam::{self.account_id}:role/{self.role_name}"

    @property
    def is_root(self) -> bool:
        return self.user_name is None and self.role_name is None

    @property
    def kind(self) -> str:
        if self.role_name is not None:
            return "assumed-role"
        return "root" if self.user_name is None else "user"
