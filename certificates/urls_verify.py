"""``/verify/`` and ``/verify/<code>/``: the public verification page (namespace
``verify``)."""

from django.urls import path

from . import views_verify as views

app_name = "verify"

urlpatterns = [
    path("", views.verify_lookup, name="lookup"),
    # Any text reaches the view, so a malformed code is answered like an unknown one.
    path("<str:code>/", views.verify_detail, name="detail"),
]
