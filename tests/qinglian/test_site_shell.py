import pytest

pytestmark = pytest.mark.django_db


def test_home_page_is_chinese_at_unprefixed_url(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "清廉" in html
    assert "登录" in html  # the log-in link, in Chinese


def test_home_page_is_english_under_en(client):
    response = client.get("/en/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html


def test_language_switcher_keeps_the_page(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/en/"


def test_health_reports_database_cache_and_broker(client):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


def test_health_answers_503_when_the_broker_is_down(client, settings):
    from qinglian.celery_app import app

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    previous, app.conf.task_always_eager = app.conf.task_always_eager, False
    try:
        response = client.get("/health/")
    finally:
        app.conf.task_always_eager = previous
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_health_sees_the_real_broker(client, celery_mode):
    body = client.get("/health/").json()
    assert body["status"] == "ok"
    expected = "broker" if celery_mode == "broker" else "eager"
    assert body["checks"]["broker"]["mode"] == expected


def test_pages_are_not_framed_and_sniffing_is_off(client):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_home_page_query_counts_are_pinned(client, django_assert_max_num_queries):
    from people.factories import UserFactory

    client.get("/")
    with django_assert_max_num_queries(5):
        assert client.get("/").status_code == 200
    client.force_login(UserFactory())
    client.get("/")
    # + session read, user, roles, and the idle-timeout session save (savepoint, update)
    with django_assert_max_num_queries(11):
        assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_admin_shows_no_outside_avatar(client):
    from people.factories import UserFactory

    client.force_login(UserFactory(is_superuser=True))
    html = client.get("/admin/").content.decode()
    assert "gravatar.com" not in html
    assert "releases.wagtail" not in html  # no update check from an intranet browser
