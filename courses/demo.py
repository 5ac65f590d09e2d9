"""Demo content for courses and honesty talks: the course catalogue (课程中心) with four
courses and their lessons, and the honesty-talk library (廉政党课) with three talks.
Called by ``build_demo`` after the case library and the quizzes; idempotent (pages are
looked up by slug first, and an existing page is left as it is).

The teaching text follows the published 2023 Regulations on Disciplinary Actions, the
Eight-point Regulation and its implementing rules and the Code of Integrity and
Self-discipline; quoted articles are the ``cases.Article`` rows of ``cases.demo``, and
embedded cases are the demo cases (looked up by slug). Speakers and cases are fictional.
"""

from __future__ import annotations

import datetime
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page, Site
from wagtail.rich_text import RichText

from cases.models import Article, CasePage
from people.models import OrgUnit, RankLevel, User

from .models import (
    Assignment,
    CompletionRule,
    CourseIndexPage,
    CourseKind,
    CoursePage,
    Enrolment,
    LessonPage,
    TalkIndexPage,
    TalkPage,
)

REGULATION_SLUG = "jlcftl-2023"  # cases.demo.REGULATION["slug"]

CATALOGUE = {
    "slug": "courses",
    "title": "课程中心",
    "intro": "党纪学习、警示教育和任前廉政教育课程，学完计入年度学时。",
}
TALK_LIBRARY = {
    "slug": "talks",
    "title": "廉政党课",
    "intro": "领导干部讲廉政党课：讲纪律、讲案例、讲初心。",
}

# A tiny DSL for the content below: each helper returns one (block type, value) item of a
# LessonPage body, with article numbers and page slugs resolved when the page is built.
Block = tuple[str, Any]


def P(*paragraphs: str) -> Block:
    return ("paragraph", "".join(f"<p>{p}</p>" for p in paragraphs))


def H(text: str) -> Block:
    return ("paragraph", f"<h2>{text}</h2>")


def KP(heading: str, *points: str) -> Block:
    return ("key_points", {"heading": heading, "points": list(points)})


def A(number: int, note: str = "") -> Block:
    return ("article_quote", {"article": number, "note": note})


def C(slug: str, note: str = "") -> Block:
    return ("case", {"case": slug, "note": note})


def T(slug: str) -> Block:
    return ("talk", {"talk": slug})


@dataclass
class DemoLesson:
    slug: str
    title: str
    minutes: int
    body: list[Block]
    required: bool = True


@dataclass
class DemoCourse:
    slug: str
    title: str
    kind: str
    hours: str
    summary: str
    objectives: list[str]
    lessons: list[DemoLesson]
    default_required: bool = True
    self_enrol: bool = True
    rule: str = CompletionRule.REQUIRED_LESSONS
    quiz: str | None = None


@dataclass
class DemoTalk:
    slug: str
    title: str
    speaker: str
    role: str
    date: datetime.date
    summary: str
    transcript: list[str]
    cases: list[str] = field(default_factory=list)


