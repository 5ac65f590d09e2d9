""" "My learning" (/me/): the viewer's own hours, courses and study-hour ledger."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from people.access import login_required

from .selectors.learning import hours_summary, ledger_list, ledger_years, my_learning


@login_required
def my_learning_view(request: HttpRequest) -> HttpResponse:
    """This year's hours against the requirement and the viewer's courses by section."""
    today = timezone.localdate()
    return render(
        request,
        "courses/me/my_learning.html",
        {
            "today": today,
            "summary": hours_summary(user=request.user, year=today.year),
            "learning": my_learning(user=request.user, today=today),
        },
    )


@login_required
def my_hours_view(request: HttpRequest) -> HttpResponse:
    """The viewer's study-hour ledger for one year (``?year=``; this year by default)."""
    current = timezone.localdate().year
    years = ledger_years(user=request.user, current=current)
    try:
        year = int(request.GET.get("year", current))
    except (TypeError, ValueError):
        year = current
    if year not in years:
        year = current
    return render(
        request,
        "courses/me/my_hours.html",
        {
            "year": year,
            "years": years,
            "summary": hours_summary(user=request.user, year=year),
            "entries": ledger_list(user=request.user, year=year),
        },
    )
