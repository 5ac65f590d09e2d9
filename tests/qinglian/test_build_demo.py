from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core.management import call_command

from people.models import OrgUnit, RoleAssignment, User
from people.selectors import person_list_visible

from .test_demo_courses import check_study_content
from .test_demo_courses import counts as study_content_counts

pytestmark = pytest.mark.django_db


def build() -> str:
    out = StringIO()
    call_command("build_demo", stdout=out)
    return out.getvalue()


def test_build_demo_is_idempotent_and_prints_working_logins():
    """One build for every demo assertion (a build takes a while), then a second that
    must add nothing."""
    output = build()
    counts = (
        OrgUnit.objects.count(),
        User.objects.count(),
        RoleAssignment.objects.count(),
        EmailAddress.objects.count(),
    )
    assert counts[0] >= 20 and 55 <= counts[1] <= 80
    check_study_content(output)
    study_counts = study_content_counts()
    _demo_unit_admin_sees_only_the_finance_bureau()
    _demo_has_people_at_every_rank_and_chinese_names()
    build()
    assert counts == (
        OrgUnit.objects.count(),
        User.objects.count(),
        RoleAssignment.objects.count(),
        EmailAddress.objects.count(),
    )
    assert study_content_counts() == study_counts

    password = "Qinglian-demo-2026"
    assert password in output
    for local in ("learner", "trainer", "unitadmin", "discipline", "leader", "admin"):
        email = f"{local}@demo.qinglian.cn"
        assert email in output
        assert authenticate(email=email, password=password) is not None, email


def _demo_unit_admin_sees_only_the_finance_bureau():
    admin = User.objects.get(email="unitadmin@demo.qinglian.cn")
    units = {p.unit.code.split("-")[0] for p in person_list_visible(viewer=admin)}
    assert units == {"CZJ"}


def _demo_has_people_at_every_rank_and_chinese_names():
    ranks = set(User.objects.exclude(rank_level=None).values_list("rank_level__code", flat=True))
    assert {"KY", "FKJ", "ZKJ", "FCJ", "ZCJ"} <= ranks
    assert all("\u4e00" <= u.full_name[0] <= "\u9fff" for u in User.objects.all())