TALKS: list[DemoTalk] = [
    DemoTalk(
        slug="shou-ji-lv-jiang-gui-ju",
        title="守纪律、讲规矩，做忠诚干净担当的党员干部",
        speaker="陈立新",
        role="市委常委，市纪委书记、市监委主任",
        date=datetime.date(2026, 3, 18),
        summary="结合新修订的《中国共产党纪律处分条例》和本市近年查处的典型案件，讲清纪律“是什么、为什么、怎么守”，推动党员干部把纪律要求内化于心、外化于行。",
        cases=["zrzy-bribery-2024", "czj-personal-matters-2024", "edu-promotion-2023"],
        transcript=[
            "同志们：今天我们集中学习新修订的《中国共产党纪律处分条例》。条例自2024年1月1日起施行，共3编11章158条，是党的纪律建设的基础性主干法规。学习条例，不能只记条文，更要弄懂条文背后的道理：党的纪律是党的各级组织和全体党员必须遵守的行为规则，党内不允许有任何不受纪律约束的党组织和党员。",
            "第一，纪律是“高压线”，也是“护身符”。条例总则强调把纪律挺在前面，抓早抓小、防微杜渐，深化运用监督执纪“四种形态”。从近年查处的案件看，很多干部走上违纪违法道路，都是从“小节”开始的：一张购物卡、一顿饭、一次“人情”往来。组织及时提醒、批评教育，是对干部最大的爱护；把提醒当耳旁风，最终只会越陷越深。",
            "第二，要敬畏权力、管好权力、慎用权力。北山县自然资源局原局长陈某某，从第一次“盛情难却”到后来的“来者不拒”，在土地出让、规划调整中为他人谋利，还帮妻弟承揽工程，最终被开除党籍、判处有期徒刑十年。条例第二十九条规定，党员有贪污贿赂、滥用职权等违反法律涉嫌犯罪行为的，应当给予撤销党内职务、留党察看或者开除党籍处分。权力越大，越要自觉接受监督。",
            "第三，对组织要忠诚老实。市财政局原副局长周某某隐瞒房产和配偶炒股情况，组织函询时仍称“已如实报告”。个人有关事项报告不是“填表”，而是对组织忠诚老实的“试金石”。在组织面前说实话，是党员最基本的政治品格。",
            "第四，选人用人是党的事业所系。东城区教育局原局长吴某某离任前突击调整干部9名，条例第八十四条把“突击提拔或者调整干部”明确列为违规行为。用人权是党和人民赋予的，不是个人“送人情”的资本。",
            "同志们，纪律面前没有“特殊党员”，也没有“例外时候”。希望大家对照条例逐条检视，既要管好自己，也要管好分管领域、管好家属和身边工作人员，做到心有所畏、言有所戒、行有所止。",
        ],
    ),
    DemoTalk(
        slug="fan-wei-lie",
        title="从身边案例看“围猎”与反“围猎”",
        speaker="赵志刚",
        role="市纪委监委第一纪检监察室主任",
        date=datetime.date(2026, 6, 12),
        summary="以财政、住建领域的身边案例为镜，剖析“围猎”者常用的节日送礼、操办宴请、投其所好等手法，讲清条例第九十七条、第一百条、第一百零一条的适用，提出守住“第一次”的具体办法。",
        cases=["czj-ysk-gifts-2024", "dcq-czj-dining-2024", "xcq-zjj-wedding-2024"],
        transcript=[
            "各位同志：我在纪检监察一线工作十多年，审查调查的很多干部都说过一句话——“没想到会走到今天”。他们当初并不是想要贪，而是被一步步“围猎”了。今天我就用我们身边的三个案例，和大家聊聊“围猎”是怎么发生的，我们又该怎样反“围猎”。",
            "第一个案例是市财政局预算科原科长张某某。三年间，他先后12次收受预算单位负责人所送购物卡。送卡的人说“过节了，一点心意”，他觉得“大家都这样”。可是这些“心意”，都冲着他手里的预算审核权。条例第九十七条规定，收受可能影响公正执行公务的礼品、礼金、消费卡（券）等财物，要给予处分。判断标准不是金额大小，而是“可能影响公正执行公务”。",
            "第二个案例是东城区财政局副局长赵某某。年终岁末，他组织下属和一家采购代理机构负责人聚餐，又接受对方安排的温泉度假。条例第一百零一条讲得很清楚：接受、提供可能影响公正执行公务的宴请或者旅游、健身、娱乐等活动安排，都是违纪。饭局上推杯换盏，监管的底线就在不知不觉中松动了。",
            "第三个案例是西城区住建局原副局长李某某为儿子操办婚宴，11家建筑企业、监理单位负责人送上礼金12.6万元。为了躲避监督，他把婚宴放在邻县办、让亲属以个人名义登记礼金。条例第一百条规定，利用职权或者职务上的影响操办婚丧喜庆事宜，借机敛财的，从重或者加重处分，直至开除党籍。“异地办”“分散办”改变不了违纪的性质。",
            "怎样反“围猎”？我给大家三条建议：一是守住“第一次”，第一张卡、第一顿饭、第一个红包，拒绝了就不会有第二次；二是分清“人情”和“权情”，凡是冲着你的岗位来的，都不是真朋友；三是主动报告，遇到说情打招呼、送礼送卡的，按规定登记、上交、报告，这既是纪律要求，也是保护自己。",
        ],
    ),
    DemoTalk(
        slug="qun-zhong-shen-bian",
        title="坚持以人民为中心，整治群众身边的不正之风和腐败问题",
        speaker="孙晓梅",
        role="市财政局党组书记、局长",
        date=datetime.date(2026, 9, 8),
        summary="党风廉政建设宣传教育月专题党课：从低保救助、医保报销窗口两个案例出发，讲清群众纪律的要求，部署财政资金惠民惠农领域的自查自纠。",
        cases=["civil-affairs-relief-2024", "health-indifference-2024"],
        transcript=[
            "同志们：今年宣传教育月的主题聚焦群众身边的不正之风和腐败问题。财政部门管着惠民惠农资金的“钱袋子”，每一笔低保金、救助款、补贴资金，最后都要落到群众手里。我们把好了关，群众就能得实惠；我们把关不严，就可能让“蝇贪”有机可乘。",
            "西城区幸福街道办事处民政干事郑某某，以“手续费”“办理费”名义克扣5户低保对象救助金4.2万元，还把不符合条件的亲属纳入低保。条例第一百二十二条把克扣群众财物、吃拿卡要列为违反群众纪律行为；第一百二十四条规定，在社会保障、社会救助等事项中优亲厚友、明显有失公平的，给予处分。低保救助资金是困难群众的“保命钱”，一分一厘都不能动。",
            "另一个案例是东城区医保服务窗口负责人冯某。一位退休职工材料齐全、符合政策，却被以各种理由让他往返窗口7次。条例第一百二十六条规定，对符合政策的群众诉求消极应付、推诿扯皮，损害党群干群关系的，要追究责任。“不作为”同样是违纪，“门难进、脸难看、事难办”伤的是党和政府的形象。",
            "对照这两个案例，局党组决定在全系统开展一次惠民惠农财政补贴资金“一卡通”自查：一是查资金拨付是否及时足额，有无滞留、截留；二是查发放对象是否精准，有无优亲厚友；三是查窗口服务是否规范，有无推诿扯皮。发现问题立行立改，典型问题要通报曝光。",
            "同志们，群众利益无小事。希望大家把群众的急难愁盼当作自己的事，把每一分惠民资金管好用好，用实际行动赢得群众的信任。",
        ],
    ),
]

