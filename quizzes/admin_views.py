"""Importing and exporting questions in the Wagtail admin: upload → preview → confirm.

Trainers (and superusers) only. The upload is read at once and kept as a
``QuestionImport`` (status ``preview``, or ``failed`` when the file has errors); the
preview page lists the questions by type and category, the unsupported questions, the
notes, the questions already in the bank (skipped) and every error with its line number.
Confirming imports everything or nothing (:func:`quizzes.importing.question_import_confirm`),
once: a double click or a second tab finds the upload already imported. An upload is
visible only to the trainer who made it (and superusers); anyone else gets a 404.

The export view returns a category and its subcategories as Moodle XML.
"""

from __future__ import annotations

from typing import Any, Final

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View
from wagtail.admin import messages as admin_messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from people.access import ROLE_IN_SCOPE, RoleRequiredMixin
from people.models import Role

from .formats.base import MESSAGES
from .formats.moodle_xml import moodle_xml_write
from .forms import CategoryChoiceField
from .importing import (
    FORMAT_GIFT,
    FORMAT_XML,
    MAX_BYTES,
    QuestionImportRefused,
    import_preview,
    name_allowed,
    question_import_confirm,
    question_import_create,
)
from .models import QuestionCategory, QuestionImport

# Questions listed on the preview (the counts always cover them all).
PREVIEW_ROWS: Final = 300
QUESTION_LIST_URL: Final = "wagtailsnippets_quizzes_question:list"


class QuestionImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "A GIFT file (.gift or .txt) or a Moodle XML file (.xml), saved as UTF-8."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".gift,.txt,.xml,text/plain,text/xml"}),
    )
    category = CategoryChoiceField(
        label=gettext_lazy("Import into category"),
        help_text=gettext_lazy(
            "Categories named in the file ($CATEGORY or Moodle categories) are created "
            "inside this one."
        ),
    )
    file_format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[
            ("", gettext_lazy("Recognise from the file")),
            (FORMAT_GIFT, "GIFT"),
            (FORMAT_XML, "Moodle XML"),
        ],
        required=False,
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_BYTES:
            raise forms.ValidationError(
                str(MESSAGES["file_too_large"]) % {"limit": MAX_BYTES // (1024 * 1024)}
            )
        if not name_allowed(name=upload.name or ""):
            raise forms.ValidationError(str(MESSAGES["file_type"]))
        return upload


class TrainerRequiredMixin(RoleRequiredMixin):
    """Trainers and superusers; anyone else gets a 403 (Wagtail: back to the dashboard)."""

    access_rule = ROLE_IN_SCOPE
    access_roles: tuple[str, ...] = (Role.TRAINER,)
    request: HttpRequest
    kwargs: dict[str, Any]

    def question_import_get(self) -> QuestionImport:
        """The upload named in the URL, if the viewer made it (or is a superuser)."""
        record = get_object_or_404(
            QuestionImport.objects.select_related("category"), pk=self.kwargs["pk"]
        )
        user = self.request.user
        if not user.is_superuser and record.created_by_id != user.pk:
            raise Http404
        return record


class ImportBreadcrumbsMixin:
    """Home › Questions › Import questions › this page."""

    breadcrumbs_items: list[dict[str, Any]]
    upload_in_trail = True

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        items = [*self.breadcrumbs_items, {"url": question_list_url(), "label": _("Questions")}]
        if self.upload_in_trail:
            items.append({"url": reverse("quizzes_import_upload"), "label": _("Import questions")})
        title = self.get_page_title()  # type: ignore[attr-defined]
        return [*items, {"url": "", "label": title}]


def question_list_url() -> str:
    try:
        return reverse(QUESTION_LIST_URL)
    except NoReverseMatch:  # the bank's admin views are not installed
        return reverse("quizzes_import_upload")


class QuestionImportUploadView(
    TrainerRequiredMixin, ImportBreadcrumbsMixin, WagtailAdminTemplateMixin, FormView
):
    template_name = "quizzes/admin/import_upload.html"
    upload_in_trail = False
    form_class = QuestionImportForm
    page_title = gettext_lazy("Import questions")
    header_icon = "upload"

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        category = self.request.GET.get("category", "")
        if category.isdigit():
            initial["category"] = category
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=reverse("quizzes_import_upload"),
            submit_button_label=_("Preview"),
            submit_button_active_label=_("Reading…"),
            max_megabytes=MAX_BYTES // (1024 * 1024),
            has_categories=QuestionCategory.objects.exists(),
        )
        return context

    def form_valid(self, form: QuestionImportForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        record = question_import_create(
            user=self.request.user,
            filename=upload.name or "",
            data=upload.read(MAX_BYTES + 1),
            category=form.cleaned_data["category"],
            file_format=form.cleaned_data["file_format"] or None,
        )
        return redirect("quizzes_import_preview", pk=record.pk)


class QuestionImportPreviewView(
    TrainerRequiredMixin, ImportBreadcrumbsMixin, WagtailAdminTemplateMixin, TemplateView
):
    template_name = "quizzes/admin/import_preview.html"
    page_title = gettext_lazy("Check the import")
    header_icon = "upload"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        record = self.question_import_get()
        preview = import_preview(
            items=record.parsed,
            unsupported=record.unsupported,
            errors=record.errors,
            category=record.category,
        )
        context.update(
            record=record,
            preview=preview,
            rows=preview.questions[:PREVIEW_ROWS],
            rows_hidden=max(0, len(preview.questions) - PREVIEW_ROWS),
            is_pending=record.status == QuestionImport.Status.PREVIEW,
            is_done=record.status == QuestionImport.Status.DONE,
            can_confirm=record.status == QuestionImport.Status.PREVIEW and preview.can_import,
            question_list_url=question_list_url(),
        )
        return context


class QuestionImportConfirmView(TrainerRequiredMixin, View):
    """POST only: import everything or nothing, once."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        record = self.question_import_get()
        try:
            outcome = question_import_confirm(question_import=record, user=request.user)
        except QuestionImportRefused as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("quizzes_import_preview", pk=record.pk)
        text = _("Imported %(created)s questions from %(file)s into %(category)s.") % {
            "created": outcome.created,
            "file": record.filename,
            "category": record.category.full_name,
        }
        if outcome.skipped:
            text += " " + _("%(skipped)s already in the bank were skipped.") % {
                "skipped": outcome.skipped
            }
        admin_messages.success(request, text)
        return redirect(question_list_url())


class QuestionExportView(TrainerRequiredMixin, View):
    """A category and its subcategories as a Moodle XML download."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, category_id: int) -> HttpResponse:
        category = get_object_or_404(QuestionCategory, pk=category_id)
        data = moodle_xml_write(category=category)
        name = slugify(category.name, allow_unicode=True) or "questions"
        response = HttpResponse(data, content_type="application/xml; charset=utf-8")
        response["Content-Disposition"] = (
            content_disposition_header(as_attachment=True, filename=f"{name}.xml") or ""
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
