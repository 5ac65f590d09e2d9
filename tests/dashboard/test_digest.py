"""The weekly digest for unit admins: each admin's scope only, once per admin and week
whatever the reruns, retries or concurrent runs, nothing for an admin with nothing to
report, in the admin's language, and read in a constant number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.factories import CourseIndexPageFactory, CoursePageFactory
from courses.models import CoursePage, Enrolment
from dashboard.services import digest as digest_module
from dashboard.services.digest import (
    DIGEST_SECTION_LINES,
    digest_admin_paths,
    digest_data_collect,
    digest_key,
    weekly_digest_send,
)
from events.factories import EventFactory
from events.models import Event, EventStatus
from notifications.models import Notification
from people.factories import UserFactory, rank
from people.models import Role
from people.services import role_grant
from qinglian.models import HomePage
from talks.factories import AppointmentFactory
from talks.models import Appointment, AppointmentStatus
from tests.concurrency import in_threads, needs_pg

TODAY = datetime.date(2026, 6, 10)  # a Wednesday of ISO week 24
WEEK = "dashboard-digest:2026-W24"


def on(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def at(n: int, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(on(n), datetime.time(hour)))


@pytest.fixture
def course_index(db):
    return CourseIndexPageFactory(parent=HomePage.objects.get())


@pytest.fixture
def course(course_index):
    def _course(title: str) -> CoursePage:
        return CoursePageFactory(parent=course_index, title=title)

    return _course


def enrol(user, course, *, due_date, required=True, completed=False) -> Enrolment:
    return Enrolment.objects.create(
        user=user,
        course=course,
        required=required,
        due_date=due_date,
        completed_at=timezone.now() if completed else None,
    )


def event(org, *, unit, starts_at, title, venue="机关三楼会议室", **kwargs) -> Event:
    return EventFactory(
        audience_unit=unit,
        trainer=org.trainer,
        starts_at=starts_at,
        title=title,
        venue=venue,
        **kwargs,
    )


def appoint(person, *, unit, take_office, **kwargs) -> Appointment:
    return AppointmentFactory(
        person=person,
        unit=unit,
        rank_level=rank("FKJ"),
        decision_date=take_office - datetime.timedelta(days=30),
        take_office_date=take_office,
        **kwargs,
    )


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the digest as the weekly task would, e-mails (sent on commit) included."""

    def _run(today=TODAY) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return weekly_digest_send(today=today)

    return _run


def digest_of(user) -> Notification:
    return Notification.objects.get(user=user, key=WEEK)


def receivers(key=WEEK) -> set[int]:
    return set(Notification.objects.filter(key=key).values_list("user_id", flat=True))


@pytest.fixture
def scene(org, course):
    """One thing per section in finance (budget section) and in housing, plus what must
    never show (too old, too far ahead, completed, optional, cancelled, cleared, gone)."""
    finance_course = course("财政局必修课")
    housing_course = course("住建局必修课")
    city_course = course("全市必修课")
    # (1) new overdue
    enrol(org.budget_learner, finance_course, due_date=on(-3))
    enrol(org.housing_learner, housing_course, due_date=on(-2))
    enrol(org.finance_learner, finance_course, due_date=on(-8))  # overdue since last week
    enrol(org.finance_learner, housing_course, due_date=on(-1), completed=True)
    enrol(org.finance_learner, course("选修课"), due_date=on(-1), required=False)
    gone = UserFactory(full_name="离职人员", unit=org.finance, is_active=False)
    enrol(gone, finance_course, due_date=on(-1))
    # (2) upcoming deadlines: the city course is due in 5 days for three people
    for person in (org.finance_learner, org.budget_learner, org.housing_learner):
        enrol(person, city_course, due_date=on(5))
    enrol(org.finance_admin, city_course, due_date=on(14))  # beyond the 14 days
    # (3) events
    event(org, unit=org.city, starts_at=at(3, 14), title="全市警示教育大会", venue="市委礼堂")
    event(org, unit=org.housing, starts_at=at(4), title="住建局廉政党课")
    event(org, unit=org.finance_budget, starts_at=at(2), title="预算科专题学习", venue="")
    event(org, unit=org.city, starts_at=at(14), title="两周后的讲座")
    event(org, unit=org.city, starts_at=at(-1), title="昨天的讲座")
    event(org, unit=org.finance, starts_at=at(1), title="取消的讲座", status=EventStatus.CANCELLED)
    # (4) appointees
    appoint(org.budget_learner, unit=org.finance_budget, take_office=on(-1))
    appoint(org.finance_learner, unit=org.finance, take_office=on(10), position_title="科长")
    appoint(org.housing_learner, unit=org.housing_office, take_office=on(20))
    cleared = UserFactory(full_name="已通过人员", unit=org.finance)
    appoint(
        cleared,
        unit=org.finance,
        take_office=on(3),
        status=AppointmentStatus.CLEARED,
        cleared_at=timezone.now(),
    )
    appoint(gone, unit=org.finance, take_office=on(3))
    return org


