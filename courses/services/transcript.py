"""The yearly study-hour transcript (学时证明): a certificate of one person's ledger for
one year, issued through ``certificates.services.issuing.issue_certificate`` and verifiable
like any other certificate.

The achievement is a snapshot of the ledger: asking again with the same ledger gives the
same certificate; a ledger that changed since gives a new one and the old is superseded.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.achievements import Achievement, AchievementKind
from certificates.models import Certificate

from ..models import StudyHourEntry
from ..selectors.learning import hours_summary


def transcript_key(year: int) -> str:
    return f"transcript:{year}"


def transcript_achievement(*, user: Any, year: int) -> Achievement:
    """``user``'s ledger for ``year`` as an achievement: the entries oldest first (date,
    title, source, hours, required or elective, integrity education), the total and the
    annual requirement that applies to the person. Dated the day of the last entry, so the
    same ledger always gives the same achievement. A year without entries is refused with a
    ``ValidationError``."""
    entries = list(
        StudyHourEntry.objects.filter(user_id=user.pk, year=year).order_by("recorded_at", "id")
    )
    if not entries:
        raise ValidationError(
            _("No study hours are recorded in %(year)s: there is nothing to put on a transcript.")
            % {"year": year},
            code="empty",
        )
    summary = hours_summary(user=user, year=year)
    rows = [
        {
            "date": timezone.localdate(entry.recorded_at).isoformat(),
            "title": entry.title,
            "source": entry.source,
            "hours": str(entry.hours),
            "required": entry.required,
            "integrity": entry.integrity,
        }
        for entry in entries
    ]
    return Achievement(
        kind=AchievementKind.TRANSCRIPT,
        key=transcript_key(year),
        title=f"{year}年度学时证明",
        title_en=f"Study-hour transcript {year}",
        achieved_on=timezone.localdate(entries[-1].recorded_at),
        hours=summary.total,
        source_id=year,
        details={
            "year": year,
            "required_hours": str(summary.total_target),
            "total_hours": str(summary.total),
            "integrity_hours": str(summary.integrity),
            "integrity_required_hours": str(summary.integrity_target),
            "rows": rows,
        },
    )


def transcript_current(*, user: Any, year: int) -> Certificate | None:
    """The person's current transcript certificate of ``year``, if any."""
    return Certificate.objects.filter(
        user_id=user.pk, achievement_key=transcript_key(year), is_current=True
    ).first()


def transcript_issue(*, user: Any, year: int) -> Certificate:
    """Issue (or return) ``user``'s transcript of ``year``: the same certificate while the
    ledger is unchanged, a new one (superseding the old) once it changed. Refuses a year
    without entries (``ValidationError``, nothing written)."""
    from certificates.services.issuing import issue_certificate

    achievement = transcript_achievement(user=user, year=year)
    return issue_certificate(user, achievement, replace_if_changed=True)
