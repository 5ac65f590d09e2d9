"""The admin import flow (upload → preview → confirm) and the category export, as a
trainer; other roles are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from people.factories import UserFactory
from people.models import Role
from people.services import role_grant
from quizzes.factories import QuestionFactory, category_create
from quizzes.models import Question, QuestionCategory, QuestionImport

CONFORMANCE = Path(settings.BASE_DIR).parent / "shared" / "conformance"
needs_shared = pytest.mark.skipif(not CONFORMANCE.exists(), reason="../shared is absent")

GIFT = """$CATEGORY: 纪律处分条例/总则

::收受礼金::党员收受礼金，应当如何处理？{
  =拒收并报告#正确。
  ~先收下再说#错误。
  ####依据《条例》。
}

::判断::条例适用于全体党员。{TRUE}

::作文::谈谈你对廉洁的理解。{}
"""


@pytest.fixture
def target(db) -> QuestionCategory:
    return category_create(name="廉洁题库")


def _upload(client, target, data: str | bytes = GIFT, name: str = "题库.gift", **extra):
    payload = data.encode("utf-8") if isinstance(data, str) else data
    return client.post(
        reverse("quizzes_import_upload"),
        {"file": SimpleUploadedFile(name, payload), "category": target.pk, **extra},
    )


@pytest.mark.django_db
def test_trainer_uploads_previews_and_confirms(client, org, target, django_assert_max_num_queries):
    client.force_login(org.trainer)
    page = client.get(reverse("quizzes_import_upload"))
    assert page.status_code == 200
    assert "廉洁题库" in page.content.decode()

    response = _upload(client, target)
    assert response.status_code == 302
    record = QuestionImport.objects.get()
    assert response["Location"] == reverse("quizzes_import_preview", args=[record.pk])
    assert not Question.objects.exists()  # the upload writes no question

    with django_assert_max_num_queries(20):
        preview = client.get(response["Location"])
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'id="import-count">2<' in html
    assert 'id="import-unsupported"' in html and "作文" in html
    assert "廉洁题库/纪律处分条例/总则" in html  # the category to create
    assert "拒收并报告" in html
    assert reverse("quizzes_import_confirm", args=[record.pk]) in html

    confirm = client.post(reverse("quizzes_import_confirm", args=[record.pk]))
    assert confirm.status_code == 302
    assert confirm["Location"] == reverse("wagtailsnippets_quizzes_question:list")
    assert Question.objects.count() == 2
    assert Question.objects.get(name="收受礼金").category.full_name == "廉洁题库/纪律处分条例/总则"
    record.refresh_from_db()
    assert (record.status, record.imported_count) == ("done", 2)
    followed = client.get(confirm["Location"])
    assert followed.status_code == 200
    assert "题库.gift" in followed.content.decode()  # the success message names the file

    # A double click imports nothing twice.
    again = client.post(reverse("quizzes_import_confirm", args=[record.pk]))
    assert again.status_code == 302
    assert Question.objects.count() == 2
    page = client.get(reverse("quizzes_import_preview", args=[record.pk])).content.decode()
    assert 'id="import-done"' in page
    assert reverse("quizzes_import_confirm", args=[record.pk]) not in page


@pytest.mark.django_db
def test_malformed_file_shows_errors_with_lines_and_cannot_be_confirmed(client, org, target):
    client.force_login(org.trainer)
    bad = GIFT + "\n::坏题::哪个正确？{\n  ~甲\n  ~乙\n}\n\n::未闭合::题干{=甲 ~乙\n"
    response = _upload(client, target, bad)
    html = client.get(response["Location"]).content.decode()
    assert 'id="import-errors"' in html
    assert "<td>13</td>" in html and "<td>18</td>" in html
    record = QuestionImport.objects.get()
    assert reverse("quizzes_import_confirm", args=[record.pk]) not in html
    client.post(reverse("quizzes_import_confirm", args=[record.pk]))
    assert not Question.objects.exists()
    assert QuestionCategory.objects.count() == 1


@needs_shared
@pytest.mark.django_db
def test_invalid_moodle_grades_are_refused_in_the_admin(client, org, target):
    client.force_login(org.trainer)
    path = CONFORMANCE / "moodle" / "xml" / "error_invalid_grades.xml"
    response = _upload(client, target, path.read_bytes(), name=path.name)
    html = client.get(response["Location"]).content.decode()
    assert 'id="import-errors"' in html and "<td>38</td>" in html
    record = QuestionImport.objects.get()
    client.post(reverse("quizzes_import_confirm", args=[record.pk]))
    assert not Question.objects.exists()


@pytest.mark.django_db
def test_gbk_upload_gets_a_message(client, org, target):
    client.force_login(org.trainer)
    response = _upload(client, target, GIFT.encode("gbk"))
    html = client.get(response["Location"]).content.decode()
    assert 'id="import-errors"' in html and "UTF-8" in html
    assert not Question.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data"), [("题库.docx", b"PK\x03\x04"), ("题库.gift", b""), ("x.exe", b"MZ")]
)
def test_wrong_file_type_or_empty_file_is_refused_by_the_form(client, org, target, name, data):
    client.force_login(org.trainer)
    response = _upload(client, target, data, name=name)
    assert response.status_code == 200
    assert 'class="error-message"' in response.content.decode()
    assert not QuestionImport.objects.exists()


@pytest.mark.django_db
def test_missing_category_is_reported(client, org, target):
    client.force_login(org.trainer)
    response = client.post(
        reverse("quizzes_import_upload"), {"file": SimpleUploadedFile("a.gift", b"Q{T}")}
    )
    assert response.status_code == 200
    assert not QuestionImport.objects.exists()


@pytest.mark.django_db
def test_learner_and_unit_admin_are_refused(client, org, target):
    urls = [
        reverse("quizzes_import_upload"),
        reverse("quizzes_export", args=[target.pk]),
    ]
    client.force_login(org.finance_learner)
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/")
    assert _upload(client, target).status_code in (302, 403)
    assert not QuestionImport.objects.exists()

    client.force_login(org.finance_admin)
    for response in (client.get(urls[0]), client.get(urls[1]), _upload(client, target)):
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response["Location"] == "/admin/"
    assert not QuestionImport.objects.exists()


@pytest.mark.django_db
def test_another_trainers_upload_is_not_found(client, org, target):
    client.force_login(org.trainer)
    _upload(client, target)
    record = QuestionImport.objects.get()
    other = UserFactory(unit=org.city)
    role_grant(user=other, role=Role.TRAINER, unit=org.city)
    client.force_login(other)
    assert client.get(reverse("quizzes_import_preview", args=[record.pk])).status_code == 404
    assert client.post(reverse("quizzes_import_confirm", args=[record.pk])).status_code == 404
    assert not Question.objects.exists()
    # A superuser may look at it.
    client.force_login(org.superuser)
    assert client.get(reverse("quizzes_import_preview", args=[record.pk])).status_code == 200


@pytest.mark.django_db
def test_trainer_exports_a_category(client, org, target):
    sub = category_create(name="总则", parent=target)
    QuestionFactory(category=sub, name="导出题")
    client.force_login(org.trainer)
    response = client.get(reverse("quizzes_export", args=[target.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    assert "$course$/top/廉洁题库/总则" in body and "导出题" in body
    assert client.get(reverse("quizzes_export", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_views_declare_their_access_rule():
    from quizzes import admin_views

    for view in (
        admin_views.QuestionImportUploadView,
        admin_views.QuestionImportPreviewView,
        admin_views.QuestionImportConfirmView,
        admin_views.QuestionExportView,
    ):
        assert view.access_rule == "role-in-scope"
        assert view.access_roles == ("trainer",)
