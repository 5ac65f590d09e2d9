"""Forms of the appointment pages. Rules live in ``talks.services.appointments``; these
only parse input (the person is looked up within the viewer's scope)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from people.models import OrgUnit, User
from people.selectors import person_list_changeable, rank_level_list

from .models import STEP_ORDER, AppointmentStatus, PositionKind
from .selectors.appointments import STATUS_OVERDUE, STEP_WAITING_LABELS
from .services.appointments import pre_appointment_courses


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def person_lookup(*, viewer: User, text: str) -> User | None:
    """The active person with this employee number or e-mail within the viewer's scope."""
    text = (text or "").strip()
    if not text:
        return None
    return (
        person_list_changeable(viewer=viewer)
        .filter(is_active=True)
        .filter(Q(employee_number__iexact=text) | Q(email__iexact=text))
        .order_by("pk")
        .first()
    )


class AppointmentForm(forms.Form):
    person = forms.CharField(
        label=gettext_lazy("Person (employee number or e-mail)"),
        max_length=254,
        help_text=gettext_lazy("Someone in your units."),
    )
    position_title = forms.CharField(label=gettext_lazy("New position"), max_length=120)
    position_kind = forms.ChoiceField(
        label=gettext_lazy("Kind of position"),
        choices=PositionKind.choices,
        initial=PositionKind.LEADING,
        help_text=gettext_lazy("Decides which integrity pledge the official signs."),
    )
    rank_level = forms.ModelChoiceField(
        label=gettext_lazy("New rank level"), queryset=rank_level_list(), empty_label=None
    )
    decision_date = forms.DateField(label=gettext_lazy("Decision date"), widget=DateInput())
    take_office_date = forms.DateField(
        label=gettext_lazy("Take-office date"),
        widget=DateInput(),
        help_text=gettext_lazy("The programme must be finished by this day."),
    )
    course = forms.ModelChoiceField(
        label=gettext_lazy("Pre-appointment course"),
        queryset=pre_appointment_courses(),
        empty_label=None,
    )

    def __init__(self, *args: Any, viewer: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        courses = pre_appointment_courses()
        self.fields["course"].queryset = courses  # type: ignore[attr-defined]
        newest = courses.first()
        if newest is not None and not self.is_bound:
            self.fields["course"].initial = newest.pk

    def clean_person(self) -> User:
        person = person_lookup(viewer=self.viewer, text=self.cleaned_data["person"])
        if person is None:
            raise forms.ValidationError(
                _("Nobody with this employee number or e-mail in your scope.")
            )
        return person

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        decision, take_office = data.get("decision_date"), data.get("take_office_date")
        if decision and take_office and take_office < decision:
            self.add_error(
                "take_office_date", _("The take-office date cannot be before the decision date.")
            )
        return data


class DashboardFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[
            ("", gettext_lazy("All")),
            (STATUS_OVERDUE, gettext_lazy("Past take-office date, not cleared")),
            *AppointmentStatus.choices,
        ],
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit"),
        required=False,
        queryset=OrgUnit.objects.none(),
        empty_label=gettext_lazy("All units"),
    )

    step = forms.ChoiceField(
        label=gettext_lazy("Waiting at step"),
        required=False,
        choices=[
            ("", gettext_lazy("Any step")),
            *[(kind.value, STEP_WAITING_LABELS[kind]) for kind in STEP_ORDER],
        ],
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        """The valid filters; a field with a value it does not know (a hand-edited address)
        is left out, so it filters nothing."""
        if not self.is_bound:
            return {"status": "", "unit": None, "step": ""}
        self.is_valid()
        data = self.cleaned_data
        return {
            "status": data.get("status") or "",
            "unit": data.get("unit"),
            "step": data.get("step") or "",
        }

    def count_values(self) -> dict[str, Any]:
        """The filters the per-step counts follow (all but the step itself)."""
        values = self.values()
        values.pop("step")
        return values


class WaiveForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for waiving"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AppointmentImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet file"),
        help_text=gettext_lazy(
            "CSV (UTF-8 or GBK) or Excel .xlsx; the first row holds the column names."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
    course = forms.ModelChoiceField(
        label=gettext_lazy("Pre-appointment course"),
        queryset=pre_appointment_courses(),
        empty_label=None,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        courses = pre_appointment_courses()
        self.fields["course"].queryset = courses  # type: ignore[attr-defined]
        newest = courses.first()
        if newest is not None and not self.is_bound:
            self.fields["course"].initial = newest.pk

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.QINGLIAN_IMPORT_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large: the limit is %(limit)s.")
                % {"limit": filesizeformat(limit)}
            )
        return upload
