"""The /v2/ app in process, on the in-memory fake: quick checks of handler wiring."""

from __future__ import annotations

import hashlib
import json

from berth.testing.fake import in_memory_berth


async def test_push_and_pull_in_process() -> None:
    async with in_memory_berth() as http:
        layer = b"in-process layer"
        digest = "sha256:" + hashlib.sha256(layer).hexdigest()
        pushed = await http.post("/v2/fake/app/blobs/uploads/", params={"digest": digest},
                                 content=layer)
        assert pushed.status_code == 201
        config = b"{}"
        config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
        await http.post("/v2/fake/app/blobs/uploads/", params={"digest": config_digest},
                        content=config)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest, "size": 2},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": digest, "size": len(layer)}]}).encode()
        put = await http.put("/v2/fake/app/manifests/v1", content=manifest, headers={
            "Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        assert put.status_code == 201
        assert (await http.get("/v2/fake/app/manifests/v1")).content == manifest
        blob = await http.get(f"/v2/fake/app/blobs/{digest}", headers={"Range": "bytes=3-9"})
        assert blob.status_code == 206 and blob.content == layer[3:10]
        assert (await http.get("/v2/_catalog")).json() == {"repositories": ["fake/app"]}


async def test_ecr_style_host_selects_the_account() -> None:
    async with in_memory_berth() as http:
        await http.post("/v2/mine/blobs/uploads/", params={
            "digest": "sha256:" + hashlib.sha256(b"x").hexdigest()}, content=b"x")
        other = {"Host": "210987654321.dkr.ecr.us-east-1.berth.test"}
        assert (await http.get("/v2/_catalog", headers=other)).json() == {"repositories": []}
        own = {"Host": "123456789012.dkr.ecr.us-east-1.berth.test"}
        assert (await http.get("/v2/_catalog", headers=own)).json() == {"repositories": ["mine"]}
