"""The ``berth`` command: ``serve`` runs the registry; ``iam`` manages accounts and keys;
``gc`` collects garbage."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from berth import cli_scan
from berth.config import (
    SETTINGS_ENV,
    ConfigError,
    Settings,
    check_tls,
    export_settings,
    import_settings,
    load_settings,
)

if TYPE_CHECKING:
    from berth.services.gc import GcReport

SETTING_FLAGS = {
    "--data-dir": "data directory [BERTH_DATA_DIR, ./berth-data]",
    "--database-url": "sqlite:///PATH or postgresql://... [BERTH_DATABASE_URL]",
}


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "iam" and args.action == "call":
        _own_flags_of_call(parser, args)
    try:
        settings = load_settings(os.environ, _overrides(args))
        if args.command == "serve":
            return _serve(settings)
        if args.command == "lifecycle":
            return _lifecycle(args, settings)
        if args.command == "audit":
            return _audit(args, settings)
        if args.command == "gc":
            return _gc(args, settings)
        if args.command in ("vulndb", "sbom"):
            return cli_scan.run(args, settings)
        return _iam(args, settings)
    except ConfigError as exc:
        print(f"berth: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="berth", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the registry")
    _setting_flags(serve)
    serve.add_argument("--listen", help="HOST:PORT [BERTH_LISTEN, 127.0.0.1:5000]")
    serve.add_argument("--region", help="region name [BERTH_REGION, us-east-1]")
    serve.add_argument("--account-id", help="default account, 12 digits [BERTH_ACCOUNT_ID]")
    serve.add_argument("--blob-store", help="file://PATH [BERTH_BLOB_STORE]")
    serve.add_argument("--public-url", help="URL clients use [BERTH_PUBLIC_URL]")
    serve.add_argument("--tls-cert", help="PEM certificate chain: serve HTTPS [BERTH_TLS_CERT]")
    serve.add_argument("--tls-key", help="its unencrypted PEM private key [BERTH_TLS_KEY]")
    serve.add_argument("--trusted-proxies",
                       help="comma-separated addresses and CIDR blocks of reverse proxies "
                       "whose X-Forwarded-For and X-Forwarded-Proto are believed "
                       "[BERTH_TRUSTED_PROXIES, none]")
    serve.add_argument("--workers", type=int, help="server processes [BERTH_WORKERS, 1]")
    serve.add_argument("--log-level", help="debug, info, warning [BERTH_LOG_LEVEL, info]")

    iam = commands.add_parser("iam", help="accounts, users and access keys (JSON output)")
    actions = iam.add_subparsers(dest="action", required=True)
    account = actions.add_parser("create-account", help="a new account and its root key")
    account.add_argument("--account-id", dest="new_account_id", help="12 digits; random if unset")
    user = actions.add_parser("create-user", help="an IAM user of an account")
    user.add_argument("--account-id", dest="new_account_id", required=True)
    user.add_argument("--user-name", required=True)
    key = actions.add_parser("create-access-key", help="an access key of a user or root")
    key.add_argument("--account-id", dest="new_account_id", required=True)
    key.add_argument("--user-name", help="the user; the account root when omitted")
    call = actions.add_parser(
        "call", help="any IAM action of the API as the account's root, e.g. "
        "'call put-user-policy --account-id A --user-name u --policy-name p "
        "--policy-document file://p.json'")
    call.add_argument("operation", help="the aws iam command name, e.g. attach-role-policy")
    call.add_argument("--account-id", dest="new_account_id")
    call.add_argument("parameters", nargs=argparse.REMAINDER,
                      help="--kebab-case-name VALUE pairs, as the aws CLI takes them")
    for sub in (account, user, key, call):
        _setting_flags(sub)

    lifecycle = commands.add_parser("lifecycle", help="apply lifecycle policies now")
    lifecycle_actions = lifecycle.add_subparsers(dest="action", required=True)
    run = lifecycle_actions.add_parser("run", help="evaluate and apply repositories' policies")
    run.add_argument("repository", nargs="?", help="one repository; all with a policy if omitted")
    run.add_argument("--account-id", dest="target_account",
                     help="the account [the default account]")
    _setting_flags(run)

    audit = commands.add_parser("audit", help="read the audit log (CloudTrail-shaped JSON lines)")
    audit.add_argument("--principal", help="only events of principals whose ARN contains this")
    audit.add_argument("--action", help="only this operation, e.g. PutImage or ecr:PutImage")
    audit.add_argument("--since", help="ISO 8601 time, e.g. 2026-11-26T00:00:00Z")
    audit.add_argument("--until", help="ISO 8601 time")
    _setting_flags(audit)

    gc = commands.add_parser("gc", help="delete blobs no image uses and abandoned uploads")
    gc.add_argument("--dry-run", action="store_true", help="report what would be freed")
    _setting_flags(gc)
    cli_scan.add_commands(commands, _setting_flags)
    return parser


def _setting_flags(parser: argparse.ArgumentParser) -> None:
    for flag, text in SETTING_FLAGS.items():
        parser.add_argument(flag, help=text)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = ("data_dir", "database_url", "listen", "region", "account_id", "blob_store",
             "public_url", "tls_cert", "tls_key", "trusted_proxies", "workers", "log_level")
    return {name: getattr(args, name, None) for name in names}


def _serve(settings: Settings) -> int:
    from berth.serving import run

    _refuse_a_taken_address(settings.listen)   # at once, before any work
    check_tls(settings)
    settings = _prepare_apart(settings)
    # again: another server may have started on it while this one prepared (seconds),
    # which leaves only the moment until Granian binds
    _refuse_a_taken_address(settings.listen)
    os.environ[SETTINGS_ENV] = export_settings(settings)
    print(f"berth listening on {settings.scheme}://{settings.listen} "
          f"(account {settings.account_id}, data in {settings.data_dir})",
          file=sys.stderr, flush=True)
    run(settings)
    return 0


def _refuse_a_taken_address(listen: str) -> None:
    """Granian's workers listen with SO_REUSEPORT, so a second server on the same
    address would start without complaint and take half of the first one's
    connections. A bind without that option fails while anything listens there."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no owner
        try:
            probe.bind((host, int(port)))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {listen}: {exc.strerror}") from None


