"""Wagtail admin for integrity pledge texts (廉政承诺书), for discipline officers and
superusers.

Access is decided by :class:`PledgeTextPolicy` from the roles, not from Django model
permissions (no group needs them): superusers and discipline officers may view, add and
change pledge texts; nobody deletes one (signatures point at it). Adding a text, or
"Copy" on an existing one, publishes the next version of its kind and makes it the
current one (``talks.services.pledges.pledge_text_publish``); a version that has been
signed cannot be edited (the form and ``pledge_text_update`` refuse).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from people.access import ROLE_IN_SCOPE
from people.models import Role

from .forms_pledges import PledgeTextForm
from .models import PledgeText
from .selectors.scope import is_discipline_officer
from .services.pledges import pledge_text_publish, pledge_text_update

ALLOWED_ACTIONS = frozenset({"add", "change", "view"})


def may_manage_pledge_texts(user: Any) -> bool:
    if user is None or not getattr(user, "is_active", False):
        return False
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or is_discipline_officer(viewer=user))


class PledgeTextPolicy(ModelPermissionPolicy):
    """Superusers and discipline officers: view, add, change. Nobody: delete."""

    def _allowed(self, user: Any, action: str) -> bool:
        return action in ALLOWED_ACTIONS and may_manage_pledge_texts(user)

    def user_has_permission(self, user: Any, action: str) -> bool:
        return self._allowed(user, action)

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return any(self._allowed(user, a) for a in actions)

    def user_has_permission_for_instance(self, user: Any, action: str, instance: Any) -> bool:
        return self._allowed(user, action)

    def user_has_any_permission_for_instance(self, user: Any, actions: Any, instance: Any) -> bool:
        return any(self._allowed(user, a) for a in actions)

    def instances_user_has_any_permission_for(self, user: Any, actions: Any) -> Any:
        if any(self._allowed(user, a) for a in actions):
            return self.model._default_manager.all()
        return self.model._default_manager.none()

    def users_with_any_permission(self, actions: Any) -> Any:
        from django.contrib.auth import get_user_model
        from django.db.models import Q

        if not ALLOWED_ACTIONS.intersection(actions):
            return get_user_model().objects.none()
        return (
            get_user_model()
            .objects.filter(
                Q(is_superuser=True)
                | Q(
                    role_assignments__role=Role.DISCIPLINE_OFFICER,
                    role_assignments__unit__is_active=True,
                ),
                is_active=True,
            )
            .distinct()
        )


register_permission_policy(PledgeText, PledgeTextPolicy(PledgeText))


class _ServiceErrorsMixin:
    """Show a service's ValidationError on the form instead of a 500."""

    access_rule = ROLE_IN_SCOPE
    access_roles: ClassVar[tuple[str, ...]] = (Role.DISCIPLINE_OFFICER,)

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)  # type: ignore[misc]
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc)
            self.produced_error_message = self.get_error_message()  # type: ignore[attr-defined]
            return self.form_invalid(form)  # type: ignore[attr-defined,no-any-return]


class PledgeTextCreateView(_ServiceErrorsMixin, generic.CreateView):
    def save_instance(self) -> PledgeText:
        data = self.form.cleaned_data
        return pledge_text_publish(
            position_kind=data["position_kind"],
            title=data["title"],
            body=data["body"],
            by=self.request.user,
            request=self.request,
        )


class PledgeTextCopyView(PledgeTextCreateView):
    """ "Copy": a new version prefilled with an existing one's text."""

    def get_initial_form_instance(self) -> PledgeText:
        original = generic.CopyView.get_object(self)  # type: ignore[arg-type]
        return PledgeText(
            position_kind=original.position_kind, title=original.title, body=original.body
        )


class PledgeTextEditView(_ServiceErrorsMixin, generic.EditView):
    def save_instance(self) -> PledgeText:
        data = self.form.cleaned_data
        return pledge_text_update(
            text=self.object,
            title=data["title"],
            body=data["body"],
            by=self.request.user,
            request=self.request,
        )


class PledgeTextViewSet(ModelViewSet):
    model = PledgeText
    icon = "doc-full"
    menu_label = _("Integrity pledges")
    menu_order = 270
    add_to_admin_menu = True
    url_prefix = "pledge-texts"
    name = "pledge_texts"
    list_display: ClassVar[list[Any]] = [
        "title",
        "position_kind",
        "version",
        "is_current",
        "published_at",
    ]
    list_filter: ClassVar[list[str]] = ["position_kind", "is_current"]
    search_fields: ClassVar[list[str]] = ["title", "body"]
    search_backend_name = None
    ordering: ClassVar[list[str]] = ["position_kind", "-version"]
    form_fields: ClassVar[list[str]] = ["position_kind", "title", "body"]
    add_view_class = PledgeTextCreateView
    copy_view_class = PledgeTextCopyView
    edit_view_class = PledgeTextEditView
    inspect_view_enabled = True

    def get_form_class(self, for_update: bool = False) -> Any:
        return PledgeTextForm

    def get_urlpatterns(self) -> list[Any]:
        # No delete view: a pledge text is kept for its signatures.
        return [p for p in super().get_urlpatterns() if getattr(p, "name", "") != "delete"]


pledge_text_viewset = PledgeTextViewSet()


@hooks.register("register_admin_viewset")
def register_pledge_text_viewset() -> ModelViewSet:
    return pledge_text_viewset
