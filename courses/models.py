"""Courses, lessons and honesty talks (pages); assignments, enrolments, progress,
completions and the study-hour ledger (plain models: they change per person)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from qinglian.search import SEGMENTED_PAGE_SEARCH_FIELDS, SegmentedSearchField

from .blocks import lesson_body_blocks, objectives_blocks


class CourseKind(models.TextChoices):
    DISCIPLINE = "discipline", _("Party-discipline course")
    WARNING = "warning", _("Warning education")
    PRE_APPOINTMENT = "pre_appointment", _("Pre-appointment course")
    OTHER = "other", _("Other")


#: Kinds whose hours count toward the annual integrity-education requirement.
INTEGRITY_KINDS = frozenset({CourseKind.DISCIPLINE, CourseKind.WARNING, CourseKind.PRE_APPOINTMENT})


class CompletionRule(models.TextChoices):
    REQUIRED_LESSONS = "required_lessons", _("All required lessons")
    ALL_LESSONS = "all_lessons", _("All lessons")


class CourseIndexPage(Page):
    """The course catalogue."""

    intro = models.CharField(_("introduction"), max_length=255, blank=True)

    content_panels: ClassVar[list[Any]] = [*Page.content_panels, FieldPanel("intro")]
    subpage_types: ClassVar[list[str]] = ["courses.CoursePage"]
    max_count = 1

    class Meta:
        verbose_name = _("course catalogue")
        verbose_name_plural = _("course catalogues")

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .pages import course_index_context

        context = super().get_context(request, *args, **kwargs)
        context.update(course_index_context(request=request, page=self))
        return context


class CoursePage(Page):
    """A course. Its children are lessons; its quiz, when set, must be passed to complete."""

    summary = models.TextField(_("summary"), max_length=600)
    objectives = StreamField(objectives_blocks(), verbose_name=_("learning objectives"), blank=True)
    cover = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("cover image"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    credit_hours = models.DecimalField(
        _("credit hours"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("1.0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Study hours (学时) credited on completion."),
    )
    kind = models.CharField(
        _("kind"), max_length=32, choices=CourseKind.choices, default=CourseKind.DISCIPLINE
    )
    default_required = models.BooleanField(
        _("required by default"),
        default=True,
        help_text=_("Assignments start as required or elective according to this."),
    )
    self_enrol = models.BooleanField(
        _("open for self-enrolment"),
        default=True,
        help_text=_("Cadres may enrol themselves in this course as an elective."),
    )
    completion_rule = models.CharField(
        _("completion rule"),
        max_length=32,
        choices=CompletionRule.choices,
        default=CompletionRule.REQUIRED_LESSONS,
    )
    quiz = models.ForeignKey(
        "quizzes.Quiz",
        verbose_name=_("course quiz"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="courses",
        help_text=_("When set, the course completes only once this quiz is passed."),
    )

    content_panels: ClassVar[list[Any]] = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("objectives"),
        FieldPanel("cover"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("kind"), FieldPanel("credit_hours")]),
                FieldRowPanel([FieldPanel("default_required"), FieldPanel("self_enrol")]),
                FieldRowPanel([FieldPanel("completion_rule"), FieldPanel("quiz")]),
            ],
            heading=_("Credit and completion"),
        ),
    ]
    search_fields: ClassVar[list[Any]] = [
        *SEGMENTED_PAGE_SEARCH_FIELDS,
        SegmentedSearchField("summary"),
        index.FilterField("kind"),
    ]
    parent_page_types: ClassVar[list[str]] = ["courses.CourseIndexPage"]
    subpage_types: ClassVar[list[str]] = ["courses.LessonPage"]

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    @property
    def is_integrity(self) -> bool:
        return self.kind in INTEGRITY_KINDS

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .pages import course_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(course_page_context(request=request, page=self))
        return context


class LessonPage(Page):
    """A lesson of a course."""

    body = StreamField(lesson_body_blocks(), verbose_name=_("body"))
    estimated_minutes = models.PositiveSmallIntegerField(
        _("estimated duration (minutes)"), default=20
    )
    is_required = models.BooleanField(
        _("required lesson"), default=True, help_text=_("Counts toward course completion.")
    )

    content_panels: ClassVar[list[Any]] = [
        *Page.content_panels,
        FieldRowPanel([FieldPanel("estimated_minutes"), FieldPanel("is_required")]),
        FieldPanel("body"),
    ]
    search_fields: ClassVar[list[Any]] = [
        *SEGMENTED_PAGE_SEARCH_FIELDS,
        SegmentedSearchField("body"),
    ]
    parent_page_types: ClassVar[list[str]] = ["courses.CoursePage"]
    subpage_types: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .pages import lesson_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(lesson_page_context(request=request, page=self))
        return context


class TalkIndexPage(Page):
    """The honesty-talk (廉政党课) library."""

    intro = models.CharField(_("introduction"), max_length=255, blank=True)

    content_panels: ClassVar[list[Any]] = [*Page.content_panels, FieldPanel("intro")]
    subpage_types: ClassVar[list[str]] = ["courses.TalkPage"]
    max_count = 1

    class Meta:
        verbose_name = _("honesty-talk library")
        verbose_name_plural = _("honesty-talk libraries")

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .pages import talk_index_context

        context = super().get_context(request, *args, **kwargs)
        context.update(talk_index_context(request=request, page=self))
        return context


class TalkPage(Page):
    """An honesty talk: a lecture on integrity, recorded. A lesson embeds it with the
    "honesty talk" block, so a talk can be a lesson of a course."""

    speaker = models.CharField(_("speaker"), max_length=60)
    speaker_role = models.CharField(_("speaker's position"), max_length=160, blank=True)
    date = models.DateField(_("date"))
    summary = models.TextField(_("summary"), max_length=600, blank=True)
    video = models.ForeignKey(
        "wagtailmedia.Media",
        verbose_name=_("video or audio"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    transcript = RichTextField(_("transcript"), blank=True)
    related_cases = ParentalManyToManyField(
        "cases.CasePage", verbose_name=_("related cases"), blank=True, related_name="talks"
    )

    content_panels: ClassVar[list[Any]] = [
        *Page.content_panels,
        FieldRowPanel([FieldPanel("speaker"), FieldPanel("speaker_role"), FieldPanel("date")]),
        FieldPanel("summary"),
        FieldPanel("video"),
        FieldPanel("transcript"),
        FieldPanel("related_cases"),
    ]
    search_fields: ClassVar[list[Any]] = [
        *SEGMENTED_PAGE_SEARCH_FIELDS,
        SegmentedSearchField("speaker"),
        SegmentedSearchField("summary"),
        SegmentedSearchField("transcript"),
    ]
    parent_page_types: ClassVar[list[str]] = ["courses.TalkIndexPage"]
    subpage_types: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("honesty talk")
        verbose_name_plural = _("honesty talks")

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .pages import talk_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(talk_page_context(request=request, page=self))
        return context


# --- Per-person records -----------------------------------------------------------------


class Assignment(models.Model):
    """A unit admin's order: this course, for this audience, by this date.

    The audience is the people of ``unit``'s subtree at ``min_rank`` or above (rank
    ``order``), optionally leading cadres only. Enrolments follow the audience: people who
    join later are enrolled by ``courses.services.assignments``; people who leave keep
    their enrolment and its history.
    """

    course = models.ForeignKey(
        CoursePage, verbose_name=_("course"), on_delete=models.PROTECT, related_name="assignments"
    )
    unit = models.ForeignKey(
        "people.OrgUnit",
        verbose_name=_("unit (with its sub-units)"),
        on_delete=models.PROTECT,
        related_name="course_assignments",
    )
    min_rank = models.ForeignKey(
        "people.RankLevel",
        verbose_name=_("minimum rank level"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    leading_only = models.BooleanField(_("leading cadres only"), default=False)
    required = models.BooleanField(_("required"), default=True)
    due_date = models.DateField(_("due date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering: ClassVar[list[str]] = ["due_date", "id"]

    def __str__(self) -> str:
        return f"{self.course.title} → {self.unit}"


class EnrolmentSource(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    SELF = "self", _("Self-enrolled")


class Enrolment(models.Model):
    """A person's place in a course: one per person and course."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="enrolments",
    )
    course = models.ForeignKey(
        CoursePage, verbose_name=_("course"), on_delete=models.CASCADE, related_name="enrolments"
    )
    assignment = models.ForeignKey(
        Assignment,
        verbose_name=_("assignment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrolments",
    )
    source = models.CharField(
        _("source"),
        max_length=16,
        choices=EnrolmentSource.choices,
        default=EnrolmentSource.ASSIGNED,
    )
    required = models.BooleanField(_("required"), default=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    enrolled_at = models.DateTimeField(_("enrolled at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering: ClassVar[list[str]] = ["due_date", "id"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["user", "course"], name="courses_enrolment_unique"),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["due_date", "completed_at"], name="courses_enrolment_due"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.course}"


class LessonProgress(models.Model):
    """A person's progress in a lesson, recorded on the server.

    For a lesson with video or audio, ``watched`` holds the merged intervals actually
    played (``[[start, end], …]`` in media seconds) as accepted by
    ``courses.services.progress``: seeking ahead leaves a gap, playback faster than the cap,
    time while the tab is hidden and claims of more media time than wall-clock time are not
    counted.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="lesson_progress",
    )
    lesson = models.ForeignKey(
        LessonPage, verbose_name=_("lesson"), on_delete=models.CASCADE, related_name="progress"
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    media_duration = models.PositiveIntegerField(_("media duration (s)"), default=0)
    watched = models.JSONField(_("watched intervals"), default=list, blank=True)
    watched_seconds = models.PositiveIntegerField(_("seconds watched"), default=0)
    position = models.PositiveIntegerField(_("resume position (s)"), default=0)
    last_heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    heartbeat_seq = models.PositiveIntegerField(_("heartbeat sequence"), default=0)
    rejected_heartbeats = models.PositiveIntegerField(_("rejected heartbeats"), default=0)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["user", "lesson"], name="courses_progress_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.lesson}"


class CourseCompletion(models.Model):
    """Recorded once per person and course; ``courses.signals.course_completed`` announces
    it, inside the transaction that records it, to the ledger, certificates, make-ups and
    the pre-appointment programme."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="course_completions",
    )
    course = models.ForeignKey(
        CoursePage, verbose_name=_("course"), on_delete=models.PROTECT, related_name="completions"
    )
    completed_at = models.DateTimeField(_("completed at"), default=timezone.now)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    required = models.BooleanField(_("required"), default=True)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("course completion")
        verbose_name_plural = _("course completions")
        ordering: ClassVar[list[str]] = ["-completed_at"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["user", "course"], name="courses_completion_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.course}"


class LedgerSource(models.TextChoices):
    COURSE = "course", _("Course")
    EVENT = "event", _("Event attendance")
    OTHER = "other", _("Other")


class StudyHourEntry(models.Model):
    """One line of the study-hour ledger (学时). ``source_key`` makes writing idempotent:
    ``course:<completion id>``, ``event:<event id>`` (one per person and event)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="study_hours",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    source = models.CharField(_("source"), max_length=16, choices=LedgerSource.choices)
    source_key = models.CharField(_("source key"), max_length=80)
    title = models.CharField(_("title"), max_length=255)
    required = models.BooleanField(_("required"), default=True)
    integrity = models.BooleanField(
        _("integrity education"),
        default=True,
        help_text=_("Counts toward the integrity-education part of the requirement."),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("study-hour entry")
        verbose_name_plural = _("study-hour ledger")
        ordering: ClassVar[list[str]] = ["-recorded_at", "-id"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["user", "source_key"], name="courses_ledger_unique_source"
            ),
            models.CheckConstraint(condition=Q(hours__gte=0), name="courses_ledger_hours_positive"),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["user", "year"], name="courses_ledger_user_year"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.year}: {self.hours}"


class StudyRequirement(models.Model):
    """The annual requirement for a rank level (or the default, with no rank level)."""

    rank_level = models.OneToOneField(
        "people.RankLevel",
        verbose_name=_("rank level"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="study_requirement",
        help_text=_("Leave empty for the default that applies to every other rank level."),
    )
    total_hours = models.DecimalField(
        _("hours a year"), max_digits=5, decimal_places=1, default=Decimal("50")
    )
    integrity_hours = models.DecimalField(
        _("of which integrity education"), max_digits=5, decimal_places=1, default=Decimal("12")
    )

    panels: ClassVar[list[Any]] = [
        FieldPanel("rank_level"),
        FieldRowPanel([FieldPanel("total_hours"), FieldPanel("integrity_hours")]),
    ]

    class Meta:
        verbose_name = _("annual study requirement")
        verbose_name_plural = _("annual study requirements")
        constraints: ClassVar[list[Any]] = [
            # One default row: the rank level is unique, and "none" counts as a value.
            models.UniqueConstraint(
                Coalesce("rank_level", models.Value(0)), name="courses_requirement_one_default"
            ),
            models.CheckConstraint(
                condition=Q(integrity_hours__lte=models.F("total_hours")),
                name="courses_requirement_integrity_within_total",
            ),
        ]

    def __str__(self) -> str:
        return str(self.rank_level or _("Default"))
