"""Which account a /v2/ request is for, read from its Host."""

from __future__ import annotations

import re

_ECR_HOST = re.compile(r"^(\d{12})\.dkr\.ecr\.[a-z0-9-]+\.")


def account_for_host(host: str | None, default_account: str) -> str:
    """``<account>.dkr.ecr.<region>.<anything>`` names an account; any other host the default."""
    if host:
        match = _ECR_HOST.match(host.lower())
        if match:
            return match.group(1)
    return default_account
