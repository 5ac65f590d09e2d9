"""Signal receivers of the courses app: each service module connects its own."""

from __future__ import annotations


def connect() -> None:
    from .services import assignments, completion, ledger, progress, reminders

    for module in (assignments, completion, ledger, progress, reminders):
        module.connect_receivers()
