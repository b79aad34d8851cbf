"""Layers applied in order: whiteouts, opaque directories, replacement, attribution,
the OS from another layer, and packages owned by OS packages."""

from __future__ import annotations

import json

from berth.scan.inventory import squash

from .builders import DEBIAN, OS_RELEASE, STATUS, go_binary, image, names, read

SITE = "usr/lib/python3/dist-packages"
MODINFO = "mod\texample.com/app\tv1.0.0\t\n"


def metadata(name: str, version: str) -> bytes:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()


def package_json(name: str, version: str) -> bytes:
    return json.dumps({"name": name, "version": version}).encode()


def test_whiteouts_hide_lower_files_and_directories() -> None:
    inv = image(
        {"files": {f"{SITE}/a-1.dist-info/METADATA": metadata("a", "1"),
                   f"{SITE}/b-1.dist-info/METADATA": metadata("b", "1"),
                   "srv/node_modules/c/package.json": package_json("c", "1.0.0")}},
        {"files": {}, "whiteouts": [f"{SITE}/a-1.dist-info",                  # a directory
                                    "srv/node_modules/c/package.json"]})      # a file
    assert names(inv) == {("b", "1")}


def test_a_whiteout_hides_nothing_of_its_own_layer() -> None:
    inv = image({"files": {f"{SITE}/a-1.dist-info/METADATA": metadata("a", "1")}},
                {"files": {f"{SITE}/a-1.dist-info/METADATA": metadata("a", "2")},
                 "whiteouts": [f"{SITE}/a-1.dist-info"]})
    assert names(inv) == {("a", "2")}


def test_opaque_directories_hide_lower_children_only() -> None:
    inv = image(
        {"files": {"app/node_modules/left/package.json": package_json("left", "1.0.0"),
                   "other/node_modules/keep/package.json": package_json("keep", "1.0.0")}},
        {"files": {"app/node_modules/right/package.json": package_json("right", "2.0.0")},
         "opaque_dirs": ["app/node_modules"]})
    assert names(inv) == {("right", "2.0.0"), ("keep", "1.0.0")}


def test_an_opaque_root_hides_every_lower_file() -> None:
    inv = image({"files": DEBIAN}, {"files": {"etc/os-release": OS_RELEASE},
                                    "opaque_dirs": [""]})
    assert inv.packages == () and inv.os is not None


def test_upper_entries_replace_lower_files() -> None:
    inv = image(
        {"files": {**DEBIAN, "usr/local/bin/app": go_binary(modinfo=MODINFO),
                   "usr/local/bin/tool": go_binary(modinfo=MODINFO),
                   f"{SITE}/x.egg-info": metadata("x", "1"),
                   "app/node_modules/n/package.json": package_json("n", "1.0.0")},
         "executables": ["usr/local/bin/app", "usr/local/bin/tool"]},
        {"files": {"usr/local/bin/app": b"#!/bin/sh\n" * 20},        # not Go any more
         "executables": ["usr/local/bin/app"],
         "symlinks": {"var/lib/dpkg/status": "/dev/null",              # a symlink
                      "app/node_modules": "/elsewhere"},               # … over a directory
         "directories": [f"{SITE}/x.egg-info"]})                       # a dir over a file
    assert names(inv) == {("stdlib", "1.22.4"), ("example.com/app", "v1.0.0")}
    assert {p.path for p in inv.packages} == {"usr/local/bin/tool"}


def test_each_package_names_the_layer_that_last_wrote_its_file() -> None:
    lower = read(DEBIAN, digest="sha256:lower")
    upper = read({"var/lib/dpkg/status": STATUS.split(b"\n\n")[0] + b"\n",
                  f"{SITE}/a-1.dist-info/METADATA": metadata("a", "1")},
                 digest="sha256:upper")
    inv = squash([lower, upper])
    assert {(p.name, p.layer) for p in inv.packages} == {("bash", "sha256:upper"),
                                                         ("a", "sha256:upper")}
    reversed_order = squash([upper, lower])
    assert {p.layer for p in reversed_order.packages if p.name == "bash"} == {"sha256:lower"}


def test_the_os_may_come_from_another_layer_than_the_packages() -> None:
    inv = image({"files": {"var/lib/dpkg/status": STATUS}},
                {"files": {"etc/os-release": OS_RELEASE}})
    assert {p.ecosystem for p in inv.packages} == {"Debian:12"}
    assert inv.notes == ()


def test_language_packages_owned_by_dpkg_are_dropped() -> None:
    meta = f"{SITE}/requests-2.28.1.egg-info/PKG-INFO"
    inv = image({"files": {
        **DEBIAN, meta: metadata("requests", "2.28.1"),
        f"{SITE}/mine-1.dist-info/METADATA": metadata("mine", "1"),
        "usr/bin/go-tool": go_binary(modinfo=MODINFO),
        "usr/local/bin/own": go_binary(modinfo=MODINFO),
        "var/lib/dpkg/info/python3-requests.list":
            f"/.\n/{SITE}\n/{SITE}/requests-2.28.1.egg-info\n/{meta}\n".encode(),
        "var/lib/dpkg/info/go-tool.list": b"/bin/go-tool\n/usr/share/doc/go-tool\n",
        "var/lib/dpkg/info/bash.list": b"/bin/bash\n/usr/share/doc/bash\n"},
        "executables": ["usr/bin/go-tool", "usr/local/bin/own"]})
    assert ("requests", "2.28.1") not in names(inv)
    assert ("mine", "1") in names(inv)
    # dpkg's /bin/go-tool is usr/bin/go-tool on a usr-merged system
    assert {p.path for p in inv.packages if p.ecosystem == "Go"} == {"usr/local/bin/own"}


def test_ownership_ends_when_the_list_is_whited_out() -> None:
    meta = f"{SITE}/requests-2.28.1.dist-info/METADATA"
    inv = image({"files": {meta: metadata("requests", "2.28.1"),
                           "var/lib/dpkg/info/python3-requests.list": f"/{meta}\n".encode()}},
                {"files": {}, "whiteouts": ["var/lib/dpkg/info/python3-requests.list"]})
    assert names(inv) == {("requests", "2.28.1")}


def test_a_layer_read_keeps_only_the_owned_paths_that_matter() -> None:
    layer = read({"usr/bin/go-tool": go_binary(modinfo=MODINFO),
                  "var/lib/dpkg/info/a.list": b"/usr/bin/go-tool\n/usr/bin/other\n"
                                              b"/usr/lib/node_modules/x/package.json\n",
                  "var/lib/dpkg/info/b.list": b"/usr/share/doc/b\n"},
                 executables=["usr/bin/go-tool"])
    owners = {f.path: f.owns for f in layer.files if f.kind == "dpkg-files"}
    assert owners == {"var/lib/dpkg/info/a.list": ("usr/bin/go-tool",
                                                   "usr/lib/node_modules/x/package.json")}
    assert "var/lib/dpkg/info/b.list" in layer.replaced
