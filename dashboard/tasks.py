"""Celery finds tasks in ``<app>.tasks``: the dashboard's live in two modules."""

from .tasks_digest import *  # noqa: F403
from .tasks_exports import *  # noqa: F403
