"""A case compilation booklet (警示教育读本) of 3 realistic cases against WeasyPrint rendering
a blank page, both with the process's shared FontConfiguration.

The subject is what the Celery task does apart from storage: read the 3 cases (facts,
categories, articles breached, StreamField bodies citing articles), build the booklet
HTML (cover, contents with page numbers, one chapter per case, appendix with the full text
of every article cited) and lay it out and write the PDF with subset CJK fonts.
"""

from __future__ import annotations

import datetime
import io
import re
from typing import Any

from bench.harness import Scenario, count_queries, peak_memory_bytes

ARTICLES = {
    97: "收受可能影响公正执行公务的礼品、礼金、消费卡和有价证券、股权、其他金融产品等财物，"
    "情节较轻的，给予警告或者严重警告处分；情节较重的，给予撤销党内职务或者留党察看处分；"
    "情节严重的，给予开除党籍处分。",
    106: "违反有关规定，用公款支付、报销应当由个人负担的费用的，情节较重的，给予警告或者严重警告处分。",
    140: "利用职权或者职务上的影响操办婚丧喜庆事宜，在社会上造成不良影响的，给予警告或者严重警告处分。",
    112: "违反有关规定自定薪酬或者滥发津贴、补贴、奖金等，对直接责任者和领导责任者，"
    "情节较轻的，给予警告或者严重警告处分。",
}


def _home() -> Any:
    from wagtail.models import Page

    from qinglian.models import HomePage

    return HomePage.objects.first() or Page.get_first_root_node()


def setup() -> dict[str, Any]:
    from wagtail.rich_text import RichText

    from cases.factories import (
        ArticleFactory,
        CaseIndexPageFactory,
        CasePageFactory,
        RegionFactory,
        RegulationFactory,
        category,
    )

    regulation = RegulationFactory()
    articles = {
        n: ArticleFactory(regulation=regulation, number=n, label=f"第{n}条", text=text)
        for n, text in ARTICLES.items()
    }
    index = CaseIndexPageFactory(parent=_home(), slug="bench-cases")
    region = RegionFactory(name="基准省")
    specs = [
        ("某市财政局原局长张喆违规收受礼品礼金案", [97, 112], 97, "integrity"),
        ("某县住建局副局长李镕公款吃喝案", [106], 106, "integrity"),
        ("某区卫健委主任王堃违规操办婚丧喜庆事宜案", [140], 140, "integrity"),
    ]
    paragraph = (
        "<p>经查，{name}在担任领导职务期间，违反中央八项规定精神，{what}，"
        "并在组织函询时隐瞒事实、对抗组织审查。其行为已构成严重违纪。</p>"
    )
    cases = []
    for i, (title, breached, quoted, code) in enumerate(specs):
        body = []
        for j in range(6):
            body.append(
                ("paragraph", RichText(paragraph.format(name=title[:6], what=f"多次违规{j + 1}")))
            )
            body.append(
                (
                    "fact",
                    {
                        "text": RichText(
                            f"<p>{2018 + j}年，收受管理服务对象所送礼金{j + 2}万元。</p>"
                        ),
                        "articles": [articles[breached[0]]],
                    },
                )
            )
        body.append(("article_quote", {"article": articles[quoted], "note": "对照条文"}))
        body.append(
            ("key_points", {"heading": "警示", "points": ["守住底线", "警钟长鸣", "以案明纪"]})
        )
        cases.append(
            CasePageFactory(
                parent=index,
                title=title,
                slug=f"bench-case-{i}",
                decision_date=datetime.date(2022 + i, 3, 9),
                region=region,
                summary=f"{title}。当事人利用职务便利违规收受财物，受到党纪政务处分。",
                amount_involved="128000.00",
                party_sanction="probation",
                administrative_sanction="dismissal_from_post",
                categories=[category(code)],
                articles_breached=[articles[n] for n in breached],
                body=body,
                lessons="<p>以案为鉴、以案明纪：领导干部要慎独慎微，严守纪律规矩。</p>",
                discussion_questions="本案暴露了哪些问题？\n如何把纪律规矩挺在前面？\n本单位有无类似风险？",
            )
        )
    return {"case_ids": [c.pk for c in cases]}


def _render(state: dict[str, Any]) -> Any:
    from cases.compilation import booklet_build, booklet_html, cases_in_order, pdf_render

    cases = cases_in_order(state["case_ids"])
    booklet = booklet_build(
        title="二〇二四年度警示教育读本", cases=cases, date=datetime.date(2024, 12, 1)
    )
    return pdf_render(booklet_html(booklet))


def subject(state: dict[str, Any]) -> None:
    _render(state)


def baseline(state: dict[str, Any]) -> None:
    from weasyprint import HTML

    from cases.compilation import FONT_CONFIG

    HTML(string="<!DOCTYPE html><html><body></body></html>").write_pdf(font_config=FONT_CONFIG)


def counters(state: dict[str, Any]) -> dict[str, Any]:
    from pypdf import PdfReader

    rendered = _render(state)
    names = set()
    embedded = True
    for page in PdfReader(io.BytesIO(rendered.data)).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]))
            target = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = target["/FontDescriptor"].get_object()
            embedded &= any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return {
        "pdf_bytes": len(rendered.data),
        "pdf_kb": round(len(rendered.data) / 1024, 1),
        "pages": rendered.page_count,
        "fonts": len(names),
        "fonts_subset_and_embedded": embedded and all(re.match(r"/[A-Z]{6}\+", n) for n in names),
        "queries": count_queries(_render, state),
        "peak_mem_mb": round(peak_memory_bytes(_render, state) / 2**20, 1),
    }


SCENARIO = Scenario(
    name="compilation",
    description="a 3-case compilation booklet (cover, contents, chapters, appendix; CJK subset "
    "fonts) vs WeasyPrint rendering a blank page",
    setup=setup,
    subject=subject,
    baseline=baseline,
    counters=counters,
    target_ratio=None,
    pairs=5,
)
