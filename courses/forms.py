"""Forms of the courses app. They collect input; the rules live in ``courses.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from people.forms import UnitChoiceField
from people.models import OrgUnit, RankLevel, User
from people.selectors import PEOPLE_WRITE_ROLES, unit_list_in_scope

from .models import Assignment, CoursePage
from .selectors.assignments import ProgressStatus


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class AssignmentForm(forms.Form):
    """Create (with a course) or change (``assignment`` given: the course is fixed) an
    assignment. Units are those the viewer manages; courses are the published ones."""

    REQUIRED_DEFAULT = ""
    REQUIRED_YES = "required"
    REQUIRED_NO = "elective"

    course = forms.ModelChoiceField(
        label=_("Course"), queryset=CoursePage.objects.none(), empty_label=_("Choose a course")
    )
    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        empty_label=_("Choose a unit"),
        help_text=_("People in the unit and all its sub-units."),
    )
    min_rank = forms.ModelChoiceField(
        label=_("Minimum rank level"),
        queryset=RankLevel.objects.order_by("order"),
        required=False,
        empty_label=_("Any rank level"),
        help_text=_("People at this rank level or above. People without a rank level are "
                    "included only when no minimum is set."),
    )  # fmt: skip
    leading_only = forms.BooleanField(label=_("Leading cadres only"), required=False)
    required = forms.ChoiceField(
        label=_("Required or elective"),
        required=False,
        choices=[
            (REQUIRED_DEFAULT, _("As the course sets it")),
            (REQUIRED_YES, pgettext_lazy("course requirement", "Required")),
            (REQUIRED_NO, pgettext_lazy("course requirement", "Elective")),
        ],
    )
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())
    note = forms.CharField(
        label=_("Note to the learners"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, *args: Any, viewer: User, assignment: Assignment | None = None, **kwargs: Any
    ) -> None:
        if assignment is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "unit": assignment.unit_id,
                "min_rank": assignment.min_rank_id,
                "leading_only": assignment.leading_only,
                "required": self.REQUIRED_YES if assignment.required else self.REQUIRED_NO,
                "due_date": assignment.due_date,
                "note": assignment.note,
            }
        super().__init__(*args, **kwargs)
        self.assignment = assignment
        if assignment is not None:
            del self.fields["course"]
            self.fields["required"].choices = self.fields["required"].choices[1:]  # type: ignore[attr-defined]
            self.fields["required"].required = True
        else:
            self.fields["course"].queryset = CoursePage.objects.live().order_by("title")  # type: ignore[attr-defined]
        units = unit_list_in_scope(viewer=viewer, roles=PEOPLE_WRITE_ROLES)
        self.fields["unit"].queryset = units.filter(is_active=True).order_by("path")  # type: ignore[attr-defined]

    def required_value(self) -> bool | None:
        """True/False, or None for the course's default."""
        value = self.cleaned_data.get("required")
        if value == self.REQUIRED_YES:
            return True
        if value == self.REQUIRED_NO:
            return False
        return None

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "unit": data["unit"],
            "min_rank": data.get("min_rank"),
            "leading_only": bool(data.get("leading_only")),
            "due_date": data["due_date"],
            "note": data.get("note", ""),
        }


class ProgressFilterForm(forms.Form):
    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("All units"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any status")),
            (ProgressStatus.NOT_STARTED, _("Not started")),
            (ProgressStatus.IN_PROGRESS, _("In progress")),
            (ProgressStatus.COMPLETED, _("Completed")),
            (ProgressStatus.OVERDUE, _("Overdue")),
        ],
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {"unit": None, "status": ""}
        return {"unit": self.cleaned_data.get("unit"), "status": self.cleaned_data.get("status")}
