"""Wagtail admin: the annual study requirement as a snippet (with clear validation) and a
read-only listing of the study-hour ledger for superusers."""

from __future__ import annotations

from decimal import Decimal

from django.urls import NoReverseMatch, reverse

from courses.models import LedgerSource, StudyRequirement
from courses.services.ledger import ledger_record
from people.factories import rank


def test_requirements_listed_for_superusers(client, org) -> None:
    StudyRequirement.objects.create(rank_level=rank("ZKJ"), total_hours=80, integrity_hours=20)
    client.force_login(org.superuser)
    url = reverse("wagtailsnippets_courses_studyrequirement:list")
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "80.0" in html and "20.0" in html


def _post_requirement(client, **data):
    url = reverse("wagtailsnippets_courses_studyrequirement:add")
    return client.post(url, {"rank_level": "", **data})


def test_integrity_hours_may_not_exceed_the_total(client, org) -> None:
    client.force_login(org.superuser)
    before = StudyRequirement.objects.count()
    response = _post_requirement(
        client, rank_level=rank("FCJ").pk, total_hours="10", integrity_hours="12"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "cannot exceed" in html or "不能超过" in html
    assert "is violated" not in html
    assert StudyRequirement.objects.count() == before

    response = _post_requirement(
        client, rank_level=rank("FCJ").pk, total_hours="60", integrity_hours="15"
    )
    assert response.status_code == 302
    assert StudyRequirement.objects.get(rank_level=rank("FCJ")).total_hours == Decimal("60")


def test_only_one_default_requirement(client, org) -> None:
    client.force_login(org.superuser)
    response = _post_requirement(client, total_hours="40", integrity_hours="10")
    assert response.status_code == 200
    html = response.content.decode()
    assert "already a default" in html or "默认" in html
    assert "is violated" not in html
    assert StudyRequirement.objects.filter(rank_level__isnull=True).count() == 1


def _entry(user, key, *, year, title):
    return ledger_record(
        user=user,
        year=year,
        hours=Decimal("2"),
        source=LedgerSource.COURSE if key.startswith("course") else LedgerSource.EVENT,
        source_key=key,
        title=title,
        required=True,
        integrity=True,
    )


def test_ledger_listing_is_read_only_for_superusers(
    client, org, django_assert_max_num_queries
) -> None:
    _entry(org.finance_learner, "course:1", year=2026, title="纪律条例课程")
    _entry(org.budget_learner, "event:1", year=2025, title="警示教育大会")
    for i in range(10):
        _entry(org.housing_learner, f"event:{i + 10}", year=2026, title=f"读书班{i}")
    url = reverse("study_hours:index")
    client.force_login(org.superuser)
    client.get(url)
    with django_assert_max_num_queries(30):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "纪律条例课程" in html and "警示教育大会" in html and "张三丰" in html

    html = client.get(url, {"year": "2025"}).content.decode()
    assert "警示教育大会" in html and "纪律条例课程" not in html
    html = client.get(url, {"source": "course"}).content.decode()
    assert "纪律条例课程" in html and "警示教育大会" not in html
    html = client.get(url, {"q": "李四"}).content.decode()
    assert "警示教育大会" in html and "纪律条例课程" not in html

    # List only: there is nothing to add, edit or delete.
    for name in ("add", "edit", "delete"):
        try:
            reverse(f"study_hours:{name}", args=[] if name == "add" else [1])
        except NoReverseMatch:
            continue
        raise AssertionError(f"study_hours:{name} should not exist")


def test_ledger_listing_is_closed_to_unit_admins(client, org) -> None:
    _entry(org.finance_learner, "course:1", year=2026, title="纪律条例课程")
    client.force_login(org.finance_admin)
    response = client.get(reverse("study_hours:index"))
    assert response.status_code in (302, 403)
    assert "纪律条例课程" not in response.content.decode()
