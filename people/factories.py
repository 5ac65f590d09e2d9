"""Factories for people and organisation; used by the tests and by ``build_demo``."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from .models import OrgUnit, RankLevel, Role, RoleAssignment, User


def unit_create(*, code: str, name: str, parent: OrgUnit | None = None) -> OrgUnit:
    """Get or create a unit by code under ``parent`` (a root unit when ``parent`` is None)."""
    existing = OrgUnit.objects.filter(code=code).first()
    if existing is not None:
        return existing
    if parent is None:
        return OrgUnit.add_root(code=code, name=name)
    parent.refresh_from_db()
    return parent.add_child(code=code, name=name)


def rank(code: str) -> RankLevel:
    return RankLevel.objects.get(code=code)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.gov.cn")
    full_name = factory.Sequence(lambda n: f"测试人员{n}")
    employee_number = factory.Sequence(lambda n: f"E{n:06d}")
    position_title = "科员"
    password = factory.django.Password("correct-horse-battery")


class RoleAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = Role.LEARNER
