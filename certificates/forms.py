"""The admin form of a certificate template: the kinds it serves as checkboxes, and the
wording of its signatories checked like the template's own (plain text only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from .achievements import AchievementKind
from .pdf import template_text_problems

SIGNATORY_TEXT_FIELDS = ("name", "title")


class CertificateTemplateForm(WagtailAdminModelForm):
    kinds = forms.MultipleChoiceField(
        label=_("achievements it serves"),
        choices=AchievementKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("The kinds of achievement this template is used for."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and not self.is_bound:
            self.initial.setdefault("kinds", [AchievementKind.COURSE.value])

    def is_valid(self) -> bool:
        valid = super().is_valid()
        # The signatories' names and titles are printed too: plain text only. (Their
        # placeholders are not replaced, so they may not contain braces either.)
        formset = self.formsets.get("signatories") if hasattr(self, "formsets") else None
        for form in formset.forms if formset is not None else []:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("DELETE"):
                continue
            for name in SIGNATORY_TEXT_FIELDS:
                value = data.get(name) or ""
                problems = template_text_problems(value)
                if "{" in value or "}" in value:
                    problems = [*problems, str(_("Placeholders cannot be used here."))]
                for problem in problems:
                    form.add_error(name, problem)
                    valid = False
        return valid
