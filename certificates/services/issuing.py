"""Issuing certificates: the one entry point, ``issue_certificate(person, achievement)``.

* One *current* certificate per person and achievement key, by the partial unique
  constraint ``certificates_one_current_per_achievement``. The row is created in the
  caller's transaction (the one that recorded the achievement), inside a savepoint: the
  loser of a race on the constraint rolls back only its savepoint and returns the
  winner's row. Calling it again returns the existing certificate.
* The PDF is rendered by ``certificates.tasks.certificate_render_task``, enqueued when the
  transaction commits (a rolled-back completion enqueues nothing).
* ``certificate_replace`` makes a new current certificate for the same person and key and
  marks the old one superseded (reissue after a template fix; a transcript whose rows
  changed).
"""

from __future__ import annotations

import calendar
import datetime
import logging
import secrets
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..achievements import Achievement
from ..models import Certificate, CertificateTemplate

logger = logging.getLogger(__name__)

# Crockford base32: digits and letters without I, L, O, U.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 16 × 5 bits = 80 random bits
_INSERT_TRIES = 3
# The default issuer (the site settings' organisation name), cached: two queries per
# certificate otherwise. ``qinglian.certificate_wiring`` deletes the key whenever the site
# settings or a site are saved or deleted; the timeout bounds any other staleness.
ISSUER_CACHE_KEY = "certificates:issuer:v1"
ISSUER_CACHE_SECONDS = 600


