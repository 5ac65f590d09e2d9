"""What the GIFT and Moodle XML readers share: the parse result, problems, text
conversion and the mapping of weighted choices onto Qinglian's question types.

A reader returns a :class:`ParseResult` of plain, JSON-serialisable dicts (so an upload
can wait in ``QuestionImport`` between preview and confirmation):

* ``items``: in file order, ``{"kind": "category", "line", "path": [names], "info"}``
  and ``{"kind": "question", "line", "category": [names], "qtype", "name", "stem",
  "explanation", "options": [{"text", "is_correct", "feedback"}], "true_false_answer",
  "idnumber", "tags": [..], "default_mark": "1.00" | None, "is_active", "notes": [..]}``;
  category paths are relative to the category the trainer imports into;
* ``unsupported``: ``{"line", "title", "kind", "category"}`` for every question of a
  type Qinglian does not have (essay, matching, numerical, …), never dropped silently;
* ``errors``: ``{"line", "code", "params"}``; any error means nothing is imported.

Messages are stored as codes with parameters and translated when shown
(:func:`problem_message`), so a preview reads in the language of whoever looks at it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..models import STEM_FEATURES, QuestionType

# Field limits of the models (checked while parsing, so the preview shows them).
NAME_MAX: Final = 255
OPTION_MAX: Final = 1000
IDNUMBER_MAX: Final = 100
TAGS_MAX: Final = 255
CATEGORY_NAME_MAX: Final = 120
# A name made from the question text is cut to this many characters.
DERIVED_NAME_MAX: Final = 60

# Moodle accepts only these answer grades (question_bank::fraction_options_full()), and
# their negatives; anything else (e.g. 33 %) is refused, as Moodle does.
MOODLE_FRACTIONS: Final = (
    Decimal("1.0"), Decimal("0.9"), Decimal("0.8333333"), Decimal("0.8"), Decimal("0.75"),
    Decimal("0.7"), Decimal("0.6666667"), Decimal("0.6"), Decimal("0.5"), Decimal("0.4"),
    Decimal("0.3333333"), Decimal("0.3"), Decimal("0.25"), Decimal("0.2"),
    Decimal("0.1666667"), Decimal("0.1428571"), Decimal("0.125"), Decimal("0.1111111"),
    Decimal("0.1"), Decimal("0.05"), Decimal("0"),
)  # fmt: skip
FRACTION_TOLERANCE: Final = Decimal("0.00001")

TYPE_LABELS: Final[dict[str, str | Promise]] = {
    "essay": _("essay"),
    "matching": _("matching"),
    "numerical": _("numerical"),
    "description": _("description"),
    "embedded": _("answer inside the text (cloze)"),
    "cloze": _("embedded answers (cloze)"),
    "calculated": _("calculated"),
    "drag": _("drag and drop"),
    "gapselect": _("select missing words"),
    "ordering": _("ordering"),
    "random": _("random question"),
    "other": _("other type"),
}

MESSAGES: Final[dict[str, str | Promise]] = {
    # The file as a whole
    "file_empty": _("The file is empty."),
    "file_too_large": _("The file is too large: the limit is %(limit)s MB."),
    "file_type": _("Upload a GIFT file (.gift or .txt) or a Moodle XML file (.xml)."),
    "file_binary": _("This is not a text file. Upload a GIFT (.gift, .txt) or Moodle XML file."),
    "file_encoding": _(
        "The file is not UTF-8 text (it may be saved as GBK/ANSI). Save it as UTF-8 "
        "and upload it again."
    ),
    "file_no_questions": _("The file holds no questions."),
    # GIFT
    "gift_unclosed_brace": _("The answers opened with “{” are never closed with “}”."),
    "gift_unmatched_brace": _("“}” without a matching “{”; write \\} for a literal brace."),
    "gift_two_answer_blocks": _(
        "A question has more than one answer block {…}; write \\{ and \\} for literal braces."
    ),
    "gift_unclosed_title": _("The question title opened with “::” is never closed."),
    "gift_text_before_answer": _(
        "Text “%(text)s” before the first answer: start each answer with = or ~."
    ),
    "no_text": _("The question has no text."),
    "empty_answer": _("An answer is empty."),
    "weight_invalid": _("“%(weight)s” is not a valid answer weight."),
    "weight_not_allowed": _(
        "The answer weight %(weight)s%% is not one Moodle accepts (e.g. 100, 50, 33.33333, "
        "25, 20, 10, 0 or their negatives)."
    ),
    "no_right_answer": _("The question has no right answer."),
    "single_no_full": _("A single-choice question needs one option worth 100%%."),
    "too_few_options": _("A choice question needs at least two options."),
    "truefalse_answer": _("A true/false question needs one answer marked 100%%: true or false."),
    "too_long": _("%(what)s is too long: at most %(max)s characters."),
    "idnumber_repeated": _("The ID number “%(idnumber)s” appears twice in the same category."),
    "category_name_long": _(
        "The category name “%(name)s” is too long: at most %(max)s characters."
    ),
    # Moodle XML
    "xml_syntax": _("The XML is not well-formed: %(detail)s."),
    "xml_dtd": _("XML files with a DOCTYPE or entities are refused."),
    "xml_root": _("This is not a Moodle XML question file: the top element must be <quiz>."),
    "xml_fraction": _("“%(fraction)s” is not a valid answer grade."),
    "xml_mark": _("“%(mark)s” is not a valid default mark."),
    "xml_category": _("A category question has no category path."),
    # Notes: the question is imported, with this remark
    "note_partial_dropped": _("Partial credit is not supported: %(answers)s counted as wrong."),
    "note_fill_dropped": _(
        "Only fully correct answers are accepted in fill-in questions: %(answers)s left out."
    ),
    "note_several_full": _("Several options are fully correct: imported as multiple choice."),
    "note_tf_feedback": _("Feedback on the true/false answers is not kept."),
    "note_images": _("Images and attached files are not imported."),
    "note_name_cut": _("The name was shortened to %(max)s characters."),
    "note_format_removed": _("Formatting Qinglian does not support was removed."),
    "import_done": _("This file was already imported."),
    "internal": _("The question could not be read."),
}

FIELD_LABELS: Final[dict[str, str | Promise]] = {
    "option": _("An answer"),
    "feedback": _("A feedback"),
    "idnumber": _("The ID number"),
    "tags": _("The tags"),
}


def problem(code: str, line: int | None = None, **params: Any) -> dict[str, Any]:
    return {"line": line, "code": code, "params": params}


def problem_message(item: Mapping[str, Any]) -> str:
    """The message of a stored problem or note, in the active language."""
    template = MESSAGES.get(str(item.get("code")), MESSAGES["internal"])
    params = dict(item.get("params") or {})
    if "what" in params:
        params["what"] = str(FIELD_LABELS.get(params["what"], params["what"]))
    return str(template) % params


def type_label(kind: str) -> str:
    return str(TYPE_LABELS.get(kind, kind))


@dataclass
class ParseResult:
    items: list[dict[str, Any]] = field(default_factory=list)
    unsupported: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def questions(self) -> list[dict[str, Any]]:
        return [i for i in self.items if i["kind"] == "question"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, code: str, line: int | None = None, **params: Any) -> None:
        self.errors.append(problem(code, line, **params))


# --- Text ----------------------------------------------------------------------------

_TAG = re.compile(r"</?[a-zA-Z!][^>]*>")
_SPACE = re.compile(r"\s+")
_BLOCK_TAGS: Final = ["p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "pre"]
_BLOCK = re.compile(r"<(p|ul|ol|div|h[1-6]|blockquote|table|pre)\b", re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    return bool(_TAG.search(text))


def html_to_text(value: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, spaces collapsed."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(value, "html.parser")
    for tag in soup(["script", "style", "template"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with(" ")
    for block in soup.find_all(_BLOCK_TAGS):
        block.insert_after(" ")
    return _SPACE.sub(" ", soup.get_text()).strip()


def plain_text(value: str, fmt: str) -> str:
    """Text for a plain field (an option, a feedback) written in ``fmt``."""
    if fmt == "plain":
        return _SPACE.sub(" ", value).strip()
    if fmt != "html" and not looks_like_html(value):
        return _SPACE.sub(" ", html.unescape(value)).strip()
    return html_to_text(value)


def _sanitise(value: str) -> tuple[str, bool]:
    """HTML limited to the stem's rich-text features; True when something was removed."""
    from bs4 import BeautifulSoup
    from wagtail.admin.rich_text.converters.db_html import DbHTMLConverter

    soup = BeautifulSoup(value, "html.parser")
    dropped = False
    for tag in soup(["script", "style", "template", "head", "title", "iframe", "object"]):
        tag.decompose()
        dropped = True
    cleaned, removals = DbHTMLConverter(STEM_FEATURES).clean(str(soup))
    dropped = dropped or any(r.tag not in ("span", "font", "div", "u") for r in removals)
    cleaned = cleaned.strip()
    if cleaned and not _BLOCK.search(cleaned):
        cleaned = f"<p>{cleaned}</p>"
    return cleaned, dropped


