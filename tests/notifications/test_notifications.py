"""Notifications: created and e-mailed once per key, listed unread-first to their owner
only, marked read one by one or all at once, counted in the header."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from notifications.selectors import notification_list
from notifications.services import notification_send

LIST = "/notifications/"


def send(user, key, *, title="新的课程", url="/me/", **extra) -> bool:
    return notification_send(
        user=user, key=key, kind="test", title=title, body="请按时完成学习。", url=url, **extra
    )


def test_urls_are_mounted() -> None:
    assert reverse("notifications:list") == LIST
    assert reverse("notifications:read", args=[5]) == "/notifications/5/read/"
    assert reverse("notifications:read_all") == "/notifications/read-all/"


def test_send_creates_once_and_emails_once(org, django_capture_on_commit_callbacks) -> None:
    learner = org.finance_learner
    with django_capture_on_commit_callbacks(execute=True):
        assert send(learner, "k:1", title="纪律处分条例学习 7 天后到期") is True
        assert send(learner, "k:1", title="another title") is False  # same key: nothing
    note = Notification.objects.get(user=learner)
    assert note.title == "纪律处分条例学习 7 天后到期"
    assert note.emailed_at is not None and note.read_at is None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [learner.email]
    assert "纪律处分条例学习 7 天后到期" in message.subject
    assert "请按时完成学习。" in message.body
    assert "http://testserver/me/" in message.body  # an absolute link
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert 'lang="zh-Hans"' in html  # Chinese by default
    assert "http://testserver/me/" in html
    # The same key for someone else is their own notification.
    with django_capture_on_commit_callbacks(execute=True):
        assert send(org.budget_learner, "k:1") is True
    assert len(mail.outbox) == 2


def test_html_email_escapes_the_text(org, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        send(org.finance_learner, "k:x", title="<script>alert(1)</script>")
    html = mail.outbox[0].alternatives[0][0]
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_no_email_when_the_transaction_rolls_back(org, django_capture_on_commit_callbacks) -> None:
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        try:
            with transaction.atomic():
                send(org.finance_learner, "k:rollback")
                raise RuntimeError("boom")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not Notification.objects.filter(key="k:rollback").exists()
    assert mail.outbox == []


def test_a_failing_mail_server_leaves_the_notification(
    org, django_capture_on_commit_callbacks, settings
) -> None:
    settings.EMAIL_BACKEND = "tests.notifications.test_notifications.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert send(org.finance_learner, "k:smtp-down") is True
    note = Notification.objects.get(key="k:smtp-down")
    assert note.emailed_at is None


class BrokenBackend:
    def __init__(self, *args, **kwargs) -> None:
        pass

    def send_messages(self, messages):
        raise OSError("mail server down")


def _make(user, n: int, *, read: int = 0) -> list[Notification]:
    now = timezone.now()
    rows = []
    for i in range(n):
        rows.append(
            Notification.objects.create(
                user=user,
                key=f"seed:{i}",
                kind="test",
                title=f"通知{i}",
                url="/me/",
                created_at=now - datetime.timedelta(hours=n - i),
                read_at=now if i < read else None,
            )
        )
    return rows


def test_list_shows_only_own_unread_first_then_newest(
    client, org, django_assert_max_num_queries
) -> None:
    learner = org.finance_learner
    _make(learner, 5, read=2)  # 通知0, 通知1 read (oldest); 2..4 unread
    Notification.objects.create(user=org.budget_learner, key="x", kind="t", title="别人的通知")
    assert [n.title for n in notification_list(user=learner)] == [
        "通知4",
        "通知3",
        "通知2",
        "通知1",
        "通知0",
    ]
    client.force_login(learner)
    client.get(LIST)  # warm the navigation caches
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert "别人的通知" not in html
    titles = re.findall(r"(通知\d)</h2>", html)
    assert titles[:5] == ["通知4", "通知3", "通知2", "通知1", "通知0"]
    # The header shows the unread count next to the notifications link.
    assert re.search(r'class="nav-badge">3<', html)


def test_list_query_count_does_not_grow(client, org, django_assert_max_num_queries) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(org.finance_learner)
    _make(org.finance_learner, 3)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    Notification.objects.all().delete()
    _make(org.finance_learner, 40, read=10)
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST).status_code == 200
    assert len(few) == len(many)


def test_mark_read_redirects_to_the_link(client, org) -> None:
    note = _make(org.finance_learner, 1)[0]
    client.force_login(org.finance_learner)
    response = client.post(reverse("notifications:read", args=[note.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_mark_read_needs_post(client, org) -> None:
    note = _make(org.finance_learner, 1)[0]
    client.force_login(org.finance_learner)
    assert client.get(reverse("notifications:read", args=[note.pk])).status_code == 405
    note.refresh_from_db()
    assert note.read_at is None


def test_someone_elses_notification_is_a_404(client, org) -> None:
    theirs = _make(org.budget_learner, 1)[0]
    client.force_login(org.finance_learner)
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notifications:read", args=[999999])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # An admin's scope does not reach other people's notifications either.
    client.force_login(org.finance_admin)
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404


def test_an_outside_link_is_not_followed(client, org) -> None:
    note = Notification.objects.create(
        user=org.finance_learner, key="evil", kind="t", title="t", url="https://evil.example/"
    )
    client.force_login(org.finance_learner)
    response = client.post(reverse("notifications:read", args=[note.pk]))
    assert response["Location"] == LIST


def test_mark_all_read_touches_only_own(client, org) -> None:
    _make(org.finance_learner, 3)
    theirs = _make(org.budget_learner, 2)
    client.force_login(org.finance_learner)
    response = client.post(reverse("notifications:read_all"))
    assert response.status_code == 302 and response["Location"] == LIST
    assert not Notification.objects.filter(user=org.finance_learner, read_at__isnull=True).exists()
    assert (
        Notification.objects.filter(pk__in=[n.pk for n in theirs], read_at__isnull=True).count()
        == 2
    )
    html = client.get(LIST).content.decode()
    assert "nav-badge" not in html


@pytest.mark.parametrize("url", [LIST, "/notifications/read-all/"])
def test_anonymous_visitors_are_sent_to_login(client, db, url) -> None:
    response = client.post(url) if "read-all" in url else client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_unread_count_is_cached_and_forgotten_on_every_change(
    org, django_assert_num_queries
) -> None:
    from notifications.selectors import notification_unread_count
    from notifications.services import notification_mark_all_read, notification_mark_read

    learner = org.finance_learner
    assert notification_unread_count(user=learner) == 0
    with django_assert_num_queries(0):
        assert notification_unread_count(user=learner) == 0  # from the cache
    send(learner, "c:1")
    send(learner, "c:2")
    assert notification_unread_count(user=learner) == 2
    notification_mark_read(notification=Notification.objects.get(key="c:1"))
    assert notification_unread_count(user=learner) == 1
    notification_mark_all_read(user=learner)
    assert notification_unread_count(user=learner) == 0


def test_links_open_in_the_readers_language(
    client, org, django_capture_on_commit_callbacks
) -> None:
    """A link built in Chinese (/me/) reaches an English reader as /en/me/, by e-mail and
    from the list; a Chinese reader keeps /me/, even from a link built in English."""
    english, chinese = org.finance_learner, org.budget_learner
    english.language = "en"
    english.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        send(english, "lang:1", url="/me/")
        send(chinese, "lang:2", url="/en/me/hours/")
    by_person = {message.to[0]: message for message in mail.outbox}
    assert "http://testserver/en/me/" in by_person[english.email].body
    assert "http://testserver/me/hours/" in by_person[chinese.email].body
    assert "/en/" not in by_person[chinese.email].body

    note = Notification.objects.get(user=english)
    client.force_login(english)
    response = client.post(f"/en/notifications/{note.pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/en/me/"
    note = Notification.objects.get(user=chinese)
    client.force_login(chinese)
    response = client.post(f"/notifications/{note.pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/me/hours/"
