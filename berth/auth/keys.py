"""The server's secret key, and what is derived from it.

One master key (``BERTH_SECRET_KEY``, or ``<data dir>/secret.key`` generated on first
start) yields, through HKDF, a key that encrypts stored access-key secrets (Fernet)
and a key that signs registry tokens (HMAC-SHA256). Every node of a cluster must
share the master key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretUndecryptable(ValueError):
    """A stored secret could not be decrypted with this server's key."""


def load_or_create_master_key(configured: str | None, data_dir: Path) -> bytes:
    """The configured key (any string of 32+ characters), else the data dir's key file."""
    if configured:
        if len(configured) < 32:
            raise ValueError("BERTH_SECRET_KEY must be at least 32 characters")
        return configured.encode()
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_bytes().strip()
    key = secrets.token_urlsafe(48).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key + b"\n")
    return key


class ServerKeys:
    def __init__(self, master: bytes) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(master, b"berth secrets v1")))
        self._token_key = _derive(master, b"berth registry tokens v1")

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise SecretUndecryptable("stored secret does not decrypt with this key") from None

    def sign(self, message: bytes) -> bytes:
        return hmac.new(self._token_key, message, hashlib.sha256).digest()

    def check(self, message: bytes, signature: bytes) -> bool:
        return hmac.compare_digest(self.sign(message), signature)


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)
