from django.urls import path

from . import views

app_name = "quizzes"

urlpatterns = [
    path("attempt/<str:token>/", views.attempt_view, name="attempt"),
    path("attempt/<str:token>/save/", views.attempt_save_json, name="save"),
    path("attempt/<str:token>/submit/", views.attempt_submit_view, name="submit"),
    path("attempt/<str:token>/review/", views.attempt_review_view, name="review"),
    path("<slug:slug>/", views.quiz_detail, name="detail"),
    path("<slug:slug>/start/", views.quiz_start, name="start"),
]
