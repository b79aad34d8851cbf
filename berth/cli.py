"""The ``berth`` command."""

from __future__ import annotations

import argparse
import os
import sys

from berth.config import ConfigError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="berth", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the registry")
    serve.add_argument("--data-dir", help="data directory [BERTH_DATA_DIR, ./berth-data]")
    serve.add_argument("--listen", help="HOST:PORT [BERTH_LISTEN, 127.0.0.1:5000]")
    serve.add_argument("--region", help="region name [BERTH_REGION, us-east-1]")
    serve.add_argument("--account-id", help="default account, 12 digits [BERTH_ACCOUNT_ID]")
    serve.add_argument("--database-url", help="sqlite:///PATH or postgresql://... "
                       "[BERTH_DATABASE_URL]")
    serve.add_argument("--blob-store", help="file://PATH [BERTH_BLOB_STORE]")
    serve.add_argument("--public-url", help="URL clients use [BERTH_PUBLIC_URL]")
    serve.add_argument("--workers", type=int, help="server processes [BERTH_WORKERS, 1]")
    serve.add_argument("--log-level", help="debug, info, warning [BERTH_LOG_LEVEL, info]")
    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
    except ConfigError as exc:
        print(f"berth: {exc}", file=sys.stderr)
        return 2
    return 1


def _serve(args: argparse.Namespace) -> int:
    from berth.app import SETTINGS_ENV, export_settings, prepare
    from berth.serving import run

    overrides = {k: v for k, v in vars(args).items() if k != "command"}
    settings = prepare(load_settings(os.environ, overrides))
    os.environ[SETTINGS_ENV] = export_settings(settings)
    print(f"berth listening on http://{settings.listen} (account {settings.account_id}, "
          f"data in {settings.data_dir})", file=sys.stderr, flush=True)
    run(settings)
    return 0
