"""Celery task that builds a ZIP batch of certificates (imported by ``tasks``)."""

from __future__ import annotations
