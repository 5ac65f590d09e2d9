"""The pre-appointment programme: steps advance one by one, the appointment clears
exactly once (also when evaluated twice), waivers only by a discipline officer covering
the official, and the receivers of the course, quiz, talk and pledge signals."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEntry
from courses.models import CourseCompletion
from notifications.models import Notification
from people.factories import UserFactory, rank
from people.models import Role
from people.services import role_grant
from talks.models import AppointmentStatus, StepKind, StepStatus
from talks.services.programme import programme_evaluate, step_waive
from talks.signals import appointee_cleared

from .test_appointment_support import (  # noqa: F401
    appoint,
    pass_quiz,
    programme_fixture,
    record_talk,
    sign_pledge,
    study,
)


@pytest.fixture
def cleared_events():
    events = []

    def receiver(sender, appointment, **kwargs):
        events.append(appointment.pk)

    appointee_cleared.connect(receiver, dispatch_uid="test-programme-cleared")
    yield events
    appointee_cleared.disconnect(dispatch_uid="test-programme-cleared")


def states(appointment) -> dict[str, str]:
    return dict(appointment.steps.values_list("kind", "status"))


def test_checklist_advances_step_by_step_and_clears_once(
    org, programme, cleared_events, django_capture_on_commit_callbacks
):
    user = org.finance_learner
    with django_capture_on_commit_callbacks(execute=True):
        appointment = appoint(org, programme)
    assert states(appointment) == dict.fromkeys(
        [StepKind.COURSE, StepKind.QUIZ, StepKind.TALK, StepKind.PLEDGE], StepStatus.PENDING
    )

    with django_capture_on_commit_callbacks(execute=True):
        study(user, programme)
    # The course has a quiz: studying alone completes neither step.
    assert states(appointment)[StepKind.COURSE] == StepStatus.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        pass_quiz(user, programme, passed=False)
    assert states(appointment)[StepKind.QUIZ] == StepStatus.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        attempt = pass_quiz(user, programme)
    steps = {s.kind: s for s in appointment.steps.all()}
    completion = CourseCompletion.objects.get(user=user, course=programme.course)
    assert steps[StepKind.QUIZ].status == StepStatus.DONE
    assert steps[StepKind.QUIZ].evidence == f"attempt:{attempt.pk}"
    assert steps[StepKind.COURSE].status == StepStatus.DONE
    assert steps[StepKind.COURSE].evidence == f"completion:{completion.pk}"
    assert steps[StepKind.TALK].status == StepStatus.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        talk = record_talk(org, appointment)
    assert states(appointment)[StepKind.TALK] == StepStatus.DONE
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.IN_PROGRESS
    assert cleared_events == []

    with django_capture_on_commit_callbacks(execute=True):
        signature = sign_pledge(appointment, programme.pledge)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CLEARED
    assert appointment.cleared_at is not None
    assert appointment.steps.get(kind=StepKind.PLEDGE).evidence == f"pledge:{signature.pk}"
    assert appointment.steps.get(kind=StepKind.TALK).evidence == f"talk:{talk.pk}"
    assert cleared_events == [appointment.pk]
    # The official and the unit admins above the unit (finance, city) are told, once.
    told = set(
        Notification.objects.filter(key=f"appointment-cleared:{appointment.pk}").values_list(
            "user_id", flat=True
        )
    )
    assert told == {user.pk, org.finance_admin.pk, org.city_admin.pk}

    # Evaluating again (two receivers racing) clears nothing a second time.
    first = appointment.cleared_at
    with django_capture_on_commit_callbacks(execute=True):
        programme_evaluate(appointment=appointment)
        programme_evaluate(appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.cleared_at == first
    assert cleared_events == [appointment.pk]
    assert Notification.objects.filter(key=f"appointment-cleared:{appointment.pk}").count() == 3


def test_a_course_without_a_quiz_marks_the_quiz_step_done(org, programme):
    programme.course.quiz = None
    programme.course.save_revision().publish()
    appointment = appoint(org, programme)
    step = appointment.steps.get(kind=StepKind.QUIZ)
    assert step.status == StepStatus.DONE
    assert step.evidence == "no-quiz"


def test_a_course_completed_before_the_appointment_counts_at_once(
    org, programme, django_capture_on_commit_callbacks
):
    user = org.finance_learner
    from courses.services.assignments import enrolment_assign_person

    enrolment_assign_person(user=user, course=programme.course, due_date=None)
    with django_capture_on_commit_callbacks(execute=True):
        study(user, programme)
        pass_quiz(user, programme)
    appointment = appoint(org, programme)
    assert states(appointment)[StepKind.COURSE] == StepStatus.DONE
    assert states(appointment)[StepKind.QUIZ] == StepStatus.DONE


def test_a_pledge_on_an_older_text_does_not_count(org, programme):
    from talks.factories import PledgeTextFactory

    appointment = appoint(org, programme)
    sign_pledge(appointment, programme.pledge)
    assert states(appointment)[StepKind.PLEDGE] == StepStatus.DONE  # given for it
    other = appoint(org, programme, person=org.budget_learner, position_title="科长")
    programme.pledge.is_current = False
    programme.pledge.save()
    PledgeTextFactory(version=2)
    # An old signature given for nothing in particular does not count for a new text.
    from talks.models import PledgeSignature

    PledgeSignature.objects.create(
        text=programme.pledge, user=org.budget_learner, typed_name="李四", text_sha256="0" * 64
    )
    programme_evaluate(appointment=other)
    assert states(other)[StepKind.PLEDGE] == StepStatus.PENDING


def other_officer(org):
    user = UserFactory(
        email="jw.housing@example.gov.cn",
        full_name="住建纪检员",
        unit=org.housing,
        rank_level=rank("ZKJ"),
    )
    role_grant(user=user, role=Role.DISCIPLINE_OFFICER, unit=org.housing)
    return user


@pytest.mark.parametrize("who", ["superuser", "finance_admin", "city_admin", "other_officer"])
def test_only_a_covering_discipline_officer_may_waive(org, programme, who):
    appointment = appoint(org, programme)
    step = appointment.steps.get(kind=StepKind.TALK)
    by = other_officer(org) if who == "other_officer" else getattr(org, who)
    with pytest.raises(PermissionDenied):
        step_waive(by=by, step=step, reason="出差在外")
    step.refresh_from_db()
    assert step.status == StepStatus.PENDING
    assert not AuditEntry.objects.filter(object_type="talks.programmestep").exists()


def test_a_waiver_needs_a_reason(org, programme):
    appointment = appoint(org, programme)
    step = appointment.steps.get(kind=StepKind.TALK)
    with pytest.raises(ValidationError) as exc:
        step_waive(by=org.discipline, step=step, reason="   ")
    assert "reason" in exc.value.error_dict
    step.refresh_from_db()
    assert step.status == StepStatus.PENDING


def test_waiving_the_remaining_steps_clears_once(
    org, programme, cleared_events, django_capture_on_commit_callbacks
):
    appointment = appoint(org, programme)
    with django_capture_on_commit_callbacks(execute=True):
        for step in appointment.steps.all():
            step_waive(by=org.discipline, step=step, reason="已参加上级组织的集中任前教育")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CLEARED
    assert cleared_events == [appointment.pk]
    step = appointment.steps.get(kind=StepKind.TALK)
    assert step.waived_by == org.discipline
    assert AuditEntry.objects.filter(object_type="talks.programmestep").count() == 4
    with pytest.raises(ValidationError):
        step_waive(by=org.discipline, step=step, reason="again")


def test_a_superuser_with_the_discipline_role_may_waive(org, programme):
    role_grant(user=org.superuser, role=Role.DISCIPLINE_OFFICER, unit=org.city)
    org.superuser.__dict__.pop("_role_paths_cache", None)
    appointment = appoint(org, programme)
    step = appointment.steps.get(kind=StepKind.TALK)
    step_waive(by=org.superuser, step=step, reason="特殊情况")
    step.refresh_from_db()
    assert step.status == StepStatus.WAIVED
