"""Moodle XML (https://docs.moodle.org/en/Moodle_XML_format): a reader and a writer.

Reading: ``<quiz>`` holds ``<question type="…">`` elements in order. A
``type="category"`` entry (``$course$/a/b``; the ``$…$`` context root and its ``top``
are dropped) sets the category of the questions after it. ``multichoice``
(``<single>``), ``truefalse`` and ``shortanswer`` are imported; every other type
(essay, matching, numerical, cloze/multianswer, description, calculated, drag and drop,
…) is listed as unsupported. Answer grades must be ones Moodle accepts (33 % is not):
an invalid grade is an error and nothing is imported. The file is parsed with
``defusedxml`` (no DTD, no entities: no billion laughs, no external entities).

Writing (:func:`moodle_xml_write`): a category and its subcategories, each question
with its type, text, options, correctness, feedback, explanation, tags, ID number and
mark, so that reading it back gives the same bank.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from .base import (
    MOODLE_FRACTIONS,
    Choice,
    ParseResult,
    category_names_check,
    category_path_split,
    choices_map,
    derived_name,
    fill_map,
    fraction_allowed,
    html_to_text,
    lengths_check,
    percent_parse,
    plain_text,
    problem,
    question_new,
    rich_text,
)

FORMATS: Final = {
    "html": "html",
    "moodle_auto_format": "moodle",
    "plain_text": "plain",
    "markdown": "markdown",
}
UNSUPPORTED_KINDS: Final = {
    "essay": "essay",
    "match": "matching",
    "matching": "matching",
    "randomsamatch": "matching",
    "numerical": "numerical",
    "multianswer": "cloze",
    "cloze": "cloze",
    "description": "description",
    "calculated": "calculated",
    "calculatedsimple": "calculated",
    "calculatedmulti": "calculated",
    "ddwtos": "drag",
    "ddimageortext": "drag",
    "ddmarker": "drag",
    "gapselect": "gapselect",
    "ordering": "ordering",
    "random": "random",
}
# Characters XML 1.0 cannot hold; dropped from what we write.
_UNSAFE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class _LineParser(DefusedXMLParser):
    """Records each element's line (``sourceline``) for the problem reports."""

    def _start(self, *args: Any, **kwargs: Any) -> ET.Element:
        element = super()._start(*args, **kwargs)  # type: ignore[misc]
        element.sourceline = self.parser.CurrentLineNumber  # type: ignore[attr-defined]
        return element


def _line(element: ET.Element | None) -> int | None:
    return getattr(element, "sourceline", None)


def _text(element: ET.Element | None, path: str = "text") -> str:
    if element is None:
        return ""
    node = element.find(path) if path else element
    return (node.text or "") if node is not None else ""


def _formatted(element: ET.Element | None, default: str = "html") -> tuple[str, str]:
    """(text, format) of a ``<questiontext format="…"><text>…`` element."""
    if element is None:
        return "", default
    fmt = FORMATS.get(element.get("format", ""), default)
    return _text(element), fmt


def _has_files(element: ET.Element | None) -> bool:
    return element is not None and element.find("file") is not None


def moodle_xml_parse(*, text: str) -> ParseResult:
    """Read Moodle XML (already decoded to text) into a :class:`~.base.ParseResult`."""
    result = ParseResult()
    parser = _LineParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(text.lstrip("\ufeff"))
        root = parser.close()
    except DefusedXmlException:
        result.error("xml_dtd", 1)
        return result
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        detail = str(exc).split(":")[0]
        result.error("xml_syntax", line, detail=detail)
        return result
    if root.tag != "quiz":
        result.error("xml_root", _line(root))
        return result

    category: list[str] = []
    for element in root.iter("question"):
        qtype = (element.get("type") or "").strip().lower()
        line = _line(element)
        if qtype == "category":
            raw = _text(element.find("category"))
            if not raw.strip():
                result.error("xml_category", line)
                continue
            category = category_path_split(raw)
            category_names_check(category, line, result)
            info = plain_text(*_formatted(element.find("info"), "moodle"))
            result.items.append({"kind": "category", "line": line, "path": category, "info": info})
            continue
        title = _text(element.find("name")).strip()
        if qtype not in ("multichoice", "truefalse", "shortanswer"):
            stem, _ = rich_text(*_formatted(element.find("questiontext")))
            result.unsupported.append(
                {
                    "line": line,
                    "title": title or derived_name(stem, "")[0],
                    "kind": UNSUPPORTED_KINDS.get(qtype, "other"),
                    "category": "/".join(category),
                }
            )
            continue
        _question(element, qtype, title, category, result)
    return result


