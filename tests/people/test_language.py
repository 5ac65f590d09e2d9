"""Each person's language: the header switcher remembers it, the login lands in it, the
settings page changes it, and e-mails and notifications are written in it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from notifications.services import user_language
from people.models import User
from people.services import person_language_set
from qinglian.http import url_in_language
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def language_of(user: User) -> str:
    return User.objects.values_list("language", flat=True).get(pk=user.pk)


def switch(client, language: str, next_url: str = "/me/"):
    return client.post("/i18n/setlang/", {"language": language, "next": next_url})


def login(client, user: User, prefix: str = "", **extra):
    return client.post(
        f"{prefix}/accounts/login/", {"login": user.email, "password": PASSWORD, **extra}
    )


# --- the stored language and its fallback ----------------------------------------------


def test_user_language_falls_back_to_the_site_default(org):
    person = org.finance_learner
    assert person.language == ""
    assert user_language(user=person) == "zh-hans"
    assert user_language(user=SimpleNamespace()) == "zh-hans"  # no profile field at all
    person_language_set(user=person, language="en")
    assert user_language(user=person) == "en"
    assert language_of(person) == "en"


def test_only_offered_languages_are_stored(org):
    with pytest.raises(ValidationError):
        person_language_set(user=org.finance_learner, language="de")
    assert language_of(org.finance_learner) == ""
    # The database refuses one too, whatever path writes it.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=org.finance_learner.pk).update(language="fr")


# --- the header switcher ------------------------------------------------------------------


def test_switching_language_stores_it_for_a_logged_in_person(client, org):
    client.force_login(org.finance_learner)
    response = switch(client, "en", "/me/")
    assert response.status_code == 302
    assert response["Location"] == "/en/me/"  # Django's set_language still redirects
    assert language_of(org.finance_learner) == "en"
    response = switch(client, "zh-hans", "/me/")
    assert response["Location"] == "/me/"
    assert language_of(org.finance_learner) == "zh-hans"


def test_the_switcher_in_the_header_posts_to_the_storing_view(client, org):
    client.force_login(org.finance_learner)
    page = BeautifulSoup(client.get("/me/").content.decode(), "html.parser")
    form = page.select_one("form.lang-switcher")
    assert form["action"] == "/i18n/setlang/"
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    button = form.select_one("button[name=language]")
    assert button["value"] == "en"
    response = client.post(form["action"], {**data, "language": button["value"]})
    assert response["Location"] == "/en/me/"
    assert language_of(org.finance_learner) == "en"


def test_switching_keeps_django_checks(client, org):
    client.force_login(org.finance_learner)
    # Not a site language: Django may accept it for the cookie, the profile does not.
    switch(client, "de")
    assert language_of(org.finance_learner) == ""
    # A GET changes nothing.
    client.get("/i18n/setlang/", {"language": "en", "next": "/me/"})
    assert language_of(org.finance_learner) == ""
    # An off-site "next" is not followed.
    response = switch(client, "en", "https://evil.example.com/")
    assert response.status_code == 302
    assert "evil.example.com" not in response["Location"]
    assert language_of(org.finance_learner) == "en"


def test_anonymous_visitors_still_switch(client):
    response = switch(client, "en", "/regulations/")
    assert response.status_code == 302
    assert response["Location"] == "/en/regulations/"
    assert response.cookies["django_language"].value == "en"


# --- the login lands in the stored language --------------------------------------------


def test_login_lands_on_the_stored_language(client, org):
    person_language_set(user=org.finance_learner, language="en")
    response = login(client, org.finance_learner)  # from the Chinese login page
    assert response.status_code == 302
    assert response["Location"] == "/en/"
    page = client.get(response["Location"])
    messages = [str(m) for m in page.context["messages"]]
    assert messages == [f"Successfully signed in as {org.finance_learner.full_name}."]


def test_login_keeps_next_in_the_stored_language(client, org):
    person_language_set(user=org.finance_learner, language="en")
    response = login(client, org.finance_learner, next="/me/hours/?year=2025")
    assert response["Location"] == "/en/me/hours/?year=2025"


def test_a_chinese_reader_logging_in_on_the_english_page_lands_in_chinese(client, org):
    person_language_set(user=org.finance_learner, language="zh-hans")
    response = login(client, org.finance_learner, prefix="/en", next="/en/me/")
    assert response["Location"] == "/me/"
    client.logout()
    response = login(client, org.finance_learner, prefix="/en")
    assert response["Location"] == "/"


def test_without_a_stored_language_the_login_page_language_is_kept(client, org):
    assert login(client, org.finance_learner, prefix="/en")["Location"] == "/en/"
    client.logout()
    assert login(client, org.finance_learner)["Location"] == "/"


def test_login_never_redirects_off_site(client, org):
    person_language_set(user=org.finance_learner, language="en")
    response = login(client, org.finance_learner, next="https://evil.example.com/en/")
    assert response["Location"] == "/en/"


@pytest.mark.parametrize(
    ("url", "language", "expected"),
    [
        ("/", "en", "/en/"),
        ("/en/", "zh-hans", "/"),
        ("/en/", "en", "/en/"),
        ("/me/?a=1", "en", "/en/me/?a=1"),
        ("/en/events/", "zh-hans", "/events/"),
        ("/admin/", "en", "/admin/"),
    ],
)
def test_url_in_language(url, language, expected):
    assert url_in_language(url, language) == expected


# --- the settings page ---------------------------------------------------------------------


def test_settings_page_is_linked_from_the_header(client, org):
    client.force_login(org.finance_learner)
    page = BeautifulSoup(client.get("/en/me/").content.decode(), "html.parser")
    assert page.select_one(".site-header a[href='/en/me/settings/']") is not None


def test_settings_form_saves_the_language(client, org):
    client.force_login(org.finance_learner)
    response = client.get("/en/me/settings/")
    assert response.status_code == 200
    page = BeautifulSoup(response.content.decode(), "html.parser")
    choices = {i["value"]: i.has_attr("checked") for i in page.select("input[name=language]")}
    assert choices == {"": True, "zh-hans": False, "en": False}
    response = client.post("/en/me/settings/", {"language": "en"}, follow=True)
    assert response.redirect_chain == [("/en/me/settings/", 302)]
    assert "Your settings have been saved." in response.content.decode()
    assert language_of(org.finance_learner) == "en"
    page = BeautifulSoup(response.content.decode(), "html.parser")
    assert page.select_one("input[name=language][value=en]").has_attr("checked")
    # Back to the site's default.
    client.post("/en/me/settings/", {"language": ""})
    assert language_of(org.finance_learner) == ""


def test_settings_form_refuses_a_bad_value(client, org):
    client.force_login(org.finance_learner)
    response = client.post("/en/me/settings/", {"language": "xx"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Select a valid choice." in body
    assert "Your settings have been saved." not in body
    assert language_of(org.finance_learner) == ""


def test_settings_page_needs_a_login(client):
    response = client.get("/me/settings/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- the admin user form ------------------------------------------------------------------


def test_unit_admin_sets_a_persons_language(client, org):
    client.force_login(org.finance_admin)
    url = f"/admin/users/edit/{org.budget_learner.pk}/"
    assert 'name="language"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "email": org.budget_learner.email,
            "full_name": org.budget_learner.full_name,
            "unit": org.finance_budget.pk,
            "employee_number": org.budget_learner.employee_number or "",
            "rank_level": org.budget_learner.rank_level_id,
            "language": "en",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert language_of(org.budget_learner) == "en"


def test_settings_page_runs_a_fixed_number_of_queries(client, org, django_assert_num_queries):
    client.force_login(org.finance_learner)
    client.get("/me/settings/")
    with django_assert_num_queries(8):
        assert client.get("/me/settings/").status_code == 200
