"""Inputs for the inventory tests: layers, Go and Rust binaries, jars, rpm databases."""

from __future__ import annotations

import io
import json
import random
import sqlite3
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

from berth.scan.inventory import DEFAULT_LIMITS, LayerInventory, Limits, read_layer, squash
from berth.scan.model import Inventory
from berth.testing.debian_rootfs import digest_of, media_type, synthetic_layer

OS_RELEASE = b'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'
STATUS = b"""Package: bash
Status: install ok installed
Architecture: amd64
Source: bash (5.2.15-2)
Version: 5.2.15-2+b13
Description: GNU Bourne Again SHell
 Bash is an sh-compatible command language interpreter.
 .
 More text.

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1

Package: gone
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: half
Status: install ok half-configured
Version: 1.0

Package: libfoo
Status: hold ok installed
Architecture: amd64
Source: foo (2.0-1)
Version: 1:2.0-1+b1

Package: libbar
Status: install ok installed
Architecture: all
Source: bar (3:1.0-2)
Version: 2:1.0-2+b1

Package: base-files
Status: install ok installed
Architecture: amd64
Version: 12.4+deb12u5
"""
DEBIAN = {"etc/os-release": OS_RELEASE, "var/lib/dpkg/status": STATUS}


def layer_bytes(files: dict[str, bytes] | None = None, *, compression: str = "none",
                **kwargs: Any) -> bytes:
    return synthetic_layer(files, compression=compression, **kwargs)


def read(files: dict[str, bytes] | None = None, *, digest: str | None = None,
         compression: str = "none", limits: Limits = DEFAULT_LIMITS,
         **kwargs: Any) -> LayerInventory:
    """read_layer() of a synthetic layer (see ``synthetic_layer`` for ``kwargs``)."""
    data = layer_bytes(files, compression=compression, **kwargs)
    return read_layer(digest or digest_of(data), media_type(compression), io.BytesIO(data),
                      limits)


def image(*layers: dict[str, Any]) -> Inventory:
    """squash() of layers, each given as read()'s keyword arguments."""
    return squash([read(**spec) for spec in layers])


def names(inventory: Inventory) -> set[tuple[str, str]]:
    return {(p.name, p.version) for p in inventory.packages}


def _uvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def buildinfo(version: str, modinfo: str, *, flags: int = 2, pointer_size: int = 8) -> bytes:
    """A Go ≥1.18 build information block (32-byte header, inline strings)."""
    sentinel = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
    info = sentinel + modinfo.encode() + b"\n" + bytes.fromhex(
        "f932433186182072008242104116d8f2")
    header = b"\xff Go buildinf:" + bytes([pointer_size, flags]) + bytes(16)
    return (header + _uvarint(len(version)) + version.encode()
            + _uvarint(len(info)) + info)


def go_binary(version: str = "go1.22.4", modinfo: str = "", *, prefix: int = 3 << 19,
              before: bytes = b"") -> bytes:
    """An ELF file: ``\\x7fELF``, about ``prefix`` bytes, ``before`` (16-byte aligned),
    padding to a 16-byte boundary, then a build information block."""
    head = b"\x7fELF" + bytes(prefix)
    head += bytes(-len(head) % 16) + before
    head += bytes(-len(head) % 16)
    return head + buildinfo(version, modinfo) + bytes(4096)


MODINFO = ("path\texample.com/app/cmd/app\n"
           "mod\texample.com/app\tv1.2.3\th1:x=\n"
           "dep\tgolang.org/x/net\tv0.17.0\th1:y=\n"
           "dep\tgithub.com/old/lib\tv1.0.0\th1:z=\n"
           "=>\tgithub.com/new/lib\tv1.1.0\th1:w=\n"
           "dep\texample.com/local\tv0.0.0\n"
           "=>\t../local\t\n"
           "build\t-compiler=gc\n")


CRATES = {"packages": [
    {"name": "app", "version": "0.1.0", "source": "local", "root": True,
     "dependencies": [1, 2, 3, 4]},
    {"name": "smallvec", "version": "1.6.0", "source": "crates.io"},
    {"name": "time", "version": "0.1.43", "source": "crates.io", "dependencies": [3]},
    {"name": "libc", "version": "0.2.150", "source": "crates.io"},
    {"name": "cc", "version": "1.0.83", "source": "crates.io", "kind": "build"},
    {"name": "forked", "version": "0.3.0", "source": "git"},
    {"name": "libc", "version": "0.2.150", "source": "crates.io"},
]}


def audit_section(document: object = CRATES, level: int = 7) -> bytes:
    """What cargo-auditable puts in ``.dep-v0``: compact JSON, zlib-compressed."""
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode(), level)


def rust_binary(section: bytes | None = None, *, prefix: int = 3 << 19, seed: int = 7
                ) -> bytes:
    """An ELF file: ``\x7fELF``, ``prefix`` bytes of noise full of zlib header pairs
    (``\x78\x9c`` and friends, as in real code and data), the section, more noise."""
    noise = random.Random(seed)

    def junk(size: int) -> bytes:
        raw = bytearray(noise.randbytes(size))
        for at in range(0, size - 1, 997):
            raw[at:at + 2] = noise.choice([b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda"])
        return bytes(raw)

    return (b"\x7fELF" + junk(prefix)
            + (audit_section() if section is None else section) + junk(5000))


def jar(entries: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return raw.getvalue()


def pom(group: str, artifact: str, version: str) -> dict[str, bytes]:
    return {f"META-INF/maven/{group}/{artifact}/pom.properties":
            f"#Generated by Maven\ngroupId={group}\nartifactId={artifact}\n"
            f"version={version}\n".encode()}


# rpm header tag types
INT32, STRING, STRING_ARRAY = 4, 6, 8


def rpm_header(tags: dict[int, tuple[int, Any]]) -> bytes:
    """A header blob: {tag: (type, value)}; value an int, a str or a list of either."""
    index, store = b"", b""
    for tag, (kind, value) in sorted(tags.items()):
        items = value if isinstance(value, list) else [value]
        if kind == INT32:
            store += bytes(-len(store) % 4)
            data = b"".join(struct.pack(">i", v) for v in items)
        else:
            data = b"".join(str(v).encode() + b"\0" for v in items)
        index += struct.pack(">IIiI", tag, kind, len(store), len(items))
        store += data
    return struct.pack(">II", len(tags), len(store)) + index + store


def rpm_package(name: str, version: str, release: str, *, epoch: int | None = None,
                source: str | None = None, files: list[str] | None = None) -> bytes:
    tags: dict[int, tuple[int, Any]] = {
        1000: (STRING, name), 1001: (STRING, version), 1002: (STRING, release),
        1022: (STRING, "x86_64"), 1014: (STRING, "OpenSSL")}
    if epoch is not None:
        tags[1003] = (INT32, epoch)
    if source:
        tags[1044] = (STRING, source)
    if files:
        dirs = sorted({f.rpartition("/")[0] + "/" for f in files})
        tags[1116] = (INT32, [dirs.index(f.rpartition("/")[0] + "/") for f in files])
        tags[1117] = (STRING_ARRAY, [f.rpartition("/")[2] for f in files])
        tags[1118] = (STRING_ARRAY, dirs)
    return rpm_header(tags)


def rpmdb(*blobs: bytes) -> bytes:
    """An rpmdb.sqlite file holding the header blobs, as rpm ≥ 4.16 writes it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rpmdb.sqlite"
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, "
                   "blob BLOB NOT NULL)")
        db.executemany("INSERT INTO Packages (blob) VALUES (?)", [(b,) for b in blobs])
        db.commit()
        db.close()
        return path.read_bytes()
