"""Events pages (E2): my events, the event page, registering, managing events."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse as django_reverse
from django.utils import timezone, translation

from events.factories import EventFactory
from events.models import (
    Attendance,
    AttendanceMethod,
    AttendanceStatus,
    Event,
    EventStatus,
    Registration,
    RegistrationSource,
)
from events.services.registration import event_audience_register
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def reverse(name: str, args: list | None = None) -> str:
    with translation.override("en"):
        return django_reverse(name, args=args)


def local(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def form_data(org, **overrides) -> dict:
    start = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(days=2)
    data = {
        "title": "廉政专题讲座",
        "kind": "lecture",
        "campaign": "",
        "description": "学习《条例》",
        "starts_at": local(start),
        "ends_at": local(start + datetime.timedelta(hours=2)),
        "venue": "机关三楼会议室",
        "online_url": "",
        "capacity": "",
        "audience_unit": org.finance.pk,
        "min_rank": "",
        "trainer": org.trainer.pk,
        "credit_hours": "2.0",
        "required": "on",
        "checkin_opens_at": local(start - datetime.timedelta(minutes=30)),
        "checkin_closes_at": local(start + datetime.timedelta(hours=2)),
        "late_after_minutes": "10",
        "makeup_course": "",
        "makeup_lesson": "",
    }
    data.update(overrides)
    return data


# --- My events and the event page -------------------------------------------------------


def test_my_events_lists_registered_open_and_past(client, org, django_assert_max_num_queries):
    mine = EventFactory(audience_unit=org.finance, trainer=org.trainer, title="财政讲座")
    event_audience_register(event=mine)
    EventFactory(audience_unit=org.housing, trainer=org.trainer, title="住建讲座", capacity=5)
    start = timezone.now() - datetime.timedelta(days=3)
    past = EventFactory(
        audience_unit=org.finance, trainer=org.trainer, title="往期讲座", starts_at=start
    )
    Registration.objects.create(event=past, user=org.finance_learner)
    Attendance.objects.create(
        event=past,
        user=org.finance_learner,
        status=AttendanceStatus.PRESENT,
        method=AttendanceMethod.ROSTER,
    )
    client.force_login(org.finance_learner)
    client.get(reverse("events:event_list"))  # warm the caches (site, navigation)
    for _ in range(5):  # more events cost no more queries
        event_audience_register(event=EventFactory(audience_unit=org.finance, trainer=org.trainer))
        EventFactory(audience_unit=org.housing, trainer=org.trainer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("events:event_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "财政讲座" in body and "住建讲座" in body and "往期讲座" in body
    assert "Present" in body
    assert "5 places left" in body


def test_event_detail_page(client, org, django_assert_max_num_queries):
    event = EventFactory(
        audience_unit=org.finance,
        trainer=org.trainer,
        capacity=10,
        online_url="https://meeting.example.gov.cn/123",
    )
    event_audience_register(event=event)
    client.force_login(org.finance_learner)
    client.get(reverse("events:event_list"))  # warm the caches (site, navigation)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("events:event_detail", args=[event.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert event.title in body and "机关三楼会议室" in body
    assert "https://meeting.example.gov.cn/123" in body
    assert "registered automatically" in body
    assert "Ask for leave" in body
    # finance admin, finance learner, budget learner, discipline officer registered
    assert "6 of 10 left" in body


def test_unknown_event_is_404(client, org):
    client.force_login(org.finance_learner)
    assert client.get(reverse("events:event_detail", args=[999999])).status_code == 404


# --- Self-registration ------------------------------------------------------------------


def test_register_and_double_click(client, org):
    event = EventFactory(audience_unit=org.housing, trainer=org.trainer, capacity=3)
    client.force_login(org.finance_learner)
    url = reverse("events:event_register", args=[event.pk])
    client.post(url)
    response = client.post(url, follow=True)
    assert "You were already registered." in response.content.decode()
    reg = Registration.objects.get(event=event, user=org.finance_learner)
    assert reg.source == RegistrationSource.SELF
    assert Registration.objects.filter(event=event).count() == 1


def test_register_refused_when_full(client, org):
    event = EventFactory(audience_unit=org.housing, trainer=org.trainer, capacity=1)
    Registration.objects.create(event=event, user=org.housing_learner)
    client.force_login(org.finance_learner)
    response = client.post(reverse("events:event_register", args=[event.pk]), follow=True)
    assert response.status_code == 200
    assert "no places left" in response.content.decode()
    assert not Registration.objects.filter(event=event, user=org.finance_learner).exists()


def test_register_refused_after_start_and_for_cancelled(client, org):
    started = EventFactory(
        audience_unit=org.housing,
        trainer=org.trainer,
        starts_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    cancelled = EventFactory(
        audience_unit=org.housing, trainer=org.trainer, status=EventStatus.CANCELLED
    )
    client.force_login(org.finance_learner)
    for event in (started, cancelled):
        response = client.post(reverse("events:event_register", args=[event.pk]), follow=True)
        assert "Registration for this event is closed." in response.content.decode()
    assert not Registration.objects.filter(user=org.finance_learner).exists()


def test_cancel_own_registration_frees_the_place(client, org):
    event = EventFactory(audience_unit=org.housing, trainer=org.trainer, capacity=1)
    client.force_login(org.finance_learner)
    client.post(reverse("events:event_register", args=[event.pk]))
    client.post(reverse("events:event_unregister", args=[event.pk]))
    reg = Registration.objects.get(event=event, user=org.finance_learner)
    assert reg.cancelled_at is not None
    client.force_login(org.budget_learner)
    client.post(reverse("events:event_register", args=[event.pk]))
    assert Registration.objects.get(event=event, user=org.budget_learner).cancelled_at is None


def test_audience_member_cannot_cancel_registration(client, org):
    event = EventFactory(audience_unit=org.finance, trainer=org.trainer)
    event_audience_register(event=event)
    client.force_login(org.finance_learner)
    response = client.post(reverse("events:event_unregister", args=[event.pk]), follow=True)
    assert "ask for leave instead" in response.content.decode()
    assert Registration.objects.get(event=event, user=org.finance_learner).cancelled_at is None


# --- Managing ---------------------------------------------------------------------------


def test_manage_list_scope(client, org, django_assert_max_num_queries):
    EventFactory(audience_unit=org.finance, trainer=org.trainer, title="财政讲座")
    EventFactory(audience_unit=org.housing, trainer=org.trainer, title="住建讲座")
    client.force_login(org.finance_admin)
    client.get(reverse("events:event_manage"))  # warm the caches (site, navigation)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("events:event_manage"))
    body = response.content.decode()
    assert "财政讲座" in body and "住建讲座" not in body


def test_learner_cannot_manage(client, org):
    client.force_login(org.finance_learner)
    assert client.get(reverse("events:event_manage")).status_code == 403
    assert client.get(reverse("events:event_create")).status_code == 403


def test_create_event_registers_audience(client, org, django_capture_on_commit_callbacks):
    client.force_login(org.finance_admin)
    assert client.get(reverse("events:event_create")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("events:event_create"), form_data(org))
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get()
    assert event.created_by == org.finance_admin
    people = set(Registration.objects.filter(event=event).values_list("user_id", flat=True))
    assert org.finance_learner.pk in people and org.budget_learner.pk in people
    assert org.housing_learner.pk not in people


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ("reversed", "ends_at", "The event must end after it starts."),
        ("checkin_before", "checkin_closes_at", "Check-in must close after the event starts."),
        ("checkin_early", "checkin_opens_at", "at most 24 hours before the start"),
        ("out_of_scope", "audience_unit", "Select a valid choice"),
        ("capacity", "capacity", "greater than or equal to 0"),
        ("no_venue", "venue", "Give a venue or an online link."),
    ],
)
def test_create_event_bad_input(client, org, overrides, field, message):
    base = form_data(org)
    start = timezone.make_aware(datetime.datetime.fromisoformat(base["starts_at"]))
    changes = {
        "reversed": {"ends_at": local(start - datetime.timedelta(hours=1))},
        "checkin_before": {
            "checkin_opens_at": local(start - datetime.timedelta(hours=2)),
            "checkin_closes_at": local(start - datetime.timedelta(hours=1)),
        },
        "checkin_early": {"checkin_opens_at": local(start - datetime.timedelta(days=2))},
        "out_of_scope": {"audience_unit": org.housing.pk},
        "capacity": {"capacity": "-1"},
        "no_venue": {"venue": ""},
    }[overrides]
    client.force_login(org.finance_admin)
    response = client.post(reverse("events:event_create"), {**base, **changes})
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert "nothing was saved" in body
    assert not Event.objects.exists()


def test_trainer_must_hold_role_in_scope(client, org):
    client.force_login(org.finance_admin)
    response = client.post(
        reverse("events:event_create"), form_data(org, trainer=org.housing_admin.pk)
    )
    # The housing admin holds no trainer role: not offered, so an invalid choice.
    assert response.status_code == 400
    assert not Event.objects.exists()


def test_service_refuses_out_of_scope_audience(org):
    from django.core.exceptions import ValidationError

    from events.services.events import event_create

    data = {
        "kind": "lecture",
        "title": "x",
        "audience_unit": org.housing,
        "trainer": org.finance_admin,
        "starts_at": timezone.now() + datetime.timedelta(days=1),
        "ends_at": timezone.now() + datetime.timedelta(days=1, hours=1),
        "checkin_opens_at": timezone.now() + datetime.timedelta(hours=23),
        "checkin_closes_at": timezone.now() + datetime.timedelta(days=1, hours=1),
    }
    with pytest.raises(ValidationError) as exc:
        event_create(by=org.finance_admin, data=data)
    assert "audience_unit" in exc.value.error_dict
    assert not Event.objects.exists()


def test_moving_an_event_raises_sequence_and_notifies(client, org):
    event = EventFactory(
        audience_unit=org.finance, trainer=org.trainer, created_by=org.finance_admin
    )
    event_audience_register(event=event)
    client.force_login(org.finance_admin)
    edit = reverse("events:event_edit", args=[event.pk])
    assert client.get(edit).status_code == 200
    new_start = event.starts_at + datetime.timedelta(days=1)
    data = form_data(
        org,
        title=event.title,
        starts_at=local(new_start),
        ends_at=local(new_start + datetime.timedelta(hours=2)),
        checkin_opens_at=local(new_start - datetime.timedelta(minutes=30)),
        checkin_closes_at=local(new_start + datetime.timedelta(hours=2)),
    )
    response = client.post(edit, data)
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.sequence == 1
    assert Notification.objects.filter(
        user=org.finance_learner, key=f"event-changed:{event.pk}:1"
    ).exists()
    # Saving again without moving: no new sequence, no new notification.
    client.post(edit, data)
    event.refresh_from_db()
    assert event.sequence == 1
    assert Notification.objects.filter(user=org.finance_learner).count() == 1


def test_cancel_event(client, org):
    event = EventFactory(audience_unit=org.finance, trainer=org.trainer)
    event_audience_register(event=event)
    client.force_login(org.trainer)
    url = reverse("events:event_cancel", args=[event.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    event.refresh_from_db()
    assert event.status == EventStatus.SCHEDULED and event.sequence == 0
    response = client.post(url, {"reason": "会议室检修"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.CANCELLED and event.sequence == 1
    assert Notification.objects.filter(
        user=org.budget_learner, key=f"event-cancelled:{event.pk}:1"
    ).exists()


def test_manage_out_of_scope_is_404(client, org):
    event = EventFactory(audience_unit=org.housing, trainer=org.housing_admin)
    client.force_login(org.finance_admin)
    assert client.get(reverse("events:event_edit", args=[event.pk])).status_code == 404
    assert (
        client.post(reverse("events:event_cancel", args=[event.pk]), {"reason": "x"}).status_code
        == 404
    )
    event.refresh_from_db()
    assert event.status == EventStatus.SCHEDULED
