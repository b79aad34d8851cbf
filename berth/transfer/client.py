"""A blocking OCI distribution-spec client over the standard library.

It speaks Basic auth and the token challenge (``WWW-Authenticate: Bearer``) that
registries answer 401 with, streams blobs to files with the digest verified, and
pushes blobs monolithically. Sizes are capped by the caller.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from berth.durable import sha256_file
from berth.oci.digest import Digest, new_hasher
from berth.oci.names import split_reference

CHUNK = 1 << 20


class TransferError(RuntimeError):
    """The registry refused, or sent something other than what was asked for."""


@dataclass(frozen=True)
class ImageUrl:
    base: str         # scheme://host[:port]
    repository: str
    reference: str    # tag or digest

    @classmethod
    def parse(cls, url: str) -> ImageUrl:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{url!r} is not http(s)://HOST/REPOSITORY:TAG")
        repository, reference = split_reference(parts.path.lstrip("/"))
        if not repository:
            raise ValueError(f"{url!r} names no repository")
        return cls(f"{parts.scheme}://{parts.netloc}", repository, reference)


class Client:
    def __init__(self, base: str, username: str | None = None, password: str | None = None,
                 timeout: float = 60.0) -> None:
        self.base = base
        self.timeout = timeout
        self._basic = (None if username is None else "Basic " + base64.b64encode(
            f"{username}:{password or ''}".encode()).decode())
        self._bearer: str | None = None

    def request(self, method: str, path: str, body: bytes | IO[bytes] | None = None,
                headers: dict[str, str] | None = None) -> Any:
        """The response (a file-like object the caller closes); TransferError on 4xx/5xx."""
        for attempt in range(2):
            req = urllib.request.Request(self.base + path, data=body, method=method,
                                         headers={**(headers or {}), **self._auth()})
            try:
                return urllib.request.urlopen(req, timeout=self.timeout)
            except urllib.error.HTTPError as exc:
                challenge = exc.headers.get("WWW-Authenticate", "")
                if exc.code == 401 and attempt == 0 and challenge.startswith("Bearer "):
                    self._bearer = self._token(challenge)
                    continue
                detail = exc.read(4096).decode(errors="replace")
                raise TransferError(f"{method} {path}: HTTP {exc.code}: {detail}") from None
        raise TransferError(f"{method} {path}: not authorized")

    def _auth(self) -> dict[str, str]:
        if self._bearer:
            return {"Authorization": f"Bearer {self._bearer}"}
        return {"Authorization": self._basic} if self._basic else {}

    def _token(self, challenge: str) -> str:
        fields = dict(part.split("=", 1) for part in challenge[len("Bearer "):].split(","))
        params = {k.strip(): v.strip().strip('"') for k, v in fields.items()}
        realm = params.pop("realm", "")
        req = urllib.request.Request(realm + "?" + urllib.parse.urlencode(params),
                                     headers={"Authorization": self._basic} if self._basic
                                     else {})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                doc = json.load(resp)
        except urllib.error.HTTPError as exc:
            raise TransferError(f"token from {realm}: HTTP {exc.code}") from None
        return str(doc.get("token") or doc.get("access_token") or "")

    # reading

    def manifest(self, repository: str, reference: str, accept: str, limit: int = 4 << 20
                 ) -> tuple[bytes, str]:
        """The manifest's bytes and digest."""
        with self.request("GET", f"/v2/{repository}/manifests/{reference}",
                          headers={"Accept": accept}) as resp:
            payload = resp.read(limit + 1)
        if len(payload) > limit:
            raise TransferError("manifest too large")
        return payload, str(Digest.of(payload))

    def blob_to(self, repository: str, digest: str, dest: IO[bytes], limit: int) -> int:
        """Stream the blob into ``dest``, verifying its digest; its size."""
        expected = Digest.parse(digest)
        hasher = new_hasher(expected.algorithm)
        size = 0
        with self.request("GET", f"/v2/{repository}/blobs/{digest}") as resp:
            for chunk in iter(lambda: resp.read(CHUNK), b""):
                size += len(chunk)
                if size > limit:
                    raise TransferError(f"blob {digest} is larger than {limit} bytes")
                hasher.update(chunk)
                dest.write(chunk)
        if hasher.hexdigest() != expected.hex:
            raise TransferError(f"blob {digest} arrived with other content")
        return size

    # writing

    def push_blob(self, repository: str, path: Path) -> tuple[str, int]:
        """Upload a file monolithically (POST, then PUT with the digest)."""
        digest, size = sha256_file(path), path.stat().st_size
        with self.request("POST", f"/v2/{repository}/blobs/uploads/") as resp:
            location = resp.headers["Location"]
        if location.startswith("http"):
            location = urllib.parse.urlsplit(location)._replace(scheme="", netloc="").geturl()
        sep = "&" if "?" in location else "?"
        with path.open("rb") as body, self.request(
                "PUT", f"{location}{sep}digest={digest}", body,
                {"Content-Type": "application/octet-stream", "Content-Length": str(size)}):
            pass
        return digest, size

    def push_manifest(self, repository: str, reference: str, payload: bytes, media_type: str
                      ) -> None:
        with self.request("PUT", f"/v2/{repository}/manifests/{reference}", payload,
                          {"Content-Type": media_type}):
            pass
