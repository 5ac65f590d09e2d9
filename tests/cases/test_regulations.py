"""Regulations as citable articles: the importer (parser, service, command, admin upload)
and the public regulation and article pages."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from wagtail.models import PageViewRestriction

from cases.factories import ArticleFactory, CaseIndexPageFactory, CasePageFactory
from cases.importing import chinese_number, chinese_numeral, regulation_parse
from cases.models import Article, Regulation
from cases.services import RegulationImportRefused, regulation_import
from qinglian.models import HomePage

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "domain" / "regulations"
REAL_2023 = SHARED / "中国共产党纪律处分条例_2023.md"
REAL_2023_JSON = SHARED / "纪律处分条例_2023_articles.json"
needs_shared = pytest.mark.skipif(not REAL_2023.exists(), reason="../shared is absent")

SAMPLE = """###  测试纪律条例

\u3000\u3000（2024年1月1日某某委员会发布）

\u3000\u3000第一编\u3000总则

\u3000\u3000第一章\u3000总体要求

\u3000\u3000第一条\u3000为了测试导入，制定本条例。

\u3000\u3000第二条 本条例适用于下列情形：

\u3000\u3000（一）收受礼品礼金；

\u3000\u3000（二）违规操办婚丧喜庆事宜。

\u3000\u3000第二编\u3000分则

\u3000\u3000第二章\u3000对违反廉洁纪律行为的处分

\u3000\u3000第一节\u3000一般规定

\u3000\u3000第三条\u3000收受可能影响公正执行公务的礼品、礼金，情节较轻的，给予警告处分。

