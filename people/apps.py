from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


def _ensure_role_groups(sender: AppConfig, **kwargs: object) -> None:
    if sender.label != "people":
        return
    from .services import role_groups_ensure

    role_groups_ensure()


class PeopleConfig(AppConfig):
    default = True
    name = "people"
    verbose_name = _("People and organisation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_ensure_role_groups, dispatch_uid="people_role_groups")


class QinglianUsersAppConfig(WagtailUsersAppConfig):
    """Wagtail's user admin with forms for Qinglian's user model (full name, unit, rank)."""

    default = False
    user_viewset = "people.viewsets.QinglianUserViewSet"
