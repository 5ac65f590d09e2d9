from django.urls import path

from . import views_records as views

app_name = "talk_records"

urlpatterns = [
    path("", views.TalkListView.as_view(), name="list"),
    path("new/", views.TalkScheduleView.as_view(), name="new"),
    path("mine/", views.MyTalkListView.as_view(), name="mine"),
    path("mine/<int:pk>/", views.MyTalkDetailView.as_view(), name="mine_detail"),
    path("<int:pk>/", views.TalkDetailView.as_view(), name="detail"),
    path("<int:pk>/reschedule/", views.TalkRescheduleView.as_view(), name="reschedule"),
    path("<int:pk>/cancel/", views.TalkCancelView.as_view(), name="cancel"),
    path("<int:pk>/record/", views.TalkRecordView.as_view(), name="record"),
    path("<int:pk>/follow-up/", views.TalkFollowUpView.as_view(), name="follow_up"),
    path("<int:pk>/close/", views.TalkCloseView.as_view(), name="close"),
]