COURSES: list[DemoCourse] = [
    DemoCourse(
        slug="jlcftl-2023-study",
        title="《中国共产党纪律处分条例》学习",
        kind=CourseKind.DISCIPLINE,
        hours="4.0",
        summary="系统学习2023年修订的《中国共产党纪律处分条例》：总则中的处分种类与运用规则，分则中的政治、组织、廉洁、群众、工作、生活六项纪律，结合演示案例以案释纪。学完须通过课程测验。",
        objectives=[
            "掌握五种党纪处分及其影响期",
            "理解从轻、减轻、从重、加重处分的情形",
            "熟悉六项纪律的主要条款，能对照案例准确定性",
        ],
        quiz="jlcftl-2023-course-quiz",
        lessons=[
            DemoLesson(
                slug="jlcftl-overview",
                title="第一课 条例修订的背景和总体要求",
                minutes=25,
                body=[
                    P(
                        "《中国共产党纪律处分条例》是党的纪律建设的基础性主干法规。条例自1997年颁布试行以来，先后于2003年、2015年、2018年、2023年修订。2023年修订的条例自2024年1月1日起施行，共3编11章158条，把党的十九大以来全面从严治党的新要求转化为纪律规范。",
                        "条例第三条明确：党章是最根本的党内法规，是管党治党的总规矩。党的纪律是党的各级组织和全体党员必须遵守的行为规则。党组织和党员必须自觉遵守和维护党章，严格执行和维护党的纪律，自觉接受党的纪律约束，模范遵守国家法律法规。",
                    ),
                    H("纪律处分工作的五项原则"),
                    P(
                        "条例第四条规定，党的纪律处分工作遵循：坚持党要管党、全面从严治党；党纪面前一律平等；实事求是；民主集中制；惩前毖后、治病救人。其中“党纪面前一律平等”强调，党内不允许有任何不受纪律约束的党组织和党员。",
                        "条例第五条要求深化运用监督执纪“四种形态”：经常开展批评和自我批评，及时进行谈话提醒、批评教育、责令检查、诫勉，让“红红脸、出出汗”成为常态；党纪轻处分、组织调整成为违纪处理的大多数；党纪重处分、重大职务调整的成为少数；严重违纪涉嫌犯罪追究刑事责任的成为极少数。",
                    ),
                    KP(
                        "本课要点",
                        "2023年修订的条例自2024年1月1日起施行",
                        "党纪面前一律平等，没有不受纪律约束的党员",
                        "“四种形态”：把纪律挺在前面，抓早抓小、防微杜渐",
                        "重点查处不收敛不收手、群众反映强烈的腐败问题和违反中央八项规定精神问题（第七条）",
                    ),
                ],
            ),
            DemoLesson(
                slug="jlcftl-sanctions",
                title="第二课 纪律处分的种类和运用规则",
                minutes=30,
                body=[
                    P(
                        "条例第八条规定，对党员的纪律处分种类有五种：警告、严重警告、撤销党内职务、留党察看、开除党籍。处分有“影响期”：党员受到警告处分一年内、受到严重警告处分一年半内，不得在党内提拔职务或者进一步使用（第十条）；受到撤销党内职务处分的，二年内不得担任与其原任职务相当或者高于其原任职务的职务（第十一条）。",
                        "留党察看分为一年、二年，期限最长不得超过二年；察看期间没有表决权、选举权和被选举权（第十二条）。受到开除党籍处分的，五年内不得重新入党（第十三条）。",
                    ),
                    H("从轻、减轻与从重、加重"),
                    P(
                        "条例第十七条规定，主动交代本人应当受到党纪处分的问题，在组织谈话函询、初步核实、立案审查过程中如实说明本人违纪违法事实，检举他人问题经查证属实，主动挽回损失，主动上交或者退赔违纪所得的，可以从轻或者减轻处分。",
                        "第二十条规定，强迫、唆使他人违纪，拒不上交或者退赔违纪所得，违纪受处分后又因故意违纪应当受到党纪处分，以及受处分后又被发现其受处分前没有交代的其他问题的，应当从重或者加重处分。一人有两种以上违纪行为的，合并处理，按最高处分加重一档（第二十四条）。",
                    ),
                    C(
                        "czj-ysk-gifts-2024",
                        "张某某案发后主动说明问题、上交全部违纪所得，处分时予以考虑。",
                    ),
                    KP(
                        "本课要点",
                        "五种处分：警告、严重警告、撤销党内职务、留党察看、开除党籍",
                        "影响期：警告一年、严重警告一年半、撤销党内职务二年",
                        "主动交代、退赔可以从轻减轻；拒不退赔、受处分后再违纪应当从重加重",
                    ),
                ],
            ),
            DemoLesson(
                slug="jlcftl-crime",
                title="第三课 对违法犯罪党员的纪律处分",
                minutes=20,
                body=[
                    P(
                        "条例坚持纪法贯通。第二十八条要求对违法犯罪的党员，做到适用纪律和适用法律有机融合，党纪政务等处分相匹配。对涉嫌犯罪的行为，第二十九条规定了处分的“起点”：应当给予撤销党内职务、留党察看或者开除党籍处分。",
                    ),
                    A(29, "贪污贿赂、滥用职权、玩忽职守等涉嫌犯罪行为，处分起点是撤销党内职务。"),
                    P(
                        "对虽不构成犯罪但违反法律的行为，第三十条规定视具体情节给予警告直至开除党籍处分，并专门写明违反国家财经纪律的情形。党员因故意犯罪被依法判处主刑（含宣告缓刑）的，应当给予开除党籍处分（第三十四条）。",
                    ),
                    A(30, "赌博、违反治安管理等违法行为，同样要追究党纪责任。"),
                    C("transport-gambling-2024", "八小时以外参赌被行政拘留，依照第三十条处理。"),
                    C(
                        "zrzy-bribery-2024",
                        "严重违纪违法、涉嫌受贿犯罪，开除党籍、开除公职并移送司法机关。",
                    ),
                ],
            ),
            DemoLesson(
                slug="jlcftl-six-disciplines",
                title="第四课 六项纪律：以案释纪",
                minutes=40,
                body=[
                    P(
                        "条例分则按照政治纪律、组织纪律、廉洁纪律、群众纪律、工作纪律、生活纪律六个方面，对违纪行为作出规定。政治纪律是最根本、最重要的纪律，遵守政治纪律是遵守党的全部纪律的基础。",
                    ),
                    H("政治纪律和组织纪律"),
                    A(51, "网络群聊不是纪律“飞地”。"),
                    C("health-political-speech-2023"),
                    A(81, "个人有关事项报告和组织函询都要对组织忠诚老实。"),
                    H("廉洁纪律"),
                    P(
                        "廉洁纪律（分则第八章）条文最多，覆盖收送礼品礼金、操办婚丧喜庆、接受宴请旅游、违规从事营利活动、为亲属谋利、公款吃喝、违规接待、公车管理等。判断收受财物是否违纪，关键看“可能影响公正执行公务”，以及是否“明显超出正常礼尚往来”。",
                    ),
                    A(97),
                    H("群众纪律、工作纪律和生活纪律"),
                    A(122, "群众身边的“微腐败”同样要严肃查处，乡村振兴领域从重。"),
                    A(132, "形式主义、官僚主义列为违反工作纪律行为。"),
                    A(150),
                    KP(
                        "六项纪律",
                        "政治纪律：最根本、最重要的纪律",
                        "组织纪律：对组织忠诚老实，严守选人用人规矩",
                        "廉洁纪律：不收不该收的，不吃不该吃的，不拿不该拿的",
                        "群众纪律：不侵害群众利益，不推诿扯皮",
                        "工作纪律：反对形式主义、官僚主义，履职尽责",
                        "生活纪律：管住“八小时以外”，抵制奢靡之风",
                    ),
                ],
            ),
            DemoLesson(
                slug="jlcftl-self-check",
                title="拓展阅读 对照条例自查自纠",
                minutes=15,
                required=False,
                body=[
                    P(
                        "学完本课程后，建议对照下列问题开展一次自查：是否收受过管理服务对象的礼品、礼金、消费卡？是否接受过可能影响公正执行公务的宴请、旅游安排？个人有关事项是否如实、完整报告？配偶、子女从业是否符合规定？分管领域是否存在形式主义、官僚主义问题？",
                        "自查发现问题的，应当主动向组织说明。条例第十七条规定，主动交代本人应当受到党纪处分的问题的，可以从轻或者减轻处分。",
                    ),
                    KP(
                        "自查清单",
                        "礼品礼金：有无收受、有无登记上交",
                        "宴请旅游：有无接受管理服务对象安排",
                        "个人事项：有无漏报、瞒报",
                        "亲属从业：有无在本人管辖范围内经商办企业",
                    ),
                ],
            ),
        ],
    ),
    DemoCourse(
        slug="baxiang-guiding",
        title="中央八项规定精神学习",
        kind=CourseKind.DISCIPLINE,
        hours="3.0",
        summary="学习中央八项规定及其实施细则，了解违反中央八项规定精神问题的表现形式和纪律处分依据，结合节假日廉洁提醒，锲而不舍纠治“四风”。",
        objectives=[
            "熟知中央八项规定的八个方面",
            "掌握实施细则关于会议、文件、接待的主要标准",
            "能识别公款吃喝、违规收送礼品、公车私用等“四风”问题及其隐形变异",
        ],
        lessons=[
            DemoLesson(
                slug="baxiang-content",
                title="第一课 中央八项规定的出台和主要内容",
                minutes=20,
                body=[
                    P(
                        "2012年12月4日，中共中央政治局召开会议，审议通过了关于改进工作作风、密切联系群众的八项规定。八项规定从中央政治局做起，以上率下，成为新时代作风建设的“金色名片”。",
                        "八项规定的内容包括：改进调查研究；精简会议活动，切实改进会风；精简文件简报，切实改进文风；规范出访活动；改进警卫工作；改进新闻报道；严格文稿发表；厉行勤俭节约，严格遵守廉洁从政有关规定，严格执行住房、车辆配备等有关工作和生活待遇的规定。",
                    ),
                    KP(
                        "八项规定",
                        "改进调查研究：向群众学习、向实践学习",
                        "精简会议活动：开短会、讲短话，力戒空话、套话",
                        "精简文件简报：没有实质内容、可发可不发的一律不发",
                        "规范出访活动、改进警卫工作、改进新闻报道、严格文稿发表",
                        "厉行勤俭节约：严格执行住房、车辆配备等待遇规定",
                    ),
                ],
            ),
            DemoLesson(
                slug="baxiang-rules",
                title="第二课 实施细则要点：调研、会议、文件和接待",
                minutes=25,
                body=[
                    P(
                        "《中央八项规定实施细则》共五个部分30条，对八项规定逐项细化。在调查研究方面，要求注重实际效果，减少陪同人员，简化接待工作：不张贴悬挂横幅标语，不安排群众迎送，不铺设迎宾地毯，不摆放花草，不赠送各类纪念品或土特产，不安排宴请，不上高档菜肴，自助餐也要注意节俭。",
                        "在会议活动方面，各部门召开本系统全国性会议每年不超过1次；全国性会议人数不超过300人，时间不超过2天。严禁提高会议用餐、住宿标准，严禁组织高消费娱乐、健身活动，工作会议一律不摆花草、不制作背景板，严禁以任何名义发放纪念品。",
                        "在督促检查方面，各地区各部门每年年底对执行情况进行1次专项检查；各级纪检监察机关要把监督执行实施细则作为改进党风政风的一项经常性工作来抓。",
                    ),
                    A(116, "违反接待管理规定，超标准、超范围接待的纪律处分依据。"),
                    KP(
                        "记住几个数字",
                        "本系统全国性会议：每年不超过1次",
                        "全国性会议：不超过300人、不超过2天",
                        "执行情况专项检查：每年年底1次",
                    ),
                ],
            ),
            DemoLesson(
                slug="baxiang-discipline",
                title="第三课 违反中央八项规定精神问题的纪律处分",
                minutes=30,
                body=[
                    P(
                        "条例第七条把违反中央八项规定精神的问题列为重点查处的问题之一。违反中央八项规定精神的行为，大多规定在分则第八章“对违反廉洁纪律行为的处分”中，例如用公款宴请、娱乐和购买赠送礼品，违规接待，违规配备使用公车等。",
                        "近年来，“四风”问题出现隐形变异：把宴请从酒店转入内部食堂、私人会所，把礼金变成电子红包、快递送礼，用“会议费”“培训费”等名目报销吃喝。纪律审查看的是实质而不是名目。",
                    ),
                    A(113),
                    C("edu-public-dining-2023", "变换名目报销宴请费用，挤占教育经费。"),
                    A(117),
                    A(101),
                    C(
                        "dcq-czj-dining-2024",
                        "年终“总结聚餐”由公用经费列支，又接受采购代理机构的旅游安排。",
                    ),
                    KP(
                        "警惕隐形变异",
                        "公款吃喝转入内部食堂、私人会所",
                        "礼金变身电子红包、快递送礼",
                        "以会议费、培训费名义报销宴请",
                        "公车“私驾”、以租代配变相占用",
                    ),
                ],
            ),
            DemoLesson(
                slug="baxiang-festivals",
                title="第四课 节点纠“四风”：节假日廉洁提醒",
                minutes=15,
                required=False,
                body=[
                    P(
                        "元旦、春节、端午、中秋、国庆等节日前后，是“四风”问题易发多发的关口。各单位要在节前开展廉洁提醒，公布监督举报方式，节后开展“回头看”。",
                        "党员干部个人要做到：不收受管理服务对象的礼品礼金、消费卡（券）；不接受可能影响公正执行公务的宴请和旅游安排；不用公款购买赠送节礼；不公车私用。收到无法拒收的礼品礼金，要按规定及时登记上交。",
                    ),
                    A(97),
                    C("czj-ysk-gifts-2024", "节日前后多次收受购物卡，“小卡片”背后是权力寻租。"),
                    KP(
                        "节日“四不”",
                        "不收礼品礼金消费卡",
                        "不吃请、不旅游",
                        "不用公款送节礼",
                        "不公车私用",
                    ),
                ],
            ),
        ],
    ),
    DemoCourse(
        slug="yi-an-wei-jian",
        title="以案为鉴 警示教育",
        kind=CourseKind.WARNING,
        hours="2.0",
        summary="用身边事教育身边人：选取财政、住建、民政、医保、交通等领域的典型案例，剖析违纪违法的成因和教训，观看廉政党课，对照检查、引以为戒。",
        objectives=[
            "从典型案例中认清“围猎”与被“围猎”的危害",
            "了解群众身边不正之风和腐败问题的表现",
            "对照本岗位查找廉政风险点",
        ],
        self_enrol=True,
        lessons=[
            DemoLesson(
                slug="jingshi-weilie",
                title="第一课 “围猎”与被“围猎”",
                minutes=25,
                body=[
                    P(
                        "“围猎”者往往投其所好、放长线钓大鱼：逢年过节送卡送礼，平时请吃请玩，关键时候托请办事。被“围猎”者往往从“盛情难却”开始，到“习以为常”，最后“来者不拒”。",
                        "下面两个案例，一个是“小节”失守的科级干部，一个是严重违纪违法的“一把手”。请在阅读时思考：他们在哪个环节本可以止步？",
                    ),
                    C("czj-ysk-gifts-2024", "预算审核岗位的“小卡片”。"),
                    C("zrzy-bribery-2024", "从“盛情难却”到“来者不拒”。"),
                    A(97),
                    KP(
                        "警示",
                        "守住“第一次”",
                        "分清“人情”和“权情”",
                        "主动报告说情打招呼、送礼送卡",
                    ),
                ],
            ),
            DemoLesson(
                slug="jingshi-qunzhong",
                title="第二课 群众身边的不正之风和腐败问题",
                minutes=25,
                body=[
                    P(
                        "群众身边的不正之风和腐败问题，直接损害群众切身利益，侵蚀党的执政根基。条例第九章对违反群众纪律的行为作出规定：侵害群众利益、优亲厚友、推诿扯皮、对待群众态度恶劣等，都要追究责任。",
                    ),
                    C("civil-affairs-relief-2024", "克扣低保救助款、优亲厚友。"),
                    A(122),
                    C("health-indifference-2024", "让群众往返窗口7次仍未办结。"),
                    A(126),
                    KP(
                        "对照检查",
                        "本岗位直接面向群众的环节有哪些？",
                        "惠民资金发放是否公开透明？",
                        "群众诉求是否首问负责、限时办结？",
                    ),
                ],
            ),
            DemoLesson(
                slug="jingshi-dangke",
                title="第三课 廉政党课：从身边案例看“围猎”与反“围猎”",
                minutes=30,
                body=[
                    P(
                        "本课是一堂廉政党课。请完整观看（或阅读讲稿），并结合本单位实际，思考讲课人提出的三条反“围猎”建议如何落到实处。",
                    ),
                    T("fan-wei-lie"),
                ],
            ),
            DemoLesson(
                slug="jingshi-shizhi",
                title="拓展学习 形式主义、官僚主义与失职失责",
                minutes=20,
                required=False,
                body=[
                    P(
                        "形式主义、官僚主义是党的作风建设的大敌。以“留痕”代替“留绩”，以会议落实会议，表面上“工作很忙”，实际上问题没有解决，最终会在事故和损失面前暴露无遗。失职失责同样是违纪：对制度漏洞视而不见，对风险提示听而不闻，“签字”就要担责。",
                    ),
                    C("transport-formalism-2024"),
                    C("czj-gkk-negligence-2023"),
                    A(130),
                ],
            ),
        ],
    ),
    DemoCourse(
        slug="ren-qian-lian-zheng",
        title="新任领导干部任前廉政教育",
        kind=CourseKind.PRE_APPOINTMENT,
        hours="6.0",
        summary="新提任领导干部任职前必修课程：学习《中国共产党廉洁自律准则》，掌握个人有关事项报告、选人用人、亲属从业、操办婚丧喜庆等廉洁从政规定，通过任前廉政法规知识测试后方可完成。",
        objectives=[
            "熟知《中国共产党廉洁自律准则》八条规范",
            "如实报告个人有关事项，正确对待组织函询",
            "严守选人用人纪律，管好家属和身边工作人员",
        ],
        self_enrol=False,
        quiz="rqlz-2026",
        lessons=[
            DemoLesson(
                slug="renqian-zhunze",
                title="第一课 廉洁从政的基本遵循：《中国共产党廉洁自律准则》",
                minutes=25,
                body=[
                    P(
                        "《中国共产党廉洁自律准则》是全党在廉洁自律方面的高标准，分为党员廉洁自律规范和党员领导干部廉洁自律规范两部分，各四条。",
                        "党员廉洁自律规范：坚持公私分明，先公后私，克己奉公；坚持崇廉拒腐，清白做人，干净做事；坚持尚俭戒奢，艰苦朴素，勤俭节约；坚持吃苦在前，享受在后，甘于奉献。",
                        "党员领导干部廉洁自律规范：廉洁从政，自觉保持人民公仆本色；廉洁用权，自觉维护人民根本利益；廉洁修身，自觉提升思想道德境界；廉洁齐家，自觉带头树立良好家风。",
                    ),
                    P(
                        "准则是“高线”，纪律处分条例是“底线”。新任领导干部既要向高线看齐，更要守住底线。条例第九十四条规定：党员干部必须正确行使人民赋予的权力，清正廉洁，反对特权思想和特权现象，反对任何滥用职权、谋求私利的行为。",
                    ),
                    KP(
                        "领导干部“四个廉洁”",
                        "廉洁从政，自觉保持人民公仆本色",
                        "廉洁用权，自觉维护人民根本利益",
                        "廉洁修身，自觉提升思想道德境界",
                        "廉洁齐家，自觉带头树立良好家风",
                    ),
                ],
            ),
            DemoLesson(
                slug="renqian-geren-shixiang",
                title="第二课 如实报告个人有关事项",
                minutes=20,
                body=[
                    P(
                        "领导干部报告个人有关事项，是对组织忠诚老实的具体体现。报告内容一般包括本人婚姻变化、因私出国（境）、本人和配偶子女从业、房产、投资等情况。漏报、瞒报，以及组织函询时不如实说明，都要追究责任。",
                        "新任领导干部要在任职前认真核对：名下房产是否全部填报？配偶、共同生活的子女持有股票、基金、保险等情况是否清楚？不清楚的，要主动查询，宁可多报，不可漏报。",
                    ),
                    A(81),
                    C(
                        "czj-personal-matters-2024",
                        "漏报房产2套、隐瞒配偶买卖股票，函询时仍不如实说明。",
                    ),
                ],
            ),
            DemoLesson(
                slug="renqian-yongren",
                title="第三课 正确行使选人用人权和决策权",
                minutes=20,
                body=[
                    P(
                        "选人用人是党的权力，领导干部只是代表组织行使。条例第八十四条把任人唯亲、排斥异己、封官许愿、说情干预、跑官要官、突击提拔或者调整干部等列为违规行为；用人失察失误造成严重后果的，也要追究直接责任者和领导责任者。",
                        "决策方面，要坚持民主集中制，重大事项、重要干部任免、重要项目安排和大额资金使用必须集体决策，不得个人或者少数人说了算，也不得借集体决策名义集体违规（条例第七十七条）。",
                    ),
                    A(84),
                    C("edu-promotion-2023", "离任前一个月突击调整中层干部9名。"),
                ],
            ),
            DemoLesson(
                slug="renqian-jiafeng",
                title="第四课 管好家属和身边人，操办婚丧喜庆守规矩",
                minutes=20,
                body=[
                    P(
                        "家风是领导干部作风的重要表现。条例规定，利用职权为配偶、子女及其配偶等亲属和其他特定关系人谋取利益的（第一百零四条），纵容、默许亲属和身边工作人员利用本人职权谋取私利的（第九十六条），都要给予处分；不重视家风建设，对配偶、子女及其配偶失管失教，造成不良影响或者严重后果的，也要追究（第一百五十二条）。",
                        "操办婚丧喜庆事宜，要严格控制规模，不邀请管理服务对象，按规定事前报告、事后说明。借机敛财的，从重或者加重处分。",
                    ),
                    A(104),
                    A(100),
                    C("xcq-zjj-wedding-2024", "邀请管理服务对象参加婚宴，收受礼金12.6万元。"),
                    KP(
                        "廉洁齐家",
                        "配偶子女从业要主动报告、依规回避",
                        "不为亲属经商办企业提供便利",
                        "婚丧喜庆事宜事前报告，不请管理服务对象",
                    ),
                ],
            ),
            DemoLesson(
                slug="renqian-chengnuo",
                title="拓展 任前廉政谈话与廉政承诺",
                minutes=10,
                required=False,
                body=[
                    P(
                        "新任领导干部任职前，一般由组织和纪检监察机关负责同志进行任前廉政谈话，提出廉洁从政要求，新任领导干部作出书面廉政承诺。承诺书要结合岗位职责写具体：管什么、怎么管、守住哪些底线。",
                        "任职后，要把廉政承诺落实到日常工作中：严格执行中央八项规定精神，带头执行个人有关事项报告制度，自觉接受组织和群众监督。",
                    ),
                    KP(
                        "廉政承诺参考",
                        "严守政治纪律和政治规矩",
                        "不利用职权为本人和亲属谋取私利",
                        "不收受礼品礼金，不接受可能影响公正执行公务的宴请",
                        "如实报告个人有关事项",
                    ),
                ],
            ),
        ],
    ),
]


