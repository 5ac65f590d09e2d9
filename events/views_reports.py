"""Attendance reports for unit admins, discipline officers and trainers: per event and
per campaign, by unit, with the people behind the numbers, and CSV/XLSX exports with the
page's filters.

Every figure and name comes from ``events.selectors.reports`` (scope: an event or
campaign the viewer may not report on is a 404; people outside their scope never appear,
not even in a count).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView, TemplateView, View

from people.access import RoleRequiredMixin
from people.forms import UnitChoiceField
from people.models import OrgUnit, Role, User
from qinglian.exports import stream_csv, xlsx_response

from .models import AttendanceMethod, AttendanceStatus, Campaign, Event, LeaveStatus
from .selectors.reports import (
    NOT_RECORDED,
    UnitRow,
    campaign_list_reportable,
    campaign_report,
    campaign_report_people,
    campaign_report_units,
    event_report,
    event_report_people,
    event_report_units,
)
from .selectors.scope import event_can_report, event_list_reportable

REPORT_ACCESS_ROLES = (Role.TRAINER, Role.UNIT_ADMIN, Role.DISCIPLINE_OFFICER)
PAGE_SIZE = 50
#: At most this many names per status are listed on the event page (the export has all).
NAMES_LIMIT = 300


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _query_string(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _stamp(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _percent(value: int | None) -> str:
    return "" if value is None else f"{value}%"


def status_labels() -> dict[str, str]:
    labels = {str(k): str(v) for k, v in AttendanceStatus.choices}
    labels[NOT_RECORDED] = _("Not recorded")
    return labels


# --- Filters -------------------------------------------------------------------------


class ReportFilterForm(forms.Form):
    unit = UnitChoiceField(
        label=gettext_lazy("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=gettext_lazy("All units"),
    )

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {"unit": None}
        return {"unit": self.cleaned_data.get("unit")}


class EventReportFilterForm(ReportFilterForm):
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            ("", _("Any status")),
            *status_labels().items(),
        ]

    def values(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {"unit": None, "status": ""}
        return {
            "unit": self.cleaned_data.get("unit"),
            "status": self.cleaned_data.get("status") or "",
        }


# --- Index ---------------------------------------------------------------------------


class ReportIndexView(RoleRequiredMixin, TemplateView):
    """The campaigns and events whose reports the viewer may open."""

    access_roles = REPORT_ACCESS_ROLES
    template_name = "events/report_index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        viewer = _viewer(self.request)
        context["campaigns"] = list(campaign_list_reportable(viewer=viewer)[:50])
        context["events"] = list(
            event_list_reportable(viewer=viewer)
            .filter(starts_at__lte=timezone.now())
            .order_by("-starts_at", "-pk")[:50]
        )
        return context


# --- Event report --------------------------------------------------------------------


class EventReportMixin(RoleRequiredMixin):
    access_roles = REPORT_ACCESS_ROLES
    request: HttpRequest
    kwargs: dict[str, Any]

    def get_event(self) -> Event:
        if not hasattr(self, "_event"):
            event = get_object_or_404(
                Event.objects.select_related("audience_unit", "trainer", "campaign", "min_rank"),
                pk=self.kwargs["pk"],
            )
            if not event_can_report(viewer=_viewer(self.request), event=event):
                raise Http404
            self._event = event
        return self._event

    def get_filter_form(self) -> EventReportFilterForm:
        if not hasattr(self, "_filter_form"):
            units = event_report_units(viewer=_viewer(self.request), event=self.get_event())
            self._filter_form = EventReportFilterForm(self.request.GET or None, units=units)
        return self._filter_form

    def get_people(self) -> QuerySet[User]:
        return event_report_people(
            viewer=_viewer(self.request), event=self.get_event(), **self.get_filter_form().values()
        )


class EventReportView(EventReportMixin, ListView):
    template_name = "events/report_event.html"
    context_object_name = "people"
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> QuerySet[User]:
        return self.get_people()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        viewer = _viewer(self.request)
        event = self.get_event()
        unit = self.get_filter_form().values()["unit"]
        report = event_report(viewer=viewer, event=event, unit=unit)
        absent = list(
            event_report_people(
                viewer=viewer, event=event, unit=unit, status=AttendanceStatus.ABSENT
            ).values_list("unit__name", "full_name")[: NAMES_LIMIT + 1]
        )
        labels = status_labels()
        for person in context["people"]:
            person.status_label = labels[person.att_status or NOT_RECORDED]
            person.method_label = (
                AttendanceMethod(person.att_method).label if person.att_method else ""
            )
        context.update(
            event=event,
            report=report,
            absent_names=_group_names(absent[:NAMES_LIMIT]),
            absent_truncated=len(absent) > NAMES_LIMIT,
            filter_form=self.get_filter_form(),
            query_string=_query_string(self.request),
        )
        return context


def _group_names(pairs: list[tuple[str | None, str]]) -> list[tuple[str, list[str]]]:
    """[(unit name, [names])] keeping the query's order (by unit, then name)."""
    groups: list[tuple[str, list[str]]] = []
    for unit_name, name in pairs:
        label = unit_name or "—"
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append(name)
    return groups


