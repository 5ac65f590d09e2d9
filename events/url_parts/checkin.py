"""``/events/<pk>/checkin/…`` (the trainer's display and its JSON state) and
``/events/<pk>/roster/…`` (the roster and the paper-sheet import)."""

from django.urls import path

from .. import views_checkin as views

urlpatterns = [
    path("<int:pk>/checkin/display/", views.checkin_display, name="checkin_display"),
    path("<int:pk>/checkin/state/", views.checkin_state_json, name="checkin_state"),
    path("<int:pk>/roster/", views.roster, name="roster_list"),
    path("<int:pk>/roster/import/", views.roster_import, name="roster_import"),
]
