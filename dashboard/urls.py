from django.urls import path

from . import views, views_exports

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard_view, name="index"),
    path("people/", views.people_view, name="people"),
    path("enrolments/", views.enrolments_view, name="enrolments"),
    path("export/<str:table>.<str:fmt>", views_exports.export_view, name="export"),
    path("exports/<int:pk>/", views_exports.export_job_view, name="export_job"),
    path(
        "exports/<int:pk>/download/",
        views_exports.export_job_download_view,
        name="export_job_download",
    ),
]
