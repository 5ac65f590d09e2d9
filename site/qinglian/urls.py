from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from people.views_language import language_set_view

from .search_views import search
from .views import health


class AdminLoginRedirect(RedirectView):
    """The Wagtail admin login goes through allauth, so the same rate limits, lockout and
    MFA cover every login path."""

    access_rule = "public"
    pattern_name = "account_login"
    query_string = True


urlpatterns = [
    path("health/", health, name="health"),
    # Django's set_language; a logged-in person's choice is also stored on their profile.
    path("i18n/setlang/", language_set_view, name="set_language"),
    path("admin/login/", AdminLoginRedirect.as_view(), name="wagtailadmin_login"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += i18n_patterns(
    path("accounts/", include("allauth.urls")),
    path("people/", include("people.urls")),
    path("regulations/", include("cases.urls")),
    path("cases/compilations/", include("cases.urls_compilation")),
    path("search/", search, name="search"),
    path("me/certificates/", include("certificates.urls_me")),
    path("me/", include("courses.urls_me")),
    path("study/", include("courses.urls")),
    path("assignments/", include("courses.urls_assignments")),
    path("notifications/", include("notifications.urls")),
    path("quizzes/", include("quizzes.urls")),
    path("events/", include("events.urls")),
    path("checkin/", include("events.urls_checkin")),
    path("calendar/", include("events.urls_calendar")),
    path("appointments/", include("talks.urls_appointments")),
    path("talk-records/", include("talks.urls_records")),
    path("pledges/", include("talks.urls_pledges")),
    path("integrity-file/", include("talks.urls_file")),
    path("audit/", include("audit.urls")),
    path("certificates/", include("certificates.urls")),
    path("verify/", include("certificates.urls_verify")),
    path("dashboard/", include("dashboard.urls")),
    # Wagtail's private-page login would be a second login form: send it to allauth too.
    path("_util/login/", AdminLoginRedirect.as_view(), name="wagtailcore_login"),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)

# Access rules of the third-party views included above (our own views declare theirs with
# the decorators and mixins in ``people.access``). tests/people/test_access_rules.py walks
# every URL pattern, fails on a view with no rule, and probes that "logged-in" views
# really send anonymous visitors to the login page.
THIRD_PARTY_ACCESS_RULES: dict[str, str] = {
    # allauth: pages a visitor uses before logging in.
    "account_login": "public",
    "account_logout": "public",
    "account_signup": "public",  # closed: shows the "sign-up closed" page
    "account_inactive": "public",
    "account_reset_password": "public",
    "account_reset_password_done": "public",
    "account_reset_password_from_key": "public",
    "account_reset_password_from_key_done": "public",
    "account_confirm_email": "public",
    "account_email_verification_sent": "public",
    "account_confirm_login_code": "public",
    "account_request_login_code": "public",
    "account_confirm_password_reset_code": "public",
    "account_complete_password_reset": "public",
    "account_password_reset_completed": "public",
    "mfa_authenticate": "public",  # the second login step; needs a pending login
    "mfa_trust": "public",
    "mfa_login_webauthn": "public",
    "mfa_signup_webauthn": "public",
    "account_signup_by_passkey": "public",
    # allauth: the person's own account pages; allauth requires login for each.
    "account_email": "logged-in",
    "account_change_password": "logged-in",
    "account_set_password": "logged-in",
    "account_reauthenticate": "logged-in",
    "mfa_index": "logged-in",
    "mfa_reauthenticate": "logged-in",
    "mfa_activate_totp": "logged-in",
    "mfa_deactivate_totp": "logged-in",
    "mfa_view_recovery_codes": "logged-in",
    "mfa_generate_recovery_codes": "logged-in",
    "mfa_download_recovery_codes": "logged-in",
    "mfa_list_webauthn": "logged-in",
    "mfa_add_webauthn": "logged-in",
    "mfa_reauthenticate_webauthn": "logged-in",
    "mfa_remove_webauthn": "logged-in",
    "mfa_edit_webauthn": "logged-in",
    # Wagtail admin assets that are public by design: the icon sprite and JS catalogue.
    "wagtailadmin_sprite": "public",
    "wagtailadmin_javascript_catalog": "public",
    # Wagtail front end: pages enforce their own privacy settings; documents are served
    # through Wagtail's serve view, which checks collection privacy.
    "wagtail_serve": "public",
    "wagtail_serve_preview": "public",
    "wagtaildocs_serve": "public",
    "wagtaildocs_authenticate_with_password": "public",
    "wagtailcore_authenticate_with_password": "public",
}

handler403 = "audit.views.permission_denied"
