"""Operations both planes share: repositories, blobs and uploads, images and tags."""

from __future__ import annotations

from dataclasses import dataclass

from berth.clock import Clock
from berth.services.blobs import Blobs
from berth.services.images import Images
from berth.services.repositories import Repositories
from berth.storage.blobs import BlobStore
from berth.storage.meta import MetaStore


@dataclass(frozen=True)
class Services:
    """Everything a plane needs, built once by ``berth.app``."""

    meta: MetaStore
    repositories: Repositories
    blobs: Blobs
    images: Images
    default_account: str
    region: str
    public_url: str

    @classmethod
    def build(cls, meta: MetaStore, store: BlobStore, clock: Clock, *, default_account: str,
              region: str, public_url: str) -> Services:
        return cls(meta=meta, repositories=Repositories(meta, clock),
                   blobs=Blobs(meta, store, clock), images=Images(meta, clock),
                   default_account=default_account, region=region, public_url=public_url)
