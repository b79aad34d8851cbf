"""Who is calling: the account root or an IAM user, with the ARN AWS gives them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    account_id: str
    user_id: str               # the account id for a root, AIDA... for a user
    user_name: str | None      # None for the account root
    access_key_id: str | None = None

    @property
    def arn(self) -> str:
        if self.user_name is None:
            return f"arn:aws:iam::{self.account_id}:root"
        return f"arn:aws:iam::{self.account_id}:user/{self.user_name}"

    @property
    def is_root(self) -> bool:
        return self.user_name is None
