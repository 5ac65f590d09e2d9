"""Real concurrency (PostgreSQL, threads with their own connections): a report submitted
from several tabs at once is one row; concurrent completion evaluations record one
completion and announce it once. The same invariants are shown sequentially (double
submit, evaluating twice) on any database in test_campaign_pages.py and
test_completion.py."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from events.factories import CampaignActionFactory, CampaignFactory, EventFactory
from events.models import (
    ActionReport,
    Attendance,
    AttendanceMethod,
    AttendanceStatus,
    CampaignCompletion,
)
from events.services.campaigns import report_save
from events.services.completion import campaign_completion_evaluate
from events.signals import campaign_completed
from tests.concurrency import in_threads

needs_pg = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
)
pytestmark = [needs_pg, pytest.mark.django_db(transaction=True)]


def test_concurrent_report_submits_make_one_report(org):
    campaign = CampaignFactory(audience_unit=org.city, created_by=org.city_admin)
    action = CampaignActionFactory(campaign=campaign, title="召开警示教育大会")

    def submit(i):
        return lambda: (
            report_save(
                by=org.finance_admin,
                action=action,
                unit=org.finance,
                done_on=timezone.localdate() - datetime.timedelta(days=1),
                summary=f"第{i}次提交",
                participants=10 + i,
            ).pk
        )

    results, errors = in_threads([submit(i) for i in range(8)])
    assert not errors, errors
    assert len(set(results)) == 1
    assert ActionReport.objects.filter(action=action, unit=org.finance).count() == 1


def test_concurrent_evaluations_record_one_completion_and_one_signal(org):
    campaign = CampaignFactory(audience_unit=org.city, created_by=org.city_admin)
    event = EventFactory(campaign=campaign, audience_unit=org.city, trainer=org.trainer)
    person = org.finance_learner
    Attendance.objects.create(
        event=event,
        user=person,
        status=AttendanceStatus.PRESENT,
        method=AttendanceMethod.ROSTER,
        checked_in_at=timezone.now(),
    )
    sent, lock = [], threading.Lock()

    def receiver(sender, completion, **kwargs):
        with lock:
            sent.append(completion.pk)

    campaign_completed.connect(receiver, dispatch_uid="test-concurrent-completion")
    try:

        def evaluate():
            with transaction.atomic():
                completion = campaign_completion_evaluate(user=person, campaign=campaign)
            return completion.pk if completion else None

        results, errors = in_threads([evaluate] * 8)
    finally:
        campaign_completed.disconnect(dispatch_uid="test-concurrent-completion")
    assert not errors, errors
    completion = CampaignCompletion.objects.get(user=person, campaign=campaign)
    assert set(results) == {completion.pk}
    assert sent == [completion.pk]