def _prepare_apart(settings: Settings) -> Settings:
    """``prepare`` (schema, keys, the bootstrap credential) in a forked child.

    The server's supervising process only forks and watches its workers; done here,
    the migration tooling and the whole app would stay in its memory for good. Each
    worker imports just what serving needs.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        code = 1
        try:
            from berth.app import prepare

            os.write(write, export_settings(prepare(settings)).encode())
            code = 0
        except ConfigError as exc:
            print(f"berth: {exc}", file=sys.stderr)
            code = 2
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        prepared = pipe.read()
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if code != 0:
        raise SystemExit(code)
    return import_settings(prepared.decode())


def _iam(args: argparse.Namespace, settings: Settings) -> int:
    from berth.app import identity_session, prepare
    from berth.auth.credentials import Credentials, IdentityConflict, IdentityMissing
    from berth.errors import BerthError

    settings = prepare(settings)

    async def act(credentials: Credentials) -> dict[str, Any]:
        if args.action == "call":
            return await _iam_call(credentials, args.new_account_id, args.operation,
                                   _form(args.parameters))
        if args.action == "create-account":
            return (await credentials.create_account(args.new_account_id)).as_json()
        if args.action == "create-user":
            user = await credentials.create_user(args.new_account_id, args.user_name)
            return {"UserName": user.name, "UserId": user.user_id, "AccountId": user.account_id,
                    "Arn": f"arn:aws:iam::{user.account_id}:user/{user.name}"}
        key = await credentials.create_access_key(args.new_account_id, args.user_name)
        return {**key.as_json(), **({"UserName": key.user_name} if key.user_name else {})}

    async def run() -> dict[str, Any]:
        async with identity_session(settings) as credentials:
            return await act(credentials)

    try:
        result = asyncio.run(run())
    except (IdentityConflict, IdentityMissing, ValueError) as exc:
        print(f"berth iam: {exc}", file=sys.stderr)
        return 1
    except BerthError as exc:
        print(f"berth iam: {exc.ecr_exception}: {exc.message}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, default=str))
    return 0


def _own_flags_of_call(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """berth's own flags may follow the action's parameters: take them back out."""
    own = {"--account-id": "new_account_id", "--data-dir": "data_dir",
           "--database-url": "database_url"}
    rest: list[str] = []
    items = iter(args.parameters)
    for item in items:
        if item in own:
            setattr(args, own[item], next(items, None))
        else:
            rest.append(item)
    args.parameters = rest
    if not args.new_account_id:
        parser.error("iam call needs --account-id")


def _form(parameters: list[str]) -> dict[str, str]:
    """``--user-name alice --policy-document file://p.json`` as IAM's form fields."""
    if len(parameters) % 2 or not all(p.startswith("--") for p in parameters[::2]):
        raise ValueError("parameters come as --name value pairs")
    form = {}
    for flag, value in zip(parameters[::2], parameters[1::2], strict=True):
        name = "".join(part.capitalize() for part in flag[2:].split("-"))
        if value.startswith("file://"):
            value = Path(value[len("file://"):]).read_text()
        form[name] = value
    return form


