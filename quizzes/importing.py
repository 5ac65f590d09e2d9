"""Importing questions from GIFT or Moodle XML: read, preview, then commit all or nothing.

1. :func:`questions_parse` decodes the upload (UTF-8 with or without BOM; GBK and other
   encodings are refused with a message), picks the reader from the file name and
   content, and returns a :class:`~quizzes.formats.base.ParseResult` (questions,
   unsupported questions, errors with line numbers).
2. :func:`question_import_create` keeps that result in a ``QuestionImport`` (status
   ``preview``, or ``failed`` when the file has errors) for the trainer to check;
   :func:`import_preview` summarises it (counts by type and category, duplicates,
   categories to create, notes).
3. :func:`question_import_confirm` claims the upload (``preview`` → ``done``, a
   conditional UPDATE, so a double click imports once) and calls
   :func:`questions_import`, which writes every category and question in one
   transaction: any failure leaves the bank unchanged.

Duplicates: re-importing a file never doubles the bank. A question is already there when
its target category holds a question with the same ID number (when the imported
question has one) or, without an ID number, the same type, name and text; a question
repeated word for word in the file counts once. Such questions are listed in the preview
and skipped on import (the rest is imported). Two questions with the same ID number in
the same category of one file are an error.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from django.conf import settings
from django.db import transaction

from .formats.base import ParseResult, html_to_text, problem, problem_message, type_label
from .formats.gift import gift_parse
from .formats.moodle_xml import moodle_xml_parse
from .models import Question, QuestionCategory, QuestionImport, QuestionOption, QuestionType

FORMAT_GIFT: Final = "gift"
FORMAT_XML: Final = "xml"
FORMATS: Final = (FORMAT_GIFT, FORMAT_XML)
EXTENSIONS: Final = {".gift": FORMAT_GIFT, ".txt": FORMAT_GIFT, ".xml": FORMAT_XML}
MAX_BYTES: Final = getattr(settings, "QINGLIAN_QUESTION_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
_XML_START: Final = re.compile(r"^\s*(<\?xml|<quiz[\s>]|<!--)")


class QuestionImportRefused(Exception):
    """Nothing was imported; ``problems`` say why (stored problem dicts)."""

    def __init__(self, problems: Sequence[dict[str, Any]]) -> None:
        super().__init__("; ".join(problem_message(p) for p in problems))
        self.problems = list(problems)

    @property
    def messages(self) -> list[str]:
        return [problem_message(p) for p in self.problems]


# --- Reading -------------------------------------------------------------------------


def text_decode(*, data: bytes) -> tuple[str | None, dict[str, Any] | None]:
    """(text, None) for UTF-8 text, else (None, problem)."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        return None, problem("file_empty")
    if b"\x00" in data[:8192] or data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF")):
        return None, problem("file_binary")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, problem("file_encoding")


def format_detect(*, name: str, text: str) -> str:
    """``xml`` when the content is XML or the name ends in ``.xml``, else ``gift``."""
    if _XML_START.match(text) or name.lower().endswith(".xml"):
        return FORMAT_XML
    return FORMAT_GIFT


def name_allowed(*, name: str) -> bool:
    return name.lower().endswith(tuple(EXTENSIONS))


