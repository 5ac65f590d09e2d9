from django.urls import path

from . import views

app_name = "courses"

urlpatterns = [
    path("lessons/<int:lesson_id>/heartbeat/", views.lesson_heartbeat, name="heartbeat"),
    path("lessons/<int:lesson_id>/studied/", views.lesson_studied, name="studied"),
]
