"""Accounts: e-mail login in both languages, closed sign-up, lockout on every login path,
MFA for staff roles, idle sessions, provisioning with a set-password link, e-mail
verification, and the allauth pages inside the site layout."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from bs4 import BeautifulSoup
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from people.models import Role, RoleAssignment, User
from people.services import person_provision
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Lian-Jie-Fengxian-2026"


# --- helpers -----------------------------------------------------------------------------


def login(client: Client, email: str, password: str = PASSWORD, prefix: str = "", **extra):
    return client.post(f"{prefix}/accounts/login/", {"login": email, "password": password, **extra})


def logged_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def authenticated_sessions() -> list[dict]:
    """Every stored session that carries a logged-in user."""
    return [d for d in (s.get_decoded() for s in Session.objects.all()) if "_auth_user_id" in d]


def login_failed_limit() -> int:
    """The per-account ("/key") failed-login limit from ACCOUNT_RATE_LIMITS["login_failed"]."""
    for rate in settings.ACCOUNT_RATE_LIMITS["login_failed"].split(","):
        amount, _duration, *per = rate.strip().split("/")
        if per == ["key"]:
            return int(amount)
    raise AssertionError("login_failed has no per-account limit")


def totp_code(secret: str, offset: int = 0) -> str:
    """The authenticator app's code: allauth's own HOTP over the current time step."""
    counters = list(yield_hotp_counters_from_time())
    current = counters[len(counters) // 2]
    return format_hotp_value(hotp_value(secret, current + offset))


def totp_secret(user: User) -> str:
    from allauth.mfa.utils import decrypt

    return decrypt(
        Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]
    )


def reauthenticate(client: Client, url: str, password: str = PASSWORD) -> None:
    """allauth asks for the password again before MFA changes (MFA_REAUTHENTICATION_REQUIRED),
    even right after logging in."""
    response = client.get(url)
    if response.status_code == 302 and "/reauthenticate/" in response["Location"]:
        response = client.post(response["Location"], {"password": password})
        assert response.status_code == 302, response.content.decode()[-2000:]
        assert response["Location"] == url


def activate_totp(client: Client, offset: int = 0, prefix: str = "") -> str:
    """Walk allauth's TOTP activation as the logged-in user; returns the secret."""
    url = f"{prefix}/accounts/2fa/totp/activate/"
    reauthenticate(client, url)
    response = client.get(url)
    assert response.status_code == 200, response.get("Location")
    secret = client.session["mfa.totp.secret"]
    response = client.post(url, {"code": totp_code(secret, offset)})
    assert response.status_code == 302, response.content.decode()[-2000:]
    return secret


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def set_password_link(message) -> str:
    match = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", message.body)
    assert match, message.body
    return path_of(match.group(0))


def staff(org, name: str) -> User:
    return getattr(org, name)


STAFF = ["trainer", "finance_admin", "discipline", "superuser"]


# --- login -------------------------------------------------------------------------------


def test_login_page_in_chinese_and_english(client, org):
    zh = client.get("/accounts/login/")
    assert zh.status_code == 200
    assert soup(zh).html["lang"] == "zh-Hans"
    assert soup(zh).h1.get_text(strip=True) == "登录"
    en = client.get("/en/accounts/login/")
    assert soup(en).html["lang"] == "en"
    assert soup(en).h1.get_text(strip=True) == "Sign In"


def test_login_chinese_lands_on_chinese_home(client, org):
    response = login(client, org.finance_learner.email)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_user_id(client) == str(org.finance_learner.pk)
    home = client.get(response["Location"])
    assert home.status_code == 200
    assert soup(home).html["lang"] == "zh-Hans"


def test_login_english_lands_on_english_home(client, org):
    response = login(client, org.finance_learner.email, prefix="/en")
    assert response.status_code == 302
    assert response["Location"] == "/en/"
    assert logged_in_user_id(client) == str(org.finance_learner.pk)
    home = client.get(response["Location"])
    assert soup(home).html["lang"] == "en"


