"""``berth vulndb`` and ``berth sbom``: the advisory database and image inventories.

    berth vulndb import PATH...        osv.dev all.zip files or directories of OSV JSON
    berth vulndb status                what is loaded
    berth vulndb push URL              publish the loaded database as an OCI artifact
    berth vulndb pull URL              load one published by another berth
    berth sbom REPOSITORY:TAG          the image's inventory as CycloneDX JSON

URL is ``http(s)://HOST/REPOSITORY:TAG``; ``--username``/``--password`` log in (for
berth and ECR: ``AWS`` and ``aws ecr get-login-password``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from berth.config import Settings
from berth.oci.names import split_reference


def add_commands(commands: Any, setting_flags: Any) -> None:
    vulndb = commands.add_parser("vulndb", help="the vulnerability advisory database")
    actions = vulndb.add_subparsers(dest="action", required=True)
    imp = actions.add_parser("import", help="build a new database from OSV data and load it")
    imp.add_argument("paths", nargs="+", type=Path, help="all.zip files or OSV JSON directories")
    status = actions.add_parser("status", help="what is loaded (JSON)")
    push = actions.add_parser("push", help="publish the loaded database to an OCI registry")
    pull = actions.add_parser("pull", help="load a database published to an OCI registry")
    for sub in (push, pull):
        sub.add_argument("url", help="http(s)://HOST/REPOSITORY:TAG")
        sub.add_argument("--username")
        sub.add_argument("--password", help="or BERTH_REGISTRY_PASSWORD")
    sbom = commands.add_parser("sbom", help="an image's inventory as CycloneDX JSON")
    sbom.add_argument("image", help="REPOSITORY:TAG or REPOSITORY@DIGEST")
    sbom.add_argument("--account-id", dest="target_account", help="[the default account]")
    sbom.add_argument("--output", "-o", type=Path, help="file to write [stdout]")
    for sub in (imp, status, push, pull, sbom):
        setting_flags(sub)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from berth.app import prepare
    from berth.errors import BerthError
    from berth.scan.vulndb import VulnDbError

    settings = prepare(settings)
    try:
        if args.command == "sbom":
            return asyncio.run(_sbom(args, settings))
        if args.action == "status":
            return _status(settings)
        if args.action == "import":
            return asyncio.run(_import(args.paths, settings))
        if args.action == "push":
            return _push(args, settings)
        return asyncio.run(_pull(args, settings))
    except (OSError, ValueError, RuntimeError, VulnDbError) as exc:  # TransferError too
        print(f"berth {args.command}: {exc}", file=sys.stderr)
        return 1
    except BerthError as exc:
        print(f"berth {args.command}: {exc.message}", file=sys.stderr)
        return 1


def vulndb_dir(settings: Settings) -> Path:
    return settings.data_dir / "vulndb"


class Progress:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.shown = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self.shown < 0.1 and done != total:
            return
        self.shown = now
        if total:
            filled = int(30 * done / total)
            bar = f"[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}"
        else:
            bar = f"{done}"
        print(f"\r{self.label} {bar}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        print(file=sys.stderr, flush=True)


def _status(settings: Settings) -> int:
    from berth.scan.vulndb import VulnDbHome

    home = VulnDbHome(vulndb_dir(settings))
    db = home.current()
    try:
        out = {"loaded": False} if db is None else {"loaded": True, **_info(db)}
        print(json.dumps(out, indent=2, default=str))
    finally:
        home.close()
    return 0


def _info(db: Any) -> dict[str, Any]:
    return asdict(db.info())


async def _import(paths: list[Path], settings: Settings) -> int:
    from berth.scan.vulndb import VulnDbHome, build

    progress = Progress("importing advisories")
    incoming = VulnDbHome(vulndb_dir(settings)).incoming
    try:
        result = await asyncio.to_thread(build, paths, incoming, progress=progress,
                                         now=datetime.now(UTC))
    finally:
        progress.close()
    await install(settings, result.path)
    print(json.dumps(_result(result), indent=2, default=str))
    return 0


def _result(result: Any) -> dict[str, Any]:
    out = asdict(result)
    out["path"] = str(out["path"])
    return out


async def install(settings: Settings, built: Path) -> None:
    """Make ``built`` the loaded database and queue the rescans the change calls for."""
    from berth.app import services_session
    from berth.scan.vulndb import VulnDbHome
    from berth.services.scanning import VULNDB_JOB
    from berth.storage.meta import NewJob

    home = VulnDbHome(vulndb_dir(settings))
    old = home.current_id()
    home.install(built)
    new = home.current_id()
    if new is None or new == old:
        return
    async with services_session(settings) as services:
        now = services.scanning.clock.now()
        await services.jobs.enqueue(
            [NewJob(VULNDB_JOB, new, {"old": old, "new": new}, now)], now)


async def _sbom(args: argparse.Namespace, settings: Settings) -> int:
    from berth.app import services_session

    name, reference = split_reference(args.image)
    async with services_session(settings) as services:
        repo = await services.repositories.get(args.target_account or str(settings.account_id),
                                               name)
        record = await services.images.get(repo, reference)
        document = await services.scanning.sbom(repo, record)
    text = json.dumps(document, indent=2)
    if args.output:
        args.output.write_text(text + "\n")
    else:
        print(text)
    return 0


def _push(args: argparse.Namespace, settings: Settings) -> int:
    from berth.scan.vulndb import VulnDbHome

    home = VulnDbHome(vulndb_dir(settings))
    try:
        db = home.current()
        if db is None:
            raise ValueError("no vulnerability database is loaded")
        digest = push_database(db, args.url, args.username, _password(args))
    finally:
        home.close()
    print(json.dumps({"pushed": args.url, "digest": digest}))
    return 0


async def _pull(args: argparse.Namespace, settings: Settings) -> int:
    from berth.scan.vulndb import VulnDbHome

    built = await asyncio.to_thread(pull_database, args.url, args.username, _password(args),
                                    VulnDbHome(vulndb_dir(settings)).incoming)
    await install(settings, built)
    return _status(settings)


def _password(args: argparse.Namespace) -> str | None:
    return args.password or os.environ.get("BERTH_REGISTRY_PASSWORD")


EMPTY_CONFIG = b"{}"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MAX_DATABASE_LAYER = 2 << 30


def push_database(db: Any, url: str, username: str | None, password: str | None) -> str:
    """Publish ``db`` as an OCI artifact at ``url``; the manifest's digest."""
    import tempfile

    from berth.oci.digest import Digest
    from berth.scan.vulndb import ARTIFACT_TYPE, artifact_annotations, artifact_layer
    from berth.transfer.client import Client, ImageUrl

    where = ImageUrl.parse(url)
    client = Client(where.base, username, password)
    media_type, chunks = artifact_layer(db.info().path)
    with tempfile.TemporaryDirectory() as tmp:
        layer = Path(tmp) / "layer"
        with layer.open("wb") as f:
            for chunk in chunks:
                f.write(chunk)
        layer_digest, layer_size = client.push_blob(where.repository, layer)
        config = Path(tmp) / "config"
        config.write_bytes(EMPTY_CONFIG)
        client.push_blob(where.repository, config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": ARTIFACT_TYPE,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                   "digest": str(Digest.of(EMPTY_CONFIG)), "size": len(EMPTY_CONFIG)},
        "layers": [{"mediaType": media_type, "digest": layer_digest, "size": layer_size,
                    "annotations": artifact_annotations(db.info())}],
        "annotations": artifact_annotations(db.info()),
    }).encode()
    client.push_manifest(where.repository, where.reference, manifest, OCI_MANIFEST)
    return str(Digest.of(manifest))


