"""The pre-appointment programme (任前廉政教育) and clean-government talks.

An :class:`Appointment` (a newly promoted official) starts a checklist of
:class:`ProgrammeStep` rows: the pre-appointment course completed, its test passed, the
pre-appointment talk held and recorded, the integrity pledge signed. When every step is
done or waived the appointment is *cleared*, once (``cleared_at``, set by a conditional
UPDATE), and ``talks.signals.appointee_cleared`` tells the rest of the system.

:class:`TalkRecord` rows are confidential: who may see what is decided in
``talks.selectors`` only, every read and write is written to the audit log
(``audit.services``) in the same transaction, and they are never cached or indexed for
search. :class:`PledgeSignature` rows are immutable once written.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppointmentStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    CLEARED = "cleared", _("Cleared")
    CANCELLED = "cancelled", _("Cancelled")


class PositionKind(models.TextChoices):
    """Kinds of position, each with its own pledge text."""

    LEADING = "leading", _("Leading position")
    GENERAL = "general", _("General position")
    KEY = "key", _("Key position (funds, procurement, approvals)")


class Appointment(models.Model):
    """A promotion or new post recorded by a unit admin: starts the programme."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("official"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    unit = models.ForeignKey(
        "people.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="appointments",
        help_text=_("The unit of the new position."),
    )
    position_title = models.CharField(_("new position"), max_length=120)
    position_kind = models.CharField(
        _("kind of position"),
        max_length=16,
        choices=PositionKind.choices,
        default=PositionKind.LEADING,
        help_text=_("Decides which pledge text the official signs."),
    )
    rank_level = models.ForeignKey(
        "people.RankLevel",
        verbose_name=_("new rank level"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    previous_rank_level = models.ForeignKey(
        "people.RankLevel",
        verbose_name=_("previous rank level"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_date = models.DateField(_("decision date"))
    take_office_date = models.DateField(
        _("take-office date"), help_text=_("The programme must be finished by this day.")
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        verbose_name=_("pre-appointment course"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    enrolment = models.ForeignKey(
        "courses.Enrolment",
        verbose_name=_("enrolment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.IN_PROGRESS,
    )
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering: ClassVar[list[str]] = ["take_office_date", "id"]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=Q(take_office_date__gte=models.F("decision_date")),
                name="talks_appointment_dates_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="cleared", cleared_at__isnull=False) | ~Q(status="cleared"),
                name="talks_appointment_cleared_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.position_title}"


class StepKind(models.TextChoices):
    COURSE = "course", _("Pre-appointment course completed")
    QUIZ = "quiz", _("Test passed")
    TALK = "talk", _("Integrity talk held and recorded")
    PLEDGE = "pledge", _("Integrity pledge signed")


#: The order in which the checklist shows its steps.
STEP_ORDER = (StepKind.COURSE, StepKind.QUIZ, StepKind.TALK, StepKind.PLEDGE)


class StepStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    WAIVED = "waived", _("Waived")


class ProgrammeStep(models.Model):
    """One step of an appointment's checklist."""

    appointment = models.ForeignKey(
        Appointment, verbose_name=_("appointment"), on_delete=models.CASCADE, related_name="steps"
    )
    kind = models.CharField(_("step"), max_length=16, choices=StepKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=StepStatus.choices, default=StepStatus.PENDING
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    evidence = models.CharField(
        _("evidence"),
        max_length=80,
        blank=True,
        help_text=_("What completed the step, e.g. completion:12, attempt:34, talk:5, pledge:6."),
    )
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("waived by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    waive_reason = models.CharField(_("reason for waiving"), max_length=300, blank=True)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("programme step")
        verbose_name_plural = _("programme steps")
        ordering: ClassVar[list[str]] = ["appointment", "id"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["appointment", "kind"], name="talks_step_unique"),
            models.CheckConstraint(
                condition=~Q(status="waived") | (Q(waived_by__isnull=False) & ~Q(waive_reason="")),
                name="talks_step_waiver_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appointment} · {self.get_kind_display()}"


class TalkKind(models.TextChoices):
    PRE_APPOINTMENT = "pre_appointment", _("Pre-appointment integrity talk")  # 任前廉政谈话
    REMINDER = "reminder", _("Reminder talk")  # 提醒谈话
    INTERVIEW = "interview", _("Interview")  # 约谈
    ADMONISHMENT = "admonishment", _("Admonishment talk")  # 诫勉谈话
    ROUTINE = "routine", _("Routine talk")  # 日常谈话


class TalkStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    RECORDED = "recorded", _("Recorded")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class TalkRecord(models.Model):
    """A clean-government talk and what was said. Confidential: see the module docstring."""

    kind = models.CharField(_("kind"), max_length=20, choices=TalkKind.choices)
    official = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("official"),
        on_delete=models.PROTECT,
        related_name="talks_received",
    )
    unit = models.ForeignKey(
        "people.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The official's unit when the talk was scheduled: decides scope."),
    )
    appointment = models.ForeignKey(
        Appointment,
        verbose_name=_("appointment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="talks",
    )
    talkers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("talkers"),
        related_name="talks_held",
    )
    recorder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorder"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="talks_recorded",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TalkStatus.choices, default=TalkStatus.SCHEDULED
    )
    scheduled_at = models.DateTimeField(_("time"))
    place = models.CharField(_("place"), max_length=200)
    held_at = models.DateTimeField(_("held at"), null=True, blank=True)
    outline = models.TextField(_("outline"), blank=True, help_text=_("Internal."))
    content = models.TextField(_("record of the talk"), blank=True, help_text=_("Internal."))
    summary = models.TextField(
        _("summary for the official"),
        blank=True,
        help_text=_("The official sees this summary of a pre-appointment talk."),
    )
    official_statement = models.TextField(_("the official's statement"), blank=True)
    follow_up_course = models.ForeignKey(
        "courses.CoursePage",
        verbose_name=_("remedial course"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    follow_up_assignment = models.ForeignKey(
        "courses.Assignment",
        verbose_name=_("remedial assignment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    follow_up_date = models.DateField(_("follow-up date"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closure_note = models.TextField(_("closing note"), blank=True)
    reschedule_count = models.PositiveSmallIntegerField(
        _("times rescheduled"),
        default=0,
        help_text=_("Each new time or place is told to the official once."),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(
        _("reason for cancelling"), blank=True, help_text=_("Internal.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("talk record")
        verbose_name_plural = _("talk records")
        ordering: ClassVar[list[str]] = ["-scheduled_at", "-id"]
        default_permissions = ()  # nobody gets rights on these through Django's permissions
        constraints: ClassVar[list[Any]] = [
            # One live pre-appointment talk per appointment; a cancelled one makes room
            # for the talk scheduled in its place.
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(kind="pre_appointment", appointment__isnull=False)
                & ~Q(status="cancelled"),
                name="talks_one_pre_appointment_talk",
            ),
            # A cancelled talk says when and why; no other talk has a cancel time.
            models.CheckConstraint(
                condition=(~Q(status="cancelled") & Q(cancelled_at__isnull=True))
                | (Q(status="cancelled", cancelled_at__isnull=False) & ~Q(cancel_reason="")),
                name="talks_cancelled_has_time_and_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.official}"


class PledgeText(models.Model):
    """A version of the integrity pledge (廉政承诺书) for a kind of position. A version
    that has been signed is never changed: a new version is published instead."""

    position_kind = models.CharField(
        _("kind of position"), max_length=16, choices=PositionKind.choices
    )
    version = models.PositiveSmallIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    is_current = models.BooleanField(_("current"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("pledge text")
        verbose_name_plural = _("pledge texts")
        ordering: ClassVar[list[str]] = ["position_kind", "-version"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["position_kind", "version"], name="talks_pledgetext_version_unique"
            ),
            models.UniqueConstraint(
                fields=["position_kind"],
                condition=Q(is_current=True),
                name="talks_pledgetext_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class PledgeSignature(models.Model):
    """A signed pledge: immutable. Stores the SHA-256 of the exact text signed."""

    text = models.ForeignKey(
        PledgeText,
        verbose_name=_("pledge text"),
        on_delete=models.PROTECT,
        related_name="signatures",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("official"),
        on_delete=models.PROTECT,
        related_name="pledge_signatures",
    )
    appointment = models.ForeignKey(
        Appointment,
        verbose_name=_("appointment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges",
    )
    typed_name = models.CharField(_("name as typed"), max_length=60)
    text_sha256 = models.CharField(_("SHA-256 of the text"), max_length=64)
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("pledge signature")
        verbose_name_plural = _("pledge signatures")
        ordering: ClassVar[list[str]] = ["-signed_at"]
        default_permissions = ("view",)
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["user", "text"], name="talks_signature_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.text}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("A signed pledge cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("A signed pledge cannot be deleted.")
