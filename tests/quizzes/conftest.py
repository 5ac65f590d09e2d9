"""Generic quiz fixtures: a category with N questions of each type and a quiz drawing
from it. ``bank(n)`` builds a fresh bank (own category) of ``n`` questions per type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from quizzes.factories import QuestionFactory, category_create
from quizzes.models import Question, QuestionCategory, Quiz, QuizSection


@dataclass
class Bank:
    category: QuestionCategory
    single: list[Question] = field(default_factory=list)
    multiple: list[Question] = field(default_factory=list)
    truefalse: list[Question] = field(default_factory=list)
    fill: list[Question] = field(default_factory=list)

    @property
    def all(self) -> list[Question]:
        return [*self.single, *self.multiple, *self.truefalse, *self.fill]


def bank_create(*, name: str = "廉洁题库", per_type: int = 3) -> Bank:
    category = category_create(name=name)
    bank = Bank(category=category)
    for i in range(per_type):
        bank.single.append(
            QuestionFactory(
                category=category,
                qtype="single",
                explanation=f"<p>EXPLAIN-S{i}</p>",
                options=[
                    (f"单选正确{i}", True),
                    (f"单选错误{i}a", False),
                    (f"单选错误{i}b", False),
                ],
            )
        )
        bank.multiple.append(
            QuestionFactory(
                category=category,
                qtype="multiple",
                explanation=f"<p>EXPLAIN-M{i}</p>",
                options=[
                    (f"多选正确{i}a", True),
                    (f"多选正确{i}b", True),
                    (f"多选错误{i}a", False),
                    (f"多选错误{i}b", False),
                ],
            )
        )
        bank.truefalse.append(
            QuestionFactory(
                category=category,
                qtype="truefalse",
                true_false_answer=(i % 2 == 0),
                explanation=f"<p>EXPLAIN-T{i}</p>",
                options=[],
            )
        )
        bank.fill.append(
            QuestionFactory(
                category=category,
                qtype="fill",
                explanation=f"<p>EXPLAIN-F{i}</p>",
                options=[(f"ACCEPTED{i}廉洁", True), (f"ALT{i} answer", True)],
            )
        )
    return bank


def quiz_create(*, category: QuestionCategory, draw: int, **fields: Any) -> Quiz:
    fields.setdefault("slug", f"quiz-{Quiz.objects.count() + 1}")
    fields.setdefault("title", "廉洁知识测试")
    quiz = Quiz.objects.create(**fields)
    QuizSection.objects.create(quiz=quiz, category=category, draw_count=draw, sort_order=0)
    return quiz


@pytest.fixture
def bank(db) -> Bank:
    return bank_create()


@pytest.fixture
def quiz(bank: Bank) -> Quiz:
    """Draws every question of the bank (12), 5 per page, no time limit."""
    return quiz_create(category=bank.category, draw=len(bank.all), questions_per_page=5)
