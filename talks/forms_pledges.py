"""Forms for signing a pledge and for pledge texts in the Wagtail admin. The rules live in
``talks.services.pledges``; the forms only carry the fields and show its messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from .models import PledgeText
from .services.pledges import pledge_text_is_signed


class PledgeSignForm(forms.Form):
    typed_name = forms.CharField(
        label=_("Type your full name"),
        max_length=60,
        required=False,  # the service explains an empty name
        help_text=_("As it appears in your profile."),
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    confirm = forms.BooleanField(
        label=_("I have read this pledge and I will keep it."),
        required=False,  # the service explains a missing confirmation
    )


class PledgeTextForm(WagtailAdminModelForm):
    """A version of a pledge text. Saving a new one publishes it as the next version of
    its kind (``pledge_text_publish``); a version that has been signed cannot be changed."""

    class Meta:
        model = PledgeText
        fields = ["position_kind", "title", "body"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "position_kind" in self.fields:
            self.fields["position_kind"].disabled = True
            self.fields["position_kind"].help_text = _(
                "To publish a version for another kind of position, add a new pledge text."
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.instance.pk and pledge_text_is_signed(text=self.instance):
            raise forms.ValidationError(
                _(
                    "This version has already been signed, so it cannot be changed. "
                    "Publish a new version instead."
                ),
                code="signed",
            )
        return data

    def _post_clean(self) -> None:
        # New versions get their number and "current" flag from the service; the model's
        # unique checks would only trip over the unsaved defaults.
        if self._errors:
            return
        self.instance.title = self.cleaned_data.get("title", self.instance.title)
        self.instance.body = self.cleaned_data.get("body", self.instance.body)
        if not self.instance.pk:
            self.instance.position_kind = self.cleaned_data.get(
                "position_kind", self.instance.position_kind
            )
