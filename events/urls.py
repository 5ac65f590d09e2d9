"""``/events/…``: the URL patterns of each part of the app, under one namespace. Names
are prefixed by part: ``campaign_*``, ``event_*``, ``checkin_*`` / ``roster_*``,
``report_*``."""

from .url_parts import campaigns, checkin, events, reports

app_name = "events"

urlpatterns = [
    *events.urlpatterns,
    *campaigns.urlpatterns,
    *checkin.urlpatterns,
    *reports.urlpatterns,
]
