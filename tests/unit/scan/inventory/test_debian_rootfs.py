"""The inventory of a real ``debootstrap --variant=minbase bookworm`` root filesystem
(built once per machine and cached; see ``berth.testing.debian_rootfs``)."""

from __future__ import annotations

import json
import re

import pytest

from berth.scan.inventory import LayerInventory, read_layer, squash
from berth.scan.model import OS, Inventory
from berth.scan.sbom import cyclonedx
from berth.testing.debian_rootfs import LayerFile, require_debian_layer

from .builders import read


@pytest.fixture(scope="module")
def debian() -> LayerFile:
    return require_debian_layer()


@pytest.fixture(scope="module")
def base(debian: LayerFile) -> LayerInventory:
    with debian.open() as blob:
        return read_layer(debian.digest, debian.media_type, blob)


def test_the_os_and_every_installed_package(debian: LayerFile, base: LayerInventory) -> None:
    inv = squash([base])
    assert inv.os is not None
    assert (inv.os.id, inv.os.version_id, inv.os.ecosystem) == ("debian", "12", "Debian:12")
    assert re.fullmatch(r"12\.\d+", inv.os.point_release or "")
    # minbase bookworm: 88 binary packages from 63 sources when this was written
    assert 80 <= len(inv.packages) <= 100
    assert 55 <= len({p.match_name for p in inv.packages}) <= 75
    assert {(p.ecosystem, p.package_manager, p.purl_type, p.path, p.layer)
            for p in inv.packages} == {("Debian:12", OS, "deb", "var/lib/dpkg/status",
                                        debian.digest)}
    assert {p.arch for p in inv.packages} <= {"amd64", "arm64", "all"}
    assert inv.notes == ()


def test_binary_and_source_versions(base: LayerInventory) -> None:
    found = {p.name: p for p in squash([base]).packages}
    bash = found["bash"]
    assert re.fullmatch(r"5\.2\.15-2\+b\d+", bash.version)      # a binNMU
    assert (bash.match_name, bash.match_version) == ("bash", "5.2.15-2")
    libc = found["libc6"]
    assert libc.match_name == "glibc" and libc.version.startswith("2.36-9+deb12u")
    assert libc.match_version == libc.version
    zlib = found["zlib1g"]
    assert zlib.version.startswith("1:") and zlib.match_name == "zlib"
    assert {"dpkg", "apt", "base-files", "coreutils", "libzstd1"} <= set(found)


def test_a_second_layer_with_whiteouts(debian: LayerFile, base: LayerInventory) -> None:
    upper = read({"app/node_modules/left-pad/package.json":
                  json.dumps({"name": "left-pad", "version": "1.3.0"}).encode()},
                 whiteouts=["var/lib/dpkg/status"], digest="sha256:upper")
    inv: Inventory = squash([base, upper])
    assert [(p.name, p.layer) for p in inv.packages] == [("left-pad", "sha256:upper")]
    assert inv.os is not None and inv.os.ecosystem == "Debian:12"


def test_the_cached_record_and_the_sbom(debian: LayerFile, base: LayerInventory) -> None:
    text = json.dumps(base.to_json())
    assert len(text) < 200_000
    assert LayerInventory.from_json(json.loads(text)) == base
    inv = squash([base])
    doc = cyclonedx(inv, image_name="debian", image_digest="sha256:" + "0" * 64,
                    created="2026-11-26T00:00:00Z")
    assert len(doc["components"]) == len(inv.packages) + 1
    purls = {c["name"]: c.get("purl") for c in doc["components"]}
    assert re.fullmatch(r"pkg:deb/debian/bash@5\.2\.15-2%2Bb\d+\?arch=amd64&distro=debian-12",
                        purls["bash"])
    assert purls["zlib1g"].endswith("&epoch=1")
