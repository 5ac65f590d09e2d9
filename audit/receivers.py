"""Signal receivers of the audit app (logins, failed logins, logouts)."""

from __future__ import annotations


def connect() -> None:
    """Connect the receivers (called once from ``AuditConfig.ready``)."""
