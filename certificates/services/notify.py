"""Telling the holder that a certificate is ready (notification + e-mail, once)."""

from __future__ import annotations

from typing import Any


def certificate_notify_holder(*, certificate: Any) -> bool:
    """Send the holder a notification and an e-mail with the link, once per certificate.
    Returns whether this call sent it. (Stub until filled.)"""
    return False
