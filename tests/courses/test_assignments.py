"""Course assignments: who they reach (unit subtree, rank, leading cadres), what creating,
changing and withdrawing one does, and refusals that write nothing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from courses.factories import CoursePageFactory
from courses.models import Assignment, CourseCompletion, Enrolment, EnrolmentSource
from courses.selectors.assignments import (
    assignment_audience,
    assignment_list_matching_person,
    assignment_list_visible,
)
from courses.services.assignments import (
    assignment_create,
    assignment_deactivate,
    assignment_enrol_audience,
    assignment_update,
    enrolment_self_enrol,
)
from people.factories import UserFactory, rank

pytestmark = pytest.mark.django_db


def in_days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def make(org, course_tree, **kwargs) -> Assignment:
    """An assignment row (no checks, no task), for selector tests."""
    defaults = {
        "course": course_tree.course,
        "unit": org.finance,
        "due_date": in_days(30),
        "created_by": org.finance_admin,
    }
    return Assignment.objects.create(**{**defaults, **kwargs})


def emails(users) -> set[str]:
    return {u.email.split("@")[0] for u in users}


# --- Audience ------------------------------------------------------------------------


def test_audience_is_the_unit_subtree(org, course_tree):
    audience = assignment_audience(assignment=make(org, course_tree, unit=org.finance))
    assert emails(audience) == {"fin.admin", "jw", "fin.learner", "budget.learner"}


def test_audience_by_minimum_rank(org, course_tree):
    # 正科级 (ZKJ) and above in the whole city.
    a = make(org, course_tree, unit=org.city, min_rank=rank("ZKJ"))
    assert emails(assignment_audience(assignment=a)) == {
        "fin.admin", "hou.admin", "city.admin", "jw", "trainer",
    }  # fmt: skip
    # 副科级 (FKJ) and above in finance: the budget section's 副科级 learner is in, the
    # 科员 is not.
    b = make(org, course_tree, unit=org.finance, min_rank=rank("FKJ"))
    assert emails(assignment_audience(assignment=b)) == {"fin.admin", "jw", "budget.learner"}


def test_audience_leading_cadres_only(org, course_tree):
    a = make(org, course_tree, unit=org.city, leading_only=True)
    assert emails(assignment_audience(assignment=a)) == {"city.admin"}


def test_people_without_a_rank_only_when_no_rank_condition(org, course_tree):
    UserFactory(email="norank@example.gov.cn", unit=org.finance, rank_level=None)
    plain = make(org, course_tree, unit=org.finance)
    ranked = make(org, course_tree, unit=org.finance, min_rank=rank("KY"))
    leading = make(org, course_tree, unit=org.finance, leading_only=True)
    assert "norank" in emails(assignment_audience(assignment=plain))
    assert "norank" not in emails(assignment_audience(assignment=ranked))
    assert "norank" not in emails(assignment_audience(assignment=leading))


def test_inactive_people_are_not_in_the_audience(org, course_tree):
    org.finance_learner.is_active = False
    org.finance_learner.save()
    audience = assignment_audience(assignment=make(org, course_tree, unit=org.finance))
    assert "fin.learner" not in emails(audience)


def test_audience_is_one_query(org, course_tree, django_assert_num_queries):
    a = Assignment.objects.select_related("unit", "min_rank").get(
        pk=make(org, course_tree, unit=org.city, min_rank=rank("FKJ"), leading_only=True).pk
    )
    with django_assert_num_queries(1):
        list(assignment_audience(assignment=a))


def test_assignments_matching_a_person(org, course_tree):
    city = make(org, course_tree, unit=org.city)
    finance_zkj = make(org, course_tree, unit=org.finance, min_rank=rank("ZKJ"))
    housing = make(org, course_tree, unit=org.housing)
    leading = make(org, course_tree, unit=org.city, leading_only=True)
    make(org, course_tree, unit=org.city, is_active=False)
    assert set(assignment_list_matching_person(person=org.budget_learner)) == {city}
    assert set(assignment_list_matching_person(person=org.finance_admin)) == {city, finance_zkj}
    assert set(assignment_list_matching_person(person=org.housing_learner)) == {city, housing}
    assert leading in set(assignment_list_matching_person(person=org.city_admin))


def test_visibility_overlaps_the_viewers_scope(org, course_tree):
    city = make(org, course_tree, unit=org.city)
    finance = make(org, course_tree, unit=org.finance)
    budget = make(org, course_tree, unit=org.finance_budget)
    housing = make(org, course_tree, unit=org.housing)
    assert set(assignment_list_visible(viewer=org.finance_admin)) == {city, finance, budget}
    assert set(assignment_list_visible(viewer=org.discipline)) == {city, finance, budget}
    assert set(assignment_list_visible(viewer=org.housing_admin)) == {city, housing}
    assert set(assignment_list_visible(viewer=org.city_admin)) == {city, finance, budget, housing}
    assert set(assignment_list_visible(viewer=org.finance_learner)) == set()
    assert set(assignment_list_visible(viewer=org.trainer)) == set()


# --- Creating ------------------------------------------------------------------------


def test_create_enrols_the_audience_on_commit(org, course_tree, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        a = assignment_create(
            by=org.finance_admin,
            course=course_tree.course,
            unit=org.finance,
            due_date=in_days(14),
            note="按时完成",
        )
    assert callbacks  # the enrolment task (then its notices) run on commit
    assert a.required is True  # the course's default
    assert a.created_by == org.finance_admin
    rows = Enrolment.objects.filter(course=course_tree.course)
    assert emails(e.user for e in rows) == {"fin.admin", "jw", "fin.learner", "budget.learner"}
    assert {(e.assignment_id, e.required, e.due_date, e.source) for e in rows} == {
        (a.pk, True, in_days(14), EnrolmentSource.ASSIGNED)
    }


def test_required_defaults_to_the_course_setting(org, course_tree):
    course_tree.course.default_required = False
    course_tree.course.save_revision().publish()
    course_tree.course.refresh_from_db()
    a = assignment_create(
        by=org.finance_admin, course=course_tree.course, unit=org.finance, due_date=in_days(3)
    )
    assert a.required is False
    b = assignment_create(
        by=org.finance_admin,
        course=course_tree.course,
        unit=org.finance_budget,
        due_date=in_days(3),
        required=True,
    )
    assert b.required is True


@pytest.mark.parametrize(
    ("who", "where", "due", "field"),
    [
        ("finance_admin", "housing", 10, "unit"),  # outside the admin's scope
        ("finance_admin", "city", 10, "unit"),  # above the admin's scope
        ("finance_admin", "finance", -1, "due_date"),  # yesterday
        ("discipline", "finance", 10, "unit"),  # not a unit admin
    ],
)
def test_refusals_write_nothing(
    org, course_tree, who, where, due, field, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError) as exc:
        assignment_create(
            by=getattr(org, who),
            course=course_tree.course,
            unit=getattr(org, where),
            due_date=in_days(due),
        )
    assert field in exc.value.message_dict
    assert not Assignment.objects.exists()
    assert not Enrolment.objects.exists()
    assert callbacks == []


def test_an_unpublished_course_is_refused(org, course_tree):
    draft = CoursePageFactory(parent=course_tree.index, live=False)
    with pytest.raises(ValidationError) as exc:
        assignment_create(by=org.finance_admin, course=draft, unit=org.finance, due_date=in_days(5))
    assert "course" in exc.value.message_dict
    assert not Assignment.objects.exists()


def test_today_is_a_valid_due_date(org, course_tree):
    a = assignment_create(
        by=org.finance_admin, course=course_tree.course, unit=org.finance, due_date=in_days(0)
    )
    assert a.pk


def test_a_double_submit_makes_one_assignment(org, course_tree):
    kwargs = {
        "by": org.finance_admin,
        "course": course_tree.course,
        "unit": org.finance,
        "min_rank": rank("KY"),
        "due_date": in_days(10),
    }
    first = assignment_create(**kwargs)
    second = assignment_create(**kwargs)
    assert first.pk == second.pk
    assert (first.reused, second.reused) == (False, True)
    assert Assignment.objects.count() == 1
    # A different due date is a different order.
    third = assignment_create(**{**kwargs, "due_date": in_days(11)})
    assert third.pk != first.pk


# --- Enrolling -----------------------------------------------------------------------


def snapshot(course):
    return sorted(
        Enrolment.objects.filter(course=course).values_list(
            "pk", "user_id", "assignment_id", "required", "due_date", "source"
        )
    )


def test_enrolling_twice_leaves_the_same_rows(org, course_tree):
    a = make(org, course_tree, unit=org.city, min_rank=rank("ZKJ"))
    assert assignment_enrol_audience(assignment=a) == 5
    first = snapshot(course_tree.course)
    assert assignment_enrol_audience(assignment=a) == 0
    assert snapshot(course_tree.course) == first
    assert len(first) == 5


def test_a_withdrawn_assignment_enrols_nobody(org, course_tree):
    a = make(org, course_tree, is_active=False)
    assert assignment_enrol_audience(assignment=a) == 0
    assert not Enrolment.objects.exists()


def test_an_elective_is_upgraded_by_an_assignment(org, course_tree):
    enrolment, created = enrolment_self_enrol(user=org.finance_learner, course=course_tree.course)
    assert created and not enrolment.required and enrolment.due_date is None
    a = make(org, course_tree, unit=org.finance, due_date=in_days(20))
    assignment_enrol_audience(assignment=a)
    enrolment.refresh_from_db()
    assert enrolment.required is True
    assert enrolment.due_date == in_days(20)
    assert enrolment.assignment == a
    assert enrolment.source == EnrolmentSource.ASSIGNED
    assert Enrolment.objects.filter(user=org.finance_learner).count() == 1


def test_required_and_the_earlier_due_date_win(org, course_tree):
    late_required = make(org, course_tree, unit=org.city, due_date=in_days(60), required=True)
    early_elective = make(org, course_tree, unit=org.finance, due_date=in_days(10), required=False)
    assignment_enrol_audience(assignment=late_required)
    assignment_enrol_audience(assignment=early_elective)
    fin = Enrolment.objects.get(user=org.finance_learner)
    assert (fin.required, fin.due_date, fin.assignment) == (True, in_days(10), early_elective)
    housing = Enrolment.objects.get(user=org.housing_learner)
    assert (housing.required, housing.due_date, housing.assignment) == (
        True, in_days(60), late_required,
    )  # fmt: skip
    # The other order gives the same result.
    Enrolment.objects.all().delete()
    assignment_enrol_audience(assignment=early_elective)
    assignment_enrol_audience(assignment=late_required)
    fin = Enrolment.objects.get(user=org.finance_learner)
    assert (fin.required, fin.due_date, fin.assignment) == (True, in_days(10), early_elective)


def test_completed_enrolments_are_left_alone(org, course_tree):
    done = Enrolment.objects.create(
        user=org.finance_learner,
        course=course_tree.course,
        source=EnrolmentSource.SELF,
        required=False,
        completed_at=timezone.now(),
    )
    assignment_enrol_audience(assignment=make(org, course_tree, unit=org.finance))
    done.refresh_from_db()
    assert (done.required, done.due_date, done.source) == (False, None, EnrolmentSource.SELF)


# --- Changing and withdrawing --------------------------------------------------------


def test_update_propagates_to_open_enrolments_from_it(
    org, course_tree, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        a = assignment_create(
            by=org.finance_admin, course=course_tree.course, unit=org.finance, due_date=in_days(10)
        )
    finished = Enrolment.objects.get(user=org.budget_learner)
    finished.completed_at = timezone.now()
    finished.save()
    with django_capture_on_commit_callbacks(execute=True):
        assignment_update(
            by=org.finance_admin,
            assignment=a,
            unit=org.finance,
            required=False,
            due_date=in_days(40),
            note="延期",
        )
    open_rows = Enrolment.objects.filter(assignment=a, completed_at__isnull=True)
    assert {(e.required, e.due_date) for e in open_rows} == {(False, in_days(40))}
    finished.refresh_from_db()
    assert (finished.required, finished.due_date) == (True, in_days(10))


def test_update_keeps_a_stricter_other_assignment(org, course_tree):
    a = make(org, course_tree, unit=org.finance, due_date=in_days(10))
    assignment_enrol_audience(assignment=a)
    city = make(org, course_tree, unit=org.city, due_date=in_days(20), required=True)
    assignment_enrol_audience(assignment=city)
    # Extending the finance assignment: finance people fall back to the city's date.
    assignment_update(
        by=org.finance_admin, assignment=a, unit=org.finance, required=False, due_date=in_days(50)
    )
    fin = Enrolment.objects.get(user=org.finance_learner)
    assert (fin.due_date, fin.required, fin.assignment) == (in_days(20), True, city)


def test_update_checks_scope_and_past_dates(org, course_tree):
    a = make(org, course_tree, unit=org.finance, due_date=in_days(10))
    with pytest.raises(ValidationError) as exc:
        assignment_update(
            by=org.finance_admin,
            assignment=a,
            unit=org.housing,
            required=True,
            due_date=in_days(10),
        )
    assert "unit" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        assignment_update(
            by=org.finance_admin,
            assignment=a,
            unit=org.finance,
            required=True,
            due_date=in_days(-2),
        )
    assert "due_date" in exc.value.message_dict
    with pytest.raises(ValidationError):
        assignment_update(
            by=org.housing_admin,
            assignment=a,
            unit=org.finance,
            required=True,
            due_date=in_days(10),
        )
    a.refresh_from_db()
    assert (a.unit, a.due_date) == (org.finance, in_days(10))


def test_an_assignment_past_its_due_date_can_still_be_edited(org, course_tree):
    a = make(org, course_tree, unit=org.finance, due_date=in_days(-5))
    assignment_update(
        by=org.finance_admin, assignment=a, unit=org.finance, required=True,
        due_date=in_days(-5), note="备注",
    )  # fmt: skip
    a.refresh_from_db()
    assert a.note == "备注"


def test_withdrawing_keeps_enrolments_and_stops_new_ones(org, course_tree):
    a = make(org, course_tree, unit=org.finance)
    assignment_enrol_audience(assignment=a)
    before = snapshot(course_tree.course)
    assignment_deactivate(by=org.finance_admin, assignment=a)
    assert a.is_active is False
    newcomer = UserFactory(unit=org.finance, rank_level=rank("KY"))
    assert assignment_enrol_audience(assignment=a) == 0
    assert not Enrolment.objects.filter(user=newcomer).exists()
    assert snapshot(course_tree.course) == before
    with pytest.raises(ValidationError):
        assignment_deactivate(by=org.housing_admin, assignment=a)


def test_a_completion_is_kept_however_the_assignment_changes(org, course_tree):
    a = make(org, course_tree, unit=org.finance)
    assignment_enrol_audience(assignment=a)
    CourseCompletion.objects.create(
        user=org.finance_learner, course=course_tree.course, hours=2, required=True
    )
    assignment_deactivate(by=org.finance_admin, assignment=a)
    assert CourseCompletion.objects.filter(user=org.finance_learner).exists()
    assert Enrolment.objects.filter(user=org.finance_learner, assignment=a).exists()
