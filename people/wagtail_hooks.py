"""Wagtail admin for the organisation: units (scoped), rank levels, role assignments."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .access import ROLE_IN_SCOPE, STAFF
from .forms import UnitChoiceField
from .models import OrgUnit, RankLevel, RoleAssignment, Sector, User
from .selectors import person_list_changeable, unit_can_manage, unit_list_in_scope
from .services import role_grant, role_revoke


class OrgUnitForm(WagtailAdminModelForm):
    parent = UnitChoiceField(
        label=_("Parent unit"),
        queryset=OrgUnit.objects.all(),
        required=False,
        help_text=_("Leave empty for a top-level unit (superusers only)."),
    )

    class Meta:
        model = OrgUnit
        fields = ["name", "code", "sector", "is_active"]

    def __init__(self, *args: Any, for_user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, for_user=for_user, **kwargs)
        if self.instance.pk:
            del self.fields["parent"]
        else:
            self.fields["parent"].queryset = unit_list_in_scope(  # type: ignore[attr-defined]
                viewer=for_user, roles=["unit_admin"]
            ).order_by("path")
            if not getattr(for_user, "is_superuser", False):
                self.fields["parent"].required = True

    def save(self, commit: bool = True) -> OrgUnit:
        if self.instance.pk:
            return super().save(commit=commit)
        instance = super().save(commit=False)
        parent = self.cleaned_data.get("parent")
        return (
            parent.add_child(instance=instance) if parent else OrgUnit.add_root(instance=instance)
        )


class _ScopedUnitMixin:
    access_rule = ROLE_IN_SCOPE
    request: HttpRequest

    def get_base_queryset(self) -> QuerySet[OrgUnit]:
        return unit_list_in_scope(viewer=self.request.user, roles=["unit_admin"])


class OrgUnitIndexView(_ScopedUnitMixin, generic.IndexView):
    pass


class OrgUnitEditView(generic.EditView):
    access_rule = ROLE_IN_SCOPE

    def get_object(self, queryset: Any = None) -> OrgUnit:
        obj = super().get_object(queryset)
        if not unit_can_manage(viewer=self.request.user, unit=obj):
            raise Http404
        return obj


class OrgUnitDeleteView(generic.DeleteView):
    access_rule = STAFF

    def get_object(self, queryset: Any = None) -> OrgUnit:
        obj = super().get_object(queryset)
        if not self.request.user.is_superuser:
            raise PermissionDenied
        return obj


class OrgUnitViewSet(ModelViewSet):
    model = OrgUnit
    icon = "group"
    menu_label = _("Org units")
    form_fields = ["name", "code", "is_active"]
    index_view_class = OrgUnitIndexView
    edit_view_class = OrgUnitEditView
    delete_view_class = OrgUnitDeleteView
    list_display = ["indented_name", "code", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    ordering = ["path"]

    def get_form_class(self, for_update: bool = False) -> type[OrgUnitForm]:
        return OrgUnitForm


class RankLevelViewSet(SnippetViewSet):
    model = RankLevel
    icon = "list-ol"
    menu_label = _("Rank levels")
    list_display = ["order", "name", "code", "is_leading"]
    ordering = ["order"]


class RoleAssignmentCreateView(generic.CreateView):
    access_rule = STAFF

    def save_instance(self) -> RoleAssignment:
        data = self.form.cleaned_data
        return role_grant(
            user=data["user"], role=data["role"], unit=data["unit"], granted_by=self.request.user
        )


class RoleAssignmentDeleteView(generic.DeleteView):
    access_rule = STAFF

    def delete_action(self) -> None:
        obj = self.object
        role_revoke(user=obj.user, role=obj.role, unit=obj.unit)


class RoleAssignmentViewSet(ModelViewSet):
    """Superusers only (no group holds its permissions); grants sync the role groups."""

    model = RoleAssignment
    icon = "key"
    menu_label = _("Role assignments")
    list_display = ["user", "role", "unit", "granted_at"]
    list_filter = ["role"]
    search_fields = ["user__full_name", "user__email", "unit__name"]
    form_fields = ["user", "role", "unit"]
    add_view_class = RoleAssignmentCreateView
    delete_view_class = RoleAssignmentDeleteView


class OrganisationGroup(ModelViewSetGroup):
    menu_label = _("Organisation")
    menu_icon = "group"
    menu_order = 220
    items = (OrgUnitViewSet("org_units"), RoleAssignmentViewSet("role_assignments"))


@hooks.register("register_admin_viewset")
def register_organisation() -> OrganisationGroup:
    return OrganisationGroup()


register_snippet(RankLevelViewSet)


class SectorViewSet(SnippetViewSet):
    model = Sector
    icon = "tag"
    menu_label = _("Sectors")
    list_display = ["name", "code", "order"]


register_snippet(SectorViewSet)


@hooks.register("before_bulk_action")
def guard_user_bulk_actions(
    request: HttpRequest, action_type: str, objects: list[Any], action_class_instance: Any
) -> None:
    """Wagtail's user bulk actions take ids from the request: refuse any object outside the
    viewer's scope, and leave group assignment to superusers."""
    if not objects or not isinstance(objects[0], User) or request.user.is_superuser:
        return
    if action_type == "assign_role":
        raise PermissionDenied
    allowed = set(
        person_list_changeable(viewer=request.user)
        .filter(pk__in=[o.pk for o in objects])
        .values_list("pk", flat=True)
    )
    if any(o.pk not in allowed for o in objects):
        raise PermissionDenied