def test_each_admin_gets_their_own_scope(scene, run) -> None:
    org = scene
    assert run() == 3  # finance, housing and city admins
    assert receivers() == {org.finance_admin.pk, org.housing_admin.pk, org.city_admin.pk}

    finance = digest_of(org.finance_admin)
    assert finance.kind == "dashboard-digest"
    assert finance.url == "/dashboard/"
    assert "24" in finance.title
    body = finance.body
    # (1) the budget section's overdue person, never the housing one nor older/closed ones
    assert "李四" in body and "财政局必修课" in body and on(-3).isoformat() in body
    assert "王五" not in body and "住建局必修课" not in body
    assert on(-8).isoformat() not in body and "选修课" not in body and "离职人员" not in body
    # (2) the city course due in 5 days, (3) the city-wide and budget events, (4) both
    # finance appointees
    assert "全市必修课" in body and on(5).isoformat() in body and on(14).isoformat() not in body
    assert (
        "全市警示教育大会" in body and "市委礼堂" in body and f"{on(3).isoformat()} 14:00" in body
    )
    assert "预算科专题学习" in body
    assert "住建局廉政党课" not in body
    assert "两周后的讲座" not in body and "昨天的讲座" not in body and "取消的讲座" not in body
    assert "张三丰" in body and "科长" in body and on(10).isoformat() in body
    assert "已通过人员" not in body
    # overdue appointee (took office yesterday) listed before the pending one
    assert body.index(on(-1).isoformat()) < body.index(on(10).isoformat())

    housing = digest_of(org.housing_admin).body
    assert "王五" in housing and "住建局必修课" in housing and "住建局廉政党课" in housing
    assert "全市警示教育大会" in housing
    assert "李四" not in housing and "预算科专题学习" not in housing and "张三丰" not in housing

    city = digest_of(org.city_admin).body
    for text in ("李四", "王五", "张三丰", "全市警示教育大会", "住建局廉政党课", "预算科专题学习"):
        assert text in city

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [org.finance_admin.email, org.housing_admin.email, org.city_admin.email]
    )
    assert all("李四" in m.body for m in mail.outbox if m.to == [org.finance_admin.email])


def test_the_figures_per_section(scene) -> None:
    org = scene
    data = digest_data_collect(today=TODAY)
    finance = data.for_paths([org.finance.path])
    assert finance.overdue_people == 1
    assert [(d.course, d.due_date, d.people) for d in finance.deadlines] == [
        ("全市必修课", on(5), 2)
    ]
    assert [e.title for e in finance.events] == ["预算科专题学习", "全市警示教育大会"]
    assert [a.take_office_date for a in finance.appointees] == [on(-1), on(10)]
    assert finance.appointees_overdue == 1

    city = data.for_paths([org.city.path])
    assert city.overdue_people == 2
    assert [(d.course, d.people) for d in city.deadlines] == [("全市必修课", 3)]
    assert len(city.events) == 3
    assert [a.take_office_date for a in city.appointees] == [on(-1), on(10), on(20)]

    # Two units of one admin: each event once.
    both = data.for_paths([org.finance_budget.path, org.housing_office.path])
    assert sorted(e.title for e in both.events) == sorted(
        ["预算科专题学习", "全市警示教育大会", "住建局廉政党课"]
    )


