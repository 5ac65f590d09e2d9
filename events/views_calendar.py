"""Calendar feeds: the person's page with their private feed URL (and "reset link",
which revokes the old token), and the feed itself at ``/calendar/<token>.ics``: public,
the token is the credential; an unknown or revoked token is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from people.access import login_required, public

from .calendar import CONTENT_TYPE, calendar_build, feed_events, feed_for, feed_reset
from .models import CalendarFeed


@login_required
def calendar_page_view(request: HttpRequest) -> HttpResponse:
    feed = feed_for(user=request.user)  # type: ignore[arg-type]
    url = request.build_absolute_uri(reverse("calendar:feed", args=[feed.token]))
    webcal = "webcal://" + url.split("://", 1)[1]
    return render(
        request, "events/event_calendar.html", {"feed": feed, "url": url, "webcal": webcal}
    )


@require_POST
@login_required
def calendar_reset_view(request: HttpRequest) -> HttpResponse:
    feed_reset(user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Your calendar link is reset; the old link no longer works."))
    return redirect("events:event_calendar")


@public
def calendar_feed_view(request: HttpRequest, token: str) -> HttpResponse:
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    body = calendar_build(feed_events(user=feed.user), name=_("Qinglian events"))
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Cache-Control"] = "private, max-age=300"
    return response
