"""Campaign completion: attended or made up every required, non-cancelled event whose
audience includes the person → recorded once, the signal sent once, inside the completing
transaction; anything missing → nothing. And ``campaign_status_for`` for the "my
progress" list."""

from __future__ import annotations

import pytest
from django.utils import timezone

from courses.factories import CourseIndexPageFactory, CoursePageFactory
from events.factories import EventFactory
from events.models import (
    Attendance,
    AttendanceMethod,
    AttendanceStatus,
    CampaignCompletion,
    EventStatus,
    MakeUp,
)
from events.services.completion import (
    EventState,
    campaign_completion_evaluate,
    campaign_status_for,
)
from events.signals import campaign_completed
from people.factories import rank
from qinglian.models import HomePage

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(org, campaign, event):
    """Two required events for the city (``event`` and a second) plus an optional one."""
    second = EventFactory(campaign=campaign, audience_unit=org.city, trainer=org.trainer)
    optional = EventFactory(
        campaign=campaign, audience_unit=org.city, trainer=org.trainer, required=False
    )
    return [event, second, optional]


@pytest.fixture
def course(db):
    index = CourseIndexPageFactory(parent=HomePage.objects.get())
    return CoursePageFactory(parent=index, title="警示教育片回放", slug="replay")


@pytest.fixture
def signals():
    sent = []

    def receiver(sender, completion, **kwargs):
        sent.append(completion.pk)

    campaign_completed.connect(receiver, dispatch_uid="test-completion-receiver")
    yield sent
    campaign_completed.disconnect(dispatch_uid="test-completion-receiver")


def attend(event, user, status=AttendanceStatus.PRESENT, **kwargs):
    return Attendance.objects.update_or_create(
        event=event,
        user=user,
        defaults={
            "status": status,
            "method": AttendanceMethod.ROSTER,
            "checked_in_at": timezone.now(),
            **kwargs,
        },
    )[0]


def test_attended_all_required_completes_once(
    org, campaign, events, signals, django_capture_on_commit_callbacks
):
    person = org.finance_learner
    attend(events[0], person)
    attend(events[1], person, AttendanceStatus.LATE)
    # The optional event is not needed.
    with django_capture_on_commit_callbacks(execute=True):
        completion = campaign_completion_evaluate(user=person, campaign=campaign)
    assert completion is not None
    assert signals == [completion.pk]

    with django_capture_on_commit_callbacks(execute=True):
        again = campaign_completion_evaluate(user=person, campaign=campaign)
    assert again == completion
    assert CampaignCompletion.objects.filter(user=person, campaign=campaign).count() == 1
    assert signals == [completion.pk]  # not sent a second time


def test_one_missing_event_means_no_completion(org, campaign, events, signals):
    attend(events[0], org.finance_learner)
    assert campaign_completion_evaluate(user=org.finance_learner, campaign=campaign) is None
    assert not CampaignCompletion.objects.exists()
    assert signals == []


def test_absent_does_not_count(org, campaign, events):
    attend(events[0], org.finance_learner)
    attend(events[1], org.finance_learner, AttendanceStatus.ABSENT)
    assert campaign_completion_evaluate(user=org.finance_learner, campaign=campaign) is None


def test_excused_with_makeup_done_counts(
    org, campaign, events, course, signals, django_capture_on_commit_callbacks
):
    person = org.budget_learner
    attend(events[0], person)
    attend(events[1], person, AttendanceStatus.EXCUSED, method=AttendanceMethod.LEAVE)
    makeup = MakeUp.objects.create(event=events[1], user=person, course=course)
    # Excused, make-up not done yet: not complete.
    assert campaign_completion_evaluate(user=person, campaign=campaign) is None
    status = campaign_status_for(user=person, campaign=campaign)
    assert [p.state for p in status.events] == [EventState.ATTENDED, EventState.EXCUSED_PENDING]

    makeup.completed_at = timezone.now()
    makeup.save()
    with django_capture_on_commit_callbacks(execute=True):
        completion = campaign_completion_evaluate(user=person, campaign=campaign)
    assert completion is not None
    assert signals == [completion.pk]
    status = campaign_status_for(user=person, campaign=campaign)
    assert [p.state for p in status.events] == [EventState.ATTENDED, EventState.MADE_UP]
    assert status.completed


def test_cancelled_events_do_not_count(org, campaign, events):
    events[1].status = EventStatus.CANCELLED
    events[1].save()
    attend(events[0], org.finance_learner)
    assert campaign_completion_evaluate(user=org.finance_learner, campaign=campaign) is not None


