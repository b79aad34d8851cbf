"""Each detector on synthetic layers: OS, dpkg, apk, rpm, Python, npm, Go, Java."""

from __future__ import annotations

import io
import json
import random
import shutil

import pytest

from berth.scan.inventory import Limits, squash
from berth.scan.inventory.gobinary import find_buildinfo, stdlib_version
from berth.scan.inventory.osrelease import ecosystem
from berth.scan.inventory.rpmdb import header
from berth.scan.model import GOBINARY, JAR, NODEPKG, OS, PYTHONPKG, Package

from .builders import (
    DEBIAN,
    MODINFO,
    OS_RELEASE,
    STATUS,
    buildinfo,
    go_binary,
    image,
    jar,
    names,
    pom,
    read,
    rpm_header,
    rpm_package,
    rpmdb,
)


def by_name(packages: tuple[Package, ...]) -> dict[str, Package]:
    return {p.name: p for p in packages}


# --- the operating system ---------------------------------------------------------------

@pytest.mark.parametrize(("os_id", "version_id", "version", "codename", "expected"), [
    ("debian", "12", "12 (bookworm)", "bookworm", "Debian:12"),
    ("debian", "", "", "trixie", "Debian:13"),         # testing: no VERSION_ID
    ("debian", "", "", "nonesuch", None),
    ("ubuntu", "22.04", "22.04.4 LTS (Jammy Jellyfish)", "jammy", "Ubuntu:22.04:LTS"),
    ("ubuntu", "24.10", "24.10 (Oracular Oriole)", "oracular", "Ubuntu:24.10"),
    ("alpine", "3.20.3", "", "", "Alpine:v3.20"),
    ("alpine", "3.21_alpha20240807", "", "", "Alpine:v3.21"),
    ("rocky", "9.3", "9.3 (Blue Onyx)", "", "Rocky Linux:9"),
    ("almalinux", "8.10", "", "", "AlmaLinux:8"),
    ("wolfi", "20230201", "", "", "Wolfi"),
    ("chainguard", "", "", "", "Chainguard"),
    ("fedora", "40", "", "", None),
])
def test_os_ecosystems(os_id: str, version_id: str, version: str, codename: str,
                       expected: str | None) -> None:
    assert ecosystem(os_id, version_id, version, codename) == expected


def test_os_release_with_the_debian_point_release() -> None:
    inv = image({"files": {"etc/os-release": OS_RELEASE, "etc/debian_version": b"12.5\n"}})
    assert inv.os is not None
    assert (inv.os.id, inv.os.version_id, inv.os.ecosystem) == ("debian", "12", "Debian:12")
    assert inv.os.pretty_name == "Debian GNU/Linux 12 (bookworm)"
    assert inv.os.point_release == "12.5"


def test_usr_lib_os_release_when_etc_is_a_symlink_and_etc_first_otherwise() -> None:
    ubuntu = (b'NAME="Ubuntu"\nVERSION_ID="22.04"\n'
              b'VERSION="22.04.4 LTS (Jammy Jellyfish)"\nID=ubuntu\n# comment\n')
    linked = image({"files": {"usr/lib/os-release": ubuntu},
                    "symlinks": {"etc/os-release": "../usr/lib/os-release"}})
    assert linked.os is not None and linked.os.ecosystem == "Ubuntu:22.04:LTS"
    assert linked.os.pretty_name == "Ubuntu 22.04"
    both = image({"files": {"usr/lib/os-release": ubuntu, "etc/os-release": OS_RELEASE}})
    assert both.os is not None and both.os.id == "debian"


def test_alpine_without_os_release_and_debian_testing() -> None:
    alpine = image({"files": {"etc/alpine-release": b"3.19.1\n"}})
    assert alpine.os is not None and alpine.os.ecosystem == "Alpine:v3.19"
    testing = image({"files": {
        "etc/os-release": b'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nID=debian\n'
                          b"VERSION_CODENAME=trixie\n",
        "etc/debian_version": b"trixie/sid\n"}})
    assert testing.os is not None and testing.os.ecosystem == "Debian:13"
    assert testing.os.point_release == "trixie/sid"


