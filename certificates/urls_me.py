"""``/me/certificates/…``: the holder's own certificates (namespace ``my_certificates``).

The transcript action (``transcript``) is the courses app's view: the ledger belongs to
courses, and the certificates app's services import no domain app (ARCHITECTURE.md);
only this URL wiring names it."""

from django.urls import path

from courses.views_me import my_transcript_view

from . import views_me

app_name = "my_certificates"

urlpatterns = [
    path("", views_me.my_certificates_view, name="list"),
    path("<int:pk>/pdf/", views_me.my_certificate_pdf_view, name="pdf"),
    path("transcript/", my_transcript_view, name="transcript"),
]
