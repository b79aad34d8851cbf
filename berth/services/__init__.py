"""Operations both planes share: repositories, blobs and uploads, images and tags."""

from __future__ import annotations

from dataclasses import dataclass

from berth.clock import Clock
from berth.services.blobs import Blobs
from berth.services.image_batches import ImageBatches
from berth.services.images import Images
from berth.services.lifecycle import Lifecycle
from berth.services.repositories import Repositories
from berth.services.templates import Templates
from berth.storage.blobs import BlobStore
from berth.storage.meta import MetaStore


@dataclass(frozen=True)
class Services:
    """Everything a plane needs, built once by ``berth.app``."""

    meta: MetaStore
    repositories: Repositories
    templates: Templates
    blobs: Blobs
    images: Images
    image_batches: ImageBatches
    lifecycle: Lifecycle
    default_account: str
    region: str
    public_url: str

    @classmethod
    def build(cls, meta: MetaStore, store: BlobStore, clock: Clock, *, default_account: str,
              region: str, public_url: str, upload_expiry: float = 24 * 3600) -> Services:
        templates = Templates(meta, clock)
        images = Images(meta, clock)
        return cls(meta=meta, repositories=Repositories(meta, clock, templates),
                   templates=templates, blobs=Blobs(meta, store, clock, upload_expiry),
                   images=images,
                   image_batches=ImageBatches(meta, images),
                   lifecycle=Lifecycle(meta, clock), default_account=default_account,
                   region=region, public_url=public_url)
