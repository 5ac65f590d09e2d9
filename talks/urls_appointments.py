from django.urls import path

from . import views_appointments as views

app_name = "appointments"

urlpatterns = [
    path("", views.AppointmentDashboardView.as_view(), name="list"),
    path("new/", views.AppointmentCreateView.as_view(), name="new"),
    path("import/", views.AppointmentImportView.as_view(), name="import"),
    path(
        "import/template.csv",
        views.AppointmentImportTemplateView.as_view(),
        name="import_template",
    ),
    path("mine/", views.MyAppointmentsView.as_view(), name="mine"),
    path("export.csv", views.AppointmentExportView.as_view(fmt="csv"), name="export_csv"),
    path("export.xlsx", views.AppointmentExportView.as_view(fmt="xlsx"), name="export_xlsx"),
    path("<int:pk>/", views.AppointmentDetailView.as_view(), name="detail"),
    path(
        "<int:pk>/steps/<int:step_pk>/waive/",
        views.StepWaiveView.as_view(),
        name="waive",
    ),
]