def _paragraphs(value: str) -> str:
    parts = [p.strip() for p in re.split(r"\n\s*\n", value.strip()) if p.strip()]
    return "".join(
        "<p>"
        + "<br/>".join(html.escape(line.strip(), quote=False) for line in p.split("\n"))
        + "</p>"
        for p in parts
    )


def rich_text(value: str, fmt: str) -> tuple[str, bool]:
    """Rich text (the stem, the explanation) from ``value`` written in ``fmt``
    (``html``, ``moodle``, ``plain`` or ``markdown``), and whether anything unsupported
    (images, tables, scripts…) was removed."""
    value = value.strip()
    if not value:
        return "", False
    if fmt == "plain":
        return _paragraphs(value), False
    if fmt == "moodle" and not looks_like_html(value):
        return _paragraphs(html.unescape(value)), False
    if fmt == "markdown":
        from wagtail.admin.rich_text.converters.markdown_db import MarkdownConverter

        try:
            value = MarkdownConverter(STEM_FEATURES).to_database_format(value)
        except Exception:  # a malformed reference: keep the text as written
            return _paragraphs(value), False
    return _sanitise(value)


def derived_name(stem_html: str, title: str) -> tuple[str, list[dict[str, Any]]]:
    """The bank name: the title, else the start of the question text."""
    notes: list[dict[str, Any]] = []
    name = _SPACE.sub(" ", title).strip()
    if not name:
        text = html_to_text(stem_html)
        name = text if len(text) <= DERIVED_NAME_MAX else text[: DERIVED_NAME_MAX - 1] + "…"
    elif len(name) > NAME_MAX:
        name = name[: NAME_MAX - 1] + "…"
        notes.append(problem("note_name_cut", max=NAME_MAX))
    return name, notes


