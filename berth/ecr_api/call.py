"""What every ECR operation handler receives: the services, the caller, the request."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from berth.auth.gate import Auth
from berth.auth.principals import Principal
from berth.ecr_api import shapes
from berth.errors import InvalidParameter
from berth.services import Services
from berth.services.image_batches import ImageRef
from berth.storage.meta import ManifestRecord, Repository

DEFAULT_PAGE = 100


@dataclass(frozen=True)
class Call:
    services: Services
    auth: Auth
    caller: Principal
    params: dict[str, Any]

    @property
    def region(self) -> str:
        return self.services.region

    def registry(self) -> str:
        """The registry (account) the call names, defaulting to the caller's own; the
        dispatcher has checked the caller may act there."""
        return str(self.params.get("registryId") or self.caller.account_id)

    async def repository(self) -> Repository:
        return await self.services.repositories.get(self.registry(), self.params["repositoryName"])

    def image_ref(self) -> ImageRef:
        """The image the call's ``imageId`` names."""
        wanted = self.params["imageId"]
        return ImageRef(wanted.get("imageDigest"), wanted.get("imageTag"))

    def image_id(self, digest: str) -> dict[str, Any]:
        """The ``imageId`` to answer with: the digest, and the tag the call named."""
        return shapes.image_id(ImageRef(digest, self.image_ref().tag))

    async def image(self, repo: Repository) -> ManifestRecord:
        """That image; ImageNotFoundException when the repository has no such image."""
        return await self.services.image_batches.require(repo, self.image_ref())

    def page(self, default: int = DEFAULT_PAGE,
             valid: Callable[[Any], bool] = lambda v: isinstance(v, str)) -> tuple[Any, int]:
        """The decoded ``nextToken`` (or None) and ``maxResults``; a token this
        operation never handed out (``valid`` says no) is an invalid parameter."""
        limit = int(self.params.get("maxResults") or default)
        token = self.params.get("nextToken")
        if not token:
            return None, limit
        value = decode_token(token)
        if not valid(value):
            raise _bad_token()
        return value, limit


def is_offset(value: Any) -> bool:
    """A token that is a position in a list the operation pages through."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def encode_token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def decode_token(token: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, RecursionError):
        raise _bad_token() from None


def _bad_token() -> InvalidParameter:
    return InvalidParameter("Invalid parameter at 'nextToken' failed to satisfy constraint: "
                            "'The next token is not valid'")
