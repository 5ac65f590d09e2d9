"""The attendance services: QR check-in (window, late, second scan, walk-ins, shared
devices), roster marks and the study-hour ledger that follows them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from courses.models import LedgerSource, StudyHourEntry
from events.factories import EventFactory
from events.models import (
    Attendance,
    AttendanceMethod,
    AttendanceStatus,
    CampaignCompletion,
    EventStatus,
    Registration,
    RegistrationSource,
)
from events.services import attendance as attendance_services
from events.services.attendance import (
    ALREADY,
    RECORDED,
    REFUSED_CANCELLED,
    REFUSED_CLOSED,
    REFUSED_NOT_OPEN,
    CheckinRefused,
    attendance_checkin,
    attendance_mark,
    attendance_walk_in_confirm,
)
from people.models import User

pytestmark = pytest.mark.django_db
MIN = datetime.timedelta(minutes=1)


def scan(event, user, at, device=""):
    return attendance_checkin(
        event=event, user=user, scanned_at=at, device_id=device, ip="10.0.0.8", user_agent="UA"
    )


def ledger(user):
    return list(StudyHourEntry.objects.filter(user=user, source=LedgerSource.EVENT))


# --- Window and late rules ---------------------------------------------------------------


def test_scan_at_start_is_present_and_earns_the_hours(org, event):
    result = scan(event, org.finance_learner, event.starts_at)
    assert result.outcome == RECORDED
    row = result.attendance
    assert (row.status, row.method, row.walk_in) == ("present", "qr", False)
    assert row.checked_in_at == event.starts_at
    assert str(row.ip_address) == "10.0.0.8"
    (entry,) = ledger(org.finance_learner)
    assert entry.source_key == f"event:{event.pk}"
    assert entry.hours == Decimal("2.0") and entry.required and entry.integrity
    assert entry.year == event.starts_at.year


def test_scan_right_at_the_late_threshold_is_present_one_second_later_late(org, event):
    threshold = event.starts_at + 10 * MIN
    assert scan(event, org.finance_learner, threshold).attendance.status == "present"
    late = scan(event, org.budget_learner, threshold + datetime.timedelta(seconds=1))
    assert late.attendance.status == "late"
    assert len(ledger(org.budget_learner)) == 1  # late still earns the hours


@pytest.mark.parametrize(
    ("offset", "reason"),
    [(-31 * MIN, REFUSED_NOT_OPEN), (3 * 60 * MIN + MIN, REFUSED_CLOSED)],
)
def test_scan_outside_the_window_is_refused_and_writes_nothing(org, event, offset, reason):
    at = event.starts_at + offset
    with pytest.raises(CheckinRefused) as info:
        scan(event, org.finance_learner, at)
    assert info.value.reason == reason
    assert not Attendance.objects.exists() and not ledger(org.finance_learner)


def test_window_edges_are_inside(org, event):
    assert scan(event, org.finance_learner, event.checkin_opens_at).outcome == RECORDED
    assert scan(event, org.budget_learner, event.checkin_closes_at).outcome == RECORDED


def test_cancelled_event_refuses(org, event):
    event.status = EventStatus.CANCELLED
    event.save()
    with pytest.raises(CheckinRefused) as info:
        scan(event, org.finance_learner, event.starts_at)
    assert info.value.reason == REFUSED_CANCELLED
    assert not Attendance.objects.exists()


# --- Second scan -------------------------------------------------------------------------


def test_second_scan_changes_nothing(org, event):
    first = scan(event, org.finance_learner, event.starts_at).attendance
    again = scan(event, org.finance_learner, event.starts_at + 30 * MIN, device="other")
    assert again.outcome == ALREADY
    assert again.attendance.pk == first.pk
    row = Attendance.objects.get()
    assert row.status == "present" and row.checked_in_at == event.starts_at
    assert row.device_id == "" and not row.shared_device
    assert len(ledger(org.finance_learner)) == 1


def test_losing_the_insert_race_reads_the_winners_row(org, event, monkeypatch):
    """The concurrent second insert: our SELECT saw nothing, the INSERT hits the
    constraint; the result is "already", with the winner's row."""
    winner = Attendance.objects.create(
        event=event, user=org.finance_learner, status="present", method="qr",
        checked_in_at=event.starts_at,
    )  # fmt: skip
    real_first = attendance_services.first_unordered
    calls = {"n": 0}

    def none_once(queryset):
        calls["n"] += 1
        return None if calls["n"] == 1 else real_first(queryset)

    monkeypatch.setattr(attendance_services, "first_unordered", none_once)
    result = scan(event, org.finance_learner, event.starts_at + 20 * MIN)
    assert result.outcome == ALREADY and result.attendance.pk == winner.pk
    assert Attendance.objects.count() == 1


