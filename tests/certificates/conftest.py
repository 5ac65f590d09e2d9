"""Shared fixtures for the certificates tests (small on purpose).

``course_achievement(key=..., **fields)``: an ``Achievement`` of a course (2 hours,
achieved 2026-03-02), fields overridable. ``cert_files()``: the names of the certificate
PDFs on the private storage (``certificates/…``); the storage is emptied of them after
each test that uses it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from certificates.achievements import Achievement, AchievementKind
from certificates.models import Certificate


@pytest.fixture
def course_achievement():
    def make(key: str = "course:101", **fields) -> Achievement:
        values = {
            "kind": AchievementKind.COURSE,
            "key": key,
            "title": "纪律处分条例学习",
            "title_en": "Study of the Disciplinary Regulations",
            "achieved_on": datetime.date(2026, 3, 2),
            "hours": Decimal("2.0"),
            "source_id": int(key.rsplit(":", 1)[-1]) if key[-1].isdigit() else None,
        }
        values.update(fields)
        return Achievement(**values)

    return make


def _certificate_storage():
    return Certificate._meta.get_field("file").storage


@pytest.fixture
def cert_files():
    storage = _certificate_storage()

    def names() -> list[str]:
        if not storage.exists("certificates"):
            return []
        _dirs, files = storage.listdir("certificates")
        return sorted(f"certificates/{name}" for name in files)

    for name in names():
        storage.delete(name)
    yield names
    for name in names():
        storage.delete(name)
