"""People hear of a course assigned to them once, whoever enrols them and however often."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from courses.services.assignments import assignment_create, person_enrol_matching
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_assignment_notifies_each_enrolled_person_once(
    org, course_tree, django_capture_on_commit_callbacks
):
    course = course_tree.course
    with django_capture_on_commit_callbacks(execute=True):
        assignment_create(
            by=org.finance_admin,
            course=course,
            unit=org.finance,
            min_rank=None,
            leading_only=False,
            required=True,
            due_date=timezone.localdate() + datetime.timedelta(days=30),
            note="",
        )
    notices = Notification.objects.filter(kind="course-assigned")
    people = set(notices.values_list("user_id", flat=True))
    assert {org.finance_learner.pk, org.budget_learner.pk} <= people
    assert org.housing_learner.pk not in people
    assert all(course.title in n.title for n in notices)
    sent = len(mail.outbox)
    assert sent == notices.count()

    # A later sync for one of them (e.g. after a profile save) sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        person_enrol_matching(person=org.budget_learner)
    assert Notification.objects.filter(kind="course-assigned").count() == notices.count()
    assert len(mail.outbox) == sent
