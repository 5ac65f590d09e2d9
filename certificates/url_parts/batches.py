"""``/certificates/batches/…``: ZIP batches of a course's or campaign's certificates
(names ``batch_*``)."""

from django.urls import path

from .. import views_batches as views

urlpatterns = [
    path("batches/", views.batch_list_view, name="batch_list"),
    path("batches/new/", views.batch_create_view, name="batch_create"),
    path("batches/<int:pk>/", views.batch_detail_view, name="batch_detail"),
    path("batches/<int:pk>/download/", views.batch_download_view, name="batch_download"),
]
