from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from people.access import public
from .views import health


class AdminLoginRedirect(RedirectView):
    """The Wagtail admin login goes through allauth, so the same rate limits, lockout and
    MFA cover every login path."""

    access_rule = "public"
    pattern_name = "account_login"
    query_string = True


urlpatterns = [
    path("health/", health, name="health"),
    path("i18n/setlang/", public(set_language), name="set_language"),
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
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)
