"""Signal receivers of the events app, connected once from ``EventsConfig.ready``."""

from __future__ import annotations


def connect() -> None:
    """Connect every receiver of the app (each module keeps its own ``connect_receivers``)."""
    from .services import attendance, completion, leave, registration, reminders

    for module in (attendance, completion, leave, registration, reminders):
        module.connect_receivers()
