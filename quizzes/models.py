"""Question banks, quizzes and attempts.

A ``Question`` is what a trainer edits. What a cadre answers is a ``QuestionVersion``: an
immutable snapshot taken when the question is first used. Editing a question that has been
answered makes a new version (``quizzes.services.question_version_current``); past attempts
keep the version they saw.

An ``Attempt`` stores on the server everything the cadre was shown: the drawn question
versions, their order, the option order, and opaque per-attempt keys for questions and
options (``AttemptSlot``). The server owns the clock (``Attempt.deadline``).
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from treebeard.mp_tree import MP_Node
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable

STEM_FEATURES = ["bold", "italic", "ol", "ul", "link"]


def _new_token() -> str:
    return secrets.token_urlsafe(16)


class QuestionCategory(MP_Node):
    """A category of the question bank. Categories form a tree (GIFT ``$CATEGORY: a/b``)."""

    name = models.CharField(_("name"), max_length=120)
    info = models.TextField(_("description"), blank=True)
    node_order_by: ClassVar[list[str]] = ["name"]

    panels: ClassVar[list[Any]] = [FieldPanel("name"), FieldPanel("info")]

    class Meta:
        verbose_name = _("question category")
        verbose_name_plural = _("question categories")

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        """The path of names, e.g. ``纪律处分条例/总则``."""
        names = [a.name for a in self.get_ancestors()] if self.depth > 1 else []
        return "/".join([*names, self.name])


class QuestionType(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TRUE_FALSE = "truefalse", _("True / false")
    FILL = "fill", _("Fill in the blank")


class Difficulty(models.IntegerChoices):
    EASY = 1, _("Easy")
    MEDIUM = 2, _("Medium")
    HARD = 3, _("Hard")


class Question(ClusterableModel):
    """A question as the trainer edits it. Options are ``QuestionOption`` rows:

    * single / multiple choice: the options, ``is_correct`` marks the right ones;
    * true / false: no options; ``true_false_answer`` holds the answer;
    * fill in the blank: every option is an accepted answer (compared after normalising
      full-width/half-width characters, spaces and case).
    """

    category = models.ForeignKey(
        QuestionCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="questions",
    )
    qtype = models.CharField(_("type"), max_length=16, choices=QuestionType.choices)
    name = models.CharField(
        _("name"), max_length=255, help_text=_("A short name for the bank listing.")
    )
    stem = RichTextField(_("question text"), features=STEM_FEATURES)
    true_false_answer = models.BooleanField(
        _("correct answer (true/false questions)"), null=True, blank=True
    )
    explanation = RichTextField(_("explanation"), features=STEM_FEATURES, blank=True)
    articles = ParentalManyToManyField(
        "cases.Article", verbose_name=_("cited articles"), related_name="questions", blank=True
    )
    tags = models.CharField(
        _("tags"), max_length=255, blank=True, help_text=_("Separate tags with commas.")
    )
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"), choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    default_mark = models.DecimalField(
        _("marks"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    idnumber = models.CharField(
        _("ID number"), max_length=100, blank=True, help_text=_("Optional external id.")
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive questions are no longer drawn.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    panels: ClassVar[list[Any]] = [
        FieldRowPanel([FieldPanel("category"), FieldPanel("qtype")]),
        FieldPanel("name"),
        FieldPanel("stem"),
        InlinePanel("options", label=_("Options / accepted answers"), min_num=0),
        FieldPanel("true_false_answer"),
        FieldPanel("explanation"),
        MultiFieldPanel(
            [
                FieldPanel("articles"),
                FieldRowPanel([FieldPanel("difficulty"), FieldPanel("default_mark")]),
                FieldPanel("tags"),
                FieldPanel("idnumber"),
                FieldPanel("is_active"),
            ],
            heading=_("Details"),
        ),
    ]

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering: ClassVar[list[str]] = ["category__path", "id"]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=Q(qtype__in=["single", "multiple", "truefalse", "fill"]),
                name="quizzes_question_qtype_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class QuestionOption(Orderable):
    """An option of a choice question, or an accepted answer of a fill-in question."""

    question = ParentalKey(Question, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(_("text"), max_length=1000)
    is_correct = models.BooleanField(_("correct"), default=False)
    feedback = models.CharField(_("feedback"), max_length=1000, blank=True)

    panels: ClassVar[list[Any]] = [
        FieldPanel("text"),
        FieldRowPanel([FieldPanel("is_correct"), FieldPanel("feedback")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("option")
        verbose_name_plural = _("options")

    def __str__(self) -> str:
        return self.text


class QuestionVersion(models.Model):
    """An immutable snapshot of a question as a cadre saw it.

    ``content`` holds ``{"qtype", "stem", "explanation", "mark", "options": [{"id", "text",
    "correct", "feedback"}], "true_false_answer", "article_ids"}``; option ids are stable
    within the version.
    """

    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    content = models.JSONField(_("content"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("question version")
        verbose_name_plural = _("question versions")
        ordering: ClassVar[list[str]] = ["question_id", "number"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["question", "number"], name="quizzes_questionversion_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question} v{self.number}"


class QuizKind(models.TextChoices):
    COURSE = "course", _("Course quiz")
    EDUCATION_MONTH = "education_month", _("Education-month knowledge test")
    PRE_APPOINTMENT = "pre_appointment", _("Pre-appointment test")
    OTHER = "other", _("Other test")


class Quiz(ClusterableModel):
    """A quiz: sections drawing questions, timing, attempts, pass mark and review options.

    A course links its quiz (``courses.CoursePage.quiz``); a quiz without a course stands
    alone (the education-month knowledge test, the pre-appointment test).
    """

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=False)
    kind = models.CharField(
        _("kind"), max_length=32, choices=QuizKind.choices, default=QuizKind.COURSE
    )
    description = RichTextField(_("instructions"), features=STEM_FEATURES, blank=True)
    time_limit_minutes = models.PositiveIntegerField(
        _("time limit (minutes)"),
        null=True,
        blank=True,
        help_text=_("Leave empty for no time limit."),
    )
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    attempts_allowed = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=0, help_text=_("0 means unlimited.")
    )
    pass_percent = models.PositiveSmallIntegerField(
        _("pass mark (%)"),
        default=60,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    shuffle_options = models.BooleanField(_("shuffle options"), default=True)
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=True)
    questions_per_page = models.PositiveSmallIntegerField(
        _("questions per page"), default=5, validators=[MinValueValidator(1)]
    )
    # What the cadre sees right after submitting, and after the quiz closes.
    review_score_after_submit = models.BooleanField(_("score, after submitting"), default=True)
    review_answers_after_submit = models.BooleanField(
        _("correct answers, after submitting"), default=False
    )
    review_explanations_after_submit = models.BooleanField(
        _("explanations, after submitting"), default=False
    )
    review_score_after_close = models.BooleanField(_("score, after closing"), default=True)
    review_answers_after_close = models.BooleanField(
        _("correct answers, after closing"), default=True
    )
    review_explanations_after_close = models.BooleanField(
        _("explanations, after closing"), default=True
    )
    is_active = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    panels: ClassVar[list[Any]] = [
        FieldPanel("title"),
        FieldRowPanel([FieldPanel("slug"), FieldPanel("kind")]),
        FieldPanel("description"),
        InlinePanel("sections", label=_("Sections"), min_num=1),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
                FieldRowPanel([FieldPanel("time_limit_minutes"), FieldPanel("attempts_allowed")]),
                FieldRowPanel([FieldPanel("pass_percent"), FieldPanel("questions_per_page")]),
                FieldRowPanel([FieldPanel("shuffle_questions"), FieldPanel("shuffle_options")]),
            ],
            heading=_("Timing and attempts"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [
                        FieldPanel("review_score_after_submit"),
                        FieldPanel("review_answers_after_submit"),
                        FieldPanel("review_explanations_after_submit"),
                    ]
                ),
                FieldRowPanel(
                    [
                        FieldPanel("review_score_after_close"),
                        FieldPanel("review_answers_after_close"),
                        FieldPanel("review_explanations_after_close"),
                    ]
                ),
            ],
            heading=_("Review options"),
        ),
        FieldPanel("is_active"),
    ]

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")
        ordering: ClassVar[list[str]] = ["-created_at"]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(closes_at__gt=models.F("opens_at")),
                name="quizzes_quiz_closes_after_opens",
            ),
            models.CheckConstraint(
                condition=Q(pass_percent__lte=100), name="quizzes_quiz_pass_percent_max"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class QuizSection(Orderable):
    """Draws ``draw_count`` random questions from a category, or uses fixed questions."""

    quiz = ParentalKey(Quiz, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(_("title"), max_length=120, blank=True)
    category = models.ForeignKey(
        QuestionCategory,
        verbose_name=_("draw from category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    include_subcategories = models.BooleanField(_("include subcategories"), default=True)
    draw_count = models.PositiveSmallIntegerField(
        _("questions to draw"), default=0, help_text=_("Random questions from the category.")
    )
    fixed_questions = ParentalManyToManyField(
        Question, verbose_name=_("fixed questions"), blank=True, related_name="+"
    )

    panels: ClassVar[list[Any]] = [
        FieldPanel("title"),
        FieldRowPanel(
            [FieldPanel("category"), FieldPanel("draw_count"), FieldPanel("include_subcategories")]
        ),
        FieldPanel("fixed_questions"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.title or str(self.quiz)


class QuizOverride(models.Model):
    """Per-person exceptions: extra time, extra attempts."""

    quiz = models.ForeignKey(
        Quiz, verbose_name=_("quiz"), on_delete=models.CASCADE, related_name="overrides"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="quiz_overrides",
    )
    extra_minutes = models.PositiveIntegerField(_("extra minutes"), default=0)
    extra_attempts = models.PositiveSmallIntegerField(_("extra attempts"), default=0)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("quiz override")
        verbose_name_plural = _("quiz overrides")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["quiz", "user"], name="quizzes_override_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.quiz} · {self.user}"


class AttemptStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    SUBMITTED = "submitted", _("Submitted")


class Attempt(models.Model):
    """One attempt of one person at one quiz. At most one is open per person and quiz."""

    quiz = models.ForeignKey(
        Quiz, verbose_name=_("quiz"), on_delete=models.PROTECT, related_name="attempts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="quiz_attempts",
    )
    number = models.PositiveSmallIntegerField(_("attempt number"))
    status = models.CharField(
        _("status"), max_length=16, choices=AttemptStatus.choices, default=AttemptStatus.OPEN
    )
    token = models.CharField(_("token"), max_length=32, unique=True, default=_new_token)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    auto_submitted = models.BooleanField(_("submitted automatically"), default=False)
    sequence = models.PositiveIntegerField(
        _("sequence"), default=0, help_text=_("The last page submission accepted.")
    )
    score = models.DecimalField(_("score"), max_digits=8, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(_("maximum score"), max_digits=8, decimal_places=2)
    percent = models.DecimalField(
        _("percent"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    passed = models.BooleanField(_("passed"), null=True, blank=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering: ClassVar[list[str]] = ["-started_at"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["quiz", "user"],
                condition=Q(status="open"),
                name="quizzes_attempt_one_open",
            ),
            models.UniqueConstraint(
                fields=["quiz", "user", "number"], name="quizzes_attempt_unique_number"
            ),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["status", "deadline"], name="quizzes_attempt_open_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.quiz} · {self.user} #{self.number}"


class AttemptSlot(models.Model):
    """One drawn question of an attempt, with what the cadre was shown and answered.

    ``key`` is the opaque question identifier in the page; ``option_keys`` maps the opaque
    option identifiers shown, in display order, to the version's option ids
    (``[[key, option_id], …]``). ``response`` is the saved answer: a list of option ids
    (choice and true/false, where the ids are ``"true"``/``"false"``) or ``{"text": …}``.
    """

    attempt = models.ForeignKey(
        Attempt, verbose_name=_("attempt"), on_delete=models.CASCADE, related_name="slots"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    page = models.PositiveSmallIntegerField(_("page"))
    version = models.ForeignKey(
        QuestionVersion,
        verbose_name=_("question version"),
        on_delete=models.PROTECT,
        related_name="slots",
    )
    key = models.CharField(_("key"), max_length=32)
    option_keys = models.JSONField(_("option keys"), default=list, blank=True)
    max_mark = models.DecimalField(_("maximum mark"), max_digits=5, decimal_places=2)
    response = models.JSONField(_("response"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    late_response = models.JSONField(
        _("late response"),
        null=True,
        blank=True,
        help_text=_("An answer that arrived after the deadline: kept, not graded."),
    )
    late_at = models.DateTimeField(_("late answer at"), null=True, blank=True)
    mark = models.DecimalField(_("mark"), max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("attempt question")
        verbose_name_plural = _("attempt questions")
        ordering: ClassVar[list[str]] = ["attempt_id", "position"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["attempt", "position"], name="quizzes_slot_unique_position"
            ),
            models.UniqueConstraint(fields=["attempt", "key"], name="quizzes_slot_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt} Q{self.position}"


class QuestionImport(models.Model):
    """An uploaded GIFT / Moodle XML file between preview and confirmation."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Awaiting confirmation")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Refused")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    filename = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=16)
    category = models.ForeignKey(
        QuestionCategory,
        verbose_name=_("target category"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    parsed = models.JSONField(_("parsed questions"), default=list, blank=True)
    unsupported = models.JSONField(_("unsupported questions"), default=list, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PREVIEW
    )
    imported_count = models.PositiveIntegerField(_("imported"), default=0)

    class Meta:
        verbose_name = _("question import")
        verbose_name_plural = _("question imports")
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return self.filename
