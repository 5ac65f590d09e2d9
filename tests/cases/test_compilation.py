"""Case compilations (警示教育读本): the booklet's contents read back from the PDF, its
fonts, reuse of an identical order, refusals, idempotent rendering, the URL fetcher and
access."""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import re
import time
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader
from wagtail.rich_text import RichText

from cases.compilation import (
    MissingGlyphError,
    StaticOnlyURLFetcher,
    document_base_url,
    pdf_render,
    static_prefix,
)
from cases.factories import (
    ArticleFactory,
    CaseIndexPageFactory,
    CasePageFactory,
    RegionFactory,
    RegulationFactory,
    category,
)
from cases.models import CaseCompilation, CasePage
from cases.services import (
    compilation_order,
    compilation_pdf_name,
    compilation_render,
    compilations_requeue_stuck,
)
from cases.tasks import compilation_render_task, compilation_requeue_stuck
from qinglian.models import HomePage

TITLE = "二〇二四年度警示教育读本（喆镕堃）"

ARTICLE_TEXTS = {
    97: "收受可能影响公正执行公务的礼品、礼金、消费卡和有价证券、股权、其他金融产品等财物，"
    "情节较轻的，给予警告或者严重警告处分。",
    106: "违反有关规定，用公款支付应由个人负担的费用的，给予警告处分。",
    140: "利用职权或者职务上的影响操办婚丧喜庆事宜，造成不良影响的，给予警告处分。",
    # Cited only from a body block (article_quote), never as "articles breached".
    35: "党员干部必须严守政治纪律，违者依规处理。本条仅在正文中引用。",
}


@pytest.fixture(autouse=True)
def _fresh_storage(settings):
    """A new, empty in-memory storage for each test (changing STORAGES resets it)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


@dataclass
class Booklet:
    cases: list[CasePage]
    articles: dict[int, object]


def home_page() -> HomePage:
    """The migrated home page; rebuilt when a transactional test's flush removed it."""
    home = HomePage.objects.first()
    if home is not None:
        return home
    from wagtail.models import Locale, Page, Site

    locale = Locale.objects.first() or Locale.objects.create(language_code="zh-hans")
    root = Page.get_first_root_node() or Page.add_root(
        instance=Page(title="Root", slug="root", locale=locale)
    )
    home = root.add_child(instance=HomePage(title="清廉", slug="home", locale=locale))
    Site.objects.get_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "root_page": home}
    )
    return home


def build_cases(*, with_categories: bool = True) -> Booklet:
    regulation = RegulationFactory()
    articles = {
        n: ArticleFactory(
            regulation=regulation, number=n, label=f"第{n}条", text=text, chapter="第八章"
        )
        for n, text in ARTICLE_TEXTS.items()
    }
    index = CaseIndexPageFactory(parent=home_page())
    region = RegionFactory(name="某省")
    cats = (
        [category("integrity"), category("political")]
        if with_categories and CasePage._meta.get_field("categories").related_model.objects.exists()
        else []
    )
    specs = [
        ("某市财政局原局长张喆违规收受礼品礼金案", datetime.date(2023, 3, 9), [97], 97, "预算"),
        ("某县住建局副局长李镕公款吃喝案", datetime.date(2024, 5, 20), [106], 35, "宴请"),
        (
            "某区卫健委主任王堃违规操办婚丧喜庆事宜案",
            datetime.date(2022, 11, 2),
            [140],
            106,
            "婚宴",
        ),
    ]
    cases = []
    for i, (title, date, breached, quoted, word) in enumerate(specs):
        cases.append(
            CasePageFactory(
                parent=index,
                title=title,
                slug=f"booklet-case-{i}",
                decision_date=date,
                region=region,
                summary=f"{title}的概要：涉及{word}问题。",
                amount_involved="12800.00",
                party_sanction="serious_warning",
                administrative_sanction="demerit",
                categories=cats[:1] if i else cats,
                articles_breached=[articles[n] for n in breached],
                body=[
                    ("paragraph", RichText(f"<p>经查，{word}问题属实。<b>情节较重。</b></p>")),
                    (
                        "fact",
                        {"text": RichText(f"<p>违规事实{i + 1}</p>"), "articles": [articles[97]]},
                    ),
                    ("article_quote", {"article": articles[quoted], "note": "对照条文"}),
                    ("key_points", {"heading": "要点", "points": ["守住底线", "警钟长鸣"]}),
                ],
                lessons=f"<p>教训{i + 1}：以案为鉴。</p>",
                discussion_questions="本案暴露了哪些问题？\n如何防范？",
            )
        )
    return Booklet(cases=cases, articles=articles)


