from django.urls import path

from . import views

app_name = "people"

urlpatterns = [
    path("", views.PersonListView.as_view(), name="list"),
    path("export.csv", views.PersonExportView.as_view(), name="export"),
    path("<int:pk>/", views.PersonDetailView.as_view(), name="detail"),
]
