"""The layer reader and squash: detectors, whiteouts, compression, hostile layers."""

from __future__ import annotations

import gzip
import io
import json
import tarfile

import pytest
import zstandard

from berth.scan.inventory import InventoryError, LayerInventory, inventory_of, read_layer, squash
from berth.scan.inventory.rpmdb import header

TAR = "application/vnd.oci.image.layer.v1.tar"
OS_RELEASE = b'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'
STATUS = b"""Package: bash
Status: install ok installed
Architecture: amd64
Source: bash (5.2.15-2)
Version: 5.2.15-2+b13

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1

Package: gone
Status: deinstall ok config-files
Version: 1.0

Package: libfoo
Status: install ok installed
Source: foo (2.0-1)
Version: 1:2.0-1+b1
"""


def tar_bytes(files: dict[str, bytes | None], *, links: dict[str, str] | None = None,
              mode: int = 0o644) -> bytes:
    """A tar of regular files (None: a directory), in the order given."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
                continue
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return raw.getvalue()


def layer(digest: str, files: dict[str, bytes | None], **kw: object) -> LayerInventory:
    return read_layer(digest, TAR, io.BytesIO(tar_bytes(files, **kw)))  # type: ignore[arg-type]


BASE = {"etc/os-release": OS_RELEASE, "var/lib/dpkg/status": STATUS}


def names(inventory: object) -> set[tuple[str, str]]:
    return {(p.name, p.version) for p in inventory.packages}  # type: ignore[attr-defined]


def test_dpkg_packages_with_their_sources() -> None:
    inv = squash([layer("sha256:a", BASE)])
    assert inv.os is not None and inv.os.ecosystem == "Debian:12"
    by = {p.name: p for p in inv.packages}
    assert set(by) == {"bash", "zlib1g", "libfoo"}  # deinstalled packages do not count
    assert (by["bash"].match_name, by["bash"].match_version) == ("bash", "5.2.15-2")
    assert (by["zlib1g"].match_name, by["zlib1g"].match_version) == ("zlib", "1:1.2.13.dfsg-1")
    # the binary's epoch carries over to a Source version that has none
    assert (by["libfoo"].match_name, by["libfoo"].match_version) == ("foo", "1:2.0-1")
    assert by["bash"].ecosystem == "Debian:12" and by["bash"].layer == "sha256:a"


@pytest.mark.parametrize("compress", [lambda b: b, lambda b: gzip.compress(b, mtime=0),
                                      lambda b: zstandard.ZstdCompressor().compress(b)])
def test_gzip_zstd_and_plain_layers(compress: object) -> None:
    data = compress(tar_bytes(BASE))  # type: ignore[operator]
    inv = inventory_of([("sha256:a", "application/octet-stream", io.BytesIO(data))])
    assert len(inv.packages) == 3


def test_whiteouts_and_opaque_directories_across_layers() -> None:
    py = b"Metadata-Version: 2.1\nName: Requests_Lib\nVersion: 2.30.0\nLicense: Apache\n"
    lower = layer("sha256:1", {**BASE,
                               "usr/lib/py/a-1.dist-info/METADATA": py,
                               "usr/lib/py/b-1.dist-info/METADATA": py.replace(b"Requests_Lib",
                                                                               b"other"),
                               "app/node_modules/left/package.json":
                                   json.dumps({"name": "left", "version": "1.0.0"}).encode()})
    upper = layer("sha256:2", {
        "usr/lib/py/.wh.a-1.dist-info": b"",          # a whiteout hides a lower directory
        "app/.wh..wh..opq": b"",                      # an opaque directory hides all below
        "app/node_modules/right/package.json":        # but not what its own layer writes
            json.dumps({"name": "right", "version": "2.0.0"}).encode(),
        "var/lib/dpkg/status": STATUS.split(b"\n\n")[0] + b"\n",  # rewritten: bash only
    })
    inv = squash([lower, upper])
    assert names(inv) == {("other", "2.30.0"), ("right", "2.0.0"), ("bash", "5.2.15-2+b13")}
    bash = next(p for p in inv.packages if p.name == "bash")
    assert bash.layer == "sha256:2"
    other = next(p for p in inv.packages if p.name == "other")
    assert other.layer == "sha256:1" and other.ecosystem == "PyPI"


def test_a_whiteout_does_not_hide_its_own_layer_and_the_os_can_come_later() -> None:
    first = layer("sha256:1", {"var/lib/dpkg/status": STATUS})
    second = layer("sha256:2", {"etc/os-release": OS_RELEASE, "var/lib/.wh.other": b""})
    inv = squash([first, second])
    assert inv.os is not None and {p.ecosystem for p in inv.packages} == {"Debian:12"}


def test_language_packages_owned_by_os_packages_are_not_reported_twice() -> None:
    meta = "usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA"
    inv = squash([layer("sha256:1", {
        **BASE, meta: b"Name: requests\nVersion: 2.28.1\n",
        "var/lib/dpkg/info/python3-requests.list": f"/{meta}\n/usr/share/doc/x\n".encode()})])
    assert ("requests", "2.28.1") not in names(inv)


def test_apk_alpine_and_npm_and_egg_info() -> None:
    apk = (b"C:Q1\nP:musl\nV:1.2.5-r0\nA:x86_64\no:musl\nL:MIT\n\n"
           b"P:busybox-binsh\nV:1.36.1-r29\no:busybox\n")
    inv = squash([layer("sha256:1", {
        "etc/os-release": b"ID=alpine\nVERSION_ID=3.20.3\n",
        "lib/apk/db/installed": apk,
        "usr/lib/python3.12/site-packages/x.egg-info": b"Name: X\nVersion: 0.1\n",
        "srv/node_modules/@scope/pkg/package.json":
            json.dumps({"name": "@scope/pkg", "version": "3.1.0", "license": "MIT"}).encode(),
        "srv/node_modules/@scope/pkg/node_modules/dep/lib/package.json": b"{}",
    })])
    assert inv.os is not None and inv.os.ecosystem == "Alpine:v3.20"
    by = {p.name: p for p in inv.packages}
    assert by["busybox-binsh"].match_name == "busybox"
    assert by["busybox-binsh"].ecosystem == "Alpine:v3.20"
    assert by["@scope/pkg"].ecosystem == "npm" and by["@scope/pkg"].licenses == ("MIT",)
    assert by["X"].ecosystem == "PyPI"


def test_paths_that_climb_out_are_refused_and_noted() -> None:
    read = layer("sha256:1", {"../../etc/os-release": OS_RELEASE,
                              "./var/lib/dpkg/status": STATUS})
    assert "etc/os-release" not in read.files and "var/lib/dpkg/status" in read.files
    assert any("climbs out" in note for note in read.notes)


def test_a_symlink_at_a_package_database_replaces_it_without_being_followed() -> None:
    lower = layer("sha256:1", BASE)
    upper = layer("sha256:2", {}, links={"var/lib/dpkg/status": "/etc/shadow"})
    assert squash([lower, upper]).packages == ()


def test_a_decompression_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(tar_bytes({"big": bytes(8 << 20)}), mtime=0)
    with pytest.raises(InventoryError, match="limit"):
        read_layer("sha256:1", TAR, io.BytesIO(bomb), max_bytes=1 << 20)


def test_garbage_is_not_a_layer() -> None:
    with pytest.raises(InventoryError):
        read_layer("sha256:1", TAR, io.BytesIO(b"\x1f\x8b not really gzip" * 100))


def test_a_malformed_package_file_is_noted_not_fatal() -> None:
    read = layer("sha256:1", {**BASE, "a/node_modules/x/package.json": b"{not json"})
    assert any("could not read" in note for note in read.notes)
    assert len(squash([read]).packages) == 3


def test_layer_inventories_round_trip_through_json() -> None:
    read = layer("sha256:1", BASE)
    again = LayerInventory.from_json(json.loads(json.dumps(read.to_json())))
    assert squash([again]) == squash([read])


def test_rpm_headers_are_bounds_checked() -> None:
    assert header(b"") == {}
    assert header(b"\x00\x00\x00\x01\xff\xff\xff\xff") == {}
    name = b"openssl\0"
    blob = (b"\x00\x00\x00\x01" + len(name).to_bytes(4, "big")
            + (1000).to_bytes(4, "big") + (6).to_bytes(4, "big") + (0).to_bytes(4, "big")
            + (1).to_bytes(4, "big") + name)
    assert header(blob) == {1000: "openssl"}


def _uvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def go_binary(version: str, modinfo: str) -> bytes:
    """An ELF file carrying a Go 1.18+ inline build-info block, past a 1.5 MiB prefix."""
    sentinel = b"0123456789abcdef"
    info = sentinel + modinfo.encode() + b"\n" + sentinel[:-1] + b"\n"
    header = b"\xff Go buildinf:" + bytes([8, 2]) + bytes(16)
    return (b"\x7fELF" + bytes(3 << 19) + header + _uvarint(len(version)) + version.encode()
            + _uvarint(len(info)) + info + bytes(4096))


def test_go_binaries_report_modules_and_the_toolchain() -> None:
    modinfo = ("path\texample.com/app\nmod\texample.com/app\tv1.2.3\th1:x\n"
               "dep\tgolang.org/x/net\tv0.17.0\th1:y\n"
               "dep\tgithub.com/old/lib\tv1.0.0\n=>\tgithub.com/new/lib\tv1.1.0\th1:z")
    data = go_binary("go1.22.4", modinfo)
    read = layer("sha256:1", {"usr/local/bin/app": data}, mode=0o755)
    found = {(p.name, p.version) for p in squash([read]).packages}
    assert found == {("stdlib", "1.22.4"), ("example.com/app", "v1.2.3"),
                     ("golang.org/x/net", "v0.17.0"), ("github.com/new/lib", "v1.1.0")}
    assert all(p.package_manager == "GOBINARY" for p in squash([read]).packages)


def test_jars_report_maven_coordinates() -> None:
    import zipfile

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as jar:
        jar.writestr("META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
                     "groupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n")
    inv = squash([layer("sha256:1", {"opt/app/lib/log4j-core.jar": raw.getvalue()})])
    assert [(p.ecosystem, p.name, p.version) for p in inv.packages] == [
        ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1")]
