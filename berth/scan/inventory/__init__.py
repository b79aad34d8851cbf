"""What an image contains, read from its layers.

    read_layer(digest, media_type, fileobj) -> LayerInventory   one layer, cacheable
    squash(layers) -> Inventory                                 the image, whiteouts applied
    inventory_of([(digest, media_type, fileobj), ...]) -> Inventory
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from berth.scan.inventory.errors import InventoryError
from berth.scan.inventory.layers import INVENTORY_VERSION, LayerInventory, read_layer
from berth.scan.inventory.squash import squash
from berth.scan.model import Inventory


def inventory_of(layers: Iterable[tuple[str, str, IO[bytes]]]) -> Inventory:
    return squash([read_layer(d, m, f) for d, m, f in layers])


__all__ = ["INVENTORY_VERSION", "InventoryError", "LayerInventory", "inventory_of",
           "read_layer", "squash"]
