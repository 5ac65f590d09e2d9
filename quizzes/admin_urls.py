"""Admin URLs of the question import and export (:mod:`quizzes.admin_views`).

Included by ``quizzes.wagtail_hooks`` under ``/admin/quizzes/import/`` (through
``register_admin_urls``, so Wagtail's admin-access check wraps them). The names resolve
without a namespace: ``quizzes_import_upload``, ``quizzes_import_preview`` (``pk``),
``quizzes_import_confirm`` (``pk``) and ``quizzes_export`` (``category_id``).
"""

from __future__ import annotations

from django.urls import path

from . import admin_views

urlpatterns = [
    path("", admin_views.QuestionImportUploadView.as_view(), name="quizzes_import_upload"),
    path(
        "<int:pk>/",
        admin_views.QuestionImportPreviewView.as_view(),
        name="quizzes_import_preview",
    ),
    path(
        "<int:pk>/confirm/",
        admin_views.QuestionImportConfirmView.as_view(),
        name="quizzes_import_confirm",
    ),
    path(
        "export/<int:category_id>/",
        admin_views.QuestionExportView.as_view(),
        name="quizzes_export",
    ),
]