第4条 用公款吃喝的，给予严重警告处分。
"""

META = {
    "title": "测试纪律条例",
    "short_name": "测试条例",
    "slug": "test-2024",
    "version": "2024",
    "issuer": "某某委员会",
    "effective_date": datetime.date(2024, 1, 1),
}


def _import(text: str = SAMPLE, **overrides):
    parsed = regulation_parse(data=text.encode("utf-8"))
    assert parsed.problems == []
    return regulation_import(**{**META, **overrides}, articles=parsed.articles)


def _codes_and_lines(parsed):
    return [(p.code, p.line) for p in parsed.problems]


# --- Parser ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一", 1),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十七", 27),
        ("一百", 100),
        ("一百零二", 102),
        ("一百一十", 110),
        ("一百五十八", 158),
        ("两千零一", 2001),
        ("12", 12),
        ("１２", 12),
    ],
)
def test_chinese_numbers(text, value):
    assert chinese_number(text=text) == value


@pytest.mark.parametrize("text", ["", "零", "十十", "二二", "百", "一百五", "一百零", "abc"])
def test_malformed_numbers_are_refused(text):
    assert chinese_number(text=text) is None


def test_numerals_round_trip():
    for n in range(1, 1200):
        assert chinese_number(text=chinese_numeral(number=n)) == n


def test_parser_reads_parts_chapters_sections_and_paragraphs():
    parsed = regulation_parse(data=SAMPLE.encode("utf-8"))
    assert parsed.problems == []
    assert parsed.title == "测试纪律条例"
    assert [a.number for a in parsed.articles] == [1, 2, 3, 4]
    first, second, third, fourth = parsed.articles
    assert (first.label, first.part, first.chapter, first.section) == (
        "第一条",
        "第一编 总则",
        "第一章 总体要求",
        "",
    )
    assert first.text == "为了测试导入，制定本条例。"
    assert (
        second.text == "本条例适用于下列情形：\n（一）收受礼品礼金；\n（二）违规操办婚丧喜庆事宜。"
    )
    assert (third.part, third.chapter, third.section) == (
        "第二编 分则",
        "第二章 对违反廉洁纪律行为的处分",
        "第一节 一般规定",
    )
    assert (fourth.label, fourth.text) == ("第4条", "用公款吃喝的，给予严重警告处分。")
    assert parsed.chapters == [("第一章 总体要求", 2), ("第二章 对违反廉洁纪律行为的处分", 2)]


def test_a_cross_reference_starting_a_line_is_not_an_article():
    text = "第一条 甲。\n第二条 乙。\n第一条规定的情形，从重处分。\n第三条 丙。\n"
    parsed = regulation_parse(data=text.encode("utf-8"))
    assert parsed.problems == []
    assert [a.number for a in parsed.articles] == [1, 2, 3]
    assert parsed.articles[1].text == "乙。\n第一条规定的情形，从重处分。"


def test_utf8_with_bom_and_crlf():
    parsed = regulation_parse(data=b"\xef\xbb\xbf" + SAMPLE.replace("\n", "\r\n").encode("utf-8"))
    assert parsed.encoding == "utf-8-sig"
    assert parsed.problems == []
    assert len(parsed.articles) == 4


def test_gbk_input_reads_identically():
    utf8 = regulation_parse(data=SAMPLE.encode("utf-8"))
    gbk = regulation_parse(data=SAMPLE.encode("gbk"))
    assert gbk.encoding == "gb18030"
    assert gbk.problems == []
    assert gbk.articles == utf8.articles


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", [("file_empty", None)]),
        ("\n\u3000\n".encode(), [("file_empty", None)]),
        ("### 标题\n\n（前言）\n本条例没有条文。\n".encode(), [("no_articles", None)]),
        ("第一条 甲。\n第二条 乙。\n第二条 丙。\n".encode(), [("duplicate", 3)]),
        ("第一条 甲。\n第二条 乙。\n第五条 丙。\n".encode(), [("sequence", 3)]),
        ("第一条 甲。\n第三条 乙。\n第二条 丙。\n".encode(), [("sequence", 2), ("sequence", 3)]),
        ("第三条 甲。\n第四条 乙。\n".encode(), [("first_number", 1)]),
        ("第一条 甲。\n第二条\n第三条 丙。\n".encode(), [("empty_article", 2)]),
        (
            "第一条 甲。\n第二章 处分\n这一段不属于任何条。\n第二条 乙。\n".encode(),
            [("orphan_text", 3)],
        ),
        ("第一条 甲。\n第一百五条 乙。\n".encode(), [("bad_number", 2)]),
        # Valid UTF-8 with one damaged byte on line 3: reported, not misread as GBK.
        ("第一条 甲。\n第二条 乙。\n".encode() + b"\xe7\xac\xac\xff\n", [("encoding", 3)]),
        (b"PK\x03\x04\x00\x00binary", [("file_binary", None)]),
    ],
    ids=[
        "empty",
        "blank",
        "no-articles",
        "duplicate",
        "gap",
        "backwards",
        "not-from-one",
        "empty-article",
        "orphan-text",
        "bad-numeral",
        "damaged-utf8",
        "binary",
    ],
)
def test_problems_with_line_numbers(data, expected):
    parsed = regulation_parse(data=data)
    assert _codes_and_lines(parsed) == expected
    assert not parsed.ok
    for problem in parsed.problems:
        assert problem.message  # a sentence, not a code
        if problem.line:
            assert str(problem.line) in str(problem)


def test_problem_messages_follow_the_language():
    from django.utils import translation

    parsed = regulation_parse(data="第一条 甲。\n第一条 乙。\n".encode())
    with translation.override("en"):
        english = str(parsed.problems[0])
    assert "Line 2" in english and "第一条" in english and "line 1" in english


# --- The real 2023 Regulations ----------------------------------------------------------


@needs_shared
def test_real_2023_regulations_parse_as_158_articles_matching_the_reference():
    parsed = regulation_parse(data=REAL_2023.read_bytes())
    expected = json.loads(REAL_2023_JSON.read_text("utf-8"))
    assert parsed.problems == []
    assert len(parsed.articles) == 158 == len(expected)
    assert [a.number for a in parsed.articles] == list(range(1, 159))
    assert {a.label: f"{a.label} {a.text}" for a in parsed.articles} == expected
    assert parsed.articles[-1].label == "第一百五十八条"
    by_number = {a.number: a for a in parsed.articles}
    assert by_number[27].chapter == "第三章 纪律处分运用规则"
    assert by_number[97].part == "第二编 分则"
    assert len([c for c, _n in parsed.chapters if c]) == 11


@needs_shared
def test_real_2023_regulations_in_gbk_import_identically(db):
    data = REAL_2023.read_bytes()
    utf8 = regulation_parse(data=data)
    gbk = regulation_parse(data=data.decode("utf-8").encode("gbk"))
    assert gbk.encoding == "gb18030"
    assert gbk.articles == utf8.articles
    result = regulation_import(**{**META, "slug": "jlcftl-2023"}, articles=gbk.articles)
    assert result.created == 158
    assert Article.objects.filter(regulation=result.regulation).count() == 158


# --- The service --------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_creates_the_regulation_and_its_articles():
    result = _import()
    regulation = result.regulation
    assert (regulation.title, regulation.version, regulation.issuer) == (
        "测试纪律条例",
        "2024",
        "某某委员会",
    )
    assert result.created == 4
    article = regulation.articles.get(number=3)
    assert article.section == "第一节 一般规定"
    assert article.get_absolute_url() == "/regulations/test-2024/3/"


@pytest.mark.django_db
def test_reimport_refuses_without_replace_and_writes_nothing():
    _import()
    with pytest.raises(RegulationImportRefused) as exc:
        _import(title="改过的标题")
    assert [r.code for r in exc.value.refusals] == ["exists"]
    assert Regulation.objects.get().title == "测试纪律条例"


@pytest.mark.django_db
def test_slug_of_another_version_is_refused():
    _import()
    with pytest.raises(RegulationImportRefused) as exc:
        _import(version="2025")
    assert [r.code for r in exc.value.refusals] == ["slug_taken"]
    assert Regulation.objects.count() == 1


@pytest.mark.django_db
def test_replace_keeps_ids_and_updates_text():
    _import()
    ids = dict(Article.objects.values_list("number", "pk"))
    changed = (
        SAMPLE.replace("给予严重警告处分", "给予撤销党内职务处分")
        + "第五条 本条例自公布之日起施行。\n"
    )
    parsed = regulation_parse(data=changed.encode("utf-8"))
    result = regulation_import(**META, articles=parsed.articles, replace=True)
    assert (result.created, result.updated, result.unchanged, result.deleted) == (1, 1, 3, 0)
    after = dict(Article.objects.values_list("number", "pk"))
    assert {n: after[n] for n in ids} == ids
    assert "撤销党内职务" in Article.objects.get(number=4).text


@pytest.mark.django_db
def test_replace_never_deletes_a_cited_article():
    _import()
    home = HomePage.objects.first()
    cited = Article.objects.get(number=4)
    CasePageFactory(parent=CaseIndexPageFactory(parent=home), articles_breached=[cited])
    shorter = SAMPLE.split("第4条")[0]
    parsed = regulation_parse(data=shorter.encode("utf-8"))
    with pytest.raises(RegulationImportRefused) as exc:
        regulation_import(**META, articles=parsed.articles, replace=True)
    assert [r.code for r in exc.value.refusals] == ["cited"]
    assert "第4条" in exc.value.refusals[0].message
    assert Article.objects.filter(number=4).exists()


@pytest.mark.django_db
def test_replace_never_deletes_an_article_cited_in_a_body_block():
    _import()
    home = HomePage.objects.first()
    quoted = Article.objects.get(number=4)
    CasePageFactory(
        parent=CaseIndexPageFactory(parent=home),
        body=[("article_quote", {"article": quoted, "note": ""})],
    )
    parsed = regulation_parse(data=SAMPLE.split("第4条")[0].encode("utf-8"))
    with pytest.raises(RegulationImportRefused):
        regulation_import(**META, articles=parsed.articles, replace=True)
    assert Article.objects.filter(number=4).exists()


@pytest.mark.django_db
def test_replace_deletes_an_uncited_article():
    _import()
    parsed = regulation_parse(data=SAMPLE.split("第4条")[0].encode("utf-8"))
    result = regulation_import(**META, articles=parsed.articles, replace=True)
    assert result.deleted == 1
    assert sorted(Article.objects.values_list("number", flat=True)) == [1, 2, 3]


@pytest.mark.django_db
def test_invalid_metadata_is_refused_and_nothing_written():
    parsed = regulation_parse(data=SAMPLE.encode("utf-8"))
    with pytest.raises(RegulationImportRefused):
        regulation_import(**{**META, "title": "长" * 300}, articles=parsed.articles)
    with pytest.raises(RegulationImportRefused):
        regulation_import(**META, articles=[])
    assert not Regulation.objects.exists()
    assert not Article.objects.exists()


# --- The command ------------------------------------------------------------------------------


def _command(path: Path, *extra: str):
    out, err = io.StringIO(), io.StringIO()
    args = [str(path), "--title", "测试纪律条例", "--short-name", "测试条例"]
    args += ["--slug", "test-2024", "--version", "2024", *extra]
    call_command("import_regulation", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_command_imports_and_reports_the_count(tmp_path):
    path = tmp_path / "sample.txt"
    path.write_bytes(SAMPLE.encode("gbk"))
    out, _err = _command(path, "--effective-date", "2024-01-01", "--issuer", "某某委员会")
    assert "4" in out and "gb18030" in out
    regulation = Regulation.objects.get(slug="test-2024")
    assert regulation.effective_date == datetime.date(2024, 1, 1)
    assert regulation.articles.count() == 4


@pytest.mark.django_db
def test_command_dry_run_writes_nothing(tmp_path):
    path = tmp_path / "sample.txt"
    path.write_text(SAMPLE, "utf-8")
    out, _err = _command(path, "--dry-run")
    assert "4" in out
    assert not Regulation.objects.exists()


@pytest.mark.django_db
def test_command_lists_every_problem_with_its_line_and_fails(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("第一条 甲。\n第一条 乙。\n第五条 丙。\n", "utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_regulation",
            str(path),
            "--title=t",
            "--short-name=t",
            "--slug=t",
            "--version=1",
            stderr=err,
            stdout=io.StringIO(),
        )
    lines = err.getvalue().splitlines()
    assert len(lines) == 2
    assert "2" in lines[0] and "3" in lines[1]
    assert not Regulation.objects.exists()


@pytest.mark.django_db
def test_command_exit_status_from_the_shell(tmp_path):
    """The real command line: non-zero exit status, nothing written."""
    import subprocess
    import sys

    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    completed = subprocess.run(
        [
            sys.executable,
            str(REPO / "manage.py"),
            "import_regulation",
            str(path),
            *("--title=t", "--short-name=t", "--slug=t", "--version=1", "--dry-run"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "qinglian.settings.test"},
        check=False,
    )
    assert completed.returncode != 0
    assert "CommandError" in completed.stderr


@pytest.mark.django_db
def test_command_refuses_a_second_import_of_the_same_version(tmp_path):
    path = tmp_path / "sample.txt"
    path.write_text(SAMPLE, "utf-8")
    _command(path)
    with pytest.raises(CommandError):
        _command(path)
    out, _err = _command(path, "--replace")
    assert "4" in out
    assert Regulation.objects.count() == 1


# --- Admin upload → preview → confirm ---------------------------------------------------------

UPLOAD_URL = "/admin/regulations/import/"


def _upload(client, text: str | bytes = SAMPLE, **fields):
    data = text.encode("utf-8") if isinstance(text, str) else text
    payload = {
        "file": SimpleUploadedFile("条例.txt", data, content_type="text/plain"),
        "title": META["title"],
        "short_name": META["short_name"],
        "slug": META["slug"],
        "version": META["version"],
        "issuer": META["issuer"],
        "effective_date": "2024-01-01",
        **fields,
    }
    return client.post(UPLOAD_URL, payload)


@pytest.mark.django_db
def test_trainer_uploads_previews_and_confirms(client, org):
    client.force_login(org.trainer)
    assert client.get(UPLOAD_URL).status_code == 200
    response = _upload(client)
    assert response.status_code == 302
    preview_url = response["Location"]
    preview = client.get(preview_url)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'id="article-count">4<' in html
    assert "第一章 总体要求" in html and "第4条" in html
    assert not Regulation.objects.exists()  # the preview writes nothing

    confirm = client.post(preview_url + "confirm/")
    assert confirm.status_code == 302
    regulation = Regulation.objects.get(slug="test-2024")
    assert regulation.articles.count() == 4
    assert regulation.effective_date == datetime.date(2024, 1, 1)

    # A double click: the second confirm imports nothing and says so.
    again = client.post(preview_url + "confirm/", follow=True)
    assert again.status_code == 200
    assert Regulation.objects.count() == 1
    assert Article.objects.count() == 4


@pytest.mark.django_db
def test_preview_lists_problems_with_line_numbers_and_cannot_be_confirmed(client, org):
    client.force_login(org.trainer)
    response = _upload(client, "第一条 甲。\n第一条 乙。\n第五条 丙。\n")
    preview = client.get(response["Location"])
    html = preview.content.decode()
    assert 'id="import-problems"' in html
    assert "<td>2</td>" in html and "<td>3</td>" in html
    assert "confirm/" not in html
    client.post(response["Location"] + "confirm/")
    assert not Regulation.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data", [b"", "本文件没有条文。".encode(), "第一条 甲。\n".encode() + b"\xff\xfe\x00\x01"]
)
def test_bad_uploads_get_a_message_and_change_nothing(client, org, data):
    client.force_login(org.trainer)
    response = _upload(client, data)
    if response.status_code == 200:  # refused by the form (an empty upload)
        assert 'class="error-message"' in response.content.decode()
    else:
        preview = client.get(response["Location"])
        assert 'id="import-problems"' in preview.content.decode()
        client.post(response["Location"] + "confirm/")
    assert not Regulation.objects.exists()


@pytest.mark.django_db
def test_preview_warns_when_the_version_is_already_imported(client, org):
    _import()
    client.force_login(org.trainer)
    response = _upload(client)
    html = client.get(response["Location"]).content.decode()
    assert 'id="import-refusals"' in html
    client.post(response["Location"] + "confirm/")
    assert Article.objects.count() == 4
    # With "replace" ticked it goes through, keeping the ids.
    ids = sorted(Article.objects.values_list("pk", flat=True))
    response = _upload(client, replace="on")
    client.post(response["Location"] + "confirm/")
    assert sorted(Article.objects.values_list("pk", flat=True)) == ids


@pytest.mark.django_db
def test_missing_form_fields_are_reported(client, org):
    client.force_login(org.trainer)
    response = client.post(UPLOAD_URL, {"title": "x"})
    assert response.status_code == 200
    assert not Regulation.objects.exists()


@pytest.mark.django_db
def test_learner_and_unit_admin_are_refused(client, org):
    client.force_login(org.finance_learner)
    response = client.get(UPLOAD_URL)
    assert response.status_code in (302, 403)
    if response.status_code == 302:  # Wagtail's admin gate: no admin access at all
        assert response["Location"].startswith("/accounts/login/")
    response = _upload(client)
    assert response.status_code in (302, 403)
    assert not Regulation.objects.exists()

    # A unit admin may use the admin but is not a trainer: Wagtail's admin turns the
    # view's PermissionDenied into a redirect to the dashboard with an error message.
    client.force_login(org.finance_admin)
    for response in (client.get(UPLOAD_URL), _upload(client)):
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response["Location"] == "/admin/"
    assert not Regulation.objects.exists()


@pytest.mark.django_db
def test_another_trainers_preview_token_is_not_usable(client, org):
    client.force_login(org.trainer)
    preview_url = _upload(client)["Location"]
    client.force_login(org.superuser)
    assert client.get(preview_url).status_code == 302  # not in this session
    client.post(preview_url + "confirm/")
    assert not Regulation.objects.exists()


@pytest.mark.django_db
def test_views_declare_their_access_rule():
    from cases import admin_views, views

    for view in (
        admin_views.RegulationImportUploadView,
        admin_views.RegulationImportPreviewView,
        admin_views.RegulationImportConfirmView,
    ):
        assert view.access_rule == "role-in-scope"
        assert view.access_roles == ("trainer",)
    for view in (views.RegulationDetailView, views.ArticleDetailView, views.RegulationListView):
        assert view.access_rule == "public"


# --- Public pages ------------------------------------------------------------------------------


@pytest.fixture
def regulation(db):
    return _import().regulation


@pytest.fixture
def case_index(db):
    return CaseIndexPageFactory(parent=HomePage.objects.first())


def _warm_up(client):
    """The first request of a fresh database creates the site settings row."""
    client.get("/regulations/")


def test_regulation_page_groups_articles_with_anchors(
    client, regulation, django_assert_max_num_queries
):
    _warm_up(client)
    with django_assert_max_num_queries(4):
        response = client.get("/regulations/test-2024/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="article-3"' in html
    assert 'href="#part-2-chapter-1"' in html
    assert "第一编 总则" in html and "第一节 一般规定" in html
    assert html.index("第一章 总体要求") < html.index("第二章 对违反廉洁纪律行为的处分")
    assert 'href="/regulations/test-2024/3/"' in html


def test_regulation_list(client, regulation):
    response = client.get("/regulations/")
    assert response.status_code == 200
    assert "/regulations/test-2024/" in response.content.decode()


def test_article_page_shows_text_chapter_and_neighbours(client, regulation):
    response = client.get("/regulations/test-2024/2/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "第二条" in html and "第一章 总体要求" in html
    assert "（一）收受礼品礼金；" in html
    assert 'rel="prev" href="/regulations/test-2024/1/"' in html
    assert 'rel="next" href="/regulations/test-2024/3/"' in html
    english = client.get("/en/regulations/test-2024/2/")
    assert english.status_code == 200


def test_article_url_is_stable_across_a_replace(client, regulation):
    article = regulation.articles.get(number=3)
    url = article.get_absolute_url()
    changed = SAMPLE.replace("情节较轻的", "情节较轻者")
    regulation_import(
        **META, articles=regulation_parse(data=changed.encode()).articles, replace=True
    )
    assert Article.objects.get(pk=article.pk).get_absolute_url() == url
    assert "情节较轻者" in client.get(url).content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/regulations/test-2024/0/",
        "/regulations/test-2024/99/",
        "/regulations/test-2024/99999999999999999999999999/",
        "/regulations/test-2024/2147483648/",
        "/regulations/test-2024/-1/",
        "/regulations/test-2024/%E7%AC%AC%E4%B8%80%E6%9D%A1/",
        "/regulations/no-such-regulation/1/",
        "/regulations/test-2024/1'%20OR%201=1/",
    ],
)
def test_hostile_urls_are_404(client, regulation, url):
    assert client.get(url).status_code == 404


def test_article_page_lists_live_citing_cases(
    client, regulation, case_index, django_assert_max_num_queries
):
    article = regulation.articles.get(number=3)
    other = regulation.articles.get(number=4)
    breached = CasePageFactory(
        parent=case_index, title="违规收受礼金案", articles_breached=[article]
    )
    quoted = CasePageFactory(
        parent=case_index,
        title="公款吃喝案",
        body=[("article_quote", {"article": article, "note": ""})],
    )
    fact = CasePageFactory(
        parent=case_index,
        title="婚丧喜庆案",
        body=[("fact", {"text": "<p>事实</p>", "articles": [article]})],
    )
    draft = CasePageFactory(parent=case_index, title="未发布案例", articles_breached=[article])
    draft.unpublish()
    private = CasePageFactory(parent=case_index, title="内部案例", articles_breached=[article])
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    unrelated = CasePageFactory(parent=case_index, title="无关案例", articles_breached=[other])

    _warm_up(client)
    with django_assert_max_num_queries(12) as captured:
        response = client.get(article.get_absolute_url())
    baseline = len(captured.captured_queries)
    html = response.content.decode()
    for page in (breached, quoted, fact):
        assert page.title in html
        assert page.url in html
    for page in (draft, private, unrelated):
        assert page.title not in html

    # Logged in, the login-restricted case is visible.
    from people.factories import UserFactory

    client.force_login(UserFactory())
    assert "内部案例" in client.get(article.get_absolute_url()).content.decode()
    client.logout()

    # Ten more citing cases: the query count does not grow.
    for n in range(10):
        CasePageFactory(parent=case_index, title=f"新增案例{n}", articles_breached=[article])
    with django_assert_max_num_queries(baseline) as captured:
        response = client.get(article.get_absolute_url())
    assert "新增案例9" in response.content.decode()


def test_article_page_with_nothing_citing_it(client, regulation, django_assert_max_num_queries):
    _warm_up(client)
    with django_assert_max_num_queries(6):
        response = client.get("/regulations/test-2024/1/")
    assert response.status_code == 200
    assert 'id="cited-by-heading"' in response.content.decode()


def test_article_factory_articles_render(client, db):
    article = ArticleFactory(number=27)
    assert client.get(article.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_oversized_upload_is_refused_by_the_form(client, org):
    from cases.importing import MAX_BYTES

    client.force_login(org.trainer)
    response = _upload(client, b"a" * (MAX_BYTES + 1))
    assert response.status_code == 200
    assert 'class="error-message"' in response.content.decode()
    assert not Regulation.objects.exists()


@pytest.mark.django_db
def test_menu_item_shows_for_trainers_only(client, org):
    client.force_login(org.trainer)
    assert UPLOAD_URL in client.get("/admin/").content.decode()
    client.force_login(org.finance_admin)
    assert UPLOAD_URL not in client.get("/admin/").content.decode()


@needs_shared
@pytest.mark.django_db
def test_trainer_imports_the_real_2023_regulations_through_the_admin(client, org):
    client.force_login(org.trainer)
    response = _upload(client, REAL_2023.read_bytes(), slug="jlcftl-2023")
    preview = client.get(response["Location"]).content.decode()
    assert 'id="article-count">158<' in preview
    assert "第八章 对违反廉洁纪律行为的处分" in preview and "第一百五十八条" in preview
    client.post(response["Location"] + "confirm/")
    regulation = Regulation.objects.get(slug="jlcftl-2023")
    assert regulation.articles.count() == 158
    assert regulation.articles.get(number=158).label == "第一百五十八条"