def test_the_constraint_holds_one_row(org, event):
    scan(event, org.finance_learner, event.starts_at)
    with pytest.raises(IntegrityError):
        Attendance.objects.create(event=event, user=org.finance_learner, status="late", method="qr")


# --- Walk-ins ----------------------------------------------------------------------------


@pytest.fixture
def finance_event(org):
    """An event for the finance bureau only: housing people are outside the audience."""
    return EventFactory(audience_unit=org.finance, trainer=org.trainer)


def test_outside_the_audience_is_a_walk_in_that_counts_once_confirmed(org, finance_event):
    event = finance_event
    result = scan(event, org.housing_learner, event.starts_at)
    row = result.attendance
    assert result.outcome == RECORDED and row.walk_in and row.walk_in_confirmed_at is None
    assert not row.attended
    reg = Registration.objects.get(event=event, user=org.housing_learner)
    assert reg.source == RegistrationSource.WALK_IN
    assert not ledger(org.housing_learner)

    confirmed = attendance_walk_in_confirm(attendance=row, by=org.trainer)
    assert confirmed.walk_in_confirmed_at is not None and confirmed.attended
    assert confirmed.marked_by == org.trainer
    assert len(ledger(org.housing_learner)) == 1
    again = attendance_walk_in_confirm(attendance=row, by=org.finance_admin)
    assert again.walk_in_confirmed_at == confirmed.walk_in_confirmed_at
    assert again.marked_by == org.trainer


def test_a_registered_person_outside_the_audience_is_not_a_walk_in(org, finance_event):
    event = finance_event
    Registration.objects.create(event=event, user=org.housing_learner, source="self")
    row = scan(event, org.housing_learner, event.starts_at).attendance
    assert not row.walk_in and row.attended


def test_a_cancelled_registration_makes_a_walk_in(org, finance_event):
    event = finance_event
    Registration.objects.create(
        event=event, user=org.housing_learner, source="self", cancelled_at=event.starts_at
    )
    assert scan(event, org.housing_learner, event.starts_at).attendance.walk_in


# --- Shared devices ----------------------------------------------------------------------


def test_a_device_used_by_two_people_flags_both(org, event):
    a = scan(event, org.finance_learner, event.starts_at, device="phone-1").attendance
    assert not a.shared_device
    b = scan(event, org.budget_learner, event.starts_at + MIN, device="phone-1").attendance
    assert b.shared_device
    a.refresh_from_db()
    assert a.shared_device
    c = scan(event, org.housing_learner, event.starts_at + MIN, device="phone-2").attendance
    assert not c.shared_device
    # A third person on the first phone: all three on it are flagged.
    d = scan(event, org.city_admin, event.starts_at + 2 * MIN, device="phone-1").attendance
    assert d.shared_device
    assert Attendance.objects.filter(shared_device=True).count() == 3


def test_the_same_device_at_another_event_is_not_flagged(org, event):
    other = EventFactory(
        audience_unit=org.city, trainer=org.trainer, starts_at=event.starts_at,
        ends_at=event.ends_at, checkin_opens_at=event.checkin_opens_at,
        checkin_closes_at=event.checkin_closes_at,
    )  # fmt: skip
    scan(event, org.finance_learner, event.starts_at, device="phone-1")
    row = scan(other, org.budget_learner, event.starts_at, device="phone-1").attendance
    assert not row.shared_device


# --- Roster marks and the ledger ---------------------------------------------------------


def test_mark_creates_updates_and_is_idempotent(org, event):
    user = org.finance_learner
    row = attendance_mark(event=event, user=user, status="present", by=org.trainer, method="roster")
    assert row.method == "roster" and row.marked_by == org.trainer
    assert len(ledger(user)) == 1
    updated_at = row.updated_at
    again = attendance_mark(
        event=event, user=user, status="present", by=org.city_admin, method="roster"
    )
    assert again.updated_at == updated_at and again.marked_by == org.trainer
    assert Attendance.objects.count() == 1 and len(ledger(user)) == 1


