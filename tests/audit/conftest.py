from __future__ import annotations

import contextlib

import pytest
from django.db import connection


@contextlib.contextmanager
def tampering():
    """Run raw SQL against audit rows as an intruder with database access would: on
    PostgreSQL the append-only trigger is switched off for the block (superuser only)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            with connection.cursor() as cursor:
                yield cursor
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")
    else:
        with connection.cursor() as cursor:
            yield cursor


@pytest.fixture
def tamper():
    return tampering