async def _iam_call(credentials: Any, account_id: str, operation: str,
                    form: dict[str, str]) -> dict[str, Any]:
    from berth.auth.principals import Principal
    from berth.iam_api.iam import IamActions

    action = "".join(part.capitalize() for part in operation.split("-"))
    handler = IamActions(credentials).actions().get(action)
    if handler is None:
        raise ValueError(f"unknown IAM action {operation}")
    root = Principal(account_id, account_id, None)
    result: dict[str, Any] | None = await handler(root, form)
    return result or {}


def _lifecycle(args: argparse.Namespace, settings: Settings) -> int:
    from berth.app import prepare, services_session
    from berth.errors import BerthError

    settings = prepare(settings)
    account = args.target_account or str(settings.account_id)

    async def run() -> int:
        async with services_session(settings) as services:
            names = ([args.repository] if args.repository
                     else await services.lifecycle.repositories_with_policy(account))
            for index, name in enumerate(names, 1):
                repo = await services.repositories.get(account, name)
                report = await services.lifecycle.run(repo)
                print(f"[{index}/{len(names)}] {name}: expired {len(report.expired)} image(s), "
                      f"archived {len(report.archived)}", flush=True)
        return 0

    try:
        return asyncio.run(run())
    except BerthError as exc:
        print(f"berth lifecycle: {exc.message}", file=sys.stderr)
        return 1


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import datetime

    from berth.services.audit import read_events

    def when(text: str | None) -> datetime | None:
        return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))

    try:
        since, until = when(args.since), when(args.until)
    except ValueError as exc:
        print(f"berth audit: {exc}", file=sys.stderr)
        return 2
    for event in read_events(settings.data_dir / "audit", args.principal, args.action, since,
                             until):
        print(json.dumps(event, separators=(",", ":")))
    return 0


def _gc(args: argparse.Namespace, settings: Settings) -> int:
    from berth.app import collector_session, prepare

    settings = prepare(settings)
    shown = {"stage": ""}

    def progress(stage: str, done: int) -> None:
        end = "\n" if shown["stage"] and stage != shown["stage"] else ""
        shown["stage"] = stage
        print(f"{end}\rberth gc: {stage}: {done:,}", end="", file=sys.stderr, flush=True)

    async def run() -> GcReport:
        async with collector_session(settings) as gc:
            return await gc.run(dry_run=args.dry_run, progress=progress)

    report = asyncio.run(run())
    if shown["stage"]:
        print(file=sys.stderr)
    if not report.ran:
        print("berth gc: another garbage collection is running; nothing done", file=sys.stderr)
        return 1
    print(gc_summary(report))
    return 0


def gc_summary(report: GcReport) -> str:
    """One paragraph of what a pass freed (or, dry, would free)."""
    verb = "would delete" if report.dry_run else "deleted"
    lines = [
        f"{verb} {report.blobs_deleted:,} blob(s), {_size(report.blob_bytes)}"
        + (f" ({report.orphan_files:,} file(s) without a record)" if report.orphan_files
           else ""),
        f"{verb} {report.links_removed:,} repository link(s) no manifest uses",
        f"{verb} {report.uploads_removed:,} abandoned upload(s), {_size(report.upload_bytes)}",
    ]
    if report.trash_restored or report.trash_purged:
        lines.append(f"{'would recover' if report.dry_run else 'recovered'} "
                     f"{report.trash_restored + report.trash_purged:,} blob(s) an interrupted "
                     f"pass left ({report.trash_restored:,} put back)")
    if report.blobs_kept:
        lines.append(f"kept {report.blobs_kept:,} blob(s) referenced again during the pass")
    lines.append(f"in {report.duration:.1f} s")
    return "\n".join(lines)


def _size(count: int) -> str:
    units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
    size, unit = float(count), units.pop(0)
    while size >= 1024 and units:
        size, unit = size / 1024, units.pop(0)
    return f"{count:,} bytes" if unit == "bytes" else f"{size:,.1f} {unit}"
