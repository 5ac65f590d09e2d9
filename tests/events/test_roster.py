"""The roster: mark one person or several, confirm walk-ins, scope (trainers and the
admins managing the event see everyone; other unit admins their own people; discipline
officers read only), bad input refused with nothing changed, query counts."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from courses.models import StudyHourEntry
from events.factories import EventFactory
from events.models import Attendance
from events.services.attendance import attendance_checkin

pytestmark = pytest.mark.django_db


def url(event):
    return f"/en/events/{event.pk}/roster/"


def test_trainer_sees_everyone_with_their_status(client, org, event):
    attendance_checkin(event=event, user=org.finance_learner, scanned_at=event.starts_at)
    client.force_login(org.trainer)
    response = client.get(url(event))
    assert response.status_code == 200
    html = response.content.decode()
    for person in (org.finance_learner, org.budget_learner, org.housing_learner):
        assert person.full_name in html
    assert "Present" in html and "Not marked" in html


def test_mark_one_person(client, org, event):
    client.force_login(org.trainer)
    response = client.post(url(event), {"person": org.budget_learner.pk, "status": "late"})
    assert response.status_code == 302
    row = Attendance.objects.get()
    assert (row.user, row.status, row.method, row.marked_by) == (
        org.budget_learner, "late", "roster", org.trainer,
    )  # fmt: skip
    assert StudyHourEntry.objects.filter(user=org.budget_learner).count() == 1
    page = client.get(url(event)).content.decode()
    assert "Marked 1 as “Late”." in page


def test_mark_in_bulk_and_correct(client, org, event):
    client.force_login(org.trainer)
    people = [org.finance_learner.pk, org.budget_learner.pk, org.housing_learner.pk]
    response = client.post(url(event), {"person": people, "status": "present", "action": "mark"})
    assert response.status_code == 302
    assert Attendance.objects.filter(status="present").count() == 3
    assert StudyHourEntry.objects.filter(source_key=f"event:{event.pk}").count() == 3
    client.post(url(event), {"person": [org.housing_learner.pk], "status": "absent"})
    assert Attendance.objects.get(user=org.housing_learner).status == "absent"
    assert not StudyHourEntry.objects.filter(user=org.housing_learner).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "present"}, "Choose at least one person."),
        ({"person": "PERSON", "status": "present"}, "Choose people from this roster."),
        ({"person": "1", "status": "gone"}, "Choose a valid attendance status."),
        ({"person": "PERSON"}, "Choose a status to mark."),
        ({"person": "PERSON", "status": "present", "action": "drop"}, "Select a valid choice"),
    ],
)
def test_bad_posts_are_refused_with_a_message(client, org, event, data, message):
    client.force_login(org.trainer)
    data = {k: (str(org.finance_learner.pk) if v == "PERSON" else v) for k, v in data.items()}
    if data.get("person") == "1":
        data["person"] = str(org.superuser.pk)  # not on the roster (no unit)
    if "Choose people" in message:
        data["person"] = "999999"
    response = client.post(url(event), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Attendance.objects.exists()


def test_confirm_a_walk_in(client, org):
    event = EventFactory(
        audience_unit=org.finance, trainer=org.trainer,
        starts_at=timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=5),
    )  # fmt: skip
    attendance_checkin(event=event, user=org.housing_learner, scanned_at=timezone.now())
    client.force_login(org.trainer)
    html = client.get(url(event)).content.decode()
    assert org.housing_learner.full_name in html and "Walk-in: to confirm" in html
    response = client.post(url(event), {"person": org.housing_learner.pk, "action": "confirm"})
    assert response.status_code == 302
    row = Attendance.objects.get()
    assert row.walk_in_confirmed_at is not None and row.attended
    assert StudyHourEntry.objects.filter(user=org.housing_learner).count() == 1


def test_shared_device_rows_are_highlighted(client, org, event):
    for user in (org.finance_learner, org.budget_learner):
        attendance_checkin(event=event, user=user, scanned_at=event.starts_at, device_id="p1")
    client.force_login(org.trainer)
    html = client.get(url(event)).content.decode()
    assert html.count("roster-row--flagged") == 2 and "Shared device" in html


def test_other_unit_admin_sees_and_marks_only_their_people(client, org, event):
    client.force_login(org.finance_admin)  # reports on the city event, for finance only
    html = client.get(url(event)).content.decode()
    assert org.finance_learner.full_name in html and org.budget_learner.full_name in html
    assert org.housing_learner.full_name not in html
    assert "Import a sign-in sheet" not in html
    response = client.post(url(event), {"person": org.housing_learner.pk, "status": "present"})
    assert response.status_code == 400
    assert not Attendance.objects.exists()
    response = client.post(url(event), {"person": org.budget_learner.pk, "status": "present"})
    assert response.status_code == 302
    assert Attendance.objects.get().user == org.budget_learner


def test_discipline_officer_reads_but_cannot_mark(client, org, event):
    client.force_login(org.discipline)
    html = client.get(url(event)).content.decode()
    assert org.finance_learner.full_name in html
    assert org.housing_learner.full_name not in html
    assert 'name="status"' not in html
    response = client.post(url(event), {"person": org.finance_learner.pk, "status": "present"})
    assert response.status_code == 404
    assert not Attendance.objects.exists()


def test_roster_scope(client, org, event):
    other = EventFactory(audience_unit=org.housing, trainer=org.housing_admin)
    client.force_login(org.finance_admin)
    assert client.get(url(other)).status_code == 404
    client.force_login(org.finance_learner)
    assert client.get(url(event)).status_code == 403
    client.logout()
    assert client.get(url(event)).status_code == 302


def test_roster_query_count_does_not_grow_with_people(client, org, event):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from people.factories import UserFactory

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url(event))
        assert response.status_code == 200
        return len(ctx.captured_queries), response

    client.force_login(org.trainer)
    client.get(url(event))  # warm up
    small, _ = queries()
    assert small <= 22
    for i in range(15):
        user = UserFactory(unit=org.housing_office, full_name=f"新人{i}")
        attendance_checkin(event=event, user=user, scanned_at=event.starts_at, device_id="p")
    large, response = queries()
    assert large == small
    assert "新人14" in response.content.decode()
