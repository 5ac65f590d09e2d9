from django.urls import path

from . import views_assignments as views

app_name = "assignments"

urlpatterns = [
    path("", views.AssignmentListView.as_view(), name="list"),
    path("new/", views.AssignmentCreateView.as_view(), name="new"),
    path("<int:pk>/", views.AssignmentDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.AssignmentEditView.as_view(), name="edit"),
    path("<int:pk>/withdraw/", views.AssignmentDeactivateView.as_view(), name="deactivate"),
    path("<int:pk>/export.csv", views.AssignmentExportView.as_view(fmt="csv"), name="export_csv"),
    path(
        "<int:pk>/export.xlsx", views.AssignmentExportView.as_view(fmt="xlsx"), name="export_xlsx"
    ),
    path("enrol/<int:course_id>/", views.self_enrol, name="self_enrol"),
]
