from django.urls import path

from . import views_file

app_name = "integrity_file"
urlpatterns = [
    path("", views_file.my_file, name="mine"),
    path("pdf/", views_file.my_file_pdf, name="mine_pdf"),
    path("<int:person_id>/", views_file.person_file, name="person"),
    path("<int:person_id>/pdf/", views_file.person_file_pdf, name="person_pdf"),
]
