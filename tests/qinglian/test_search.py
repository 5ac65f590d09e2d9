"""Chinese site search (/search/?q=) on the database backend: segmentation on both sides,
traditional → simplified, mixed Chinese/English, title ranking, highlighting, hostile
input. Runs on SQLite (FTS5) and, with DATABASE_URL set, on PostgreSQL."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from wagtail.search.backends import get_search_backend

from cases.factories import ArticleFactory, CaseIndexPageFactory, CasePageFactory
from cases.models import CasePage
from qinglian.models import HomePage
from qinglian.search import (
    MAX_QUERY_TERMS,
    excerpt,
    highlight,
    query_terms,
    segment,
)

# (slug, title, summary, body paragraphs). People and places are fictional.
CORPUS = [
    (
        "bribery",
        "某市自然资源局原副局长王某某严重违纪违法案",
        "王某某利用职务上的便利，在土地出让、规划审批等方面为他人谋取利益，非法收受他人财物共计八百余万元，"
        "被开除党籍和公职，因犯受贿罪被判处有期徒刑十年。",
        [
            "2015年至2022年间，王某某多次在办公室收受开发商送来的现金和购物卡。",
            "王某某还默许其妻子在其管理服务对象的公司挂名领取薪酬。",
        ],
    ),
    (
        "banquet",
        "某县农业农村局局长陈某违规操办儿子婚宴问题",
        "陈某借儿子结婚之机，违规操办婚丧喜庆事宜，大操大办，宴请管理服务对象共计四十余桌，受到党内严重警告处分。",
        [
            "陈某事先未按规定向组织报告，婚宴设在某酒店，邀请辖区内多家农业企业负责人参加。",
            "陈某已退还相关款项，在全县通报。",
        ],
    ),
    (
        "gifts",
        "某区税务局副局长刘某某违规收受礼品礼金问题",
        "刘某某在春节、中秋节期间多次收受管理服务对象所送礼品礼金，受到党内警告处分。",
        [
            "刘某某收受高档白酒、茶叶等礼品，以及以拜年为名所送红包礼金共计三万元。",
            "刘某某所收款物已被收缴。",
        ],
    ),
    (
        "dining",
        "某镇党委书记赵某公款吃喝问题",
        "赵某多次组织公款吃喝并在KTV包房娱乐，费用以会议费名义在镇财政报销，受到撤销党内职务处分。",
        [
            "赵某以接待考察为名，安排镇政府工作人员和企业负责人在饭店聚餐，饮用高档酒水。",
            "餐后一行人前往KTV包房唱歌，所需费用均由镇政府承担。",
        ],
    ),
    (
        "gambling",
        "某县教育局干部孙某某参与赌博问题",
        "孙某某在工作时间多次参与赌博，输赢金额较大，受到党内严重警告、政务记大过处分。",
        [
            "孙某某多次在某茶楼包间与他人打麻将赌博，单局输赢达数千元。",
            "有一次孙某某驾驶公务用车前往茶楼，造成不良影响。",
        ],
    ),
    (
        "car",
        "某市交通运输局原副局长周某违规使用公务用车问题",
        "周某长期违规使用公务用车办理私事，接送家属上下班，受到政务警告处分。",
        [
            "周某安排驾驶员在节假日驾车送其家人外出旅游，产生的油费和过路费在单位报销。",
        ],
    ),
    (
        "embezzlement",
        "某街道办事处财政所原所长吴某某贪污公款案",
        "吴某某利用保管专项资金的职务便利，采取虚列支出的手段侵吞资金一百二十万元，被开除党籍和公职，因犯贪污罪被判处有期徒刑。",
        ["吴某某将侵吞的资金用于购买理财产品和个人消费。"],
    ),
    (
        "housing",
        "某区住房和城乡建设局科长郑某违规插手工程项目问题",
        "郑某利用职务影响，违规插手辖区内工程招投标，为其亲属承揽工程提供帮助，受到撤销党内职务处分。",
        ["郑某多次打招呼，要求评标专家对其亲属所在公司予以关照。"],
    ),
    (
        "travel",
        "某市卫生健康委员会处长冯某违规公款旅游问题",
        "冯某以外出学习考察为名，组织处室人员变相公款旅游，受到党内警告处分。",
        ["考察期间，冯某一行游览多处景区，门票和住宿费用由下属医院承担。"],
    ),
    (
        "subsidy",
        "某乡镇干部钱某某优亲厚友骗取低保补助问题",
        "钱某某在低保评审中优亲厚友，为不符合条件的亲属违规办理低保，侵害群众利益，受到开除党籍处分。",
        ["钱某某在入户调查中弄虚作假，群众反映强烈。"],
    ),
    (
        "formalism",
        "某县发展改革局局长何某履职不力、形式主义问题",
        "何某对重点项目建设督查工作敷衍塞责，搞形式主义，造成国有资金损失，受到党内严重警告处分。",
        ["督查材料层层加码，基层疲于应付，实际问题长期得不到解决。"],
    ),
    (
        "lending",
        "某国有企业副总经理许某违规借贷谋利问题",
        "许某违规向管理服务对象借款并收取高额利息，从事营利活动，受到撤职处分。",
        ["许某通过亲属账户出借资金，获取利息收入五十余万元。"],
    ),
    (
        "housing-gift",
        "某市场监管局科员冯某违规接受宴请问题",
        "冯某多次接受可能影响公正执行公务的宴请，受到诫勉处理。",
        ["冯某在检查期间接受被检查企业安排的宴请，并接受赠送的土特产。"],
    ),
]

DRAFT_WORD = "暗箱操作"


def paragraphs(texts: list[str]) -> list[tuple[str, str]]:
    return [("paragraph", f"<p>{t}</p>") for t in texts]


@pytest.fixture
def corpus(db):
    index = CaseIndexPageFactory(parent=HomePage.objects.first())
    pages = {}
    for n, (slug, title, summary, body) in enumerate(CORPUS):
        pages[slug] = CasePageFactory(
            parent=index,
            slug=slug,
            title=title,
            summary=summary,
            body=paragraphs(body),
            position_at_time="某局干部",
            decision_date=datetime.date(2024, 1, 1) + datetime.timedelta(days=n),
        )
    draft = CasePageFactory(
        parent=index,
        slug="draft",
        title="某局干部草稿案例",
        summary=f"尚未发布的案例，内容涉及{DRAFT_WORD}。",
        live=False,
    )
    articles = {
        "gifts": ArticleFactory(
            number=97,
            label="第九十七条",
            text="收受可能影响公正执行公务的礼品、礼金、消费卡和有价证券、股权、其他金融产品等财物，"
            "情节较轻的，给予警告或者严重警告处分。",
        ),
        "banquet": ArticleFactory(
            number=108,
            label="第一百零八条",
            text="违反有关规定操办婚丧喜庆事宜，造成不良影响的，给予警告或者严重警告处分。",
        ),
    }
    return pages, draft, articles


def search(client, q, **params):
    response = client.get("/search/", {"q": q, **params})
    assert response.status_code == 200
    return response


def result_urls(response) -> list[str]:
    return [r.url for r in response.context["results"]]


def found_slugs(response) -> list[str]:
    """The slugs of the case pages found, best first (articles left out)."""
    return [
        url.rstrip("/").rsplit("/", 1)[-1]
        for url in result_urls(response)
        if not url.startswith(("/regulations/", "/en/regulations/"))
    ]


# Segmentation ----------------------------------------------------------------------------


def test_segment_normalises_and_cuts_words():
    # search mode: the word and the words inside it
    assert segment("因犯受贿罪被判处") == "因犯 受贿 受贿罪 被 判处"
    assert segment("受贿罪") == "受贿 受贿罪"
    # full-width latin → half-width, lower case; punctuation and emoji dropped
    assert segment("ＫＴＶ包房！😀「公款」") == "ktv 包房 公款"
    # traditional → simplified
    assert segment("受賄") == "受贿"
    assert segment(None) == ""
    assert segment(["礼品礼金", "婚丧喜庆"]).split() == ["礼品", "礼金", "喜庆", "婚丧喜庆"]


def test_query_terms_are_word_tokens_only_and_capped():
    assert query_terms('" OR 1=1; --') == ["1"]  # "or" is a stop word, "1" is kept once
    assert query_terms("ＫＴＶ　公款！") == ["ktv", "公款"]
    for raw in ['"受贿"', "'受贿':*", "受贿 & 礼金", "title:受贿", "受贿\x00"]:
        assert all(re.fullmatch(r"[^\W_]+", t) for t in query_terms(raw)), raw
    assert query_terms("   ") == []
    assert query_terms("😀🔥") == []
    assert query_terms(None) == []
    long = " ".join(f"w{i}" for i in range(600))
    assert 0 < len(query_terms(long)) <= MAX_QUERY_TERMS
    assert query_terms("受贿的问题") == ["受贿", "问题"]


def test_highlight_marks_original_text_and_escapes():
    assert highlight("收受<b>礼金</b>", ["礼金"]) == "收受&lt;b&gt;<mark>礼金</mark>&lt;/b&gt;"
    # a traditional or full-width original is marked where the normalised term matches
    assert highlight("犯受賄罪", ["受贿"]) == "犯<mark>受賄</mark>罪"
    assert highlight("在ＫＴＶ唱歌", ["ktv"]) == "在<mark>ＫＴＶ</mark>唱歌"
    snippet = excerpt("前言。" * 100 + "违规操办婚丧喜庆事宜" + "后记。" * 100, ["婚丧喜庆"])
    assert "<mark>婚丧喜庆</mark>" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")


# The index -------------------------------------------------------------------------------


def test_index_holds_segmented_text(corpus):
    pages, _, _ = corpus
    entry = pages["bribery"].index_entries.get()
    if connection.vendor == "postgresql":
        body, title = entry.body_text, entry.title_text
    else:
        body, title = entry.body, entry.title
    assert "受贿 受贿罪" in body
    assert "自然 资源 自然资源" in title
    assert "违纪 违法" in title


def test_segmented_fields_keep_title_weight():
    from qinglian.search import SegmentedSearchField

    titles = [f for f in CasePage.get_searchable_search_fields() if f.field_name == "title"]
    assert len(titles) == 1
    assert isinstance(titles[0], SegmentedSearchField)
    assert titles[0].boost == 2


# The examples of issue #3 ----------------------------------------------------------------


QUERIES = [
    ("受贿", "bribery"),
    ("受贿罪", "bribery"),
    ("婚丧喜庆", "banquet"),
    ("礼品礼金", "gifts"),
    ("公款吃喝", "dining"),
    ("受賄", "bribery"),  # traditional
    ("婚喪喜慶", "banquet"),  # traditional
    ("KTV 公款", "dining"),  # mixed Chinese / English
    ("ktv", "dining"),
    ("ＫＴＶ", "dining"),  # full-width
    ("公务用车", "car"),
    ("赌博", "gambling"),
    ("贪污", "embezzlement"),
    ("低保", "subsidy"),
    ("形式主义", "formalism"),
]


def test_chinese_queries_find_the_case_first(client, corpus):
    misses = []
    for query, expected in QUERIES:
        slugs = found_slugs(search(client, query))
        if not slugs or slugs[0] != expected:
            misses.append((query, expected, slugs))
    assert misses == []


def test_public_funds_finds_the_dining_case(client, corpus):
    slugs = found_slugs(search(client, "公款"))
    assert "dining" in slugs
    # 公款 is also in 公款旅游 and 贪污公款; no case without it
    assert set(slugs) <= {"dining", "travel", "embezzlement"}


def test_queries_stock_wagtail_would_miss_are_found_on_the_raw_backend_too(corpus):
    """The segmented index answers Wagtail's own search API as well (e.g. the admin)."""
    backend = get_search_backend()
    results = backend.search("受贿", CasePage.objects.live())
    assert [p.slug for p in results] == ["bribery"]


