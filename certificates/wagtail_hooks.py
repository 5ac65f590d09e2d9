"""Wagtail admin for certificate templates (证书模板), for trainers and superusers.

Access is decided by :class:`CertificateTemplatePolicy` from the roles, not from Django
model permissions (no group needs them), as for the pledge texts in ``talks``: trainers
(who author the training content) and superusers may view, add and change templates,
and delete one that no certificate uses. The preview (Wagtail's preview panel) is the
PDF of a sample certificate (``CertificateTemplate.serve_preview``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import DeleteView as SnippetDeleteView
from wagtail.snippets.views.snippets import SnippetViewSet

from people.access import ROLE_IN_SCOPE
from people.models import Role

from .forms import CertificateTemplateForm
from .models import CertificateTemplate

ALLOWED_ACTIONS = frozenset({"add", "change", "view", "delete"})


def may_manage_certificate_templates(user: Any) -> bool:
    from people.selectors import user_has_role

    if user is None or not getattr(user, "is_active", False):
        return False
    if not getattr(user, "is_authenticated", False):
        return False
    return user_has_role(user=user, roles=(Role.TRAINER,))


class CertificateTemplatePolicy(ModelPermissionPolicy):
    """Superusers and trainers: view, add, change, and delete a template no certificate
    was made from (certificates keep their template)."""

    def _allowed(self, user: Any, action: str) -> bool:
        return action in ALLOWED_ACTIONS and may_manage_certificate_templates(user)

    def user_has_permission(self, user: Any, action: str) -> bool:
        return self._allowed(user, action)

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return any(self._allowed(user, a) for a in actions)

    def user_has_permission_for_instance(self, user: Any, action: str, instance: Any) -> bool:
        if action == "delete" and instance.pk and instance.certificates.exists():
            return False
        return self._allowed(user, action)

    def user_has_any_permission_for_instance(self, user: Any, actions: Any, instance: Any) -> bool:
        return any(self.user_has_permission_for_instance(user, a, instance) for a in actions)

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
                | Q(role_assignments__role=Role.TRAINER, role_assignments__unit__is_active=True),
                is_active=True,
            )
            .distinct()
        )


register_permission_policy(CertificateTemplate, CertificateTemplatePolicy(CertificateTemplate))


class CertificateTemplateDeleteView(SnippetDeleteView):
    """Wagtail's delete view asks the policy about the model only: ask about this
    template (one that certificates were made from is kept)."""

    access_rule = ROLE_IN_SCOPE
    access_roles: ClassVar[tuple[str, ...]] = (Role.TRAINER,)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        policy = self.permission_policy
        if policy is not None and not policy.user_has_permission_for_instance(
            request.user, "delete", self.object
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[no-any-return]


class CertificateTemplateViewSet(SnippetViewSet):
    model = CertificateTemplate
    icon = "clipboard-list"
    menu_label = _("Certificate templates")
    menu_order = 275
    add_to_admin_menu = True
    list_display: ClassVar[list[Any]] = ["name", "title", "language", "orientation", "is_active"]
    list_filter: ClassVar[list[str]] = ["language", "orientation", "is_active"]
    search_fields: ClassVar[list[str]] = ["name", "title", "title_en"]
    search_backend_name = None
    ordering: ClassVar[list[str]] = ["name", "pk"]
    delete_view_class = CertificateTemplateDeleteView
    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldPanel("name"),
                    FieldPanel("kinds"),
                    FieldRowPanel([FieldPanel("language"), FieldPanel("orientation")]),
                    MultiFieldPanel(
                        [FieldPanel("title"), FieldPanel("body")],
                        heading=_("Chinese wording"),
                        help_text=_(
                            "Plain text. Placeholders: {name}, {achievement}, {date}, "
                            "{hours}, {serial}."
                        ),
                    ),
                    MultiFieldPanel(
                        [FieldPanel("title_en"), FieldPanel("body_en")],
                        heading=_("English wording"),
                        help_text=_("Used for English and bilingual certificates."),
                    ),
                    FieldPanel("issuer"),
                    FieldRowPanel([FieldPanel("validity_months"), FieldPanel("is_active")]),
                ],
                heading=_("Wording"),
            ),
            ObjectList(
                [
                    FieldPanel("background"),
                    FieldPanel("seal"),
                    InlinePanel("signatories", heading=_("Signatories"), label=_("Signatory")),
                ],
                heading=_("Design"),
            ),
        ],
        base_form_class=CertificateTemplateForm,
    )


register_snippet(CertificateTemplateViewSet)
