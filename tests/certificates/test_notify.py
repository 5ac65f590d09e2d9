"""The holder hears once that a certificate is ready: one in-app notification and one
e-mail with the link to "My certificates" and the verification URL, however often the
render runs."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.utils import timezone

from certificates.achievements import Achievement, AchievementKind
from certificates.factories import CertificateFactory
from certificates.models import Certificate, RenderStatus
from certificates.services.issuing import issue_certificate
from certificates.services.notify import certificate_notify_holder
from certificates.services.rendering import certificate_render
from notifications.models import Notification


def ready(user, **kwargs) -> Certificate:
    certificate = CertificateFactory(user=user, status=RenderStatus.READY, **kwargs)
    certificate.file.save(f"{certificate.serial}.pdf", ContentFile(b"%PDF-1.7 test"), save=True)
    return certificate


def test_the_holder_is_told_once_with_both_links(org, django_capture_on_commit_callbacks, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://qinglian.example.gov.cn"
    certificate = ready(org.finance_learner, achievement_title="党纪学习教育专题课程")
    with django_capture_on_commit_callbacks(execute=True):
        assert certificate_notify_holder(certificate=certificate) is True
    with django_capture_on_commit_callbacks(execute=True):
        assert certificate_notify_holder(certificate=certificate) is False

    notification = Notification.objects.get(user=org.finance_learner)
    assert notification.key == f"certificate:{certificate.pk}"
    assert "党纪学习教育专题课程" in notification.title
    assert notification.url.endswith("/me/certificates/")
    verify = f"https://qinglian.example.gov.cn/verify/{certificate.code}/"
    assert verify in notification.body and certificate.serial in notification.body

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [org.finance_learner.email]
    assert "https://qinglian.example.gov.cn/me/certificates/" in message.body
    assert verify in message.body
    certificate.refresh_from_db()
    assert certificate.notified_at is not None


@pytest.mark.parametrize(
    "change",
    [
        {"status": RenderStatus.PENDING},
        {"status": RenderStatus.FAILED},
        {"is_current": False},
        {"revoked_at": datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)},
    ],
    ids=["pending", "failed", "superseded", "revoked"],
)
def test_nothing_is_said_about_a_certificate_that_is_not_ready_and_valid(
    org, django_capture_on_commit_callbacks, change
):
    certificate = ready(org.finance_learner)
    Certificate.objects.filter(pk=certificate.pk).update(**change)
    certificate.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        assert certificate_notify_holder(certificate=certificate) is False
    assert not Notification.objects.exists() and mail.outbox == []


def test_a_row_already_marked_notified_sends_nothing(org, django_capture_on_commit_callbacks):
    certificate = ready(org.finance_learner)
    Certificate.objects.filter(pk=certificate.pk).update(notified_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        # A stale copy (another worker notified in between) is checked against the row.
        assert certificate_notify_holder(certificate=certificate) is False
    assert mail.outbox == []


def test_issuing_and_rendering_twice_mails_the_holder_once(org, django_capture_on_commit_callbacks):
    achievement = Achievement(
        kind=AchievementKind.COURSE,
        key="course:4242",
        title="廉洁从政专题课程",
        achieved_on=datetime.date(2026, 11, 20),
        hours=None,
        source_id=4242,
    )
    with django_capture_on_commit_callbacks(execute=True):
        certificate = issue_certificate(org.finance_learner, achievement)
    # The render task ran on commit (eager in tests); run it again as a retry would.
    with django_capture_on_commit_callbacks(execute=True):
        certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    assert certificate.status == RenderStatus.READY
    assert len(mail.outbox) == 1
    assert "廉洁从政专题课程" in mail.outbox[0].subject
    assert Notification.objects.filter(user=org.finance_learner).count() == 1
