"""What an image contains, read from its layers. Pure: stdlib and ``zstandard`` only.

    read_layer(digest, media_type, fileobj, limits=DEFAULT_LIMITS) -> LayerInventory
        one layer, read once as a stream; cache it by (digest, INVENTORY_VERSION)
        with to_json() / LayerInventory.from_json()
    squash(layer_inventories) -> Inventory     bottom layer first; whiteouts applied
    inventory_of([(digest, media_type, fileobj), ...]) -> Inventory    both at once

Modules: ``streams`` (decompression, caps), ``paths`` (which files are read), ``layers``
(the tar walk), ``records`` (the cacheable per-layer result), ``squash``; detectors
``osrelease``, ``dpkg``, ``apk``, ``rpmdb``, ``python``, ``npm``, ``gobinary``, ``java``,
dispatched by ``detectors``; ``ownership`` (files OS packages installed).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from berth.scan.inventory.errors import InventoryError
from berth.scan.inventory.layers import read_layer
from berth.scan.inventory.limits import DEFAULT_LIMITS, Limits
from berth.scan.inventory.records import INVENTORY_VERSION, FileFacts, LayerInventory, RawPackage
from berth.scan.inventory.squash import squash
from berth.scan.model import Inventory


def inventory_of(layers: Iterable[tuple[str, str, IO[bytes]]],
                 limits: Limits = DEFAULT_LIMITS) -> Inventory:
    """The inventory of an image whose layers (digest, media type, open file; bottom
    first) are all read now. InventoryError as ``read_layer``."""
    return squash([read_layer(digest, media_type, fileobj, limits)
                   for digest, media_type, fileobj in layers])


__all__ = ["DEFAULT_LIMITS", "INVENTORY_VERSION", "FileFacts", "InventoryError",
           "LayerInventory", "Limits", "RawPackage", "inventory_of", "read_layer", "squash"]
