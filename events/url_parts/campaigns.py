"""``/events/campaigns/…``: campaigns, their actions, unit reports and evidence."""

from django.urls import path

from .. import views_campaigns as views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create_view, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path(
        "campaigns/<int:pk>/actions/new/",
        views.campaign_action_create,
        name="campaign_action_create",
    ),
    path(
        "campaigns/<int:pk>/actions/chosen/new/",
        views.campaign_chosen_create,
        name="campaign_chosen_create",
    ),
    path(
        "campaigns/actions/<int:pk>/edit/", views.campaign_action_edit, name="campaign_action_edit"
    ),
    path(
        "campaigns/actions/<int:action_pk>/units/<int:unit_pk>/report/",
        views.campaign_report_edit,
        name="campaign_report_edit",
    ),
    path(
        "campaigns/reports/<int:pk>/",
        views.campaign_report_detail,
        name="campaign_report_detail",
    ),
    path("campaigns/evidence/<int:pk>/", views.campaign_evidence, name="campaign_evidence"),
    path(
        "campaigns/evidence/<int:pk>/delete/",
        views.campaign_evidence_delete,
        name="campaign_evidence_delete",
    ),
]
