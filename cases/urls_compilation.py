"""Case compilations (警示教育读本), included at ``cases/compilations/``."""

from django.urls import path

from . import views_compilation as views

app_name = "compilations"

urlpatterns = [
    path("", views.CompilationListView.as_view(), name="list"),
    path("new/", views.CompilationCreateView.as_view(), name="new"),
    path("<int:pk>/", views.CompilationDetailView.as_view(), name="detail"),
    path("<int:pk>/status.json", views.CompilationStatusJsonView.as_view(), name="status_json"),
    path("<int:pk>/download/", views.CompilationDownloadView.as_view(), name="download"),
]
