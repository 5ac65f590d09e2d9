"""Signal receivers of the talks app, connected once from ``TalksConfig.ready``."""

from __future__ import annotations


def connect() -> None:
    """Connect every receiver of the app (each module keeps its own ``connect_receivers``)."""
    from .services import programme

    programme.connect_receivers()
