"""Scanning end to end: a real Debian root filesystem pushed to a running berth, OSV
records written against its installed versions, and the findings read back through
boto3 and the aws CLI exactly as the seed guide's commands read them."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from berth.testing.debian_rootfs import debian_layer
from berth.testing.server import BerthServer, running_berth
from tests.api.helpers import aws, aws_json, code_of, unique
from tests.http.registry_client import OCI_MANIFEST, Client, sha256
from tests.scanning.osv_fixtures import (
    CRITICAL_V3,
    Fixture,
    debian_fixture,
    dpkg_status,
    record,
    write_records,
)
from tests.unit.scan.inventory.builders import CRATES, audit_section

LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"


@pytest.fixture(scope="module")
def rootfs_layer() -> Any:
    return debian_layer()


@pytest.fixture(scope="module")
def fixture(rootfs_layer: Any) -> Fixture:
    return debian_fixture(dpkg_status(_status_text(rootfs_layer.path)))


def _status_text(layer: Path) -> str:
    with tarfile.open(layer, "r:gz") as tar:
        for member in tar:
            if member.name.lstrip("./") == "var/lib/dpkg/status":
                data = tar.extractfile(member)
                assert data is not None
                return data.read().decode()
    raise AssertionError("no dpkg status in the layer")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BerthServer]:
    with running_berth(tmp_path_factory.mktemp("scan") / "data") as server:
        yield server


@pytest.fixture(scope="module")
def registry(server: BerthServer) -> Iterator[Client]:
    client = Client(server.url, server.password())
    yield client
    client.close()


@pytest.fixture(scope="module")
def ecr(server: BerthServer) -> Any:
    return server.client("ecr")


def berth_cli(server: BerthServer, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "berth", *args], capture_output=True,
                            text=True, timeout=300, env={**os.environ, **server.settings_env})
    assert result.returncode == 0, result.stderr
    return result


def import_records(server: BerthServer, records: list[dict[str, Any]], where: Path) -> None:
    berth_cli(server, "vulndb", "import", str(write_records(records, where)))


def push_layers(registry: Client, repo: str, tag: str, layers: list[tuple[Path | bytes, str]]
                ) -> str:
    """An image of gzip layers given as files or bytes, with their diff ids."""
    descriptors = []
    for layer, diff_id in layers:
        data = layer.read_bytes() if isinstance(layer, Path) else layer
        descriptors.append({"mediaType": LAYER_GZIP, "digest": registry.push_blob(repo, data),
                            "size": len(data), "diff_id": diff_id})
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {
        "type": "layers", "diff_ids": [d.pop("diff_id") for d in descriptors]}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": registry.push_blob(repo, config),
                   "size": len(config)},
        "layers": descriptors}).encode()
    response = registry.put_manifest(repo, tag, manifest)
    assert response.status_code == 201, response.text
    return sha256(manifest)


def gzip_layer(files: dict[str, bytes], executables: tuple[str, ...] = ()
               ) -> tuple[bytes, str]:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            if name in executables:
                info.mode = 0o755
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0), sha256(raw.getvalue())


def findings_of(ecr: Any, repo: str, tag: str) -> list[dict[str, Any]]:
    pages = ecr.get_paginator("describe_image_scan_findings").paginate(
        repositoryName=repo, imageId={"imageTag": tag}, PaginationConfig={"PageSize": 3})
    return [f for page in pages for f in page["imageScanFindings"].get("findings", [])]


def pairs(findings: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(f["name"], next(a["value"] for a in f["attributes"] if a["key"] == "package_name"))
            for f in findings}


def wait_scan(ecr: Any, repo: str, tag: str) -> None:
    ecr.get_waiter("image_scan_complete").wait(
        repositoryName=repo, imageId={"imageTag": tag},
        WaiterConfig={"Delay": 1, "MaxAttempts": 60})


@pytest.fixture(scope="module")
def loaded(server: BerthServer, fixture: Fixture, tmp_path_factory: pytest.TempPathFactory
           ) -> Fixture:
    import_records(server, fixture.records, tmp_path_factory.mktemp("osv"))
    return fixture


def test_scan_on_push_gives_exactly_the_expected_findings(
        server: BerthServer, ecr: Any, registry: Client, rootfs_layer: Any, loaded: Fixture
) -> None:
    repo = "my-application"
    aws(server, "ecr", "create-repository", "--repository-name", repo,
        "--image-scanning-configuration", "scanOnPush=true")
    started = time.monotonic()
    push_layers(registry, repo, "v1.0.0", [(rootfs_layer.path, rootfs_layer.diff_id)])
    aws(server, "ecr", "wait", "image-scan-complete", "--repository-name", repo,
        "--image-id", "imageTag=v1.0.0")
    took = time.monotonic() - started
    found = findings_of(ecr, repo, "v1.0.0")
    assert pairs(found) == loaded.expected
    for f in found:
        assert f["severity"] == loaded.severities[f["name"]], f
    summary = aws_json(server, "ecr", "describe-image-scan-findings", "--repository-name", repo,
                       "--image-id", "imageTag=v1.0.0", "--query",
                       "imageScanFindings.{Status:imageScanStatus.status,"
                       "Critical:findingSeverityCounts.CRITICAL,High:findingSeverityCounts.HIGH,"
                       "Medium:findingSeverityCounts.MEDIUM}")
    criticals = sum(1 for f in found if f["severity"] == "CRITICAL")
    assert summary == {"Status": None, "Critical": criticals, "High": None, "Medium": None}
    gate = aws_json(server, "ecr", "describe-image-scan-findings", "--repository-name", repo,
                    "--image-id", "imageTag=v1.0.0", "--query",
                    "imageScanFindings.findings[?severity==`CRITICAL`].{CVE:name,Package:"
                    "attributes[?key==`package_name`].value|[0],Fix:attributes[?key=="
                    "`package_version`].value|[0]}")
    assert {(g["CVE"], g["Package"]) for g in gate} == {
        p for p in loaded.expected if p[0] == "CVE-2099-0001"}
    print(f"scan on push of the Debian image: COMPLETE {took:.1f} s after the push began")


def test_the_image_shows_its_scan_in_describe_images(ecr: Any, loaded: Fixture) -> None:
    detail = ecr.describe_images(repositoryName="my-application",
                                 imageIds=[{"imageTag": "v1.0.0"}])["imageDetails"][0]
    assert detail["imageScanStatus"]["status"] == "COMPLETE"
    counts = detail["imageScanFindingsSummary"]["findingSeverityCounts"]
    assert sum(counts.values()) == len(loaded.expected)


def test_a_second_basic_scan_within_a_day_is_refused(ecr: Any, loaded: Fixture) -> None:
    with pytest.raises(ClientError) as exc:
        ecr.start_image_scan(repositoryName="my-application", imageId={"imageTag": "v1.0.0"})
    assert code_of(exc) == "LimitExceededException"


def test_manual_scan_of_an_image_not_yet_scanned(server: BerthServer, ecr: Any,
                                                 registry: Client, rootfs_layer: Any,
                                                 loaded: Fixture) -> None:
    repo = unique("manual")
    ecr.create_repository(repositoryName=repo)
    push_layers(registry, repo, "v1.0.0", [(rootfs_layer.path, rootfs_layer.diff_id)])
    with pytest.raises(ClientError) as exc:
        ecr.describe_image_scan_findings(repositoryName=repo, imageId={"imageTag": "v1.0.0"})
    assert code_of(exc) == "ScanNotFoundException"
    started = aws_json(server, "ecr", "start-image-scan", "--repository-name", repo,
                       "--image-id", "imageTag=v1.0.0")
    assert started["imageScanStatus"]["status"] == "IN_PROGRESS"
    wait_scan(ecr, repo, "v1.0.0")
    assert pairs(findings_of(ecr, repo, "v1.0.0")) == loaded.expected


def test_images_without_packages_and_indexes(ecr: Any, registry: Client, loaded: Fixture
                                             ) -> None:
    repo = unique("odd")
    ecr.create_repository(repositoryName=repo, imageScanningConfiguration={"scanOnPush": True})
    layer, diff_id = gzip_layer({"hello.txt": b"hello\n"})
    digest = push_layers(registry, repo, "scratch", [(layer, diff_id)])
    deadline = time.monotonic() + 30
    while True:
        status = ecr.describe_image_scan_findings(
            repositoryName=repo, imageId={"imageTag": "scratch"})["imageScanStatus"]
        if status["status"] != "IN_PROGRESS" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert status["status"] == "UNSUPPORTED_IMAGE"
    index = json.dumps({"schemaVersion": 2,
                        "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [{"mediaType": OCI_MANIFEST, "digest": digest,
                                       "size": 100}]}).encode()
    response = registry.put_manifest(repo, "multi", index,
                                     "application/vnd.oci.image.index.v1+json")
    assert response.status_code == 201, response.text
    with pytest.raises(ClientError) as exc:
        ecr.start_image_scan(repositoryName=repo, imageId={"imageTag": "multi"})
    assert code_of(exc) == "UnsupportedImageTypeException"
    with pytest.raises(ClientError) as exc:
        ecr.start_image_scan(repositoryName=repo, imageId={"imageTag": "missing"})
    assert code_of(exc) == "ImageNotFoundException"


def test_enhanced_continuous_scanning_rescans_only_affected_images(
        server: BerthServer, ecr: Any, registry: Client, rootfs_layer: Any, loaded: Fixture,
        tmp_path: Path) -> None:
    aws(server, "ecr", "put-registry-scanning-configuration", "--scan-type", "ENHANCED",
        "--rules", '[{"scanFrequency":"CONTINUOUS_SCAN","repositoryFilters":'
        '[{"filter":"*","filterType":"WILDCARD"}]}]')
    config = ecr.get_registry_scanning_configuration()["scanningConfiguration"]
    assert config["scanType"] == "ENHANCED"
    debian, python = unique("cont"), unique("cont")
    for name in (debian, python):
        ecr.create_repository(repositoryName=name)
    push_layers(registry, debian, "v1", [(rootfs_layer.path, rootfs_layer.diff_id)])
    metadata = b"Metadata-Version: 2.1\nName: requests\nVersion: 2.30.0\n"
    layer, diff_id = gzip_layer({
        "usr/lib/python3/site-packages/requests-2.30.0.dist-info/METADATA": metadata})
    push_layers(registry, python, "v1", [(layer, diff_id)])
    before = {name: _enhanced(ecr, name) for name in (debian, python)}
    assert {f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in before[debian]} == {
        cve for cve, _ in loaded.expected}
    assert before[python] == []
    python_done = _completed(ecr, python)
    # a new advisory about a Debian package: only the Debian image is matched again
    changed = [*loaded.records, record("DEBIAN-CVE-2099-0100", "Debian:12", "zlib",
                                       aliases=["CVE-2099-0100"],
                                       events=[{"introduced": "0"}])]
    import_records(server, changed, tmp_path / "osv2")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        after = _enhanced(ecr, debian)
        if any(f["packageVulnerabilityDetails"]["vulnerabilityId"] == "CVE-2099-0100"
               for f in after):
            break
        time.sleep(0.3)
    else:
        raise AssertionError("the Debian image was not rescanned")
    kept = {f["findingArn"]: f for f in after}
    for old in before[debian]:
        assert kept[old["findingArn"]]["firstObservedAt"] == old["firstObservedAt"]
    time.sleep(1.0)  # time for a wrong rescan of the Python image to show
    assert _completed(ecr, python) == python_done
    ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[])


def _completed(ecr: Any, repo: str) -> Any:
    detail = ecr.describe_images(repositoryName=repo)["imageDetails"][0]
    assert detail["imageScanStatus"]["status"] == "ACTIVE"
    return detail["imageScanFindingsSummary"]["imageScanCompletedAt"]


def _enhanced(ecr: Any, repo: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while True:
        result = ecr.describe_image_scan_findings(repositoryName=repo, imageId={"imageTag": "v1"},
                                                  maxResults=1000)
        if result["imageScanStatus"]["status"] not in ("PENDING", "IN_PROGRESS"):
            break
        assert time.monotonic() < deadline, result["imageScanStatus"]
        time.sleep(0.3)
    assert result["imageScanStatus"]["status"] == "ACTIVE", result["imageScanStatus"]
    return list(result["imageScanFindings"].get("enhancedFindings", []))


def test_sbom_of_the_image(server: BerthServer, registry: Client, loaded: Fixture) -> None:
    response = registry.http.get("/v2/my-application/sbom/v1.0.0")
    assert response.status_code == 200, response.text
    bom = response.json()
    assert bom["bomFormat"] == "CycloneDX"
    names = {c["name"] for c in bom["components"] if c.get("type") == "library"}
    assert {name for _, name in loaded.expected} <= names
    out = berth_cli(server, "sbom", "my-application:v1.0.0").stdout
    assert {c["name"] for c in json.loads(out)["components"]} >= names


def test_the_database_travels_as_an_oci_artifact(server: BerthServer, registry: Client,
                                                 loaded: Fixture, tmp_path: Path) -> None:
    """One berth publishes its advisory database to a registry (itself, here); another
    data directory loads it from there."""
    url = f"{server.url}/vulndb/osv:latest"
    login = ["--username", "AWS", "--password", server.password()]
    pushed = json.loads(berth_cli(server, "vulndb", "push", url, *login).stdout)
    mine = json.loads(berth_cli(server, "vulndb", "status").stdout)
    other = {**os.environ, **server.settings_env, "BERTH_DATA_DIR": str(tmp_path / "other")}
    pulled = subprocess.run([sys.executable, "-m", "berth", "vulndb", "pull", url, *login],
                            capture_output=True, text=True, timeout=300, env=other)
    assert pulled.returncode == 0, pulled.stderr
    theirs = json.loads(pulled.stdout)
    assert theirs["loaded"] and theirs["digest"] == mine["digest"] and pushed["digest"]
    image = unique("plain")
    push_layers(registry, image, "v1", [gzip_layer({"a.txt": b"a"})])
    refused = subprocess.run([sys.executable, "-m", "berth", "vulndb", "pull",
                              f"{server.url}/{image}:v1", *login],
                             capture_output=True, text=True, timeout=300, env=other)
    assert refused.returncode == 1 and "not a berth vulnerability database" in refused.stderr


def test_a_rust_binary_is_scanned_by_the_crates_it_was_built_from(
        server: BerthServer, ecr: Any, registry: Client, loaded: Fixture, tmp_path: Path) -> None:
    """A real ELF executable carrying cargo-auditable's ``.dep-v0`` section (added with
    objcopy), pushed under enhanced scanning: its crates.io crates meet RustSec-style
    records; its build dependency and its git crate do not."""
    objcopy, true = shutil.which("objcopy"), shutil.which("true")
    if objcopy is None or true is None:
        pytest.skip("no objcopy (binutils) here")
    (tmp_path / "dep-v0").write_bytes(audit_section(CRATES))
    subprocess.run([objcopy, "--add-section", f".dep-v0={tmp_path / 'dep-v0'}",
                    "--set-section-flags", ".dep-v0=readonly", true,
                    str(tmp_path / "tool")], check=True)
    crates = [record("RUSTSEC-2099-0001", "crates.io", "smallvec",
                     events=[{"introduced": "0"}, {"fixed": "1.6.1"}], severity=[CRITICAL_V3]),
              record("RUSTSEC-2099-0002", "crates.io", "time",
                     events=[{"introduced": "0"}, {"fixed": "0.1.40"}]),   # already fixed
              record("RUSTSEC-2099-0003", "crates.io", "cc", events=[{"introduced": "0"}]),
              record("RUSTSEC-2099-0004", "crates.io", "forked", events=[{"introduced": "0"}])]
    import_records(server, [*loaded.records, *crates], tmp_path / "osv")
    repo = unique("rust")
    aws(server, "ecr", "put-registry-scanning-configuration", "--scan-type", "ENHANCED",
        "--rules", '[{"scanFrequency":"CONTINUOUS_SCAN","repositoryFilters":'
        f'[{{"filter":"{repo}","filterType":"WILDCARD"}}]}}]')
    try:
        ecr.create_repository(repositoryName=repo)
        tool = "usr/local/bin/tool"
        push_layers(registry, repo, "v1", [gzip_layer({tool: (tmp_path / "tool").read_bytes()},
                                                      executables=(tool,))])
        found = _enhanced(ecr, repo)
    finally:
        ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[])
    assert [f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in found] == [
        "RUSTSEC-2099-0001"]
    package = found[0]["packageVulnerabilityDetails"]["vulnerablePackages"][0]
    assert {k: package[k] for k in ("name", "version", "packageManager", "filePath",
                                    "fixedInVersion")} == {
        "name": "smallvec", "version": "1.6.0", "packageManager": "CARGO",
        "filePath": "usr/local/bin/tool", "fixedInVersion": "1.6.1"}
    assert found[0]["severity"] == "CRITICAL"
