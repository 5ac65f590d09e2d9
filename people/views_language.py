"""The header's language switcher: Django's ``set_language``, and for a logged-in person
the choice is remembered on their profile (the language of their e-mails and
notifications, and of the page they land on after logging in)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.i18n import set_language

from .access import public
from .services import person_language_set


@public
def language_set_view(request: HttpRequest) -> HttpResponse:
    """Open to anyone, like Django's view, whose checks stay in charge: the ``next`` URL
    must be on this site (else the home page), the language one Django knows, and only a
    POST changes anything (CSRF-protected by the middleware). The profile is written
    only when Django accepted the switch and the language is one the site offers."""
    response = set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    if (
        request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and response.cookies.get(settings.LANGUAGE_COOKIE_NAME) is not None
    ):
        person_language_set(user=request.user, language=language)
    return response