def test_long_sections_are_cut_with_a_count_of_the_rest(org, course, run) -> None:
    lesson = course("批量课程")
    for i in range(DIGEST_SECTION_LINES + 3):
        person = UserFactory(full_name=f"逾期人员{i:02d}", unit=org.housing_office)
        enrol(person, lesson, due_date=on(-1))
    assert run() == 2  # housing and city admins
    body = digest_of(org.housing_admin).body
    listed = [line for line in body.splitlines() if "逾期人员" in line]
    assert len(listed) == DIGEST_SECTION_LINES
    assert "3" in body.splitlines()[-1]  # "… and 3 more."


def test_nothing_to_report_sends_nothing(org, course, run) -> None:
    assert run() == 0
    # Only housing has something: the finance admin gets no empty digest.
    enrol(org.housing_learner, course("住建局必修课"), due_date=on(-1))
    assert run() == 2
    assert receivers() == {org.housing_admin.pk, org.city_admin.pk}
    assert len(mail.outbox) == 2


def test_once_per_week_however_often_it_runs(scene, run) -> None:
    org = scene
    assert run() == 3
    assert run() == 0
    assert run(today=on(2)) == 0  # Friday of the same week
    assert Notification.objects.count() == 3
    assert len(mail.outbox) == 3
    # The next week: a new digest for everyone (still something to report).
    assert run(today=on(5)) == 3
    assert digest_key(today=on(5)) == "dashboard-digest:2026-W25"
    assert receivers("dashboard-digest:2026-W25") == receivers()
    assert len(mail.outbox) == 6
    assert org.finance_admin.notifications.count() == 2


def test_iso_week_key_at_the_turn_of_the_year() -> None:
    assert digest_key(today=datetime.date(2026, 12, 31)) == "dashboard-digest:2026-W53"
    assert digest_key(today=datetime.date(2027, 1, 1)) == "dashboard-digest:2026-W53"
    assert digest_key(today=datetime.date(2027, 1, 4)) == "dashboard-digest:2027-W01"


def test_a_retry_after_a_failure_sends_the_rest_exactly_once(scene, run, monkeypatch) -> None:
    org = scene
    real = digest_module.notification_send
    failed: list[int] = []

    def flaky(*, user, **kwargs):
        if user.pk == org.housing_admin.pk and not failed:
            failed.append(user.pk)
            raise OperationalError("connection lost")
        return real(user=user, **kwargs)

    monkeypatch.setattr(digest_module, "notification_send", flaky)
    with pytest.raises(OperationalError):
        run()
    # The others were sent all the same; the failed one is missing.
    assert receivers() == {org.finance_admin.pk, org.city_admin.pk}
    assert len(mail.outbox) == 2
    # The retry sends only the missing one.
    assert run() == 1
    assert run() == 0
    assert receivers() == {org.finance_admin.pk, org.housing_admin.pk, org.city_admin.pk}
    assert Notification.objects.count() == 3
    assert len(mail.outbox) == 3


def test_in_the_admins_language(scene, run, monkeypatch) -> None:
    org = scene

    def language(*, user) -> str:
        return "en" if user.pk == org.finance_admin.pk else settings.LANGUAGE_CODE

    monkeypatch.setattr(digest_module, "user_language", language)
    monkeypatch.setattr("notifications.services.user_language", language)
    assert run() == 3
    finance = digest_of(org.finance_admin)
    assert finance.title == "Weekly integrity-education summary (week 24)"
    assert "New overdue in the past 7 days: 1 person" in finance.body
    assert "“全市必修课”, due " + on(5).isoformat() + ": 2 people" in finance.body
    assert "Appointees not yet cleared: 2 (1 past the take-office date)" in finance.body
    assert finance.url == "/en/dashboard/"
    assert digest_of(org.housing_admin).url == "/dashboard/"
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects[org.finance_admin.email].startswith("[Qinglian] ")
    assert subjects[org.housing_admin.email].startswith("[清廉] ")