# --- Grades and choices --------------------------------------------------------------


def percent_parse(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def fraction_allowed(fraction: Decimal) -> bool:
    """Whether ``fraction`` (1 = 100 %) is one of Moodle's answer grades."""
    magnitude = abs(fraction)
    return any(abs(magnitude - g) < FRACTION_TOLERANCE for g in MOODLE_FRACTIONS)


@dataclass
class Choice:
    text: str
    feedback: str
    percent: Decimal  # 100 = fully correct
    line: int | None = None


def _names(choices: Sequence[Choice]) -> str:
    return "、".join(f"“{c.text}”" for c in choices)


def choices_map(
    *, choices: Sequence[Choice], single: bool | None, line: int | None
) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]], dict[str, Any] | None]:
    """(qtype, options, notes, error) for a weighted choice question.

    ``single`` is Moodle XML's ``<single>`` (None for GIFT). Exactly one fully correct
    option is a single choice (other positive weights are partial credit, which Qinglian
    does not have: they count as wrong, with a note); several fully correct options, or
    only partial weights, make a multiple choice where every option with a positive weight
    is correct. No positive weight at all is an error.
    """
    notes: list[dict[str, Any]] = []
    if len(choices) < 2:
        return "", [], notes, problem("too_few_options", line)
    full = [c for c in choices if c.percent >= 100]
    positive = [c for c in choices if c.percent > 0]
    if not positive:
        return "", [], notes, problem("no_right_answer", line)
    if single is True and not full:
        return "", [], notes, problem("single_no_full", line)
    if single is not False and len(full) == 1:
        qtype = QuestionType.SINGLE.value
        correct = {id(full[0])}
        partial = [c for c in positive if c is not full[0]]
        if partial:
            notes.append(problem("note_partial_dropped", line, answers=_names(partial)))
    else:
        qtype = QuestionType.MULTIPLE.value
        correct = {id(c) for c in positive}
        if single is True:
            notes.append(problem("note_several_full", line))
    options = [
        {"text": c.text, "is_correct": id(c) in correct, "feedback": c.feedback} for c in choices
    ]
    return qtype, options, notes, None