def test_title_hits_rank_above_body_only_hits(client, corpus):
    # "公务用车" is in the car case's title and only in the gambling case's body.
    slugs = found_slugs(search(client, "公务用车"))
    assert slugs[:2] == ["car", "gambling"]
    # "宴请" is in the title of housing-gift and only in the banquet case's summary.
    slugs = found_slugs(search(client, "宴请"))
    assert slugs.index("housing-gift") < slugs.index("banquet")


def test_a_title_hit_outranks_a_body_full_of_the_word(client, corpus):
    """Without title weighting (stock SQLite bm25), the second page would come first."""
    index = corpus[0]["bribery"].get_parent()
    CasePageFactory(
        parent=index,
        slug="allowance-title",
        title="某局违规发放津贴问题",
        summary="该局以加班费名义向全体干部发放补助。" * 3,
        body=paragraphs(["财务人员未按规定审核。", "相关款项已全部追回。"]),
    )
    CasePageFactory(
        parent=index,
        slug="allowance-body",
        title="某局干部违纪问题",
        summary="津贴。津贴发放。违规津贴。津贴标准。",
    )
    assert found_slugs(search(client, "津贴"))[:2] == ["allowance-title", "allowance-body"]


def test_results_highlight_the_terms(client, corpus):
    response = search(client, "受贿")
    content = response.content.decode()
    assert "<mark>受贿</mark>罪" in content
    response = search(client, "受賄")
    assert "<mark>受贿</mark>" in response.content.decode()
    response = search(client, "KTV 公款")
    content = response.content.decode()
    assert "<mark>KTV</mark>" in content and "<mark>公款</mark>" in content
    result = response.context["results"][0]
    assert "<mark>公款</mark>" in result.title
    assert result.type_label


