"""Wagtail admin for the study-hour requirement (a snippet) and a read-only listing of
the study-hour ledger for superusers."""

from __future__ import annotations

from typing import Any, ClassVar

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from people.access import STAFF

from .models import StudyHourEntry, StudyRequirement


class StudyRequirementForm(WagtailAdminModelForm):
    """The database constraints, as messages a person can act on."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        total, integrity = data.get("total_hours"), data.get("integrity_hours")
        if total is not None and integrity is not None and integrity > total:
            self.add_error(
                "integrity_hours",
                _("The integrity-education hours cannot exceed the hours a year."),
            )
        if not self.errors and data.get("rank_level") is None:
            others = StudyRequirement.objects.filter(rank_level__isnull=True)
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error(
                    "rank_level",
                    _("There is already a default requirement: choose a rank level."),
                )
        return data

    def _post_clean(self) -> None:
        # When clean() has explained the problem, the model's constraint check would only
        # repeat it as "Constraint … is violated."; the constraints still guard the table.
        if self._errors:
            return
        super()._post_clean()


class StudyRequirementViewSet(SnippetViewSet):
    model = StudyRequirement
    icon = "time"
    menu_label = _("Study requirements")
    menu_order = 260
    add_to_admin_menu = True
    list_display: ClassVar[list[Any]] = ["__str__", "total_hours", "integrity_hours"]
    ordering: ClassVar[list[str]] = ["rank_level__order"]
    edit_handler = ObjectList(
        [
            FieldPanel("rank_level"),
            FieldRowPanel([FieldPanel("total_hours"), FieldPanel("integrity_hours")]),
        ],
        base_form_class=StudyRequirementForm,
    )


register_snippet(StudyRequirementViewSet)


class SuperuserViewOnlyPolicy(ModelPermissionPolicy):
    """Superusers may view; nobody may add, change or delete through the admin (the
    ledger is written by services only)."""

    def _allowed(self, user: Any, action: str) -> bool:
        return bool(user.is_active and user.is_superuser and action == "view")

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

        if "view" not in actions:
            return get_user_model().objects.none()
        return get_user_model().objects.filter(is_active=True, is_superuser=True)


register_permission_policy(StudyHourEntry, SuperuserViewOnlyPolicy(StudyHourEntry))


class StudyHourLedgerIndexView(IndexView):
    # Superusers only: enforced by ``SuperuserViewOnlyPolicy`` (Wagtail's permission check).
    access_rule = STAFF
    access_roles: ClassVar[tuple[str, ...]] = ()

    def get_base_queryset(self) -> Any:
        return super().get_base_queryset().select_related("user")


class StudyHourLedgerViewSet(ModelViewSet):
    """The ledger, list only: filter by year and source, search by person."""

    model = StudyHourEntry
    icon = "list-ul"
    menu_label = _("Study-hour ledger")
    menu_order = 261
    add_to_admin_menu = True
    url_prefix = "study-hours"
    name = "study_hours"
    list_display: ClassVar[list[Any]] = ["user", "year", "title", "source", "hours", "integrity"]
    list_filter: ClassVar[list[str]] = ["year", "source", "integrity", "required"]
    search_fields: ClassVar[list[str]] = ["user__full_name", "user__email", "title"]
    search_backend_name = None
    ordering: ClassVar[list[str]] = ["-recorded_at", "-id"]
    copy_view_enabled = False
    inspect_view_enabled = False
    list_per_page = 50
    index_view_class = StudyHourLedgerIndexView

    def get_urlpatterns(self) -> list[Any]:
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]


study_hour_ledger_viewset = StudyHourLedgerViewSet()


def _register_ledger() -> None:
    from wagtail import hooks

    @hooks.register("register_admin_viewset")
    def register_study_hour_ledger() -> ModelViewSet:
        return study_hour_ledger_viewset


_register_ledger()