def test_events_outside_the_persons_audience_do_not_count(org, campaign, events):
    # A required event for housing only: the finance learner never needs it.
    EventFactory(campaign=campaign, audience_unit=org.housing, trainer=org.trainer)
    # A required event for 正科级 and above: the 科员 does not need it either.
    EventFactory(
        campaign=campaign, audience_unit=org.city, trainer=org.trainer, min_rank=rank("ZKJ")
    )
    attend(events[0], org.finance_learner)
    attend(events[1], org.finance_learner)
    assert campaign_completion_evaluate(user=org.finance_learner, campaign=campaign) is not None
    # The housing learner attended the city events but not the housing one.
    attend(events[0], org.housing_learner)
    attend(events[1], org.housing_learner)
    assert campaign_completion_evaluate(user=org.housing_learner, campaign=campaign) is None


def test_unconfirmed_walk_in_does_not_count(org, campaign, events):
    attend(events[0], org.finance_learner)
    attend(events[1], org.finance_learner, walk_in=True)
    assert campaign_completion_evaluate(user=org.finance_learner, campaign=campaign) is None
    Attendance.objects.filter(event=events[1]).update(walk_in_confirmed_at=timezone.now())
    assert campaign_completion_evaluate(user=org.finance_learner, campaign=campaign) is not None


def test_no_required_event_means_no_completion(org, campaign):
    EventFactory(campaign=campaign, audience_unit=org.city, trainer=org.trainer, required=False)
    assert campaign_completion_evaluate(user=org.finance_learner, campaign=campaign) is None


def test_person_outside_the_campaign_never_completes(org, events):
    from events.factories import CampaignFactory

    housing_campaign = CampaignFactory(audience_unit=org.housing)
    e = EventFactory(campaign=housing_campaign, audience_unit=org.city, trainer=org.trainer)
    attend(e, org.finance_learner)
    assert campaign_completion_evaluate(user=org.finance_learner, campaign=housing_campaign) is None


def test_status_for_lists_missing_and_attended(
    org, campaign, events, django_assert_max_num_queries
):
    attend(events[0], org.finance_learner)
    with django_assert_max_num_queries(5):
        status = campaign_status_for(user=org.finance_learner, campaign=campaign)
    assert status.included
    assert [p.event for p in status.events] == events[:2]
    assert [p.state for p in status.events] == [EventState.ATTENDED, EventState.MISSING]
    assert (status.done_count, status.total, status.completed) == (1, 2, False)


def test_completion_is_kept_after_a_correction(org, campaign, events):
    attend(events[0], org.finance_learner)
    attend(events[1], org.finance_learner)
    first = campaign_completion_evaluate(user=org.finance_learner, campaign=campaign)
    attend(events[1], org.finance_learner, AttendanceStatus.ABSENT)
    assert campaign_completion_evaluate(user=org.finance_learner, campaign=campaign) == first


def test_a_receiver_failing_on_a_constraint_is_not_taken_for_the_race(org, campaign, events):
    """One savepoint holds the completion and its signal: a receiver's IntegrityError
    rolls the completion back and reaches the caller (it is not read as "another request
    recorded it first")."""
    from django.db import IntegrityError, transaction

    attend(events[0], org.finance_learner)
    attend(events[1], org.finance_learner)

    def broken(sender, completion, **kwargs):
        raise IntegrityError("receiver failed")

    campaign_completed.connect(broken, dispatch_uid="test-completion-broken")
    try:
        with transaction.atomic(), pytest.raises(IntegrityError, match="receiver failed"):
            campaign_completion_evaluate(user=org.finance_learner, campaign=campaign)
    finally:
        campaign_completed.disconnect(dispatch_uid="test-completion-broken")
    assert not CampaignCompletion.objects.exists()


def test_the_row_just_written_is_used_as_it_is(org, campaign, events, signals):
    """The caller's fresh row is not read again; with every event attended no make-up
    is read either."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    attend(events[0], org.finance_learner)
    fresh = attend(events[1], org.finance_learner)
    with CaptureQueriesContext(connection) as ctx:
        completion = campaign_completion_evaluate(
            user=org.finance_learner, campaign=campaign, attendance=fresh
        )
    assert completion is not None and signals == [completion.pk]
    sql = [q["sql"] for q in ctx.captured_queries]
    reads = [q for q in sql if q.startswith('SELECT "events_attendance"')]
    assert len(reads) == 1 and f"IN ({events[0].pk})" in reads[0], sql
    assert not any("events_makeup" in q for q in sql), sql
