"""Importing a regulation in the Wagtail admin: upload → preview → confirm.

Trainers (and superusers) only. The upload is parsed at once and its decoded text kept in
the uploader's session under a random token until it is confirmed or replaced; the
preview re-parses it (so problems read in the viewer's language) and lists every problem
with its line number. Confirming imports all articles or none
(:func:`cases.services.regulation_import`); the token is used once, so a double click or
a second tab imports nothing twice.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any, Final

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View
from wagtail.admin import messages as admin_messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets import AdminDateInput

from people.access import ROLE_IN_SCOPE, RoleRequiredMixin
from people.models import Role

from .importing import MAX_BYTES, ParsedRegulation, Problem, regulation_parse, regulation_parse_text
from .models import Regulation
from .services import RegulationImportRefused, regulation_import, regulation_import_check

SESSION_KEY: Final = "cases.regulation_imports"
# Uploads kept per session; the oldest is dropped first.
PENDING_MAX: Final = 3
# Articles shown at each end of the preview.
PREVIEW_ARTICLES: Final = 3
# Problems listed on the preview (the count always covers them all).
PREVIEW_PROBLEMS: Final = 500

app_name = "cases_regulation_import"


class RegulationImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Text file"),
        help_text=gettext_lazy(
            "The official text as plain text (.txt or .md), UTF-8 or GBK: 第一章 … chapters "
            "and 第一条 … articles, each starting a line."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.md,text/plain,text/markdown"}),
    )
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=200,
        help_text=gettext_lazy("e.g. 中国共产党纪律处分条例"),
    )
    short_name = forms.CharField(
        label=gettext_lazy("Short name"),
        max_length=60,
        help_text=gettext_lazy("e.g. 纪律处分条例"),
    )
    slug = forms.SlugField(
        label=gettext_lazy("Slug"),
        max_length=80,
        help_text=gettext_lazy(
            "Part of every article's address, e.g. jlcftl-2023. Never change it once cited."
        ),
    )
    version = forms.CharField(
        label=gettext_lazy("Version"), max_length=40, help_text=gettext_lazy("e.g. 2023")
    )
    issuer = forms.CharField(label=gettext_lazy("Issuer"), max_length=120, required=False)
    effective_date = forms.DateField(
        label=gettext_lazy("Effective date"), required=False, widget=AdminDateInput()
    )
    replace = forms.BooleanField(
        label=gettext_lazy("Replace the articles of this version if it is already imported"),
        help_text=gettext_lazy(
            "Articles keep their addresses and citations; an article that something cites "
            "is never removed."
        ),
        required=False,
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large: the limit is %(limit)s MB.")
                % {"limit": MAX_BYTES // (1024 * 1024)}
            )
        return upload


class RegulationImportAccessMixin(RoleRequiredMixin):
    """Trainers and superusers; anyone else gets a 403."""

    access_rule = ROLE_IN_SCOPE
    access_roles: tuple[str, ...] = (Role.TRAINER,)
    request: HttpRequest
    kwargs: dict[str, Any]

    def pending_all(self) -> dict[str, dict[str, Any]]:
        value = self.request.session.get(SESSION_KEY)
        return value if isinstance(value, dict) else {}

    def pending_get(self) -> dict[str, Any] | None:
        item = self.pending_all().get(str(self.kwargs.get("token", "")))
        return item if isinstance(item, dict) else None

    def pending_save(self, token: str, item: dict[str, Any] | None) -> None:
        pending = self.pending_all()
        pending.pop(token, None)
        if item is not None:
            pending[token] = item
            while len(pending) > PENDING_MAX:
                pending.pop(next(iter(pending)))
        self.request.session[SESSION_KEY] = pending


def _parsed(item: dict[str, Any]) -> ParsedRegulation:
    if item.get("text"):
        return regulation_parse_text(text=item["text"], encoding=item.get("encoding", ""))
    return ParsedRegulation(
        item.get("encoding", ""), [], [Problem.from_dict(p) for p in item.get("problems", [])]
    )


def _import_kwargs(item: dict[str, Any]) -> dict[str, Any]:
    effective = item.get("effective_date")
    return {
        "title": item["title"],
        "short_name": item["short_name"],
        "slug": item["slug"],
        "version": item["version"],
        "issuer": item.get("issuer", ""),
        "effective_date": date.fromisoformat(effective) if effective else None,
        "replace": bool(item.get("replace")),
    }


class RegulationImportUploadView(RegulationImportAccessMixin, WagtailAdminTemplateMixin, FormView):
    template_name = "cases/admin/regulation_import_upload.html"
    form_class = RegulationImportForm
    page_title = gettext_lazy("Import a regulation")
    header_icon = "doc-full"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=reverse(f"{app_name}:upload"),
            submit_button_label=_("Preview"),
            submit_button_active_label=_("Reading…"),
            max_megabytes=MAX_BYTES // (1024 * 1024),
        )
        return context

    def form_valid(self, form: RegulationImportForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        parsed = regulation_parse(data=upload.read(MAX_BYTES + 1))
        data = form.cleaned_data
        item = {
            "filename": (upload.name or "")[:200],
            "title": data["title"],
            "short_name": data["short_name"],
            "slug": data["slug"],
            "version": data["version"],
            "issuer": data["issuer"],
            "effective_date": data["effective_date"].isoformat() if data["effective_date"] else "",
            "replace": bool(data["replace"]),
            "encoding": parsed.encoding,
            "text": parsed.text,
            "problems": [p.as_dict() for p in parsed.problems] if not parsed.text else [],
        }
        token = secrets.token_urlsafe(16)
        self.pending_save(token, item)
        return redirect(f"{app_name}:preview", token=token)


class RegulationImportPreviewView(
    RegulationImportAccessMixin, WagtailAdminTemplateMixin, TemplateView
):
    template_name = "cases/admin/regulation_import_preview.html"
    page_title = gettext_lazy("Check the import")
    header_icon = "doc-full"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.pending_get() is None:
            messages.error(request, _("This preview has expired or was already imported."))
            return redirect(f"{app_name}:upload")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        item = self.pending_get()
        assert item is not None
        parsed = _parsed(item)
        refusals = []
        if parsed.ok:
            refusals = regulation_import_check(**_import_kwargs(item), articles=parsed.articles)
        articles = parsed.articles
        context.update(
            item=item,
            token=self.kwargs["token"],
            parsed=parsed,
            problems=parsed.problems[:PREVIEW_PROBLEMS],
            problem_count=len(parsed.problems),
            problems_hidden=max(0, len(parsed.problems) - PREVIEW_PROBLEMS),
            refusals=refusals,
            chapters=[(c, n) for c, n in parsed.chapters],
            first_articles=articles[:PREVIEW_ARTICLES],
            last_articles=articles[max(PREVIEW_ARTICLES, len(articles) - PREVIEW_ARTICLES) :],
            can_confirm=parsed.ok and not refusals,
            existing=Regulation.objects.filter(slug=item["slug"]).first(),
        )
        return context


class RegulationImportConfirmView(RegulationImportAccessMixin, View):
    """POST only. The token is taken out of the session before importing, so a second
    click finds nothing to import; a concurrent one is refused by the service."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        item = self.pending_get()
        if item is None:
            messages.info(request, _("This import was already confirmed or has expired."))
            return redirect(f"{app_name}:upload")
        parsed = _parsed(item)
        if not parsed.ok:
            messages.error(request, _("This file has problems; fix them and upload it again."))
            return redirect(f"{app_name}:preview", token=token)
        self.pending_save(token, None)
        request.session.save()
        try:
            result = regulation_import(**_import_kwargs(item), articles=parsed.articles)
        except RegulationImportRefused as exc:
            self.pending_save(token, item)
            for refusal in exc.refusals:
                messages.error(request, refusal.message)
            return redirect(f"{app_name}:preview", token=token)
        regulation = result.regulation
        admin_messages.success(
            request,
            _(
                "Imported %(regulation)s: %(created)s new, %(updated)s updated, "
                "%(unchanged)s unchanged, %(deleted)s removed articles."
            )
            % {
                "regulation": regulation,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "deleted": result.deleted,
            },
            buttons=[
                admin_messages.button(regulation.get_absolute_url(), _("View it on the site"))
            ],
        )
        return redirect(f"{app_name}:upload")


urlpatterns = [
    path("", RegulationImportUploadView.as_view(), name="upload"),
    path("<str:token>/", RegulationImportPreviewView.as_view(), name="preview"),
    path("<str:token>/confirm/", RegulationImportConfirmView.as_view(), name="confirm"),
]
