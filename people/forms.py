from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from .models import OrgUnit, RankLevel
from .selectors import unit_list_in_scope


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:  # type: ignore[override]
        return obj.indented_name


class PersonFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("All units in my scope"),
    )
    rank_level = forms.ModelChoiceField(
        label=_("Rank level"),
        queryset=RankLevel.objects.all(),
        required=False,
        empty_label=_("All rank levels"),
    )

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = unit_list_in_scope(viewer=viewer).order_by("path")  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": _("Name, e-mail, position or employee number")}
        )


def _language_choices() -> list[tuple[str, str]]:
    """The site's languages, each named in itself (as the header's switcher names them),
    after "the site's default"."""
    default = get_language_info(settings.LANGUAGE_CODE)["name_local"]
    return [
        ("", _("The site's default (%(language)s)") % {"language": default}),
        *((code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES),
    ]


class PersonLanguageForm(forms.Form):
    """The language a person's e-mails and notifications are written in."""

    language = forms.ChoiceField(
        label=_("Language for e-mails and notifications"),
        choices=_language_choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "Reminders, decisions and other messages from Qinglian, in the app and by "
            "e-mail, are written in this language. Switching the site's language in the "
            "header changes it too."
        ),
    )
