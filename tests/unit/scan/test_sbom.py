"""CycloneDX output and package URLs.

The expected purls were checked against packageurl-python 0.17.6 (``PackageURL(...)
.to_string()``), except pypi names, which berth normalises per PEP 503 (dots too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from berth.scan.model import (
    CARGO,
    GOBINARY,
    JAR,
    NODEPKG,
    OS,
    PYTHONPKG,
    Inventory,
    OsInfo,
    Package,
)
from berth.scan.sbom import cyclonedx, image_url, package_url

DEBIAN = OsInfo("debian", "12", "Debian GNU/Linux 12 (bookworm)", "Debian:12", "12.5")
ROCKY = OsInfo("rocky", "9.3", "Rocky Linux 9.3 (Blue Onyx)", "Rocky Linux:9")
ALPINE = OsInfo("alpine", "3.20.3", "Alpine Linux v3.20", "Alpine:v3.20")
DIGEST = "sha256:" + "ab" * 32


def pkg(purl_type: str, name: str, version: str, *, manager: str = OS,
        ecosystem: str = "x", arch: str | None = None, path: str = "var/lib/dpkg/status",
        **more: object) -> Package:
    return Package(ecosystem, name, version, manager, purl_type, path, "sha256:l",
                   arch=arch, **more)  # type: ignore[arg-type]


@pytest.mark.parametrize(("package", "system", "purl"), [
    (pkg("deb", "bash", "5.2.15-2+b13", arch="amd64"), DEBIAN,
     "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12"),
    (pkg("deb", "zlib1g", "1:1.2.13.dfsg-1", arch="amd64"), DEBIAN,
     "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12&epoch=1"),
    (pkg("rpm", "openssl", "1:3.0.7-25.el9_3", arch="x86_64"), ROCKY,
     "pkg:rpm/rocky/openssl@3.0.7-25.el9_3?arch=x86_64&distro=rocky-9.3&epoch=1"),
    (pkg("apk", "musl", "1.2.5-r0", arch="x86_64"), ALPINE,
     "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3"),
    (pkg("deb", "bash", "5.2", arch=None), None, "pkg:deb/bash@5.2"),
    (pkg("pypi", "Django_Rest.Framework", "3.15.1", manager=PYTHONPKG), DEBIAN,
     "pkg:pypi/django-rest-framework@3.15.1"),
    (pkg("npm", "@babel/core", "7.24.0", manager=NODEPKG), DEBIAN,
     "pkg:npm/%40babel/core@7.24.0"),
    (pkg("npm", "lodash", "4.17.21", manager=NODEPKG), DEBIAN, "pkg:npm/lodash@4.17.21"),
    (pkg("golang", "github.com/gorilla/context", "v1.1.1+incompatible", manager=GOBINARY),
     DEBIAN, "pkg:golang/github.com/gorilla/context@v1.1.1%2Bincompatible"),
    (pkg("golang", "stdlib", "1.22.4", manager=GOBINARY), DEBIAN,
     "pkg:golang/stdlib@1.22.4"),
    (pkg("maven", "org.apache.logging.log4j:log4j-core", "2.14.1", manager=JAR), DEBIAN,
     "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
    (pkg("cargo", "serde_json", "1.0.108+meta", manager=CARGO), DEBIAN,
     "pkg:cargo/serde_json@1.0.108%2Bmeta"),
])
def test_package_urls(package: Package, system: OsInfo | None, purl: str) -> None:
    assert package_url(package, system) == purl


def test_image_url() -> None:
    assert image_url("registry.example/lib/Debian", "sha256:abc") == \
        "pkg:oci/debian@sha256:abc?repository_url=registry.example/lib/debian"


def inventory() -> Inventory:
    return Inventory(DEBIAN, (
        pkg("deb", "bash", "5.2.15-2+b13", ecosystem="Debian:12", arch="amd64",
            source_version="5.2.15-2"),
        pkg("deb", "libc6", "2.36-9+deb12u4", ecosystem="Debian:12", arch="amd64",
            source_name="glibc", licenses=("LGPL-2.1",)),
        pkg("pypi", "requests", "2.31.0", manager=PYTHONPKG, ecosystem="PyPI",
            path="a/METADATA", licenses=("Apache-2.0",)),
        pkg("pypi", "requests", "2.31.0", manager=PYTHONPKG, ecosystem="PyPI",
            path="b/METADATA"),
    ))


def test_the_document() -> None:
    when = datetime(2026, 11, 26, 12, 30, 5, 123, tzinfo=UTC)
    doc = cyclonedx(inventory(), image_name="app", image_digest=DIGEST, created=when)
    assert (doc["bomFormat"], doc["specVersion"], doc["version"]) == ("CycloneDX", "1.5", 1)
    assert doc["serialNumber"].startswith("urn:uuid:")
    assert doc["metadata"]["timestamp"] == "2026-11-26T12:30:05Z"
    image = doc["metadata"]["component"]
    assert (image["type"], image["name"], image["version"]) == ("container", "app", DIGEST)
    system, bash, libc, first, second = doc["components"]
    assert (system["type"], system["name"], system["version"]) == (
        "operating-system", "debian", "12.5")
    assert bash["type"] == "library" and bash["purl"].startswith("pkg:deb/debian/bash@")
    props = {p["name"]: p["value"] for p in bash["properties"]}
    assert props == {"berth:package_manager": "OS", "berth:ecosystem": "Debian:12",
                     "berth:file_path": "var/lib/dpkg/status",
                     "berth:layer_digest": "sha256:l", "berth:source_name": "bash",
                     "berth:source_version": "5.2.15-2"}
    libc_props = {p["name"]: p["value"] for p in libc["properties"]}
    assert libc_props["berth:source_name"] == "glibc"
    assert libc["licenses"] == [{"license": {"name": "LGPL-2.1"}}]
    assert "licenses" not in bash
    assert first["purl"] == second["purl"] and first["bom-ref"] != second["bom-ref"]
    refs = [c["bom-ref"] for c in doc["components"]]
    assert len(set(refs)) == len(refs)
    assert doc["dependencies"] == [{"ref": image["bom-ref"], "dependsOn": refs}]


def test_the_same_image_gives_the_same_document() -> None:
    one = cyclonedx(inventory(), image_name="app", image_digest=DIGEST,
                    created="2026-11-26T12:30:05+00:00")
    two = cyclonedx(inventory(), image_name="app", image_digest=DIGEST,
                    created=datetime(2026, 11, 26, 13, 30, 5,
                                     tzinfo=timezone(timedelta(hours=1))))
    assert one == two
    other = cyclonedx(inventory(), image_name="app", image_digest="sha256:" + "cd" * 32,
                      created="2026-11-26T12:30:05Z")
    assert other["serialNumber"] != one["serialNumber"]


def test_naive_times_are_utc_and_bad_strings_refused() -> None:
    doc = cyclonedx(Inventory(None, ()), image_name="scratch", image_digest=DIGEST,
                    created=datetime(2026, 1, 2, 3, 4, 5))
    assert doc["metadata"]["timestamp"] == "2026-01-02T03:04:05Z"
    assert doc["components"] == []
    with pytest.raises(ValueError):
        cyclonedx(Inventory(None, ()), image_name="x", image_digest=DIGEST, created="soon")
