from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_trainer_permissions(sender: AppConfig, **kwargs: object) -> None:
    # Again after "people" (the last app), which creates the role groups.
    if sender.label not in ("quizzes", "people"):
        return
    from .permissions import trainer_quiz_permissions_ensure

    trainer_quiz_permissions_ensure()


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = _("Quizzes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_ensure_trainer_permissions, dispatch_uid="quizzes_trainer_perms")
