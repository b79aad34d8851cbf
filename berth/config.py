"""Settings: one frozen dataclass, read once from flags and ``BERTH_*`` variables.

Flags win over the environment, the environment over defaults. Nothing else in
berth reads the environment.
"""

from __future__ import annotations

import json
import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from berth.forwarded import parse_networks


class ConfigError(ValueError):
    """A setting has a value berth cannot use."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("./berth-data")
    listen: str = "127.0.0.1:5000"
    region: str = "us-east-1"
    account_id: str | None = None
    database_url: str | None = None
    blob_store: str | None = None
    public_url: str | None = None
    tls_cert: str | None = None  # PEM certificate chain; with tls_key, berth serves HTTPS
    tls_key: str | None = None
    # addresses and CIDR blocks whose X-Forwarded-For/-Proto berth believes (berth.forwarded)
    trusted_proxies: str | None = None
    workers: int = 1
    upload_expiry_seconds: int = 24 * 3600
    gc_interval_seconds: int = 3600
    lifecycle_interval_seconds: int = 24 * 3600  # 0: lifecycle policies run on demand only
    log_level: str = "info"
    secret_key: str | None = field(default=None, repr=False)
    root_access_key_id: str | None = None
    root_secret_access_key: str | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        return self.listen.rsplit(":", 1)[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])

    @property
    def resolved_database_url(self) -> str:
        """SQLAlchemy URL: SQLite in the data dir unless BERTH_DATABASE_URL says otherwise."""
        url = self.database_url or f"sqlite:///{(self.data_dir / 'berth.db').resolve()}"
        return async_database_url(url)

    @property
    def resolved_blob_store(self) -> str:
        return self.blob_store or f"file://{(self.data_dir / 'blobs').resolve()}"

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    @property
    def scheme(self) -> str:
        """What berth itself serves: ``https`` with a certificate, else ``http``."""
        return "https" if self.tls else "http"

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"{self.scheme}://{self.listen}").rstrip("/")


_ENV = {
    "data_dir": "BERTH_DATA_DIR",
    "listen": "BERTH_LISTEN",
    "region": "BERTH_REGION",
    "account_id": "BERTH_ACCOUNT_ID",
    "database_url": "BERTH_DATABASE_URL",
    "blob_store": "BERTH_BLOB_STORE",
    "public_url": "BERTH_PUBLIC_URL",
    "tls_cert": "BERTH_TLS_CERT",
    "tls_key": "BERTH_TLS_KEY",
    "trusted_proxies": "BERTH_TRUSTED_PROXIES",
    "workers": "BERTH_WORKERS",
    "upload_expiry_seconds": "BERTH_UPLOAD_EXPIRY_SECONDS",
    "gc_interval_seconds": "BERTH_GC_INTERVAL_SECONDS",
    "lifecycle_interval_seconds": "BERTH_LIFECYCLE_INTERVAL_SECONDS",
    "log_level": "BERTH_LOG_LEVEL",
    "secret_key": "BERTH_SECRET_KEY",
    "root_access_key_id": "BERTH_ROOT_ACCESS_KEY_ID",
    "root_secret_access_key": "BERTH_ROOT_SECRET_ACCESS_KEY",
}


def load_settings(environ: Mapping[str, str], overrides: Mapping[str, object] | None = None
                  ) -> Settings:
    """Build Settings from the environment and flag overrides (None means 'not given')."""
    values: dict[str, object] = {}
    for name, var in _ENV.items():
        if environ.get(var):
            values[name] = environ[var]
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
    kinds = {f.name: f.type for f in fields(Settings)}
    for name, value in list(values.items()):
        if kinds[name] in ("int",):
            values[name] = _int(name, value)
        elif name == "data_dir":
            values[name] = Path(str(value))
    settings = Settings(**values)  # type: ignore[arg-type]
    _validate(settings)
    return settings


def async_database_url(url: str) -> str:
    """Map the URLs users write onto SQLAlchemy's async drivers."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///"):]
    return url


def _int(name: str, value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise ConfigError(f"{name} must be an integer, not {value!r}") from None


def _validate(settings: Settings) -> None:
    if settings.account_id is not None and not re.fullmatch(r"\d{12}", settings.account_id):
        raise ConfigError("BERTH_ACCOUNT_ID must be 12 digits")
    if not re.fullmatch(r"[^\s:]+:\d{1,5}|\[[0-9a-fA-F:]+\]:\d{1,5}", settings.listen):
        raise ConfigError(f"listen address must be HOST:PORT, not {settings.listen!r}")
    if (settings.tls_cert is None) != (settings.tls_key is None):
        raise ConfigError("set both BERTH_TLS_CERT and BERTH_TLS_KEY, or neither")
    if settings.trusted_proxies is not None:
        try:
            parse_networks(settings.trusted_proxies)
        except ValueError as exc:
            raise ConfigError(f"BERTH_TRUSTED_PROXIES: {exc}") from None
    if bool(settings.root_access_key_id) != bool(settings.root_secret_access_key):
        raise ConfigError("set both BERTH_ROOT_ACCESS_KEY_ID and BERTH_ROOT_SECRET_ACCESS_KEY")
    if settings.lifecycle_interval_seconds < 0:
        raise ConfigError("lifecycle_interval_seconds must be 0 (off) or more")
    if settings.workers < 1:
        raise ConfigError("workers must be at least 1")
    if settings.gc_interval_seconds < 0:
        raise ConfigError("BERTH_GC_INTERVAL_SECONDS must be 0 (off) or more")
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", settings.region):
        raise ConfigError(f"region {settings.region!r} is not a region name like us-east-1")


def check_tls(settings: Settings) -> None:
    """Load the certificate and key as the server will, so that a wrong path, a key of
    another certificate or an encrypted key is said plainly before anything starts."""
    if settings.tls_cert is None or settings.tls_key is None:
        return
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key, password=_no_password)
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise ConfigError(f"cannot use TLS certificate {settings.tls_cert!r} with key "
                          f"{settings.tls_key!r}: {exc}") from None


def _no_password() -> str:
    raise ValueError("the key is encrypted; give an unencrypted PEM key")


def default_environ() -> Mapping[str, str]:
    return os.environ


SETTINGS_ENV = "BERTH_RESOLVED_SETTINGS"  # how ``berth serve`` hands settings to its workers


def export_settings(settings: Settings) -> str:
    raw: dict[str, Any] = asdict(settings)
    raw["data_dir"] = str(settings.data_dir)
    return json.dumps(raw)


def import_settings(text: str) -> Settings:
    raw = json.loads(text)
    raw["data_dir"] = Path(raw["data_dir"])
    return Settings(**raw)