@pytest.fixture
def booklet_cases(db) -> Booklet:
    return build_cases()


def order(user, cases, title=TITLE, capture=None):
    if capture is None:
        return compilation_order(by=user, title=title, cases=cases)
    with capture(execute=True):
        return compilation_order(by=user, title=title, cases=cases)


def url(name: str, *args, lang: str = "zh-hans") -> str:
    with translation.override(lang):
        return reverse(name, args=args)


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def pdf_fonts(data: bytes) -> list[dict]:
    """Every font resource of every page (and its descendant font's descriptor)."""
    fonts = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            fonts[str(font["/BaseFont"])] = {
                "name": str(font["/BaseFont"]),
                "files": [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor],
            }
    return list(fonts.values())


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def stored_pdf(compilation: CaseCompilation) -> bytes:
    with default_storage.open(compilation.pdf.name, "rb") as f:
        return f.read()


# --- The booklet ---------------------------------------------------------------------


def test_booklet_has_cover_contents_chapters_and_appendix(
    booklet_cases, org, django_capture_on_commit_callbacks, caplog
):
    from wagtail.models import Site

    from qinglian.models import SiteSettings

    site_settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.organisation_name = "中共某市纪委监委"
    site_settings.save()
    caplog.set_level(logging.WARNING, logger="weasyprint")
    compilation = order(
        org.trainer, booklet_cases.cases, capture=django_capture_on_commit_callbacks
    )
    compilation.refresh_from_db()
    assert compilation.status == CaseCompilation.Status.DONE, compilation.error
    assert compilation.progress == 100
    data = stored_pdf(compilation)
    pages = pdf_pages(data)
    assert compilation.page_count == len(pages) >= 6
    assert not [r for r in caplog.records if ".notdef" in r.getMessage()]

    # Cover: the (Chinese) title, with characters outside GB2312.
    assert TITLE in pages[0]
    assert "中共某市纪委监委" in pages[0]
    assert "3" in pages[0]
    # Contents: each case title with the page its chapter starts on.
    toc = pages[1]
    for case in booklet_cases.cases:
        match = re.search(re.escape(case.title) + r"[\s.·…]*(\d+)", toc)
        assert match, (case.title, toc)
        chapter_page = int(match.group(1))
        assert squash(case.title) in squash(pages[chapter_page - 1])
        assert squash(case.summary) in squash(pages[chapter_page - 1])
        # The running header names the chapter on its pages.
        assert pages[chapter_page - 1].count(case.title) >= 2
    # Chapters, in the order given.
    text = squash("".join(pages))
    positions = [text.index(squash(c.summary)) for c in booklet_cases.cases]
    assert positions == sorted(positions)
    assert "违规事实1" in text and "教训3：以案为鉴。" in text and "如何防范？" in text
    # Appendix: the full text of every article cited, in the bodies too.
    appendix_start = next(
        i for i, p in enumerate(pages) if i > 1 and squash(ARTICLE_TEXTS[35]) in squash(p)
    )
    appendix = squash("".join(pages[appendix_start:]))
    for text_ in ARTICLE_TEXTS.values():
        assert squash(text_) in appendix
    # Page numbers at the foot of the chapter pages.
    assert pages[2].strip().endswith("3")