def questions_parse(
    *, name: str, data: bytes, file_format: str | None = None, max_bytes: int | None = None
) -> tuple[str, ParseResult]:
    """(format, result) of an uploaded file; file-level problems are errors without a line."""
    limit = MAX_BYTES if max_bytes is None else max_bytes
    result = ParseResult()
    if len(data) > limit:
        result.error("file_too_large", limit=limit // (1024 * 1024))
        return file_format or "", result
    text, trouble = text_decode(data=data)
    if text is None:
        assert trouble is not None
        result.errors.append(trouble)
        return file_format or "", result
    chosen = file_format or format_detect(name=name, text=text)
    result = moodle_xml_parse(text=text) if chosen == FORMAT_XML else gift_parse(text=text)
    if result.ok and not result.questions and not result.unsupported:
        result.error("file_no_questions")
    return chosen, result


# --- Preview -------------------------------------------------------------------------


def _category_index(category: QuestionCategory) -> dict[tuple[str, ...], QuestionCategory]:
    """Existing categories under ``category`` by their name path relative to it (one query)."""
    nodes = QuestionCategory.objects.filter(
        path__startswith=category.path, depth__gte=category.depth
    ).order_by("path")
    by_path: dict[str, tuple[str, ...]] = {}
    index: dict[tuple[str, ...], QuestionCategory] = {}
    step = QuestionCategory.steplen
    for node in nodes:
        key = () if node.pk == category.pk else (*by_path.get(node.path[:-step], ()), node.name)
        by_path[node.path] = key
        index.setdefault(key, node)
    return index


def _duplicate_keys(index: dict[tuple[str, ...], QuestionCategory]) -> set[tuple[Any, ...]]:
    """Keys of the questions already in the categories of ``index`` (one query)."""
    paths = {node.pk: path for path, node in index.items()}
    keys: set[tuple[Any, ...]] = set()
    rows = Question.objects.filter(category_id__in=list(paths)).values_list(
        "category_id", "idnumber", "qtype", "name", "stem"
    )
    for category_id, idnumber, qtype, name, stem in rows:
        path = paths[category_id]
        if idnumber:
            keys.add((path, "id", idnumber))
        keys.add((path, "content", qtype, name, _stem_key(stem)))
    return keys


def _stem_key(stem: str) -> str:
    return re.sub(r"\s+", "", html_to_text(str(stem or "")))


def _question_key(question: dict[str, Any]) -> tuple[Any, ...]:
    path = tuple(question["category"])
    if question["idnumber"]:
        return (path, "id", question["idnumber"])
    return (path, "content", question["qtype"], question["name"], _stem_key(question["stem"]))


def repeated_idnumbers(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors for two questions with one ID number in the same category of a file."""
    seen: set[tuple[Any, ...]] = set()
    errors = []
    for item in items:
        if item["kind"] != "question" or not item["idnumber"]:
            continue
        key = (tuple(item["category"]), item["idnumber"])
        if key in seen:
            errors.append(problem("idnumber_repeated", item["line"], idnumber=item["idnumber"]))
        seen.add(key)
    return errors


@dataclass
class PreviewQuestion:
    line: int | None
    category: str
    qtype: str
    type_label: str
    name: str
    text: str
    options: list[dict[str, Any]]
    true_false_answer: bool | None
    duplicate: bool
    notes: list[str]


@dataclass
class Preview:
    target: QuestionCategory
    questions: list[PreviewQuestion]
    unsupported: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    by_type: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    new_categories: list[str]
    duplicates: int = 0
    notes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def to_import(self) -> int:
        return len(self.questions) - self.duplicates

    @property
    def can_import(self) -> bool:
        return not self.errors and self.to_import > 0


def import_preview(
    *,
    items: Sequence[dict[str, Any]],
    unsupported: Sequence[dict[str, Any]],
    errors: Sequence[dict[str, Any]],
    category: QuestionCategory,
) -> Preview:
    """What importing ``items`` into ``category`` would do (reads only)."""
    category = QuestionCategory.objects.get(pk=category.pk)  # its path may have moved
    index = _category_index(category)
    base = category.full_name
    questions = [i for i in items if i["kind"] == "question"]
    seen = _duplicate_keys(index)
    labels = dict(QuestionType.choices)
    rows: list[PreviewQuestion] = []
    for question in questions:
        key = _question_key(question)
        duplicate = key in seen
        seen.add(key)
        rows.append(
            PreviewQuestion(
                line=question["line"],
                category="/".join([base, *question["category"]]),
                qtype=question["qtype"],
                type_label=str(labels.get(question["qtype"], question["qtype"])),
                name=question["name"],
                text=html_to_text(question["stem"]),
                options=question["options"],
                true_false_answer=question["true_false_answer"],
                duplicate=duplicate,
                notes=[problem_message(n) for n in question["notes"]],
            )
        )
    paths = {tuple(i["path"]) for i in items if i["kind"] == "category"}
    paths |= {tuple(q["category"]) for q in questions}
    missing: set[tuple[str, ...]] = set()
    for path in paths:
        for n in range(1, len(path) + 1):
            if path[:n] not in index:
                missing.add(path[:n])
    type_counts = Counter(r.type_label for r in rows)
    category_counts = Counter(r.category for r in rows)
    all_errors = list(errors) or repeated_idnumbers(items)
    return Preview(
        target=category,
        questions=rows,
        unsupported=[
            {
                **u,
                "kind_label": type_label(u["kind"]),
                "category_label": "/".join(p for p in [base, u.get("category", "")] if p),
            }
            for u in unsupported
        ],
        errors=[{**e, "message": problem_message(e)} for e in all_errors],
        by_type=[
            (str(labels[t]), type_counts[str(labels[t])])
            for t in labels
            if type_counts[str(labels[t])]
        ],
        by_category=sorted(category_counts.items()),
        new_categories=sorted("/".join([base, *p]) for p in missing),
        duplicates=sum(1 for r in rows if r.duplicate),
        notes=sum(1 for r in rows if r.notes),
    )


# --- Writing -------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    created: int = 0
    skipped: int = 0
    categories_created: int = 0
    question_ids: list[int] = field(default_factory=list)


def _category_child(
    parent: QuestionCategory, name: str, info: str
) -> tuple[QuestionCategory, bool]:
    """The child ``name`` of ``parent``, created when missing. The parent is re-read:
    inserting a sorted sibling moves other nodes' paths."""
    parent = QuestionCategory.objects.get(pk=parent.pk)
    existing = parent.get_children().filter(name=name).first()
    if existing is not None:
        return existing, False
    return parent.add_child(name=name, info=info), True


def category_path_ensure(
    *, names: Sequence[str], parent: QuestionCategory | None = None, info: str = ""
) -> QuestionCategory:
    """The category at ``names`` under ``parent`` (a root path when None), created as needed."""
    node = parent
    for n, name in enumerate(names):
        if node is None:
            node = QuestionCategory.get_root_nodes().filter(name=name).first() or (
                QuestionCategory.add_root(name=name, info=info if n == len(names) - 1 else "")
            )
        else:
            node, _ = _category_child(node, name, info if n == len(names) - 1 else "")
    if node is None:
        raise ValueError("a category path needs at least one name")
    return node


def questions_import(
    *, items: Sequence[dict[str, Any]], category: QuestionCategory, user: Any = None
) -> ImportOutcome:
    """Write the categories and questions of ``items`` under ``category`` in one
    transaction; questions already in the bank are skipped (see the module docstring).
    Raises :class:`QuestionImportRefused` (nothing written) for a repeated ID number."""
    from . import services

    errors = repeated_idnumbers(items)
    if errors:
        raise QuestionImportRefused(errors)
    outcome = ImportOutcome()
    with transaction.atomic():
        # Serialise imports into the same category (a no-op lock on SQLite).
        target = QuestionCategory.objects.select_for_update().get(pk=category.pk)
        index = _category_index(target)
        infos = {tuple(i["path"]): i.get("info", "") for i in items if i["kind"] == "category"}
        wanted = list(infos) + [tuple(i["category"]) for i in items if i["kind"] == "question"]
        for path in wanted:
            for n in range(1, len(path) + 1):
                if path[:n] in index:
                    continue
                node, created = _category_child(
                    index[path[: n - 1]], path[n - 1], infos.get(path[:n], "")
                )
                index[path[:n]] = node
                outcome.categories_created += int(created)
        existing = _duplicate_keys(index)
        for item in items:
            if item["kind"] != "question":
                continue
            node = index[tuple(item["category"])]
            key = _question_key(item)
            if key in existing:
                outcome.skipped += 1
                continue
            question = _question_create(item, node, user)
            services.question_version_current(question=question)
            existing.add(key)
            outcome.created += 1
            outcome.question_ids.append(question.pk)
    return outcome


def _question_create(item: dict[str, Any], category: QuestionCategory, user: Any) -> Question:
    fields: dict[str, Any] = {
        "category": category,
        "qtype": item["qtype"],
        "name": item["name"],
        "stem": item["stem"],
        "explanation": item["explanation"],
        "true_false_answer": item["true_false_answer"] if item["qtype"] == "truefalse" else None,
        "idnumber": item["idnumber"],
        "tags": ", ".join(item["tags"]),
        "is_active": item.get("is_active", True),
        "created_by": user if getattr(user, "pk", None) else None,
    }
    if item.get("default_mark"):
        fields["default_mark"] = Decimal(item["default_mark"])
    question = Question.objects.create(**fields)
    QuestionOption.objects.bulk_create(
        QuestionOption(
            question=question,
            text=option["text"],
            is_correct=bool(option["is_correct"]),
            feedback=option["feedback"],
            sort_order=n,
        )
        for n, option in enumerate(item["options"])
    )
    return question


def question_import_create(
    *,
    user: Any,
    filename: str,
    data: bytes,
    category: QuestionCategory,
    file_format: str | None = None,
) -> QuestionImport:
    """Read an upload and keep it for the trainer's preview (nothing else is written)."""
    chosen, result = questions_parse(name=filename, data=data, file_format=file_format)
    errors = result.errors or repeated_idnumbers(result.items)
    return QuestionImport.objects.create(
        created_by=user if getattr(user, "pk", None) else None,
        filename=filename[:255],
        file_format=chosen,
        category=category,
        parsed=result.items,
        unsupported=result.unsupported,
        errors=errors,
        status=QuestionImport.Status.FAILED if errors else QuestionImport.Status.PREVIEW,
    )


def question_import_confirm(*, question_import: QuestionImport, user: Any) -> ImportOutcome:
    """Import a previewed upload, all or nothing, once."""
    if question_import.errors:
        raise QuestionImportRefused(question_import.errors)
    with transaction.atomic():
        claimed = QuestionImport.objects.filter(
            pk=question_import.pk, status=QuestionImport.Status.PREVIEW
        ).update(status=QuestionImport.Status.DONE)
        if not claimed:
            raise QuestionImportRefused([problem("import_done")])
        outcome = questions_import(
            items=question_import.parsed, category=question_import.category, user=user
        )
        QuestionImport.objects.filter(pk=question_import.pk).update(imported_count=outcome.created)
    question_import.refresh_from_db()
    return outcome


def category_path_names(*, path: str) -> list[str]:
    """``"纪律处分条例/总则"`` → ``["纪律处分条例", "总则"]`` (``//`` is a slash in a name)."""
    placeholder = "\ue0ff"
    names = [
        n.replace(placeholder, "/").strip() for n in path.replace("//", placeholder).split("/")
    ]
    return [n for n in names if n]


def category_by_path(*, path: str) -> QuestionCategory | None:
    """The category at a full name path, or None."""
    node: QuestionCategory | None = None
    for name in category_path_names(path=path):
        siblings = node.get_children() if node is not None else QuestionCategory.get_root_nodes()
        node = siblings.filter(name=name).first()
        if node is None:
            return None
    return node
