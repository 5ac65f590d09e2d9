"""Attendance reports and their exports (names ``report_*``)."""

from django.urls import path, re_path

from .. import views_reports as views

urlpatterns = [
    path("reports/", views.ReportIndexView.as_view(), name="report_index"),
    path("<int:pk>/report/", views.EventReportView.as_view(), name="report_event"),
    re_path(
        r"^(?P<pk>[0-9]+)/report/export\.(?P<fmt>csv|xlsx)$",
        views.EventReportExportView.as_view(),
        name="report_event_export",
    ),
    path(
        "campaigns/<int:pk>/report/",
        views.CampaignReportView.as_view(),
        name="report_campaign",
    ),
    re_path(
        r"^campaigns/(?P<pk>[0-9]+)/report/export\.(?P<fmt>csv|xlsx)$",
        views.CampaignReportExportView.as_view(),
        name="report_campaign_export",
    ),
]
