from django.urls import path  # noqa: F401

app_name = "integrity_file"
urlpatterns: list = []