def test_no_os_means_no_ecosystem_for_os_packages_and_a_note() -> None:
    inv = image({"files": {"var/lib/dpkg/status": STATUS}})
    assert inv.os is None
    assert {p.ecosystem for p in inv.packages} == {""}
    assert any("cannot be matched" in note for note in inv.notes)


# --- dpkg ---------------------------------------------------------------------------------

def test_dpkg_installed_packages_with_their_sources() -> None:
    found = by_name(image({"files": DEBIAN}).packages)
    assert set(found) == {"bash", "zlib1g", "libfoo", "libbar", "base-files"}
    bash = found["bash"]
    assert (bash.version, bash.arch, bash.ecosystem) == ("5.2.15-2+b13", "amd64", "Debian:12")
    assert (bash.package_manager, bash.purl_type, bash.path) == (OS, "deb",
                                                                 "var/lib/dpkg/status")
    assert (bash.source_name, bash.source_version) == (None, "5.2.15-2")
    assert (bash.match_name, bash.match_version) == ("bash", "5.2.15-2")
    # no version on the Source line: the binary's (epoch included)
    assert (found["zlib1g"].match_name, found["zlib1g"].match_version) == (
        "zlib", "1:1.2.13.dfsg-1")
    # the binary's epoch carries over to a Source version without one …
    assert (found["libfoo"].match_name, found["libfoo"].match_version) == ("foo", "1:2.0-1")
    # … but not over one that has its own
    assert found["libbar"].match_version == "3:1.0-2"
    assert (found["base-files"].source_name, found["base-files"].source_version) == (
        None, None)


def test_distroless_status_d_and_md5sums() -> None:
    inv = image({"files": {
        "etc/os-release": OS_RELEASE,
        "var/lib/dpkg/status.d/libssl3": b"Package: libssl3\nVersion: 3.0.15-1~deb12u1\n"
                                         b"Architecture: amd64\nSource: openssl\n",
        "var/lib/dpkg/status.d/libssl3.md5sums":
            b"0123456789abcdef0123456789abcdef  usr/lib/x86_64-linux-gnu/libssl.so.3\n",
        "var/lib/dpkg/status.d/tzdata": b"Package: tzdata\nStatus: install ok installed\n"
                                        b"Version: 2024a-0+deb12u1\nArchitecture: all\n"}})
    assert names(inv) == {("libssl3", "3.0.15-1~deb12u1"), ("tzdata", "2024a-0+deb12u1")}
    assert by_name(inv.packages)["libssl3"].match_name == "openssl"


def test_status_and_status_d_listing_one_package_report_it_once() -> None:
    entry = b"Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b13\n" \
            b"Architecture: amd64\n"
    inv = image({"files": {"var/lib/dpkg/status": entry, "var/lib/dpkg/status.d/bash": entry}})
    assert [p.name for p in inv.packages] == ["bash"]


# --- apk ----------------------------------------------------------------------------------

def test_apk_packages_with_origin_and_licence() -> None:
    installed = (b"C:Q1abc=\nP:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\no:musl\nF:lib\n"
                 b"R:ld-musl-x86_64.so.1\n\n"
                 b"P:busybox-binsh\nV:1.36.1-r29\nA:x86_64\nL:GPL-2.0-only\no:busybox\n\n"
                 b"P:py3-six\nV:1.16.0-r9\no:py3-six\nF:usr/lib/python3.12/site-packages/"
                 b"six-1.16.0.dist-info\nR:METADATA\n")
    inv = image({"files": {
        "etc/os-release": b"ID=alpine\nVERSION_ID=3.20.3\n",
        "lib/apk/db/installed": installed,
        "usr/lib/python3.12/site-packages/six-1.16.0.dist-info/METADATA":
            b"Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n"}})
    found = by_name(inv.packages)
    assert set(found) == {"musl", "busybox-binsh", "py3-six"}   # PyPI six: apk owns it
    assert found["busybox-binsh"].match_name == "busybox"
    assert found["busybox-binsh"].ecosystem == "Alpine:v3.20"
    assert found["musl"].licenses == ("MIT",) and found["musl"].source_name is None


