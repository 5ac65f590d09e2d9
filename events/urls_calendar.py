"""``/calendar/<token>.ics``: a person's private calendar feed (the token is the
credential)."""

from django.urls import path

from . import views_calendar

app_name = "calendar"
urlpatterns: list = [
    path("<str:token>.ics", views_calendar.calendar_feed_view, name="feed"),
]