# --- Building ------------------------------------------------------------------------------


def _home() -> Page | None:
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    return site.root_page if site else None


def _publish_under(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _catalogue(home: Page) -> CourseIndexPage:
    existing = CourseIndexPage.objects.first()
    if existing is not None:
        return existing
    page = CourseIndexPage(
        title=CATALOGUE["title"], slug=CATALOGUE["slug"], intro=CATALOGUE["intro"]
    )
    _publish_under(home, page)
    return page


def _talk_library(home: Page) -> TalkIndexPage:
    existing = TalkIndexPage.objects.first()
    if existing is not None:
        return existing
    page = TalkIndexPage(
        title=TALK_LIBRARY["title"], slug=TALK_LIBRARY["slug"], intro=TALK_LIBRARY["intro"]
    )
    _publish_under(home, page)
    return page


def _demo_video(title: str) -> Any:
    """A few seconds of generated test video, only when ``ffmpeg`` is installed (the demo
    runs offline and downloads nothing). Returns a wagtailmedia ``Media`` or None."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    from wagtailmedia.models import get_media_model

    media_model = get_media_model()
    existing = media_model.objects.filter(title=title).first()
    if existing is not None:
        return existing
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "demo-talk.mp4"
        result = subprocess.run(  # noqa: S603 (fixed arguments, no user input)
            [
                ffmpeg,
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc=duration=12:size=320x180:rate=15",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:duration=12",
                "-shortest",
                "-pix_fmt",
                "yuv420p",
                str(target),
            ],
            check=False,
            capture_output=True,
            timeout=60,
        )
        if result.returncode != 0 or not target.exists():
            return None
        media = media_model(title=title, type="video", duration=12, width=320, height=180)
        with target.open("rb") as fh:
            media.file.save("demo-talk.mp4", File(fh), save=False)
        media.save()
        return media


def _talk(spec: DemoTalk, *, library: TalkIndexPage, cases: dict[str, CasePage]) -> bool:
    if TalkPage.objects.filter(slug=spec.slug).exists():
        return False
    page = TalkPage(
        title=spec.title,
        slug=spec.slug,
        speaker=spec.speaker,
        speaker_role=spec.role,
        date=spec.date,
        summary=spec.summary,
        transcript="".join(f"<p>{p}</p>" for p in spec.transcript),
        video=_demo_video(f"廉政党课：{spec.title}"),
    )
    page.related_cases = [cases[s] for s in spec.cases if s in cases]
    _publish_under(library, page)
    return True


def _stream(
    body: list[Block],
    *,
    articles: dict[int, Article],
    cases: dict[str, CasePage],
    talks: dict[str, TalkPage],
) -> list[Block]:
    """Resolve article numbers and page slugs; a block whose target is missing is left
    out rather than pointing at nothing."""
    stream: list[Block] = []
    for kind, value in body:
        if kind == "paragraph":
            stream.append((kind, RichText(value)))
        elif kind == "article_quote":
            if value["article"] in articles:
                stream.append(
                    (kind, {"article": articles[value["article"]], "note": value["note"]})
                )
        elif kind == "case":
            if value["case"] in cases:
                stream.append((kind, {"case": cases[value["case"]], "note": value["note"]}))
        elif kind == "talk":
            if value["talk"] in talks:
                stream.append((kind, {"talk": talks[value["talk"]]}))
        else:
            stream.append((kind, value))
    return stream


def _course(
    spec: DemoCourse,
    *,
    catalogue: CourseIndexPage,
    quizzes: dict[str, Any],
    **targets: Any,
) -> bool:
    if CoursePage.objects.filter(slug=spec.slug).exists():
        return False
    course = CoursePage(
        title=spec.title,
        slug=spec.slug,
        summary=spec.summary,
        objectives=[("objective", text) for text in spec.objectives],
        credit_hours=Decimal(spec.hours),
        kind=spec.kind,
        default_required=spec.default_required,
        self_enrol=spec.self_enrol,
        completion_rule=spec.rule,
        quiz=quizzes.get(spec.quiz) if spec.quiz else None,
    )
    _publish_under(catalogue, course)
    for lesson in spec.lessons:
        _publish_under(
            course,
            LessonPage(
                title=lesson.title,
                slug=lesson.slug,
                estimated_minutes=lesson.minutes,
                is_required=lesson.required,
                body=_stream(lesson.body, **targets),
            ),
        )
    return True


@transaction.atomic
def demo_courses_build(*, quizzes: dict[str, Any] | None = None) -> dict[str, int]:
    """Create the demo course catalogue and talk library (idempotent). ``quizzes`` maps
    quiz slugs to the demo quizzes the courses link. Returns counts."""
    home = _home()
    if home is None:
        return {"courses": 0, "lessons": 0, "talks": 0, "created": 0}
    articles = {a.number: a for a in Article.objects.filter(regulation__slug=REGULATION_SLUG)}
    cases = {c.slug: c for c in CasePage.objects.all()}
    library = _talk_library(home)
    created = sum(_talk(t, library=library, cases=cases) for t in TALKS)
    talks = {t.slug: t for t in TalkPage.objects.all()}
    catalogue = _catalogue(home)
    created += sum(
        _course(
            c,
            catalogue=catalogue,
            quizzes=quizzes or {},
            articles=articles,
            cases=cases,
            talks=talks,
        )
        for c in COURSES
    )
    return {
        "courses": CoursePage.objects.live().count(),
        "lessons": LessonPage.objects.live().count(),
        "talks": TalkPage.objects.live().count(),
        "created": created,
    }


# --- Assignments, progress and quiz attempts -------------------------------------------------

NOT_STARTED, HALFWAY, COMPLETED = "not_started", "halfway", "completed"


@dataclass
class DemoAssignment:
    """An order of the demo. ``note`` is its natural key (with course and unit);
    ``due_in`` days from the day the demo is built (negative: already overdue);
    ``stages``: the share of the audience not started / halfway / completed."""

    note: str
    course: str
    unit: str
    due_in: int
    by: str
    min_rank: str | None = None
    leading_only: bool = False
    stages: tuple[float, float, float] = (0.3, 0.35, 0.35)


ASSIGNMENTS: list[DemoAssignment] = [
    DemoAssignment(
        note="年度党纪学习教育：全市党员干部必修（演示）",
        course="jlcftl-2023-study",
        unit="SZ",
        due_in=30,
        by="admin",
    ),
    DemoAssignment(
        note="节前作风建设专题学习（演示）",
        course="baxiang-guiding",
        unit="CZJ",
        due_in=14,
        by="unitadmin",
        stages=(0.25, 0.35, 0.4),
    ),
    DemoAssignment(
        note="住建系统警示教育（演示，已逾期）",
        course="yi-an-wei-jian",
        unit="ZJJ",
        due_in=-10,
        by="admin",
        stages=(0.35, 0.35, 0.3),
    ),
    DemoAssignment(
        note="东城区新提任副科级以上干部任前廉政教育（演示）",
        course="ren-qian-lian-zheng",
        unit="DCQ",
        due_in=21,
        by="admin",
        min_rank="FKJ",
        stages=(0.3, 0.3, 0.4),
    ),
]

# The demo learner's own stage per course, so the learner login shows every state.
LEARNER_EMAIL_LOCAL = "learner"
LEARNER_STAGES = {"jlcftl-2023-study": HALFWAY, "baxiang-guiding": COMPLETED}
LEARNER_ELECTIVE = "yi-an-wei-jian"  # self-enrolled, not started


def _login(domain: str, local: str) -> Any:
    return User.objects.filter(email=f"{local}@{domain}").first()


def _assignment(spec: DemoAssignment, *, domain: str) -> Any:
    """The assignment (created through ``assignment_create``, its audience enrolled with
    ``assignment_enrol_audience``), or None when it already exists or cannot be made."""
    from .services.assignments import assignment_create, assignment_enrol_audience

    course = CoursePage.objects.live().filter(slug=spec.course).first()
    unit = OrgUnit.objects.filter(code=spec.unit).first()
    by = _login(domain, spec.by)
    if course is None or unit is None or by is None:
        return None
    if Assignment.objects.filter(course=course, unit=unit, note=spec.note).exists():
        return None
    today = timezone.localdate()
    assignment = assignment_create(
        by=by,
        course=course,
        unit=unit,
        min_rank=RankLevel.objects.filter(code=spec.min_rank).first() if spec.min_rank else None,
        leading_only=spec.leading_only,
        due_date=today + datetime.timedelta(days=max(spec.due_in, 0)),
        note=spec.note,
    )
    assignment_enrol_audience(assignment=assignment)
    if spec.due_in < 0:
        # An overdue order for the demo: the service refuses a past due date (rightly), so
        # the demo moves this one back after creating it, and its enrolments with it.
        past = today + datetime.timedelta(days=spec.due_in)
        Assignment.objects.filter(pk=assignment.pk).update(due_date=past)
        assignment.enrolments.filter(completed_at__isnull=True).update(due_date=past)
        assignment.due_date = past
    return assignment


def _advance(
    *, user: Any, course: CoursePage, stage: str, rng: Any, quizzes_taken: list[Any]
) -> None:
    """Bring one enrolled person to ``stage`` through the progress, quiz and completion
    services (lessons with tracked media cannot be marked studied and are left open)."""
    from quizzes.demo import demo_attempt_take

    from .selectors.progress import course_lessons
    from .services.completion import course_evaluate
    from .services.progress import LessonHasMediaError, lesson_mark_studied

    if stage == NOT_STARTED:
        return
    lessons = course_lessons(course=course)
    required = [lesson for lesson in lessons if lesson.is_required]
    if stage == HALFWAY:
        todo = required[: max(1, len(required) // 2)]
    else:
        todo = required + [
            lesson for lesson in lessons if not lesson.is_required and rng.random() < 0.5
        ]
    for lesson in todo:
        try:
            lesson_mark_studied(user=user, lesson=lesson)
        except LessonHasMediaError:
            continue
    if stage == COMPLETED and course.quiz_id:
        attempt = demo_attempt_take(
            quiz=course.quiz, user=user, ability=rng.uniform(0.8, 0.97), rng=rng
        )
        if attempt is not None:
            quizzes_taken.append(attempt)
    course_evaluate(user=user, course=course)


def _stage(spec: DemoAssignment, rng: Any) -> str:
    draw = rng.random()
    not_started, halfway, _completed = spec.stages
    if draw < not_started:
        return NOT_STARTED
    return HALFWAY if draw < not_started + halfway else COMPLETED


@transaction.atomic
def demo_activity_build(*, domain: str) -> dict[str, int]:
    """Assign the demo courses to demo units and bring the people enrolled to different
    stages (not started, halfway, completed; one assignment overdue), with course-quiz
    attempts for those who complete a course with a quiz, then about twenty cadres take
    the education-month contest. Idempotent: an assignment that exists is left alone, and
    the contest is taken only while it has no attempts. Randomness is seeded (2026)."""
    from quizzes.demo import demo_contest_attempts

    from .services.assignments import enrolment_self_enrol

    rng = random.Random(2026)
    learner = _login(domain, LEARNER_EMAIL_LOCAL)
    made = 0
    attempts: list[Any] = []
    for spec in ASSIGNMENTS:
        assignment = _assignment(spec, domain=domain)
        if assignment is None:
            continue
        made += 1
        course = CoursePage.objects.get(pk=assignment.course_id)
        enrolments = (
            Enrolment.objects.filter(assignment=assignment)
            .select_related("user")
            .order_by("user__employee_number", "user_id")
        )
        for enrolment in enrolments:
            stage = _stage(spec, rng)
            if learner is not None and enrolment.user_id == learner.pk:
                stage = LEARNER_STAGES.get(spec.course, stage)
            _advance(
                user=enrolment.user, course=course, stage=stage, rng=rng, quizzes_taken=attempts
            )
    elective = CoursePage.objects.live().filter(slug=LEARNER_ELECTIVE).first()
    if made and learner is not None and elective is not None and elective.self_enrol:
        enrolment_self_enrol(user=learner, course=elective)

    cadres = list(
        User.objects.filter(is_active=True, employee_number__startswith="SZ")
        .exclude(unit=None)
        .order_by("employee_number")
    )
    contest = demo_contest_attempts(people=cadres, count=20)
    return {"assignments": made, "course_attempts": len(attempts), "contest_attempts": contest}