def test_drafts_are_not_found(client, corpus):
    _, draft, _ = corpus
    # the draft is in the index, but not live
    assert draft.index_entries.exists()
    response = search(client, DRAFT_WORD)
    assert response.context["results"] == []
    assert "草稿" not in "".join(str(r.title) for r in response.context["results"])


def test_articles_are_found(client, corpus):
    _, _, articles = corpus
    response = search(client, "消费卡")
    urls = result_urls(response)
    assert urls == [articles["gifts"].get_absolute_url()]
    response = search(client, "婚丧喜庆")
    urls = result_urls(response)
    assert articles["banquet"].get_absolute_url() in urls
    assert found_slugs(response) == ["banquet"]


def test_any_word_fallback_when_no_page_has_all_words(client, corpus):
    response = search(client, "赌博 贪污")
    assert response.context["fell_back"]
    assert {"gambling", "embezzlement"} <= set(found_slugs(response))


def test_english_url_and_empty_query(client, corpus):
    response = client.get("/en/search/", {"q": "受贿"})
    assert response.status_code == 200
    assert found_slugs(response) == ["bribery"]
    response = client.get("/search/")
    assert response.status_code == 200
    assert not response.context["searched"]
    assert b'role="search"' in response.content
    assert b"search-result" not in response.content.replace(b"search-results", b"")


