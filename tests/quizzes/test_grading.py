"""Grading of each question type (quizzes.grading), including fill-in normalisation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quizzes.grading import fill_normalise, response_mark

SINGLE = {
    "qtype": "single",
    "options": [{"id": 1, "correct": True}, {"id": 2, "correct": False}, {"id": 3}],
}
MULTIPLE = {
    "qtype": "multiple",
    "options": [
        {"id": 1, "correct": True},
        {"id": 2, "correct": True},
        {"id": 3, "correct": False},
        {"id": 4, "correct": False},
    ],
}
TF_TRUE = {"qtype": "truefalse", "options": [], "true_false_answer": True}
TF_FALSE = {"qtype": "truefalse", "options": [], "true_false_answer": False}
FILL = {
    "qtype": "fill",
    "options": [{"id": 9, "text": "廉洁自律", "correct": True}, {"id": 10, "text": "ABC 123"}],
}


def mark(content, response, max_mark="2"):
    return response_mark(content, response, Decimal(max_mark))


def test_single_choice():
    assert mark(SINGLE, [1]) == Decimal("2.00")
    assert mark(SINGLE, [2]) == 0
    assert mark(SINGLE, [1, 2]) == 0  # two picks on a single-choice question earn nothing
    assert mark(SINGLE, None) == 0
    assert mark(SINGLE, []) == 0


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ([1, 2], "2.00"),  # all right, none wrong: full mark
        ([1], "1.00"),  # half of the right ones
        ([1, 3], "0.00"),  # one right cancelled by one wrong
        ([1, 2, 3], "1.00"),  # two right, one wrong
        ([1, 2, 3, 4], "0.00"),  # ticking everything earns nothing
        ([3, 4], "0.00"),  # never below 0
        ([], "0.00"),
    ],
)
def test_multiple_choice_partial_credit_wrong_picks_cancel(chosen, expected):
    assert mark(MULTIPLE, chosen) == Decimal(expected)


def test_multiple_choice_rounds_half_up():
    three = {"qtype": "multiple", "options": [{"id": i, "correct": True} for i in (1, 2, 3)]}
    assert response_mark(three, [1], Decimal("1")) == Decimal("0.33")
    assert response_mark(three, [1, 2], Decimal("1")) == Decimal("0.67")


def test_true_false():
    assert mark(TF_TRUE, ["true"]) == Decimal("2.00")
    assert mark(TF_TRUE, ["false"]) == 0
    assert mark(TF_FALSE, ["false"]) == Decimal("2.00")
    assert mark(TF_FALSE, ["true", "false"]) == 0


@pytest.mark.parametrize(
    "text",
    [
        "廉洁自律",
        " 廉洁自律 ",
        "廉洁　自律",  # ideographic space
        "abc123",
        "ＡＢＣ　１２３",  # full-width letters, digits and space
        "Abc 123",
        "aBc\t123\n",
    ],
)
def test_fill_in_accepted_after_normalising(text):
    assert mark(FILL, {"text": text}) == Decimal("2.00")


@pytest.mark.parametrize("text", ["廉洁", "abc1234", "", "   "])
def test_fill_in_wrong_or_empty(text):
    assert mark(FILL, {"text": text}) == 0


def test_fill_normalise():
    assert fill_normalise("ＡＢＣ　１２３") == "abc123"
    assert fill_normalise("（廉洁）") == "(廉洁)"
    assert fill_normalise("Straße") == "strasse"
