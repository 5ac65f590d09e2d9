from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.RegulationListView.as_view(), name="regulation_list"),
    path("<slug:slug>/", views.RegulationDetailView.as_view(), name="regulation"),
    path("<slug:slug>/<int:number>/", views.ArticleDetailView.as_view(), name="article"),
]