def test_every_font_is_an_embedded_subset(booklet_cases, org, django_capture_on_commit_callbacks):
    compilation = order(
        org.trainer, booklet_cases.cases, capture=django_capture_on_commit_callbacks
    )
    compilation.refresh_from_db()
    fonts = pdf_fonts(stored_pdf(compilation))
    assert fonts
    for font in fonts:
        assert re.match(r"^/[A-Z]{6}\+", font["name"]), font
        assert font["files"], f"{font['name']} is not embedded"
    assert any("CJK" in f["name"] for f in fonts)
    assert len(stored_pdf(compilation)) < 1_000_000


def test_sha256_and_deterministic_name(booklet_cases, org, django_capture_on_commit_callbacks):
    compilation = order(
        org.trainer, booklet_cases.cases, capture=django_capture_on_commit_callbacks
    )
    compilation.refresh_from_db()
    data = stored_pdf(compilation)
    assert compilation.sha256 == hashlib.sha256(data).hexdigest()
    assert compilation.pdf.name == f"compilations/{compilation.selection_key}.pdf"
    assert compilation.finished_at is not None


def test_a_missing_glyph_fails_the_render():
    # U+13000 (an Egyptian hieroglyph): no installed font has it; WeasyPrint would only
    # log a .notdef warning and draw a box.
    html = '<html lang="zh-Hans"><body><p>测试 \U00013000</p></body></html>'
    with pytest.raises(MissingGlyphError):
        pdf_render(html)
    assert pdf_render('<html lang="zh-Hans"><body><p>测试喆镕堃</p></body></html>').page_count == 1


# --- Ordering ------------------------------------------------------------------------


