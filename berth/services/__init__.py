"""Operations both planes share: repositories, blobs and uploads, images and tags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from berth.clock import Clock
from berth.scan.vulndb import VulnDbHome
from berth.services.archive import Archive
from berth.services.blobs import Blobs
from berth.services.image_batches import ImageBatches
from berth.services.images import Images
from berth.services.lifecycle import Lifecycle
from berth.services.repositories import Repositories
from berth.services.scanning import Scanning
from berth.services.templates import Templates
from berth.storage.blobs import BlobStore
from berth.storage.meta.jobs import SqlJobQueue
from berth.storage.meta.scans import SqlScanStore
from berth.storage.meta.sql import SqlMetaStore


@dataclass(frozen=True)
class Services:
    """Everything a plane needs, built once by ``berth.app``."""

    meta: SqlMetaStore
    repositories: Repositories
    templates: Templates
    blobs: Blobs
    images: Images
    image_batches: ImageBatches
    lifecycle: Lifecycle
    scanning: Scanning
    archive: Archive
    jobs: SqlJobQueue
    default_account: str
    region: str
    public_url: str

    @classmethod
    def build(cls, meta: SqlMetaStore, store: BlobStore, clock: Clock, *, default_account: str,
              region: str, public_url: str, upload_expiry: float = 24 * 3600,
              vulndb_dir: Path | None = None) -> Services:
        templates = Templates(meta, clock)
        jobs = SqlJobQueue(meta.engine)
        scanning = Scanning(meta, SqlScanStore(meta.engine), jobs, store, clock,
                            None if vulndb_dir is None else VulnDbHome(vulndb_dir))
        images = Images(meta, clock, scanning)
        archive = Archive(meta, jobs, clock)
        return cls(meta=meta, repositories=Repositories(meta, clock, templates),
                   templates=templates, blobs=Blobs(meta, store, clock, upload_expiry),
                   images=images,
                   image_batches=ImageBatches(meta, images),
                   lifecycle=Lifecycle(meta, clock, archive, jobs), scanning=scanning,
                   archive=archive, jobs=jobs,
                   default_account=default_account,
                   region=region, public_url=public_url)
