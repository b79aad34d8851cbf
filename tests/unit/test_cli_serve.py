"""``berth serve`` prepares the data directory in a child process and keeps its
supervising process and its workers free of what only start-up needs."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from berth import cli
from berth.config import (
    ConfigError,
    Settings,
    export_settings,
    import_settings,
    load_settings,
)
from berth.testing.server import BerthServer, free_port


def test_settings_survive_the_trip_to_the_workers(tmp_path: Path) -> None:
    settings = load_settings({"BERTH_ACCOUNT_ID": "123456789012", "BERTH_WORKERS": "3"},
                             {"data_dir": str(tmp_path / "data")})
    assert import_settings(export_settings(settings)) == settings
    assert isinstance(import_settings(export_settings(settings)), Settings)


def test_a_worker_imports_no_migration_tooling() -> None:
    """Alembic (with Mako and Pygments) is ~10 MB a process; only ``prepare`` needs it."""
    code = ("import sys, berth.app; "
            "print(sorted(m for m in ('alembic', 'mako', 'pygments') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_serve_prepares_in_a_child_and_the_server_answers(tmp_path: Path) -> None:
    server = BerthServer(tmp_path / "data")
    server.start()
    try:
        assert (tmp_path / "data" / "secret.key").exists()
        assert server.password()  # the child stored the root key the workers now accept
    finally:
        server.stop()


def test_a_failing_preparation_stops_serve_with_its_reason(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "berth", "serve", "--data-dir", str(tmp_path / "data"),
         "--database-url", "postgresql://nobody@127.0.0.1:1/none", "--listen", "127.0.0.1:1"],
        capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "Connect call failed" in done.stderr or "refused" in done.stderr.lower()
    assert "berth listening" not in done.stderr


def test_a_second_server_on_a_taken_address_refuses_to_start(tmp_path: Path) -> None:
    """Granian listens with SO_REUSEPORT: unchecked, a second server would share the
    port and take half of the first one's connections."""
    first = BerthServer(tmp_path / "first")
    first.start()
    try:
        second = subprocess.run(
            [sys.executable, "-m", "berth", "serve", "--data-dir", str(tmp_path / "second"),
             "--listen", first.host], capture_output=True, text=True, timeout=60, check=False)
        assert second.returncode == 2
        assert f"cannot listen on {first.host}" in second.stderr
        assert not (tmp_path / "second").exists()  # refused before touching anything
        assert first.password()  # the first still serves
    finally:
        first.stop()


def test_an_address_taken_while_preparing_is_refused_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Preparing takes seconds; a server that starts on the address meanwhile (two test
    servers handed the same free port) is caught before Granian binds beside it."""
    port = free_port()
    settings = load_settings({}, {"data_dir": str(tmp_path / "data"),
                                  "listen": f"127.0.0.1:{port}"})
    other = socket.socket()
    other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)

    def prepare(given: Settings) -> Settings:
        other.bind(("127.0.0.1", port))
        other.listen()
        return given

    def never(_: Settings) -> None:
        raise AssertionError("served on a taken address")

    monkeypatch.setattr(cli, "_prepare_apart", prepare)
    monkeypatch.setattr("berth.serving.run", never)
    try:
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            cli._serve(settings)
    finally:
        other.close()
