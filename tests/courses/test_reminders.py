"""Due-date reminders, overdue notices, the unit admins' overdue digest and the
"new course assigned" notice: each sent exactly once (in the app and by e-mail), never
stale, scoped per admin, and without per-enrolment reads."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.factories import CoursePageFactory
from courses.models import Assignment
from courses.services.reminders import notify_enrolled, overdue_digest_send, reminders_send
from notifications.models import Notification

TODAY = datetime.date(2026, 6, 10)


def on(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a reminder service as the daily task would, e-mails (sent on commit) included."""

    def _run(service, today=TODAY) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return service(today=today)

    return _run


def keys(user=None) -> set[str]:
    qs = Notification.objects.all() if user is None else Notification.objects.filter(user=user)
    return set(qs.values_list("key", flat=True))


def test_each_due_reminder_is_sent_once_however_often_the_task_runs(
    org, course_tree, enrol, run
) -> None:
    learner = org.finance_learner
    index = course_tree.index
    e7 = enrol(learner, CoursePageFactory(parent=index, title="七天后到期"), due_date=on(7))
    e3 = enrol(learner, CoursePageFactory(parent=index, title="三天后到期"), due_date=on(3))
    e1 = enrol(learner, CoursePageFactory(parent=index, title="明天到期"), due_date=on(1))
    enrol(learner, CoursePageFactory(parent=index, title="五天后到期"), due_date=on(5))
    enrol(learner, CoursePageFactory(parent=index, title="无截止日期"))

    assert run(reminders_send) == 3
    assert keys(learner) == {
        f"course-due:{e7.pk}:7",
        f"course-due:{e3.pk}:3",
        f"course-due:{e1.pk}:1",
    }
    assert len(mail.outbox) == 3
    assert all(m.to == [learner.email] for m in mail.outbox)
    assert any("七天后到期" in m.subject for m in mail.outbox)

    # The task runs again (a retry, a second beat): nothing new, no second e-mail.
    assert run(reminders_send) == 0
    assert Notification.objects.count() == 3
    assert len(mail.outbox) == 3
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0

    # The reminder links to the course.
    note = Notification.objects.get(key=f"course-due:{e1.pk}:1")
    assert note.url == e1.course.url
    assert note.kind == "course-due"


def test_a_missed_day_never_sends_a_stale_reminder(org, course_tree, enrol, run) -> None:
    learner = org.finance_learner
    enrolment = enrol(learner, course_tree.course, due_date=on(7))
    # The schedule did not run on TODAY (7 days before); the next run is 5 days before.
    assert run(reminders_send, today=on(2)) == 0
    assert keys() == set()
    # Three days before: the 3-day reminder, and still no late "7 days" one.
    assert run(reminders_send, today=on(4)) == 1
    assert keys() == {f"course-due:{enrolment.pk}:3"}


def test_overdue_notice_once_and_nothing_for_completed_or_inactive(
    org, course_tree, enrol, run
) -> None:
    from django.utils import timezone

    learner = org.finance_learner
    index = course_tree.index
    overdue = enrol(learner, CoursePageFactory(parent=index, title="逾期课程"), due_date=on(-3))
    done = enrol(learner, CoursePageFactory(parent=index, title="已完成"), due_date=on(-3))
    done.completed_at = timezone.now()
    done.save()
    done_soon = enrol(learner, CoursePageFactory(parent=index, title="已完成2"), due_date=on(3))
    done_soon.completed_at = timezone.now()
    done_soon.save()
    # An enrolment of a withdrawn assignment is not chased.
    withdrawn = Assignment.objects.create(
        course=CoursePageFactory(parent=index, title="撤回的任务"),
        unit=org.finance,
        due_date=on(-1),
        is_active=False,
    )
    enrol(learner, withdrawn.course, due_date=on(-1)).__class__.objects.filter(
        course=withdrawn.course
    ).update(assignment=withdrawn)
    # Someone who has left is not chased either.
    org.budget_learner.is_active = False
    org.budget_learner.save()
    enrol(org.budget_learner, overdue.course, due_date=on(-3))

    assert run(reminders_send) == 1
    assert keys() == {f"course-overdue:{overdue.pk}"}
    assert "逾期课程" in Notification.objects.get().title
    assert run(reminders_send) == 0
    assert run(reminders_send, today=on(1)) == 0  # tomorrow: still overdue, not re-sent
    assert len(mail.outbox) == 1


