"""The caps that keep reading a hostile layer bounded in memory, disk and time."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Every cap on reading one layer. Hitting a cap is noted in the layer's notes (the
    layer's inventory is then partial), except ``max_header`` and ``max_zstd_window``,
    whose breach means the stream cannot be read safely (InventoryError)."""

    max_layer_bytes: int = 64 << 30       # decompressed bytes read from one layer
    max_entries: int = 1_000_000          # tar entries read from one layer
    max_text_file: int = 64 << 20         # os-release, dpkg status, METADATA, package.json…
    max_rpmdb: int = 512 << 20            # rpmdb.sqlite, spooled to a temporary file
    max_executable: int = 512 << 20       # ELF files searched for Go build information
    max_archive: int = 256 << 20          # a jar/war/ear, spooled
    max_archive_member: int = 64 << 20    # a nested jar inside one (read one level deep)
    max_nested_archives: int = 1_000      # nested jars read per archive
    max_header: int = 1 << 20             # a pax or GNU long-name header
    max_zstd_window: int = 1 << 25        # zstd window: memory the decompressor may take
    max_notes: int = 100                  # notes kept per layer; then one "…more" note
    max_replaced: int = 100_000           # replaced paths recorded per layer


DEFAULT_LIMITS = Limits()
