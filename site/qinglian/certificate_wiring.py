"""Certificates listen to the completions of the other apps (#8).

The certificates app imports none of them (ARCHITECTURE.md); this module, in the site
package that knows every app, turns each completion signal into an ``Achievement`` and
calls ``certificates.services.issuing.issue_certificate``. The signals are sent inside the
transaction that records the completion, so the certificate row commits (or rolls back)
with it; the render is enqueued on commit.

* ``courses.signals.course_completed`` → ``course:<course id>``: the course's title, the
  completion's credit hours, the local date of ``completed_at``.
* ``events.signals.campaign_completed`` → ``campaign:<campaign id>``: the campaign's title
  with its year (``2026年党风廉政建设宣传教育月``), the date it was completed.
* ``talks.signals.appointee_cleared`` → ``appointment:<appointment id>``:
  ``任前廉政教育（<new position>）``, the local date of ``cleared_at``.

It also drops the cached default issuer (``certificates.services.issuing.issuer_default``,
the organisation name of the site settings) whenever the site settings or a site change.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

_connected = False


def _local_date(moment: Any) -> Any:
    return timezone.localdate(moment) if moment is not None else timezone.localdate()


def course_achievement(completion: Any) -> Any:
    from certificates.achievements import Achievement, AchievementKind

    course = completion.course
    return Achievement(
        kind=AchievementKind.COURSE,
        key=f"course:{course.pk}",
        title=course.title,
        title_en=getattr(course, "title_en", "") or "",
        achieved_on=_local_date(completion.completed_at),
        hours=completion.hours,
        source_id=course.pk,
    )


def campaign_title(campaign: Any) -> str:
    """``2026年党风廉政建设宣传教育月``: the title, with the year in front unless it is
    already in it."""
    title = (campaign.title or campaign.theme or "").strip()
    year = str(campaign.year)
    return title if year in title else f"{year}年{title}"


def campaign_achievement(completion: Any) -> Any:
    from certificates.achievements import Achievement, AchievementKind

    campaign = completion.campaign
    return Achievement(
        kind=AchievementKind.CAMPAIGN,
        key=f"campaign:{campaign.pk}",
        title=campaign_title(campaign),
        achieved_on=_local_date(completion.completed_at),
        source_id=campaign.pk,
    )


def appointment_achievement(appointment: Any) -> Any:
    from certificates.achievements import Achievement, AchievementKind

    return Achievement(
        kind=AchievementKind.APPOINTMENT,
        key=f"appointment:{appointment.pk}",
        title=f"任前廉政教育（{appointment.position_title}）",
        achieved_on=_local_date(appointment.cleared_at),
        source_id=appointment.pk,
    )


def _on_course_completed(sender: Any, completion: Any, **kwargs: Any) -> None:
    from certificates.services.issuing import issue_certificate

    issue_certificate(completion.user, course_achievement(completion))


def _on_campaign_completed(sender: Any, completion: Any, **kwargs: Any) -> None:
    from certificates.services.issuing import issue_certificate

    issue_certificate(completion.user, campaign_achievement(completion))


def _on_appointee_cleared(sender: Any, appointment: Any, **kwargs: Any) -> None:
    from certificates.services.issuing import issue_certificate

    issue_certificate(appointment.person, appointment_achievement(appointment))


def _on_site_settings_changed(sender: Any, **kwargs: Any) -> None:
    from django.db import transaction

    from certificates.services.issuing import issuer_default_forget

    # Now, and for an edit or a deletion again on commit: a name another request read (and
    # cached) before the change committed is dropped too. A row just created is the one
    # ``SiteSettings.for_site`` makes with the defaults on a first read: nothing to redo.
    issuer_default_forget()
    if not kwargs.get("created", False):
        transaction.on_commit(issuer_default_forget)


def connect_certificate_receivers() -> None:
    """Connect the receivers (once; called from ``QinglianConfig.ready``)."""
    global _connected
    if _connected:
        return
    from django.db.models.signals import post_delete, post_save
    from wagtail.models import Site

    from courses.signals import course_completed
    from events.signals import campaign_completed
    from talks.signals import appointee_cleared

    from .models import SiteSettings

    course_completed.connect(_on_course_completed, dispatch_uid="certificates.course")
    campaign_completed.connect(_on_campaign_completed, dispatch_uid="certificates.campaign")
    appointee_cleared.connect(_on_appointee_cleared, dispatch_uid="certificates.appointment")
    for model in (SiteSettings, Site):
        for signal in (post_save, post_delete):
            signal.connect(
                _on_site_settings_changed,
                sender=model,
                dispatch_uid=f"certificates.issuer.{model.__name__}.{signal is post_save}",
            )
    _connected = True
