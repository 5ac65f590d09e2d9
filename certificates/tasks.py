"""Celery tasks of the certificates app. Thin: they take ids and call the services."""

from __future__ import annotations

from .tasks_batches import *  # noqa: F403  (the batch task lives there; Celery finds it here)
