"""What the case pages show: the context their ``get_context`` adds. The reads go
through ``cases.selectors``; nothing here changes data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects

from .filtering import CaseFilterForm
from .selectors import case_filter_options, case_list, case_list_relevant

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Article, CasePage

CASES_PER_PAGE = 20
VIEW_ALL = "all"
VIEW_RELEVANT = "relevant"


def case_index_context(*, request: HttpRequest) -> dict[str, Any]:
    """The filter form, the tab ("all" or "relevant to my post"), one page of cases."""
    options = case_filter_options()
    form = CaseFilterForm(request.GET, options=options)
    filters = form.filters()
    user = request.user
    can_see_relevant = bool(user.is_authenticated)
    view = VIEW_RELEVANT if request.GET.get("view") == VIEW_RELEVANT else VIEW_ALL
    if view == VIEW_RELEVANT and can_see_relevant:
        cases = case_list_relevant(viewer=user, filters=filters)  # type: ignore[arg-type]
    else:
        cases = case_list(filters=filters, sort=form.sort_order())
    paginator = Paginator(cases, CASES_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    tab_params = params.copy()
    tab_params.pop("view", None)
    return {
        "filter_form": form,
        "filters_active": not filters.is_empty(),
        "view": view,
        "can_see_relevant": can_see_relevant,
        "relevant_requested_anonymously": view == VIEW_RELEVANT and not can_see_relevant,
        "cases": page_obj.object_list,
        "page_obj": page_obj,
        "paginator": paginator,
        "is_paginated": paginator.num_pages > 1,
        "query_string": params.urlencode(),
        "tab_query_string": tab_params.urlencode(),
    }


def _body_articles(page: CasePage) -> list[Article]:
    found: list[Article] = []
    for block in page.body:
        if block.block_type == "fact":
            found.extend(a for a in block.value["articles"] if a is not None)
        elif block.block_type == "article_quote" and block.value["article"] is not None:
            found.append(block.value["article"])
    return found


def case_page_context(*, page: CasePage) -> dict[str, Any]:
    """Everything a case page shows beyond its own fields, in a fixed number of queries
    however long the body is and however many related cases it has."""
    from .models import CasePage as CasePageModel

    # The page came from Wagtail's router without its foreign keys: fetch the three in
    # one query (only when they match the page as shown, so previews stay right).
    if page.pk and not page._state.adding:
        joined = (
            CasePageModel.objects.filter(pk=page.pk)
            .only("rank_level", "sector", "region")
            .select_related("rank_level", "sector", "region")
            .first()
        )
        if joined is not None:
            for name in ("rank_level", "sector", "region"):
                if getattr(joined, f"{name}_id") == getattr(page, f"{name}_id"):
                    setattr(page, name, getattr(joined, name))
    # The articles the body's facts and quotes cite: their regulations in one query
    # (each article's address needs its regulation's slug).
    prefetch_related_objects(_body_articles(page), "regulation")
    related = (
        CasePageModel.objects.live()
        .defer_streamfields()
        .filter(pk__in=page.related_cases.all())
        .exclude(pk=page.pk)
        .select_related("rank_level", "sector")
        .order_by("-decision_date", "-pk")
    )
    return {
        "library": page.get_parent(),
        "categories": list(page.categories.select_related("parent").order_by("parent__order")),
        "articles_breached": list(
            page.articles_breached.select_related("regulation").order_by(
                "regulation__short_name", "number"
            )
        ),
        "related_cases": list(related),
        "discussion_questions": page.discussion_question_list,
    }
