"""Importing questions (quizzes.importing): every conformance file with the right counts,
all-or-nothing writes, duplicates, encodings, and the management commands."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError
from django.core.management import call_command as django_call_command
from django.utils import translation

from quizzes.factories import category_create
from quizzes.importing import (
    QuestionImportRefused,
    import_preview,
    question_import_confirm,
    question_import_create,
    questions_import,
    questions_parse,
)
from quizzes.models import Question, QuestionCategory, QuestionImport, QuestionVersion

SHARED = Path(settings.BASE_DIR).parent / "shared"
CONFORMANCE = SHARED / "conformance"
needs_shared = pytest.mark.skipif(not CONFORMANCE.exists(), reason="../shared is absent")

CHINESE_GIFT = """// 廉洁纪律测试题
$CATEGORY: $course$/top/纪律处分条例/总则

// [id:JL-001] [tag:纪律] [tag:礼金]
::收受礼金::党员收受可能影响公正执行公务的礼品、礼金，应当如何处理？{
  =拒收并报告#正确：应当拒收并及时报告。
  ~先收下再说#错误。
  ~私下退回
  ####依据《中国共产党纪律处分条例》。
}

::多选::下列哪些属于违反廉洁纪律的行为？{
  ~%50%收受礼金
  ~%50%违规吃喝
  ~%-100%按规定报销差旅费
}

::判断::《中国共产党纪律处分条例》适用于全体党员。{T}

