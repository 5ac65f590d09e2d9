"""Course assignments for unit admins (discipline officers read them): the list, the
create and edit forms, withdrawing, the progress page with its per-unit roll-up and the
CSV/XLSX exports; plus self-enrolment for any logged-in person.

Every read goes through ``courses.selectors.assignments`` (scope: an assignment outside
the viewer's scope is a 404, people outside it never appear); every write through
``courses.services.assignments``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import FormView, ListView, View

from people.access import RoleRequiredMixin, login_required
from people.models import Role, User
from people.selectors import user_has_role
from qinglian.exports import stream_csv, xlsx_response

from .forms import AssignmentForm, ProgressFilterForm
from .models import Assignment, CoursePage, Enrolment
from .selectors.assignments import (
    ASSIGNMENT_READ_ROLES,
    assignment_can_manage,
    assignment_enrolments,
    assignment_filter_units,
    assignment_list_manageable,
    assignment_list_visible,
    assignment_list_with_counts,
    assignment_unit_rollup,
    course_lesson_ids,
)
from .services.assignments import (
    assignment_create,
    assignment_deactivate,
    assignment_update,
    enrolment_self_enrol,
)

PAGE_SIZE = 50


class AssignmentReadMixin(RoleRequiredMixin):
    access_roles = ASSIGNMENT_READ_ROLES


class AssignmentWriteMixin(RoleRequiredMixin):
    access_roles = (Role.UNIT_ADMIN,)


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _add_service_errors(form: Any, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the form's fields (or to the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _query_string(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- List ----------------------------------------------------------------------------


class AssignmentListView(AssignmentReadMixin, ListView):
    template_name = "courses/assignments/assignment_list.html"
    context_object_name = "assignments"
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> QuerySet[Assignment]:
        return assignment_list_with_counts(viewer=_viewer(self.request))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        viewer = _viewer(self.request)
        for assignment in context["assignments"]:
            assignment.can_manage = assignment_can_manage(viewer=viewer, assignment=assignment)
        context["can_create"] = user_has_role(user=viewer, roles=[Role.UNIT_ADMIN])
        context["today"] = timezone.localdate()
        return context


# --- Create, edit, withdraw ----------------------------------------------------------


class AssignmentCreateView(AssignmentWriteMixin, FormView):
    template_name = "courses/assignments/assignment_form.html"
    form_class = AssignmentForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["viewer"] = _viewer(self.request)
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        course_id = self.request.GET.get("course", "")
        if course_id.isdigit():
            initial["course"] = int(course_id)
        return initial

    def form_valid(self, form: AssignmentForm) -> HttpResponse:
        try:
            assignment = assignment_create(
                by=_viewer(self.request),
                course=form.cleaned_data["course"],
                required=form.required_value(),
                **form.service_kwargs(),
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
            return self.form_invalid(form)
        if getattr(assignment, "reused", False):
            messages.info(
                self.request,
                _("The same assignment already exists: here it is. No second one was made."),
            )
        else:
            messages.success(
                self.request,
                _("The course is assigned. Everyone in the audience is being enrolled."),
            )
        return redirect("assignments:detail", pk=assignment.pk)


class AssignmentObjectMixin:
    """The assignment named in the URL, among those the viewer may change; else 404."""

    request: HttpRequest
    kwargs: dict[str, Any]

    def get_assignment(self) -> Assignment:
        if not hasattr(self, "_assignment"):
            self._assignment = get_object_or_404(
                assignment_list_manageable(viewer=_viewer(self.request)), pk=self.kwargs["pk"]
            )
        return self._assignment


class AssignmentEditView(AssignmentWriteMixin, AssignmentObjectMixin, FormView):
    template_name = "courses/assignments/assignment_form.html"
    form_class = AssignmentForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["viewer"] = _viewer(self.request)
        kwargs["assignment"] = self.get_assignment()
        kwargs.pop("initial", None)
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["assignment"] = self.get_assignment()
        return context

    def form_valid(self, form: AssignmentForm) -> HttpResponse:
        assignment = self.get_assignment()
        try:
            assignment_update(
                by=_viewer(self.request),
                assignment=assignment,
                required=bool(form.required_value()),
                **form.service_kwargs(),
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("The assignment is saved."))
        return redirect("assignments:detail", pk=assignment.pk)


class AssignmentDeactivateView(AssignmentWriteMixin, AssignmentObjectMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        assignment = self.get_assignment()
        try:
            assignment_deactivate(by=_viewer(request), assignment=assignment)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("The assignment is withdrawn. Nobody new will be enrolled; "
                  "existing enrolments and their progress are kept."),
            )  # fmt: skip
        return redirect("assignments:detail", pk=assignment.pk)


# --- Progress ------------------------------------------------------------------------


class AssignmentProgressMixin(AssignmentReadMixin):
    request: HttpRequest
    kwargs: dict[str, Any]

    def get_assignment(self) -> Assignment:
        if not hasattr(self, "_assignment"):
            self._assignment = get_object_or_404(
                assignment_list_visible(viewer=_viewer(self.request)), pk=self.kwargs["pk"]
            )
        return self._assignment

    def get_filter_form(self) -> ProgressFilterForm:
        if not hasattr(self, "_filter_form"):
            units = assignment_filter_units(
                viewer=_viewer(self.request), assignment=self.get_assignment()
            )
            self._filter_form = ProgressFilterForm(self.request.GET or None, units=units)
        return self._filter_form

    def get_lesson_ids(self) -> list[int]:
        if not hasattr(self, "_lesson_ids"):
            self._lesson_ids = course_lesson_ids(course=self.get_assignment().course)
        return self._lesson_ids

    def get_enrolments(self) -> QuerySet[Enrolment]:
        return assignment_enrolments(
            viewer=_viewer(self.request),
            assignment=self.get_assignment(),
            lesson_ids=self.get_lesson_ids(),
            **self.get_filter_form().values(),
        )


class AssignmentDetailView(AssignmentProgressMixin, ListView):
    template_name = "courses/assignments/assignment_detail.html"
    context_object_name = "enrolments"
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> QuerySet[Enrolment]:
        return self.get_enrolments()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        viewer = _viewer(self.request)
        assignment = self.get_assignment()
        today = timezone.localdate()
        for enrolment in context["enrolments"]:
            enrolment.is_overdue = (
                enrolment.completed_at is None
                and enrolment.due_date is not None
                and enrolment.due_date < today
            )
        rollup = assignment_unit_rollup(viewer=viewer, assignment=assignment)
        context.update(
            assignment=assignment,
            can_manage=assignment_can_manage(viewer=viewer, assignment=assignment),
            filter_form=self.get_filter_form(),
            query_string=_query_string(self.request),
            lessons_total=len(self.get_lesson_ids()),
            rollup=rollup,
            totals={
                key: sum(row[key] for row in rollup)
                for key in ("enrolled", "started", "completed", "overdue")
            },
            today=today,
        )
        return context


def _export_header() -> list[str]:
    return [
        _("Full name"),
        _("Employee number"),
        _("Unit"),
        _("Rank level"),
        _("Enrolled at"),
        _("Started at"),
        _("Lessons done"),
        _("Lessons in the course"),
        _("Completed at"),
        _("Due date"),
        _("Status"),
        _("Overdue"),
    ]


def _stamp(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class AssignmentExportView(AssignmentProgressMixin, View):
    """The progress rows (with the page's filters), as CSV or XLSX; people outside the
    viewer's scope are never in it. Cells that look like formulas are escaped."""

    fmt = "csv"

    def rows(self) -> Iterator[list[Any]]:
        today = timezone.localdate()
        total = len(self.get_lesson_ids())
        labels = {
            "completed": _("Completed"),
            "in_progress": _("In progress"),
            "not_started": _("Not started"),
        }
        yes, no = _("Yes"), _("No")
        values = self.get_enrolments().values_list(  # type: ignore[misc]  # lessons_done: annotated
            "user__full_name",
            "user__employee_number",
            "user__unit__name",
            "user__rank_level__name",
            "enrolled_at",
            "started_at",
            "lessons_done",
            "completed_at",
            "due_date",
        )
        for name, number, unit, rank, enrolled, started, done, completed, due in values.iterator(
            chunk_size=2000
        ):
            if completed:
                status = "completed"
            elif started:
                status = "in_progress"
            else:
                status = "not_started"
            overdue = completed is None and due is not None and due < today
            yield [
                name,
                number or "",
                unit or "",
                rank or "",
                _stamp(enrolled),
                _stamp(started),
                done,
                total,
                _stamp(completed),
                due.isoformat() if due else "",
                labels[status],
                yes if overdue else no,
            ]

    def filename(self) -> str:
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return f"assignment-{self.get_assignment().pk}-progress-{stamp}.{self.fmt}"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
        self.get_assignment()
        if self.fmt == "xlsx":
            return self.xlsx()
        return stream_csv(filename=self.filename(), header=_export_header(), rows=self.rows())

    def xlsx(self) -> FileResponse:
        return xlsx_response(
            filename=self.filename(),
            title=str(_("Progress")),
            header=_export_header(),
            rows=self.rows(),
        )


# --- Self-enrolment ------------------------------------------------------------------


@login_required
@require_POST
def self_enrol(request: HttpRequest, course_id: int) -> HttpResponse:
    """Enrol the logged-in person in a course open for self-enrolment, as an elective;
    back to the course page with a message. Enrolling twice changes nothing."""
    course = CoursePage.objects.live().filter(pk=course_id).first()
    if course is None:
        raise Http404
    try:
        _enrolment, created = enrolment_self_enrol(user=_viewer(request), course=course)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if created:
            messages.success(
                request, _("You are enrolled in this course as an elective. Start when you like.")
            )
        else:
            messages.info(request, _("You are already enrolled in this course."))
    return redirect(course.get_url(request) or "/")
