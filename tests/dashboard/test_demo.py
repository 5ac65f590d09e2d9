"""The size-M demo builder (``dashboard.demo``) at a small size, and ``build_demo --size``."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from courses.models import CourseCompletion, Enrolment, StudyHourEntry
from dashboard.demo import demo_bulk_build
from events.models import Attendance, Registration
from people.models import OrgUnit, User
from quizzes.models import Attempt
from talks.models import Appointment

pytestmark = pytest.mark.django_db

DOMAIN = "m.example.gov.cn"


def _build(org, **kwargs):
    args = {
        "people": 200,
        "enrolments": 2000,
        "year": timezone.localdate().year,
        "domain": DOMAIN,
        "under": org.city,
    }
    args.update(kwargs)
    return demo_bulk_build(**args)


def _rows() -> tuple[int, ...]:
    return (
        OrgUnit.objects.count(),
        User.objects.count(),
        Enrolment.objects.count(),
        CourseCompletion.objects.count(),
        StudyHourEntry.objects.count(),
        Attempt.objects.count(),
        Registration.objects.count(),
        Attendance.objects.count(),
        Appointment.objects.count(),
    )


def test_builds_the_counts_asked_and_a_second_run_adds_nothing(org):
    units_before = OrgUnit.objects.count()
    counts = _build(org)
    assert counts["created"] is True
    assert counts["people"] == 200
    assert counts["enrolments"] == 2000
    people = User.objects.filter(email__endswith=f"@{DOMAIN}")
    assert people.count() == 200
    assert Enrolment.objects.filter(user__in=people, required=True).count() == 2000
    # 4 districts x 5 bureaus x 4 sections, under the given unit.
    assert OrgUnit.objects.count() - units_before == counts["units"] == 4 + 20 + 80
    assert not people.filter(unit=None).exists()
    assert all(p.unit.path.startswith(org.city.path) for p in people.select_related("unit"))
    assert set(people.values_list("rank_level__code", flat=True)) >= {"KY", "FKJ", "ZKJ"}
    assert all(
        "\u4e00" <= name[0] <= "\u9fff" for name in people.values_list("full_name", flat=True)
    )

    rows = _rows()
    again = _build(org)
    assert again["created"] is False and again["people"] == again["enrolments"] == 0
    assert _rows() == rows


def test_history_is_plausible(org):
    """About 65 % completed (each with its completion and ledger row), some overdue,
    submitted attempts with a pass flag that follows the score, a few appointments."""
    today = timezone.localdate()
    counts = _build(org)
    enrolments = Enrolment.objects.filter(user__email__endswith=f"@{DOMAIN}")
    done = enrolments.exclude(completed_at=None)
    assert 0.5 <= done.count() / 2000 <= 0.8
    assert counts["completions"] == done.count()
    assert (
        CourseCompletion.objects.filter(user__email__endswith=f"@{DOMAIN}").count() == done.count()
    )
    assert (
        StudyHourEntry.objects.filter(source="course", user__email__endswith=f"@{DOMAIN}").count()
        == done.count()
    )
    overdue = enrolments.filter(completed_at=None, due_date__lt=today).count()
    assert 0 < overdue < 2000 * 0.45
    assert not enrolments.filter(completed_at__gt=timezone.now()).exists()
    assert not enrolments.filter(enrolled_at__gt=timezone.now()).exists()
    # ~10 different courses per person: one enrolment per person and course.
    assert enrolments.values("course").distinct().count() >= 10

    attempts = Attempt.objects.filter(user__email__endswith=f"@{DOMAIN}")
    assert counts["attempts"] == attempts.count() > 0
    assert not attempts.exclude(status="submitted").exists()
    for attempt in attempts.select_related("quiz")[:50]:
        assert attempt.passed == (attempt.percent >= attempt.quiz.pass_percent)
        assert 40 <= attempt.percent <= 100

    appointments = Appointment.objects.filter(note="演示数据")
    assert appointments.count() == counts["appointments"] >= 3
    for appointment in appointments:
        assert appointment.take_office_date >= appointment.decision_date
        assert appointment.steps.count() == 4


def test_study_hours_vary_around_the_requirement(org):
    from courses.selectors.learning import hours_summary

    year = timezone.localdate().year
    _build(org)
    people = User.objects.filter(email__endswith=f"@{DOMAIN}").order_by("pk")
    met = 0
    for person in people:
        summary = hours_summary(user=person, year=year)
        met += (
            summary.total >= summary.total_target and summary.integrity >= summary.integrity_target
        )
    assert 0.5 <= met / 200 <= 0.9


def test_the_same_seed_gives_the_same_people(org, django_db_blocker):
    first = _build(org, people=30, enrolments=150)
    assert first["created"]
    names = list(
        User.objects.filter(email__endswith=f"@{DOMAIN}")
        .order_by("employee_number")
        .values_list("employee_number", "full_name", "unit__code", "rank_level__code")
    )
    Appointment.objects.filter(person__email__endswith=f"@{DOMAIN}").delete()
    User.objects.filter(email__endswith=f"@{DOMAIN}").delete()
    again = _build(org, people=30, enrolments=150)
    assert again["created"]
    assert names == list(
        User.objects.filter(email__endswith=f"@{DOMAIN}")
        .order_by("employee_number")
        .values_list("employee_number", "full_name", "unit__code", "rank_level__code")
    )
    # One generated population per database: another domain is skipped while it exists.
    assert not _build(org, people=30, enrolments=150, domain="other.example.gov.cn")["created"]
    Appointment.objects.filter(person__email__endswith=f"@{DOMAIN}").delete()
    User.objects.filter(email__endswith=f"@{DOMAIN}").delete()
    other = _build(org, people=30, enrolments=150, seed=7, domain="other.example.gov.cn")
    assert other["created"]
    other_names = list(
        User.objects.filter(email__endswith="@other.example.gov.cn")
        .order_by("employee_number")
        .values_list("full_name", flat=True)
    )
    assert other_names != [n for _e, n, _u, _r in names]


def test_education_month_history_for_started_events(org):
    from events.factories import CampaignFactory, EventFactory

    now = timezone.now()
    campaign = CampaignFactory(audience_unit=org.city, year=now.year)
    event = EventFactory(
        campaign=campaign,
        audience_unit=org.city,
        trainer=org.trainer,
        starts_at=now - datetime.timedelta(days=3),
    )
    EventFactory(
        campaign=campaign,
        audience_unit=org.city,
        trainer=org.trainer,
        starts_at=now + datetime.timedelta(days=3),
    )
    counts = _build(org)
    assert counts["registrations"] == Registration.objects.filter(event=event).count() > 100
    assert counts["attendance"] == Attendance.objects.filter(event=event).count() > 50
    assert Registration.objects.filter(event__starts_at__gt=now).count() == 0


def test_build_demo_refuses_an_unknown_size():
    with pytest.raises(CommandError):
        call_command("build_demo", "--size", "XL", stdout=StringIO(), stderr=StringIO())


def test_history_for_the_small_demo_gives_overdue_courses_and_met_hours(org):
    """``demo_history_build`` (the small demo's finance bureau): an assignment past its
    due date, some of it completed through the services, the rest overdue; about half
    the people meet their hours. A second run adds nothing."""
    from courses.factories import CourseIndexPageFactory, CoursePageFactory, LessonPageFactory
    from courses.models import Assignment
    from courses.selectors.learning import hours_summary
    from dashboard.demo import HISTORY_COURSE, demo_history_build
    from qinglian.models import HomePage

    index = CourseIndexPageFactory(parent=HomePage.objects.get())
    course = CoursePageFactory(parent=index, slug=HISTORY_COURSE, kind="warning")
    LessonPageFactory(parent=course)
    year = timezone.localdate().year
    if timezone.localdate() <= datetime.date(year, 1, 1):
        pytest.skip("nothing can be overdue on the first day of the year")
    counts = demo_history_build(domain="example.gov.cn", year=year)
    people = User.objects.filter(unit__path__startswith=org.finance.path, is_active=True)
    assert counts["enrolments"] == people.count() == 4
    assignment = Assignment.objects.get(course=course, unit=org.finance)
    assert assignment.due_date < timezone.localdate()
    enrolments = Enrolment.objects.filter(assignment=assignment)
    assert enrolments.exclude(completed_at=None).count() == counts["completed"]
    assert enrolments.filter(completed_at=None).count() == 4 - counts["completed"]
    met = [hours_summary(user=p, year=year) for p in people]
    assert any(s.total >= s.total_target and s.integrity >= s.integrity_target for s in met)
    # Nobody outside the finance bureau is touched.
    assert not Enrolment.objects.exclude(user__in=people).exists()

    rows = _rows()
    assert demo_history_build(domain="example.gov.cn", year=year) == {
        "enrolments": 0,
        "completed": 0,
        "ledger": 0,
    }
    assert _rows() == rows
