"""``/certificates/…`` for unit admins and discipline officers: list, detail, PDF, revoke,
reissue (names ``certificate_*``)."""

from django.urls import path

from .. import views_manage as views

urlpatterns = [
    path("", views.certificate_list, name="certificate_list"),
    path("<int:pk>/", views.certificate_detail, name="certificate_detail"),
    path("<int:pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("<int:pk>/revoke/", views.certificate_revoke_view, name="certificate_revoke"),
    path("<int:pk>/reissue/", views.certificate_reissue_view, name="certificate_reissue"),
]
