"""assignments reads."""

from __future__ import annotations
