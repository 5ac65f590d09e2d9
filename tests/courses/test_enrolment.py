"""Enrolment follows the audience: a new person, a move, a promotion and a bulk import
enrol people in the assignments they now match; people who leave keep their history.
Self-enrolment makes an elective, once."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from courses.factories import CoursePageFactory
from courses.models import Assignment, Enrolment, EnrolmentSource
from courses.selectors.assignments import assignment_enrolments
from courses.services import assignments as assignment_services
from courses.services.assignments import (
    assignment_enrol_audience,
    enrolment_self_enrol,
    person_enrol_matching,
)
from courses.tasks import enrolments_sync_person
from people.factories import rank
from people.importing import records_import
from people.services import person_provision, person_update

pytestmark = pytest.mark.django_db


def in_days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def finance_assignment(org, course_tree) -> Assignment:
    a = Assignment.objects.create(
        course=course_tree.course,
        unit=org.finance,
        due_date=in_days(30),
        created_by=org.finance_admin,
    )
    assignment_enrol_audience(assignment=a)
    return a


def enrolled(user, course) -> bool:
    return Enrolment.objects.filter(user=user, course=course).exists()


def test_a_new_person_is_enrolled(
    org, course_tree, finance_assignment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        newcomer = person_provision(
            by=org.finance_admin,
            email="new@example.gov.cn",
            full_name="新同志",
            unit=org.finance_budget,
            rank_level=rank("KY"),
            send_invitation=False,
        )
    e = Enrolment.objects.get(user=newcomer, course=course_tree.course)
    assert (e.assignment, e.required, e.due_date) == (finance_assignment, True, in_days(30))


def test_a_person_who_moves_in_is_enrolled(
    org, course_tree, finance_assignment, django_capture_on_commit_callbacks
):
    assert not enrolled(org.housing_learner, course_tree.course)
    with django_capture_on_commit_callbacks(execute=True):
        person_update(by=org.city_admin, person=org.housing_learner, unit=org.finance_budget)
    assert enrolled(org.housing_learner, course_tree.course)


def test_a_promotion_enrols(org, course_tree, django_capture_on_commit_callbacks):
    leaders = Assignment.objects.create(
        course=course_tree.course, unit=org.city, min_rank=rank("FCJ"), due_date=in_days(20)
    )
    assignment_enrol_audience(assignment=leaders)
    assert not enrolled(org.finance_learner, course_tree.course)
    with django_capture_on_commit_callbacks(execute=True):
        person_update(by=org.finance_admin, person=org.finance_learner, rank_level=rank("FCJ"))
    e = Enrolment.objects.get(user=org.finance_learner, course=course_tree.course)
    assert e.assignment == leaders


def test_a_save_that_changes_nothing_relevant_enqueues_nothing(
    org, finance_assignment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        person_update(by=org.finance_admin, person=org.finance_learner, full_name="张三丰（新）")
        org.finance_learner.last_login = timezone.now()
        org.finance_learner.save(update_fields=["last_login"])
    assert callbacks == []


def test_people_who_leave_keep_their_enrolment_and_history(
    org, course_tree, finance_assignment, django_capture_on_commit_callbacks
):
    e = Enrolment.objects.get(user=org.budget_learner)
    e.started_at = timezone.now()
    e.save()
    with django_capture_on_commit_callbacks(execute=True):
        person_update(by=org.city_admin, person=org.budget_learner, unit=org.housing_office)
        assignment_enrol_audience(assignment=finance_assignment)
    e.refresh_from_db()
    assert e.assignment == finance_assignment and e.started_at is not None
    # They still show on the assignment's progress (for the city admin who sees both).
    rows = assignment_enrolments(viewer=org.city_admin, assignment=finance_assignment)
    assert org.budget_learner.pk in {r.user_id for r in rows}
    # Deactivating a person keeps their enrolment too.
    with django_capture_on_commit_callbacks(execute=True):
        person_update(by=org.finance_admin, person=org.finance_learner, is_active=False)
    assert enrolled(org.finance_learner, finance_assignment.course)


def test_an_import_enrols_new_and_moved_people(
    org, course_tree, finance_assignment, django_capture_on_commit_callbacks
):
    records = [
        {"row": 2, "employee_number": "N0001", "full_name": "导入一", "email": "imp1@example.gov.cn",
         "unit_code": "CZJ-YSK", "position_title": "科员", "rank_level": "KY"},
        {"row": 3, "employee_number": org.housing_learner.employee_number, "full_name": "王五",
         "email": org.housing_learner.email, "unit_code": "CZJ", "position_title": "科员",
         "rank_level": "KY"},
    ]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        records_import(viewer=org.city_admin, records=records, send_invitations=False)
    assert Enrolment.objects.filter(
        user__email="imp1@example.gov.cn", course=course_tree.course
    ).exists()
    assert enrolled(org.housing_learner, course_tree.course)


def test_a_large_import_resyncs_the_assignments(
    org, course_tree, finance_assignment, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(assignment_services, "PERSON_SYNC_LIMIT", 0)
    records = [
        {"row": 2 + i, "employee_number": f"B{i:04d}", "full_name": f"批量{i}",
         "email": f"bulk{i}@example.gov.cn", "unit_code": "CZJ", "position_title": "",
         "rank_level": ""}
        for i in range(3)
    ]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        records_import(viewer=org.finance_admin, records=records, send_invitations=False)
    assert Enrolment.objects.filter(user__email__startswith="bulk").count() == 3


def test_person_sync_is_idempotent_and_takes_the_strictest_terms(org, course_tree):
    Assignment.objects.create(
        course=course_tree.course, unit=org.city, due_date=in_days(50), required=False
    )
    strict = Assignment.objects.create(
        course=course_tree.course, unit=org.finance, due_date=in_days(5), required=True
    )
    assert person_enrol_matching(person=org.finance_learner) == 1
    assert enrolments_sync_person(org.finance_learner.pk) == 0
    e = Enrolment.objects.get(user=org.finance_learner)
    assert (e.assignment, e.required, e.due_date) == (strict, True, in_days(5))
    assert Enrolment.objects.filter(user=org.finance_learner).count() == 1


def test_nobody_is_enrolled_from_an_unpublished_course(org, course_tree):
    draft = CoursePageFactory(parent=course_tree.index, live=False)
    a = Assignment.objects.create(course=draft, unit=org.finance, due_date=in_days(5))
    assert assignment_enrol_audience(assignment=a) == 0
    assert person_enrol_matching(person=org.finance_learner) == 0


# --- Self-enrolment ------------------------------------------------------------------


def test_self_enrolment_is_an_elective_once(org, course_tree):
    e, created = enrolment_self_enrol(user=org.housing_learner, course=course_tree.course)
    assert created
    assert (e.source, e.required, e.due_date, e.assignment) == (
        EnrolmentSource.SELF, False, None, None,
    )  # fmt: skip
    again, created_again = enrolment_self_enrol(user=org.housing_learner, course=course_tree.course)
    assert (again.pk, created_again) == (e.pk, False)
    assert Enrolment.objects.count() == 1


def test_self_enrolment_keeps_an_assigned_enrolment(org, course_tree, finance_assignment):
    e, created = enrolment_self_enrol(user=org.finance_learner, course=course_tree.course)
    assert not created
    assert (e.required, e.assignment) == (True, finance_assignment)


def test_self_enrolment_refused_when_closed_or_unpublished(org, course_tree):
    closed = CoursePageFactory(parent=course_tree.index, self_enrol=False)
    draft = CoursePageFactory(parent=course_tree.index, live=False)
    for course in (closed, draft):
        with pytest.raises(ValidationError):
            enrolment_self_enrol(user=org.finance_learner, course=course)
    assert not Enrolment.objects.exists()
