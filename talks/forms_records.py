"""Forms of the talk records. They collect input; the rules live in
``talks.services.records`` and who may be chosen in ``talks.selectors.records``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.forms import DateInput
from courses.models import CoursePage
from people.forms import UnitChoiceField
from people.models import OrgUnit, User

from .models import Appointment, TalkKind, TalkRecord, TalkStatus
from .selectors.records import (
    talk_appointment_choices,
    talk_official_choices,
    talk_talker_choices,
    talk_unit_choices,
)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        unit = obj.unit.name if obj.unit_id and obj.unit else ""
        return f"{obj.full_name or obj.email} · {unit}" if unit else (obj.full_name or obj.email)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        unit = obj.unit.name if obj.unit_id and obj.unit else ""
        return f"{obj.full_name or obj.email} · {unit}" if unit else (obj.full_name or obj.email)


class AppointmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Appointment) -> str:  # type: ignore[override]
        return f"{obj.person.full_name} · {obj.position_title} ({obj.take_office_date:%Y-%m-%d})"


def _textarea(rows: int = 5) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class TalkFilterForm(forms.Form):
    q = forms.CharField(label=_("Official's name"), required=False, max_length=60)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *TalkKind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *TalkStatus.choices]
    )
    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("All units in my scope"),
    )

    def __init__(self, *args: Any, viewer: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = talk_unit_choices(viewer=viewer)  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "kind": data.get("kind") or "",
            "status": data.get("status") or "",
            "unit": data.get("unit"),
            "name": data.get("q") or "",
        }


class TalkScheduleForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of talk"), choices=TalkKind.choices)
    official = PersonChoiceField(
        label=_("Official"),
        queryset=User.objects.none(),
        empty_label=_("Choose the official"),
        help_text=_("People in your scope as a discipline officer."),
    )
    appointment = AppointmentChoiceField(
        label=_("Appointment"),
        queryset=Appointment.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_("For a pre-appointment talk: the official's open appointment."),
    )
    talkers = PeopleChoiceField(
        label=_("Talkers"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Who holds the talk: at least one."),
    )
    scheduled_at = forms.DateTimeField(label=_("Time"), required=False, widget=DateTimeInput())
    place = forms.CharField(label=_("Place"), required=False, max_length=200)
    outline = forms.CharField(
        label=_("Outline"),
        required=False,
        widget=_textarea(),
        help_text=_("Internal: never shown or sent to the official."),
    )

    def __init__(self, *args: Any, viewer: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("talkers", [viewer.pk])
        super().__init__(*args, **kwargs)
        self.fields["official"].queryset = talk_official_choices(viewer=viewer)  # type: ignore[attr-defined]
        self.fields["talkers"].queryset = talk_talker_choices(viewer=viewer)  # type: ignore[attr-defined]
        self.fields["appointment"].queryset = talk_appointment_choices(viewer=viewer)  # type: ignore[attr-defined]
        self.fields["talkers"].widget.attrs["size"] = 6
        self.fields["official"].error_messages["invalid_choice"] = _(
            "You may only schedule talks with officials in your own scope."
        )


class TalkRecordForm(forms.Form):
    held_at = forms.DateTimeField(label=_("Held at"), required=False, widget=DateTimeInput())
    recorder = PersonChoiceField(label=_("Recorder"), queryset=User.objects.none())
    content = forms.CharField(
        label=_("Record of the talk"),
        required=False,
        widget=_textarea(10),
        help_text=_("Internal: never shown to the official."),
    )
    summary = forms.CharField(
        label=_("Summary for the official"),
        required=False,
        widget=_textarea(4),
        help_text=_("For a pre-appointment talk the official sees this summary."),
    )
    official_statement = forms.CharField(
        label=_("The official's statement"), required=False, widget=_textarea(4)
    )

    def __init__(self, *args: Any, viewer: User, talk: TalkRecord, **kwargs: Any) -> None:
        if "initial" not in kwargs:
            kwargs["initial"] = {
                "held_at": talk.held_at or talk.scheduled_at,
                "recorder": talk.recorder_id or viewer.pk,
                "content": talk.content,
                "summary": talk.summary,
                "official_statement": talk.official_statement,
            }
        super().__init__(*args, **kwargs)
        ids = [t.pk for t in talk.talkers.all()] + [viewer.pk]
        self.fields["recorder"].queryset = User.objects.filter(pk__in=ids).select_related("unit")  # type: ignore[attr-defined]
        if talk.kind != TalkKind.PRE_APPOINTMENT:
            self.fields["summary"].help_text = _(
                "Not shown to the official: only pre-appointment talks show a summary."
            )


class TalkFollowUpForm(forms.Form):
    course = forms.ModelChoiceField(
        label=_("Remedial course"),
        queryset=CoursePage.objects.none(),
        required=False,
        empty_label=_("No course"),
        help_text=_("The official is enrolled in it as a required course."),
    )
    follow_up_date = forms.DateField(label=_("Follow-up date"), required=False, widget=DateInput())

    def __init__(self, *args: Any, talk: TalkRecord, **kwargs: Any) -> None:
        if "initial" not in kwargs:
            kwargs["initial"] = {
                "course": talk.follow_up_course_id,
                "follow_up_date": talk.follow_up_date,
            }
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = CoursePage.objects.live().order_by("title")  # type: ignore[attr-defined]


class TalkRescheduleForm(forms.Form):
    """A new time, place or talkers for a scheduled talk, and why. ``version`` carries the
    talk's ``reschedule_count`` as shown, so a double click is recognised."""

    scheduled_at = forms.DateTimeField(label=_("New time"), required=False, widget=DateTimeInput())
    place = forms.CharField(label=_("New place"), required=False, max_length=200)
    talkers = PeopleChoiceField(
        label=_("Talkers"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Who holds the talk: at least one."),
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=500,
        widget=_textarea(3),
        help_text=_("Internal: kept in the audit log, not sent to the official."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput(), required=False, min_value=0)

    def __init__(
        self, *args: Any, viewer: User, talk: TalkRecord, talker_ids: list[int], **kwargs: Any
    ) -> None:
        if "initial" not in kwargs:
            kwargs["initial"] = {
                "scheduled_at": timezone.localtime(talk.scheduled_at),
                "place": talk.place,
                "talkers": talker_ids,
                "version": talk.reschedule_count,
            }
        super().__init__(*args, **kwargs)
        choices = talk_talker_choices(viewer=viewer) | User.objects.filter(pk__in=talker_ids)
        self.fields["talkers"].queryset = choices.exclude(pk=talk.official_id).distinct()  # type: ignore[attr-defined]
        self.fields["talkers"].widget.attrs["size"] = 6


class TalkCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        required=False,
        max_length=500,
        widget=_textarea(3),
        help_text=_("Internal: kept with the talk, not sent to the official."),
    )


class TalkCloseForm(forms.Form):
    closure_note = forms.CharField(label=_("Closing note"), required=False, widget=_textarea(4))


class StatementForm(forms.Form):
    statement = forms.CharField(
        label=_("Your statement"),
        required=False,
        widget=_textarea(6),
        help_text=_("You may change it until the talk is closed."),
    )
