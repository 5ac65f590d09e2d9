"""Question preview in the admin: the question as a cadre sees it, with the trainer's
extras — the correct answer and the explanation highlighted, the cited articles linked."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from people.access import RoleRequiredMixin
from people.models import Role

from .models import Question, QuestionType


class QuestionPreviewView(RoleRequiredMixin, WagtailAdminTemplateMixin, TemplateView):
    """Trainers and superusers (Wagtail turns the refusal into the admin home + message)."""

    access_roles: tuple[str, ...] = (Role.TRAINER,)
    template_name = "quizzes/admin/question_preview.html"
    page_title = gettext_lazy("Preview")
    header_icon = "view"

    def get_question(self) -> Question:
        if not hasattr(self, "_question"):
            self._question = get_object_or_404(
                Question.objects.select_related("category"), pk=self.kwargs["pk"]
            )
        return self._question

    def get_page_title(self) -> str:
        return _("Preview: %(question)s") % {"question": self.get_question().name}

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        question = self.get_question()
        return [
            *self.breadcrumbs_items,
            {"url": reverse("wagtailsnippets_quizzes_question:list"), "label": _("Questions")},
            {
                "url": reverse("wagtailsnippets_quizzes_question:edit", args=(question.pk,)),
                "label": question.name,
            },
            {"url": "", "label": _("Preview")},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        question = self.get_question()
        qtype = question.qtype
        options = list(question.options.order_by("sort_order", "pk"))
        if qtype == QuestionType.TRUE_FALSE:
            choices = [
                {"text": _("True"), "correct": question.true_false_answer is True},
                {"text": _("False"), "correct": question.true_false_answer is False},
            ]
        elif qtype == QuestionType.FILL:
            choices = []
        else:
            choices = [
                {"text": o.text, "correct": o.is_correct, "feedback": o.feedback} for o in options
            ]
        context.update(
            question=question,
            qtype_label=question.get_qtype_display(),
            input_type="checkbox" if qtype == QuestionType.MULTIPLE else "radio",
            choices=choices,
            accepted=[o.text for o in options] if qtype == QuestionType.FILL else [],
            is_fill=qtype == QuestionType.FILL,
            articles=list(question.articles.select_related("regulation")),
            category_name=question.category.full_name,
            version_count=question.versions.count(),
            edit_url=reverse("wagtailsnippets_quizzes_question:edit", args=(question.pk,)),
        )
        return context
