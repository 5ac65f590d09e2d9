"""What a certificate is for. Other apps describe an achievement with :class:`Achievement`
and call ``certificates.services.issuing.issue_certificate(person, achievement)``; the
certificates app imports none of them (ARCHITECTURE.md)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class AchievementKind(models.TextChoices):
    COURSE = "course", _("Course completed")
    CAMPAIGN = "campaign", _("Education month completed")
    APPOINTMENT = "appointment", _("Pre-appointment programme cleared")
    TRANSCRIPT = "transcript", _("Study-hour transcript")


@dataclass(frozen=True)
class Achievement:
    """One thing a person achieved, as the certificate states it.

    ``key`` identifies the achievement for this person (one current certificate per person
    and key, by a database constraint): ``course:<course id>``, ``campaign:<campaign id>``,
    ``appointment:<appointment id>``, ``transcript:<year>``. ``source_id`` is the id of the
    course, campaign or appointment (batches of certificates select on kind + source_id).
    ``details`` is a JSON-serialisable snapshot the PDF shows (a transcript's rows)."""

    kind: str
    key: str
    title: str
    achieved_on: datetime.date
    title_en: str = ""
    hours: Decimal | None = None
    source_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
