"""Case compilations (警示教育读本) for trainers: the list, the order form, the progress
page (meta refresh, plus JSON), and the download.

Trainers (and superusers) see and order every compilation; the download is also open to
the person who ordered it. The rules live in ``cases.services``.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView, ListView, View

from people.access import ROLE_IN_SCOPE, RoleRequiredMixin
from people.models import Role, User
from people.selectors import user_has_role

from .models import CaseCompilation, CasePage, DisciplineCategory
from .services import COMPILATION_MAX_CASES, compilation_filter_cases, compilation_order

IN_PROGRESS = (CaseCompilation.Status.PENDING, CaseCompilation.Status.RENDERING)
ROLES = (Role.TRAINER,)


class CompilationAccessMixin(RoleRequiredMixin):
    access_roles = ROLES


# --- Forms ----------------------------------------------------------------------------


class CompilationFilterForm(forms.Form):
    """Which cases the order form lists; submitted with the order as the saved filter."""

    category = forms.ChoiceField(label=gettext_lazy("Discipline"), required=False)
    year = forms.TypedChoiceField(
        label=gettext_lazy("Year"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        anything = ("", _("Any"))
        categories = DisciplineCategory.objects.select_related("parent")
        self.fields["category"].choices = [anything] + [  # type: ignore[attr-defined]
            (c.code, str(c)) for c in categories
        ]
        years = CasePage.objects.live().dates("decision_date", "year", order="DESC")
        self.fields["year"].choices = [anything] + [  # type: ignore[attr-defined]
            (str(d.year), str(d.year)) for d in years
        ]

    def query(self) -> dict[str, Any]:
        """The valid filter values, as stored in ``CaseCompilation.filter_query``."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        query: dict[str, Any] = {}
        if data.get("category"):
            query["category"] = data["category"]
        if data.get("year"):
            query["year"] = data["year"]
        return query


