"""Real concurrency (PostgreSQL, threads with their own connections): evaluations racing
on the same appointment mark each step once and clear it once, sending
``appointee_cleared`` once. The same invariant is shown on any database by evaluating
twice in test_programme.py."""

from __future__ import annotations

import pytest
from django.db import connection

from talks.models import AppointmentStatus, ProgrammeStep, StepKind, StepStatus
from talks.services.programme import programme_evaluate
from talks.signals import appointee_cleared
from tests.concurrency import in_threads

from .test_appointment_support import appoint, programme_fixture, record_talk  # noqa: F401

needs_pg = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
)
pytestmark = [needs_pg, pytest.mark.django_db(transaction=True)]


def test_racing_evaluations_clear_once(org, programme):
    events = []

    def receiver(sender, appointment, **kwargs):
        events.append(appointment.pk)

    appointee_cleared.connect(receiver, dispatch_uid="test-concurrency-cleared")
    try:
        appointment = appoint(org, programme)
        # Everything but the talk is done; the talk is recorded without the signal, so
        # the racing evaluations below are the ones that find it.
        ProgrammeStep.objects.filter(appointment=appointment).exclude(kind=StepKind.TALK).update(
            status=StepStatus.DONE, evidence="test"
        )
        from talks.signals import talk_recorded

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(talk_recorded, "send", lambda *a, **k: [])
            record_talk(org, appointment)
        _results, errors = in_threads([lambda: programme_evaluate(appointment=appointment)] * 6)
        assert not errors, errors
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.CLEARED
        assert events == [appointment.pk]
        assert appointment.steps.get(kind=StepKind.TALK).evidence.startswith("talk:")
    finally:
        appointee_cleared.disconnect(dispatch_uid="test-concurrency-cleared")
