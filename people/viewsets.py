"""Wagtail admin for people: Wagtail's user admin with Qinglian's fields, scoped to the
viewer's subtree through ``people.selectors``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail.users.forms import UserCreationForm, UserEditForm
from wagtail.users.views import users as wagtail_users

from .access import ROLE_IN_SCOPE
from .forms import UnitChoiceField
from .models import OrgUnit, User
from .selectors import person_list_changeable, unit_list_in_scope

PROFILE_FIELDS = [
    "email",
    "full_name",
    "employee_number",
    "unit",
    "position_title",
    "rank_level",
    "language",
]


class _ProfileFormMixin(forms.ModelForm):
    first_name = None  # Qinglian keeps one full name (姓名), not first/last names
    last_name = None
    unit = UnitChoiceField(label=_("Unit"), queryset=OrgUnit.objects.all(), required=True)

    def clean_email(self) -> str:
        """Logins are e-mail addresses: refuse one that another person uses, also as a
        second (allauth) address."""
        from allauth.account.models import EmailAddress

        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        taken = EmailAddress.objects.filter(email__iexact=email)
        if self.instance.pk:
            taken = taken.exclude(user=self.instance)
        if taken.exists():
            raise forms.ValidationError(_("A person with this e-mail address already exists."))
        return email

    def restrict_to(self, viewer: Any) -> None:
        """Only units in the viewer's scope can be chosen; only superusers grant superuser
        status or edit groups directly (roles manage groups for everyone else)."""
        self.fields["unit"].queryset = unit_list_in_scope(  # type: ignore[attr-defined]
            viewer=viewer, roles=["unit_admin"]
        ).order_by("path")
        if not getattr(viewer, "is_superuser", False):
            self.fields.pop("is_superuser", None)
            self.fields.pop("groups", None)
            self.fields["unit"].required = True
        else:
            self.fields["unit"].required = False


class QinglianUserCreationForm(_ProfileFormMixin, UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = [*PROFILE_FIELDS, "is_superuser", "groups"]


class QinglianUserEditForm(_ProfileFormMixin, UserEditForm):
    class Meta(UserEditForm.Meta):
        model = User
        fields = [*PROFILE_FIELDS, "is_active", "is_superuser", "groups"]


class _ScopedMixin:
    """Wagtail guards the admin (login + permission policy); on top, every object is
    limited to the viewer's subtree."""

    access_rule = ROLE_IN_SCOPE
    request: Any

    def get_scoped_queryset(self) -> QuerySet[User]:
        return person_list_changeable(viewer=self.request.user)

    def get_object(self, queryset: Any = None) -> User:
        """A person outside the viewer's subtree is a 404, like one that does not exist."""
        obj = super().get_object(queryset)  # type: ignore[misc]
        if not self.get_scoped_queryset().filter(pk=obj.pk).exists():
            raise Http404
        return obj


class IndexView(_ScopedMixin, wagtail_users.IndexView):
    def get_base_queryset(self) -> QuerySet[User]:
        return self.get_scoped_queryset()


class CreateView(_ScopedMixin, wagtail_users.CreateView):
    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        form.restrict_to(self.request.user)
        return form

    @transaction.atomic
    def save_instance(self) -> User:
        """Wagtail's form leaves the password empty, which Django counts as *usable*: open
        the account the same way ``person_provision`` does."""
        from .services import person_account_open

        user = super().save_instance()
        person_account_open(user=user, granted_by=self.request.user)
        return user


class EditView(_ScopedMixin, wagtail_users.EditView):
    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        form.restrict_to(self.request.user)
        return form

    @transaction.atomic
    def save_instance(self) -> User:
        """A changed e-mail is a changed login: the old allauth address goes, the new one
        starts unverified."""
        from allauth.account.models import EmailAddress

        from .services import account_email_address_ensure

        user = super().save_instance()
        if "email" in self.form.changed_data:
            EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).delete()
            account_email_address_ensure(user=user)
        return user


class DeleteView(_ScopedMixin, wagtail_users.DeleteView):
    def get_object(self, queryset: Any = None) -> User:
        obj = super().get_object(queryset)
        if obj.is_superuser and not self.request.user.is_superuser:
            raise PermissionDenied
        return obj


class QinglianUserViewSet(wagtail_users.UserViewSet):
    index_view_class = IndexView
    add_view_class = CreateView
    edit_view_class = EditView
    delete_view_class = DeleteView
    menu_label = _("People")
    add_to_settings_menu = False
    menu_order = 210
    # Wagtail's user templates list only Wagtail's fields; these add the profile fields.
    create_template_name = "people/admin/user_create.html"
    edit_template_name = "people/admin/user_edit.html"

    def get_form_class(self, for_update: bool = False) -> Any:
        return QinglianUserEditForm if for_update else QinglianUserCreationForm
