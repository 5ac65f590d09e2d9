"""The case index's filter form: GET parameters in, ``CaseFilters`` out. Unknown or
malformed values are ignored (a stale bookmark still gets a page)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import DEFAULT_SORT, CaseFilterOptions, CaseFilters


class CaseFilterForm(forms.Form):
    discipline = forms.ChoiceField(label=_("Discipline"), required=False)
    subtype = forms.ChoiceField(label=_("Type of violation"), required=False)
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    rank = forms.ChoiceField(label=_("Rank level"), required=False)
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    region = forms.TypedChoiceField(label=_("Region"), required=False, coerce=int, empty_value=None)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("amount", _("Largest amount first")),
            ("title", _("Title")),
        ],
    )

    def __init__(self, *args: Any, options: CaseFilterOptions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        anything = ("", _("Any"))
        fields = self.fields
        fields["discipline"].choices = [anything] + [  # type: ignore[attr-defined]
            (c.code, c.name) for c in options.disciplines
        ]
        groups: dict[str, list[tuple[str, str]]] = {}
        for c in options.subtypes:
            groups.setdefault(c.parent.name if c.parent else "", []).append((c.code, c.name))
        fields["subtype"].choices = [anything, *groups.items()]  # type: ignore[attr-defined]
        fields["sector"].choices = [anything] + [  # type: ignore[attr-defined]
            (s.code, s.name) for s in options.sectors
        ]
        fields["rank"].choices = [anything] + [  # type: ignore[attr-defined]
            (r.code, r.name) for r in options.rank_levels
        ]
        fields["year"].choices = [anything] + [  # type: ignore[attr-defined]
            (str(y), str(y)) for y in options.years
        ]
        fields["region"].choices = [anything] + [  # type: ignore[attr-defined]
            (str(r.pk), r.name) for r in options.regions
        ]

    def filters(self) -> CaseFilters:
        """The valid part of the submitted filters."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return CaseFilters(
            discipline=data.get("discipline") or "",
            subtype=data.get("subtype") or "",
            sector=data.get("sector") or "",
            rank_level=data.get("rank") or "",
            year=data.get("year"),
            region=data.get("region"),
        )

    def sort_order(self) -> str:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("sort") or DEFAULT_SORT
