"""Reads about warning-education cases: the case library's list, its filters and the
"relevant to my post" ordering. The case index page and the compilation call these.

Every list here runs a fixed number of queries whatever the number of cases: the case
pages are queried directly (no ``.specific()``), their StreamFields deferred, foreign
keys joined and the categories prefetched in one query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BooleanField,
    Case,
    F,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.http import HttpRequest
from wagtail.models import Page, PageViewRestriction, ReferenceIndex

from people.models import RankLevel, Sector, User

from .models import Article, CasePage, DisciplineCategory, Region

SORTS: tuple[str, ...] = ("newest", "oldest", "amount", "title")
DEFAULT_SORT = "newest"


@dataclass(frozen=True)
class CaseFilters:
    """What the case index filters on. Codes for taxonomies with codes, ids otherwise;
    an empty value means "any"."""

    discipline: str = ""  # code of one of the six disciplines (includes its sub-types)
    subtype: str = ""  # code of a sub-type
    sector: str = ""  # people.Sector code
    rank_level: str = ""  # people.RankLevel code
    year: int | None = None
    region: int | None = None

    def is_empty(self) -> bool:
        return not (
            self.discipline
            or self.subtype
            or self.sector
            or self.rank_level
            or self.year
            or self.region
        )


@dataclass
class CaseFilterOptions:
    """The choices the filter form offers."""

    disciplines: list[DisciplineCategory] = field(default_factory=list)
    subtypes: list[DisciplineCategory] = field(default_factory=list)
    sectors: list[Sector] = field(default_factory=list)
    rank_levels: list[RankLevel] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)


def _categories_prefetch() -> Prefetch[Any]:
    return Prefetch(
        "categories",
        queryset=DisciplineCategory.objects.select_related("parent").order_by(
            "parent__order", "order"
        ),
    )


def _base_queryset() -> QuerySet[CasePage]:
    # ``public()``: a case behind a view restriction (login, group, password) is never
    # listed, so its title and summary do not leak; its page still enforces the rule.
    qs: QuerySet[CasePage] = (
        CasePage.objects.live()
        .public()
        .defer_streamfields()
        .select_related("region", "sector", "rank_level")
        .prefetch_related(_categories_prefetch())
    )
    return qs


def _apply_filters(qs: QuerySet[CasePage], filters: CaseFilters) -> QuerySet[CasePage]:
    through = CasePage.categories.through
    if filters.discipline:
        in_discipline = through.objects.filter(
            Q(disciplinecategory__code=filters.discipline)
            | Q(disciplinecategory__parent__code=filters.discipline)
        ).values("casepage_id")
        qs = qs.filter(pk__in=in_discipline)
    if filters.subtype:
        in_subtype = through.objects.filter(disciplinecategory__code=filters.subtype).values(
            "casepage_id"
        )
        qs = qs.filter(pk__in=in_subtype)
    if filters.sector:
        qs = qs.filter(sector__code=filters.sector)
    if filters.rank_level:
        qs = qs.filter(rank_level__code=filters.rank_level)
    if filters.year:
        qs = qs.filter(decision_date__year=filters.year)
    if filters.region:
        qs = qs.filter(region_id=filters.region)
    return qs


def _apply_sort(qs: QuerySet[CasePage], sort: str) -> QuerySet[CasePage]:
    if sort == "oldest":
        return qs.order_by("decision_date", "pk")
    if sort == "amount":
        return qs.order_by(F("amount_involved").desc(nulls_last=True), "-decision_date", "pk")
    if sort == "title":
        return qs.order_by("title", "pk")
    return qs.order_by("-decision_date", "-pk")


def case_list(
    *, filters: CaseFilters | None = None, sort: str = DEFAULT_SORT, viewer: User | None = None
) -> QuerySet[CasePage]:
    """Live case pages matching ``filters``, sorted by ``sort`` (one of ``SORTS``; an
    unknown value sorts newest first). ``viewer`` is accepted for symmetry with the
    relevant-to-my-post list: every live case is readable by everyone."""
    qs = _apply_filters(_base_queryset(), filters or CaseFilters())
    return _apply_sort(qs, sort if sort in SORTS else DEFAULT_SORT)


def viewer_sector(*, viewer: User) -> Sector | None:
    """The sector of the viewer's unit (or of its nearest ancestor that has one)."""
    if viewer.unit_id is None or viewer.unit is None:
        return None
    return viewer.unit.effective_sector()


