"""Site-wide search: ``/search/?q=`` over every live page type that opts in to Chinese
search (uses ``SegmentedSearchField``) and the regulations' articles.

Any query string gets a page: the query is reduced to word tokens first
(``qinglian.search.query_terms``). All words must match; when no page contains all of
them, pages containing any of them are shown, with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from wagtail.models import Page, get_page_models
from wagtail.search.backends import get_search_backend

from people.access import public

from .search import (
    MAX_QUERY_CHARS,
    excerpt,
    highlight,
    query_terms,
    raw_search_text,
    uses_segmented_search,
)
from .search_backend import higher_score_is_better

RESULTS_PER_PAGE = 10
# Hits kept per source; beyond this nobody pages on.
MAX_HITS = 500
# Indexed models that are not pages and are public; they need ``get_absolute_url``.
NON_PAGE_SOURCES = ("cases.Article",)


@dataclass(frozen=True)
class Hit:
    source: str  # "page" or an app_label.ModelName
    pk: int
    score: float


@dataclass
class Result:
    title: SafeString
    type_label: str
    snippet: SafeString
    url: str


def searchable_page_models() -> list[type[Page]]:
    return [m for m in get_page_models() if uses_segmented_search(m)]


def _sources() -> list[tuple[str, QuerySet[Any]]]:
    sources: list[tuple[str, QuerySet[Any]]] = []
    page_models = searchable_page_models()
    if page_models:
        sources.append(("page", Page.objects.live().public().type(*page_models)))
    for label in NON_PAGE_SOURCES:
        model = apps.get_model(label)
        sources.append((label, model._default_manager.all()))
    return sources


def _ranked(source: str, queryset: QuerySet[Any], terms: list[str], operator: str) -> list[Hit]:
    backend = get_search_backend()
    results = backend.search(" ".join(terms), queryset, operator=operator)
    results = results.annotate_score("_score")
    sign = 1.0 if higher_score_is_better() else -1.0
    get_queryset = getattr(results, "get_queryset", None)
    if get_queryset is None:  # a backend without a scored queryset (not SQLite/PostgreSQL)
        rows = [(obj.pk, getattr(obj, "_score", 0.0)) for obj in results[:MAX_HITS]]
    else:  # the database backends: ids and scores only, no objects
        rows = list(get_queryset().values_list("pk", "_score")[:MAX_HITS])
    return [Hit(source, pk, sign * float(score or 0.0)) for pk, score in rows]


def site_search(terms: list[str]) -> tuple[list[Hit], bool]:
    """Hits for ``terms``, best first, and whether the search fell back to any-word."""
    if not terms:
        return [], False
    sources = _sources()
    hits = [h for source, qs in sources for h in _ranked(source, qs, terms, "and")]
    fell_back = False
    if not hits and len(terms) > 1:
        hits = [h for source, qs in sources for h in _ranked(source, qs, terms, "or")]
        fell_back = bool(hits)
    hits.sort(key=lambda h: h.score, reverse=True)
    return hits, fell_back


def _load(hits: list[Hit], terms: list[str], request: HttpRequest) -> list[Result]:
    """The results for one page of hits: one query for the pages, one per page type,
    one per other source."""
    by_source: dict[str, list[int]] = {}
    for hit in hits:
        by_source.setdefault(hit.source, []).append(hit.pk)
    objects: dict[tuple[str, int], Any] = {}
    for source, pks in by_source.items():
        if source == "page":
            queryset: Any = Page.objects.filter(pk__in=pks).specific()
        else:
            queryset = apps.get_model(source)._default_manager.filter(pk__in=pks)
            if source == "cases.Article":
                queryset = queryset.select_related("regulation")
        for obj in queryset:
            objects[(source, obj.pk)] = obj
    results = []
    for hit in hits:
        obj = objects.get((hit.source, hit.pk))
        if obj is None:
            continue
        if hit.source == "page":
            title, url = obj.title, obj.get_url(request) or ""
        else:
            title, url = str(obj), obj.get_absolute_url()
        results.append(
            Result(
                title=highlight(title, terms),
                type_label=capfirst(str(obj._meta.verbose_name)),
                snippet=excerpt(raw_search_text(obj), terms),
                url=url,
            )
        )
    return results


@public
def search(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    query = " ".join(raw.split())[:MAX_QUERY_CHARS] if isinstance(raw, str) else ""
    query = query.replace("\x00", "")
    terms = query_terms(query)
    hits, fell_back = site_search(terms)
    paginator = Paginator(hits, RESULTS_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    context = {
        "query": query,
        "searched": bool(query),
        "terms": terms,
        "fell_back": fell_back,
        "results": _load(list(page_obj.object_list), terms, request),
        "page_obj": page_obj,
        "paginator": paginator,
        "is_paginated": paginator.num_pages > 1,
        "query_string": urlencode({"q": query}),
    }
    return render(request, "qinglian/search.html", context)
