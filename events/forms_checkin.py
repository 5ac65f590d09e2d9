"""Forms of the roster and the paper-sheet import."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AttendanceStatus


class RosterMarkForm(forms.Form):
    """One person's status (a row's buttons), several people's (the bulk form), or a
    walk-in to confirm (``action=confirm``)."""

    ACTION_MARK = "mark"
    ACTION_CONFIRM = "confirm"

    action = forms.ChoiceField(
        choices=[(ACTION_MARK, ACTION_MARK), (ACTION_CONFIRM, ACTION_CONFIRM)],
        initial=ACTION_MARK,
        required=False,
    )
    person = forms.TypedMultipleChoiceField(
        label=_("People"),
        coerce=int,
        error_messages={
            "required": _("Choose at least one person."),
            "invalid_choice": _("Choose people from this roster."),
        },
    )
    status = forms.ChoiceField(
        label=_("Mark as"),
        choices=AttendanceStatus.choices,
        required=False,
        error_messages={"invalid_choice": _("Choose a valid attendance status.")},
    )

    def __init__(self, *args: object, person_ids: set[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["person"].choices = [(pk, str(pk)) for pk in sorted(person_ids)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        data["action"] = data.get("action") or self.ACTION_MARK
        if (
            data["action"] == self.ACTION_MARK
            and not data.get("status")
            and "status" not in self.errors
        ):
            self.add_error("status", _("Choose a status to mark."))
        return data


class SheetImportForm(forms.Form):
    file = forms.FileField(
        label=_("Sign-in sheet"),
        help_text=_(
            "A CSV or Excel (.xlsx) file with the columns 工号 or 邮箱, 姓名, 状态 and "
            "optionally 时间 (e.g. 09:05)."
        ),
        error_messages={
            "required": _("Choose a file to import."),
            "empty": _("The file is empty: it has no header row and no people."),
        },
    )