class CompilationOrderForm(forms.Form):
    SELECTED = "selected"
    FILTER = "filter"
    BY_DATE = "date"
    AS_LISTED = "listed"

    title = forms.CharField(
        label=gettext_lazy("Title of the booklet"),
        max_length=200,
        initial=gettext_lazy("Warning education reader"),
    )
    selection = forms.ChoiceField(
        label=gettext_lazy("Cases"),
        widget=forms.RadioSelect,
        initial=SELECTED,
        choices=[
            (SELECTED, gettext_lazy("The cases ticked below")),
            (FILTER, gettext_lazy("All cases matching the filter (resolved when ordering)")),
        ],
    )
    cases = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Choose cases"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    order = forms.ChoiceField(
        label=gettext_lazy("Order of the chapters"),
        widget=forms.RadioSelect,
        initial=BY_DATE,
        choices=[
            (BY_DATE, gettext_lazy("By decision date, earliest first")),
            (AS_LISTED, gettext_lazy("As listed (newest first)")),
        ],
    )

    def __init__(self, *args: Any, listed: list[CasePage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listed = listed
        # Any published case may be submitted (the list may have been filtered since).
        live_ids = CasePage.objects.live().values_list("pk", flat=True)
        self.fields["cases"].choices = [(pk, str(pk)) for pk in live_ids]  # type: ignore[attr-defined]


def _listed_cases(filter_query: dict[str, Any]) -> list[CasePage]:
    cases = compilation_filter_cases(filter_query)
    ids = [c.pk for c in cases]
    with_categories = (
        CasePage.objects.filter(pk__in=ids)
        .select_related("region", "rank_level")
        .prefetch_related("categories__parent")
        .in_bulk(ids)
    )
    return [with_categories[pk] for pk in ids]


def _in_order(cases: list[CasePage], order: str) -> list[CasePage]:
    if order == CompilationOrderForm.BY_DATE:
        return sorted(cases, key=lambda c: (c.decision_date, c.pk))
    return cases


# --- Views ----------------------------------------------------------------------------


class CompilationListView(CompilationAccessMixin, ListView):
    template_name = "cases/compilation_list.html"
    context_object_name = "compilations"
    paginate_by = 20

    def get_queryset(self) -> QuerySet[CaseCompilation]:
        return CaseCompilation.objects.select_related("created_by").order_by("-created_at", "-pk")


class CompilationCreateView(CompilationAccessMixin, FormView):
    template_name = "cases/compilation_form.html"
    form_class = CompilationOrderForm

    def filter_form(self) -> CompilationFilterForm:
        if not hasattr(self, "_filter_form"):
            data = self.request.POST if self.request.method == "POST" else self.request.GET
            self._filter_form = CompilationFilterForm(data)
        return self._filter_form

    def listed(self) -> list[CasePage]:
        if not hasattr(self, "_listed"):
            self._listed = _listed_cases(self.filter_form().query())
        return self._listed

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["listed"] = self.listed()
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context["form"]
        chosen: set[int] = set()
        if form.is_bound:
            for value in form.data.getlist("cases"):
                if value.isdigit():
                    chosen.add(int(value))
        context.update(
            filter_form=self.filter_form(),
            filter_query=self.filter_form().query(),
            listed=self.listed(),
            chosen=chosen,
            max_cases=COMPILATION_MAX_CASES,
        )
        return context

    def form_valid(self, form: CompilationOrderForm) -> HttpResponse:
        user = self.request.user
        assert isinstance(user, User)
        order = form.cleaned_data["order"]
        filter_query: dict[str, Any] = {}
        if form.cleaned_data["selection"] == CompilationOrderForm.FILTER:
            if not self.filter_form().is_valid():
                form.add_error(None, _("This filter is no longer valid: choose it again."))
                return self.form_invalid(form)
            filter_query = self.filter_form().query()
            cases = _in_order(compilation_filter_cases(filter_query), order)
        else:
            # Ticked cases arrive in the order of the list on the page ("as listed").
            wanted = form.cleaned_data["cases"]
            pages = CasePage.objects.live().in_bulk(wanted)
            cases = _in_order([pages[pk] for pk in wanted if pk in pages], order)
        try:
            compilation = compilation_order(
                by=user,
                title=form.cleaned_data["title"],
                cases=cases,
                filter_query={**filter_query, "order": order} if filter_query else {},
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        if getattr(compilation, "reused", False):
            messages.info(
                self.request,
                _("The same cases were compiled before under this title: here is that booklet."),
            )
        else:
            messages.success(
                self.request, _("The booklet is being prepared. This page shows its progress.")
            )
        return redirect("compilations:detail", pk=compilation.pk)


class CompilationDetailView(CompilationAccessMixin, DetailView):
    """The progress page: refreshes itself while the booklet is being rendered."""

    template_name = "cases/compilation_detail.html"
    context_object_name = "compilation"
    refresh_seconds = 2

    def get_queryset(self) -> QuerySet[CaseCompilation]:
        return CaseCompilation.objects.select_related("created_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        compilation = self.object
        pages = CasePage.objects.filter(pk__in=compilation.case_ids).in_bulk()
        context.update(
            in_progress=compilation.status in IN_PROGRESS,
            refresh_seconds=self.refresh_seconds,
            cases=[pages[pk] for pk in compilation.case_ids if pk in pages],
            missing_cases=sum(1 for pk in compilation.case_ids if pk not in pages),
        )
        return context


class CompilationStatusJsonView(CompilationAccessMixin, View):
    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        compilation = get_object_or_404(CaseCompilation, pk=pk)
        done = compilation.status == CaseCompilation.Status.DONE
        response = JsonResponse(
            {
                "id": compilation.pk,
                "title": compilation.title,
                "status": compilation.status,
                "status_label": compilation.get_status_display(),
                "progress": compilation.progress,
                "finished": compilation.status not in IN_PROGRESS,
                "page_count": compilation.page_count if done else None,
                "sha256": compilation.sha256 if done else None,
                "download_url": (
                    reverse("compilations:download", kwargs={"pk": compilation.pk})
                    if done
                    else None
                ),
                "error": compilation.error
                if compilation.status == CaseCompilation.Status.FAILED
                else None,
            },
            json_dumps_params={"ensure_ascii": False},
        )
        response["Cache-Control"] = "no-store"
        return response


def download_filename(title: str) -> str:
    """The title, made safe as a file name (no path separators or control characters)."""
    name = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]+", " ", title).strip(" .") or "compilation"
    return f"{name[:120]}.pdf"


class CompilationDownloadView(View):
    """Streams the PDF as an attachment to trainers and to the person who ordered it.
    Anyone else gets 403, whether or not the compilation exists."""

    access_rule = ROLE_IN_SCOPE
    access_roles = ROLES

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        compilation = CaseCompilation.objects.filter(pk=pk).first()
        allowed = user_has_role(user=user, roles=ROLES) or (
            compilation is not None and compilation.created_by_id == user.pk
        )
        if not allowed:
            raise PermissionDenied
        if (
            compilation is None
            or compilation.status != CaseCompilation.Status.DONE
            or not compilation.pdf
        ):
            raise Http404
        try:
            handle = compilation.pdf.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=download_filename(compilation.title),
            content_type="application/pdf",
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
