"""Regulations and their articles, discipline categories, regions, case pages and case
compilations."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from people.models import RankLevel, Sector
from qinglian.search import SEGMENTED_PAGE_SEARCH_FIELDS, SegmentedSearchField

from .blocks import case_body_blocks


class Regulation(models.Model):
    """A rule text such as the CPC Regulations on Disciplinary Actions (2023)."""

    title = models.CharField(_("title"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60, help_text=_("e.g. 纪律处分条例"))
    slug = models.SlugField(
        _("slug"),
        max_length=80,
        unique=True,
        help_text=_(
            "Part of every article's address, e.g. jlcftl-2023. Never change it once cited."
        ),
    )
    issuer = models.CharField(_("issuer"), max_length=120, blank=True)
    version = models.CharField(_("version"), max_length=40, help_text=_("e.g. 2023"))
    effective_date = models.DateField(_("effective date"), null=True, blank=True)

    panels: ClassVar[list[Any]] = [
        FieldPanel("title"),
        FieldPanel("short_name"),
        FieldPanel("slug"),
        FieldRowPanel([FieldPanel("issuer"), FieldPanel("version"), FieldPanel("effective_date")]),
    ]

    class Meta:
        verbose_name = _("regulation")
        verbose_name_plural = _("regulations")
        ordering = ["short_name", "-version"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["title", "version"], name="cases_regulation_title_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.short_name}（{self.version}）"

    def get_absolute_url(self) -> str:
        return reverse("cases:regulation", kwargs={"slug": self.slug})


class Article(index.Indexed, models.Model):
    """One numbered article (条) of a regulation. Its URL never changes."""

    regulation = models.ForeignKey(
        Regulation, verbose_name=_("regulation"), on_delete=models.CASCADE, related_name="articles"
    )
    number = models.PositiveIntegerField(_("number"))
    label = models.CharField(_("label"), max_length=20, help_text=_("As printed, e.g. 第二十七条"))
    part = models.CharField(
        _("part"), max_length=120, blank=True, help_text=_("编, e.g. 第二编 分则")
    )
    chapter = models.CharField(_("chapter"), max_length=120, blank=True)
    section = models.CharField(_("section"), max_length=120, blank=True, help_text=_("节, if any"))
    text = models.TextField(_("text"))

    search_fields: ClassVar[list[Any]] = [
        SegmentedSearchField("text"),
        SegmentedSearchField("label"),
        index.FilterField("regulation_id"),
    ]
    panels: ClassVar[list[Any]] = [
        FieldPanel("regulation"),
        FieldRowPanel([FieldPanel("number"), FieldPanel("label")]),
        FieldPanel("part"),
        FieldPanel("chapter"),
        FieldPanel("section"),
        FieldPanel("text"),
    ]

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["regulation", "number"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["regulation", "number"], name="cases_article_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="cases_article_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.regulation.short_name} {self.label}"

    def get_absolute_url(self) -> str:
        return reverse(
            "cases:article", kwargs={"slug": self.regulation.slug, "number": self.number}
        )


class DisciplineCategory(models.Model):
    """One of the six disciplines (政治纪律 … 生活纪律) or a sub-type below one of them
    (e.g. 违规收受礼品礼金 under 廉洁纪律)."""

    name = models.CharField(_("name"), max_length=60)
    code = models.SlugField(_("code"), max_length=60, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("discipline"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="subtypes",
        help_text=_("Empty for one of the six disciplines; set for a sub-type."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("discipline category")
        verbose_name_plural = _("discipline categories")
        ordering = ["parent__order", "order", "name"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")), name="cases_category_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} · {self.name}" if self.parent is not None else self.name

    @property
    def is_discipline(self) -> bool:
        return self.parent_id is None


class Region(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class PartySanction(models.TextChoices):
    NONE = "", _("None")
    WARNING = "warning", _("Warning (警告)")
    SERIOUS_WARNING = "serious_warning", _("Serious warning (严重警告)")
    REMOVAL_FROM_POST = "removal_from_post", _("Removal from party post (撤销党内职务)")
    PROBATION = "probation", _("Probation within the party (留党察看)")
    EXPULSION = "expulsion", _("Expulsion from the party (开除党籍)")


class AdministrativeSanction(models.TextChoices):
    NONE = "", _("None")
    WARNING = "warning", _("Warning (警告)")
    DEMERIT = "demerit", _("Demerit (记过)")
    MAJOR_DEMERIT = "major_demerit", _("Major demerit (记大过)")
    DEMOTION = "demotion", _("Demotion (降级)")
    DISMISSAL_FROM_POST = "dismissal_from_post", _("Dismissal from post (撤职)")
    EXPULSION = "expulsion", _("Expulsion from public office (开除)")


class PeerReviewedPage(Page):
    """Pages of the case library publish through the 案例审核 peer review
    (see ``cases.workflows``)."""

    class Meta:
        abstract = True

    def permissions_for_user(self, user: Any) -> Any:
        from .workflows import CasePermissionTester

        return CasePermissionTester(user, self)


class CaseIndexPage(PeerReviewedPage):
    """The case library: lists, filters and sorts its case pages."""

    intro = models.CharField(_("introduction"), max_length=255, blank=True)

    content_panels: ClassVar[list[Any]] = [*Page.content_panels, FieldPanel("intro")]
    subpage_types: ClassVar[list[str]] = ["cases.CasePage"]
    max_count = 1

    class Meta:
        verbose_name = _("case library")
        verbose_name_plural = _("case libraries")

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .pages import case_index_context

        context = super().get_context(request, *args, **kwargs)
        context.update(case_index_context(request=request))
        return context


class CasePage(PeerReviewedPage):
    """A warning-education case as structured data."""

    summary = models.TextField(_("summary"), max_length=600)
    decision_date = models.DateField(
        _("decision date"), help_text=_("When the sanction was decided.")
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    sector = models.ForeignKey(
        Sector,
        verbose_name=_("sector"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    official_name = models.CharField(
        _("official (as published)"),
        max_length=40,
        blank=True,
        help_text=_("May be masked, e.g. 张某某."),
    )
    position_at_time = models.CharField(_("position at the time"), max_length=160)
    rank_level = models.ForeignKey(
        RankLevel,
        verbose_name=_("rank level at the time"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    categories = ParentalManyToManyField(
        DisciplineCategory,
        verbose_name=_("disciplines violated"),
        related_name="cases",
        blank=True,
    )
    amount_involved = models.DecimalField(
        _("amount involved (yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
    )
    party_sanction = models.CharField(
        _("party sanction"), max_length=32, choices=PartySanction.choices, blank=True
    )
    administrative_sanction = models.CharField(
        _("administrative sanction"),
        max_length=32,
        choices=AdministrativeSanction.choices,
        blank=True,
    )
    criminal_referral = models.BooleanField(_("referred for prosecution"), default=False)
    criminal_sentence = models.CharField(_("criminal sentence"), max_length=200, blank=True)
    articles_breached = ParentalManyToManyField(
        Article,
        verbose_name=_("articles breached"),
        related_name="cases",
        blank=True,
    )
    body = StreamField(case_body_blocks(), verbose_name=_("what happened"), blank=True)
    lessons = RichTextField(_("lessons (以案说纪)"), blank=True)
    discussion_questions = models.TextField(
        _("discussion questions"),
        blank=True,
        help_text=_("One question per line."),
    )
    source = models.CharField(_("source"), max_length=255, blank=True)
    related_cases = ParentalManyToManyField(
        "self",
        verbose_name=_("related cases"),
        blank=True,
        symmetrical=False,
    )

    content_panels: ClassVar[list[Any]] = [
        *Page.content_panels,
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [FieldPanel("decision_date"), FieldPanel("region"), FieldPanel("sector")]
                ),
                FieldRowPanel(
                    [
                        FieldPanel("official_name"),
                        FieldPanel("position_at_time"),
                        FieldPanel("rank_level"),
                    ]
                ),
            ],
            heading=_("The case"),
        ),
        FieldPanel("categories"),
        MultiFieldPanel(
            [
                FieldPanel("amount_involved"),
                FieldRowPanel(
                    [FieldPanel("party_sanction"), FieldPanel("administrative_sanction")]
                ),
                FieldRowPanel([FieldPanel("criminal_referral"), FieldPanel("criminal_sentence")]),
            ],
            heading=_("Sanctions"),
        ),
        FieldPanel("articles_breached"),
        FieldPanel("body"),
        FieldPanel("lessons"),
        FieldPanel("discussion_questions"),
        FieldPanel("source"),
        FieldPanel("related_cases"),
    ]
    search_fields: ClassVar[list[Any]] = [
        *SEGMENTED_PAGE_SEARCH_FIELDS,
        SegmentedSearchField("summary"),
        SegmentedSearchField("position_at_time"),
        SegmentedSearchField("body"),
        SegmentedSearchField("lessons"),
        index.FilterField("decision_date"),
    ]
    parent_page_types: ClassVar[list[str]] = ["cases.CaseIndexPage"]
    subpage_types: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("warning-education case")
        verbose_name_plural = _("warning-education cases")

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .pages import case_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(case_page_context(page=self))
        return context

    @property
    def discussion_question_list(self) -> list[str]:
        return [q.strip() for q in self.discussion_questions.splitlines() if q.strip()]


class CaseCompilation(models.Model):
    """A printable booklet (警示教育读本) of selected cases. One row per distinct selection:
    ordering the same cases (at the same revisions) again reuses the PDF."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RENDERING = "rendering", _("Rendering")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    title = models.CharField(_("title"), max_length=200)
    selection_key = models.CharField(
        _("selection key"),
        max_length=64,
        unique=True,
        help_text=_("SHA-256 of the title and the ordered case revisions."),
    )
    case_ids = models.JSONField(_("cases, in order"), default=list)
    filter_query = models.JSONField(_("saved filter"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ordered by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    pdf = models.FileField(_("PDF"), upload_to="compilations/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    page_count = models.PositiveIntegerField(_("pages"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("case compilation")
        verbose_name_plural = _("case compilations")
        ordering = ["-created_at"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="cases_compilation_progress_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title


# The moderation task model lives with the workflow code; imported here so Django
# registers it with the app.
from .workflows import PeerApprovalTask  # noqa: E402, F401
