from django.urls import path

from . import views_me

app_name = "me"

urlpatterns = [
    path("", views_me.my_learning_view, name="learning"),
    path("hours/", views_me.my_hours_view, name="hours"),
    path("settings/", views_me.my_settings_view, name="settings"),
]
