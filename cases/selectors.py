"""Reads about warning-education cases: the case library's list, its filters and the
"relevant to my post" ordering. The case index page and the compilation call these.

Every list here runs a fixed number of queries whatever the number of cases: the case
pages are queried directly (no ``.specific()``), their StreamFields deferred, foreign
keys joined and the categories prefetched in one query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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

from people.models import RankLevel, Sector, User

from .models import CasePage, DisciplineCategory, Region

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
