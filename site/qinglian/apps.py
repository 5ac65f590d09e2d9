from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QinglianConfig(AppConfig):
    name = "qinglian"
    verbose_name = _("Qinglian site")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .certificate_wiring import connect_certificate_receivers

        connect_certificate_receivers()
