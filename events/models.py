"""The education month (党风廉政建设宣传教育月): campaigns with their required and chosen
actions, events, registration, attendance (rotating-QR check-in, roster, paper sheets),
leave and make-up study, and private calendar feeds.

Everything here changes per person or per unit, so these are plain models, not pages.
The rules that must never break are database constraints: one registration, one
attendance row, one leave request and one make-up per person and event; one report per
action and unit; one completion per person and campaign.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _new_secret() -> str:
    return secrets.token_urlsafe(24)


def _new_feed_token() -> str:
    return secrets.token_urlsafe(32)


# --- Campaigns ---------------------------------------------------------------------------


class Campaign(models.Model):
    """One year's education month for an audience (a unit subtree, optionally from a
    minimum rank level up)."""

    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    theme = models.CharField(_("theme"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    audience_unit = models.ForeignKey(
        "people.OrgUnit",
        verbose_name=_("audience unit"),
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text=_("The campaign covers this unit and every unit below it."),
    )
    min_rank = models.ForeignKey(
        "people.RankLevel",
        verbose_name=_("minimum rank level"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering: ClassVar[list[str]] = ["-year", "-starts_on", "id"]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="events_campaign_period_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ActionKind(models.TextChoices):
    REQUIRED = "required", _("Required action")  # 规定动作
    CHOSEN = "chosen", _("Chosen action")  # 自选动作


class CampaignAction(models.Model):
    """Something units must do (a required action, ``unit`` empty: every unit of the
    audience) or that one unit chose to do (``unit`` set)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="actions"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ActionKind.choices)
    unit = models.ForeignKey(
        "people.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="campaign_actions",
        help_text=_("The unit that chose this action; empty for a required action."),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("campaign action")
        verbose_name_plural = _("campaign actions")
        ordering: ClassVar[list[str]] = ["campaign", "kind", "order", "id"]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=(
                    Q(kind="required", unit__isnull=True) | Q(kind="chosen", unit__isnull=False)
                ),
                name="events_action_kind_unit",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ActionReport(models.Model):
    """What a unit did for an action: one report per action and unit, with evidence."""

    action = models.ForeignKey(
        CampaignAction,
        verbose_name=_("campaign action"),
        on_delete=models.CASCADE,
        related_name="reports",
    )
    unit = models.ForeignKey(
        "people.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        related_name="action_reports",
    )
    done_on = models.DateField(_("done on"))
    summary = models.TextField(_("what was done"))
    participants = models.PositiveIntegerField(_("participants"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("action report")
        verbose_name_plural = _("action reports")
        ordering: ClassVar[list[str]] = ["action", "unit__path"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["action", "unit"], name="events_report_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.action} · {self.unit}"


def private_storage() -> Storage:
    """The storage of files served only through a scope-checking view (never /media/)."""
    return storages["private"]


def evidence_upload_to(instance: ActionEvidence, filename: str) -> str:
    # The stored name never uses the uploaded file name (it may hold anything).
    ext = {
        "image/jpeg": "jpg",
        "image/png": "png",
        "application/pdf": "pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    }.get(instance.content_type, "bin")
    return f"events/evidence/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{ext}"


class ActionEvidence(models.Model):
    """A photo, minutes or a scanned sign-in sheet attached to a report. The content type
    is what the content says (checked on upload), not what the browser claimed."""

    report = models.ForeignKey(
        ActionReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(
        _("file"), upload_to=evidence_upload_to, storage=private_storage, max_length=255
    )
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering: ClassVar[list[str]] = ["report", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


# --- Events ------------------------------------------------------------------------------


class EventKind(models.TextChoices):
    LECTURE = "lecture", _("Lecture")
    WARNING_CONFERENCE = "warning_conference", _("Warning-education conference")
    FILM = "film", _("Film screening")
    EXHIBITION = "exhibition", _("Exhibition visit")
    STUDY_DISCUSSION = "study_discussion", _("Study discussion")
    DEBRIEFING = "debriefing", _("Debriefing on work and integrity")
    CONTEST = "contest", _("Knowledge contest")


class EventStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


class Event(models.Model):
    """A lecture, conference, film … with its audience, check-in window and credit."""

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        help_text=_("Places in all, audience included; leave empty for no limit."),
    )
    audience_unit = models.ForeignKey(
        "people.OrgUnit",
        verbose_name=_("audience unit"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    min_rank = models.ForeignKey(
        "people.RankLevel",
        verbose_name=_("minimum rank level"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainer"),
        on_delete=models.PROTECT,
        related_name="events_run",
        help_text=_("Runs the event: shows the check-in code and marks the roster."),
    )
    credit_hours = models.DecimalField(
        _("study hours"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("2.0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    required = models.BooleanField(
        _("required"),
        default=True,
        help_text=_("Counts toward completing the campaign for its audience."),
    )
    checkin_opens_at = models.DateTimeField(_("check-in opens at"))
    checkin_closes_at = models.DateTimeField(_("check-in closes at"))
    late_after_minutes = models.PositiveSmallIntegerField(
        _("late after (minutes)"),
        default=10,
        help_text=_("A check-in this many minutes after the start is recorded as late."),
    )
    makeup_course = models.ForeignKey(
        "courses.CoursePage",
        verbose_name=_("make-up course"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Studied instead by people excused from the event (e.g. the recording)."),
    )
    makeup_lesson = models.ForeignKey(
        "courses.LessonPage",
        verbose_name=_("make-up lesson"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=EventStatus.choices, default=EventStatus.SCHEDULED
    )
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    sequence = models.PositiveIntegerField(
        _("calendar sequence"),
        default=0,
        help_text=_("Raised on every change of time, place or status (RFC 5545 SEQUENCE)."),
    )
    checkin_secret = models.CharField(
        _("check-in secret"), max_length=64, default=_new_secret, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering: ClassVar[list[str]] = ["starts_at", "id"]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="events_event_times_valid"
            ),
            models.CheckConstraint(
                condition=Q(checkin_closes_at__gt=F("checkin_opens_at")),
                name="events_event_checkin_window_valid",
            ),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["status", "starts_at"], name="events_event_status_start"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED


class RegistrationSource(models.TextChoices):
    AUDIENCE = "audience", _("Audience")
    SELF = "self", _("Registered themselves")
    WALK_IN = "walk_in", _("Walk-in")


class Registration(models.Model):
    """A place at an event: audience members automatically, others while places remain."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="registrations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="event_registrations",
    )
    source = models.CharField(
        _("source"),
        max_length=16,
        choices=RegistrationSource.choices,
        default=RegistrationSource.AUDIENCE,
    )
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering: ClassVar[list[str]] = ["event", "registered_at", "id"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["event", "user"], name="events_registration_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.event}"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    EXCUSED = "excused", _("Excused")
    ABSENT = "absent", _("Absent")


#: Statuses that mean the person was there (and earn the event's hours).
ATTENDED = frozenset({AttendanceStatus.PRESENT, AttendanceStatus.LATE})


class AttendanceMethod(models.TextChoices):
    QR = "qr", _("QR check-in")
    ROSTER = "roster", _("Roster")
    SHEET = "sheet", _("Paper sign-in sheet")
    LEAVE = "leave", _("Approved leave")


class Attendance(models.Model):
    """One row per person and event, whatever the number of scans (a constraint)."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="attendance"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="attendance",
    )
    status = models.CharField(_("status"), max_length=16, choices=AttendanceStatus.choices)
    method = models.CharField(_("how recorded"), max_length=16, choices=AttendanceMethod.choices)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    walk_in = models.BooleanField(
        _("walk-in"), default=False, help_text=_("Not in the audience: the trainer confirms.")
    )
    walk_in_confirmed_at = models.DateTimeField(_("walk-in confirmed at"), null=True, blank=True)
    device_id = models.CharField(_("device"), max_length=64, blank=True)
    shared_device = models.BooleanField(
        _("shared device"),
        default=False,
        help_text=_("Someone else checked in to this event from the same device."),
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering: ClassVar[list[str]] = ["event", "checked_in_at", "id"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["event", "user"], name="events_attendance_unique"),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["event", "device_id"], name="events_attendance_device"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.event} · {self.get_status_display()}"

    @property
    def attended(self) -> bool:
        return self.status in ATTENDED and (
            not self.walk_in or self.walk_in_confirmed_at is not None
        )


class LeaveStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class LeaveRequest(models.Model):
    """A cadre's request to be excused from an event, decided by a unit admin in scope."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="leave_requests"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="leave_requests",
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=16, choices=LeaveStatus.choices, default=LeaveStatus.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note on the decision"), max_length=300, blank=True)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("leave request")
        verbose_name_plural = _("leave requests")
        ordering: ClassVar[list[str]] = ["-requested_at", "id"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["event", "user"], name="events_leave_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.event}"


class MakeUp(models.Model):
    """Make-up study for an excused absence: a course or a lesson that counts instead of
    the event once completed."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="makeups"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="event_makeups",
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        verbose_name=_("course"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lesson = models.ForeignKey(
        "courses.LessonPage",
        verbose_name=_("lesson"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("make-up study")
        verbose_name_plural = _("make-up study")
        ordering: ClassVar[list[str]] = ["event", "user"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["event", "user"], name="events_makeup_unique"),
            models.CheckConstraint(
                condition=Q(course__isnull=False) | Q(lesson__isnull=False),
                name="events_makeup_has_study",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.event}"


class CampaignCompletion(models.Model):
    """Recorded once when a person attended or made up every required event of a campaign;
    ``events.signals.campaign_completed`` announces it (certificates in #8 listen)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="completions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="campaign_completions",
    )
    completed_at = models.DateTimeField(_("completed at"), default=timezone.now)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("campaign completion")
        verbose_name_plural = _("campaign completions")
        ordering: ClassVar[list[str]] = ["-completed_at"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["campaign", "user"], name="events_completion_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.campaign}"


class CalendarFeed(models.Model):
    """A person's private calendar feed: the secret token is the only credential, so it
    can be revoked (a new token replaces it)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=_new_feed_token)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)
