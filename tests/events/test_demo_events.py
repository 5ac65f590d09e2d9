"""The demo's education month, built on the demo organisation only (no cases, courses or
quizzes, so it stays fast): counts, the ledger written by attendance, leave and make-up,
the check-in event of today, and a second run that adds nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from courses.factories import CourseIndexPageFactory, CoursePageFactory, LessonPageFactory
from courses.models import LedgerSource, StudyHourEntry
from events.demo import demo_events_build
from events.models import (
    ATTENDED,
    ActionKind,
    ActionReport,
    Attendance,
    AttendanceStatus,
    Campaign,
    CampaignAction,
    Event,
    LeaveRequest,
    LeaveStatus,
    MakeUp,
    Registration,
)
from people.models import RankLevel
from qinglian.management.commands.build_demo import DOMAIN, Command
from qinglian.models import HomePage

pytestmark = pytest.mark.django_db


def _demo_org() -> None:
    command = Command()
    units = command._units()
    ranks = {r.code: r for r in RankLevel.objects.all()}
    command._people(units, ranks)
    command._logins(units, ranks)
    # The make-up lesson the demo looks for (the demo courses would provide it).
    index = CourseIndexPageFactory(parent=HomePage.objects.get(), slug="courses")
    course = CoursePageFactory(parent=index, title="《中国共产党纪律处分条例》学习", slug="jlcftl")
    LessonPageFactory(
        parent=course, title="第一课 条例修订的背景和总体要求", slug="jlcftl-overview"
    )


def _counts() -> dict[str, int]:
    return {
        "campaigns": Campaign.objects.count(),
        "actions": CampaignAction.objects.count(),
        "reports": ActionReport.objects.count(),
        "events": Event.objects.count(),
        "registrations": Registration.objects.count(),
        "attendance": Attendance.objects.count(),
        "leave": LeaveRequest.objects.count(),
        "makeups": MakeUp.objects.count(),
        "ledger": StudyHourEntry.objects.filter(source=LedgerSource.EVENT).count(),
    }


def test_demo_events(django_capture_on_commit_callbacks):
    _demo_org()
    with django_capture_on_commit_callbacks(execute=True):
        result = demo_events_build(domain=DOMAIN)
    assert result["events"] == 6 and result["created"] == 6

    campaign = Campaign.objects.get()
    year = timezone.localdate().year
    assert campaign.title == f"{year}年党风廉政建设宣传教育月"
    assert campaign.audience_unit.code == "SZ"
    assert campaign.actions.filter(kind=ActionKind.REQUIRED).count() == 4
    assert campaign.actions.filter(kind=ActionKind.CHOSEN).count() == 3
    assert ActionReport.objects.count() == 7

    events = list(Event.objects.order_by("starts_at"))
    assert len({e.kind for e in events}) == 6
    now = timezone.now()
    past = [e for e in events if e.ends_at < now]
    assert len(past) == 3

    # Attendance of the past events: present, late, absent and an approved leave; every
    # attended row has its ledger entry, and nobody else has one.
    statuses = set(Attendance.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in AttendanceStatus}
    for event in past:
        registered = Registration.objects.filter(event=event).count()
        assert registered > 0
        assert Attendance.objects.filter(event=event).count() == registered
        attended = set(
            Attendance.objects.filter(event=event, status__in=ATTENDED).values_list(
                "user_id", flat=True
            )
        )
        ledger = set(
            StudyHourEntry.objects.filter(source_key=f"event:{event.pk}").values_list(
                "user_id", flat=True
            )
        )
        assert ledger == attended and attended

    approved = LeaveRequest.objects.filter(status=LeaveStatus.APPROVED)
    assert approved.count() == 2
    assert MakeUp.objects.filter(completed_at__isnull=False).count() == 1
    assert MakeUp.objects.filter(completed_at__isnull=True).count() == 1
    for leave in approved:
        row = Attendance.objects.get(event=leave.event, user=leave.user)
        assert row.status == AttendanceStatus.EXCUSED
    pending = LeaveRequest.objects.get(status=LeaveStatus.PENDING)
    assert pending.event.starts_at > now

    # Today's event, run by the demo trainer, is open for check-in now.
    today = [e for e in events if e.checkin_opens_at <= now < e.checkin_closes_at]
    assert len(today) == 1
    assert today[0].trainer.email == f"trainer@{DOMAIN}"
    assert Registration.objects.filter(event=today[0]).count() > 30  # registered on commit

    counts = _counts()
    with django_capture_on_commit_callbacks(execute=True):
        again = demo_events_build(domain=DOMAIN)
    assert again["created"] == 0 and again["actions"] == 0
    assert _counts() == counts
