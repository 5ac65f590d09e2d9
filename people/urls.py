from django.urls import path

from . import views

app_name = "people"

urlpatterns = [
    path("", views.PersonListView.as_view(), name="list"),
    path("export.csv", views.PersonExportView.as_view(), name="export"),
    path("<int:pk>/", views.PersonDetailView.as_view(), name="detail"),
]

from . import views_import  # noqa: E402

urlpatterns += [
    path("import/", views_import.ImportUploadView.as_view(), name="import"),
    path("import/template.csv", views_import.ImportTemplateView.as_view(), name="import_template"),
    path("import/<int:pk>/", views_import.ImportPreviewView.as_view(), name="import_preview"),
    path(
        "import/<int:pk>/confirm/", views_import.ImportConfirmView.as_view(), name="import_confirm"
    ),
    path("import/<int:pk>/status/", views_import.ImportStatusView.as_view(), name="import_status"),
    path(
        "import/<int:pk>/status.json",
        views_import.ImportStatusJsonView.as_view(),
        name="import_status_json",
    ),
]