def _unit_label(row: UnitRow) -> str:
    return row.name or _("No unit")


class ExportMixin:
    """``what`` = ``people`` (default) or ``units``; ``fmt`` = ``csv`` or ``xlsx``."""

    request: HttpRequest
    kwargs: dict[str, Any]
    prefix = "report"

    def what(self) -> str:
        return "units" if self.request.GET.get("what") == "units" else "people"

    def respond(
        self, header: list[str], rows: Iterator[list[Any]], title: str
    ) -> HttpResponse | StreamingHttpResponse:
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        fmt = self.kwargs["fmt"]
        filename = f"{self.prefix}-{self.kwargs['pk']}-{self.what()}-{stamp}.{fmt}"
        if fmt == "xlsx":
            return xlsx_response(filename=filename, title=title, header=header, rows=rows)
        return stream_csv(filename=filename, header=header, rows=rows)


class EventReportExportView(EventReportMixin, ExportMixin, View):
    """The event report (per person, or per unit with ``?what=units``) with the page's
    filters, as CSV or XLSX; cells that look like formulas are escaped."""

    prefix = "event"

    def get(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponse | StreamingHttpResponse:
        event = self.get_event()
        if self.what() == "units":
            report = event_report(
                viewer=_viewer(request), event=event, unit=self.get_filter_form().values()["unit"]
            )
            header = [
                _("Unit"),
                _("Expected"),
                _("Present"),
                _("Late"),
                _("Excused"),
                _("Absent"),
                _("Not recorded"),
                _("Attendance rate"),
                _("Make-up done"),
            ]

            def unit_rows() -> Iterator[list[Any]]:
                for row in [*report.rows, report.total]:
                    yield [
                        _unit_label(row) if row is not report.total else _("Total"),
                        row.expected,
                        row.present,
                        row.late,
                        row.excused,
                        row.absent,
                        row.not_recorded,
                        _percent(row.rate),
                        row.makeup_done,
                    ]

            return self.respond(header, unit_rows(), str(_("By unit")))
        header = [
            _("Full name"),
            _("Employee number"),
            _("Unit"),
            _("Rank level"),
            _("Status"),
            _("Checked in at"),
            _("Recorded by"),
            _("Leave request"),
            _("Make-up done"),
        ]
        labels = status_labels()
        methods = {str(k): str(v) for k, v in AttendanceMethod.choices}
        leaves = {str(k): str(v) for k, v in LeaveStatus.choices}
        yes, no = _("Yes"), _("No")

        def people_rows() -> Iterator[list[Any]]:
            values = self.get_people().values_list(  # type: ignore[misc]  # annotations
                "full_name",
                "employee_number",
                "unit__name",
                "rank_level__name",
                "att_status",
                "att_checked_in_at",
                "att_method",
                "leave_status",
                "made_up",
                "makeup_assigned",
            )
            for (
                name,
                number,
                unit,
                rank,
                status,
                checked_in,
                method,
                leave,
                made_up,
                assigned,
            ) in values.iterator(chunk_size=2000):
                yield [
                    name,
                    number or "",
                    unit or "",
                    rank or "",
                    labels[status or NOT_RECORDED],
                    _stamp(checked_in),
                    methods.get(method or "", ""),
                    leaves.get(leave or "", ""),
                    yes if made_up else (no if assigned else ""),
                ]

        return self.respond(header, people_rows(), str(_("Attendance")))


# --- Campaign report -----------------------------------------------------------------


class CampaignReportMixin(RoleRequiredMixin):
    access_roles = REPORT_ACCESS_ROLES
    request: HttpRequest
    kwargs: dict[str, Any]

    def get_campaign(self) -> Campaign:
        if not hasattr(self, "_campaign"):
            self._campaign = get_object_or_404(
                campaign_list_reportable(viewer=_viewer(self.request)), pk=self.kwargs["pk"]
            )
        return self._campaign

    def get_filter_form(self) -> ReportFilterForm:
        if not hasattr(self, "_filter_form"):
            units = campaign_report_units(
                viewer=_viewer(self.request), campaign=self.get_campaign()
            )
            self._filter_form = ReportFilterForm(self.request.GET or None, units=units)
        return self._filter_form


class CampaignReportView(CampaignReportMixin, TemplateView):
    template_name = "events/report_campaign.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        campaign = self.get_campaign()
        report = campaign_report(
            viewer=_viewer(self.request),
            campaign=campaign,
            unit=self.get_filter_form().values()["unit"],
        )
        viewer = _viewer(self.request)
        for row in report.events:  # no query: the audience unit and role paths are loaded
            row.can_report = event_can_report(viewer=viewer, event=row.event)  # type: ignore[attr-defined]
        context.update(
            campaign=campaign,
            report=report,
            filter_form=self.get_filter_form(),
            query_string=_query_string(self.request),
        )
        return context


class CampaignReportExportView(CampaignReportMixin, ExportMixin, View):
    """The campaign report (per person, or per unit with ``?what=units``) as CSV or XLSX."""

    prefix = "campaign"

    def get(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponse | StreamingHttpResponse:
        campaign = self.get_campaign()
        unit = self.get_filter_form().values()["unit"]
        viewer = _viewer(request)
        if self.what() == "units":
            report = campaign_report(viewer=viewer, campaign=campaign, unit=unit)
            header = [
                _("Unit"),
                _("People"),
                _("Complete"),
                _("Expected attendances"),
                _("Present"),
                _("Late"),
                _("Excused"),
                _("Absent"),
                _("Not recorded"),
                _("Attendance rate"),
                _("Make-up done"),
                _("Required actions done"),
                _("Required actions missing"),
                _("Missing actions"),
                _("Chosen actions"),
                _("Chosen actions reported"),
            ]

            def unit_rows() -> Iterator[list[Any]]:
                for row in [*report.rows, report.total]:
                    yield [
                        _unit_label(row) if row is not report.total else _("Total"),
                        row.people,
                        row.complete,
                        row.expected,
                        row.present,
                        row.late,
                        row.excused,
                        row.absent,
                        row.not_recorded,
                        _percent(row.rate),
                        row.makeup_done,
                        row.actions_done,
                        row.actions_missing,
                        "；".join(row.missing_titles),
                        row.chosen,
                        row.chosen_reported,
                    ]

            return self.respond(header, unit_rows(), str(_("By unit")))
        header = [
            _("Full name"),
            _("Employee number"),
            _("Unit"),
            _("Rank level"),
            _("Required events held"),
            _("Attended"),
            _("Excused"),
            _("Absent"),
            _("Made up"),
            _("Complete"),
        ]
        yes, no = _("Yes"), _("No")

        def people_rows() -> Iterator[list[Any]]:
            values = campaign_report_people(viewer=viewer, campaign=campaign, unit=unit)
            for row in values.values_list(  # type: ignore[misc]  # annotations
                "full_name",
                "employee_number",
                "unit__name",
                "rank_level__name",
                "events_expected",
                "events_attended",
                "events_excused",
                "events_absent",
                "events_made_up",
                "complete",
            ).iterator(chunk_size=2000):
                name, number, unit_name, rank, *counts, complete = row
                yield [
                    name,
                    number or "",
                    unit_name or "",
                    rank or "",
                    *counts,
                    yes if complete else no,
                ]

        return self.respond(header, people_rows(), str(_("Campaign")))
