"""Forms for campaigns, actions and unit reports. They collect input; the rules live in
``events.services.campaigns`` (scope, period) and ``events.uploads`` (evidence content)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from people.forms import UnitChoiceField
from people.models import OrgUnit, RankLevel, User
from people.selectors import PEOPLE_WRITE_ROLES, unit_list_in_scope

from .models import Campaign, CampaignAction
from .services.campaigns import CAPTION_MAX, EVIDENCE_PER_REPORT, SUMMARY_MAX, TITLE_MAX
from .uploads import EvidenceFile, evidence_max_bytes, evidence_read


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    theme = forms.CharField(label=_("Theme"), max_length=200, required=False)
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput())
    audience_unit = UnitChoiceField(
        label=_("Audience unit"),
        queryset=OrgUnit.objects.none(),
        empty_label=_("Choose a unit"),
        help_text=_("The campaign covers this unit and every unit below it."),
    )
    min_rank = forms.ModelChoiceField(
        label=_("Minimum rank level"),
        queryset=RankLevel.objects.order_by("order"),
        required=False,
        empty_label=_("Any rank level"),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, viewer: User, campaign: Campaign | None = None, **kwargs: Any):
        if campaign is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": campaign.title,
                "year": campaign.year,
                "theme": campaign.theme,
                "starts_on": campaign.starts_on,
                "ends_on": campaign.ends_on,
                "audience_unit": campaign.audience_unit_id,
                "min_rank": campaign.min_rank_id,
                "description": campaign.description,
                "is_active": campaign.is_active,
            }
        elif "initial" not in kwargs:
            kwargs["initial"] = {"year": timezone.localdate().year, "is_active": True}
        super().__init__(*args, **kwargs)
        if campaign is None:
            del self.fields["is_active"]
        units = unit_list_in_scope(viewer=viewer, roles=PEOPLE_WRITE_ROLES)
        self.fields["audience_unit"].queryset = units.filter(is_active=True).order_by("path")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The campaign cannot end before it starts."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        kwargs = {
            k: d.get(k)
            for k in ("year", "title", "theme", "starts_on", "ends_on", "audience_unit", "min_rank")
        }
        kwargs["description"] = d.get("description", "")
        if "is_active" in self.fields:
            kwargs["is_active"] = bool(d.get("is_active"))
        return kwargs


class ActionForm(forms.Form):
    """A required action (no unit) or, with ``units``, a chosen action for one of them."""

    unit = UnitChoiceField(
        label=_("Unit"), queryset=OrgUnit.objects.none(), empty_label=_("Choose a unit")
    )
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput())
    order = forms.IntegerField(
        label=_("Order"),
        required=False,
        min_value=0,
        max_value=999,
        help_text=_("Lower numbers come first."),
    )

    def __init__(
        self,
        *args: Any,
        units: Any = None,
        action: CampaignAction | None = None,
        **kwargs: Any,
    ) -> None:
        if action is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": action.title,
                "description": action.description,
                "due_date": action.due_date,
                "order": action.order,
            }
        super().__init__(*args, **kwargs)
        if units is None:
            del self.fields["unit"]
        else:
            self.fields["unit"].queryset = units  # type: ignore[attr-defined]
            del self.fields["order"]
            if units.count() == 1:
                self.fields["unit"].initial = units.first().pk


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"multiple": True, "accept": ".jpg,.jpeg,.png,.pdf,.docx"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        items = data if isinstance(data, list | tuple) else [data]
        files = [d for d in items if d]
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        return files


class ReportForm(forms.Form):
    """A unit's report on an action, with new evidence files (checked by content)."""

    done_on = forms.DateField(label=_("Done on"), widget=DateInput())
    summary = forms.CharField(
        label=_("What the unit did"),
        max_length=SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    participants = forms.IntegerField(
        label=_("Participants"), required=False, min_value=0, max_value=1_000_000
    )
    evidence = MultipleFileField(
        label=_("Evidence files"),
        required=False,
        help_text=_("Photos (JPEG, PNG), minutes or scanned sign-in sheets (PDF, JPEG, PNG), "
                    "Word documents (.docx). At most %(max)s per file, %(count)s files per report."),
    )  # fmt: skip
    caption = forms.CharField(
        label=_("Caption for the new files"), required=False, max_length=CAPTION_MAX
    )

    def __init__(self, *args: Any, report: Any = None, **kwargs: Any) -> None:
        if report is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "done_on": report.done_on,
                "summary": report.summary,
                "participants": report.participants,
            }
        super().__init__(*args, **kwargs)
        from django.template.defaultfilters import filesizeformat

        self.fields["evidence"].help_text = self.fields["evidence"].help_text % {
            "max": filesizeformat(evidence_max_bytes()),
            "count": EVIDENCE_PER_REPORT,
        }
        self.checked_files: list[EvidenceFile] = []

    def clean_evidence(self) -> list[Any]:
        files = self.cleaned_data.get("evidence") or []
        if len(files) > EVIDENCE_PER_REPORT:
            raise ValidationError(
                _("At most %(max)s files at once.") % {"max": EVIDENCE_PER_REPORT}
            )
        checked, errors = [], []
        for uploaded in files:
            try:
                checked.append(evidence_read(uploaded))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        self.checked_files = checked
        return files

    def clean_done_on(self) -> Any:
        value = self.cleaned_data.get("done_on")
        if value and value > timezone.localdate():
            raise ValidationError(_("The day it was done cannot be in the future."))
        return value
