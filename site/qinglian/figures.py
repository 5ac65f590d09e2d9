"""Number rules shared by every report (events reports, the compliance dashboard)."""

from __future__ import annotations


def rate(part: int, whole: int) -> int | None:
    """A whole percentage, halves rounded up (5 of 8 is 63 %); ``None`` for 0 of 0."""
    return (200 * part + whole) // (2 * whole) if whole else None
