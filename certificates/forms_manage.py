"""Forms of the managers' certificate pages. They collect input; the rules live in
``certificates.services.lifecycle`` and the scope in ``certificates.selectors``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from people.forms import UnitChoiceField
from people.models import OrgUnit

from .achievements import AchievementKind
from .selectors.manage import certificate_unit_choices
from .services.lifecycle import REASON_MAX_LENGTH, STATE_LABELS

STATE_CHOICES = [("", _("All states")), *STATE_LABELS.items()]


class CertificateFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or serial"), required=False, max_length=60)
    achievement = forms.CharField(label=_("Achievement"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *AchievementKind.choices]
    )
    state = forms.ChoiceField(label=_("State"), required=False, choices=STATE_CHOICES)
    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("All units in my scope"),
    )

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = certificate_unit_choices(viewer=viewer)  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """The valid filters (an invalid one is dropped and shown with its error)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "q": data.get("q") or "",
            "achievement": data.get("achievement") or "",
            "kind": data.get("kind") or "",
            "state": data.get("state") or "",
            "unit": data.get("unit"),
        }


class CertificateRevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the revocation"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Kept with the certificate and in the audit log; not shown on the public "
            "verification page."
        ),
    )
    confirm = forms.BooleanField(
        label=_("I understand that the certificate will show as revoked to anyone who checks it."),
        required=True,
    )

    def clean_reason(self) -> str:
        reason = (self.cleaned_data.get("reason") or "").strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason for the revocation."))
        return reason