def pull_database(url: str, username: str | None, password: str | None, dest: Path) -> Path:
    """Fetch the database artifact at ``url`` into ``dest``; the file, ready to install."""
    import tempfile

    from berth.scan.vulndb import ARTIFACT_TYPE, LAYER_MEDIA_TYPE, unpack_artifact_layer
    from berth.scan.vulndb.artifact import ANNOTATION_DIGEST
    from berth.transfer.client import Client, ImageUrl, TransferError

    where = ImageUrl.parse(url)
    client = Client(where.base, username, password)
    payload, _ = client.manifest(where.repository, where.reference, OCI_MANIFEST)
    doc = json.loads(payload)
    layers = [d for d in doc.get("layers", []) if d.get("mediaType") == LAYER_MEDIA_TYPE]
    if doc.get("artifactType") != ARTIFACT_TYPE or len(layers) != 1:
        raise TransferError(f"{url} is not a berth vulnerability database")
    layer = layers[0]
    expected = (layer.get("annotations") or {}).get(ANNOTATION_DIGEST)
    if not expected:
        raise TransferError(f"{url}: the layer does not say which database it holds")
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=dest) as spool:
        client.blob_to(where.repository, layer["digest"], spool, MAX_DATABASE_LAYER)
        spool.seek(0)
        return unpack_artifact_layer(spool, dest, expected, layer_digest=layer["digest"])
