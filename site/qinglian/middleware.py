"""Site-wide middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

# Views a staff user without MFA may still reach: setting MFA up (allauth asks for the
# password again first), verifying their e-mail address (allauth refuses to add an
# authenticator while any address is unverified), logging out, switching language, the
# health check.
_ALWAYS_ALLOWED_NAMES = frozenset(
    {
        "account_email",
        "account_confirm_email",
        "account_email_verification_sent",
        "mfa_activate_totp",
        "mfa_index",
        "mfa_reauthenticate",
        "mfa_generate_recovery_codes",
        "mfa_view_recovery_codes",
        "mfa_download_recovery_codes",
        "account_logout",
        "account_reauthenticate",
        "wagtailadmin_logout",
        "set_language",
        "health",
    }
)


class StaffMFARequiredMiddleware:
    """When ``QINGLIAN_REQUIRE_STAFF_MFA`` is on, a trainer, unit admin, discipline officer
    or superuser who has no TOTP authenticator is sent to set one up before anything else.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if getattr(settings, "QINGLIAN_REQUIRE_STAFF_MFA", False) and self._must_set_up(request):
            if request.method == "GET" and "text/html" in request.headers.get(
                "Accept", "text/html"
            ):
                # Only for pages: an icon or XHR request must not queue the notice again.
                from django.contrib import messages

                messages.warning(
                    request,
                    _(
                        "Your role requires two-factor authentication. Set up an authenticator app to continue."
                    ),
                )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    def _must_set_up(self, request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        path = request.path_info
        if path.startswith((settings.STATIC_URL, settings.MEDIA_URL)):
            return False
        # Match by view name, not by path: reverse() adds the script prefix and the
        # language prefix, request.path_info has neither in the same way.
        try:
            url_name = resolve(path).url_name
        except Resolver404:
            url_name = None
        if url_name in _ALWAYS_ALLOWED_NAMES:
            return False
        from allauth.mfa.models import Authenticator

        from people.selectors import user_needs_mfa

        if not user_needs_mfa(user=user):
            return False
        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
