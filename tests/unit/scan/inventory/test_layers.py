"""Reading a layer: compression, names and links, caps, hostile and corrupt streams, and
the cached per-layer record."""

from __future__ import annotations

import gzip
import io
import json
import tarfile

import pytest
import zstandard

from berth.scan.inventory import (
    INVENTORY_VERSION,
    InventoryError,
    LayerInventory,
    Limits,
    inventory_of,
    read_layer,
    squash,
)
from berth.scan.inventory.paths import link_target, normalise
from berth.testing.debian_rootfs import LAYER_GZIP, LAYER_TAR, compress

from .builders import DEBIAN, STATUS, go_binary, layer_bytes, read

LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def packages_of(data: bytes, media_type: str) -> int:
    return len(inventory_of([("sha256:1", media_type, io.BytesIO(data))]).packages)


@pytest.mark.parametrize(("compression", "media_type"), [
    ("none", LAYER_TAR), ("gzip", LAYER_GZIP), ("gzip", DOCKER_GZIP), ("zstd", LAYER_ZSTD),
    ("gzip", "application/octet-stream"), ("zstd", "")])
def test_gzip_zstd_and_plain_layers(compression: str, media_type: str) -> None:
    assert packages_of(layer_bytes(DEBIAN, compression=compression), media_type) == 5


def test_the_bytes_win_over_a_wrong_media_type_and_it_is_noted() -> None:
    data = layer_bytes(DEBIAN)
    layer = read_layer("sha256:1", LAYER_GZIP, io.BytesIO(data))
    assert len(squash([layer]).packages) == 5
    assert any("says gzip, the bytes are none" in note for note in layer.notes)


def test_zstd_layers_of_several_frames_and_other_compressions() -> None:
    tar = layer_bytes(DEBIAN)
    half = len(tar) // 2
    frames = zstandard.ZstdCompressor().compress(tar[:half]) + \
        zstandard.ZstdCompressor().compress(tar[half:])
    assert packages_of(frames, LAYER_ZSTD) == 5
    import bz2
    import lzma

    assert packages_of(bz2.compress(tar), "") == 5
    assert packages_of(lzma.compress(tar), "") == 5


def test_a_zstd_window_over_the_cap_is_refused() -> None:
    params = zstandard.ZstdCompressionParameters(window_log=26)
    stream = zstandard.ZstdCompressor(compression_params=params).compressobj()  # size unknown
    data = stream.compress(layer_bytes(DEBIAN)) + stream.flush()
    assert zstandard.get_frame_parameters(data).window_size == 1 << 26
    with pytest.raises(InventoryError, match="too much memory"):
        read_layer("sha256:1", LAYER_ZSTD, io.BytesIO(data), Limits(max_zstd_window=1 << 20))


@pytest.mark.parametrize(("name", "path"), [
    ("./etc/os-release", "etc/os-release"), ("/etc/os-release", "etc/os-release"),
    ("etc//./os-release", "etc/os-release"), ("usr/lib/", "usr/lib"), ("./", ""),
    ("../etc/passwd", None), ("usr/../../etc", None), ("a/b/..", None),
    ("caf\udce9/x", "caf\ufffd/x")])
def test_names_are_normalised_and_climbing_out_refused(name: str, path: str | None) -> None:
    assert normalise(name) == path


@pytest.mark.parametrize(("path", "target", "resolved"), [
    ("etc/os-release", "../usr/lib/os-release", "usr/lib/os-release"),
    ("etc/os-release", "/usr/lib/os-release", "usr/lib/os-release"),
    ("a/b", "../../../etc/shadow", None), ("a", "..", None), ("a/b", "./c", "a/c")])
def test_link_targets(path: str, target: str, resolved: str | None) -> None:
    assert link_target(path, target) == resolved


def test_paths_that_climb_out_are_refused_and_noted() -> None:
    layer = read({"../../etc/os-release": b"ID=evil\n", "./var/lib/dpkg/status": STATUS,
                  "/etc/os-release": b"ID=debian\nVERSION_ID=12\n"})
    assert [f.path for f in layer.files] == ["etc/os-release", "var/lib/dpkg/status"]
    assert any("'../../etc/os-release'" in n and "climbs out" in n for n in layer.notes)


def test_symlinks_are_never_followed_and_escapes_are_noted() -> None:
    layer = read({}, symlinks={"var/lib/dpkg/status": "/etc/shadow",
                               "usr/lib/os-release": "../../../../host/os-release",
                               "etc/localtime": "/usr/share/zoneinfo/UTC"})
    assert layer.files == ()
    assert set(layer.replaced) == {"var/lib/dpkg/status", "usr/lib/os-release",
                                   "etc/localtime"}
    assert any("var/lib/dpkg/status -> /etc/shadow not followed" in n for n in layer.notes)
    assert any("usr/lib/os-release" in n and "out of the image" in n for n in layer.notes)
    assert not any("localtime" in n for n in layer.notes)


