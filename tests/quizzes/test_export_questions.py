"""Exporting a question category as Moodle XML, and reading it back unchanged."""

from __future__ import annotations

import io
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
from django.core.management import CommandError, call_command

from quizzes.factories import QuestionFactory, category_create
from quizzes.formats.moodle_xml import moodle_xml_parse, moodle_xml_write
from quizzes.importing import questions_import, questions_parse
from quizzes.models import Question, QuestionCategory, QuestionOption


def _bank() -> QuestionCategory:
    top = category_create(name="纪律处分条例")
    general = category_create(name="总则", parent=top)
    category_create(name="空分类", parent=general)  # an empty subcategory travels too
    sub = category_create(name="分则/附则", parent=top)  # a slash in a name
    single = QuestionFactory(
        category=general,
        name="收受礼金",
        stem='<p>党员收受礼金，<b>应当</b>如何处理？<a href="https://www.ccdi.gov.cn/">见</a></p>',
        explanation="<p>依据《条例》第九十七条。</p>",
        idnumber="JL-001 <&>",
        tags="纪律, 礼金",
        default_mark=Decimal("2.50"),
        options=[("拒收并报告", True), ("先收下再说", False), ("私下退回", False)],
    )
    QuestionOption.objects.filter(question=single, text="先收下再说").update(
        feedback="错误：不得收受。"
    )
    QuestionFactory(
        category=general,
        qtype="multiple",
        name="违纪行为",
        options=[("收受礼金", True), ("违规吃喝", True), ("公款旅游", True), ("按规定报销", False)],
    )
    QuestionFactory(
        category=sub,
        qtype="truefalse",
        name="判断题",
        stem="<p>条例适用于全体党员。</p>",
        true_false_answer=False,
        options=[],
        is_active=False,
    )
    QuestionFactory(
        category=sub,
        qtype="fill",
        name="填空题",
        stem="<p>党的纪律是全体党员必须遵守的____。</p>",
        options=[("行为规则", True), ("行为准则", True)],
    )
    return top


def _snapshot(root: QuestionCategory) -> list[tuple]:
    """Everything that must survive the round trip, keyed by the path below ``root``."""
    prefix = root.full_name.rsplit("/", 1)[0] + "/" if root.depth > 1 else ""
    rows = []
    for category in QuestionCategory.objects.filter(path__startswith=root.path).order_by("path"):
        rows.append(("category", category.full_name.removeprefix(prefix), category.info))
    for q in Question.objects.filter(category__path__startswith=root.path).order_by("name"):
        options = [
            (o.text, o.is_correct, o.feedback) for o in q.options.order_by("sort_order", "pk")
        ]
        rows.append(
            (
                q.category.full_name.removeprefix(prefix),
                q.qtype,
                q.name,
                q.stem,
                q.explanation,
                q.true_false_answer if q.qtype == "truefalse" else None,
                options,
                [t.strip() for t in q.tags.split(",") if t.strip()],
                q.idnumber,
                q.default_mark,
                q.is_active,
            )
        )
    return rows


@pytest.mark.django_db
def test_export_then_import_gives_the_same_bank():
    top = _bank()
    before = _snapshot(top)
    data = moodle_xml_write(category=top)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    ET.fromstring(data)  # well-formed

    result = moodle_xml_parse(text=data.decode("utf-8"))
    assert result.ok and result.unsupported == []
    assert all(q["notes"] == [] for q in result.questions)
    target = category_create(name="副本")
    outcome = questions_import(items=result.items, category=target)
    assert outcome.created == 4 and outcome.categories_created == 4
    target.refresh_from_db()
    copy = target.get_children().get(name="纪律处分条例")
    assert _snapshot(copy) == before

    # Importing the export again adds nothing.
    again = questions_import(items=result.items, category=target)
    assert (again.created, again.skipped) == (0, 4)


@pytest.mark.django_db
def test_multiple_choice_grades_are_ones_moodle_accepts():
    top = _bank()
    quiz = ET.fromstring(moodle_xml_write(category=top))
    multi = next(q for q in quiz.iter("question") if q.findtext("name/text") == "违纪行为")
    assert multi.findtext("single") == "false"
    assert [a.get("fraction") for a in multi.iter("answer")] == [
        "33.33333",
        "33.33333",
        "33.33333",
        "-33.33333",
    ]
    cats = [
        q.findtext("category/text") for q in quiz.iter("question") if q.get("type") == "category"
    ]
    assert cats == [
        "$course$/top/纪律处分条例",
        "$course$/top/纪律处分条例/分则//附则",
        "$course$/top/纪律处分条例/总则",
        "$course$/top/纪律处分条例/总则/空分类",
    ]


@pytest.mark.django_db
def test_export_command_round_trip(tmp_path):
    top = _bank()
    before = _snapshot(top)
    out = tmp_path / "bank.xml"
    call_command(
        "export_questions", "--category", "纪律处分条例", "-o", str(out), stderr=io.StringIO()
    )
    Question.objects.all().delete()
    QuestionCategory.objects.all().delete()
    call_command("import_questions", str(out), "--category", "恢复", stdout=io.StringIO())
    restored = QuestionCategory.objects.get(name="纪律处分条例")
    assert restored.full_name == "恢复/纪律处分条例"
    assert _snapshot(restored) == before

    stdout = io.StringIO()
    call_command("export_questions", "--category", "恢复/纪律处分条例/总则", stdout=stdout)
    assert "<name>" in stdout.getvalue() and "收受礼金" in stdout.getvalue()
    with pytest.raises(CommandError):
        call_command("export_questions", "--category", "没有这个分类")


@pytest.mark.django_db
def test_parse_of_a_written_file_through_the_upload_path():
    top = _bank()
    _fmt, result = questions_parse(name="export.xml", data=moodle_xml_write(category=top))
    assert result.ok and len(result.questions) == 4