::填空::党的纪律是党的各级组织和全体党员必须遵守的{=行为规则 =行为准则}
"""


def _import(text: str | bytes, category: QuestionCategory, name: str = "题库.gift"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    _format, result = questions_parse(name=name, data=data)
    assert result.ok, result.errors
    return questions_import(items=result.items, category=category)


def call_command(*args, **kwargs):
    """The commands print in the active language; these tests read English."""
    with translation.override("en"):
        return django_call_command(*args, **kwargs)


@pytest.fixture
def target(db) -> QuestionCategory:
    return category_create(name="导入")


# --- Conformance files ---------------------------------------------------------------

GIFT_PEG_TOTAL = 56


@needs_shared
@pytest.mark.django_db
def test_every_gift_peg_file_imports(target):
    created = 0
    for path in sorted((CONFORMANCE / "gift-peg" / "questions").glob("*.gift")):
        fmt, result = questions_parse(name=path.name, data=path.read_bytes())
        assert fmt == "gift"
        assert result.errors == [] or [e["code"] for e in result.errors] == ["file_no_questions"]
        if result.ok:
            created += questions_import(items=result.items, category=target).created
    # Questions repeated word for word in one file are imported; the same question in
    # another file (already in the same category) is skipped.
    assert 0 < created <= GIFT_PEG_TOTAL
    assert Question.objects.count() == created
    assert QuestionVersion.objects.count() == created


@needs_shared
@pytest.mark.django_db
def test_moodle_gift_fixture_imports_with_unsupported_listed(target):
    path = CONFORMANCE / "moodle" / "gift" / "questions.gift.txt"
    fmt, result = questions_parse(name=path.name, data=path.read_bytes())
    with translation.override("en"):  # the labels are in the active language
        preview = import_preview(
            items=result.items,
            unsupported=result.unsupported,
            errors=result.errors,
            category=target,
        )
    assert fmt == "gift"
    assert len(preview.questions) == 5 and len(preview.unsupported) == 4
    assert dict(preview.by_type) == {
        "Single choice": 1,
        "Multiple choice": 1,
        "True / false": 2,
        "Fill in the blank": 1,
    }
    assert [u["kind_label"] for u in preview.unsupported] == [
        "essay",
        "matching",
        "numerical",
        "answer inside the text (cloze)",
    ]
    # The two "2-08 TSL" questions are the same question: the second is skipped.
    assert preview.duplicates == 1 and preview.to_import == 4
    outcome = questions_import(items=result.items, category=target)
    assert (outcome.created, outcome.skipped) == (4, 1)
    assert Question.objects.filter(category=target).count() == 4


@needs_shared
@pytest.mark.django_db
def test_moodle_xml_nested_categories(target):
    path = CONFORMANCE / "moodle" / "xml" / "nested_categories_with_questions.xml"
    fmt, result = questions_parse(name=path.name, data=path.read_bytes())
    assert fmt == "xml"
    preview = import_preview(
        items=result.items, unsupported=result.unsupported, errors=result.errors, category=target
    )
    assert len(preview.questions) == 4
    assert [(u["kind"], u["title"], u["category_label"]) for u in preview.unsupported] == [
        ("essay", "Kappa Essay Question", "导入/Iota/Kappa")
    ]
    assert preview.new_categories == [
        "导入/Iota",
        "导入/Iota/Kappa",
        "导入/Iota/Kappa/Lambda",
        "导入/Iota/Mu",
    ]
    outcome = questions_import(items=result.items, category=target)
    assert (outcome.created, outcome.categories_created) == (4, 4)
    names = {c.full_name: c for c in QuestionCategory.objects.all()}
    assert set(names) == {
        "导入",
        "导入/Iota",
        "导入/Iota/Kappa",
        "导入/Iota/Kappa/Lambda",
        "导入/Iota/Mu",
    }
    assert names["导入/Iota/Kappa"].info == "This is Kappa category for test"
    lam = Question.objects.get(name="Lambda Question")
    assert lam.category == names["导入/Iota/Kappa/Lambda"]
    assert lam.qtype == "truefalse" and lam.true_false_answer is True
    assert lam.stem == "<p>Testing Lambda Question</p>"


@needs_shared
@pytest.mark.django_db
def test_moodle_xml_html_characters_in_idnumbers(target):
    path = CONFORMANCE / "moodle" / "xml" / "html_chars_in_idnumbers.xml"
    _fmt, result = questions_parse(name=path.name, data=path.read_bytes())
    assert questions_import(items=result.items, category=target).created == 1
    question = Question.objects.get()
    assert question.idnumber == "T & F"
    assert question.category.full_name == "导入/Alpha"


@needs_shared
@pytest.mark.django_db
def test_invalid_grades_are_refused_with_nothing_written(target, org):
    path = CONFORMANCE / "moodle" / "xml" / "error_invalid_grades.xml"
    record = question_import_create(
        user=org.trainer, filename=path.name, data=path.read_bytes(), category=target
    )
    assert record.status == QuestionImport.Status.FAILED
    assert [(e["code"], e["line"], e["params"]) for e in record.errors] == [
        ("weight_not_allowed", 38, {"weight": "33"})
    ]
    with pytest.raises(QuestionImportRefused) as refused:
        question_import_confirm(question_import=record, user=org.trainer)
    assert "33%" in refused.value.messages[0]
    assert not Question.objects.exists()


# --- All or nothing, duplicates ------------------------------------------------------


@pytest.mark.django_db
def test_chinese_questions_import_into_categories(target):
    outcome = _import(CHINESE_GIFT, target)
    assert (outcome.created, outcome.skipped, outcome.categories_created) == (4, 0, 2)
    category = QuestionCategory.objects.get(name="总则")
    assert category.full_name == "导入/纪律处分条例/总则"
    single = Question.objects.get(name="收受礼金")
    assert single.category == category and single.qtype == "single"
    assert single.idnumber == "JL-001" and single.tags == "纪律, 礼金"
    assert single.explanation == "<p>依据《中国共产党纪律处分条例》。</p>"
    assert [(o.text, o.is_correct, o.feedback) for o in single.options.order_by("sort_order")] == [
        ("拒收并报告", True, "正确：应当拒收并及时报告。"),
        ("先收下再说", False, "错误。"),
        ("私下退回", False, ""),
    ]
    multiple = Question.objects.get(name="多选")
    assert multiple.qtype == "multiple"
    assert [o.is_correct for o in multiple.options.order_by("sort_order")] == [True, True, False]
    assert Question.objects.get(name="判断").true_false_answer is True
    fill = Question.objects.get(name="填空")
    assert sorted(fill.options.values_list("text", flat=True)) == ["行为准则", "行为规则"]
    assert QuestionVersion.objects.filter(question=single, number=1).exists()


@pytest.mark.django_db
def test_importing_the_same_file_twice_skips_what_is_there(target):
    _import(CHINESE_GIFT, target)
    outcome = _import(CHINESE_GIFT, target)
    assert (outcome.created, outcome.skipped) == (0, 4)
    assert Question.objects.count() == 4
    # A new question in the file is added; the others are still skipped.
    outcome = _import(CHINESE_GIFT + "\n\n::新题::廉洁是什么？{=清正廉洁}\n", target)
    assert (outcome.created, outcome.skipped) == (1, 4)


@pytest.mark.django_db
def test_preview_marks_duplicates(target):
    _import(CHINESE_GIFT, target)
    _fmt, result = questions_parse(name="a.gift", data=CHINESE_GIFT.encode())
    preview = import_preview(items=result.items, unsupported=[], errors=[], category=target)
    assert preview.duplicates == 4 and preview.to_import == 0 and not preview.can_import


@pytest.mark.django_db
def test_the_same_idnumber_twice_in_a_file_is_an_error(target):
    text = "// [id:A1]\nQ1 {T}\n\n// [id:A1]\nQ2 {F}\n"
    _fmt, result = questions_parse(name="a.gift", data=text.encode())
    preview = import_preview(
        items=result.items, unsupported=[], errors=result.errors, category=target
    )
    assert [(e["code"], e["line"]) for e in preview.errors] == [("idnumber_repeated", 5)]
    with pytest.raises(QuestionImportRefused):
        questions_import(items=result.items, category=target)
    assert not Question.objects.exists()


@pytest.mark.django_db
def test_a_failure_midway_writes_nothing(target, monkeypatch):
    from quizzes import services

    calls = []

    def boom(*, question):
        calls.append(question)
        if len(calls) == 3:
            raise RuntimeError("database went away")

    monkeypatch.setattr(services, "question_version_current", boom)
    _fmt, result = questions_parse(name="a.gift", data=CHINESE_GIFT.encode())
    with pytest.raises(RuntimeError):
        questions_import(items=result.items, category=target)
    assert not Question.objects.exists()
    assert QuestionCategory.objects.count() == 1  # the new categories were rolled back


@pytest.mark.django_db
def test_malformed_gift_is_refused_with_its_line_and_nothing_written(target, org):
    text = CHINESE_GIFT + "\n::坏题::下列说法正确的是？{\n  ~甲\n  ~乙\n}\n"
    record = question_import_create(
        user=org.trainer, filename="坏.gift", data=text.encode(), category=target
    )
    assert record.status == QuestionImport.Status.FAILED
    assert [(e["code"], e["line"]) for e in record.errors] == [("no_right_answer", 22)]
    with pytest.raises(QuestionImportRefused):
        question_import_confirm(question_import=record, user=org.trainer)
    assert not Question.objects.exists()
    assert QuestionCategory.objects.count() == 1


@pytest.mark.django_db
def test_gbk_and_binary_files_are_refused_with_a_message(target, org):
    record = question_import_create(
        user=org.trainer, filename="gbk.gift", data=CHINESE_GIFT.encode("gbk"), category=target
    )
    assert [e["code"] for e in record.errors] == ["file_encoding"]
    from quizzes.formats.base import problem_message

    assert "UTF-8" in problem_message(record.errors[0])
    for data in (b"", b"PK\x03\x04zip", b"\x00\x01binary"):
        _fmt, result = questions_parse(name="x.gift", data=data)
        assert [e["code"] for e in result.errors] in (["file_empty"], ["file_binary"])
    _fmt, result = questions_parse(name="x.gift", data=b"x" * 20, max_bytes=10)
    assert [e["code"] for e in result.errors] == ["file_too_large"]
    assert not Question.objects.exists()


@pytest.mark.django_db
def test_utf8_with_bom_is_read(target):
    outcome = _import(b"\xef\xbb\xbf" + CHINESE_GIFT.encode("utf-8"), target)
    assert outcome.created == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY x "y">]>\n<quiz>&x;</quiz>', "xml_dtd"),
        (b"<quiz>\n<question type='truefalse'>\n</quiz>", "xml_syntax"),
        (b"<?xml version='1.0'?><html></html>", "xml_root"),
    ],
)
def test_bad_xml_is_refused(target, data, code):
    fmt, result = questions_parse(name="q.xml", data=data)
    assert fmt == "xml"
    assert [e["code"] for e in result.errors] == [code]


@pytest.mark.django_db
def test_confirming_twice_imports_once(target, org):
    record = question_import_create(
        user=org.trainer, filename="a.gift", data=CHINESE_GIFT.encode(), category=target
    )
    assert record.status == QuestionImport.Status.PREVIEW
    assert Question.objects.count() == 0  # the preview writes no question
    outcome = question_import_confirm(question_import=record, user=org.trainer)
    assert outcome.created == 4 and record.imported_count == 4
    assert Question.objects.filter(created_by=org.trainer).count() == 4
    with pytest.raises(QuestionImportRefused):
        question_import_confirm(question_import=record, user=org.trainer)
    assert Question.objects.count() == 4


# --- Management commands -------------------------------------------------------------


@pytest.mark.django_db
def test_import_command(tmp_path):
    path = tmp_path / "题库.gift"
    path.write_text(CHINESE_GIFT + "\n::作文::谈谈你对廉洁的理解。{}\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_questions", str(path), "--category", "纪律处分条例/总则", "--dry-run",
        stdout=out, stderr=err,
    )  # fmt: skip
    assert "4" in out.getvalue() and "Dry run" in out.getvalue()
    assert "作文" in out.getvalue()  # the unsupported essay is listed
    assert not Question.objects.exists() and not QuestionCategory.objects.exists()

    call_command("import_questions", str(path), "--category", "纪律处分条例/总则", stdout=out)
    assert Question.objects.count() == 4
    assert QuestionCategory.objects.get(name="总则", depth=2).full_name == "纪律处分条例/总则"
    assert "Imported 4 questions" in out.getvalue()


@pytest.mark.django_db
def test_import_command_fails_on_errors_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.gift"
    path.write_text("Q1 {T}\n\nQ2 {\n  =a\n  ~b\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_questions", str(path), "--category", "题库", stdout=io.StringIO(), stderr=err
        )
    assert "line 3" in err.getvalue()
    assert not Question.objects.exists() and not QuestionCategory.objects.exists()


@pytest.mark.django_db
def test_import_command_format_option_and_missing_file(tmp_path):
    path = tmp_path / "questions.txt"
    path.write_text(
        '<?xml version="1.0"?><quiz><question type="truefalse"><name><text>T</text></name>'
        '<questiontext format="html"><text>Q?</text></questiontext>'
        '<answer fraction="100"><text>true</text></answer>'
        '<answer fraction="0"><text>false</text></answer></question></quiz>',
        encoding="utf-8",
    )
    call_command(
        "import_questions", str(path), "--category", "题库", "--format", "xml",
        stdout=io.StringIO(),
    )  # fmt: skip
    assert Question.objects.get().true_false_answer is True
    with pytest.raises(CommandError):
        call_command("import_questions", str(tmp_path / "missing.gift"), "--category", "题库")
