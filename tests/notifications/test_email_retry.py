"""A notification e-mail the mail server refused is tried again later — 5, 15, 45 …
minutes after each failure, up to NOTIFICATIONS_EMAIL_MAX_ATTEMPTS in all — and is never
sent twice, even when two retry runs overlap."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notification_emails_retry, notification_send
from tests.concurrency import in_threads, needs_pg

BROKEN = "tests.notifications.test_email_retry.BrokenBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


class BrokenBackend:
    """The mail server is unreachable (what Django's SMTP backend raises then)."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def send_messages(self, messages):
        raise OSError("mail server down")


def _send_while_down(user, key, settings, callbacks) -> Notification:
    settings.EMAIL_BACKEND = BROKEN
    with callbacks(execute=True):
        assert notification_send(
            user=user, key=key, kind="test", title="课程即将到期", body="请完成。"
        )
    return Notification.objects.get(user=user, key=key)


def test_a_failed_email_is_scheduled_and_sent_when_due(
    org, settings, django_capture_on_commit_callbacks
) -> None:
    note = _send_while_down(
        org.finance_learner, "k:retry", settings, django_capture_on_commit_callbacks
    )
    assert note.emailed_at is None
    assert note.email_failures == 1
    assert note.email_retry_at is not None
    wait = note.email_retry_at - timezone.now()
    assert datetime.timedelta(minutes=4) < wait <= datetime.timedelta(minutes=5)

    settings.EMAIL_BACKEND = LOCMEM
    # Not yet due: nothing is sent.
    assert notification_emails_retry() == 0
    assert mail.outbox == []
    # Due: sent once, and a later run sends nothing more.
    later = timezone.now() + datetime.timedelta(minutes=6)
    assert notification_emails_retry(now=later) == 1
    assert notification_emails_retry(now=later) == 0
    assert len(mail.outbox) == 1
    assert "课程即将到期" in mail.outbox[0].subject
    note.refresh_from_db()
    assert note.emailed_at is not None and note.email_retry_at is None


def test_backoff_grows_and_the_email_is_given_up_after_the_last_attempt(
    org, settings, django_capture_on_commit_callbacks
) -> None:
    settings.NOTIFICATIONS_EMAIL_MAX_ATTEMPTS = 3
    note = _send_while_down(
        org.finance_learner, "k:down", settings, django_capture_on_commit_callbacks
    )
    now = timezone.now()
    # Second failure: the next try 15 minutes later.
    now += datetime.timedelta(minutes=6)
    assert notification_emails_retry(now=now) == 0
    note.refresh_from_db()
    assert note.email_failures == 2
    assert (
        datetime.timedelta(minutes=14) < note.email_retry_at - now <= datetime.timedelta(minutes=15)
    )
    # Third failure is the last attempt allowed: no further try is scheduled.
    now += datetime.timedelta(minutes=16)
    assert notification_emails_retry(now=now) == 0
    note.refresh_from_db()
    assert note.email_failures == 3 and note.email_retry_at is None
    settings.EMAIL_BACKEND = LOCMEM
    assert notification_emails_retry(now=now + datetime.timedelta(days=1)) == 0
    assert mail.outbox == []
    # The in-app notification stands.
    assert Notification.objects.filter(pk=note.pk, read_at__isnull=True).exists()


def test_a_person_without_an_address_is_not_retried(
    org, settings, django_capture_on_commit_callbacks
) -> None:
    settings.EMAIL_BACKEND = BROKEN
    learner = org.finance_learner
    learner.is_active = False
    learner.save(update_fields=["is_active"])
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(user=learner, key="k:inactive", kind="test", title="t")
    note = Notification.objects.get(key="k:inactive")
    assert note.email_failures == 0 and note.email_retry_at is None


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_overlapping_retry_runs_send_each_email_once(settings) -> None:
    from tests.conftest import build_org

    org = build_org()
    settings.EMAIL_BACKEND = BROKEN
    people = [org.finance_learner, org.budget_learner, org.housing_learner, org.trainer]
    for person in people:
        notification_send(user=person, key="k:overlap", kind="test", title="t")
    assert Notification.objects.filter(key="k:overlap", email_failures=1).count() == 4
    settings.EMAIL_BACKEND = LOCMEM
    later = timezone.now() + datetime.timedelta(minutes=6)
    results, errors = in_threads([lambda: notification_emails_retry(now=later)] * 6)
    assert errors == []
    assert sum(results) == 4
    assert len(mail.outbox) == 4
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