def test_login_is_case_insensitive_on_email_and_keeps_next(client, org):
    response = client.post(
        "/accounts/login/",
        {"login": org.finance_learner.email.upper(), "password": PASSWORD, "next": "/people/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/people/"
    assert logged_in_user_id(client) == str(org.finance_learner.pk)


def test_wrong_password_is_refused_with_an_announced_error(client, org):
    response = login(client, org.finance_learner.email, "wrong-password")
    assert response.status_code == 200
    assert logged_in_user_id(client) is None
    alert = soup(response).find(attrs={"role": "alert"})
    assert alert is not None and alert.get_text(strip=True)
    assert not authenticated_sessions()


def test_inactive_person_cannot_log_in(client, org):
    org.finance_learner.is_active = False
    org.finance_learner.save()
    login(client, org.finance_learner.email)
    assert logged_in_user_id(client) is None


def test_logout(client, org):
    login(client, org.finance_learner.email, prefix="/en")
    response = client.post("/en/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/en/"
    assert logged_in_user_id(client) is None


# --- sign-up is closed -------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_public_signup_is_closed(client, db, prefix):
    count = User.objects.count()
    page = client.get(f"{prefix}/accounts/signup/")
    assert page.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in page.templates]
    response = client.post(
        f"{prefix}/accounts/signup/",
        {"email": "intruder@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert User.objects.count() == count
    assert not User.objects.filter(email="intruder@example.com").exists()
    assert not EmailAddress.objects.filter(email="intruder@example.com").exists()
    assert logged_in_user_id(client) is None


def test_login_page_does_not_offer_signup(client, db):
    response = client.get("/accounts/login/")
    assert "/accounts/signup/" not in response.content.decode()


# --- lockout on every login path ---------------------------------------------------------


def _fail(client: Client, url: str, email: str, times: int) -> None:
    for _ in range(times):
        response = client.post(url, {"login": email, "password": "not-the-password"})
        assert response.status_code == 200
        assert logged_in_user_id(client) is None


def test_lockout_after_failed_logins_refuses_the_right_password(client, org):
    email = org.finance_learner.email
    _fail(client, "/accounts/login/", email, login_failed_limit())
    response = login(client, email)
    assert response.status_code == 200
    assert logged_in_user_id(client) is None
    assert not authenticated_sessions()
    with translation.override("zh-hans"):
        from allauth.account.adapter import get_adapter

        message = str(get_adapter().error_messages["too_many_login_attempts"])
    assert message in response.content.decode()
    # The lock is per account: someone else logs in from the same machine.
    other = Client()
    login(other, org.budget_learner.email)
    assert logged_in_user_id(other) == str(org.budget_learner.pk)


def test_failures_below_the_limit_do_not_lock(client, org):
    _fail(client, "/accounts/login/", org.finance_learner.email, login_failed_limit() - 1)
    login(client, org.finance_learner.email)
    assert logged_in_user_id(client) == str(org.finance_learner.pk)


def test_lockout_covers_the_english_login(client, org):
    email = org.finance_learner.email
    _fail(client, "/accounts/login/", email, login_failed_limit())
    login(client, email, prefix="/en")
    assert logged_in_user_id(client) is None
    assert not authenticated_sessions()


def test_wagtail_admin_login_redirects_to_allauth(client, org):
    response = client.get("/admin/login/?next=/admin/pages/")
    assert response.status_code == 302
    assert path_of(response["Location"]).split("?")[0].endswith("/accounts/login/")
    assert (
        "next=%2Fadmin%2Fpages%2F" in response["Location"]
        or "next=/admin/pages/" in response["Location"]
    )
    # An anonymous visit to the admin ends up at the same allauth login.
    admin = client.get("/admin/")
    assert admin.status_code == 302
    assert "/accounts/login/" in admin["Location"]


def test_admin_login_through_allauth_returns_to_the_admin(client, org):
    target = client.get("/admin/")["Location"]
    assert "/accounts/login/" in target and "next=" in target
    response = client.post(
        path_of(target), {"login": org.trainer.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_post_to_wagtail_admin_login_authenticates_nobody(client, org):
    response = client.post(
        "/admin/login/",
        {"username": org.finance_admin.email, "password": PASSWORD, "next": "/admin/"},
    )
    assert response.status_code in (302, 307, 308)
    assert "/accounts/login/" in response["Location"]
    assert logged_in_user_id(client) is None
    assert not authenticated_sessions()
    assert client.get("/admin/").status_code == 302


def test_lockout_through_the_wagtail_admin_login_path(client, org):
    email = org.finance_admin.email
    target = path_of(client.get("/admin/login/?next=/admin/")["Location"])
    assert "/accounts/login/" in target
    _fail(client, target, email, login_failed_limit())
    # Locked on the admin path and on the plain login page alike.
    for url in (target, "/accounts/login/", "/en/accounts/login/"):
        response = client.post(url, {"login": email, "password": PASSWORD})
        assert response.status_code == 200
        assert logged_in_user_id(client) is None
    # Posting the right password to /admin/login/ itself does not get around the lock.
    client.post("/admin/login/", {"username": email, "password": PASSWORD})
    assert logged_in_user_id(client) is None
    assert client.get("/admin/").status_code == 302
    assert not authenticated_sessions()


def test_lockout_from_the_login_page_also_locks_the_admin_path(client, org):
    email = org.trainer.email
    _fail(client, "/en/accounts/login/", email, login_failed_limit())
    target = path_of(client.get("/admin/login/?next=/admin/")["Location"])
    client.post(target, {"login": email, "password": PASSWORD, "next": "/admin/"})
    assert logged_in_user_id(client) is None
    assert not authenticated_sessions()


# --- MFA for staff roles -----------------------------------------------------------------


@override_settings(QINGLIAN_REQUIRE_STAFF_MFA=True)
@pytest.mark.parametrize("who", STAFF)
def test_staff_without_totp_is_sent_to_set_it_up(client, org, who):
    client.force_login(staff(org, who))
    for path in ("/admin/", "/", "/people/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/accounts/2fa/totp/activate/", path
    english = client.get("/en/")
    assert english["Location"] == "/en/accounts/2fa/totp/activate/"
    # The set-up page itself, logging out and switching language stay reachable.
    assert client.get("/accounts/2fa/").status_code == 200
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/en/"}).status_code == 302
    assert client.post("/accounts/logout/").status_code == 302
    assert logged_in_user_id(client) is None


@override_settings(QINGLIAN_REQUIRE_STAFF_MFA=True)
def test_the_setup_page_says_why(client, org):
    client.force_login(org.trainer)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[0] == ("/accounts/2fa/totp/activate/", 302)
    with translation.override("zh-hans"):
        notice = gettext(
            "Your role requires two-factor authentication. Set up an authenticator app to continue."
        )
    assert notice in response.content.decode()
    # An image or XHR request is redirected too but does not queue the notice again.
    client.get("/favicon.ico", HTTP_ACCEPT="image/avif,image/webp,*/*")
    from django.contrib.messages import get_messages

    page = client.get("/accounts/2fa/")
    assert [str(m) for m in get_messages(page.wsgi_request)] == []


@override_settings(QINGLIAN_REQUIRE_STAFF_MFA=True, MFA_TOTP_TOLERANCE=1)
def test_staff_with_an_unverified_address_can_verify_it_then_set_up_mfa(client, org):
    """allauth will not add an authenticator while an address is unverified; the forced
    set-up must leave the way to verify it open instead of looping."""
    trainer = org.trainer
    EmailAddress.objects.create(user=trainer, email=trainer.email, primary=True, verified=False)
    login(client, trainer.email)
    reauthenticate(client, "/accounts/2fa/totp/activate/")
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/"
    assert client.get("/accounts/email/").status_code == 200
    response = client.post("/accounts/email/", {"action_send": "", "email": trainer.email})
    assert response.status_code == 302
    url = path_of(
        re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    )
    assert client.get(url).status_code == 200
    client.post(url)
    assert EmailAddress.objects.get(user=trainer).verified
    activate_totp(client)
    assert client.get("/admin/").status_code == 200


@override_settings(QINGLIAN_REQUIRE_STAFF_MFA=True)
def test_plain_learner_is_not_forced_to_set_up_mfa(client, org):
    client.force_login(org.finance_learner)
    assert client.get("/").status_code == 200
    assert client.get("/en/").status_code == 200


@override_settings(QINGLIAN_REQUIRE_STAFF_MFA=False)
@pytest.mark.parametrize("who", STAFF)
def test_with_the_setting_off_staff_are_not_forced(client, org, who):
    client.force_login(staff(org, who))
    assert client.get("/").status_code == 200
    assert client.get("/admin/").status_code == 200


@override_settings(QINGLIAN_REQUIRE_STAFF_MFA=True, MFA_TOTP_TOLERANCE=1)
def test_staff_activates_totp_then_reaches_admin_and_logs_in_with_two_steps(client, org):
    trainer = org.trainer
    response = login(client, trainer.email)
    assert logged_in_user_id(client) == str(trainer.pk)
    response = client.get("/admin/")
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    # allauth asks for the password once more, then shows the QR code.
    reauthenticate(client, "/accounts/2fa/totp/activate/")
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    # A wrong code is refused and nothing is activated.
    right = totp_code(client.session["mfa.totp.secret"])
    wrong = client.post(
        "/accounts/2fa/totp/activate/", {"code": "000000" if right != "000000" else "111111"}
    )
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=trainer).exists()
    secret = activate_totp(client)
    assert Authenticator.objects.filter(user=trainer, type=Authenticator.Type.TOTP).exists()
    # Recovery codes are generated along with the authenticator app.
    assert Authenticator.objects.filter(
        user=trainer, type=Authenticator.Type.RECOVERY_CODES
    ).exists()
    assert client.get("/admin/").status_code == 200
    assert client.get("/").status_code == 200

    # Logging in again needs the second step.
    client.post("/accounts/logout/")
    response = login(client, trainer.email)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert logged_in_user_id(client) is None
    assert client.get("/admin/").status_code == 302
    assert client.post("/accounts/2fa/authenticate/", {"code": "12345"}).status_code == 200
    assert logged_in_user_id(client) is None
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret, 1)})
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(trainer.pk)
    assert client.get("/admin/").status_code == 200


@override_settings(QINGLIAN_REQUIRE_STAFF_MFA=True, MFA_TOTP_TOLERANCE=1)
def test_recovery_code_works_once(client, org):
    admin = org.finance_admin
    login(client, admin.email)
    activate_totp(client)
    page = client.get("/accounts/2fa/recovery-codes/")
    assert page.status_code == 200
    codes = RecoveryCodes(
        Authenticator.objects.get(user=admin, type=Authenticator.Type.RECOVERY_CODES)
    ).get_unused_codes()
    assert len(codes) == mfa_settings.RECOVERY_CODE_COUNT
    assert codes[0] in page.content.decode()
    client.post("/accounts/logout/")

    login(client, admin.email)
    response = client.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(admin.pk)
    client.post("/accounts/logout/")

    login(client, admin.email)
    response = client.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert response.status_code == 200
    assert logged_in_user_id(client) is None
    response = client.post("/accounts/2fa/authenticate/", {"code": codes[1]})
    assert logged_in_user_id(client) == str(admin.pk)


@override_settings(QINGLIAN_REQUIRE_STAFF_MFA=False, MFA_TOTP_TOLERANCE=1)
def test_mfa_is_available_to_a_learner(client, org):
    learner = org.finance_learner
    login(client, learner.email, prefix="/en")
    secret = activate_totp(client, prefix="/en")
    assert totp_secret(learner) == secret
    client.post("/en/accounts/logout/")
    response = login(client, learner.email, prefix="/en")
    assert response["Location"] == "/en/accounts/2fa/authenticate/"
    response = client.post("/en/accounts/2fa/authenticate/", {"code": totp_code(secret, 1)})
    assert response["Location"] == "/en/"
    assert logged_in_user_id(client) == str(learner.pk)


def test_password_alone_does_not_log_in_a_person_with_totp(client, org):
    """After a correct password the person is only half-way: no session, no admin."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(org.discipline, generate_totp_secret())
    login(client, org.discipline.email)
    assert logged_in_user_id(client) is None
    assert client.get("/admin/").status_code == 302
    assert not authenticated_sessions()


# --- idle sessions -----------------------------------------------------------------------


def _session_row(client: Client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_session_expiry_is_the_idle_timeout(client, org):
    assert settings.SESSION_COOKIE_AGE == settings.QINGLIAN_SESSION_IDLE_MINUTES * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    login(client, org.finance_learner.email)
    assert client.session.get_expiry_age() == settings.QINGLIAN_SESSION_IDLE_MINUTES * 60
    expires = _session_row(client).expire_date
    expected = timezone.now() + timedelta(minutes=settings.QINGLIAN_SESSION_IDLE_MINUTES)
    assert abs((expires - expected).total_seconds()) < 30


def test_each_request_refreshes_the_idle_timeout(client, org):
    login(client, org.finance_learner.email)
    row = _session_row(client)
    row.expire_date = timezone.now() + timedelta(seconds=20)
    row.save()
    assert client.get("/").status_code == 200
    refreshed = _session_row(client).expire_date
    expected = timezone.now() + timedelta(minutes=settings.QINGLIAN_SESSION_IDLE_MINUTES)
    assert abs((refreshed - expected).total_seconds()) < 30


def test_an_idle_session_is_logged_out(client, org):
    client.force_login(org.finance_admin)
    assert client.get("/admin/").status_code == 200
    row = _session_row(client)
    row.expire_date = timezone.now() - timedelta(seconds=1)
    row.save()
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert client.get("/people/").status_code == 302


# --- provisioning ------------------------------------------------------------------------


def _provision(org, django_capture_on_commit_callbacks, **extra):
    fields = {"email": "Xin.Ren@Example.gov.cn", "full_name": "新人", "unit": org.finance_budget}
    fields.update(extra)
    with django_capture_on_commit_callbacks(execute=True):
        return person_provision(by=org.finance_admin, **fields)


def test_provisioning_mails_a_set_password_link(org, django_capture_on_commit_callbacks):
    person = _provision(org, django_capture_on_commit_callbacks)
    assert person.email == "xin.ren@example.gov.cn"
    assert not person.has_usable_password()
    assert RoleAssignment.objects.filter(
        user=person, role=Role.LEARNER, unit=org.finance_budget
    ).exists()
    address = EmailAddress.objects.get(user=person)
    assert address.email == person.email and address.primary and not address.verified
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [person.email]
    with translation.override("zh-hans"):  # provisioned from a Chinese request
        assert message.subject == gettext("Your Qinglian account: choose a password")
    assert person.full_name in message.body
    link = set_password_link(message)
    assert link.startswith("/accounts/password/reset/key/")


def test_provisioning_in_english_sends_an_english_link(org, django_capture_on_commit_callbacks):
    with translation.override("en"):
        _provision(org, django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    assert message.subject == "Your Qinglian account: choose a password"
    assert set_password_link(message).startswith("/en/accounts/password/reset/key/")


def _set_password(client: Client, link: str, password: str = NEW_PASSWORD):
    response = client.get(link)
    assert response.status_code == 302, "a valid key redirects to the key-less form"
    form_url = response["Location"]
    assert "set-password" in form_url
    page = client.get(form_url)
    _assert_site_layout(page)
    assert soup(page).find("input", attrs={"name": "password1"}) is not None
    return client.post(form_url, {"password1": password, "password2": password})


def test_set_password_link_lets_the_person_log_in_once(
    client, org, django_capture_on_commit_callbacks
):
    person = _provision(org, django_capture_on_commit_callbacks)
    link = set_password_link(mail.outbox[0])
    response = _set_password(client, link)
    assert response.status_code == 302
    assert "/accounts/password/reset/key/done/" in response["Location"]
    person.refresh_from_db()
    assert person.has_usable_password()
    assert logged_in_user_id(client) is None  # ACCOUNT_LOGIN_ON_PASSWORD_RESET is off

    response = login(client, person.email, NEW_PASSWORD)
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(person.pk)
    client.post("/accounts/logout/")

    # The link is spent: it shows the bad-token page and cannot set a password again.
    again = Client()
    response = again.get(link)
    assert response.status_code == 200
    assert response.context["token_fail"]
    form_url = link.rsplit("/", 2)[0].rsplit("-", 1)[0] + "-set-password/"
    again.post(form_url, {"password1": "Another-Secret-2026", "password2": "Another-Secret-2026"})
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)


def test_set_password_rejects_a_weak_password(client, org, django_capture_on_commit_callbacks):
    person = _provision(org, django_capture_on_commit_callbacks)
    response = _set_password(client, set_password_link(mail.outbox[0]), password="12345678")
    assert response.status_code == 200
    page = soup(response)
    password = page.find("input", attrs={"name": "password1"})
    assert password["aria-invalid"] == "true"
    assert "id_password1_error" in password["aria-describedby"]
    assert page.find(id="id_password1_error") is not None
    person.refresh_from_db()
    assert not person.has_usable_password()


def test_unit_admin_cannot_provision_outside_their_scope(org, django_capture_on_commit_callbacks):
    count = User.objects.count()
    with pytest.raises(PermissionDenied), django_capture_on_commit_callbacks(execute=True):
        person_provision(
            by=org.finance_admin, email="out@example.gov.cn", full_name="越权", unit=org.housing
        )
    with pytest.raises(PermissionDenied), django_capture_on_commit_callbacks(execute=True):
        person_provision(
            by=org.trainer, email="out2@example.gov.cn", full_name="越权", unit=org.finance
        )
    assert User.objects.count() == count
    assert mail.outbox == []


def test_provisioning_refuses_an_address_someone_already_uses(
    org, django_capture_on_commit_callbacks
):
    from django.core.exceptions import ValidationError

    EmailAddress.objects.create(
        user=org.finance_learner, email="second@example.gov.cn", verified=True
    )
    with pytest.raises(ValidationError):
        _provision(org, django_capture_on_commit_callbacks, email="SECOND@example.gov.cn")
    with pytest.raises(ValidationError):
        _provision(org, django_capture_on_commit_callbacks, email=org.budget_learner.email.upper())
    assert mail.outbox == []


def _admin_add_form(client: Client):
    response = client.get("/admin/users/new/")
    assert response.status_code == 200
    return soup(response)


def _admin_add_data(unit_pk: int, email: str = "admin.made@example.gov.cn") -> dict:
    return {
        "email": email,
        "full_name": "后台新人",
        "employee_number": "A-0001",
        "unit": str(unit_pk),
        "position_title": "科员",
        "rank_level": "",
        "is_active": "on",
    }


def test_admin_user_create_offers_only_units_in_scope(client, org):
    client.force_login(org.finance_admin)
    page = _admin_add_form(client)
    options = {
        o["value"]
        for o in page.find("select", attrs={"name": "unit"}).find_all("option")
        if o["value"]
    }
    assert options == {str(org.finance.pk), str(org.finance_budget.pk)}
    # No password fields: the person chooses their own.
    assert page.find("input", attrs={"name": "password1"}) is None


def test_admin_user_create_sends_the_set_password_mail(
    client, org, django_capture_on_commit_callbacks
):
    client.force_login(org.finance_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/users/new/", _admin_add_data(org.finance_budget.pk))
    assert response.status_code == 302, soup(response).find_all(class_="error-message")
    person = User.objects.get(email="admin.made@example.gov.cn")
    assert person.unit == org.finance_budget
    assert not person.has_usable_password()
    assert RoleAssignment.objects.filter(
        user=person, role=Role.LEARNER, unit=org.finance_budget
    ).exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [person.email]
    # The mailed link works.
    other = Client()
    assert _set_password(other, set_password_link(mail.outbox[0])).status_code == 302
    login(other, person.email, NEW_PASSWORD)
    assert logged_in_user_id(other) == str(person.pk)


def test_admin_user_create_refuses_a_unit_outside_scope(
    client, org, django_capture_on_commit_callbacks
):
    client.force_login(org.finance_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/users/new/", _admin_add_data(org.housing.pk))
    assert response.status_code == 200
    assert not User.objects.filter(email="admin.made@example.gov.cn").exists()
    assert mail.outbox == []


def test_admin_user_create_refuses_an_address_someone_else_uses(client, org):
    EmailAddress.objects.create(
        user=org.budget_learner, email="taken@example.gov.cn", verified=True
    )
    client.force_login(org.finance_admin)
    data = _admin_add_data(org.finance_budget.pk, email="Taken@example.gov.cn")
    response = client.post("/admin/users/new/", data)
    assert response.status_code == 200
    assert User.objects.filter(email__iexact="taken@example.gov.cn").count() == 0


def test_admin_email_change_moves_the_login(client, org):
    person = org.budget_learner
    EmailAddress.objects.create(user=person, email=person.email, primary=True, verified=True)
    client.force_login(org.finance_admin)
    data = _admin_add_data(org.finance_budget.pk, email="li.si.new@example.gov.cn")
    data.update(full_name=person.full_name, employee_number=person.employee_number)
    response = client.post(f"/admin/users/edit/{person.pk}/", data)
    assert response.status_code == 302, soup(response).find_all(class_="error-message")
    assert list(EmailAddress.objects.filter(user=person).values_list("email", "verified")) == [
        ("li.si.new@example.gov.cn", False)
    ]
    other = Client()
    login(other, "budget.learner@example.gov.cn")
    assert logged_in_user_id(other) is None
    login(other, "li.si.new@example.gov.cn")
    assert logged_in_user_id(other) == str(person.pk)


def test_learner_cannot_create_users_in_the_admin(client, org):
    client.force_login(org.finance_learner)
    response = client.post("/admin/users/new/", _admin_add_data(org.finance_budget.pk))
    assert response.status_code in (302, 403)
    assert not User.objects.filter(email="admin.made@example.gov.cn").exists()


# --- e-mail verification -----------------------------------------------------------------


def test_set_password_link_verifies_the_address(client, org, django_capture_on_commit_callbacks):
    person = _provision(org, django_capture_on_commit_callbacks)
    _set_password(client, set_password_link(mail.outbox[0]))
    address = EmailAddress.objects.get(user=person)
    assert address.verified and address.primary


@override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory")
def test_provisioned_person_logs_in_under_mandatory_verification(
    client, org, django_capture_on_commit_callbacks
):
    person = _provision(org, django_capture_on_commit_callbacks)
    _set_password(client, set_password_link(mail.outbox[0]))
    mail.outbox.clear()
    response = login(client, person.email, NEW_PASSWORD)
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(person.pk)
    assert mail.outbox == []  # no second "confirm your address" mail


@override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory")
def test_mandatory_verification_blocks_an_unverified_address_until_confirmed(client, org):
    learner = org.finance_learner
    EmailAddress.objects.create(user=learner, email=learner.email, primary=True, verified=False)
    response = login(client, learner.email)
    assert logged_in_user_id(client) is None
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    url = path_of(link.group(0))
    _assert_site_layout(client.get(url))
    client.post(url)
    assert EmailAddress.objects.get(user=learner).verified
    login(client, learner.email)
    assert logged_in_user_id(client) == str(learner.pk)


@override_settings(ACCOUNT_EMAIL_VERIFICATION="optional")
def test_optional_verification_lets_an_unverified_person_log_in(client, org):
    learner = org.finance_learner
    EmailAddress.objects.create(user=learner, email=learner.email, primary=True, verified=False)
    login(client, learner.email)
    assert logged_in_user_id(client) == str(learner.pk)


@override_settings(ACCOUNT_EMAIL_VERIFICATION="optional")
def test_adding_an_address_sends_a_confirmation_that_verifies_it(client, org):
    learner = org.finance_learner
    login(client, learner.email)
    response = client.post(
        "/accounts/email/", {"action_add": "", "email": "zhang.home@example.com"}
    )
    assert response.status_code == 302
    address = EmailAddress.objects.get(user=learner, email="zhang.home@example.com")
    assert not address.verified
    assert len(mail.outbox) == 1
    url = path_of(
        re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    )
    client.post(url)
    address.refresh_from_db()
    assert address.verified


# --- allauth pages inside the site layout ------------------------------------------------

ANONYMOUS_PAGES = [
    "/accounts/login/",
    "/en/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/en/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/done/",
]
LOGGED_IN_PAGES = [
    "/accounts/reauthenticate/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/logout/",
    "/accounts/2fa/",
    "/accounts/2fa/totp/activate/",
    "/en/accounts/2fa/totp/activate/",
]


def _assert_site_layout(response) -> None:
    assert response.status_code == 200
    page = soup(response)
    assert page.find("header", class_="site-header") is not None
    assert page.find("footer", class_="site-footer") is not None
    assert (
        page.find(class_="lang-switcher") is not None
        or page.find(attrs={"name": "language"}) is not None
    )
    assert page.find("main", id="main") is not None
    assert len(page.find_all("h1")) == 1
    title = page.title.get_text(" ", strip=True)
    assert title and not title.startswith("·")
    for field in page.find("main").find_all(["input", "select", "textarea"]):
        if field.get("type") in ("hidden", "submit", "button"):
            continue
        assert field.get("id"), field
        label = page.find("label", attrs={"for": field["id"]})
        assert label is not None and label.get_text(strip=True), field
        for ref in (field.get("aria-describedby") or "").split():
            assert page.find(id=ref) is not None, (field, ref)
    ids = [tag["id"] for tag in page.find_all(id=True)]
    assert len(ids) == len(set(ids)), "duplicate ids"


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_anonymous_account_pages_use_the_site_layout(client, db, path):
    response = client.get(path)
    _assert_site_layout(response)
    if "signup" not in path and "done" not in path:
        assert soup(response).find("form", class_="form-card") is not None


@pytest.mark.parametrize("path", LOGGED_IN_PAGES)
def test_logged_in_account_pages_use_the_site_layout(client, org, path):
    login(client, org.finance_learner.email)
    reauthenticate(client, path)
    _assert_site_layout(client.get(path))


def test_mfa_pages_with_totp_use_the_site_layout(client, org):
    with override_settings(MFA_TOTP_TOLERANCE=1):
        login(client, org.finance_learner.email)
        activate_totp(client)
        for path in (
            "/accounts/2fa/",
            "/accounts/2fa/recovery-codes/",
            "/accounts/2fa/totp/deactivate/",
        ):
            _assert_site_layout(client.get(path))
        client.post("/accounts/logout/")
        login(client, org.finance_learner.email)
        _assert_site_layout(client.get("/accounts/2fa/authenticate/"))


def test_login_errors_are_announced_and_tied_to_fields(client, org):
    response = client.post("/accounts/login/", {"login": "not-an-email", "password": ""})
    page = soup(response)
    assert page.find(attrs={"role": "alert"}) is not None
    login_input = page.find("input", attrs={"name": "login"})
    assert login_input["aria-invalid"] == "true"
    assert page.find(id=login_input["aria-describedby"].split()[-1]) is not None
