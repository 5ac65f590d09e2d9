"""Audience registration (E2): the task on create/update, and people who change."""

from __future__ import annotations

import pytest

from events.factories import EventFactory
from events.models import Registration, RegistrationSource
from events.services.registration import event_audience_register
from events.tasks import event_audience_register_task
from people.factories import UserFactory, rank
from people.signals import people_changed

pytestmark = pytest.mark.django_db


def registered(event):
    return set(
        Registration.objects.filter(event=event, cancelled_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )


def test_task_registers_audience_once(org):
    event = EventFactory(audience_unit=org.finance, trainer=org.trainer, min_rank=rank("FKJ"))
    assert event_audience_register_task.apply(args=[event.pk]).get() >= 1
    people = registered(event)
    assert org.budget_learner.pk in people and org.finance_learner.pk not in people
    assert event_audience_register_task.apply(args=[event.pk]).get() == 0
    assert Registration.objects.filter(event=event).count() == len(people)
    assert {r.source for r in Registration.objects.filter(event=event)} == {
        RegistrationSource.AUDIENCE
    }


def test_audience_sync_keeps_self_and_cancelled_rows(org):
    event = EventFactory(audience_unit=org.finance, trainer=org.trainer)
    Registration.objects.create(
        event=event, user=org.finance_learner, source=RegistrationSource.SELF
    )
    event_audience_register(event=event)
    assert Registration.objects.get(event=event, user=org.finance_learner).source == "self"


def test_new_person_and_move_are_registered(org, django_capture_on_commit_callbacks):
    event = EventFactory(audience_unit=org.finance, trainer=org.trainer)
    event_audience_register(event=event)
    with django_capture_on_commit_callbacks(execute=True):
        newcomer = UserFactory(email="new@example.gov.cn", unit=org.finance_budget)
    assert newcomer.pk in registered(event)
    with django_capture_on_commit_callbacks(execute=True):
        org.housing_learner.unit = org.finance
        org.housing_learner.save()
    assert org.housing_learner.pk in registered(event)


def test_people_changed_signal(org, django_capture_on_commit_callbacks):
    event = EventFactory(audience_unit=org.housing, trainer=org.trainer)
    event_audience_register(event=event)
    from people.models import User

    User.objects.filter(pk=org.finance_learner.pk).update(unit=org.housing_office)
    with django_capture_on_commit_callbacks(execute=True):
        people_changed.send(sender=None, user_ids=[org.finance_learner.pk])
    assert org.finance_learner.pk in registered(event)
