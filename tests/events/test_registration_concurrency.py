"""Real concurrency (PostgreSQL, threads with their own connections): people racing for
the last place cannot both win; a double click racing itself makes one registration;
two admins approving the same leave at once record one decision."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from events.factories import EventFactory
from events.models import LeaveRequest, LeaveStatus, MakeUp, Registration
from events.services.leave import leave_decide
from events.services.registration import registration_self
from tests.concurrency import in_threads

needs_pg = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
)
pytestmark = [needs_pg, pytest.mark.django_db(transaction=True)]


def test_last_place_goes_to_one_person(org):
    event = EventFactory(audience_unit=org.housing, trainer=org.trainer, capacity=1)
    people = [org.finance_learner, org.budget_learner, org.discipline, org.finance_admin]
    results, errors = in_threads(
        [lambda p=p: registration_self(event=event, user=p) for p in people]
    )
    assert len([r for r in results if r is not None]) == 1
    assert len(errors) == 3 and all(isinstance(e, ValidationError) for e in errors)
    assert Registration.objects.filter(event=event, cancelled_at__isnull=True).count() == 1


def test_double_click_makes_one_registration(org):
    event = EventFactory(audience_unit=org.housing, trainer=org.trainer, capacity=5)
    results, errors = in_threads(
        [lambda: registration_self(event=event, user=org.finance_learner)] * 4
    )
    assert not errors, errors
    assert sum(created for _reg, created in results) == 1
    assert Registration.objects.filter(event=event).count() == 1


def test_concurrent_approvals_decide_once(org):
    from tests.courses.conftest import build_course_tree

    tree = build_course_tree()
    event = EventFactory(audience_unit=org.finance, trainer=org.trainer, makeup_course=tree.course)
    Registration.objects.create(event=event, user=org.finance_learner)
    leave = LeaveRequest.objects.create(event=event, user=org.finance_learner, reason="出差")
    _results, errors = in_threads(
        [
            lambda: leave_decide(leave=leave, by=org.finance_admin, approve=True),
            lambda: leave_decide(leave=leave, by=org.city_admin, approve=True),
        ]
    )
    assert len(errors) == 1 and isinstance(errors[0], ValidationError)
    assert LeaveRequest.objects.get().status == LeaveStatus.APPROVED
    assert MakeUp.objects.count() == 1
