"""/dashboard/: the unit compliance dashboard and its drill-downs. TODO(helper: views)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from people.access import role_required

from .selectors.scope import DASHBOARD_ROLES


@role_required(*DASHBOARD_ROLES)
def dashboard_view(request: HttpRequest) -> HttpResponse:
    raise Http404


@role_required(*DASHBOARD_ROLES)
def people_view(request: HttpRequest) -> HttpResponse:
    raise Http404


@role_required(*DASHBOARD_ROLES)
def enrolments_view(request: HttpRequest) -> HttpResponse:
    raise Http404