def fill_map(
    *, choices: Sequence[Choice], line: int | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any] | None]:
    """(options, notes, error) for a short-answer question: the fully correct answers are
    the accepted ones; answers with partial or no credit are left out, with a note."""
    accepted = [c for c in choices if c.percent >= 100]
    others = [c for c in choices if c.percent < 100]
    if not accepted:
        return [], [], problem("no_right_answer", line)
    notes = [problem("note_fill_dropped", line, answers=_names(others))] if others else []
    options = [{"text": c.text, "is_correct": True, "feedback": c.feedback} for c in accepted]
    return options, notes, None


def lengths_check(question: dict[str, Any], result: ParseResult) -> None:
    """Model field limits, reported with the question's line."""
    line = question.get("line")
    for option in question["options"]:
        if len(option["text"]) > OPTION_MAX:
            result.error("too_long", line, what="option", max=OPTION_MAX)
        if len(option["feedback"]) > OPTION_MAX:
            result.error("too_long", line, what="feedback", max=OPTION_MAX)
    if len(question["idnumber"]) > IDNUMBER_MAX:
        result.error("too_long", line, what="idnumber", max=IDNUMBER_MAX)
    if len(", ".join(question["tags"])) > TAGS_MAX:
        result.error("too_long", line, what="tags", max=TAGS_MAX)


def category_names_check(path: Sequence[str], line: int | None, result: ParseResult) -> None:
    for name in path:
        if len(name) > CATEGORY_NAME_MAX:
            result.error("category_name_long", line, name=name[:40] + "…", max=CATEGORY_NAME_MAX)


def category_path_split(raw: str) -> list[str]:
    """Moodle's category path ``$course$/top/a/b`` → ``["a", "b"]``: the context root
    (``$course$``, ``$system$``, …) and its ``top`` are dropped; ``//`` is a slash in a name."""
    placeholder = "\ue0ff"
    names = [n.replace(placeholder, "/").strip() for n in raw.replace("//", placeholder).split("/")]
    names = [n for n in names if n]
    if names and re.fullmatch(r"\$[a-z0-9]*\$", names[0]):
        names = names[1:]
        if names and names[0] == "top":
            names = names[1:]
    return names


def question_new(
    *,
    line: int | None,
    category: list[str],
    qtype: str,
    title: str,
    stem: str,
    explanation: str = "",
    options: list[dict[str, Any]] | None = None,
    true_false_answer: bool | None = None,
    idnumber: str = "",
    tags: Sequence[str] = (),
    default_mark: str | None = None,
    is_active: bool = True,
    notes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    name, name_notes = derived_name(stem, title)
    return {
        "kind": "question",
        "line": line,
        "category": list(category),
        "qtype": qtype,
        "name": name,
        "stem": stem,
        "explanation": explanation,
        "options": options or [],
        "true_false_answer": true_false_answer,
        "idnumber": idnumber.strip(),
        "tags": [t.strip() for t in tags if t.strip()],
        "default_mark": default_mark,
        "is_active": is_active,
        "notes": [*(notes or []), *name_notes],
    }
