"""completion."""

from __future__ import annotations


def connect_receivers() -> None:
    """Connect this module's signal receivers (called once from ``CoursesConfig.ready``)."""
