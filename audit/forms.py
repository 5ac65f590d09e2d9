"""The filter form of the audit log browser."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuditAction
from .selectors import AuditFilters


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("Any action")), *AuditAction.choices],
    )
    actor = forms.CharField(
        label=_("Who (name or e-mail)"), required=False, max_length=100, strip=True
    )
    person = forms.CharField(
        label=_("Whose record (name or e-mail)"), required=False, max_length=100, strip=True
    )
    object_type = forms.CharField(
        label=_("Record type"),
        required=False,
        max_length=60,
        strip=True,
        help_text=_("For example talks.talkrecord"),
    )
    object_id = forms.CharField(label=_("Record id"), required=False, max_length=64, strip=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> AuditFilters:
        """The valid filters (none when the form is unbound or invalid)."""
        if not self.is_bound or not self.is_valid():
            return AuditFilters()
        d = self.cleaned_data
        return AuditFilters(
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
            action=d.get("action") or "",
            actor=d.get("actor") or "",
            object_type=(d.get("object_type") or "").lower(),
            object_id=d.get("object_id") or "",
            person=d.get("person") or "",
        )

    def as_detail(self) -> dict[str, str]:
        """The filters used, for the audit row that records the read."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: str(v) for k, v in self.cleaned_data.items() if v not in (None, "")}
