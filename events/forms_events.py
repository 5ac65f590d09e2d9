"""Forms of the events part: they collect input; the rules live in
``events.services.events``, ``registration`` and ``leave``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from courses.models import CoursePage, LessonPage
from people.forms import UnitChoiceField
from people.models import OrgUnit, RankLevel, Role, User
from people.selectors import unit_list_in_scope

from .models import Campaign, Event, EventKind
from .selectors.scope import MANAGE_ROLES
from .services.events import EVENT_FIELDS


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        return obj.full_name or obj.email


class EventForm(forms.Form):
    """Create or change an event. Choices are limited to the viewer's scope; the service
    checks them again."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=_("Not part of a campaign"),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DateTimeInput())
    venue = forms.CharField(label=_("Venue"), max_length=200, required=False)
    online_url = forms.URLField(
        label=_("Online link"), required=False, assume_scheme="https", max_length=200
    )
    capacity = forms.IntegerField(
        label=_("Capacity"),
        required=False,
        min_value=0,
        help_text=_("Places in all, audience included; leave empty for no limit."),
    )
    audience_unit = UnitChoiceField(
        label=_("Audience unit"),
        queryset=OrgUnit.objects.none(),
        empty_label=_("Choose a unit"),
        help_text=_("People in the unit and all its sub-units are registered."),
    )
    min_rank = forms.ModelChoiceField(
        label=_("Minimum rank level"),
        queryset=RankLevel.objects.order_by("order"),
        required=False,
        empty_label=_("Any rank level"),
    )
    trainer = PersonChoiceField(
        label=_("Trainer"), queryset=User.objects.none(), empty_label=_("Choose a trainer")
    )
    credit_hours = forms.DecimalField(
        label=_("Study hours"), min_value=Decimal("0"), max_digits=4, decimal_places=1,
        initial=Decimal("2.0"),
    )  # fmt: skip
    required = forms.BooleanField(
        label=_("Required (counts toward the campaign)"), required=False, initial=True
    )
    checkin_opens_at = forms.DateTimeField(label=_("Check-in opens at"), widget=DateTimeInput())
    checkin_closes_at = forms.DateTimeField(label=_("Check-in closes at"), widget=DateTimeInput())
    late_after_minutes = forms.IntegerField(
        label=_("Late after (minutes)"), min_value=0, max_value=600, initial=10
    )
    makeup_course = forms.ModelChoiceField(
        label=_("Make-up course"),
        queryset=CoursePage.objects.none(),
        required=False,
        empty_label=_("None"),
    )
    makeup_lesson = forms.ModelChoiceField(
        label=_("Make-up lesson"),
        queryset=LessonPage.objects.none(),
        required=False,
        empty_label=_("None"),
    )

    def __init__(self, *args: Any, viewer: User, event: Event | None = None, **kwargs: Any) -> None:
        if event is not None and "initial" not in kwargs:
            kwargs["initial"] = {f: getattr(event, f) for f in EVENT_FIELDS}
            for f in ("campaign", "audience_unit", "min_rank", "trainer", "makeup_course",
                      "makeup_lesson"):  # fmt: skip
                kwargs["initial"][f] = getattr(event, f"{f}_id")
        super().__init__(*args, **kwargs)
        self.event = event
        units = unit_list_in_scope(viewer=viewer, roles=MANAGE_ROLES)
        if event is not None:
            units = units | OrgUnit.objects.filter(pk=event.audience_unit_id)
        self.fields["audience_unit"].queryset = units.order_by("path")  # type: ignore[attr-defined]
        trainers = Q(pk=viewer.pk) | Q(role_assignments__role=Role.TRAINER)
        if event is not None:
            trainers |= Q(pk=event.trainer_id)
        self.fields["trainer"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(trainers, is_active=True).distinct().order_by("full_name", "pk")
        )
        self.fields["campaign"].queryset = Campaign.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["makeup_course"].queryset = CoursePage.objects.live().order_by("title")  # type: ignore[attr-defined]
        self.fields["makeup_lesson"].queryset = LessonPage.objects.live().order_by("title")  # type: ignore[attr-defined]
        if event is None:
            self.initial.setdefault("trainer", viewer.pk)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The event must end after it starts."))
        if not data.get("venue") and not data.get("online_url"):
            self.add_error("venue", _("Give a venue or an online link."))
        return data

    def service_data(self) -> dict[str, Any]:
        data = {f: self.cleaned_data.get(f) for f in EVENT_FIELDS}
        data["venue"] = data["venue"] or ""
        data["online_url"] = data["online_url"] or ""
        data["description"] = data["description"] or ""
        data["required"] = bool(data["required"])
        return data


class EventCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Everyone registered is told, with this reason."),
    )


class LeaveRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )


class LeaveDecisionForm(forms.Form):
    APPROVE = "approve"
    REJECT = "reject"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(APPROVE, _("Approve")), (REJECT, _("Reject"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when rejecting; the person sees it."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == self.REJECT and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the request is rejected."))
        return data