def test_only_active_unit_admins_get_one(scene, run) -> None:
    org = scene
    leader = UserFactory(full_name="单位负责人", unit=org.finance)
    role_grant(user=leader, role=Role.UNIT_LEADER, unit=org.finance)
    role_grant(user=org.finance_learner, role=Role.LEARNER, unit=org.finance)
    org.housing_admin.is_active = False
    org.housing_admin.save()
    # An admin whose only unit was closed has no scope any more.
    closed = UserFactory(full_name="撤并单位管理员", unit=org.finance)
    role_grant(user=closed, role=Role.UNIT_ADMIN, unit=org.finance_budget)
    org.finance_budget.is_active = False
    org.finance_budget.save()

    assert run() == 2
    assert receivers() == {org.finance_admin.pk, org.city_admin.pk}
    assert org.finance_admin.pk in digest_admin_paths()
    for person in (
        org.trainer,
        org.discipline,
        leader,
        org.finance_learner,
        org.housing_admin,
        closed,
        org.superuser,
    ):
        assert not person.notifications.exists()


def test_an_admin_of_two_units_gets_one_digest_of_both(scene, run) -> None:
    org = scene
    both = UserFactory(full_name="双单位管理员", unit=org.finance)
    role_grant(user=both, role=Role.UNIT_ADMIN, unit=org.finance_budget)
    role_grant(user=both, role=Role.UNIT_ADMIN, unit=org.housing)
    assert run() == 4
    body = digest_of(both).body
    assert "李四" in body and "王五" in body and "张三丰" not in body
    assert body.count("全市警示教育大会") == 1


def test_the_data_is_read_in_a_constant_number_of_queries(org, course, run) -> None:
    def selects_for(n: int, today: datetime.date) -> int:
        lesson = course(f"课程{n}")
        for i in range(n):
            unit = (org.finance_budget, org.housing_office)[i % 2]
            person = UserFactory(unit=unit)
            enrol(person, lesson, due_date=today - datetime.timedelta(days=1))
            enrol(person, course(f"课程{n}-{i}"), due_date=today + datetime.timedelta(days=3))
            appoint(person, unit=unit, take_office=today + datetime.timedelta(days=i))
            event(org, unit=unit, starts_at=at((today - TODAY).days + 1 + i % 5), title=f"E{i}")
            admin = UserFactory(unit=unit)
            role_grant(user=admin, role=Role.UNIT_ADMIN, unit=unit)
        with CaptureQueriesContext(connection) as ctx:
            sent = run(today=today)
        assert sent == Notification.objects.filter(key=digest_key(today=today)).count()
        return sum(1 for q in ctx.captured_queries if q["sql"].startswith("SELECT"))

    assert selects_for(2, TODAY) == selects_for(12, on(7)) <= 7


def test_the_task_sends_for_this_week(org, course, django_capture_on_commit_callbacks) -> None:
    from dashboard import tasks
    from dashboard.tasks_digest import weekly_digest_send_task

    assert tasks.weekly_digest_send_task is weekly_digest_send_task
    assert weekly_digest_send_task.name == "dashboard.tasks_digest.weekly_digest_send_task"
    today = timezone.localdate()
    enrol(org.budget_learner, course("必修课"), due_date=today - datetime.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert weekly_digest_send_task.delay().get() == 2  # finance and city admins
        assert weekly_digest_send_task.delay().get() == 0
    assert receivers(digest_key(today=today)) == {org.finance_admin.pk, org.city_admin.pk}
    assert len(mail.outbox) == 2


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_five_runs_at_once_send_one_digest_per_admin() -> None:
    from tests.conftest import build_org

    org = build_org()
    lesson = CoursePageFactory(
        parent=CourseIndexPageFactory(parent=HomePage.objects.get()), title="并发课程"
    )
    enrol(org.budget_learner, lesson, due_date=on(-1))
    enrol(org.housing_learner, lesson, due_date=on(-1))

    results, errors = in_threads([lambda: weekly_digest_send(today=TODAY)] * 5)
    assert errors == []
    assert sum(results) == 3
    assert receivers() == {org.finance_admin.pk, org.housing_admin.pk, org.city_admin.pk}
    assert Notification.objects.filter(key=WEEK).count() == 3
    assert len(mail.outbox) == 3
