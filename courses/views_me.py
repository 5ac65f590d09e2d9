""" "My learning" (/me/): the viewer's own hours, courses and study-hour ledger, and their
settings (the language of their e-mails and notifications)."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from people.access import login_required
from people.forms import PersonLanguageForm
from people.models import User
from people.services import person_language_set

from .selectors.learning import hours_summary, ledger_list, ledger_years, my_learning
from .services.transcript import transcript_current, transcript_issue


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


@login_required
@require_POST
def my_transcript_view(request: HttpRequest) -> HttpResponse:
    """Issue the viewer's study-hour transcript of the posted year (POST ``year``), then
    show "My certificates". A second click with an unchanged ledger gives the same
    certificate; a year without entries is refused with a message."""
    raw = request.POST.get("year", "")
    if not (raw.isdigit() and 1900 <= int(raw) <= 2999):
        messages.error(request, _("Choose a year."))
        return redirect("me:hours")
    year = int(raw)
    before = transcript_current(user=request.user, year=year)
    try:
        certificate = transcript_issue(user=request.user, year=year)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{reverse('me:hours')}?year={year}")
    if before is not None and before.pk == certificate.pk:
        messages.info(
            request,
            _("Your study hours of %(year)s have not changed: this is your transcript.")
            % {"year": year},
        )
    else:
        messages.success(
            request,
            _("Your transcript of %(year)s is being prepared. It appears below.") % {"year": year},
        )
    return redirect("my_certificates:list")


@login_required
def my_settings_view(request: HttpRequest) -> HttpResponse:
    """The viewer's own settings: the language of their e-mails and notifications."""
    user = cast(User, request.user)  # @login_required
    if request.method == "POST":
        form = PersonLanguageForm(request.POST)
        if form.is_valid():
            try:
                person_language_set(user=user, language=form.cleaned_data["language"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your settings have been saved."))
                return redirect("me:settings")
    else:
        form = PersonLanguageForm(initial={"language": user.language})
    return render(request, "courses/me/my_settings.html", {"form": form})
