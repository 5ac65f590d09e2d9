"""allauth hooks: closed sign-up, language-keeping redirects (a person's stored language
wins at login), and the set-password form that also verifies the address the link was
sent to."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import ResetPasswordKeyForm
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation

from qinglian.http import url_in_language


def home_url() -> str:
    """The home page in the active language (``/`` for Chinese, ``/en/`` for English)."""
    return reverse("wagtail_serve", args=[""])


class AccountAdapter(DefaultAccountAdapter):
    """Public sign-up is off: unit admins provision accounts and the person gets a
    set-password link. Redirects keep the visitor's language."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        url = super().get_login_redirect_url(request)
        return home_url() if url == "/" else url

    def get_logout_redirect_url(self, request: HttpRequest) -> str:
        return home_url()

    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse:
        """A person who chose a language lands in it, whatever the language of the login
        page: the "logged in" message is written in it and the redirect (``next`` or the
        home page, both already checked by allauth to be on this site) is moved to that
        language's URL."""
        language = getattr(user, "language", "")
        if language not in dict(settings.LANGUAGES):
            return super().post_login(request, user, **kwargs)
        with translation.override(language):
            response = super().post_login(request, user, **kwargs)
        if response.status_code == 302 and response.has_header("Location"):
            response["Location"] = url_in_language(response["Location"], language)
        return response


class SetPasswordFromLinkForm(ResetPasswordKeyForm):
    """allauth's "password reset from key" form (``ACCOUNT_FORMS``). The link was mailed
    to the person's address, so using it proves they read that mailbox: the address is
    marked verified, and a provisioned person can log in even with mandatory
    verification (see ``people.services.account_email_verify_from_link``)."""

    def save(self) -> None:
        from .services import account_email_verify_from_link

        super().save()
        account_email_verify_from_link(user=self.user)
