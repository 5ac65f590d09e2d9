"""Wagtail admin for the question bank and quizzes: the "Question bank and quizzes" menu
(categories, questions, quizzes, overrides — :mod:`quizzes.viewsets`), the question
preview, the quiz statistics page and CSV, and the GIFT / Moodle XML import views
(:mod:`quizzes.admin_urls`)."""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from . import admin_urls
from .admin_preview_views import QuestionPreviewView
from .admin_stats_views import QuizStatisticsCsvView, QuizStatisticsView
from .viewsets import QuizzesGroup

register_snippet(QuizzesGroup)


@hooks.register("register_admin_urls")
def register_quiz_admin_urls() -> list[Any]:
    urls: list[Any] = [
        path(
            "quizzes/questions/<int:pk>/preview/",
            QuestionPreviewView.as_view(),
            name="quizzes_question_preview",
        ),
        path(
            "quizzes/<int:pk>/statistics/",
            QuizStatisticsView.as_view(),
            name="quizzes_statistics",
        ),
        path(
            "quizzes/<int:pk>/statistics/questions.csv",
            QuizStatisticsCsvView.as_view(),
            name="quizzes_statistics_csv",
        ),
    ]
    # GIFT / Moodle XML import and export: the names (quizzes_import_upload,
    # quizzes_import_preview, quizzes_import_confirm, quizzes_export) need no namespace.
    return [*urls, path("quizzes/import/", include(admin_urls))]
