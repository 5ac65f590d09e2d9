from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save
from django.utils.translation import gettext_lazy as _


def _ensure_case_workflow(sender: AppConfig, **kwargs: object) -> None:
    # Again after "people" (the last app), whose permissions exist only by then.
    if sender.label not in ("cases", "people"):
        return
    from .workflows import case_workflow_ensure

    case_workflow_ensure()


def _case_library_created(sender: type, instance: object, created: bool, **kwargs: object) -> None:
    """A new case library page gets the moderation workflow at once."""
    if created and not kwargs.get("raw"):
        from .workflows import case_workflow_ensure

        case_workflow_ensure()


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Warning-education cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .models import CaseIndexPage

        post_migrate.connect(_ensure_case_workflow, dispatch_uid="cases_workflow")
        post_save.connect(
            _case_library_created, sender=CaseIndexPage, dispatch_uid="cases_library_workflow"
        )
