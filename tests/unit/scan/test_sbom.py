"""CycloneDX output and package URLs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from berth.scan.model import OS, Inventory, OsInfo, Package
from berth.scan.sbom import cyclonedx, package_url

DEBIAN = OsInfo("debian", "12", "Debian GNU/Linux 12 (bookworm)", "Debian:12")


def pkg(kind: str, name: str, version: str, ecosystem: str = "x", arch: str | None = None
        ) -> Package:
    return Package(ecosystem, name, version, OS, kind, "var/lib/dpkg/status", "sha256:l",
                   arch=arch)


@pytest.mark.parametrize(("package", "purl"), [
    (pkg("deb", "zlib1g", "1:1.2.13.dfsg-1", arch="amd64"),
     "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12&epoch=1"),
    (pkg("pypi", "Django_Rest", "1.0"), "pkg:pypi/django-rest@1.0"),
    (pkg("npm", "@babel/core", "7.0.0"), "pkg:npm/%40babel/core@7.0.0"),
    (pkg("maven", "org.apache:log4j", "2.14.1"), "pkg:maven/org.apache/log4j@2.14.1"),
    (pkg("golang", "golang.org/x/net", "v0.17.0"), "pkg:golang/golang.org/x/net@v0.17.0"),
])
def test_package_urls(package: Package, purl: str) -> None:
    assert package_url(package, DEBIAN) == purl


def test_the_document_is_stable_and_complete() -> None:
    inventory = Inventory(DEBIAN, (pkg("deb", "bash", "5.2.15-2+b13", "Debian:12"),))
    when = datetime(2026, 11, 26, tzinfo=UTC)
    doc = cyclonedx(inventory, image_name="app", image_digest="sha256:abc", created=when)
    assert doc == cyclonedx(inventory, image_name="app", image_digest="sha256:abc",
                            created=when)
    assert doc["bomFormat"] == "CycloneDX" and doc["specVersion"] == "1.5"
    kinds = [c["type"] for c in doc["components"]]
    assert kinds == ["operating-system", "library"]
    assert doc["metadata"]["component"]["version"] == "sha256:abc"
