"""Services of the case library: the functions that change things. Views, tasks and
commands call these; each section below belongs to one feature."""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final, Protocol

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Article, CaseCompilation, CasePage, DisciplineCategory, Regulation

logger = logging.getLogger(__name__)


# =====================================================================================
# Case compilations (警示教育读本)
# -------------------------------------------------------------------------------------
# compilation_order: a trainer orders a booklet; one row per distinct selection (title +
# ordered (case, published revision) pairs), so ordering the same selection again reuses
# it. compilation_render: the Celery task's body; claims the row with a conditional
# UPDATE, renders (cases.compilation), writes compilations/<selection_key>.pdf.
# compilations_requeue_stuck: the periodic sweep's body.
# =====================================================================================

COMPILATION_TITLE_MAX = 200
COMPILATION_MAX_CASES = 200
# A pending row older than this has lost its message (broker restart, worker crash).
COMPILATION_PENDING_STALE = timedelta(minutes=10)
# Rows still unfinished this long after they were ordered are given up on (marked
# failed), so a booklet that kills its worker is not retried forever.
COMPILATION_GIVE_UP = timedelta(hours=24)


def compilation_render_stale_after() -> timedelta:
    """A row still ``rendering`` this long after it was ordered cannot have a live task
    any more: the task's hard time limit has passed (plus a margin)."""
    from .tasks import COMPILATION_TIME_LIMIT

    return timedelta(seconds=COMPILATION_TIME_LIMIT) + timedelta(minutes=5)


def compilation_revision(page: CasePage) -> int:
    """The revision a booklet prints: the published one (the latest one if the page has
    never been published through a revision; 0 if it has no revision at all)."""
    return page.live_revision_id or page.latest_revision_id or 0


