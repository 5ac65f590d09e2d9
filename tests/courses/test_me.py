""" "My learning" (/me/) and the study-hour ledger page (/me/hours/): the viewer's own
courses in the right order, their hours against the requirement, constant queries."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.factories import CoursePageFactory, LessonPageFactory
from courses.models import (
    CompletionRule,
    CourseCompletion,
    CourseKind,
    LedgerSource,
    LessonProgress,
)
from courses.services.ledger import ledger_record

ME = "/me/"
HOURS = "/me/hours/"


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_urls_are_mounted() -> None:
    assert reverse("me:learning") == ME
    assert reverse("me:hours") == HOURS


def test_anonymous_visitor_is_sent_to_login(client, db) -> None:
    for url in (ME, HOURS):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


@pytest.fixture
def learning(org, course_tree, enrol):
    """张三丰's courses: overdue, due soon, later, no due date, an elective in progress,
    an elective not started, and a completed one."""
    learner = org.finance_learner
    index = course_tree.index
    c = {
        "later": CoursePageFactory(parent=index, title="课程-以后到期"),
        "overdue": CoursePageFactory(parent=index, title="课程-已逾期"),
        "soon": CoursePageFactory(parent=index, title="课程-即将到期"),
        "nodue": CoursePageFactory(parent=index, title="课程-无截止"),
        "elective_started": CoursePageFactory(
            parent=index, title="选修-学习中", kind=CourseKind.OTHER
        ),
        "elective_new": CoursePageFactory(parent=index, title="选修-未开始"),
        "done": CoursePageFactory(parent=index, title="课程-已完成"),
    }
    e = {
        "later": enrol(learner, c["later"], due_date=days(30)),
        "overdue": enrol(learner, c["overdue"], due_date=days(-4)),
        "soon": enrol(learner, c["soon"], due_date=days(3)),
        "nodue": enrol(learner, c["nodue"]),
        "tree": enrol(learner, course_tree.course, due_date=days(60)),
        "elective_started": enrol(learner, c["elective_started"], required=False),
        "elective_new": enrol(learner, c["elective_new"], required=False),
        "done": enrol(learner, c["done"], due_date=days(-10)),
    }
    # Two of the three lessons of the fixture course done, one only started.
    for lesson in course_tree.lessons[:2]:
        LessonProgress.objects.create(user=learner, lesson=lesson, completed_at=timezone.now())
    LessonProgress.objects.create(user=learner, lesson=course_tree.lessons[2])
    e["tree"].started_at = timezone.now()
    e["tree"].save()
    LessonPageFactory(parent=c["elective_started"])
    e["elective_started"].started_at = timezone.now()
    e["elective_started"].save()
    done_at = timezone.now() - datetime.timedelta(days=2)
    e["done"].started_at = e["done"].completed_at = done_at
    e["done"].save()
    completion = CourseCompletion.objects.create(
        user=learner, course=c["done"], completed_at=done_at, hours=Decimal("2.5")
    )
    ledger_record(
        user=learner,
        year=timezone.localdate().year,
        hours=Decimal("2.5"),
        source=LedgerSource.COURSE,
        source_key=f"course:{completion.pk}",
        title=c["done"].title,
        required=True,
        integrity=True,
    )
    # Somebody else's course and hours never show.
    other = CoursePageFactory(parent=index, title="别人的课程")
    enrol(org.budget_learner, other, due_date=days(-1))
    return {"courses": c, "enrolments": e}


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


def test_my_learning_orders_assigned_courses_overdue_first(client, org, learning) -> None:
    client.force_login(org.finance_learner)
    response = client.get(ME)
    assert response.status_code == 200
    html = text_of(response)
    assigned = section(html, "assigned-heading")
    titles = re.findall(r'class="my-course__title"><a href="[^"]*">([^<]+)</a>', assigned)
    assert titles == [
        "课程-已逾期",
        "课程-即将到期",
        "课程-以后到期",
        "纪律处分条例学习",
        "课程-无截止",
    ]
    # Overdue is plain to see, and marked as such; due soon is highlighted.
    assert "Overdue by 4 days" in assigned or "逾期 4 天" in assigned
    assert "my-course--overdue" in assigned and "my-course--soon" in assigned
    assert "1 course is overdue." in assigned or "1 门课程已逾期" in assigned
    # Lessons done n/m for the fixture course, computed from LessonProgress.completed_at.
    assert "2/3" in assigned

    in_progress = section(html, "progress-heading")
    assert "选修-学习中" in in_progress and "选修-未开始" not in in_progress
    assert "选修-未开始" in section(html, "electives-heading")
    completed = section(html, "completed-heading")
    assert "课程-已完成" in completed
    assert (timezone.localdate() - datetime.timedelta(days=2)).isoformat() in completed
    assert "2.5" in completed
    assert "课程-已完成" not in assigned  # completed, though its due date has passed
    assert "别人的课程" not in html


def test_my_learning_shows_hours_against_the_requirement(client, org, learning) -> None:
    client.force_login(org.finance_learner)
    html = text_of(client.get("/en" + ME))  # the wording below is English
    summary = section(html, "hours-heading")
    assert "2.5 of 50.0 hours" in summary or "2.5 of 50 hours" in summary
    assert "2.5 of 12.0 hours" in summary or "2.5 of 12 hours" in summary
    assert 'href="/en/me/hours/"' in summary
    assert summary.count("<progress") == 2


def test_lessons_count_follows_the_completion_rule(client, org, course_tree, enrol) -> None:
    from courses.selectors.learning import enrolment_list_for_learner

    learner = org.finance_learner
    course = course_tree.course
    course_tree.lessons[2].is_required = False
    course_tree.lessons[2].save_revision().publish()
    enrol(learner, course)
    LessonProgress.objects.create(
        user=learner, lesson=course_tree.lessons[2], completed_at=timezone.now()
    )
    enrolment = enrolment_list_for_learner(user=learner).get()
    assert (enrolment.lessons_done, enrolment.lessons_total) == (0, 2)
    course.completion_rule = CompletionRule.ALL_LESSONS
    course.save_revision().publish()
    enrolment = enrolment_list_for_learner(user=learner).get()
    assert (enrolment.lessons_done, enrolment.lessons_total) == (1, 3)


def _enrol_many(org, course_tree, enrol, n: int) -> None:
    for i in range(n):
        course = CoursePageFactory(parent=course_tree.index, title=f"批量课程{i}")
        LessonPageFactory(parent=course)
        enrolment = enrol(
            org.finance_learner, course, due_date=days(i - n // 2), required=i % 3 != 0
        )
        if i % 5 == 0:
            enrolment.completed_at = timezone.now()
            enrolment.save()
            CourseCompletion.objects.create(
                user=org.finance_learner, course=course, hours=Decimal("1.0")
            )


def _queries_for(client, django_assert_max_num_queries) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(ME).status_code == 200
    return len(ctx.captured_queries)


def test_my_learning_query_count_is_constant(
    client, org, course_tree, enrol, django_assert_max_num_queries
) -> None:
    client.force_login(org.finance_learner)
    client.get(ME)  # warm the caches (site root paths, navigation URLs)
    _enrol_many(org, course_tree, enrol, 10)
    with django_assert_max_num_queries(12):
        assert client.get(ME).status_code == 200
    ten = _queries_for(client, django_assert_max_num_queries)
    _enrol_many(org, course_tree, enrol, 40)
    fifty = _queries_for(client, django_assert_max_num_queries)
    assert ten == fifty
    with django_assert_max_num_queries(12):
        assert client.get(ME).status_code == 200


def test_hours_page_per_year_with_year_selector(client, org, django_assert_max_num_queries) -> None:
    learner = org.finance_learner
    this_year = timezone.localdate().year

    def line(key, year, hours, title, integrity=True):
        ledger_record(
            user=learner,
            year=year,
            hours=Decimal(hours),
            source=LedgerSource.EVENT,
            source_key=key,
            title=title,
            required=True,
            integrity=integrity,
        )

    line("event:1", this_year, "3.0", "本年度警示教育大会")
    line("event:2", this_year, "1.5", "本年度读书班", integrity=False)
    line("event:3", this_year - 1, "6.0", "去年的专题党课")
    ledger_record(
        user=org.budget_learner,
        year=this_year,
        hours=Decimal("9"),
        source=LedgerSource.OTHER,
        source_key="x",
        title="别人的学时",
        required=True,
        integrity=True,
    )
    client.force_login(learner)
    client.get("/en" + HOURS)  # warm the caches (navigation URLs, site settings)
    with django_assert_max_num_queries(13):
        response = client.get("/en" + HOURS)  # the wording below is English
    html = text_of(response)
    assert "本年度警示教育大会" in html and "本年度读书班" in html
    assert "去年的专题党课" not in html and "别人的学时" not in html
    assert "4.5 of 50" in html and "3.0 of 12" in html
    assert f'<option value="{this_year - 1}">' in html
    assert f'<option value="{this_year}" selected>' in html

    html = text_of(client.get("/en" + HOURS, {"year": this_year - 1}))
    assert "去年的专题党课" in html and "本年度警示教育大会" not in html
    assert "6.0 of 50" in html

    # A year with nothing, or nonsense, shows this year.
    for bad in ("1999", "abc", "<script>"):
        response = client.get(HOURS, {"year": bad})
        assert response.status_code == 200
        assert "本年度警示教育大会" in text_of(response)
