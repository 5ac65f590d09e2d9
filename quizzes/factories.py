"""Factories for question banks and quizzes; used by tests and ``build_demo``."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from .models import (
    Question,
    QuestionCategory,
    QuestionOption,
    QuestionType,
    Quiz,
    QuizSection,
)


def category_create(*, name: str, parent: QuestionCategory | None = None) -> QuestionCategory:
    """Get or create a category by name under ``parent`` (a root when ``parent`` is None)."""
    siblings = parent.get_children() if parent else QuestionCategory.get_root_nodes()
    existing = siblings.filter(name=name).first()
    if existing is not None:
        return existing
    if parent is None:
        return QuestionCategory.add_root(name=name)
    parent.refresh_from_db()
    return parent.add_child(name=name)


class QuestionFactory(DjangoModelFactory):
    """A single-choice question with four options, the first one correct.

    ``QuestionFactory(qtype="truefalse", true_false_answer=True, options=[])`` and
    ``QuestionFactory(qtype="fill", options=[("廉洁", True)])`` make the other types;
    ``options`` is a list of ``(text, is_correct)``.
    """

    class Meta:
        model = Question
        skip_postgeneration_save = True

    category = factory.LazyFunction(lambda: category_create(name="测试题库"))
    qtype = QuestionType.SINGLE
    name = factory.Sequence(lambda n: f"测试题{n}")
    stem = factory.LazyAttribute(lambda o: f"<p>{o.name}：下列哪一项符合廉洁纪律要求？</p>")
    explanation = "<p>依据《中国共产党纪律处分条例》。</p>"

    @factory.post_generation
    def options(obj, create, extracted, **kwargs):
        if not create:
            return
        choices = (
            extracted
            if extracted is not None
            else [
                ("拒收礼金并报告", True),
                ("收下后转交", False),
                ("私下退回不报告", False),
                ("先收下再说", False),
            ]
        )
        for i, (text, correct) in enumerate(choices):
            QuestionOption.objects.create(question=obj, text=text, is_correct=correct, sort_order=i)


class QuizFactory(DjangoModelFactory):
    """A quiz with one section that draws ``draw`` questions from ``category``."""

    class Meta:
        model = Quiz
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"廉洁知识测试{n}")
    slug = factory.Sequence(lambda n: f"quiz-{n}")

    @factory.post_generation
    def section(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        QuizSection.objects.create(
            quiz=obj,
            category=kwargs.get("category") or category_create(name="测试题库"),
            draw_count=kwargs.get("draw", 5),
            sort_order=0,
        )