# --- rpm ----------------------------------------------------------------------------------

def test_rpm_sqlite_database() -> None:
    database = rpmdb(
        rpm_package("openssl-libs", "3.0.7", "25.el9_3", epoch=1,
                    source="openssl-3.0.7-25.el9_3.src.rpm"),
        rpm_package("bash", "5.1.8", "9.el9", source="bash-5.1.8-9.el9.src.rpm"),
        rpm_package("gpg-pubkey", "fd431d51", "4ae0493b"),
        rpm_package("python3-idna", "2.10", "7.el9", source="python-idna-2.10-7.el9.src.rpm",
                    files=["/usr/lib/python3.9/site-packages/idna-2.10-py3.9.egg-info/PKG-INFO",
                           "/usr/share/doc/python3-idna/README.rst"]))
    inv = image({"files": {
        "etc/os-release": b'ID="rocky"\nVERSION_ID="9.3"\n',
        "var/lib/rpm/rpmdb.sqlite": database,
        "usr/lib/python3.9/site-packages/idna-2.10-py3.9.egg-info/PKG-INFO":
            b"Metadata-Version: 1.2\nName: idna\nVersion: 2.10\n"}})
    found = by_name(inv.packages)
    assert set(found) == {"openssl-libs", "bash", "python3-idna"}   # PyPI idna: rpm owns it
    ssl = found["openssl-libs"]
    assert (ssl.version, ssl.match_name, ssl.match_version) == (
        "1:3.0.7-25.el9_3", "openssl", "1:3.0.7-25.el9_3")
    assert (ssl.ecosystem, ssl.arch, ssl.licenses) == ("Rocky Linux:9", "x86_64", ("OpenSSL",))
    assert (found["bash"].source_name, found["bash"].source_version) == (None, None)


def test_an_rpmdb_that_is_not_sqlite_is_noted() -> None:
    layer = read({"var/lib/rpm/rpmdb.sqlite": b"not a database" * 100,
                  "var/lib/rpm/Packages": b"\x00" * 64})
    assert layer.files == ()
    assert any("rpmdb.sqlite" in n and "could not read" in n for n in layer.notes)
    assert any("other than sqlite" in n for n in layer.notes)


def test_rpm_headers_are_bounds_checked() -> None:
    good = rpm_header({1000: (6, "openssl")})
    assert header(good) == {1000: ("openssl",)}
    assert header(b"") == {}
    assert header(good[:-3]) == {}                                  # data cut short
    assert header(b"\x00\x01\x00\x00" + bytes(4)) == {}             # 65536 entries claimed
    assert header(b"\x00\x00\x00\x01\xff\xff\xff\xff") == {}         # 4 GiB of data claimed
    bad_offset = bytearray(good)
    bad_offset[16:20] = (10_000).to_bytes(4, "big")                 # offset past the data
    assert header(bytes(bad_offset)) == {}
    many = bytearray(rpm_header({1117: (8, ["a", "b"])}))
    many[20:24] = (1 << 30).to_bytes(4, "big")                      # a billion strings
    assert header(bytes(many)) == {}
    ints = bytearray(rpm_header({1116: (4, [0, 1])}))
    ints[20:24] = (3).to_bytes(4, "big")                             # three ints in 8 bytes
    assert header(bytes(ints)) == {}


# --- Python ---------------------------------------------------------------------------------

