"""The shared selectors: who is in an event's audience, who may manage / report on it."""

from __future__ import annotations

import pytest

from events.factories import EventFactory
from events.models import Registration
from events.selectors.audience import event_audience, event_in_audience
from events.selectors.scope import (
    event_can_manage,
    event_can_report,
    event_list_manageable,
    event_list_reportable,
    event_registrations_visible,
)
from people.factories import rank

pytestmark = pytest.mark.django_db


def test_audience_subtree_and_rank(org):
    event = EventFactory(audience_unit=org.finance, trainer=org.trainer)
    people = set(event_audience(event=event))
    assert org.finance_learner in people and org.budget_learner in people
    assert org.housing_learner not in people
    event.min_rank = rank("FKJ")
    event.save()
    people = set(event_audience(event=event))
    assert org.budget_learner in people  # 副科级
    assert org.finance_learner not in people  # 科员
    assert event_in_audience(event=event, user=org.budget_learner)
    assert not event_in_audience(event=event, user=org.finance_learner)
    assert not event_in_audience(event=event, user=org.housing_learner)


def test_inactive_people_are_not_in_the_audience(org):
    event = EventFactory(audience_unit=org.finance, trainer=org.trainer)
    org.finance_learner.is_active = False
    org.finance_learner.save()
    assert org.finance_learner not in set(event_audience(event=event))
    assert not event_in_audience(event=event, user=org.finance_learner)


def test_manage_scope(org):
    city = EventFactory(audience_unit=org.city, trainer=org.trainer)
    finance = EventFactory(audience_unit=org.finance, trainer=org.trainer)
    housing = EventFactory(audience_unit=org.housing, trainer=org.housing_admin)
    assert set(event_list_manageable(viewer=org.finance_admin)) == {finance}
    assert set(event_list_manageable(viewer=org.city_admin)) == {city, finance, housing}
    assert set(event_list_manageable(viewer=org.trainer)) == {city, finance, housing}
    assert set(event_list_manageable(viewer=org.housing_admin)) == {housing}
    assert set(event_list_manageable(viewer=org.finance_learner)) == set()
    assert event_can_manage(viewer=org.finance_admin, event=finance)
    assert not event_can_manage(viewer=org.finance_admin, event=city)
    assert not event_can_manage(viewer=org.discipline, event=finance)
    assert event_can_manage(viewer=org.superuser, event=city)


def test_report_scope_and_records(org):
    city = EventFactory(audience_unit=org.city, trainer=org.trainer)
    housing = EventFactory(audience_unit=org.housing, trainer=org.trainer)
    for person in (org.finance_learner, org.budget_learner, org.housing_learner):
        Registration.objects.create(event=city, user=person)
    # A city-wide event is reportable by the finance admin and officer (their people only).
    assert event_can_report(viewer=org.finance_admin, event=city)
    assert event_can_report(viewer=org.discipline, event=city)
    assert not event_can_report(viewer=org.discipline, event=housing)
    assert not event_can_report(viewer=org.finance_learner, event=city)
    assert set(event_list_reportable(viewer=org.discipline)) == {city}
    seen = {r.user for r in event_registrations_visible(viewer=org.discipline, event=city)}
    assert seen == {org.finance_learner, org.budget_learner}
    seen = {r.user for r in event_registrations_visible(viewer=org.trainer, event=city)}
    assert seen == {org.finance_learner, org.budget_learner, org.housing_learner}
    assert not event_registrations_visible(viewer=org.housing_learner, event=city).exists()


def test_managers_see_every_registration_others_their_scope(org):
    event = EventFactory(audience_unit=org.finance, trainer=org.trainer)
    Registration.objects.create(event=event, user=org.finance_learner)
    Registration.objects.create(event=event, user=org.housing_learner, source="self")
    assert event_can_manage(viewer=org.finance_admin, event=event)
    seen = {r.user for r in event_registrations_visible(viewer=org.finance_admin, event=event)}
    assert seen == {org.finance_learner, org.housing_learner}  # they run the roster
    seen = {r.user for r in event_registrations_visible(viewer=org.discipline, event=event)}
    assert seen == {org.finance_learner}
    seen = {r.user for r in event_registrations_visible(viewer=org.trainer, event=event)}
    assert seen == {org.finance_learner, org.housing_learner}
    seen = {r.user for r in event_registrations_visible(viewer=org.superuser, event=event)}
    assert seen == {org.finance_learner, org.housing_learner}
