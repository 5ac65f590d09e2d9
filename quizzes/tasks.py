"""Celery tasks of the quiz engine. Thin: they call ``quizzes.services``."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task
def attempt_submit_expired() -> int:
    """Periodic (beat, every minute): submit every open attempt past its deadline plus
    the grace period. Safe to run twice (each attempt is claimed with a conditional
    UPDATE). Returns how many this run submitted."""
    return services.attempt_submit_expired()