def test_python_dist_info_egg_info_and_licences() -> None:
    site = "usr/local/lib/python3.12/site-packages"
    inv = image({"files": {
        f"{site}/Requests-2.31.0.dist-info/METADATA":
            b"Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n"
            b"\nLicense: not a header\n",
        f"{site}/attrs-23.1.0.dist-info/METADATA":
            b"Metadata-Version: 2.4\nName: attrs\nVersion: 23.1.0\nLicense-Expression: MIT\n"
            b"License: The MIT License\n  text text\n",
        f"{site}/six-1.16.0.egg-info/PKG-INFO":
            b"Name: six\nVersion: 1.16.0\nLicense: UNKNOWN\n"
            b"Classifier: License :: OSI Approved :: MIT License\n",
        f"{site}/old.egg-info": b"Metadata-Version: 1.0\nName: old\nVersion: 0.1\n",
        f"{site}/broken.dist-info/METADATA": b"Metadata-Version: 2.1\nName: broken\n",
        f"{site}/requests/__init__.py": b"",
    }})
    found = by_name(inv.packages)
    assert set(found) == {"requests", "attrs", "six", "old"}
    assert {p.ecosystem for p in inv.packages} == {"PyPI"}
    assert {p.package_manager for p in inv.packages} == {PYTHONPKG}
    assert found["requests"].licenses == ("Apache 2.0",)
    assert found["attrs"].licenses == ("MIT",)
    assert found["six"].licenses == ("MIT License",)
    assert found["old"].path == f"{site}/old.egg-info"


# --- npm --------------------------------------------------------------------------------------

def package_json(name: str, version: str, **more: object) -> bytes:
    return json.dumps({"name": name, "version": version, **more}).encode()


def test_npm_package_roots_only() -> None:
    modules = "app/node_modules"
    inv = image({"files": {
        f"{modules}/lodash/package.json": package_json("lodash", "4.17.21", license="MIT"),
        f"{modules}/@babel/core/package.json":
            package_json("@babel/core", "7.24.0", license={"type": "MIT"}),
        f"{modules}/old/package.json":
            package_json("old", "0.1.0", licenses=[{"type": "BSD"}, "ISC"]),
        f"{modules}/lodash/fp/package.json": package_json("lodash-fp", "0.0.0"),
        f"{modules}/@babel/core/node_modules/semver/package.json":
            package_json("semver", "6.3.1"),
        "app/package.json": package_json("my-app", "1.0.0"),
        f"{modules}/noversion/package.json": json.dumps({"name": "x"}).encode(),
    }})
    found = by_name(inv.packages)
    assert set(found) == {"lodash", "@babel/core", "old", "semver"}
    assert {(p.ecosystem, p.package_manager, p.purl_type) for p in inv.packages} == {
        ("npm", NODEPKG, "npm")}
    assert found["@babel/core"].licenses == ("MIT",)
    assert found["old"].licenses == ("BSD", "ISC")


def test_a_malformed_package_json_is_noted_not_fatal() -> None:
    layer = read({**DEBIAN, "a/node_modules/x/package.json": b"{not json"})
    assert any("could not read a/node_modules/x/package.json" in n for n in layer.notes)
    assert len(squash([layer]).packages) == 5


# --- Go -----------------------------------------------------------------------------------------

def test_go_binaries_report_the_toolchain_the_main_module_and_dependencies() -> None:
    inv = image({"files": {"usr/local/bin/app": go_binary("go1.22.4", MODINFO)},
                 "executables": ["usr/local/bin/app"]})
    assert names(inv) == {("stdlib", "1.22.4"), ("example.com/app", "v1.2.3"),
                          ("golang.org/x/net", "v0.17.0"), ("github.com/new/lib", "v1.1.0")}
    assert {(p.ecosystem, p.package_manager, p.purl_type) for p in inv.packages} == {
        ("Go", GOBINARY, "golang")}


def test_go_devel_main_module_is_skipped_and_non_executables_are_not_read() -> None:
    modinfo = "path\tx/cmd\nmod\tx\t(devel)\t\ndep\tgolang.org/x/sys\tv0.1.0\th1:a=\n"
    inv = image({"files": {"bin/x": go_binary("go1.21.0 X:boringcrypto", modinfo),
                           "data/not-executable": go_binary("go1.21.0", modinfo)},
                 "executables": ["bin/x"]})
    assert names(inv) == {("stdlib", "1.21.0"), ("golang.org/x/sys", "v0.1.0")}


@pytest.mark.parametrize(("go", "stdlib"), [
    ("go1.22.4", "1.22.4"), ("go1.20", "1.20.0"), ("go1.21rc2", "1.21.0-rc.2"),
    ("go1.23.1 X:nocoverageredesign", "1.23.1"), ("devel go1.23-abc123", None),
    ("go1.22-20231128-RC02 cl/586117301", None)])