def _question(
    element: ET.Element, qtype: str, title: str, category: list[str], result: ParseResult
) -> None:
    line = _line(element)
    questiontext = element.find("questiontext")
    stem, dropped = rich_text(*_formatted(questiontext))
    if not html_to_text(stem):
        result.error("no_text", line)
        return
    notes: list[dict[str, Any]] = []
    if _has_files(questiontext) or "@@PLUGINFILE@@" in _text(questiontext):
        notes.append(problem("note_images", line))
    elif dropped:
        notes.append(problem("note_format_removed", line))
    explanation, _ = rich_text(*_formatted(element.find("generalfeedback")))
    mark = _text(element, "defaultgrade").strip()
    default_mark = None
    if mark:
        try:
            value = Decimal(mark)
        except InvalidOperation:
            value = Decimal(-1)
        if not value.is_finite() or value < Decimal("0.01") or value >= 1000:
            result.error("xml_mark", _line(element.find("defaultgrade")) or line, mark=mark[:20])
            return
        default_mark = str(value.quantize(Decimal("0.01")))
    tags = [_text(tag) for tag in element.findall("tags/tag")]
    common: dict[str, Any] = {
        "line": line,
        "category": category,
        "title": title,
        "stem": stem,
        "explanation": explanation,
        "idnumber": _text(element, "idnumber"),
        "tags": tags,
        "default_mark": default_mark,
        "is_active": _text(element, "hidden").strip() not in ("1", "true"),
    }

    choices: list[Choice] = []
    ok = True
    for answer in element.findall("answer"):
        answer_line = _line(answer) or line
        raw_fraction = answer.get("fraction", "0")
        percent = percent_parse(raw_fraction)
        if percent is None:
            result.error("xml_fraction", answer_line, fraction=raw_fraction[:20])
            ok = False
            continue
        if not fraction_allowed(percent / 100):
            result.error("weight_not_allowed", answer_line, weight=str(percent.normalize()))
            ok = False
            continue
        answer_fmt = FORMATS.get(answer.get("format", ""), "moodle")
        text = plain_text(_text(answer), answer_fmt)
        feedback = plain_text(*_formatted(answer.find("feedback")))
        if not text and qtype != "truefalse":
            result.error("empty_answer", answer_line)
            ok = False
            continue
        choices.append(Choice(text=text, feedback=feedback, percent=percent, line=answer_line))
    if not ok:
        return

    errors_before = len(result.errors)
    if qtype == "truefalse":
        right = [c for c in choices if c.percent >= 100]
        if len(right) != 1 or right[0].text.strip().lower() not in ("true", "false"):
            result.error("truefalse_answer", line)
            return
        if any(c.feedback for c in choices):
            notes.append(problem("note_tf_feedback", line))
        question = question_new(
            **common,
            qtype="truefalse",
            true_false_answer=right[0].text.strip().lower() == "true",
            notes=notes,
        )
    elif qtype == "multichoice":
        single = _text(element, "single").strip().lower() in ("true", "1")
        mapped, options, more, error = choices_map(choices=choices, single=single, line=line)
        if error is not None:
            result.errors.append(error)
            return
        question = question_new(**common, qtype=mapped, options=options, notes=notes + more)
    else:
        options, more, error = fill_map(choices=choices, line=line)
        if error is not None:
            result.errors.append(error)
            return
        question = question_new(**common, qtype="fill", options=options, notes=notes + more)
    lengths_check(question, result)
    if len(result.errors) == errors_before:
        result.items.append(question)


# --- Writing -------------------------------------------------------------------------


def _fraction_text(fraction: Decimal) -> str:
    """A Moodle grade as Moodle writes it: percent with up to 5 decimals."""
    text = f"{(fraction * 100).quantize(Decimal('0.00001')):f}".rstrip("0").rstrip(".")
    return text or "0"