def test_correction_to_absent_removes_the_ledger_entry_and_back_restores_it(org, event):
    user = org.finance_learner
    scan(event, user, event.starts_at)
    assert len(ledger(user)) == 1
    row = attendance_mark(event=event, user=user, status="absent", by=org.trainer, method="roster")
    assert row.status == "absent" and row.method == "roster"
    assert row.checked_in_at == event.starts_at  # the scan time is kept
    assert ledger(user) == []
    attendance_mark(event=event, user=user, status="late", by=org.trainer, method="roster")
    assert len(ledger(user)) == 1


def test_excused_does_not_earn_hours(org, event):
    attendance_mark(
        event=event, user=org.finance_learner, status="excused", by=org.finance_admin,
        method=AttendanceMethod.LEAVE, note="出差",
    )  # fmt: skip
    row = Attendance.objects.get()
    assert row.note == "出差" and not row.attended
    assert ledger(org.finance_learner) == []


def test_other_ledger_entries_are_untouched(org, event):
    user = org.finance_learner
    StudyHourEntry.objects.create(
        user=user, year=2026, hours=Decimal("1.0"), source=LedgerSource.COURSE,
        source_key="course:1", title="课程",
    )  # fmt: skip
    attendance_mark(event=event, user=user, status="present", by=org.trainer, method="roster")
    attendance_mark(event=event, user=user, status="absent", by=org.trainer, method="roster")
    assert StudyHourEntry.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("status", "method"), [("gone", "roster"), ("present", "qr"), ("present", "x")]
)
def test_bad_mark_is_refused(org, event, status, method):
    with pytest.raises(ValidationError):
        attendance_mark(
            event=event, user=org.finance_learner, status=status, by=org.trainer, method=method
        )
    assert not Attendance.objects.exists()


def test_marking_an_unconfirmed_walk_in_present_does_not_count_it(org, finance_event):
    row = scan(finance_event, org.housing_learner, finance_event.starts_at).attendance
    attendance_mark(
        event=finance_event,
        user=org.housing_learner,
        status="late",
        by=org.trainer,
        method="roster",
    )
    row.refresh_from_db()
    assert row.walk_in and not row.attended and not ledger(org.housing_learner)


def test_attending_the_only_required_event_completes_the_campaign(org, event):
    scan(event, org.finance_learner, event.starts_at)
    assert CampaignCompletion.objects.filter(
        campaign=event.campaign, user=org.finance_learner
    ).exists()


def test_completion_is_evaluated_after_a_roster_mark(org, event, monkeypatch):
    calls = []
    monkeypatch.setattr(
        attendance_services, "campaign_completion_evaluate",
        lambda *, user, campaign, attendance: calls.append((user.pk, campaign.pk, attendance)),
    )  # fmt: skip
    row = attendance_mark(
        event=event, user=org.budget_learner, status="present", by=org.trainer, method="roster"
    )
    assert calls == [(org.budget_learner.pk, event.campaign_id, row)]


def test_an_optional_event_does_not_evaluate_the_campaign(org, campaign, event, monkeypatch):
    """Only required events count towards a campaign: attending an optional one cannot
    complete it, so the rule is not even asked (and nothing is recorded)."""
    optional = EventFactory(
        campaign=campaign, audience_unit=org.city, trainer=org.trainer, required=False,
        starts_at=event.starts_at, ends_at=event.ends_at,
        checkin_opens_at=event.checkin_opens_at, checkin_closes_at=event.checkin_closes_at,
    )  # fmt: skip
    calls = []
    monkeypatch.setattr(
        attendance_services, "campaign_completion_evaluate",
        lambda **kwargs: calls.append(kwargs),
    )  # fmt: skip
    assert scan(optional, org.finance_learner, event.starts_at).created
    attendance_mark(
        event=optional, user=org.budget_learner, status="present", by=org.trainer,
        method="roster",
    )  # fmt: skip
    assert calls == []
    assert scan(event, org.finance_learner, event.starts_at).created
    assert len(calls) == 1


