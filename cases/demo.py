"""Demo content for the case library: the 2023 Regulations on Disciplinary Actions (only
the articles the demo cases cite), sectors, regions, the case library page and fourteen
warning-education cases. Called by ``build_demo``; idempotent (everything is looked up by
its natural key first, and an existing case is left as it is).

The article texts are the published 2023 text; the cases, their people and narratives
are fictional and written for the demo.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from wagtail.models import Page, Site
from wagtail.rich_text import RichText

from people.models import OrgUnit, RankLevel, Sector

from .models import Article, CaseIndexPage, CasePage, DisciplineCategory, Region, Regulation
from .workflows import case_workflow_ensure

REGULATION = {
    "slug": "jlcftl-2023",
    "title": "中国共产党纪律处分条例",
    "short_name": "纪律处分条例",
    "issuer": "中共中央",
    "version": "2023",
    "effective_date": datetime.date(2024, 1, 1),
}

# (number, label, part, chapter, text): the articles the demo cases cite, as published.
ARTICLES: list[tuple[int, str, str, str, str]] = [
    (
        29,
        "第二十九条",
        "第一编 总则",
        "第四章 对违法犯罪党员的纪律处分",
        "党组织在纪律审查中发现党员有贪污贿赂、滥用职权、玩忽职守、权力寻租、利益输送、徇私舞弊、浪费国家资财等违反法律涉嫌犯罪行为的，应当给予撤销党内职务、留党察看或者开除党籍处分。",
    ),
    (
        30,
        "第三十条",
        "第一编 总则",
        "第四章 对违法犯罪党员的纪律处分",
        "党组织在纪律审查中发现党员有刑法规定的行为，虽不构成犯罪但须追究党纪责任的，或者有其他破坏社会主义市场经济秩序、违反治安管理等违法行为，损害党、国家和人民利益的，应当视具体情节给予警告直至开除党籍处分。\n违反国家财经纪律，在公共资金收支、税务管理、国有资产管理、政府采购管理、金融管理、财务会计管理等财经活动中有违法行为的，依照前款规定处理。\n党员有嫖娼或者吸食、注射毒品等丧失党员条件，严重败坏党的形象行为的，应当给予开除党籍处分。",
    ),
    (
        51,
        "第五十一条",
        "第二编 分则",
        "第六章 对违反政治纪律行为的处分",
        "通过网络、广播、电视、报刊、传单、书籍等，或者利用讲座、论坛、报告会、座谈会等方式，有下列行为之一，情节较轻的，给予警告或者严重警告处分；情节较重的，给予撤销党内职务或者留党察看处分；情节严重的，给予开除党籍处分：\n（一）公开发表违背四项基本原则，违背、歪曲党的改革开放决策，或者其他有严重政治问题的文章、演说、宣言、声明等；\n（二）妄议党中央大政方针，破坏党的集中统一；\n（三）丑化党和国家形象，或者诋毁、诬蔑党和国家领导人、英雄模范，或者歪曲党的历史、中华人民共和国历史、人民军队历史。\n发布、播出、刊登、出版前款所列内容或者为上述行为提供方便条件的，对直接责任者和领导责任者，给予严重警告或者撤销党内职务处分；情节严重的，给予留党察看或者开除党籍处分。",
    ),
    (
        70,
        "第七十条",
        "第二编 分则",
        "第六章 对违反政治纪律行为的处分",
        "组织迷信活动的，给予撤销党内职务或者留党察看处分；情节严重的，给予开除党籍处分。\n参加迷信活动或者个人搞迷信活动，造成不良影响的，给予警告或者严重警告处分；情节较重的，给予撤销党内职务或者留党察看处分；情节严重的，给予开除党籍处分。\n对不明真相的参加人员，经批评教育后确有悔改表现的，可以免予处分或者不予处分。",
    ),
    (
        81,
        "第八十一条",
        "第二编 分则",
        "第七章 对违反组织纪律行为的处分",
        "有下列行为之一，情节较重的，给予警告或者严重警告处分：\n（一）违反个人有关事项报告规定，隐瞒不报；\n（二）在组织进行谈话函询时，不如实向组织说明问题；\n（三）不按要求报告或者不如实报告个人去向；\n（四）不如实填报个人档案资料。\n有前款第二项规定的行为，同时向组织提供虚假情况、掩盖事实的，依照本条例第六十三条规定处理。\n篡改、伪造个人档案资料的，给予严重警告处分；情节严重的，给予撤销党内职务或者留党察看处分。\n隐瞒入党前严重错误的，一般应当予以除名；对入党多年且一贯表现好，或者在工作中作出突出贡献的，给予严重警告、撤销党内职务或者留党察看处分。",
    ),
    (
        84,
        "第八十四条",
        "第二编 分则",
        "第七章 对违反组织纪律行为的处分",
        "在干部选拔任用工作中，有任人唯亲、排斥异己、封官许愿、说情干预、跑官要官、突击提拔或者调整干部等违反干部选拔任用规定行为，对直接责任者和领导责任者，情节较轻的，给予警告或者严重警告处分；情节较重的，给予撤销党内职务或者留党察看处分；情节严重的，给予开除党籍处分。\n用人失察失误造成严重后果的，对直接责任者和领导责任者，依照前款规定处理。",
    ),
    (
        97,
        "第九十七条",
        "第二编 分则",
        "第八章 对违反廉洁纪律行为的处分",
        "收受可能影响公正执行公务的礼品、礼金、消费卡（券）和有价证券、股权、其他金融产品等财物，情节较轻的，给予警告或者严重警告处分；情节较重的，给予撤销党内职务或者留党察看处分；情节严重的，给予开除党籍处分。\n收受其他明显超出正常礼尚往来的财物的，依照前款规定处理。",
    ),
    (
        100,
        "第一百条",
        "第二编 分则",
        "第八章 对违反廉洁纪律行为的处分",
        "利用职权或者职务上的影响操办婚丧喜庆事宜，造成不良影响的，给予警告或者严重警告处分；情节严重的，给予撤销党内职务处分；借机敛财或者有其他侵犯国家、集体和人民利益行为的，从重或者加重处分，直至开除党籍。",
    ),
    (
        101,
        "第一百零一条",
        "第二编 分则",
        "第八章 对违反廉洁纪律行为的处分",
        "接受、提供可能影响公正执行公务的宴请或者旅游、健身、娱乐等活动安排，情节较重的，给予警告或者严重警告处分；情节严重的，给予撤销党内职务或者留党察看处分。",
    ),
    (
        104,
        "第一百零四条",
        "第二编 分则",
        "第八章 对违反廉洁纪律行为的处分",
        "利用职权或者职务上的影响，为配偶、子女及其配偶等亲属和其他特定关系人在审批监管、资源开发、金融信贷、大宗采购、土地使用权出让、房地产开发、工程招投标以及公共财政收支等方面谋取利益，情节较轻的，给予警告或者严重警告处分；情节较重的，给予撤销党内职务或者留党察看处分；情节严重的，给予开除党籍处分。\n利用职权或者职务上的影响，为配偶、子女及其配偶等亲属和其他特定关系人吸收存款、推销金融产品、经营名贵特产类特殊资源等提供帮助谋取利益的，依照前款规定处理。",
    ),
    (
        113,
        "第一百一十三条",
        "第二编 分则",
        "第八章 对违反廉洁纪律行为的处分",
        "违反有关规定组织、参加用公款支付的宴请、娱乐、健身活动，或者用公款购买赠送或者发放礼品、消费卡（券）等，对直接责任者和领导责任者，情节较轻的，给予警告或者严重警告处分；情节较重的，给予撤销党内职务或者留党察看处分；情节严重的，给予开除党籍处分。",
    ),
    (
        116,
        "第一百一十六条",
        "第二编 分则",
        "第八章 对违反廉洁纪律行为的处分",
        "违反接待管理规定，超标准、超范围接待或者借机大吃大喝，对直接责任者和领导责任者，情节较重的，给予警告或者严重警告处分；情节严重的，给予撤销党内职务处分。",
    ),
    (
        117,
        "第一百一十七条",
        "第二编 分则",
        "第八章 对违反廉洁纪律行为的处分",
        "违反有关规定配备、购买、更换、装饰、使用公务交通工具或者有其他违反公务交通工具管理规定的行为，对直接责任者和领导责任者，情节较重的，给予警告或者严重警告处分；情节严重的，给予撤销党内职务或者留党察看处分。",
    ),
    (
        122,
        "第一百二十二条",
        "第二编 分则",
        "第九章 对违反群众纪律行为的处分",
        "有下列行为之一，对直接责任者和领导责任者，情节较轻的，给予警告或者严重警告处分；情节较重的，给予撤销党内职务或者留党察看处分；情节严重的，给予开除党籍处分：\n（一）超标准、超范围向群众筹资筹劳、摊派费用，加重群众负担；\n（二）违反有关规定扣留、收缴群众款物或者处罚群众；\n（三）克扣群众财物，或者违反有关规定拖欠群众钱款；\n（四）在管理、服务活动中违反有关规定收取费用；\n（五）在办理涉及群众事务时刁难群众、吃拿卡要；\n（六）其他侵害群众利益行为。\n在乡村振兴领域有上述行为的，从重或者加重处分。",
    ),
    (
        124,
        "第一百二十四条",
        "第二编 分则",
        "第九章 对违反群众纪律行为的处分",
        "在社会保障、社会救助、政策扶持、救灾救济款物分配等事项中优亲厚友、明显有失公平的，给予警告或者严重警告处分；情节较重的，给予撤销党内职务或者留党察看处分；情节严重的，给予开除党籍处分。",
    ),
    (
        126,
        "第一百二十六条",
        "第二编 分则",
        "第九章 对违反群众纪律行为的处分",
        "有下列行为之一，对直接责任者和领导责任者，情节较重的，给予警告或者严重警告处分；情节严重的，给予撤销党内职务或者留党察看处分：\n（一）对涉及群众生产、生活等切身利益的问题依照政策或者有关规定能解决而不及时解决，庸懒无为、效率低下，造成不良影响；\n（二）对符合政策的群众诉求消极应付、推诿扯皮，损害党群、干群关系；\n（三）对待群众态度恶劣、简单粗暴，造成不良影响；\n（四）弄虚作假，欺上瞒下，损害群众利益；\n（五）其他不作为、乱作为、慢作为、假作为等损害群众利益行为。",
    ),
    (
        130,
        "第一百三十条",
        "第二编 分则",
        "第十章 对违反工作纪律行为的处分",
        "工作中不负责任或者疏于管理，贯彻执行、检查督促落实上级决策部署不力，给党、国家和人民利益以及公共财产造成较大损失的，对直接责任者和领导责任者，给予警告或者严重警告处分；造成重大损失的，给予撤销党内职务、留党察看或者开除党籍处分。\n党员领导干部对于到任前已经存在且属于其职责范围内的问题，消极回避、推卸责任，造成严重损害或者严重不良影响的，依照前款规定处理。",
    ),
    (
        132,
        "第一百三十二条",
        "第二编 分则",
        "第十章 对违反工作纪律行为的处分",
        "有下列行为之一，造成严重损害或者严重不良影响的，对直接责任者和领导责任者，给予警告或者严重警告处分；情节较重的，给予撤销党内职务或者留党察看处分；情节严重的，给予开除党籍处分：\n（一）热衷于搞舆论造势、浮在表面；\n（二）单纯以会议贯彻会议、以文件落实文件，在实际工作中不见诸行动；\n（三）脱离实际，不作深入调查研究，搞随意决策、机械执行；\n（四）违反精文减会有关规定搞文山会海；\n（五）在督查检查考核等工作中搞层层加码、过度留痕，增加基层工作负担；\n（六）工作中其他形式主义、官僚主义行为。",
    ),
    (
        150,
        "第一百五十条",
        "第二编 分则",
        "第十一章 对违反生活纪律行为的处分",
        "生活奢靡、铺张浪费、贪图享乐、追求低级趣味，造成不良影响的，给予警告或者严重警告处分；情节严重的，给予撤销党内职务处分。",
    ),
]

# (code, name): the fields of government work the demo uses.
SECTORS: list[tuple[str, str]] = [
    ("finance", "财政"),
    ("housing", "住房和城乡建设"),
    ("education", "教育"),
    ("health", "卫生健康"),
    ("transport", "交通运输"),
    ("natural-resources", "自然资源"),
    ("civil-affairs", "民政"),
]
# Demo unit code → sector code (sub-units inherit).
UNIT_SECTORS: dict[str, str] = {
    "CZJ": "finance",
    "DCQ-CZJ": "finance",
    "ZJJ": "housing",
    "XCQ-ZJJ": "housing",
}
REGIONS: list[str] = ["示范市本级", "东城区", "西城区", "南湖县", "北山县"]

LIBRARY = {
    "slug": "cases",
    "title": "警示教育案例库",
    "intro": "以案为鉴、以案明纪：真实违纪情形，逐条对照纪律处分条例。",
}


@dataclass
class DemoCase:
    slug: str
    title: str
    summary: str
    decided: datetime.date
    region: str
    sector: str
    official: str
    position: str
    rank: str
    categories: list[str]
    articles: list[int]
    background: str
    facts: list[tuple[str, list[int]]]
    points: list[str]
    lessons: str
    questions: list[str]
    amount: str | None = None
    party: str = ""
    admin: str = ""
    referral: bool = False
    sentence: str = ""
    quote: int | None = None
    quote_note: str = ""
    source: str = "示范市纪委监委案件审理室（演示案例，人物均为虚构）"
    related: list[str] = field(default_factory=list)


CASES: list[DemoCase] = [
    DemoCase(
        slug="czj-ysk-gifts-2024",
        title="市财政局预算科原科长张某某违规收受礼品礼金问题",
        summary="张某某在编制部门预算、审核追加资金过程中，多次收受预算单位及供应商所送购物卡、礼金共计6.8万元，受到党内严重警告、政务记过处分。",
        decided=datetime.date(2024, 5, 16),
        region="示范市本级",
        sector="finance",
        official="张某某",
        position="市财政局预算科科长",
        rank="ZKJ",
        categories=["integrity", "gifts-money"],
        articles=[97],
        amount="68000",
        party="serious_warning",
        admin="demerit",
        background="张某某自2019年起担任市财政局预算科科长，负责审核市直部门预算编制和年中追加预算申请，对预算单位的资金安排有直接影响。",
        facts=[
            (
                "2021年至2023年春节、中秋节前后，张某某先后12次收受市直预算单位负责人所送购物卡，合计4.3万元。",
                [97],
            ),
            (
                "2022年，张某某收受为财政信息系统提供运维服务的某科技公司负责人所送礼金2.5万元，该公司此后在服务续签中得到其关照。",
                [97],
            ),
            ("案发后，张某某主动向组织说明问题并上交全部违纪所得。", []),
        ],
        quote=97,
        quote_note="收受可能影响公正执行公务的礼品礼金，是本案定性的依据。",
        points=[
            "节日是“四风”问题易发多发的关口",
            "“小卡片”背后是权力寻租",
            "主动交代、上交违纪所得可以从轻处分",
        ],
        lessons="<p>“礼尚往来”一旦与手中的审批权、分配权挂钩，就不再是人情而是围猎。预算岗位直接决定资金去向，更要守住“不收一张卡、不拿一分钱”的底线。</p>",
        questions=[
            "节日期间，管理服务对象送来购物卡，应当如何处置？",
            "本岗位有哪些环节容易被“围猎”？我们有什么防范措施？",
            "张某某主动上交违纪所得，对处分结果有什么影响？",
        ],
        related=["dcq-czj-dining-2024", "czj-gkk-negligence-2023"],
    ),
    DemoCase(
        slug="xcq-zjj-wedding-2024",
        title="西城区住建局原副局长李某某违规操办婚宴借机敛财问题",
        summary="李某某为其子操办婚宴，邀请管理服务对象参加，收受礼金12.6万元，受到撤销党内职务、政务撤职处分。",
        decided=datetime.date(2024, 9, 3),
        region="西城区",
        sector="housing",
        official="李某某",
        position="西城区住房和城乡建设局副局长",
        rank="FCJ",
        categories=["integrity", "banquets", "gifts-money"],
        articles=[100, 97],
        amount="126000",
        party="removal_from_post",
        admin="dismissal_from_post",
        background="李某某分管建筑市场监管和工程质量安全工作，辖区内多家建筑企业、监理单位在其分管领域内接受监管。",
        facts=[
            ("2023年10月，李某某为其子操办婚宴，宴请宾客42桌，未按规定向组织报告。", [100]),
            (
                "婚宴邀请对象中，有11家建筑企业、监理单位负责人，李某某收受上述人员所送礼金共计12.6万元。",
                [100, 97],
            ),
            ("为规避监督，李某某将婚宴安排在邻县酒店，并要求亲属以个人名义登记礼金。", []),
        ],
        quote=100,
        quote_note="借操办婚丧喜庆事宜敛财，从重或者加重处分。",
        points=[
            "操办婚丧喜庆事宜要事前报告",
            "不得邀请管理服务对象",
            "“异地办”“分散办”是典型的隐形变异",
        ],
        lessons="<p>婚丧喜庆是人之常情，但领导干部操办时必须守规矩：规模要控制、对象要把关、事前要报告。借机敛财，把喜事办成了“丧事”。</p>",
        questions=[
            "本单位干部操办婚丧喜庆事宜，需要履行哪些报告程序？",
            "李某某把婚宴放在外地举办，为什么仍被认定为违规？",
        ],
        related=["czj-ysk-gifts-2024"],
    ),
    DemoCase(
        slug="edu-public-dining-2023",
        title="南湖县教育局原办公室主任王某某违规公款吃喝问题",
        summary="王某某以接待检查为名，多次安排超标准公务宴请并在宴请中提供高档酒水，违规报销费用2.36万元，受到党内警告、政务警告处分。",
        decided=datetime.date(2023, 11, 20),
        region="南湖县",
        sector="education",
        official="王某某",
        position="南湖县教育局办公室主任",
        rank="FKJ",
        categories=["integrity", "public-funds-dining"],
        articles=[113, 116],
        amount="23600",
        party="warning",
        admin="warning",
        background="王某某负责局机关公务接待和经费报销审核，熟悉接待管理规定。",
        facts=[
            (
                "2022年至2023年，王某某以迎接上级检查为名，先后8次安排超标准公务宴请，其中3次无公函接待。",
                [116],
            ),
            (
                "宴请中提供高档白酒，费用通过虚列“会议费”“培训费”等名目在学校公用经费中报销，共计2.36万元。",
                [113],
            ),
        ],
        quote=113,
        points=[
            "公务接待须凭公函、按标准",
            "严禁以会议费、培训费名义报销宴请",
            "教育经费是“保基本”的钱，每一分都要花在学生身上",
        ],
        lessons="<p>“舌尖上的浪费”看似小事，实则损害的是党风政风。变换名目报销吃喝，既违反接待规定，也挤占了教育经费。</p>",
        questions=[
            "本单位公务接待有哪些标准？何时需要公函？",
            "通过“会议费”报销宴请，违反了哪些规定？",
        ],
        related=["dcq-czj-dining-2024"],
    ),
    DemoCase(
        slug="dcq-czj-dining-2024",
        title="东城区财政局副局长赵某某组织参加公款宴请问题",
        summary="赵某某在年终结算期间组织下属单位用公款宴请并接受旅游安排，受到党内严重警告处分。",
        decided=datetime.date(2024, 3, 8),
        region="东城区",
        sector="finance",
        official="赵某某",
        position="东城区财政局副局长",
        rank="FCJ",
        categories=["integrity", "public-funds-dining"],
        articles=[113, 101],
        amount="41800",
        party="serious_warning",
        background="赵某某分管国库支付和政府采购工作，下属单位及部分采购代理机构与其业务往来频繁。",
        facts=[
            (
                "2023年12月，赵某某以“年终工作总结”为名，组织局内人员及某采购代理机构负责人在酒店聚餐，费用3.18万元由区财政局公用经费列支。",
                [113],
            ),
            ("同月，赵某某接受该采购代理机构安排的两日温泉度假活动，费用1万元由对方支付。", [101]),
        ],
        quote=101,
        points=["不得接受可能影响公正执行公务的宴请和旅游安排", "年终岁末是纠治“四风”的重要节点"],
        lessons="<p>“吃人嘴软、拿人手短”。一顿饭、一次旅游，换走的是监管的底线和采购的公平。</p>",
        questions=[
            "怎样判断一次宴请是否“可能影响公正执行公务”？",
            "年终岁末，我们单位应当重点防范哪些“四风”问题？",
        ],
        related=["czj-ysk-gifts-2024", "edu-public-dining-2023"],
    ),
    DemoCase(
        slug="transport-gambling-2024",
        title="市交通运输局某站科员刘某参与赌博问题",
        summary="刘某多次参与以营利为目的的赌博活动，被公安机关行政拘留，受到党内严重警告、政务记大过处分。",
        decided=datetime.date(2024, 7, 2),
        region="示范市本级",
        sector="transport",
        official="刘某",
        position="市交通运输局公路运输管理站科员",
        rank="KY",
        categories=["life", "gambling"],
        articles=[30],
        amount="15000",
        party="serious_warning",
        admin="major_demerit",
        background="刘某平时工作表现一般，业余时间沉迷网络棋牌，逐渐发展为线下参赌。",
        facts=[
            (
                "2023年8月至2024年1月，刘某多次在私人棋牌室参与“推筒子”赌博，累计输赢金额1.5万元。",
                [30],
            ),
            (
                "2024年1月，刘某在参赌时被公安机关查获，被处以行政拘留十日，其所在单位事后才得知情况。",
                [30],
            ),
        ],
        quote=30,
        quote_note="赌博违反治安管理，损害党员形象，依照本条处理。",
        points=["八小时以外也是党员", "赌博是违法行为，不是“娱乐”", "受到行政处罚应主动向组织报告"],
        lessons="<p>小赌怡情是自欺欺人。党员干部参赌，损害的是党员形象和公职人员的公信力，沉迷其中更可能走向挪用公款、收受贿赂。</p>",
        questions=[
            "“八小时以外”的生活圈、社交圈，组织如何了解、如何监督？",
            "身边同事沉迷赌博，我们可以怎样提醒？",
        ],
        related=["health-extravagance-2024"],
    ),
    DemoCase(
        slug="zrzy-bribery-2024",
        title="北山县自然资源局原局长陈某某严重违纪违法问题",
        summary="陈某某利用职务便利在土地出让、规划调整中为他人谋利并非法收受财物856万元，为亲属承揽工程提供帮助，被开除党籍、开除公职，以受贿罪判处有期徒刑十年。",
        decided=datetime.date(2024, 11, 12),
        region="北山县",
        sector="natural-resources",
        official="陈某某",
        position="北山县自然资源局党组书记、局长",
        rank="ZCJ",
        categories=["integrity", "bribery", "power-for-relatives"],
        articles=[29, 104],
        amount="8560000",
        party="expulsion",
        admin="expulsion",
        referral=True,
        sentence="以受贿罪判处有期徒刑十年，并处罚金人民币八十万元",
        background="陈某某在自然资源系统工作二十余年，任局长期间掌握土地出让、规划指标调整等关键权力。",
        facts=[
            (
                "2016年至2023年，陈某某利用职务便利，在土地出让、容积率调整、矿业权审批等方面为多家企业谋取利益，非法收受财物共计856万元。",
                [29],
            ),
            ("陈某某利用职务影响，帮助其妻弟承揽土地整理项目工程，妻弟从中获利230余万元。", [104]),
            ("组织审查期间，陈某某与行贿人串通，企图掩盖问题。", []),
        ],
        quote=29,
        points=[
            "“一把手”权力集中，更要接受监督",
            "为亲属谋利同样是以权谋私",
            "对抗组织审查只会加重处分",
        ],
        lessons="<p>从第一次“盛情难却”到后来的“来者不拒”，陈某某的堕落轨迹说明：对权力失去敬畏，对纪律失去底线，最终只会身陷囹圄。</p>",
        questions=[
            "“一把手”和领导班子成员的监督，本单位有哪些制度安排？",
            "土地、规划领域有哪些廉政风险点？",
            "亲属经商办企业，领导干部应当如何主动报告和回避？",
        ],
        related=["xcq-zjj-wedding-2024"],
    ),
    DemoCase(
        slug="health-political-speech-2023",
        title="市卫生健康委某科副科长杨某某妄议党中央大政方针问题",
        summary="杨某某在多个微信群发表妄议党中央大政方针的言论，造成不良影响，受到党内警告处分。",
        decided=datetime.date(2023, 6, 28),
        region="示范市本级",
        sector="health",
        official="杨某某",
        position="市卫生健康委员会某科副科长",
        rank="FKJ",
        categories=["political", "political-speech"],
        articles=[51],
        party="warning",
        background="杨某某平时喜欢在网络群组中发表评论，认为“私下群聊”不受纪律约束。",
        facts=[
            (
                "2022年至2023年，杨某某在三个人数较多的微信群中，多次转发并评论歪曲党中央重大决策部署的文章，发表不当言论。",
                [51],
            ),
            ("经同事提醒后，杨某某仍未删除相关内容，造成不良影响。", [51]),
        ],
        quote=51,
        points=["网络空间不是法外之地，更不是纪律“飞地”", "党员要严守政治纪律和政治规矩"],
        lessons="<p>党员在网络上发言同样代表党员身份。对党中央大政方针有不同意见，可以通过组织渠道反映，而不能在群里随意妄议。</p>",
        questions=[
            "“有不同意见通过组织渠道反映”具体有哪些渠道？",
            "在工作群、朋友群中转发信息，应当注意什么？",
        ],
        related=["zjj-superstition-2023"],
    ),
    DemoCase(
        slug="zjj-superstition-2023",
        title="市住建局原副局长孙某某搞封建迷信活动问题",
        summary="孙某某多次请“大师”看风水、算前程，并以公款支付相关费用，受到党内严重警告、政务记过处分。",
        decided=datetime.date(2023, 9, 14),
        region="示范市本级",
        sector="housing",
        official="孙某某",
        position="市住房和城乡建设局副局长",
        rank="FCJ",
        categories=["political", "political-superstition", "public-funds-dining"],
        articles=[70, 113],
        amount="18800",
        party="serious_warning",
        admin="demerit",
        background="孙某某在仕途上遇到挫折后，寄希望于“风水”“运势”，逐渐迷信“大师”。",
        facts=[
            (
                "2021年至2022年，孙某某多次邀请所谓“大师”到办公室和家中看风水、测算升迁，并按“大师”建议调整办公室布局。",
                [70],
            ),
            ("孙某某以“调研接待”名义报销“大师”的餐饮住宿费用1.88万元。", [113]),
        ],
        quote=70,
        points=["理想信念动摇是最危险的动摇", "迷信“大师”往往与以权谋私相伴而生"],
        lessons="<p>不信马列信鬼神，不问苍生问前程。领导干部一旦把前途寄托于“风水”，就已经丢掉了共产党人的信仰根基。</p>",
        questions=["为什么把搞迷信活动规定为违反政治纪律？", "如何从思想上筑牢信仰的堤坝？"],
        related=["health-political-speech-2023"],
    ),
    DemoCase(
        slug="czj-personal-matters-2024",
        title="市财政局原副局长周某某不如实报告个人有关事项问题",
        summary="周某某在领导干部个人有关事项报告中隐瞒房产2套和配偶持有股票情况，在组织函询时仍不如实说明，受到党内警告处分并被调整职务。",
        decided=datetime.date(2024, 4, 22),
        region="示范市本级",
        sector="finance",
        official="周某某",
        position="市财政局副局长",
        rank="FCJ",
        categories=["organisational", "org-false-report"],
        articles=[81],
        party="warning",
        background="周某某按规定每年须报告本人婚姻、房产、投资等个人有关事项。",
        facts=[
            (
                "2021年至2023年，周某某在个人有关事项年度报告中，漏报本人名下房产2套，隐瞒配偶买卖股票情况。",
                [81],
            ),
            ("2023年组织对其函询时，周某某仍称“已如实报告”，未如实向组织说明问题。", [81]),
        ],
        quote=81,
        points=["个人有关事项报告是对组织忠诚老实的“试金石”", "函询时如实说明，是给自己的机会"],
        lessons="<p>如实报告个人有关事项，是领导干部对组织忠诚老实的基本要求。隐瞒不报、函询时仍不说实话，是对组织的不忠诚。</p>",
        questions=[
            "个人有关事项报告包含哪些内容？哪些最容易漏报？",
            "面对组织函询，应当持什么态度？",
        ],
        related=["czj-ysk-gifts-2024"],
    ),
    DemoCase(
        slug="edu-promotion-2023",
        title="东城区教育局原局长吴某某违规选拔任用干部问题",
        summary="吴某某在干部选拔任用中任人唯亲、突击提拔，受到撤销党内职务、政务撤职处分。",
        decided=datetime.date(2023, 12, 5),
        region="东城区",
        sector="education",
        official="吴某某",
        position="东城区教育局党组书记、局长",
        rank="ZCJ",
        categories=["organisational", "org-promotion"],
        articles=[84],
        party="removal_from_post",
        admin="dismissal_from_post",
        background="吴某某即将到龄退出领导岗位，在离任前主持了一次中层干部调整。",
        facts=[
            (
                "2023年3月，吴某某在离任前一个月内突击调整中层干部9名，其中2人不符合任职资格条件。",
                [84],
            ),
            ("吴某某授意有关人员修改考察材料，提拔与其关系密切的1名干部担任学校校长。", [84]),
        ],
        quote=84,
        points=["突击提拔、调整干部是严重违规行为", "用人权是党的权力，不是个人的“人情”"],
        lessons="<p>选人用人是党的事业所系。把用人权当作“临别赠礼”，既破坏了干部选拔任用的公正，也败坏了单位的政治生态。</p>",
        questions=["干部选拔任用有哪些必经程序？", "“离任前突击提拔”为什么要严肃处理？"],
    ),
    DemoCase(
        slug="civil-affairs-relief-2024",
        title="幸福街道办事处民政干事郑某某克扣低保救助款物问题",
        summary="郑某某在低保救助资金发放中优亲厚友、克扣群众款物4.2万元，受到留党察看一年、政务降级处分。",
        decided=datetime.date(2024, 8, 19),
        region="西城区",
        sector="civil-affairs",
        official="郑某某",
        position="西城区幸福街道办事处民政干事",
        rank="KY",
        categories=["mass", "mass-extortion"],
        articles=[122, 124],
        amount="42000",
        party="probation",
        admin="demotion",
        background="郑某某负责辖区低保、临时救助的审核和发放工作，直接接触困难群众。",
        facts=[
            (
                "2021年至2023年，郑某某以“手续费”“办理费”名义，克扣5户低保对象的救助金共计4.2万元。",
                [122],
            ),
            ("郑某某违规将不符合条件的亲属纳入低保范围，明显有失公平。", [124]),
        ],
        quote=122,
        points=["群众身边的“微腐败”侵蚀党的执政根基", "低保救助资金是“保命钱”，一分一厘不能动"],
        lessons="<p>“蝇贪”虽小，民怨却大。侵占困难群众的救助款物，伤的是群众的心，损的是党和政府的公信力。</p>",
        questions=[
            "本单位直接面向群众的环节，有哪些容易发生“吃拿卡要”？",
            "如何让救助资金的发放更加公开透明？",
        ],
        related=["health-indifference-2024"],
    ),
    DemoCase(
        slug="health-indifference-2024",
        title="东城区医保服务窗口负责人冯某推诿群众报销诉求问题",
        summary="冯某对符合政策的群众报销诉求消极应付、推诿扯皮，造成不良影响，受到党内警告处分。",
        decided=datetime.date(2024, 2, 27),
        region="东城区",
        sector="health",
        official="冯某",
        position="东城区医疗保障服务中心窗口负责人",
        rank="FKJ",
        categories=["mass", "mass-indifference"],
        articles=[126],
        party="warning",
        background="某退休职工多次到医保服务窗口申请异地就医费用报销，材料齐全、符合政策。",
        facts=[
            (
                "2023年5月至9月，冯某以“系统问题”“等待通知”为由，让该群众往返窗口7次仍未办结。",
                [126],
            ),
            ("该群众向市民热线反映后，冯某仍未及时处理，引发网络负面舆情。", [126]),
        ],
        quote=126,
        points=["“门难进、脸难看、事难办”是作风顽疾", "群众诉求能解决而不解决，同样是违纪"],
        lessons="<p>窗口是群众感受党风政风的第一线。对群众的急难愁盼推诿扯皮，就是漠视群众利益。</p>",
        questions=[
            "本单位有哪些“群众跑多次”的事项？可以怎样改进？",
            "如何建立首问负责、限时办结的机制？",
        ],
        related=["civil-affairs-relief-2024"],
    ),
    DemoCase(
        slug="transport-formalism-2024",
        title="市交通运输局某科科长吴某搞形式主义、过度留痕问题",
        summary="吴某在安全生产检查中层层加码、要求基层重复填报，增加基层负担，受到党内警告、政务警告处分。",
        decided=datetime.date(2024, 6, 11),
        region="示范市本级",
        sector="transport",
        official="吴某",
        position="市交通运输局安全监督科科长",
        rank="ZKJ",
        categories=["work", "work-formalism"],
        articles=[132],
        party="warning",
        admin="warning",
        background="吴某负责组织全市道路运输企业安全生产检查。",
        facts=[
            (
                "2023年，吴某要求各区县每月报送内容重复的台账材料12类，并以照片、视频“留痕”作为考核依据。",
                [132],
            ),
            (
                "检查中重台账、轻实效，对企业存在的车辆超载等问题未督促整改，导致隐患长期存在。",
                [132],
            ),
        ],
        quote=132,
        points=["以“留痕”代替“留绩”是典型的形式主义", "为基层减负是作风建设的重要内容"],
        lessons="<p>安全生产靠的是现场排查和真抓实干，不是台账和照片。形式主义害人害己，最终会在事故面前暴露无遗。</p>",
        questions=[
            "本单位的检查考核中，有没有可以合并、精简的报表？",
            "如何区分必要的工作记录和过度留痕？",
        ],
        related=["czj-gkk-negligence-2023"],
    ),
    DemoCase(
        slug="czj-gkk-negligence-2023",
        title="市财政局国库科原科长黄某某失职失责造成财政资金损失问题",
        summary="黄某某疏于管理，对资金拨付审核把关不严，导致320万元财政资金被冒领，受到党内严重警告、政务降级处分。",
        decided=datetime.date(2023, 10, 9),
        region="示范市本级",
        sector="finance",
        official="黄某某",
        position="市财政局国库科科长",
        rank="ZKJ",
        categories=["work", "work-negligence"],
        articles=[130],
        amount="3200000",
        party="serious_warning",
        admin="demotion",
        background="黄某某负责国库集中支付审核，按规定应对收款账户变更进行复核。",
        facts=[
            (
                "2022年，黄某某未按规定对某项目收款账户变更进行复核，直接签字同意拨付，导致320万元财政资金被不法分子冒领。",
                [130],
            ),
            ("此前内审已两次提示账户变更复核存在漏洞，黄某某未组织整改。", [130]),
        ],
        quote=130,
        points=["“签字”就是责任", "内控制度不执行就是摆设"],
        lessons="<p>失职失责同样是违纪。对制度漏洞“视而不见”，对风险提示“听而不闻”，终将酿成重大损失。</p>",
        questions=[
            "本岗位的关键审核环节有哪些？是否存在“一签了之”？",
            "内审提示的问题，我们是如何跟踪整改的？",
        ],
        related=["czj-ysk-gifts-2024", "transport-formalism-2024"],
    ),
    DemoCase(
        slug="health-extravagance-2024",
        title="市卫生健康委原副主任何某某生活奢靡、违规使用公车问题",
        summary="何某某追求享乐、出入高档消费场所，长期公车私用，受到撤销党内职务、政务撤职处分。",
        decided=datetime.date(2024, 10, 30),
        region="示范市本级",
        sector="health",
        official="何某某",
        position="市卫生健康委员会副主任",
        rank="FTJ",
        categories=["life", "extravagance", "integrity", "official-cars"],
        articles=[150, 117],
        amount="96000",
        party="removal_from_post",
        admin="dismissal_from_post",
        background="何某某分管医疗机构管理和药品耗材集中采购工作。",
        facts=[
            (
                "2021年至2024年，何某某多次出入高档会所，接受医药企业负责人安排的高消费娱乐活动，生活奢靡。",
                [150],
            ),
            ("何某某长期将单位公务用车用于接送家人、周末出游，产生费用9.6万元由单位承担。", [117]),
        ],
        quote=150,
        points=["生活作风问题往往是腐败的前奏", "公车姓“公”，不能私用"],
        lessons="<p>贪图享乐的口子一开，就会被“围猎”者牵着鼻子走。领导干部要管住“八小时以外”，守住生活纪律。</p>",
        questions=[
            "生活纪律和廉洁纪律之间有什么联系？",
            "本单位公务用车的使用和登记制度是否落实到位？",
        ],
        related=["transport-gambling-2024", "zrzy-bribery-2024"],
    ),
]


def _regulation() -> dict[int, Article]:
    regulation, _created = Regulation.objects.get_or_create(
        slug=REGULATION["slug"], defaults={k: v for k, v in REGULATION.items() if k != "slug"}
    )
    articles: dict[int, Article] = {}
    for number, label, part, chapter, text in ARTICLES:
        articles[number], _created = Article.objects.get_or_create(
            regulation=regulation,
            number=number,
            defaults={"label": label, "part": part, "chapter": chapter, "text": text},
        )
    return articles


def _sectors() -> dict[str, Sector]:
    sectors: dict[str, Sector] = {}
    for order, (code, name) in enumerate(SECTORS, start=1):
        sectors[code], _created = Sector.objects.get_or_create(
            code=code, defaults={"name": name, "order": order}
        )
    for unit_code, sector_code in UNIT_SECTORS.items():
        OrgUnit.objects.filter(code=unit_code, sector__isnull=True).update(
            sector=sectors[sector_code]
        )
    return sectors


def _regions() -> dict[str, Region]:
    regions: dict[str, Region] = {}
    for order, name in enumerate(REGIONS, start=1):
        regions[name], _created = Region.objects.get_or_create(name=name, defaults={"order": order})
    return regions


def _library() -> CaseIndexPage | None:
    existing = CaseIndexPage.objects.first()
    if existing is not None:
        return existing
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    home: Page | None = site.root_page if site else None
    if home is None:
        return None
    library = CaseIndexPage(title=LIBRARY["title"], slug=LIBRARY["slug"], intro=LIBRARY["intro"])
    home.add_child(instance=library)
    library.save_revision().publish()
    return library


def _body(case: DemoCase, articles: dict[int, Article]) -> list[tuple[str, Any]]:
    body: list[tuple[str, Any]] = [("paragraph", RichText(f"<p>{case.background}</p>"))]
    for text, numbers in case.facts:
        if numbers:
            body.append(
                (
                    "fact",
                    {
                        "text": RichText(f"<p>{text}</p>"),
                        "articles": [articles[n] for n in numbers],
                    },
                )
            )
        else:
            body.append(("paragraph", RichText(f"<p>{text}</p>")))
    if case.quote is not None:
        body.append(("article_quote", {"article": articles[case.quote], "note": case.quote_note}))
    body.append(("key_points", {"heading": "警示要点", "points": case.points}))
    return body


def _case(
    case: DemoCase,
    *,
    library: CaseIndexPage,
    articles: dict[int, Article],
    sectors: dict[str, Sector],
    regions: dict[str, Region],
    ranks: dict[str, RankLevel],
    categories: dict[str, DisciplineCategory],
) -> bool:
    if CasePage.objects.filter(slug=case.slug).exists():
        return False
    page = CasePage(
        title=case.title,
        slug=case.slug,
        summary=case.summary,
        decision_date=case.decided,
        region=regions[case.region],
        sector=sectors[case.sector],
        official_name=case.official,
        position_at_time=case.position,
        rank_level=ranks[case.rank],
        amount_involved=Decimal(case.amount) if case.amount else None,
        party_sanction=case.party,
        administrative_sanction=case.admin,
        criminal_referral=case.referral,
        criminal_sentence=case.sentence,
        body=_body(case, articles),
        lessons=case.lessons,
        discussion_questions="\n".join(case.questions),
        source=case.source,
    )
    page.categories = [categories[code] for code in case.categories]
    page.articles_breached = [articles[n] for n in case.articles]
    library.add_child(instance=page)
    page.save_revision().publish()
    return True


def _relate() -> None:
    by_slug = {p.slug: p for p in CasePage.objects.filter(slug__in=[c.slug for c in CASES])}
    for case in CASES:
        page = by_slug.get(case.slug)
        if page is None or not case.related or page.related_cases.exists():
            continue
        page.related_cases = [by_slug[s] for s in case.related if s in by_slug]
        page.save_revision().publish()


@transaction.atomic
def demo_cases_build() -> dict[str, int]:
    """Create the demo case library (idempotent). Returns how many cases were added and
    how many live cases there are."""
    articles = _regulation()
    sectors = _sectors()
    regions = _regions()
    library = _library()
    if library is None:
        return {"created": 0, "live": 0}
    case_workflow_ensure()
    ranks = {r.code: r for r in RankLevel.objects.all()}
    categories = {c.code: c for c in DisciplineCategory.objects.all()}
    created = 0
    for case in CASES:
        created += _case(
            case,
            library=library,
            articles=articles,
            sectors=sectors,
            regions=regions,
            ranks=ranks,
            categories=categories,
        )
    _relate()
    return {"created": created, "live": CasePage.objects.live().count()}