def test_go_toolchain_versions(go: str, stdlib: str | None) -> None:
    assert stdlib_version(go) == stdlib


def test_go_magic_must_be_aligned_and_valid() -> None:
    fake = b"\xff Go buildinf:" + bytes([8, 2]) + bytes(16) + b"\x05notgo"   # not "go…"
    unaligned = b"\x00" + buildinfo("go1.9.9", "")
    data = go_binary("go1.22.4", MODINFO, before=fake + bytes(-len(fake) % 16) + unaligned)
    assert data.index(fake) % 16 == 0
    found = find_buildinfo(io.BytesIO(data))
    assert found is not None and found[0] == "go1.22.4" and found[1].startswith("path\t")


def test_go_magic_across_chunk_boundaries() -> None:
    for prefix in ((1 << 20) - 20, (1 << 20) - 4, (2 << 20) + 8):
        data = go_binary("go1.22.4", MODINFO, prefix=prefix)
        found = find_buildinfo(io.BytesIO(data))
        assert found is not None and found[0] == "go1.22.4", prefix


def test_old_go_binaries_and_plain_executables() -> None:
    old = b"\x7fELF" + bytes(12) + b"\xff Go buildinf:" + bytes([8, 0]) + bytes(4096)
    layer = read({"bin/old": old, "bin/script": b"#!/bin/sh\n" + b"echo hi\n" * 20,
                  "bin/c": b"\x7fELF" + bytes(70_000)},
                 executables=["bin/old", "bin/script", "bin/c"])
    assert layer.files == ()
    assert any("bin/old" in n and "before Go 1.18" in n for n in layer.notes)
    assert set(layer.replaced) == {"bin/old", "bin/script", "bin/c"}


@pytest.mark.parametrize("program", ["skopeo", "podman", "terraform", "docker"])
def test_a_real_go_binary_when_the_machine_has_one(program: str) -> None:
    path = shutil.which(program)
    if path is None:
        pytest.skip(f"no {program} here")
    with open(path, "rb") as binary:
        found = find_buildinfo(binary)
    assert found is not None and found[0].startswith("go1.")


# --- Java ---------------------------------------------------------------------------------------

def test_jars_and_one_level_of_nested_jars() -> None:
    inner = jar({**pom("com.fasterxml.jackson.core", "jackson-databind", "2.15.2"),
                 "lib/deeper.jar": jar(pom("deep", "deeper", "1.0"))})
    war = jar({**pom("com.example", "shop", "1.0.0"), "WEB-INF/lib/jackson.jar": inner,
               "WEB-INF/lib/broken.jar": b"not a zip"})
    layer = read({"opt/app/shop.war": war,
                  "opt/lib/log4j-core.jar": jar(pom("org.apache.logging.log4j", "log4j-core",
                                                    "2.14.1")),
                  "opt/lib/empty.jar": jar({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n"})})
    inv = squash([layer])
    assert names(inv) == {("com.example:shop", "1.0.0"),
                          ("com.fasterxml.jackson.core:jackson-databind", "2.15.2"),
                          ("org.apache.logging.log4j:log4j-core", "2.14.1")}
    assert {(p.ecosystem, p.package_manager, p.purl_type) for p in inv.packages} == {
        ("Maven", JAR, "maven")}
    assert by_name(inv.packages)["com.fasterxml.jackson.core:jackson-databind"].path == \
        "opt/app/shop.war"
    assert any("broken.jar" in n for n in layer.notes)


def test_nested_jars_over_the_cap_are_noted() -> None:
    big = jar({**pom("big", "big", "1"), "filler.bin": random.Random(0).randbytes(1 << 20)})
    layer = read({"app.war": jar({"WEB-INF/lib/big.jar": big})},
                 limits=Limits(max_archive_member=64 << 10))
    assert layer.files == ()
    assert any("big.jar" in n and "cap" in n for n in layer.notes)
