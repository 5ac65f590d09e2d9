from django.urls import path

from . import views_pledges

app_name = "pledges"
urlpatterns = [
    path("", views_pledges.pledge_list, name="list"),
    path("sign/<int:text_id>/", views_pledges.pledge_sign_view, name="sign"),
    path("<int:pk>/pdf/", views_pledges.pledge_signature_pdf, name="pdf"),
]
