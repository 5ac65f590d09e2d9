"""The Trainers group manages the question bank and quizzes in the Wagtail admin.

``trainer_quiz_permissions_ensure`` grants the group Django's add/change/delete/view
permissions on the bank and quiz models (and view on attempts). Idempotent; runs after
every ``migrate`` (connected in ``QuizzesConfig.ready``).
"""

from __future__ import annotations

from typing import Final

TRAINERS_GROUP: Final = "Trainers"  # people.services.ROLE_GROUPS[Role.TRAINER]

TRAINER_MODELS: Final = (
    "questioncategory",
    "question",
    "questionoption",
    "quiz",
    "quizsection",
    "quizoverride",
    "questionimport",
)
TRAINER_VIEW_ONLY: Final = ("questionversion", "attempt", "attemptslot")


def trainer_quiz_permissions_ensure() -> None:
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    # post_migrate may reach us before auth has created this app's permissions.
    create_permissions(apps.get_app_config("quizzes"), verbosity=0)
    trainers, _created = Group.objects.get_or_create(name=TRAINERS_GROUP)
    permissions = Permission.objects.filter(content_type__app_label="quizzes").filter(
        Q(content_type__model__in=TRAINER_MODELS, codename__regex=r"^(add|change|delete|view)_")
        | Q(content_type__model__in=TRAINER_VIEW_ONLY, codename__startswith="view_")
    )
    trainers.permissions.add(*permissions)