def case_list_relevant(*, viewer: User, filters: CaseFilters | None = None) -> QuerySet[CasePage]:
    """Live cases with those matching the cadre's rank level and their unit's sector
    first (both before either, either before neither), newest first within each group.
    Each case is annotated with ``matches_rank`` and ``matches_sector``."""
    qs = _apply_filters(_base_queryset(), filters or CaseFilters())
    sector = viewer_sector(viewer=viewer)
    rank_id = viewer.rank_level_id
    matches_rank: Any = Value(False, output_field=BooleanField())
    rank_score: Any = Value(0, output_field=IntegerField())
    if rank_id is not None:
        matches_rank = Case(
            When(rank_level_id=rank_id, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        rank_score = Case(
            When(rank_level_id=rank_id, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    matches_sector: Any = Value(False, output_field=BooleanField())
    sector_score: Any = Value(0, output_field=IntegerField())
    if sector is not None:
        matches_sector = Case(
            When(sector_id=sector.pk, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        sector_score = Case(
            When(sector_id=sector.pk, then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    annotated: QuerySet[CasePage] = qs.annotate(
        matches_rank=matches_rank,
        matches_sector=matches_sector,
        relevance=rank_score + sector_score,
    )
    return annotated.order_by("-relevance", "-decision_date", "-pk")


def case_filter_options() -> CaseFilterOptions:
    """The disciplines, sub-types, sectors, rank levels, years and regions to filter on."""
    categories = list(DisciplineCategory.objects.select_related("parent"))
    live = CasePage.objects.live()
    return CaseFilterOptions(
        disciplines=[c for c in categories if c.parent_id is None],
        subtypes=[c for c in categories if c.parent_id is not None],
        sectors=list(Sector.objects.all()),
        rank_levels=list(RankLevel.objects.all()),
        years=[d.year for d in live.dates("decision_date", "year", order="DESC")],
        regions=list(Region.objects.all()),
    )


# --- Regulations and articles: the outline and "cited by" -------------------------------


@dataclass
class Section:
    title: str
    anchor: str
    level: int  # heading level (h2–h4): no level is skipped when a text has no 编
    articles: list[Article] = field(default_factory=list)


@dataclass
class Chapter:
    title: str
    anchor: str
    level: int
    sections: list[Section] = field(default_factory=list)

    @property
    def first(self) -> Article:
        return self.sections[0].articles[0]

    @property
    def last(self) -> Article:
        return self.sections[-1].articles[-1]


@dataclass
class Part:
    title: str
    anchor: str
    level: int = 2
    chapters: list[Chapter] = field(default_factory=list)

    @property
    def titled_chapters(self) -> list[Chapter]:
        return [c for c in self.chapters if c.title]


def regulation_outline(*, articles: list[Article]) -> list[Part]:
    """Articles (in number order) grouped into parts → chapters → sections. A text
    without 编, 章 or 节 gets one untitled group at that level."""
    parts: list[Part] = []
    for article in articles:
        if not parts or parts[-1].title != article.part:
            parts.append(Part(article.part, f"part-{len(parts) + 1}"))
        part = parts[-1]
        if not part.chapters or part.chapters[-1].title != article.chapter:
            level = part.level + 1 if part.title else part.level
            anchor = f"{part.anchor}-chapter-{len(part.chapters) + 1}"
            part.chapters.append(Chapter(article.chapter, anchor, level))
        chapter = part.chapters[-1]
        if not chapter.sections or chapter.sections[-1].title != article.section:
            level = chapter.level + 1 if chapter.title else chapter.level
            anchor = f"{chapter.anchor}-section-{len(chapter.sections) + 1}"
            chapter.sections.append(Section(article.section, anchor, level))
        chapter.sections[-1].articles.append(article)
    return parts


def _viewer_may_see(
    page: Page, restrictions: list[PageViewRestriction], request: HttpRequest
) -> bool:
    return all(r.accept_request(request) for r in restrictions if page.path.startswith(r.page.path))


def article_cited_by(*, article: Article, request: HttpRequest) -> list[Page]:
    """Live pages that cite ``article`` and that the viewer may see: case pages through
    ``articles_breached``, and any page (cases, and later lessons or quiz pages) whose
    fields or StreamField blocks reference it in Wagtail's reference index. Specific
    pages, cases first, then by title. A fixed number of queries, however many cite it."""
    page_type = ContentType.objects.get_for_model(Page)
    referencing = ReferenceIndex.get_references_to(article).filter(base_content_type=page_type)
    through = CasePage.articles_breached.through.objects.filter(article=article)
    pages = list(
        Page.objects.live()
        .filter(
            # object_id is text: cast it so PostgreSQL compares integers.
            Q(
                pk__in=referencing.annotate(page_id=Cast("object_id", IntegerField())).values(
                    "page_id"
                )
            )
            | Q(pk__in=through.values("casepage_id"))
        )
        .specific()
    )
    if not pages:
        return []
    prefixes = {
        p.path[:i] for p in pages for i in range(Page.steplen, len(p.path) + 1, Page.steplen)
    }
    restrictions = list(
        PageViewRestriction.objects.filter(page__path__in=prefixes).select_related("page")
    )
    visible = [p for p in pages if _viewer_may_see(p, restrictions, request)]
    visible.sort(key=lambda p: (not isinstance(p, CasePage), p.title, p.pk))
    return visible
