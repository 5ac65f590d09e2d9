from django.urls import path  # noqa: F401

app_name = "talk_records"
urlpatterns: list = []
