"""The /v2/ app in process, on the in-memory fake: quick checks of handler wiring."""

from __future__ import annotations

import base64
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
    """A token of one account cannot act on another (until policies allow it)."""
    async with in_memory_berth() as http:
        await http.post("/v2/mine/blobs/uploads/", params={
            "digest": "sha256:" + hashlib.sha256(b"x").hexdigest()}, content=b"x")
        other = {"Host": "210987654321.dkr.ecr.us-east-1.berth.test"}
        refused = await http.get("/v2/_catalog", headers=other)
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["code"] == "DENIED"
        own = {"Host": "123456789012.dkr.ecr.us-east-1.berth.test"}
        assert (await http.get("/v2/_catalog", headers=own)).json() == {"repositories": ["mine"]}


async def test_unauthenticated_requests_get_the_ecr_challenge() -> None:
    def basic(text: str) -> str:
        return "Basic " + base64.b64encode(text.encode()).decode()

    async with in_memory_berth() as http:
        for header in (None, basic("AWS:forged.token"), basic("someone:x"), "Bearer abc",
                       "Basic !!!"):
            request = http.build_request("GET", "/v2/")
            request.headers.pop("Authorization", None)
            if header is not None:
                request.headers["Authorization"] = header
            response = await http.send(request, auth=None)
            assert response.status_code == 401, header
            assert response.headers["WWW-Authenticate"] == (
                'Basic realm="http://berth.test/",service="ecr.amazonaws.com"')
            assert response.json()["errors"][0]["code"] == "UNAUTHORIZED"


async def test_health_and_readiness_need_no_credentials() -> None:
    async with in_memory_berth() as http:
        assert (await http.get("/healthz", auth=None)).text == "ok\n"
        ready = await http.get("/readyz", auth=None)
        assert ready.status_code == 200 and ready.text == "ready\n"
