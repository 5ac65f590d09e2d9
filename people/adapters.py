"""allauth hooks: closed sign-up, language-keeping redirects, and the set-password form
that also verifies the address the link was sent to."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import ResetPasswordKeyForm
from django.http import HttpRequest
from django.urls import reverse


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


class SetPasswordFromLinkForm(ResetPasswordKeyForm):
    """allauth's "password reset from key" form (``ACCOUNT_FORMS``). The link was mailed
    to the person's address, so using it proves they read that mailbox: the address is
    marked verified, and a provisioned person can log in even with mandatory
    verification (see ``people.services.account_email_verify_from_link``)."""

    def save(self) -> None:
        from .services import account_email_verify_from_link

        super().save()
        account_email_verify_from_link(user=self.user)