def test_reminders_read_in_a_constant_number_of_queries(org, course_tree, enrol, run) -> None:
    from courses.models import Enrolment

    def selects_for(n: int, offset: int) -> int:
        Enrolment.objects.all().delete()
        for i in range(n):
            course = CoursePageFactory(parent=course_tree.index, title=f"批量{offset}-{i}")
            enrol(org.finance_learner, course, due_date=on(offset + (i % 2) * 2))
        with CaptureQueriesContext(connection) as ctx:
            sent = run(reminders_send, today=on(offset - 1))
        assert sent == n
        return sum(1 for q in ctx.captured_queries if q["sql"].startswith("SELECT"))

    # Due 1 and 3 days after the run day: 1-day and 3-day reminders.
    selects_for(1, 50)  # warm the site-root-paths cache that course URLs use
    assert selects_for(3, 100) == selects_for(12, 200) <= 5


def test_overdue_digest_is_scoped_per_admin_and_sent_once(org, course_tree, enrol, run) -> None:
    index = course_tree.index
    finance_course = CoursePageFactory(parent=index, title="财政局必修课")
    housing_course = CoursePageFactory(parent=index, title="住建局必修课")
    enrol(org.budget_learner, finance_course, due_date=on(-5))  # finance > budget section
    enrol(org.housing_learner, housing_course, due_date=on(-2))  # housing > office
    enrol(org.finance_learner, finance_course, due_date=on(2))  # not overdue yet

    assert run(overdue_digest_send) == 3  # finance, housing and city admins
    digest = f"overdue-digest:{TODAY.isoformat()}"
    finance = Notification.objects.get(user=org.finance_admin, key=digest)
    housing = Notification.objects.get(user=org.housing_admin, key=digest)
    city = Notification.objects.get(user=org.city_admin, key=digest)
    assert "李四" in finance.body and "财政局必修课" in finance.body
    assert "王五" not in finance.body
    assert "王五" in housing.body and "李四" not in housing.body
    assert "李四" in city.body and "王五" in city.body
    assert "张三丰" not in city.body
    # Nobody gets an empty digest: learners, trainers, discipline officers get none.
    assert set(Notification.objects.values_list("user_id", flat=True)) == {
        org.finance_admin.pk,
        org.housing_admin.pk,
        org.city_admin.pk,
    }
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [org.finance_admin.email, org.housing_admin.email, org.city_admin.email]
    )

    # Running again the same day: nothing more.
    assert run(overdue_digest_send) == 0
    assert len(mail.outbox) == 3

    # The next day the housing course is done: the housing admin gets no (empty) digest.
    from django.utils import timezone

    from courses.models import Enrolment

    Enrolment.objects.filter(course=housing_course).update(completed_at=timezone.now())
    assert run(overdue_digest_send, today=on(1)) == 2
    next_day = f"overdue-digest:{on(1).isoformat()}"
    assert set(Notification.objects.filter(key=next_day).values_list("user_id", flat=True)) == {
        org.finance_admin.pk,
        org.city_admin.pk,
    }


def test_no_digest_when_nobody_is_overdue(org, course_tree, enrol, run) -> None:
    enrol(org.budget_learner, course_tree.course, due_date=on(3))
    assert run(overdue_digest_send) == 0
    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_notify_enrolled_sends_a_new_course_notice_once(
    org, course_tree, enrol, django_capture_on_commit_callbacks
) -> None:
    e1 = enrol(org.finance_learner, course_tree.course, due_date=on(20))
    e2 = enrol(org.budget_learner, course_tree.course)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_enrolled(enrolments=[e1, e2]) == 2
        assert notify_enrolled(enrolments=[e1, e2]) == 0
        assert notify_enrolled(enrolments=[]) == 0
    assert keys() == {f"course-assigned:{e1.pk}", f"course-assigned:{e2.pk}"}
    assert len(mail.outbox) == 2
    note = Notification.objects.get(user=org.finance_learner)
    assert course_tree.course.title in note.title
    assert on(20).isoformat() in note.body


def test_tasks_call_the_services(
    org, course_tree, enrol, django_capture_on_commit_callbacks
) -> None:
    from django.utils import timezone

    from courses import tasks

    today = timezone.localdate()
    enrol(org.budget_learner, course_tree.course, due_date=today - datetime.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.reminders_send.delay().get() == 1
        assert tasks.overdue_digest_send.delay().get() == 2  # finance and city admins
        assert tasks.reminders_send.delay().get() == 0
        assert tasks.overdue_digest_send.delay().get() == 0
    assert len(mail.outbox) == 3