def test_identical_order_reuses_the_row_without_rendering_again(
    booklet_cases, org, django_capture_on_commit_callbacks, monkeypatch
):
    first = order(org.trainer, booklet_cases.cases, capture=django_capture_on_commit_callbacks)
    assert first.reused is False
    renders = []
    import cases.compilation as compilation_module

    real = compilation_module.pdf_render
    monkeypatch.setattr(
        compilation_module, "pdf_render", lambda *a, **k: renders.append(1) or real(*a, **k)
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = compilation_order(
            by=org.superuser, title=f"  {TITLE} ", cases=[c.pk for c in booklet_cases.cases]
        )
    assert again.pk == first.pk and again.reused is True
    assert callbacks == [] and renders == []
    assert CaseCompilation.objects.count() == 1
    # Another order of the same cases is another booklet.
    reordered = order(
        org.trainer, booklet_cases.cases[::-1], capture=django_capture_on_commit_callbacks
    )
    assert reordered.pk != first.pk
    assert renders == [1]


def test_a_changed_case_revision_makes_a_new_compilation(
    booklet_cases, org, django_capture_on_commit_callbacks
):
    first = order(org.trainer, booklet_cases.cases, capture=django_capture_on_commit_callbacks)
    case = booklet_cases.cases[1]
    case.summary = "修订后的概要：补充了新的事实。"
    case.save_revision().publish()
    cases = [CasePage.objects.get(pk=c.pk) for c in booklet_cases.cases]
    second = order(org.trainer, cases, capture=django_capture_on_commit_callbacks)
    assert second.pk != first.pk and second.selection_key != first.selection_key
    second.refresh_from_db()
    assert "修订后的概要" in squash("".join(pdf_pages(stored_pdf(second))))
    # Unchanged since: the new revision's booklet is reused.
    third = order(org.trainer, cases, capture=django_capture_on_commit_callbacks)
    assert third.pk == second.pk


def test_an_empty_selection_is_refused_and_writes_nothing(booklet_cases, org):
    with pytest.raises(ValidationError) as exc:
        compilation_order(by=org.trainer, title=TITLE, cases=[])
    assert exc.value.code == "empty"
    assert "请至少选择一个案例" in exc.value.messages[0]  # Chinese by default
    with pytest.raises(ValidationError):
        compilation_order(by=org.trainer, title="   ", cases=booklet_cases.cases)
    draft = booklet_cases.cases[0]
    draft.unpublish()
    with pytest.raises(ValidationError) as exc:
        compilation_order(by=org.trainer, title=TITLE, cases=[draft.pk])
    assert exc.value.code == "unpublished"
    assert CaseCompilation.objects.count() == 0
    assert not default_storage.exists("compilations")


def test_empty_selection_through_the_form_shows_the_message(booklet_cases, org, client):
    client.force_login(org.trainer)
    response = client.post(
        url("compilations:new", lang="en"),
        {"title": TITLE, "selection": "selected", "order": "date"},
    )
    assert response.status_code == 200
    assert "Choose at least one case" in response.content.decode()
    assert CaseCompilation.objects.count() == 0
    zh = client.post(
        url("compilations:new"), {"title": TITLE, "selection": "selected", "order": "date"}
    )
    assert zh.status_code == 200 and 'role="alert"' in zh.content.decode()
    assert CaseCompilation.objects.count() == 0


def test_rendering_twice_writes_one_file_with_the_same_name(
    booklet_cases, org, django_capture_on_commit_callbacks
):
    compilation = order(
        org.trainer, booklet_cases.cases, capture=django_capture_on_commit_callbacks
    )
    compilation.refresh_from_db()
    first_name, first_sha = compilation.pdf.name, compilation.sha256
    # A duplicate delivery of the task: the row is not pending, nothing happens.
    assert compilation_render(compilation_id=compilation.pk).status == "done"
    # A retry from scratch (the sweep put it back to pending): same name, same bytes.
    CaseCompilation.objects.filter(pk=compilation.pk).update(status="pending", progress=0)
    again = compilation_render(compilation_id=compilation.pk)
    assert (again.status, again.pdf.name, again.sha256) == ("done", first_name, first_sha)
    # Even when the stored file differs (a half-written earlier attempt), it is replaced.
    default_storage.delete(first_name)
    default_storage.save(first_name, io.BytesIO(b"%PDF-1.7 truncated"))
    CaseCompilation.objects.filter(pk=compilation.pk).update(status="pending")
    again = compilation_render(compilation_id=compilation.pk)
    assert again.pdf.name == first_name == compilation_pdf_name(again)
    _dirs, files = default_storage.listdir("compilations")
    assert files == [f"{compilation.selection_key}.pdf"]
    assert hashlib.sha256(stored_pdf(again)).hexdigest() == again.sha256 == first_sha


def test_a_failed_render_is_marked_failed_with_the_error(
    booklet_cases, org, django_capture_on_commit_callbacks, monkeypatch
):
    import cases.compilation as compilation_module

    def boom(*args, **kwargs):
        raise MissingGlyphError(".notdef glyph rendered for U+13000")

    monkeypatch.setattr(compilation_module, "pdf_render", boom)
    compilation = order(
        org.trainer, booklet_cases.cases, capture=django_capture_on_commit_callbacks
    )
    compilation.refresh_from_db()
    assert compilation.status == "failed" and "notdef" in compilation.error
    assert not compilation.pdf and not default_storage.exists(compilation_pdf_name(compilation))
    # Ordering the same selection again retries it.
    monkeypatch.undo()
    again = order(org.trainer, booklet_cases.cases, capture=django_capture_on_commit_callbacks)
    again.refresh_from_db()
    assert again.pk == compilation.pk and again.status == "done"


def test_a_done_compilation_whose_pdf_is_lost_is_rendered_again(
    booklet_cases, org, django_capture_on_commit_callbacks
):
    compilation = order(
        org.trainer, booklet_cases.cases, capture=django_capture_on_commit_callbacks
    )
    compilation.refresh_from_db()
    default_storage.delete(compilation.pdf.name)
    again = order(org.trainer, booklet_cases.cases, capture=django_capture_on_commit_callbacks)
    again.refresh_from_db()
    assert (again.pk, again.status) == (compilation.pk, "done")
    assert hashlib.sha256(stored_pdf(again)).hexdigest() == compilation.sha256


def test_the_sweep_requeues_stuck_compilations(booklet_cases, org):
    stuck = compilation_order(by=org.trainer, title=TITLE, cases=booklet_cases.cases)
    fresh = compilation_order(by=org.trainer, title="另一本", cases=booklet_cases.cases)
    old = stuck.created_at - datetime.timedelta(minutes=30)
    CaseCompilation.objects.filter(pk=stuck.pk).update(status="rendering", created_at=old)
    assert compilations_requeue_stuck() == [stuck.pk]
    assert CaseCompilation.objects.get(pk=stuck.pk).status == "pending"
    assert CaseCompilation.objects.get(pk=fresh.pk).status == "pending"
    # The beat task sends it through the render task again (eager here).
    CaseCompilation.objects.filter(pk=stuck.pk).update(status="rendering")
    assert compilation_requeue_stuck.delay().get() == 1
    assert CaseCompilation.objects.get(pk=stuck.pk).status == "done"
    assert CaseCompilation.objects.get(pk=fresh.pk).status == "pending"
    # A duplicate delivery of the render task changes nothing.
    assert compilation_render_task.delay(stuck.pk).get() == "done"
    CaseCompilation.objects.filter(pk=stuck.pk).update(status="rendering", created_at=old)
    ancient = stuck.created_at - datetime.timedelta(days=2)
    CaseCompilation.objects.filter(pk=stuck.pk).update(created_at=ancient)
    assert compilations_requeue_stuck() == []
    assert CaseCompilation.objects.get(pk=stuck.pk).status == "failed"


# --- URL fetcher ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file:///work/main/static/pdf/compilation.css",
        "http://example.com/style.css",
        "https://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:6379/",
        "data:text/css,body{}",
        "ftp://example.com/x.css",
    ],
)
def test_the_url_fetcher_refuses_outside_urls(url):
    fetcher = StaticOnlyURLFetcher()
    with pytest.raises(ValueError, match="Refused"):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_the_url_fetcher_refuses_traversal_and_unknown_static_files():
    prefix = static_prefix()
    fetcher = StaticOnlyURLFetcher()
    for path in ("../settings.py", "pdf/../../site/qinglian/settings/base.py", "pdf/nope.css"):
        with pytest.raises(ValueError, match="Refused"):
            fetcher.fetch(prefix + path)
    other_host = "http://evil.example/static/pdf/compilation.css"
    with pytest.raises(ValueError, match="Refused"):
        fetcher.fetch(other_host)