def certificate_code() -> str:
    """A verification code: 80 random bits from ``secrets``, Crockford base32, 16 chars."""
    value = secrets.randbits(CODE_LENGTH * 5)
    chars = []
    for _i in range(CODE_LENGTH):
        chars.append(CODE_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def certificate_serial(*, pk: int, issued_at: datetime.datetime) -> str:
    """``QL-<year issued>-<id, 6 digits>``: for people to read, not a secret."""
    return f"QL-{timezone.localtime(issued_at).year}-{pk:06d}"


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus ``months`` calendar months (31 January + 1 month = 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def template_choose(kind: str) -> CertificateTemplate | None:
    """The active template serving ``kind``, the most recently updated first; None means
    the built-in default design. (Templates are few: filtered in Python, as SQLite has no
    JSON containment lookup.)"""
    for template in CertificateTemplate.objects.filter(is_active=True).order_by(
        "-updated_at", "-pk"
    ):
        if kind in (template.kinds or []):
            return template
    return None


def issuer_default() -> str:
    """The organisation that issues certificates without a template issuer: the default
    site's ``organisation_name`` (``qinglian.pdf.organisation_name``), cached."""
    name = cache.get(ISSUER_CACHE_KEY)
    if name is None:
        from qinglian.pdf import organisation_name

        name = organisation_name()
        cache.set(ISSUER_CACHE_KEY, name, ISSUER_CACHE_SECONDS)
    return str(name)


def issuer_default_forget() -> None:
    """Drop the cached default issuer (the site settings changed)."""
    cache.delete(ISSUER_CACHE_KEY)


def _enqueue(certificate_id: int) -> None:
    from ..tasks import certificate_render_task

    transaction.on_commit(lambda: certificate_render_task.delay(certificate_id))


def _current(*, person: Any, key: str) -> Certificate | None:
    """The current certificate of ``person`` for ``key`` (at most one, by the partial
    unique constraint): unordered, the model's ordering would only sort that one row."""
    rows = Certificate.objects.filter(user=person, achievement_key=key, is_current=True)
    return next(iter(rows.order_by()[:1]), None)


def _insert(
    *,
    person: Any,
    kind: str,
    key: str,
    title: str,
    title_en: str,
    achieved_on: datetime.date,
    hours: Decimal | None,
    source_id: int | None,
    details: dict[str, Any],
    template: CertificateTemplate | None,
) -> Certificate:
    """Insert the row and set its serial, in the caller's transaction (no savepoint here:
    callers wrap it)."""
    issuer = (template.issuer if template else "") or issuer_default()
    expires_on = (
        add_months(achieved_on, template.validity_months)
        if template is not None and template.validity_months
        else None
    )
    certificate = Certificate.objects.create(
        user=person,
        holder_name=person.full_name,
        kind=kind,
        achievement_key=key,
        achievement_title=title,
        achievement_title_en=title_en or "",
        achieved_on=achieved_on,
        hours=hours,
        source_id=source_id,
        details=details or {},
        template=template,
        language=template.language if template is not None else "zh-hans",
        issuer=issuer[:120],
        code=certificate_code(),
        expires_on=expires_on,
    )
    certificate.serial = certificate_serial(pk=certificate.pk, issued_at=certificate.issued_at)
    Certificate.objects.filter(pk=certificate.pk).update(serial=certificate.serial)
    return certificate


def _differs(certificate: Certificate, achievement: Achievement) -> bool:
    hours = None if achievement.hours is None else Decimal(achievement.hours)
    return (
        certificate.achievement_title != achievement.title
        or certificate.achievement_title_en != (achievement.title_en or "")
        or certificate.hours != hours
        or (certificate.details or {}) != (achievement.details or {})
    )


def issue_certificate(
    person: Any, achievement: Achievement, *, replace_if_changed: bool = False
) -> Certificate:
    """The person's current certificate for ``achievement`` (by its key); created if there
    is none, in the caller's transaction, with its render enqueued on commit.

    Safe to call any number of times and from concurrent transactions: one current row per
    person and key (the database constraint decides; the loser gets the winner's row). A
    revoked current certificate is returned as it is. With ``replace_if_changed``
    (transcripts) a current certificate whose title, hours or details differ from
    ``achievement`` is replaced (the old one superseded)."""
    if replace_if_changed:
        current = _current(person=person, key=achievement.key)
        if current is not None:
            if current.revoked_at is None and _differs(current, achievement):
                return certificate_replace(current, achievement=achievement)
            return current
    # Otherwise the achievement was usually just recorded (a completion signal) and has no
    # certificate yet: insert straight away; an existing current row makes the INSERT fail
    # on the constraint and is returned below, as the winner of a race is.
    template = template_choose(achievement.kind)
    for _attempt in range(_INSERT_TRIES):
        try:
            with transaction.atomic():  # a savepoint: the race's loser rolls back only this
                certificate = _insert(
                    person=person,
                    kind=str(achievement.kind),
                    key=achievement.key,
                    title=achievement.title,
                    title_en=achievement.title_en,
                    achieved_on=achievement.achieved_on,
                    hours=achievement.hours,
                    source_id=achievement.source_id,
                    details=achievement.details,
                    template=template,
                )
        except IntegrityError:
            winner = _current(person=person, key=achievement.key)
            if winner is not None:
                return winner
            continue  # not the constraint (a verification code collided): try again
        _enqueue(certificate.pk)
        logger.info(
            "certificate %s issued to user %s for %s",
            certificate.serial,
            getattr(person, "pk", None),
            achievement.key,
        )
        return certificate
    raise RuntimeError(f"Could not issue a certificate for {achievement.key}")


def certificate_replace(
    old: Certificate,
    *,
    achievement: Achievement | None = None,
    template: CertificateTemplate | None = None,
) -> Certificate:
    """Make a new current certificate for the same person and achievement key and mark
    ``old`` superseded by it; the new one's render is enqueued on commit.

    The achievement's fields come from ``achievement`` or are copied from ``old``; the
    template is ``template`` or the one ``template_choose`` picks now; the holder's name is
    read from the person again (a corrected name is the usual reason to reissue). Refused
    with a ``ValidationError`` when ``old`` is no longer current (replaced already)."""
    with transaction.atomic():
        locked = (
            Certificate.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=old.pk)
        )
        if not locked.is_current:
            raise ValidationError(
                _("This certificate has already been replaced by a newer one."),
                code="not_current",
            )
        now = timezone.now()
        Certificate.objects.filter(pk=locked.pk).update(is_current=False)
        if achievement is not None:
            fields: dict[str, Any] = {
                "kind": str(achievement.kind),
                "title": achievement.title,
                "title_en": achievement.title_en,
                "achieved_on": achievement.achieved_on,
                "hours": achievement.hours,
                "source_id": achievement.source_id,
                "details": achievement.details,
            }
        else:
            fields = {
                "kind": locked.kind,
                "title": locked.achievement_title,
                "title_en": locked.achievement_title_en,
                "achieved_on": locked.achieved_on,
                "hours": locked.hours,
                "source_id": locked.source_id,
                "details": locked.details,
            }
        chosen = template if template is not None else template_choose(fields["kind"])
        new = _insert(person=locked.user, key=locked.achievement_key, template=chosen, **fields)
        Certificate.objects.filter(pk=locked.pk).update(superseded_by=new, superseded_at=now)
        _enqueue(new.pk)
    old.is_current, old.superseded_by, old.superseded_at = False, new, now
    logger.info("certificate %s superseded by %s", locked.serial, new.serial)
    return new


__all__ = [
    "add_months",
    "certificate_code",
    "certificate_replace",
    "certificate_serial",
    "issue_certificate",
    "issuer_default",
    "issuer_default_forget",
    "template_choose",
]