def test_pagination(client, corpus):
    # 某 (as in 某市, 某县) is in every case title
    response = search(client, "某局 干部 问题")  # any-word fallback: many hits
    assert response.context["paginator"].count > 10
    page2 = search(client, "某局 干部 问题", page=2)
    assert page2.context["page_obj"].number == 2
    first = set(result_urls(response))
    assert first.isdisjoint(result_urls(page2))
    assert search(client, "某局 干部 问题", page="x").context["page_obj"].number == 1
    assert search(client, "某局 干部 问题", page="999").status_code == 200


HOSTILE = [
    '"',
    "'",
    '""',
    '"受贿',
    "   ",
    "\t\n",
    "　　",  # ideographic spaces
    "' OR 1=1 --",
    "'; DROP TABLE wagtailcore_page; --",
    "1' UNION SELECT password FROM people_user --",
    'a" OR "b',
    "(",
    ")",
    "*",
    "受贿*",
    "NEAR(受贿 礼金)",
    "受贿 AND",
    "AND OR NOT",
    "-受贿",
    "title:受贿",
    "{title body}: 受贿",
    "^受贿",
    "😀🔥",
    "受贿😀",
    "\x00",
    "受贿\x00礼金",
    "%",
    "_",
    "\\",
    "!@#$%^&*()",
    "<script>alert(1)</script>",
    "ＳＥＬＥＣＴ　＊　ＦＲＯＭ",
    "x" * 1000,
    "受贿" * 500,
    "中" * 1000,
    " ".join(["受贿"] * 400),
    " ".join(f"w{i}" for i in range(500)),
    " ".join(["受贿", "礼金", "公款", "赌博", "宴请"] * 100),
    "受賄罪",
    "a & b | c ! d <-> e",
    "'受贿':*",
]


def test_hostile_queries_get_a_page(client, corpus):
    for query in HOSTILE:
        response = client.get("/search/", {"q": query})
        assert response.status_code == 200, query
        assert b"<script>alert" not in response.content
        for lang in ("/en/search/",):
            assert client.get(lang, {"q": query, "page": query}).status_code == 200, query


def test_repeated_query_parameter_gets_a_page(client, corpus):
    response = client.get("/search/?q=受贿&q=%22&q=")
    assert response.status_code == 200


def test_search_query_count_is_pinned(client, corpus, django_assert_max_num_queries):
    """View restrictions, one scored query per source (pages, articles), the pages' types,
    one per page type, then site and site settings: not one per result."""
    search(client, "公款")
    with django_assert_max_num_queries(7):
        search(client, "公款")
    with django_assert_max_num_queries(7):
        assert len(search(client, "某局 干部 问题").context["results"]) == 10
    with django_assert_max_num_queries(9):  # no page has both: the any-word search too
        assert search(client, "赌博 贪污").context["fell_back"]
    with django_assert_max_num_queries(2):
        search(client, "")
    with django_assert_max_num_queries(2):
        search(client, "😀 !!!")  # no word tokens: no search