def _share(count: int) -> Decimal:
    """The largest grade Moodle accepts that is at most 1/count."""
    target = Decimal(1) / Decimal(max(count, 1))
    return max(g for g in MOODLE_FRACTIONS if g <= target + Decimal("0.0000001"))


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = _UNSAFE.sub("", text)
    return element


def _text_element(parent: ET.Element, tag: str, text: str, fmt: str | None = "html") -> None:
    element = _sub(parent, tag, **({"format": fmt} if fmt else {}))
    _sub(element, "text", text)


def _answer(parent: ET.Element, fraction: Decimal, text: str, feedback: str) -> None:
    answer = _sub(parent, "answer", fraction=_fraction_text(fraction), format="plain_text")
    _sub(answer, "text", text)
    _text_element(answer, "feedback", feedback, "plain_text")


def _category_path(names: Iterable[str]) -> str:
    return "$course$/top/" + "/".join(n.replace("/", "//") for n in names)


def moodle_xml_write(*, category: Any) -> bytes:
    """The Moodle XML of ``category`` and its subcategories with their questions. Paths
    start at ``category`` itself, so importing the file into a category ``T`` rebuilds
    ``T/<category>/…``."""
    from ..models import Question, QuestionCategory

    category = QuestionCategory.objects.get(pk=category.pk)  # its path may have moved
    categories = list(
        QuestionCategory.objects.filter(
            path__startswith=category.path, depth__gte=category.depth
        ).order_by("path")
    )
    names: dict[str, list[str]] = {}
    for node in categories:
        parent_path = node.path[: -QuestionCategory.steplen]
        above = names.get(parent_path, []) if node.pk != category.pk else []
        names[node.path] = [*above, node.name]
    questions = (
        Question.objects.filter(category__in=categories)
        .prefetch_related("options")
        .order_by("category__path", "id")
    )
    by_category: dict[int, list[Any]] = {}
    for question in questions:
        by_category.setdefault(question.category_id, []).append(question)

    quiz = ET.Element("quiz")
    for node in categories:
        entry = _sub(quiz, "question", type="category")
        _text_element(entry, "category", _category_path(names[node.path]), None)
        _text_element(entry, "info", node.info, "plain_text")
        _sub(entry, "idnumber", "")
        for question in by_category.get(node.pk, []):
            _question_write(quiz, question)
    ET.indent(quiz)
    body = ET.tostring(quiz, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def _question_write(quiz: ET.Element, question: Any) -> None:
    kind = {"single": "multichoice", "multiple": "multichoice", "truefalse": "truefalse"}.get(
        question.qtype, "shortanswer"
    )
    element = _sub(quiz, "question", type=kind)
    _text_element(element, "name", question.name, None)
    _text_element(element, "questiontext", str(question.stem or ""))
    _text_element(element, "generalfeedback", str(question.explanation or ""))
    _sub(element, "defaultgrade", f"{Decimal(question.default_mark):.7f}")
    _sub(element, "penalty", "0.3333333")
    _sub(element, "hidden", "0" if question.is_active else "1")
    _sub(element, "idnumber", question.idnumber)
    options = sorted(question.options.all(), key=lambda o: (o.sort_order or 0, o.pk))
    if question.qtype == "truefalse":
        answer = bool(question.true_false_answer)
        _answer(element, Decimal(1 if answer else 0), "true", "")
        _answer(element, Decimal(0 if answer else 1), "false", "")
    elif question.qtype in ("single", "multiple"):
        single = question.qtype == "single"
        _sub(element, "single", "true" if single else "false")
        _sub(element, "shuffleanswers", "true")
        _sub(element, "answernumbering", "abc")
        correct = [o for o in options if o.is_correct]
        share = Decimal(1) if single else _share(len(correct))
        for option in options:
            fraction = share if option.is_correct else (Decimal(0) if single else -share)
            _answer(element, fraction, option.text, option.feedback)
    else:
        _sub(element, "usecase", "0")
        for option in options:
            _answer(element, Decimal(1), option.text, option.feedback)
    tags = [t.strip() for t in (question.tags or "").split(",") if t.strip()]
    if tags:
        holder = _sub(element, "tags")
        for tag in tags:
            _text_element(holder, "tag", tag, None)