def test_the_url_fetcher_serves_the_projects_static_files():
    response = StaticOnlyURLFetcher().fetch(static_prefix() + "pdf/compilation.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


def test_a_document_cannot_read_files_or_reach_the_network(caplog):
    html = (
        '<html lang="zh-Hans"><head><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
        '<link rel="stylesheet" href="file:///etc/passwd"></head><body><p>正文</p>'
        '<img src="file:///etc/hostname"><img src="/media/secret.png"></body></html>'
    )
    rendered = pdf_render(html, base_url=document_base_url())
    assert rendered.page_count == 1
    refused = [m for m in rendered.warnings if "Refused" in m or "refused" in m]
    assert len(refused) >= 3


def test_the_booklet_template_escapes_case_content(booklet_cases):
    from cases.compilation import booklet_build, booklet_html, cases_in_order

    cases = cases_in_order([c.pk for c in booklet_cases.cases])
    cases[0].title = '<img src="file:///etc/passwd">某案'
    cases[0].summary = "<script>alert(1)</script>"
    html = booklet_html(booklet_build(title="<b>读本</b>", cases=cases, date=None))
    assert '<img src="file:///etc/passwd">' not in html and "<script>" not in html
    assert "&lt;img src=" in html and "&lt;b&gt;读本&lt;/b&gt;" in html
    rendered = pdf_render(html)
    assert '<img src="file:///etc/passwd">某案' in "".join(pdf_pages(rendered.data))


# --- Pages ---------------------------------------------------------------------------


def test_trainer_orders_through_the_form_and_sees_progress_and_downloads(
    booklet_cases, org, client, django_capture_on_commit_callbacks
):
    client.force_login(org.trainer)
    assert client.get(url("compilations:list")).status_code == 200
    form = client.get(url("compilations:new"))
    assert form.status_code == 200
    for case in booklet_cases.cases:
        assert case.title in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("compilations:new"),
            {
                "title": TITLE,
                "selection": "selected",
                "order": "date",
                "cases": [c.pk for c in booklet_cases.cases],
            },
        )
    compilation = CaseCompilation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("compilations:detail", compilation.pk)
    # By decision date: 2022, 2023, 2024.
    by_date = sorted(booklet_cases.cases, key=lambda c: c.decision_date)
    assert compilation.case_ids == [c.pk for c in by_date]
    detail = client.get(response["Location"])
    assert detail.status_code == 200 and "<progress" in detail.content.decode()
    status = client.get(url("compilations:status_json", compilation.pk)).json()
    assert status["status"] == "done" and status["finished"] and status["progress"] == 100
    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == compilation.sha256
    listing = client.get(url("compilations:list")).content.decode()
    assert TITLE in listing and status["download_url"] in listing


