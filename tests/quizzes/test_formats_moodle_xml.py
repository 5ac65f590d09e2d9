"""The Moodle XML reader (quizzes.formats.moodle_xml): types, grades, unsupported types,
and hostile XML."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from quizzes.formats.base import problem_message
from quizzes.formats.moodle_xml import moodle_xml_parse

CONFORMANCE = Path(settings.BASE_DIR).parent / "shared" / "conformance"
needs_shared = pytest.mark.skipif(not CONFORMANCE.exists(), reason="../shared is absent")

QUIZ = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category">
    <category><text>$system$/top/廉洁教育/案例</text></category>
  </question>
  <question type="multichoice">
    <name><text>单选</text></name>
    <questiontext format="html"><text><![CDATA[<p>下列做法<strong>正确</strong>的是？</p>]]></text></questiontext>
    <generalfeedback format="html"><text><![CDATA[<p>解析：应当拒收。</p>]]></text></generalfeedback>
    <defaultgrade>2.0000000</defaultgrade>
    <idnumber>DX-1</idnumber>
    <single>true</single>
    <answer fraction="100" format="html"><text><![CDATA[<p>拒收</p>]]></text>
      <feedback format="html"><text>对</text></feedback></answer>
    <answer fraction="0" format="html"><text>收下</text><feedback><text>错</text></feedback></answer>
    <answer fraction="-50" format="html"><text>转交</text></answer>
    <tags><tag><text>礼金</text></tag><tag><text>纪律</text></tag></tags>
  </question>
  <question type="multichoice">
    <name><text>多选</text></name>
    <questiontext format="plain_text"><text>哪些违纪？ a &lt; b</text></questiontext>
    <single>false</single>
    <answer fraction="33.33333"><text>甲</text></answer>
    <answer fraction="33.33333"><text>乙</text></answer>
    <answer fraction="33.33333"><text>丙</text></answer>
    <answer fraction="-100"><text>丁</text></answer>
  </question>
  <question type="shortanswer">
    <name><text>填空</text></name>
    <questiontext format="moodle_auto_format"><text>廉洁的“廉”字怎么写？</text></questiontext>
    <answer fraction="100"><text>廉</text></answer>
    <answer fraction="50"><text>lian</text></answer>
  </question>
  <question type="truefalse">
    <name><text>判断</text></name>
    <questiontext format="html"><text>可以收礼。</text></questiontext>
    <hidden>1</hidden>
    <answer fraction="0"><text>true</text></answer>
    <answer fraction="100"><text>false</text></answer>
  </question>
  <question type="matching"><name><text>配对</text></name><questiontext><text>x</text></questiontext></question>
  <question type="numerical"><name><text>数值</text></name><questiontext><text>x</text></questiontext></question>
  <question type="multianswer"><name><text>完形</text></name><questiontext><text>x</text></questiontext></question>
  <question type="ddwtos"><name><text>拖放</text></name><questiontext><text>x</text></questiontext></question>
  <question type="calculated"><name><text>计算</text></name><questiontext><text>x</text></questiontext></question>
  <question type="description"><name><text>说明</text></name><questiontext><text>x</text></questiontext></question>
</quiz>
"""


def test_supported_types_map_onto_the_bank():
    result = moodle_xml_parse(text=QUIZ)
    assert result.ok
    category, single, multiple, fill, tf = result.items
    assert category["path"] == ["廉洁教育", "案例"]
    assert single["category"] == ["廉洁教育", "案例"]
    assert single["qtype"] == "single" and single["default_mark"] == "2.00"
    assert single["stem"] == "<p>下列做法<strong>正确</strong>的是？</p>"
    assert single["explanation"] == "<p>解析：应当拒收。</p>"
    assert single["idnumber"] == "DX-1" and single["tags"] == ["礼金", "纪律"]
    assert [(o["text"], o["is_correct"], o["feedback"]) for o in single["options"]] == [
        ("拒收", True, "对"),
        ("收下", False, "错"),
        ("转交", False, ""),
    ]
    assert multiple["qtype"] == "multiple"
    assert multiple["stem"] == "<p>哪些违纪？ a &lt; b</p>"
    assert [o["is_correct"] for o in multiple["options"]] == [True, True, True, False]
    assert fill["qtype"] == "fill" and [o["text"] for o in fill["options"]] == ["廉"]
    assert fill["notes"][0]["code"] == "note_fill_dropped"
    assert tf["true_false_answer"] is False and tf["is_active"] is False
    assert [(u["kind"], u["title"]) for u in result.unsupported] == [
        ("matching", "配对"),
        ("numerical", "数值"),
        ("cloze", "完形"),
        ("drag", "拖放"),
        ("calculated", "计算"),
        ("description", "说明"),
    ]
    assert all(u["line"] and u["category"] == "廉洁教育/案例" for u in result.unsupported)