def queries_of(fn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return result, [q["sql"] for q in ctx.captured_queries]


def test_query_counts_of_a_scan(org, campaign, event):
    """What one scan costs: a repeat is one SELECT; a new row at an event outside any
    campaign is the person (with unit, rank and the device check), the INSERT and the
    ledger entry; a new row that does not complete the campaign adds four reads."""
    from qinglian.pdf import organisation_name

    organisation_name()  # the site's settings row is made once, before the first certificate
    loose = EventFactory(
        audience_unit=org.city, trainer=org.trainer, starts_at=event.starts_at,
        ends_at=event.ends_at, checkin_opens_at=event.checkin_opens_at,
        checkin_closes_at=event.checkin_closes_at,
    )  # fmt: skip
    second = EventFactory(campaign=campaign, audience_unit=org.city, trainer=org.trainer)
    at = event.starts_at
    # user (+unit, rank, device) · savepoint · INSERT · ledger (one INSERT … ON CONFLICT DO
    # NOTHING) · release · and the repeat check first.
    result, sql = queries_of(lambda: scan(loose, org.finance_learner, at, device="p1"))
    assert result.created and len(sql) == 6, sql
    result, sql = queries_of(lambda: scan(loose, org.finance_learner, at, device="p1"))
    assert result.outcome == ALREADY and len(sql) == 1, sql
    # In the campaign, one required event still missing: + completion check, required
    # events, the person's other attendance, their make-ups (the campaign is not reloaded).
    user = User.objects.get(pk=org.finance_learner.pk)
    result, sql = queries_of(lambda: scan(event, user, at, device="p1"))
    assert result.created and len(sql) == 6 + 4, sql
    assert not CampaignCompletion.objects.exists()
    # The last required event: the row just written is not read again, no make-up is read
    # (every event attended) and the completion with its certificate is recorded.
    attend_second = lambda: scan(second, user, second.starts_at, device="p1")  # noqa: E731
    result, sql = queries_of(attend_second)
    assert result.created and CampaignCompletion.objects.filter(user=user).exists()
    assert not any("events_makeup" in q for q in sql), sql
    reads = [q for q in sql if q.startswith('SELECT "events_attendance"') and " IN (" in q]
    assert len(reads) == 1 and f"IN ({event.pk})" in reads[0], sql  # the other event only


def test_a_row_the_caller_read_is_not_read_again(org):
    """The scan view reads the person's row with the event: a repeat then costs no query
    here, a first scan skips the repeat check, and a device id minted for this scan skips
    the shared-device check (no other row can carry it)."""
    event = EventFactory(audience_unit=org.city, trainer=org.trainer)
    at = event.starts_at
    first = lambda: attendance_checkin(  # noqa: E731
        event=event, user=org.finance_learner, scanned_at=at, device_id="fresh",
        existing=None, device_new=True,
    )  # fmt: skip
    result, sql = queries_of(first)
    assert result.created and result.attendance.device_id == "fresh"
    assert not any(q.startswith('SELECT "events_attendance"') for q in sql), sql
    assert not any("EXISTS" in q for q in sql), sql
    again = lambda: attendance_checkin(  # noqa: E731
        event=event, user=org.finance_learner, scanned_at=at, existing=result.attendance
    )
    repeat, sql = queries_of(again)
    assert repeat.outcome == ALREADY and repeat.attendance == result.attendance and sql == []


def test_a_stale_no_row_still_gives_one_row(org):
    """``existing=None`` read before a concurrent scan inserted the row: the constraint
    refuses the second INSERT and the scan reports the row already there."""
    event = EventFactory(audience_unit=org.city, trainer=org.trainer)
    winner = scan(event, org.finance_learner, event.starts_at)
    late = attendance_checkin(
        event=event, user=org.finance_learner, scanned_at=event.starts_at, existing=None
    )
    assert late.outcome == ALREADY and late.attendance == winner.attendance
    assert Attendance.objects.filter(event=event).count() == 1
    assert len(ledger(org.finance_learner)) == 1


def test_status_for_scan_uses_late_after_minutes(org):
    event = EventFactory(audience_unit=org.city, trainer=org.trainer, late_after_minutes=0)
    assert (
        scan(event, org.finance_learner, event.starts_at).attendance.status
        == AttendanceStatus.PRESENT
    )
    assert (
        scan(
            event, org.budget_learner, event.starts_at + datetime.timedelta(seconds=1)
        ).attendance.status
        == AttendanceStatus.LATE
    )
