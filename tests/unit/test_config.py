from pathlib import Path

import pytest

from berth.config import ConfigError, async_database_url, load_settings


def test_defaults() -> None:
    s = load_settings({})
    assert s.listen == "127.0.0.1:5000" and s.region == "us-east-1"
    assert s.data_dir == Path("./berth-data")
    assert s.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert s.resolved_blob_store.startswith("file://")
    assert s.resolved_public_url == "http://127.0.0.1:5000"


def test_flags_win_over_environment() -> None:
    env = {"BERTH_LISTEN": "127.0.0.1:6000", "BERTH_WORKERS": "3", "BERTH_DATA_DIR": "/tmp/x"}
    s = load_settings(env, {"listen": "127.0.0.1:7000", "workers": None})
    assert s.listen == "127.0.0.1:7000" and s.workers == 3 and s.data_dir == Path("/tmp/x")
    assert s.port == 7000 and s.host == "127.0.0.1"


@pytest.mark.parametrize(("env", "message"), [
    ({"BERTH_ACCOUNT_ID": "123"}, "12 digits"),
    ({"BERTH_LISTEN": "nonsense"}, "HOST:PORT"),
    ({"BERTH_WORKERS": "many"}, "integer"),
    ({"BERTH_WORKERS": "0"}, "at least 1"),
    ({"BERTH_REGION": "mars"}, "region"),
    ({"BERTH_TLS_CERT": "/etc/berth/cert.pem"}, "BERTH_TLS_KEY"),
    ({"BERTH_TLS_KEY": "/etc/berth/key.pem"}, "BERTH_TLS_CERT"),
    ({"BERTH_TRUSTED_PROXIES": "10.0.0.0/8,lb.internal"}, r"'lb\.internal' is not an IP"),
    ({"BERTH_TRUSTED_PROXIES": "10.0.0.0/33"}, "BERTH_TRUSTED_PROXIES"),
])
def test_bad_settings(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env)


def test_database_urls_map_to_async_drivers() -> None:
    assert async_database_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert async_database_url("sqlite:////tmp/a.db") == "sqlite+aiosqlite:////tmp/a.db"


def test_tls_makes_the_default_public_url_https() -> None:
    env = {"BERTH_TLS_CERT": "/etc/berth/cert.pem", "BERTH_TLS_KEY": "/etc/berth/key.pem"}
    s = load_settings(env)
    assert s.tls and s.resolved_public_url == "https://127.0.0.1:5000"
    given = load_settings({**env, "BERTH_PUBLIC_URL": "https://registry.example.com/"})
    assert given.resolved_public_url == "https://registry.example.com"
    assert not load_settings({}).tls
