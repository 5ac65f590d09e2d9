"""``/checkin/<token>/``: the link in the rotating QR code, and ``/checkin/done/`` where
the login returns to record a scan kept in the session."""

from django.urls import path

from . import views_checkin as views

app_name = "checkin"
urlpatterns = [
    path("done/", views.checkin_complete, name="complete"),
    path("<str:token>/", views.checkin_scan, name="scan"),
]
