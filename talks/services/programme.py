"""(being written)"""

from __future__ import annotations


def connect_receivers() -> None:
    """Connect this module's signal receivers (called once from the app's ``ready``)."""
