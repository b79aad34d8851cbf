"""What the inventory refuses."""


class InventoryError(ValueError):
    """A layer that is not a readable tar archive, or that breaks a cap."""