def test_hard_links_to_files_read_in_the_same_layer() -> None:
    binary = go_binary("go1.22.4", "mod\tex.com/a\tv1.0.0\t\n")
    layer = read({"usr/bin/a": binary}, executables=["usr/bin/a"],
                 hardlinks={"usr/bin/b": "usr/bin/a", "./usr/bin/c": "./usr/bin/unread",
                            "usr/bin/d": "../../x"})
    assert [f.path for f in layer.files] == ["usr/bin/a", "usr/bin/b"]
    assert layer.files[0].packages == layer.files[1].packages
    assert {"usr/bin/c", "usr/bin/d"} <= set(layer.replaced)
    assert any("usr/bin/d" in n and "refused" in n for n in layer.notes)


def test_a_file_over_its_cap_is_skipped_and_noted() -> None:
    huge = b"Package: x\nStatus: install ok installed\nVersion: 1\n\n" * 4000
    layer = read({"etc/os-release": b"ID=debian\nVERSION_ID=12\n",
                  "var/lib/dpkg/status": huge}, limits=Limits(max_text_file=64 << 10))
    assert [f.path for f in layer.files] == ["etc/os-release"]
    assert "var/lib/dpkg/status" in layer.replaced
    assert any("skipped var/lib/dpkg/status" in n and "cap" in n for n in layer.notes)


def test_a_decompression_bomb_stops_at_the_cap_with_a_note() -> None:
    bomb = layer_bytes({**DEBIAN, "zeros": bytes(8 << 20)}, compression="gzip")
    assert len(bomb) < 64 << 10
    layer = read_layer("sha256:1", LAYER_GZIP, io.BytesIO(bomb),
                       Limits(max_layer_bytes=1 << 20))
    assert any("stopped reading" in n and "partial" in n for n in layer.notes)
    assert len(squash([layer]).packages) == 5   # what came before the cap is kept


def test_a_tar_of_many_entries_stops_at_the_entry_cap() -> None:
    files = {f"f/{i}": b"" for i in range(3000)}
    layer = read({**DEBIAN, **files}, limits=Limits(max_entries=1000))
    assert any("stopped after 1000 entries" in n for n in layer.notes)
    assert len(squash([layer]).packages) == 5


def test_notes_are_capped() -> None:
    layer = read({f"../{i}": b"" for i in range(10)}, limits=Limits(max_notes=3))
    assert len(layer.notes) == 4 and layer.notes[-1] == "… and 7 more notes"


def test_an_oversized_pax_header_is_refused() -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("x")
        info.pax_headers = {"comment": "a" * (2 << 20)}
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(InventoryError, match="extended header"):
        read_layer("sha256:1", LAYER_TAR, io.BytesIO(raw.getvalue()))


@pytest.mark.parametrize("data", [
    b"", b"garbage" * 200, b"\x1f\x8b not really gzip" * 100,
    compress(b"not a tar at all" * 100, "gzip"),
    layer_bytes(DEBIAN, compression="gzip")[:-200],          # truncated gzip
    layer_bytes({"var/lib/dpkg/status": STATUS * 50})[:2000],  # a tar cut inside a file
])
def test_corrupt_streams_raise_inventory_error(data: bytes) -> None:
    with pytest.raises(InventoryError):
        read_layer("sha256:1", LAYER_GZIP, io.BytesIO(data))


def test_an_unreadable_source_raises_inventory_error() -> None:
    class Failing(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: object) -> int:
            raise OSError("disk on fire")

    with pytest.raises(InventoryError, match="disk on fire"):
        read_layer("sha256:1", LAYER_GZIP, Failing())  # type: ignore[arg-type]


def test_layer_inventories_round_trip_through_json() -> None:
    layer = read({**DEBIAN, "usr/bin/app": go_binary(modinfo="mod\tex.com/a\tv1.0.0\t\n"),
                  "../bad": b"", "var/lib/dpkg/info/bash.list": b"/usr/bin/app\n"},
                 executables=["usr/bin/app"], whiteouts=["opt/old"], opaque_dirs=["srv"],
                 symlinks={"bin": "usr/bin"}, directories=["x.egg-info"])
    doc = json.loads(json.dumps(layer.to_json()))
    assert doc["v"] == INVENTORY_VERSION
    again = LayerInventory.from_json(doc)
    assert again == layer
    assert (again.whiteouts, again.opaque_dirs, again.directories) == (
        ("opt/old",), ("srv",), ("x.egg-info",))
    assert squash([again]) == squash([layer])


def test_a_cached_record_of_another_version_is_refused() -> None:
    doc = read(DEBIAN).to_json()
    with pytest.raises(InventoryError, match="another version"):
        LayerInventory.from_json({**doc, "v": INVENTORY_VERSION + 1})
    with pytest.raises(InventoryError):
        LayerInventory.from_json({"v": INVENTORY_VERSION})


def test_gzip_file_objects_without_peek_and_read_in_pieces() -> None:
    class Dribble(io.RawIOBase):
        """Returns at most 3 bytes a read, as a slow socket would."""

        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            chunk = self.data.read(min(3, len(buffer)))
            buffer[:len(chunk)] = chunk
            return len(chunk)

    data = gzip.compress(layer_bytes(DEBIAN), mtime=0)
    layer = read_layer("sha256:1", LAYER_GZIP, Dribble(data))  # type: ignore[arg-type]
    assert len(squash([layer]).packages) == 5
