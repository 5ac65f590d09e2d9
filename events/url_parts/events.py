"""``/events/…`` pages of the events part (names ``event_*`` and ``leave_*``)."""

from django.urls import path

from .. import views_calendar, views_events

urlpatterns: list = [
    path("", views_events.event_list_view, name="event_list"),
    path("manage/", views_events.event_manage_view, name="event_manage"),
    path("new/", views_events.event_create_view, name="event_create"),
    path("calendar/", views_calendar.calendar_page_view, name="event_calendar"),
    path("calendar/reset/", views_calendar.calendar_reset_view, name="event_calendar_reset"),
    path("leave/", views_events.leave_list_view, name="leave_list"),
    path("leave/<int:pk>/", views_events.leave_decide_view, name="leave_decide"),
    path("<int:pk>/", views_events.event_detail_view, name="event_detail"),
    path("<int:pk>/edit/", views_events.event_edit_view, name="event_edit"),
    path("<int:pk>/cancel/", views_events.event_cancel_view, name="event_cancel"),
    path("<int:pk>/register/", views_events.event_register_view, name="event_register"),
    path("<int:pk>/unregister/", views_events.event_unregister_view, name="event_unregister"),
    path("<int:pk>/leave/", views_events.event_leave_view, name="event_leave"),
    path(
        "<int:pk>/leave/withdraw/",
        views_events.event_leave_withdraw_view,
        name="event_leave_withdraw",
    ),
    path("<int:pk>/event.ics", views_events.event_ics_view, name="event_ics"),
]
