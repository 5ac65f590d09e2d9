"""The scan link ``/checkin/<token>/`` and its after-login completion, and the trainer's
display with its JSON state: messages, nothing changed on refusal, scope, query counts."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.test import override_settings
from django.utils import timezone

from events.checkin import token_make
from events.factories import EventFactory
from events.models import Attendance, EventStatus, Registration
from events.selectors.audience import event_audience
from events.views_checkin import DEVICE_COOKIE, PENDING_KEY

pytestmark = pytest.mark.django_db
MIN = datetime.timedelta(minutes=1)


@pytest.fixture
def live(org, campaign):
    """A city lecture that started 5 minutes ago (check-in open, not late yet)."""
    start = timezone.now().replace(microsecond=0) - 5 * MIN
    return EventFactory(
        campaign=campaign, audience_unit=org.city, trainer=org.trainer, starts_at=start
    )


def scan_url(event, moment=None):
    return f"/en/checkin/{token_make(event=event, moment=moment)}/"


def frozen(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


# --- Scanning ----------------------------------------------------------------------------


def test_logged_in_scan_records_present_and_sets_a_device_cookie(client, org, live):
    client.force_login(org.finance_learner)
    response = client.get(scan_url(live))
    assert response.status_code == 200
    assert b"Checked in" in response.content and live.title.encode() in response.content
    row = Attendance.objects.get()
    assert (row.user, row.status, row.method) == (org.finance_learner, "present", "qr")
    assert response.cookies[DEVICE_COOKIE]["httponly"]
    assert row.device_id and row.device_id in response.cookies[DEVICE_COOKIE].value
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_second_scan_says_already_and_changes_nothing(client, org, live):
    client.force_login(org.finance_learner)
    client.get(scan_url(live))
    before = Attendance.objects.values().get()
    response = client.get(scan_url(live))
    assert response.status_code == 200
    local = timezone.localtime(before["checked_in_at"])
    assert f"You already checked in at {local:%H:%M}".encode() in response.content
    assert Attendance.objects.values().get() == before


def test_late_scan_is_late(client, org, live):
    client.force_login(org.finance_learner)
    with frozen(live.starts_at + 11 * MIN):
        response = client.get(scan_url(live))
    assert b"Checked in (late)" in response.content
    assert Attendance.objects.get().status == "late"


def test_anonymous_scan_logs_in_first_and_keeps_the_scan_time(client, org, live):
    scanned = live.starts_at + 9 * MIN  # present, just before the late threshold
    with frozen(scanned):
        response = client.get(scan_url(live, scanned))
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/login/?next=/en/checkin/done/"
    assert client.session[PENDING_KEY]["event"] == live.pk
    assert not Attendance.objects.exists()

    client.force_login(org.finance_learner)
    # Logging in took 2 minutes: the token has rotated and the late threshold has passed.
    with frozen(scanned + 2 * MIN):
        response = client.get("/en/checkin/done/")
    assert response.status_code == 200 and b"Checked in" in response.content
    row = Attendance.objects.get()
    assert row.status == "present" and row.checked_in_at == scanned
    assert PENDING_KEY not in client.session


def test_the_real_login_form_returns_to_the_scan(client, org, live):
    from tests.conftest import PASSWORD

    client.get(scan_url(live))
    response = client.post(
        "/en/accounts/login/?next=/en/checkin/done/",
        {"login": org.finance_learner.email, "password": PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    assert b"Checked in" in response.content
    assert Attendance.objects.get().user == org.finance_learner


@override_settings(QINGLIAN_CHECKIN_LOGIN_SECONDS=300)
def test_a_scan_kept_too_long_before_login_is_refused(client, org, live):
    scanned = live.starts_at + MIN
    with frozen(scanned):
        client.get(scan_url(live, scanned))
    client.force_login(org.finance_learner)
    with frozen(scanned + datetime.timedelta(seconds=301)):
        response = client.get("/en/checkin/done/")
    assert response.status_code == 400
    assert b"The scan is too old" in response.content
    assert not Attendance.objects.exists()


def test_completion_without_a_scan_is_refused(client, org, live):
    client.force_login(org.finance_learner)
    response = client.get("/en/checkin/done/")
    assert response.status_code == 400
    assert b"There is no scan waiting" in response.content


def test_completion_requires_login(client):
    response = client.get("/en/checkin/done/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda e, now: f"{token_make(event=e, moment=now)[:-3]}AAA", b"is not valid. Scan"),
        (lambda e, now: token_make(event=e, moment=now - 31 * datetime.timedelta(seconds=1)),
         b"has expired"),
        (lambda e, now: token_make(event=e, moment=now + 15 * datetime.timedelta(seconds=1)),
         b"not valid yet"),
        (lambda e, now: "not-a-token", b"not a check-in code"),
        (lambda e, now: "%3Cscript%3E", b"not a check-in code"),
        (lambda e, now: "9999.abc.AAAAAAAAAAAAAAAA", b"belongs to no event"),
    ],
)  # fmt: skip
def test_bad_tokens_are_refused_with_a_message(client, org, live, make, message):
    client.force_login(org.finance_learner)
    now = timezone.now()
    with frozen(now):
        response = client.get(f"/en/checkin/{make(live, now)}/")
    assert response.status_code == 400
    assert message in response.content
    assert not Attendance.objects.exists()


def test_anonymous_bad_token_keeps_nothing_in_the_session(client, live):
    response = client.get("/en/checkin/1.a.AAAAAAAAAAAAAAAA/")
    assert response.status_code == 400
    assert PENDING_KEY not in client.session


def test_before_the_window_says_when_it_opens(client, org, event):
    client.force_login(org.finance_learner)
    response = client.get(scan_url(event))
    assert response.status_code == 403
    opens = timezone.localtime(event.checkin_opens_at)
    assert f"it opens at {opens:%Y-%m-%d %H:%M}".encode() in response.content
    assert not Attendance.objects.exists()


def test_after_the_window_is_closed(client, org, live):
    client.force_login(org.finance_learner)
    after = live.checkin_closes_at + MIN
    with frozen(after):
        response = client.get(scan_url(live, after))
    assert response.status_code == 403 and b"has closed" in response.content
    assert not Attendance.objects.exists()


def test_cancelled_event(client, org, live):
    live.status = EventStatus.CANCELLED
    live.save()
    client.force_login(org.finance_learner)
    response = client.get(scan_url(live))
    assert response.status_code == 403 and b"cancelled" in response.content
    assert not Attendance.objects.exists()


def test_event_cancelled_while_logging_in(client, org, live):
    client.get(scan_url(live))
    live.status = EventStatus.CANCELLED
    live.save()
    client.force_login(org.finance_learner)
    response = client.get("/en/checkin/done/")
    assert response.status_code == 403
    assert not Attendance.objects.exists()


def test_one_phone_two_people_are_flagged(client, org, live):
    client.force_login(org.finance_learner)
    client.get(scan_url(live))
    cookie = client.cookies[DEVICE_COOKIE].value
    client.logout()  # the test client drops every cookie; a phone keeps the device cookie
    client.cookies[DEVICE_COOKIE] = cookie
    client.force_login(org.budget_learner)
    client.get(scan_url(live))
    assert Attendance.objects.filter(shared_device=True).count() == 2


def test_a_forged_device_cookie_is_ignored(client, org, live):
    client.cookies[DEVICE_COOKIE] = "phone-1"  # unsigned: not ours
    client.force_login(org.finance_learner)
    response = client.get(scan_url(live))
    row = Attendance.objects.get()
    assert row.device_id and row.device_id != "phone-1"
    assert DEVICE_COOKIE in response.cookies


def test_walk_in_scan_says_the_trainer_confirms(client, org):
    event = EventFactory(
        audience_unit=org.finance, trainer=org.trainer,
        starts_at=timezone.now().replace(microsecond=0) - 5 * MIN,
    )  # fmt: skip
    client.force_login(org.housing_learner)
    response = client.get(scan_url(event))
    assert b"the trainer will confirm" in response.content
    assert Attendance.objects.get().walk_in
    assert Registration.objects.get().source == "walk_in"


def test_scan_query_counts(
    client, org, live, django_assert_max_num_queries, django_assert_num_queries
):
    from certificates.services.issuing import issuer_default

    issuer_default()  # warm up: the site's settings row is made once, the issuer cached
    client.force_login(org.finance_learner)
    url = scan_url(live)
    # The check-in itself (attendance, ledger, the campaign completed by its only required
    # event with the certificate it issues) and the page around it: session · user · row?
    # · event · person with unit and rank (a new device: no shared-device check) · BEGIN
    # · INSERT · ledger (one INSERT … ON CONFLICT DO NOTHING) · completion? · required
    # events · savepoint · INSERT completion · template · savepoint · INSERT certificate ·
    # serial · release ×2 · COMMIT · session save (3). The issuer's name is cached.
    with django_assert_num_queries(22):
        assert client.get(url).status_code == 200
    # A repeated scan: the session and user, one SELECT of the row with its event, no
    # write but the session's (its UPDATE in a transaction).
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200


def test_scan_query_counts_outside_a_campaign(client, org, django_assert_num_queries):
    event = EventFactory(
        audience_unit=org.city, trainer=org.trainer,
        starts_at=timezone.now().replace(microsecond=0) - 5 * MIN,
    )  # fmt: skip
    client.force_login(org.finance_learner)
    # session · user · row? · event · person with unit and rank (a new device: no
    # shared-device check) · INSERT in a transaction (3) · ledger entry (1) · session
    # save (3); no campaign rule at all.
    with django_assert_num_queries(12):
        response = client.get(scan_url(event))
    assert b"Checked in" in response.content
    assert Attendance.objects.get(event=event).status == "present"


# --- Display and state -------------------------------------------------------------------


def test_trainer_display_shows_code_count_and_missing(client, org, live):
    client.force_login(org.trainer)
    response = client.get(f"/en/events/{live.pk}/checkin/display/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "/checkin/" in html
    assert 'id="checkin-count">0<' in html
    assert f'id="checkin-expected">{event_audience(event=live).count()}<' in html
    assert org.finance_learner.full_name in html and "市财政局" in html
    assert 'http-equiv="refresh"' in html
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_display_link_is_a_working_token(client, org, live):
    import re

    client.force_login(org.trainer)
    html = client.get(f"/en/events/{live.pk}/checkin/display/").content.decode()
    url = re.search(r'id="checkin-url" href="([^"]+)"', html).group(1)
    assert url.startswith("http://testserver/")
    client.force_login(org.finance_learner)
    assert client.get(url.replace("http://testserver", "")).status_code == 200
    assert Attendance.objects.filter(user=org.finance_learner).exists()


def test_state_updates_after_a_check_in(client, org, live):
    client.force_login(org.trainer)
    expected = event_audience(event=live).count()
    state = client.get(f"/en/events/{live.pk}/checkin/state/").json()
    assert set(state) == {
        "open", "qr_svg", "url", "expires_in", "count", "expected", "missing", "walk_ins",
        "flagged",
    }  # fmt: skip
    assert state["open"] and state["qr_svg"].startswith("<svg")
    assert 0 < state["expires_in"] <= 15
    assert (state["count"], state["expected"]) == (0, expected)
    names = [n for g in state["missing"] for n in g["names"]]
    assert org.finance_learner.full_name in names

    from events.services.attendance import attendance_checkin

    attendance_checkin(event=live, user=org.finance_learner, scanned_at=timezone.now())
    state = client.get(f"/en/events/{live.pk}/checkin/state/").json()
    assert state["count"] == 1
    names = [n for g in state["missing"] for n in g["names"]]
    assert org.finance_learner.full_name not in names
    units = [g["unit"] for g in state["missing"]]
    assert units == sorted(set(units), key=units.index)  # each unit once


def test_walk_ins_and_flags_are_counted_apart(client, org):
    from events.services.attendance import attendance_checkin

    event = EventFactory(
        audience_unit=org.finance, trainer=org.trainer,
        starts_at=timezone.now().replace(microsecond=0) - 5 * MIN,
    )  # fmt: skip
    now = timezone.now()
    attendance_checkin(event=event, user=org.housing_learner, scanned_at=now, device_id="p")
    attendance_checkin(event=event, user=org.finance_learner, scanned_at=now, device_id="p")
    client.force_login(org.trainer)
    state = client.get(f"/en/events/{event.pk}/checkin/state/").json()
    assert (state["count"], state["walk_ins"], state["flagged"]) == (1, 1, 2)


def test_display_before_the_window_says_when_it_opens(client, org, event):
    client.force_login(org.trainer)
    response = client.get(f"/en/events/{event.pk}/checkin/display/")
    assert b"Check-in is open from" in response.content
    state = client.get(f"/en/events/{event.pk}/checkin/state/").json()
    assert not state["open"] and state["qr_svg"] == "" and state["url"] == ""


@pytest.mark.parametrize("who", ["housing_admin", "finance_admin"])
def test_display_is_404_for_those_who_do_not_manage_the_event(client, org, live, who):
    client.force_login(getattr(org, who))
    assert client.get(f"/en/events/{live.pk}/checkin/display/").status_code == 404
    assert client.get(f"/en/events/{live.pk}/checkin/state/").status_code == 404


@pytest.mark.parametrize("who", ["finance_learner", "discipline"])
def test_display_is_forbidden_without_a_managing_role(client, org, live, who):
    assert client.get(f"/en/events/{live.pk}/checkin/state/").status_code == 302
    client.force_login(getattr(org, who))
    assert client.get(f"/en/events/{live.pk}/checkin/display/").status_code == 403


def test_city_admin_manages_the_city_event(client, org, live):
    client.force_login(org.city_admin)
    assert client.get(f"/en/events/{live.pk}/checkin/display/").status_code == 200


def count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_display_and_state_query_counts(client, org, live):
    from events.services.attendance import attendance_checkin
    from people.factories import UserFactory

    for user in (org.finance_learner, org.budget_learner, org.housing_learner):
        attendance_checkin(event=live, user=user, scanned_at=timezone.now())
    client.force_login(org.trainer)
    display, state = (
        f"/en/events/{live.pk}/checkin/display/",
        f"/en/events/{live.pk}/checkin/state/",
    )
    client.get(display)  # warm up
    small = (count_queries(client, display), count_queries(client, state))
    assert small[0] <= 14 and small[1] <= 10, small
    # More people in the audience and more check-ins: the same number of queries.
    for i in range(20):
        user = UserFactory(unit=org.housing_office, full_name=f"新人{i}")
        if i % 2:
            attendance_checkin(event=live, user=user, scanned_at=timezone.now())
    assert (count_queries(client, display), count_queries(client, state)) == small
    state = client.get(state).json()
    assert state["expected"] == event_audience(event=live).count()
