"""The public verification pages: what each state shows, that every miss looks the same,
the headers, and the rate limit."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certificates.factories import CertificateFactory
from certificates.models import RenderStatus

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
VERIFY_PATH = re.compile(r'/verify/[^/"]+/')


def _cert(user, **kwargs):
    kwargs.setdefault("status", RenderStatus.READY)
    kwargs.setdefault("code", "7K3M9Q2XA8BCD4EF")
    kwargs.setdefault("issuer", "某市纪委监委")
    return CertificateFactory(user=user, **kwargs)


def _get(client, code, **extra):
    return client.get(f"/en/verify/{code}/", **extra)


def _body(response) -> str:
    return response.content.decode()


def test_valid_certificate_shows_a_masked_summary(client, org, django_assert_max_num_queries):
    cert = _cert(org.finance_learner, hours="2.5")
    _get(client, "ZZZZZZZZZZZZZZZZ")  # warm the site settings (created on first use)
    # the lookup, and the site's context (site, settings, menu)
    with django_assert_max_num_queries(6):
        response = _get(client, cert.code)
    assert response.status_code == 200
    body = _body(response)
    assert "张*丰" in body
    assert "张三丰" not in body
    assert cert.serial in body
    assert "党纪学习教育专题课程" in body
    assert "某市纪委监委" in body
    assert "2026-11-20" in body  # achieved on
    assert "cert-state--valid" in body and "Valid" in body
    assert cert.code not in body.replace(f"/verify/{cert.code}/", "")  # only in the URL
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    assert "no-store" in response["Cache-Control"]


def test_code_as_typed_lower_case_spaces_dashes(client, org):
    cert = _cert(org.finance_learner)
    assert _get(client, "7k3m-9q2x-a8bc-d4ef").status_code == 200
    response = client.get("/en/verify/", {"code": " 7k3m 9q2x-a8bc-d4ef "})
    assert response.status_code == 302
    assert response["Location"] == f"/en/verify/{cert.code}/"
    assert client.get(response["Location"]).status_code == 200


def test_lookup_page_explains_the_code_and_an_empty_code_is_an_error(client, db):
    page = client.get("/en/verify/")
    assert page.status_code == 200
    assert 'name="code"' in _body(page)
    assert "serial number" in _body(page) and "not secret" in _body(page)
    empty = client.get("/en/verify/", {"code": " - "})
    assert empty.status_code == 400
    assert "Enter the verification code." in _body(empty)


def test_revoked_shows_the_date_but_not_the_reason(client, org):
    revoked_at = timezone.make_aware(datetime.datetime(2026, 11, 24, 10, 0))
    cert = _cert(org.finance_learner, revoked_at=revoked_at, revoked_reason="学时造假，经核查属实")
    response = _get(client, cert.code)
    body = _body(response)
    assert response.status_code == 200
    assert "Revoked on 2026-11-24" in body
    assert "cert-state--revoked" in body
    assert "学时造假" not in body
    assert "Valid" not in body.replace("Valid until", "")


def test_expired_shows_the_date(client, org):
    cert = _cert(org.finance_learner, expires_on=timezone.localdate() - datetime.timedelta(days=3))
    body = _body(_get(client, cert.code))
    expected = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    assert f"Expired on {expected}" in body
    assert "cert-state--expired" in body


def test_valid_until_shown_while_not_expired(client, org):
    cert = _cert(org.finance_learner, expires_on=timezone.localdate())
    body = _body(_get(client, cert.code))
    assert "cert-state--valid" in body
    assert "Valid until" in body and timezone.localdate().isoformat() in body


def test_superseded_says_a_newer_one_exists_without_revealing_it(client, org):
    old = _cert(org.finance_learner, is_current=False, code="0000000000000001")
    new = _cert(
        org.finance_learner,
        code="0000000000000002",
        achievement_key=old.achievement_key,
        serial="QL-2026-999999",
    )
    old.superseded_by = new
    old.save()
    body = _body(_get(client, old.code))
    assert "Superseded" in body
    assert "newer certificate was issued" in body
    assert new.code not in body and new.serial not in body


@pytest.mark.parametrize(
    "status", [RenderStatus.PENDING, RenderStatus.RENDERING, RenderStatus.FAILED]
)
def test_not_rendered_yet_is_being_prepared(client, org, status):
    cert = _cert(org.finance_learner, status=status)
    response = _get(client, cert.code)
    body = _body(response)
    assert response.status_code == 200
    assert "Being prepared" in body
    assert "failed" not in body.lower()


def _miss_shape(response) -> str:
    """The page with what differs per request taken out: the CSRF token of the language
    form and the requested path (in the language form's "next" and the log-in link)."""
    return VERIFY_PATH.sub("/verify/CODE/", CSRF.sub("CSRF", _body(response)))


@pytest.mark.parametrize(
    "code",
    [
        "ZZZZZZZZZZZZZZZZ",  # well-formed, unknown
        "UUUUUUUUUUUUUUUU",  # U is not in the alphabet
        "short",
        "x" * 70,
        "7K3M9Q2XA8BCD4EF%27%3B--",
        "%E5%BC%A0%E4%B8%89",
    ],
)
def test_every_miss_gets_the_same_answer(client, org, code):
    cert = _cert(org.finance_learner)  # a real certificate exists; nothing of it may show
    reference = _get(client, "ZZZZZZZZZZZZZZZZ")
    response = _get(client, code)
    assert response.status_code == reference.status_code == 404
    assert response.templates[0].name == "certificates/verify_lookup.html"
    assert _miss_shape(response) == _miss_shape(reference)
    body = _miss_shape(response)
    assert "No certificate found" in body
    assert "张*丰" not in body and cert.serial not in body and cert.code not in body
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_rate_limit_per_client_address(client, org, settings):
    settings.CERTIFICATES_VERIFY_RATE_LIMIT = 3
    settings.CERTIFICATES_VERIFY_RATE_WINDOW = 600
    cert = _cert(org.finance_learner)
    assert _get(client, cert.code).status_code == 200
    assert _get(client, "ZZZZZZZZZZZZZZZZ").status_code == 404
    assert _get(client, "junk").status_code == 404
    with CaptureQueriesContext(connection) as queries:
        limited = _get(client, cert.code)
    assert limited.status_code == 429
    assert not [q for q in queries.captured_queries if "certificates_certificate" in q["sql"]]
    assert 1 <= int(limited["Retry-After"]) <= 600
    body = _body(limited)
    assert "Too many lookups" in body and "try again in" in body
    assert "张*丰" not in body
    assert limited["Referrer-Policy"] == "no-referrer"
    # another address is not affected
    other = _get(client, cert.code, REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 200
    # the lookup form itself stays usable
    assert client.get("/en/verify/").status_code == 200


def test_rate_limit_window_ends(client, org, settings, monkeypatch):
    settings.CERTIFICATES_VERIFY_RATE_LIMIT = 1
    settings.CERTIFICATES_VERIFY_RATE_WINDOW = 60
    cert = _cert(org.finance_learner)
    clock = [1_800_000_000.0]
    monkeypatch.setattr("certificates.views_verify.time.time", lambda: clock[0])
    assert _get(client, cert.code).status_code == 200
    limited = _get(client, cert.code)
    assert limited.status_code == 429
    assert limited["Retry-After"] == "60"
    clock[0] += 60
    assert _get(client, cert.code).status_code == 200


def test_ipv6_clients_counted_by_their_64_block(client, org, settings):
    settings.CERTIFICATES_VERIFY_RATE_LIMIT = 1
    cert = _cert(org.finance_learner)
    assert _get(client, cert.code, REMOTE_ADDR="2001:db8:1:2::1").status_code == 200
    assert _get(client, cert.code, REMOTE_ADDR="2001:db8:1:2::99").status_code == 429
    assert _get(client, cert.code, REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


def test_verification_in_chinese(client, org):
    cert = _cert(org.finance_learner)
    response = client.get(f"/verify/{cert.code}/")  # the default language has no prefix
    assert response.status_code == 200
    assert "张*丰" in _body(response)
    assert response["Content-Language"] == "zh-hans"
