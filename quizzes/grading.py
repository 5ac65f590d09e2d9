"""Grading of one answered question, from the immutable ``QuestionVersion.content``.

Pure functions (no database), so the rules are easy to read and to test:

* **single choice** and **true / false**: the full mark when the one chosen option is a
  correct one, otherwise 0;
* **multiple choice** (Moodle's "partial credit, wrong choices cancel"): each correct
  option chosen earns ``1 / C`` of the mark (``C`` = number of correct options), each wrong
  option chosen takes ``1 / C`` away; the total is kept between 0 and the full mark. All
  correct options and no wrong one is the full mark; choosing every option never scores
  more than choosing none of the wrong ones;
* **fill in the blank**: the full mark when the answer equals one of the accepted answers
  after :func:`fill_normalise` (full-width → half-width, spaces removed, case folded).

Marks are rounded half-up to 2 decimals.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

TWO_PLACES = Decimal("0.01")
_SPACE = re.compile(r"\s+")


def fill_normalise(text: str) -> str:
    """The comparable form of a fill-in answer: NFKC (full-width letters, digits and
    punctuation → half-width; compatibility characters folded), every whitespace
    character removed (including the ideographic space U+3000), case folded."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    return _SPACE.sub("", text).casefold()


def _round(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def correct_option_ids(content: dict[str, Any]) -> set[Any]:
    """The ids a fully correct choice answer picks (``"true"``/``"false"`` for true/false)."""
    if content.get("qtype") == "truefalse":
        answer = content.get("true_false_answer")
        return set() if answer is None else {"true" if answer else "false"}
    return {o["id"] for o in content.get("options", []) if o.get("correct")}


def response_fraction(content: dict[str, Any], response: Any) -> Decimal:
    """The share of the mark (0 … 1) that ``response`` earns."""
    if response is None:
        return Decimal(0)
    qtype = content.get("qtype")
    if qtype == "fill":
        text = response.get("text", "") if isinstance(response, dict) else ""
        given = fill_normalise(text)
        if not given:
            return Decimal(0)
        accepted = {fill_normalise(o.get("text", "")) for o in content.get("options", [])}
        return Decimal(1) if given in accepted else Decimal(0)
    chosen = set(response) if isinstance(response, list) else set()
    correct = correct_option_ids(content)
    if not chosen or not correct:
        return Decimal(0)
    if qtype in ("single", "truefalse"):
        return Decimal(1) if len(chosen) == 1 and chosen <= correct else Decimal(0)
    # multiple: right picks earn, wrong picks cancel, never below 0 or above 1
    right = len(chosen & correct)
    wrong = len(chosen - correct)
    fraction = Decimal(right - wrong) / Decimal(len(correct))
    return max(Decimal(0), min(Decimal(1), fraction))


def response_mark(content: dict[str, Any], response: Any, max_mark: Decimal) -> Decimal:
    """The mark ``response`` earns out of ``max_mark``."""
    return _round(Decimal(max_mark) * response_fraction(content, response))