def test_progress_page_refreshes_while_pending(booklet_cases, org, client):
    compilation = compilation_order(by=org.trainer, title=TITLE, cases=booklet_cases.cases)
    client.force_login(org.trainer)
    page = client.get(url("compilations:detail", compilation.pk)).content.decode()
    assert 'http-equiv="refresh"' in page and "<progress" in page
    status = client.get(url("compilations:status_json", compilation.pk)).json()
    assert (status["status"], status["finished"], status["download_url"]) == (
        "pending",
        False,
        None,
    )
    assert client.get(url("compilations:download", compilation.pk)).status_code == 404


def test_ordering_by_a_saved_filter_resolves_the_cases_when_ordering(
    booklet_cases, org, client, django_capture_on_commit_callbacks
):
    client.force_login(org.trainer)
    listed = client.get(url("compilations:new"), {"year": "2024"}).content.decode()
    assert booklet_cases.cases[1].title in listed
    assert booklet_cases.cases[0].title not in listed
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url("compilations:new"),
            {"title": "二〇二四年案例", "selection": "filter", "order": "date", "year": "2024"},
        )
    compilation = CaseCompilation.objects.get()
    assert compilation.case_ids == [booklet_cases.cases[1].pk]
    assert compilation.filter_query == {"year": 2024, "order": "date"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url("compilations:new"),
            {
                "title": "廉洁纪律案例",
                "selection": "filter",
                "order": "date",
                "category": "integrity",
            },
        )
    by_category = CaseCompilation.objects.get(title="廉洁纪律案例")
    assert set(by_category.case_ids) == {c.pk for c in booklet_cases.cases}
    # A filter that matches nothing is an empty selection, and a stale one is not "all
    # cases": both refused with a message.
    CasePage.objects.filter(decision_date__year=2024).first().unpublish()
    for year in ("2024", "1999"):
        response = client.post(
            url("compilations:new", lang="en"),
            {"title": "空", "selection": "filter", "order": "date", "year": year},
        )
        assert response.status_code == 200
        assert 'role="alert"' in response.content.decode()
    assert CaseCompilation.objects.filter(title="空").count() == 0


