"""A small OCI client over httpx for the HTTP tests: push blobs and manifests the spec's way."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import httpx

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def unique(prefix: str = "repo") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error_code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["code"])


class Client:
    def __init__(self, base_url: str, password: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60,
                                 auth=httpx.BasicAuth("AWS", password))

    def close(self) -> None:
        self.http.close()

    def push_blob(self, repo: str, data: bytes) -> str:
        digest = sha256(data)
        response = self.http.post(f"/v2/{repo}/blobs/uploads/", params={"digest": digest},
                                  content=data,
                                  headers={"Content-Type": "application/octet-stream"})
        assert response.status_code == 201, response.text
        return digest

    def start_upload(self, repo: str, **params: str) -> str:
        response = self.http.post(f"/v2/{repo}/blobs/uploads/", params=params)
        assert response.status_code == 202, response.text
        return str(response.headers["Location"])

    def manifest(self, repo: str, layers: list[bytes], **extra: Any) -> tuple[bytes, str]:
        """Push the config and layers; return the manifest bytes and digest (not pushed)."""
        config = json.dumps({"architecture": "amd64", "os": "linux",
                             "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        doc = {
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": self.push_blob(repo, config),
                       "size": len(config)},
            "layers": [{"mediaType": LAYER, "digest": self.push_blob(repo, layer),
                        "size": len(layer)} for layer in layers],
            **extra,
        }
        payload = json.dumps(doc).encode()
        return payload, sha256(payload)

    def put_manifest(self, repo: str, reference: str, payload: bytes,
                     media_type: str = OCI_MANIFEST, **params: Any) -> httpx.Response:
        return self.http.put(f"/v2/{repo}/manifests/{reference}", content=payload,
                             headers={"Content-Type": media_type}, params=params)

    def push_image(self, repo: str, tag: str, layers: list[bytes] | None = None) -> str:
        payload, digest = self.manifest(repo, layers or [uuid.uuid4().bytes])
        response = self.put_manifest(repo, tag, payload)
        assert response.status_code == 201, response.text
        return digest
