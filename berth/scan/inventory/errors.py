"""What the inventory refuses."""


class InventoryError(ValueError):
    """A layer stream that is not a readable tar archive (after decompression), a tar
    header too large to read safely, or a cached LayerInventory of another version."""
