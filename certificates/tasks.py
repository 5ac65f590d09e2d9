"""Celery tasks of the certificates app. Thin: they take ids and call the services."""

from __future__ import annotations