@pytest.mark.parametrize("who", ["finance_learner", "finance_admin", "discipline"])
def test_others_get_403(booklet_cases, org, client, who):
    compilation = compilation_order(by=org.trainer, title=TITLE, cases=booklet_cases.cases)
    client.force_login(getattr(org, who))
    for name, args in [
        ("compilations:list", []),
        ("compilations:new", []),
        ("compilations:detail", [compilation.pk]),
        ("compilations:status_json", [compilation.pk]),
        ("compilations:download", [compilation.pk]),
        ("compilations:download", [compilation.pk + 1000]),
    ]:
        assert client.get(url(name, *args)).status_code == 403, name
    response = client.post(
        url("compilations:new"),
        {"title": TITLE, "selection": "selected", "order": "date", "cases": [1]},
    )
    assert response.status_code == 403
    assert CaseCompilation.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in(booklet_cases, org, client):
    compilation = compilation_order(by=org.trainer, title=TITLE, cases=booklet_cases.cases)
    for address in (
        url("compilations:list"),
        url("compilations:download", compilation.pk),
    ):
        response = client.get(address)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_person_who_ordered_it_may_download_it(
    booklet_cases, org, client, django_capture_on_commit_callbacks
):
    """Someone who ordered a booklet as a trainer keeps access to it after the role ends."""
    compilation = order(
        org.finance_learner, booklet_cases.cases, capture=django_capture_on_commit_callbacks
    )
    client.force_login(org.finance_learner)
    response = client.get(url("compilations:download", compilation.pk))
    assert response.status_code == 200
    assert client.get(url("compilations:list")).status_code == 403


# --- Through the real worker ---------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_render_runs_through_celery(org, celery_mode, client):
    booklet = build_cases(with_categories=False)
    client.force_login(org.trainer)
    response = client.post(
        url("compilations:new"),
        {
            "title": TITLE,
            "selection": "selected",
            "order": "listed",
            "cases": [c.pk for c in booklet.cases],
        },
    )
    assert response.status_code == 302
    compilation = CaseCompilation.objects.get()
    assert compilation.case_ids == [c.pk for c in booklet.cases]
    status_url = url("compilations:status_json", compilation.pk)
    deadline = time.monotonic() + 120
    status = client.get(status_url).json()
    while not status["finished"] and time.monotonic() < deadline:
        time.sleep(0.3)
        status = client.get(status_url).json()
    assert status["status"] == "done", (celery_mode, status)
    compilation.refresh_from_db()
    assert compilation.page_count >= 6 and len(compilation.sha256) == 64
    assert compilation.pdf.name == f"compilations/{compilation.selection_key}.pdf"
    if celery_mode == "eager":
        # With a real worker the PDF lives in the worker's storage (in-memory in tests).
        assert hashlib.sha256(stored_pdf(compilation)).hexdigest() == compilation.sha256
    # Ordering it again reuses it.
    client.post(
        url("compilations:new"),
        {
            "title": TITLE,
            "selection": "selected",
            "order": "listed",
            "cases": [c.pk for c in booklet.cases],
        },
    )
    assert CaseCompilation.objects.count() == 1


def test_compilation_list_and_detail_query_counts_are_pinned(
    org, client, django_assert_max_num_queries
):
    def add(n: int) -> CaseCompilation:
        return CaseCompilation.objects.create(
            title=f"读本{n}",
            selection_key=f"{n:064d}",
            created_by=org.trainer,
            status=CaseCompilation.Status.DONE,
            progress=100,
        )

    first = add(1)
    client.force_login(org.trainer)
    list_url = url("compilations:list")
    client.get(list_url)
    with django_assert_max_num_queries(12):
        assert client.get(list_url).status_code == 200
    for n in range(2, 12):
        add(n)
    with django_assert_max_num_queries(12):
        response = client.get(list_url)
    assert "读本11" in response.content.decode()
    with django_assert_max_num_queries(12):
        assert client.get(url("compilations:detail", first.pk)).status_code == 200
