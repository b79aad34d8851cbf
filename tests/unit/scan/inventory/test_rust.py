"""Rust executables: the crate list cargo-auditable links into ``.dep-v0``."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from berth.scan.inventory import rustaudit
from berth.scan.inventory.executable import read_executable
from berth.scan.inventory.limits import DEFAULT_LIMITS
from berth.scan.inventory.rustaudit import AuditScanner
from berth.scan.model import CARGO
from berth.scan.sbom import package_url

from .builders import CRATES, DEBIAN, MODINFO, audit_section, go_binary, image, names, rust_binary

LINKED = {("smallvec", "1.6.0"), ("time", "0.1.43"), ("libc", "0.2.150")}


def scan(data: bytes, chunk: int = 1 << 20) -> AuditScanner:
    scanner = AuditScanner()
    for at in range(0, len(data), chunk):
        scanner.feed(data[at:at + chunk])
    return scanner


def crates_of(data: bytes, chunk: int = 1 << 20) -> set[tuple[str, str]] | None:
    found = scan(data, chunk).packages()
    return None if found is None else {(p.name, p.version) for p in found}


def test_linked_crates_io_crates_only() -> None:
    # build dependencies run at build time only; git and path crates have no advisories
    # to match by name; a crate listed twice is reported once
    assert crates_of(rust_binary()) == LINKED


def test_a_crates_io_root_is_reported() -> None:
    doc = {"packages": [{"name": "ripgrep", "version": "14.1.0", "source": "crates.io",
                         "root": True}]}
    assert crates_of(rust_binary(audit_section(doc))) == {("ripgrep", "14.1.0")}


@pytest.mark.parametrize("level", [2, 6, 7, 9])
def test_every_zlib_level(level: int) -> None:
    assert crates_of(rust_binary(audit_section(level=level))) == LINKED


@pytest.mark.parametrize("chunk", [1, 7, 511, 512, 513, 4096, 65536])
def test_the_section_across_chunk_boundaries(chunk: int) -> None:
    data = rust_binary(prefix=20_000)
    assert crates_of(data, chunk) == LINKED


def test_the_section_at_the_very_end_of_the_file() -> None:
    data = b"\x7fELF" + bytes(1000) + audit_section()
    assert crates_of(data, 700) == LINKED


def test_other_zlib_streams_are_not_taken_for_it() -> None:
    other = zlib.compress(json.dumps({"not": "packages"}).encode())
    assert crates_of(rust_binary(other)) is None
    # a compressed document elsewhere before the real one does not hide it
    data = rust_binary(other + audit_section())
    assert crates_of(data) == LINKED


def test_corrupt_truncated_malformed_and_oversized_lists_are_noted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    section = audit_section()
    corrupt = section[:-30] + bytes(20) + section[-10:]   # the adler32 check fails
    truncated = b"\x7fELF" + bytes(100) + section[:len(section) // 2]
    malformed = zlib.compress(b'{"packages":[{"name":1,"version":}]}')
    nested = zlib.compress(b'{"packages":' + b"[" * 100_000)
    for data, why in ((rust_binary(corrupt), "corrupt"), (truncated, "ends inside"),
                      (rust_binary(malformed), "not read"), (rust_binary(nested), "not read")):
        scanner = scan(data)
        assert scanner.packages() is None
        assert scanner.note is not None and why in scanner.note, scanner.note
    monkeypatch.setattr(rustaudit, "MAX_JSON", 100)
    scanner = scan(rust_binary())
    assert scanner.packages() is None
    assert scanner.note is not None and "past 100 bytes" in scanner.note


def test_entries_of_the_wrong_shape_are_skipped() -> None:
    doc = {"packages": [{"name": "ok", "version": "1.0.0", "source": "crates.io"},
                        {"name": "", "version": "1.0.0", "source": "crates.io"},
                        {"name": "noversion", "version": 3, "source": "crates.io"}]}
    assert crates_of(rust_binary(audit_section(doc))) == {("ok", "1.0.0")}


def test_go_binaries_still_win_and_plain_executables_give_nothing() -> None:
    notes: list[str] = []
    go = read_executable("bin/go", io.BytesIO(go_binary(modinfo=MODINFO)), 0,
                         DEFAULT_LIMITS, notes.append)
    assert go is not None and go.kind == "go"
    plain = rust_binary(b"")
    assert read_executable("bin/c", io.BytesIO(plain), len(plain), DEFAULT_LIMITS,
                           notes.append) is None
    assert notes == []


def test_in_an_image_the_crates_are_cargo_packages() -> None:
    inv = image({"files": {"usr/local/bin/tool": rust_binary()},
                 "executables": ["usr/local/bin/tool"]})
    assert names(inv) == LINKED
    assert {(p.ecosystem, p.package_manager, p.purl_type, p.path) for p in inv.packages} == {
        ("crates.io", CARGO, "cargo", "usr/local/bin/tool")}
    smallvec = next(p for p in inv.packages if p.name == "smallvec")
    assert package_url(smallvec, inv.os) == "pkg:cargo/smallvec@1.6.0"


def test_a_rust_binary_an_os_package_installed_is_left_to_the_os_advisories() -> None:
    inv = image({"files": {**DEBIAN, "usr/bin/rg": rust_binary(),
                           "usr/local/bin/mine": rust_binary(),
                           "var/lib/dpkg/info/ripgrep.list": b"/usr/bin/rg\n"},
                 "executables": ["usr/bin/rg", "usr/local/bin/mine"]})
    assert {p.path for p in inv.packages if p.ecosystem == "crates.io"} == {"usr/local/bin/mine"}


# --- real ELF files -----------------------------------------------------------------------------

def _read_file(path: Path) -> set[tuple[str, str]] | None:
    notes: list[str] = []
    with path.open("rb") as f:
        facts = read_executable(str(path), f, path.stat().st_size, DEFAULT_LIMITS, notes.append)
    assert notes == []
    return None if facts is None else {(p.name, p.version) for p in facts.packages}


def test_a_real_elf_with_the_section_added_by_objcopy(tmp_path: Path) -> None:
    objcopy, true = shutil.which("objcopy"), shutil.which("true")
    if objcopy is None or true is None:
        pytest.skip("no objcopy (binutils) here")
    (tmp_path / "dep-v0").write_bytes(audit_section())
    shutil.copy(true, tmp_path / "plain")
    subprocess.run([objcopy, "--add-section", f".dep-v0={tmp_path / 'dep-v0'}",
                    "--set-section-flags", ".dep-v0=readonly",
                    str(tmp_path / "plain"), str(tmp_path / "audited")], check=True)
    assert _read_file(tmp_path / "plain") is None
    assert _read_file(tmp_path / "audited") == LINKED


def test_a_real_rust_binary_linking_the_section_as_cargo_auditable_does(tmp_path: Path) -> None:
    rustc = shutil.which("rustc")
    if rustc is None:
        pytest.skip("no rustc here")
    # cargo-auditable adds an object file with this static; rustc places it alike
    (tmp_path / "dep-v0").write_bytes(audit_section(CRATES))
    (tmp_path / "main.rs").write_text(
        '#[used]\n#[link_section = ".dep-v0"]\n'
        f'static AUDITABLE_VERSION_INFO: [u8; {len(audit_section(CRATES))}] = '
        '*include_bytes!("dep-v0");\n'
        'fn main() { println!("hello"); }\n')
    subprocess.run([rustc, "-O", "-o", str(tmp_path / "app"), str(tmp_path / "main.rs")],
                   check=True, capture_output=True, timeout=300)
    assert subprocess.run([str(tmp_path / "app")], capture_output=True,
                          check=True).stdout == b"hello\n"
    assert _read_file(tmp_path / "app") == LINKED