@pytest.mark.parametrize(
    ("answers", "single", "code"),
    [
        ('<answer fraction="0"><text>a</text></answer><answer fraction="0"><text>b</text></answer>', "false", "no_right_answer"),
        ('<answer fraction="50"><text>a</text></answer><answer fraction="50"><text>b</text></answer>', "true", "single_no_full"),
        ('<answer fraction="abc"><text>a</text></answer><answer fraction="100"><text>b</text></answer>', "true", "xml_fraction"),
        ('<answer fraction="33"><text>a</text></answer><answer fraction="100"><text>b</text></answer>', "true", "weight_not_allowed"),
        ('<answer fraction="100"><text></text></answer><answer fraction="0"><text>b</text></answer>', "true", "empty_answer"),
    ],
)  # fmt: skip
def test_broken_choice_questions_are_errors(answers, single, code):
    text = (
        '<quiz>\n<question type="multichoice"><name><text>Q</text></name>'
        f'<questiontext format="html"><text>Q?</text></questiontext><single>{single}</single>'
        f"{answers}</question></quiz>"
    )
    result = moodle_xml_parse(text=text)
    assert [(e["code"], e["line"]) for e in result.errors] == [(code, 2)]
    assert result.questions == []
    assert problem_message(result.errors[0])


def test_several_fully_correct_options_in_a_single_choice_become_multiple():
    text = (
        '<quiz><question type="multichoice"><name><text>Q</text></name>'
        '<questiontext format="html"><text>Q?</text></questiontext><single>true</single>'
        '<answer fraction="100"><text>a</text></answer><answer fraction="100"><text>b</text>'
        '</answer><answer fraction="0"><text>c</text></answer></question></quiz>'
    )
    (question,) = moodle_xml_parse(text=text).questions
    assert question["qtype"] == "multiple"
    assert question["notes"][0]["code"] == "note_several_full"


@pytest.mark.parametrize(
    "text",
    [
        # billion laughs
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        "<quiz>&lol2;</quiz>",
        # external entity (file read)
        '<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<quiz>&xxe;</quiz>",
        '<?xml version="1.0"?>\n<!DOCTYPE quiz SYSTEM "http://example.com/quiz.dtd"><quiz/>',
    ],
)
def test_doctype_and_entities_are_refused(text):
    result = moodle_xml_parse(text=text)
    assert [e["code"] for e in result.errors] == ["xml_dtd"]
    assert result.items == []


def test_syntax_error_has_its_line():
    result = moodle_xml_parse(text="<quiz>\n<question type='truefalse'>\n<name></quiz>")
    assert result.errors[0]["code"] == "xml_syntax" and result.errors[0]["line"] == 3


@needs_shared
def test_moodle_fixtures():
    xml = CONFORMANCE / "moodle" / "xml"
    invalid = moodle_xml_parse(text=(xml / "error_invalid_grades.xml").read_text(encoding="utf-8"))
    assert [(e["code"], e["line"]) for e in invalid.errors] == [("weight_not_allowed", 38)]
    nested = moodle_xml_parse(
        text=(xml / "nested_categories_with_questions.xml").read_text(encoding="utf-8")
    )
    assert nested.ok and len(nested.questions) == 4 and len(nested.unsupported) == 1
    assert [i["path"] for i in nested.items if i["kind"] == "category"] == [
        ["Iota"],
        ["Iota", "Kappa"],
        ["Iota", "Kappa", "Lambda"],
        ["Iota", "Mu"],
    ]
    ids = moodle_xml_parse(text=(xml / "html_chars_in_idnumbers.xml").read_text(encoding="utf-8"))
    assert ids.ok and ids.questions[0]["idnumber"] == "T & F"
