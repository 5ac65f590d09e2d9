"""Appointments and the pre-appointment programme: the cleared-before-office dashboard
(unit admins and discipline officers in scope), recording an appointment by form or
import (unit admins), one appointment with its steps and the waiver form (discipline
officers), the exports, and the appointee's own checklist.

Reads go through ``talks.selectors.appointments`` (an appointment outside the viewer's
scope is a 404); writes through ``talks.services``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, View

from audit.services import audit_denied
from people.access import LoginRequiredMixin, RoleRequiredMixin
from people.importing import ImportFileError
from people.models import Role, User
from people.selectors import user_has_role
from qinglian.exports import stream_csv, xlsx_response

from .forms_appointments import (
    AppointmentForm,
    AppointmentImportForm,
    DashboardFilterForm,
    WaiveForm,
)
from .importing import (
    COLUMNS,
    AppointmentImportRejected,
    appointments_import,
    template_rows,
)
from .models import (
    STEP_ORDER,
    Appointment,
    AppointmentStatus,
    PledgeText,
    ProgrammeStep,
    StepKind,
    StepStatus,
    TalkKind,
)
from .selectors.appointments import (
    DASHBOARD_ROLES,
    STEP_WAITING_LABELS,
    appointment_dashboard,
    appointment_get_visible,
    appointment_list_mine,
    appointment_step_counts,
    dashboard_units,
    steps_by_kind,
)
from .services.appointments import appointment_create
from .services.programme import step_can_waive, step_waive

PAGE_SIZE = 50


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _query_string(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


class DashboardMixin(RoleRequiredMixin):
    access_roles: tuple[str, ...] = DASHBOARD_ROLES
    request: HttpRequest

    def get_filter_form(self) -> DashboardFilterForm:
        if not hasattr(self, "_filter_form"):
            self._filter_form = DashboardFilterForm(
                self.request.GET or None, units=dashboard_units(viewer=_viewer(self.request))
            )
        return self._filter_form

    def get_rows(self) -> Any:
        return appointment_dashboard(
            viewer=_viewer(self.request), **self.get_filter_form().values()
        )


# --- Dashboard -----------------------------------------------------------------------


def _step_links(request: HttpRequest, counts: dict[str, int], active: str) -> list[dict[str, Any]]:
    """Each step's waiting count with the address that filters the list to it (the other
    filters kept, the page dropped)."""
    links = []
    for kind in STEP_ORDER:
        query = request.GET.copy()
        query.pop("page", None)
        query["step"] = kind.value
        links.append(
            {
                "kind": kind.value,
                "label": STEP_WAITING_LABELS[kind],
                "count": counts[kind.value],
                "query": query.urlencode(),
                "active": kind.value == active,
            }
        )
    return links


class AppointmentDashboardView(DashboardMixin, View):
    """Appointees by step, with how many wait at each step (each count a link to those
    appointees); those past their take-office date and not cleared on top."""

    def get(self, request: HttpRequest) -> HttpResponse:
        viewer = _viewer(request)
        form = self.get_filter_form()
        active_step = form.values()["step"]
        counts = appointment_step_counts(viewer=viewer, **form.count_values())
        all_steps = request.GET.copy()
        all_steps.pop("page", None)
        all_steps.pop("step", None)
        page = Paginator(self.get_rows(), PAGE_SIZE).get_page(request.GET.get("page"))
        labels = [kind.label for kind in STEP_ORDER]
        for appointment in page.object_list:
            appointment.checklist = list(zip(labels, steps_by_kind(appointment), strict=True))  # type: ignore[attr-defined]
        return TemplateResponse(
            request,
            "talks/appointment_list.html",
            {
                "appointments": page.object_list,
                "page_obj": page,
                "paginator": page.paginator,
                "is_paginated": page.has_other_pages(),
                "filter_form": self.get_filter_form(),
                "query_string": _query_string(request),
                "step_kinds": [(kind, kind.label) for kind in STEP_ORDER],
                "step_links": _step_links(request, counts, active_step),
                "active_step": active_step,
                "all_steps_query": all_steps.urlencode(),
                "can_create": user_has_role(user=viewer, roles=[Role.UNIT_ADMIN]),
            },
        )


def _export_header() -> list[str]:
    return [
        _("Full name"),
        _("Employee number"),
        _("Unit"),
        _("New position"),
        _("New rank level"),
        _("Decision date"),
        _("Take-office date"),
        *[str(kind.label) for kind in STEP_ORDER],
        _("Status"),
        _("Cleared at"),
        _("Past take-office date, not cleared"),
    ]


class AppointmentExportView(DashboardMixin, View):
    """The dashboard rows (same filters) as CSV or XLSX; cells escaped."""

    fmt = "csv"

    def rows(self) -> Iterator[list[Any]]:
        labels = dict(StepStatus.choices)
        statuses = dict(AppointmentStatus.choices)
        yes, no = _("Yes"), _("No")
        for appointment in self.get_rows().iterator(chunk_size=500):
            yield [
                appointment.person.full_name,
                appointment.person.employee_number or "",
                appointment.unit.name,
                appointment.position_title,
                appointment.rank_level.name,
                appointment.decision_date.isoformat(),
                appointment.take_office_date.isoformat(),
                *[str(labels[step.status]) if step else "" for step in steps_by_kind(appointment)],
                str(statuses.get(appointment.status, appointment.status)),
                timezone.localtime(appointment.cleared_at).strftime("%Y-%m-%d %H:%M")
                if appointment.cleared_at
                else "",
                yes if appointment.is_overdue else no,
            ]

    def get(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        filename = f"appointments-{stamp}.{self.fmt}"
        if self.fmt == "xlsx":
            return self.xlsx(filename)
        return stream_csv(filename=filename, header=_export_header(), rows=self.rows())

    def xlsx(self, filename: str) -> FileResponse:
        return xlsx_response(
            filename=filename,
            title=str(_("Appointments")),
            header=_export_header(),
            rows=self.rows(),
        )


# --- Recording -----------------------------------------------------------------------


class AppointmentCreateView(RoleRequiredMixin, FormView):
    access_roles = (Role.UNIT_ADMIN,)
    template_name = "talks/appointment_form.html"
    form_class = AppointmentForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["viewer"] = _viewer(self.request)
        return kwargs

    def form_valid(self, form: AppointmentForm) -> HttpResponse:
        try:
            appointment = appointment_create(by=_viewer(self.request), **form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
            return self.form_invalid(form)
        if getattr(appointment, "reused", False):
            messages.info(
                self.request,
                _("This appointment was already recorded: here it is. No second one was made."),
            )
        else:
            messages.success(
                self.request,
                _("The appointment is recorded; the official has been told what to do by when."),
            )
        return redirect("appointments:detail", pk=appointment.pk)


class AppointmentImportView(RoleRequiredMixin, FormView):
    access_roles = (Role.UNIT_ADMIN,)
    template_name = "talks/appointment_import.html"
    form_class = AppointmentImportForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["columns"] = COLUMNS
        context.setdefault("issues", [])
        return context

    def form_valid(self, form: AppointmentImportForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        limit = settings.QINGLIAN_IMPORT_MAX_BYTES
        data = upload.read(limit + 1)
        if len(data) > limit:
            form.add_error("file", _("The file is too large."))
            return self.form_invalid(form)
        try:
            result = appointments_import(
                viewer=_viewer(self.request),
                name=upload.name or "",
                data=data,
                course=form.cleaned_data["course"],
            )
        except ImportFileError as exc:
            form.add_error("file", exc.issue.message)
            return self.form_invalid(form)
        except AppointmentImportRejected as exc:
            return self.render_to_response(
                self.get_context_data(form=form, issues=[str(i) for i in exc.issues])
            )
        messages.success(
            self.request,
            _("%(count)s appointments recorded; each official has been notified.")
            % {"count": len(result.created)},
        )
        return redirect("appointments:list")


class AppointmentImportTemplateView(RoleRequiredMixin, View):
    access_roles = (Role.UNIT_ADMIN,)

    def get(self, request: HttpRequest) -> StreamingHttpResponse:
        rows = template_rows()
        return stream_csv(
            filename="appointments-import-template.csv", header=rows[0], rows=rows[1:]
        )


# --- One appointment and its waivers -------------------------------------------------


class AppointmentDetailView(DashboardMixin, View):
    def get_appointment(self, pk: int) -> Appointment:
        appointment = appointment_get_visible(viewer=_viewer(self.request), pk=pk)
        if appointment is None:
            raise Http404
        return appointment

    def render(
        self, request: HttpRequest, appointment: Appointment, waive_forms: dict[int, WaiveForm]
    ) -> HttpResponse:
        viewer = _viewer(request)
        can_waive = appointment.status == AppointmentStatus.IN_PROGRESS and step_can_waive(
            viewer=viewer, appointment=appointment
        )
        checklist = []
        for step in steps_by_kind(appointment):
            if step is None:
                continue
            form = None
            if can_waive and step.status == StepStatus.PENDING:
                form = waive_forms.get(step.pk) or WaiveForm(prefix=f"step{step.pk}")
            checklist.append({"step": step, "form": form})
        today = timezone.localdate()
        return TemplateResponse(
            request,
            "talks/appointment_detail.html",
            {
                "appointment": appointment,
                "checklist": checklist,
                "can_waive": can_waive,
                "is_overdue": appointment.status == AppointmentStatus.IN_PROGRESS
                and appointment.take_office_date < today,
            },
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render(request, self.get_appointment(pk), {})


class StepWaiveView(AppointmentDetailView):
    access_roles = (Role.DISCIPLINE_OFFICER,)
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
        appointment = self.get_appointment(pk)
        step = get_object_or_404(ProgrammeStep, pk=step_pk, appointment=appointment)
        form = WaiveForm(request.POST, prefix=f"step{step.pk}")
        if not form.is_valid():
            messages.error(request, _("Please correct the problems below; nothing was saved."))
            return self.render(request, appointment, {step.pk: form})
        try:
            step_waive(by=_viewer(request), step=step, reason=form.cleaned_data["reason"])
        except PermissionDenied as exc:
            # Refused with a message on the page rather than a 403: record it as the 403
            # handler would (a ``denied`` row, nothing else).
            audit_denied(
                request=request,
                obj=step,
                reason=str(exc),
                detail={"waive": step.kind, "appointment": appointment.pk},
            )
            messages.error(request, str(exc) or _("You may not waive this step."))
            return self.render(request, self.get_appointment(pk), {})
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
                messages.error(request, _("Please correct the problems below; nothing was saved."))
                return self.render(request, appointment, {step.pk: form})
            messages.error(request, " ".join(exc.messages))
            return redirect("appointments:detail", pk=pk)
        messages.success(request, _("The step is waived."))
        return redirect("appointments:detail", pk=pk)


# --- The appointee's own checklist ---------------------------------------------------


def _link(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@method_decorator(never_cache, name="dispatch")
class MyAppointmentsView(LoginRequiredMixin, View):
    """The logged-in person's programmes: the checklist with links, the deadline, and the
    talk's time and place once it is scheduled (a talk read: audited)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        from .selectors.records import talk_list_for_official, talks_by_appointment
        from .services.records import talk_list_read

        viewer = _viewer(request)
        appointments = list(appointment_list_mine(user=viewer)[:20])
        kinds = {a.position_kind for a in appointments}
        texts = {
            t.position_kind: t
            for t in PledgeText.objects.filter(position_kind__in=kinds, is_current=True)
        }
        talks: dict[int, Any] = {}
        if appointments:
            with transaction.atomic():
                rows = list(
                    talk_list_for_official(official=viewer).filter(
                        kind=TalkKind.PRE_APPOINTMENT,
                        appointment_id__in=[a.pk for a in appointments],
                    )
                )
                if rows:
                    talk_list_read(
                        viewer=viewer, talks=rows, request=request, view="appointments-mine"
                    )
            talks = talks_by_appointment(rows)
        today = timezone.localdate()
        for appointment in appointments:
            course = appointment.course
            text = texts.get(appointment.position_kind)
            talk = talks.get(appointment.pk)
            links = {
                StepKind.COURSE: course.get_url(request) if course else "",
                StepKind.QUIZ: _link("quizzes:detail", course.quiz.slug)
                if course and course.quiz
                else "",
                StepKind.TALK: _link("talk_records:mine_detail", talk.pk) if talk else "",
                StepKind.PLEDGE: (
                    _link("pledges:sign", text.pk) + f"?appointment={appointment.pk}"
                    if text
                    else ""
                ),
            }
            appointment.checklist = [  # type: ignore[attr-defined]
                {"step": step, "link": links.get(StepKind(step.kind), "")}
                for step in steps_by_kind(appointment)
                if step is not None
            ]
            appointment.talk = talk  # type: ignore[attr-defined]
            appointment.days_left = (appointment.take_office_date - today).days  # type: ignore[attr-defined]
        return TemplateResponse(
            request,
            "talks/appointment_mine.html",
            {"appointments": appointments, "today": today},
        )