def compilation_selection_key(*, title: str, cases: Sequence[CasePage]) -> str:
    """SHA-256 of the title and the ordered (page id, revision id) pairs."""
    payload = json.dumps(
        {"title": title, "cases": [[p.pk, compilation_revision(p)] for p in cases]},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def compilation_filter_cases(filter_query: dict[str, Any]) -> list[CasePage]:
    """The live cases matching a saved filter (``category``: a discipline or sub-type
    code, a discipline including its sub-types; ``year``: decision year), newest first."""
    qs = CasePage.objects.live()
    code = (filter_query or {}).get("category")
    if code:
        category = DisciplineCategory.objects.filter(code=code).first()
        if category is None:
            return []
        qs = qs.filter(Q(categories=category) | Q(categories__parent=category))
    year = (filter_query or {}).get("year")
    if year:
        qs = qs.filter(decision_date__year=int(year))
    return list(qs.distinct().order_by("-decision_date", "title", "pk"))


def compilation_order(
    *,
    by: Any,
    title: str,
    cases: Iterable[CasePage | int],
    filter_query: dict[str, Any] | None = None,
) -> CaseCompilation:
    """Order a booklet of ``cases`` (pages or page ids, in booklet order).

    Refuses an empty selection, a missing title and unpublished cases with a
    ``ValidationError``, writing nothing. Returns the existing row when the same title and
    cases at the same revisions were ordered before (``compilation.reused`` is True; a
    failed one is queued again), otherwise a new pending row whose render is enqueued
    when the transaction commits.
    """
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError(_("Give the compilation a title."), code="title")
    if len(title) > COMPILATION_TITLE_MAX:
        raise ValidationError(
            _("The title is too long (at most %(max)d characters).")
            % {"max": COMPILATION_TITLE_MAX},
            code="title",
        )
    ids: list[int] = []
    for item in cases:
        pk = item.pk if isinstance(item, CasePage) else int(item)
        if pk not in ids:
            ids.append(pk)
    if not ids:
        raise ValidationError(
            _("Choose at least one case: an empty compilation cannot be printed."),
            code="empty",
        )
    if len(ids) > COMPILATION_MAX_CASES:
        raise ValidationError(
            _("A compilation holds at most %(max)d cases.") % {"max": COMPILATION_MAX_CASES},
            code="too_many",
        )
    pages = CasePage.objects.live().in_bulk(ids)
    if len(pages) != len(ids):
        raise ValidationError(
            _("Some of the chosen cases are not published; reload the page and choose again."),
            code="unpublished",
        )
    ordered = [pages[pk] for pk in ids]
    key = compilation_selection_key(title=title, cases=ordered)

    existing = CaseCompilation.objects.filter(selection_key=key).first()
    if existing is not None:
        return _compilation_reuse(existing)
    try:
        with transaction.atomic():
            compilation = CaseCompilation.objects.create(
                title=title,
                selection_key=key,
                case_ids=ids,
                filter_query=filter_query or {},
                created_by=by if getattr(by, "pk", None) else None,
            )
    except IntegrityError:
        # A concurrent identical order won the unique selection_key.
        return _compilation_reuse(CaseCompilation.objects.get(selection_key=key))
    compilation.reused = False  # type: ignore[attr-defined]
    _compilation_enqueue(compilation.pk)
    return compilation


def _compilation_enqueue(compilation_id: int) -> None:
    from .tasks import compilation_render_task

    transaction.on_commit(lambda: compilation_render_task.delay(compilation_id))


def _compilation_reuse(compilation: CaseCompilation) -> CaseCompilation:
    """An identical order: the existing row. A failed one (or a done one whose PDF is
    missing from storage) is ordered again (fresh ``created_at``, so the sweep measures
    from now)."""
    Status = CaseCompilation.Status
    lost_file = (
        compilation.status == Status.DONE
        and compilation.pdf
        and not compilation.pdf.storage.exists(compilation.pdf.name)
    )
    if lost_file:
        # The row says done but its PDF is gone (storage restored from an older backup):
        # render it again rather than offer a download that cannot work.
        logger.warning("Compilation %s lost its PDF; rendering it again", compilation.pk)
        CaseCompilation.objects.filter(pk=compilation.pk, status=Status.DONE).update(
            status=Status.FAILED
        )
        compilation.status = Status.FAILED
    if compilation.status == Status.FAILED:
        retried = CaseCompilation.objects.filter(pk=compilation.pk, status=Status.FAILED).update(
            status=Status.PENDING,
            progress=0,
            error="",
            finished_at=None,
            created_at=timezone.now(),
        )
        if retried:
            _compilation_enqueue(compilation.pk)
        compilation.refresh_from_db()
    compilation.reused = True  # type: ignore[attr-defined]
    return compilation


def _compilation_progress(compilation_id: int, percent: int) -> None:
    CaseCompilation.objects.filter(
        pk=compilation_id, status=CaseCompilation.Status.RENDERING
    ).update(progress=max(0, min(99, percent)))


def compilation_pdf_name(compilation: CaseCompilation) -> str:
    """``compilations/<selection_key>.pdf``: deterministic, so a retry overwrites."""
    field = CaseCompilation._meta.get_field("pdf")
    return field.generate_filename(compilation, f"{compilation.selection_key}.pdf")  # type: ignore[attr-defined]


def _compilation_store(compilation: CaseCompilation, data: bytes) -> str:
    """Write the PDF under its deterministic name, replacing what is there; never a
    name with a random suffix."""
    storage = compilation.pdf.storage
    name = compilation_pdf_name(compilation)
    if storage.exists(name):
        with storage.open(name, "rb") as existing:
            if existing.read() == data:
                return name
        storage.delete(name)
    saved = storage.save(name, ContentFile(data))
    if saved != name:
        # Another render of the same selection wrote the file between our delete and
        # save (renders are deterministic, so it holds the same bytes): drop our copy.
        storage.delete(saved)
        if not storage.exists(name):
            raise RuntimeError(f"Could not write {name}")
    return name


def compilation_render(*, compilation_id: int) -> CaseCompilation | None:
    """Render a pending compilation. Safe to run twice: only the run that moves the row
    from pending to rendering renders; a second run returns the row untouched. Failures
    mark the row failed with the error (and are not raised). Returns the row, or None if
    it no longer exists."""
    from .compilation import compilation_pdf

    Status = CaseCompilation.Status
    claimed = CaseCompilation.objects.filter(pk=compilation_id, status=Status.PENDING).update(
        status=Status.RENDERING, progress=1, error=""
    )
    compilation = CaseCompilation.objects.filter(pk=compilation_id).first()
    if not claimed or compilation is None:
        return compilation
    mine = CaseCompilation.objects.filter(pk=compilation_id, status=Status.RENDERING)
    try:

        def progress(done: int, total: int) -> None:
            # Gathering the cases is the first 40 %; laying out the booklet the rest.
            _compilation_progress(compilation_id, 5 + 35 * done // max(total, 1))

        rendered = compilation_pdf(compilation, progress=progress)
        _compilation_progress(compilation_id, 90)
        name = _compilation_store(compilation, rendered.data)
        finished = mine.update(
            status=Status.DONE,
            progress=100,
            pdf=name,
            sha256=hashlib.sha256(rendered.data).hexdigest(),
            page_count=rendered.page_count,
            error="",
            finished_at=timezone.now(),
        )
        if not finished and not CaseCompilation.objects.filter(pk=compilation_id).exists():
            # The row was deleted while rendering: leave no PDF without its row.
            compilation.pdf.storage.delete(name)
            return None
    except Exception as exc:
        logger.exception("Case compilation %s failed", compilation_id)
        mine.update(
            status=Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
    compilation.refresh_from_db()
    return compilation


def compilations_requeue_stuck(*, now: Any = None) -> list[int]:
    """Find work that can no longer be running and make it runnable again; return the ids
    to enqueue. Pending rows older than ``COMPILATION_PENDING_STALE`` lost their message;
    rendering rows past the task's hard time limit lost their worker (they go back to
    pending). Rows ordered more than ``COMPILATION_GIVE_UP`` ago are marked failed."""
    now = now or timezone.now()
    Status = CaseCompilation.Status
    unfinished = CaseCompilation.objects.filter(status__in=[Status.PENDING, Status.RENDERING])
    unfinished.filter(created_at__lt=now - COMPILATION_GIVE_UP).update(
        status=Status.FAILED,
        error=_("The compilation did not finish; order it again."),
        finished_at=now,
    )
    CaseCompilation.objects.filter(
        status=Status.RENDERING, created_at__lt=now - compilation_render_stale_after()
    ).update(status=Status.PENDING, progress=0)
    return list(
        CaseCompilation.objects.filter(
            status=Status.PENDING, created_at__lt=now - COMPILATION_PENDING_STALE
        ).values_list("pk", flat=True)
    )


# =====================================================================================
# Regulations: importing a regulation's articles (parsing lives in ``cases.importing``)
# -------------------------------------------------------------------------------------
# regulation_import: all or nothing in one transaction; re-importing the same slug and
# version refuses unless ``replace`` (articles matched by number keep their rows, ids,
# URLs and citations; a cited article is never deleted). regulation_import_check: the
# same refusals without writing, for previews.
# =====================================================================================


class ArticleData(Protocol):
    """What :func:`regulation_import` needs of each article
    (:class:`cases.importing.ParsedArticle` fits)."""

    @property
    def number(self) -> int: ...
    @property
    def label(self) -> str: ...
    @property
    def part(self) -> str: ...
    @property
    def chapter(self) -> str: ...
    @property
    def section(self) -> str: ...
    @property
    def text(self) -> str: ...


REGULATION_REFUSALS: Final[dict[str, str | Promise]] = {
    "exists": gettext_lazy(
        "%(regulation)s is already imported. Choose “replace” to update its articles."
    ),
    "slug_taken": gettext_lazy(
        "The address “%(slug)s” is already used by %(regulation)s. Choose another slug."
    ),
    "title_taken": gettext_lazy(
        "This title and version are already imported at the address “%(slug)s”."
    ),
    "cited": gettext_lazy(
        "The new text no longer has %(labels)s, which cases or lessons cite. Nothing was changed."
    ),
    "no_articles": gettext_lazy("There are no articles to import."),
    "duplicate_number": gettext_lazy("Article number %(number)s appears more than once."),
    "invalid": gettext_lazy("%(field)s: %(message)s"),
    "conflict": gettext_lazy(
        "Someone imported the same regulation at the same moment. Nothing was changed."
    ),
}


@dataclass(frozen=True)
class Refusal:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        text = str(REGULATION_REFUSALS.get(self.code, REGULATION_REFUSALS["conflict"]))
        return text % dict(self.params) if self.params else text

    def __str__(self) -> str:
        return self.message


class RegulationImportRefused(Exception):
    """The import was refused; nothing was written."""

    def __init__(self, refusals: Sequence[Refusal]) -> None:
        super().__init__("; ".join(r.code for r in refusals))
        self.refusals = list(refusals)


@dataclass(frozen=True)
class RegulationImportResult:
    regulation: Regulation
    created: int
    updated: int
    unchanged: int
    deleted: int
    replaced: bool


_ARTICLE_FIELDS: Final = ("label", "part", "chapter", "section", "text")


def article_numbers_cited(*, regulation: Regulation, numbers: Sequence[int]) -> list[int]:
    """Those of ``numbers`` whose article is cited: by a case's ``articles_breached`` or by
    anything in Wagtail's reference index (StreamField blocks, lessons, questions…)."""
    from wagtail.models import ReferenceIndex

    articles = Article.objects.filter(regulation=regulation, number__in=numbers)
    by_id: dict[int, int] = dict(articles.values_list("pk", "number"))
    if not by_id:
        return []
    cited: set[int] = set(
        CasePage.articles_breached.through.objects.filter(article_id__in=by_id).values_list(
            "article_id", flat=True
        )
    )
    referenced = ReferenceIndex.get_references_to_in_bulk(articles).values_list(
        "to_object_id", flat=True
    )
    cited |= {int(pk) for pk in referenced}
    return sorted(by_id[pk] for pk in cited if pk in by_id)


def regulation_import_check(
    *,
    title: str,
    short_name: str,
    slug: str,
    version: str,
    issuer: str = "",
    effective_date: datetime.date | None = None,
    articles: Sequence[ArticleData],
    replace: bool = False,
) -> list[Refusal]:
    """Every reason :func:`regulation_import` would refuse, without writing anything."""
    refusals: list[Refusal] = []
    if not articles:
        refusals.append(Refusal("no_articles"))
    numbers = [a.number for a in articles]
    for number in sorted({n for n in numbers if numbers.count(n) > 1}):
        refusals.append(Refusal("duplicate_number", {"number": number}))
    candidate = Regulation(
        title=title,
        short_name=short_name,
        slug=slug,
        version=version,
        issuer=issuer,
        effective_date=effective_date,
    )
    try:
        candidate.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            label = (
                str(getattr(Regulation._meta.get_field(name), "verbose_name", name))
                if name != "__all__"
                else ""
            )
            for message in messages:
                refusals.append(Refusal("invalid", {"field": label, "message": message}))
    for article in articles:
        for name in _ARTICLE_FIELDS:
            model_field = Article._meta.get_field(name)
            limit = getattr(model_field, "max_length", None)
            if limit and len(getattr(article, name)) > limit:
                refusals.append(
                    Refusal(
                        "invalid",
                        {
                            "field": f"{article.label} {getattr(model_field, 'verbose_name', name)}",
                            "message": gettext_lazy("too long"),
                        },
                    )
                )
    existing = Regulation.objects.filter(slug=slug).first()
    if existing is not None and existing.version != version:
        refusals.append(Refusal("slug_taken", {"slug": slug, "regulation": str(existing)}))
    elif existing is not None and not replace:
        refusals.append(Refusal("exists", {"regulation": str(existing)}))
    elif existing is not None:
        removed = set(existing.articles.values_list("number", flat=True)) - set(numbers)
        cited = article_numbers_cited(regulation=existing, numbers=sorted(removed))
        if cited:
            labels = dict(existing.articles.filter(number__in=cited).values_list("number", "label"))
            refusals.append(Refusal("cited", {"labels": "、".join(labels[n] for n in cited)}))
    same_title = Regulation.objects.filter(title=title, version=version).exclude(slug=slug).first()
    if same_title is not None:
        refusals.append(Refusal("title_taken", {"slug": same_title.slug}))
    return refusals


def regulation_import(
    *,
    title: str,
    short_name: str,
    slug: str,
    version: str,
    issuer: str = "",
    effective_date: datetime.date | None = None,
    articles: Sequence[ArticleData],
    replace: bool = False,
) -> RegulationImportResult:
    """Create a regulation with its articles, or (``replace=True``) update an imported
    version in place: articles are matched by number, so their rows, ids, URLs and
    citations stay; an article missing from the new text is deleted unless cited.

    All or nothing, in one transaction. Raises :class:`RegulationImportRefused`.
    """
    try:
        with transaction.atomic():
            # Serialise imports of the same regulation (a double-submitted form).
            list(Regulation.objects.select_for_update().filter(slug=slug))
            refusals = regulation_import_check(
                title=title,
                short_name=short_name,
                slug=slug,
                version=version,
                issuer=issuer,
                effective_date=effective_date,
                articles=articles,
                replace=replace,
            )
            if refusals:
                raise RegulationImportRefused(refusals)
            return _regulation_write(
                title=title,
                short_name=short_name,
                slug=slug,
                version=version,
                issuer=issuer,
                effective_date=effective_date,
                articles=articles,
            )
    except IntegrityError:
        # A concurrent import of the same slug or title+version won the race.
        raise RegulationImportRefused([Refusal("conflict")]) from None


def _regulation_write(
    *,
    title: str,
    short_name: str,
    slug: str,
    version: str,
    issuer: str,
    effective_date: datetime.date | None,
    articles: Sequence[ArticleData],
) -> RegulationImportResult:
    regulation = Regulation.objects.filter(slug=slug).first()
    replaced = regulation is not None
    if regulation is None:
        regulation = Regulation(slug=slug)
    regulation.title = title
    regulation.short_name = short_name
    regulation.version = version
    regulation.issuer = issuer
    regulation.effective_date = effective_date
    regulation.save()

    current = {a.number: a for a in regulation.articles.all()} if replaced else {}
    created = updated = unchanged = 0
    # Saved one by one so that the search and reference indexes follow (158 rows: fast).
    for data in articles:
        article = current.pop(data.number, None)
        if article is None:
            article = Article(regulation=regulation, number=data.number)
            created += 1
        elif all(getattr(article, name) == getattr(data, name) for name in _ARTICLE_FIELDS):
            unchanged += 1
            continue
        else:
            updated += 1
        for name in _ARTICLE_FIELDS:
            setattr(article, name, getattr(data, name))
        article.save()
    deleted = len(current)
    for article in current.values():  # none of them cited: checked above
        article.delete()
    return RegulationImportResult(
        regulation=regulation,
        created=created,
        updated=updated,
        unchanged=unchanged,
        deleted=deleted,
        replaced=replaced,
    )
