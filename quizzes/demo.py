"""Demo content for the question bank and quizzes: about eighty questions on the 2023
Regulations on Disciplinary Actions, the Eight-point Regulation (and its implementing
rules) and the Code of Integrity and Self-discipline, in all four question types, and the
three demo quizzes. Called by ``build_demo``; idempotent (questions are looked up by their
``idnumber``, quizzes by slug, categories by name under their parent).

Answers follow the published texts. A question cites ``cases.Article`` rows only for the
articles the demo regulation holds (``cases.demo.ARTICLES``); a question about any other
article names the article in its explanation and cites nothing rather than a wrong row.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from cases.models import Article

from .factories import category_create
from .models import (
    Difficulty,
    Question,
    QuestionCategory,
    QuestionOption,
    QuestionType,
    Quiz,
    QuizKind,
    QuizSection,
)

REGULATION_SLUG = "jlcftl-2023"  # cases.demo.REGULATION["slug"]

# Category paths of the bank (root first).
Z = ("纪律处分条例", "总则")
ZZ = ("纪律处分条例", "政治纪律和组织纪律")
LJ = ("纪律处分条例", "廉洁纪律")
QG = ("纪律处分条例", "群众纪律、工作纪律和生活纪律")
BX = ("中央八项规定", "八项规定及实施细则")
SF = ("中央八项规定", "纠治“四风”")
RQ = ("任前廉政知识",)

CATEGORY_INFO: dict[tuple[str, ...], str] = {
    ("纪律处分条例",): "《中国共产党纪律处分条例》（2023年修订，2024年1月1日起施行）",
    Z: "总则：处分种类、运用规则、对违法犯罪党员的纪律处分",
    ZZ: "分则第六章、第七章",
    LJ: "分则第八章",
    QG: "分则第九章至第十一章",
    ("中央八项规定",): "中央八项规定及其实施细则，违反中央八项规定精神问题",
    BX: "八项规定原文与实施细则",
    SF: "违反中央八项规定精神问题的认定与处理",
    RQ: "《中国共产党廉洁自律准则》、个人有关事项报告、家风建设等任前必知内容",
}

E, M, H = Difficulty.EASY, Difficulty.MEDIUM, Difficulty.HARD


@dataclass
class DemoQuestion:
    """``answer``: options for choice questions (a leading ``*`` marks a correct one),
    ``True``/``False`` for true/false, accepted answers for fill-in."""

    key: str
    category: tuple[str, ...]
    qtype: str
    stem: str
    answer: list[str] | bool
    explanation: str
    articles: list[int] = field(default_factory=list)
    difficulty: int = Difficulty.MEDIUM
    tags: str = ""


S, MU, TF, FI = (
    QuestionType.SINGLE,
    QuestionType.MULTIPLE,
    QuestionType.TRUE_FALSE,
    QuestionType.FILL,
)

QUESTIONS: list[DemoQuestion] = [
    # --- 纪律处分条例 / 总则 -------------------------------------------------------------
    DemoQuestion(
        "jl-z-01",
        Z,
        S,
        "2023年修订的《中国共产党纪律处分条例》自（　　）起施行。",
        ["*2024年1月1日", "2023年10月1日", "2023年12月1日", "2024年7月1日"],
        "条例第一百五十八条：本条例自2024年1月1日起施行。",
        difficulty=E,
    ),
    DemoQuestion(
        "jl-z-02",
        Z,
        S,
        "对党员的纪律处分种类共有（　　）种。",
        ["三", "四", "*五", "六"],
        "条例第八条：对党员的纪律处分种类为警告、严重警告、撤销党内职务、留党察看、开除党籍。",
        difficulty=E,
    ),
    DemoQuestion(
        "jl-z-03",
        Z,
        MU,
        "下列属于对党员的纪律处分种类的有（　　）。",
        ["*警告", "*严重警告", "*撤销党内职务", "*留党察看", "诫勉"],
        "条例第八条规定了五种纪律处分。诫勉是条例第十九条规定的不予党纪处分时可以采取的措施，不是纪律处分种类。",
        difficulty=E,
    ),
    DemoQuestion(
        "jl-z-04",
        Z,
        TF,
        "党员受到警告处分一年内，不得在党内提拔职务或者进一步使用。",
        True,
        "条例第十条：党员受到警告处分一年内、受到严重警告处分一年半内，不得在党内提拔职务或者进一步使用。",
        difficulty=E,
    ),
    DemoQuestion(
        "jl-z-05",
        Z,
        FI,
        "党员受到严重警告处分______内，不得在党内提拔职务或者进一步使用。",
        ["一年半", "1年半", "1.5年", "十八个月", "18个月"],
        "条例第十条：受到严重警告处分一年半内，不得在党内提拔职务或者进一步使用。",
    ),
    DemoQuestion(
        "jl-z-06",
        Z,
        S,
        "留党察看期限最长不得超过（　　）。",
        ["一年", "一年半", "*二年", "三年"],
        "条例第十二条：留党察看处分分为留党察看一年、留党察看二年……留党察看期限最长不得超过二年。",
        difficulty=E,
    ),
    DemoQuestion(
        "jl-z-07",
        Z,
        TF,
        "党员受留党察看处分期间，仍享有表决权、选举权和被选举权。",
        False,
        "条例第十二条：党员受留党察看处分期间，没有表决权、选举权和被选举权。",
    ),
    DemoQuestion(
        "jl-z-08",
        Z,
        S,
        "党员受到开除党籍处分，（　　）年内不得重新入党。",
        ["三", "*五", "八", "十"],
        "条例第十三条：党员受到开除党籍处分，五年内不得重新入党。",
        difficulty=E,
    ),
    DemoQuestion(
        "jl-z-09",
        Z,
        MU,
        "有下列哪些情形的，可以从轻或者减轻处分？（　　）",
        [
            "*主动交代本人应当受到党纪处分的问题",
            "*主动上交或者退赔违纪所得",
            "*检举同案人应当受到党纪处分的问题，经查证属实",
            "拒不上交或者退赔违纪所得",
        ],
        "条例第十七条列举了可以从轻或者减轻处分的情形；拒不上交或者退赔违纪所得是第二十条规定的从重或者加重处分情形。",
    ),
    DemoQuestion(
        "jl-z-10",
        Z,
        MU,
        "有下列哪些情形的，应当从重或者加重处分？（　　）",
        [
            "*强迫、唆使他人违纪",
            "*拒不上交或者退赔违纪所得",
            "*违纪受处分后又因故意违纪应当受到党纪处分",
            "主动挽回损失、消除不良影响",
        ],
        "条例第二十条列举了从重或者加重处分情形；主动挽回损失属于第十七条规定的从轻或者减轻处分情形。",
    ),
    DemoQuestion(
        "jl-z-11",
        Z,
        FI,
        "深化运用监督执纪“______”，让“红红脸、出出汗”成为常态。",
        ["四种形态"],
        "条例第五条：深化运用监督执纪“四种形态”，经常开展批评和自我批评……",
        difficulty=E,
    ),
    DemoQuestion(
        "jl-z-12",
        Z,
        S,
        "一人有条例规定的两种以上应当受到党纪处分的违纪行为，应当（　　）。",
        [
            "*合并处理，按其数种违纪行为中应当受到的最高处分加重一档给予处分",
            "分别处理，分别执行",
            "按其数种违纪行为中应当受到的最高处分给予处分",
            "按其数种违纪行为中应当受到的最轻处分给予处分",
        ],
        "条例第二十四条：应当合并处理，按其数种违纪行为中应当受到的最高处分加重一档给予处分；其中一种违纪行为应当受到开除党籍处分的，应当给予开除党籍处分。",
        difficulty=H,
    ),
    DemoQuestion(
        "jl-z-13",
        Z,
        S,
        "党组织在纪律审查中发现党员有贪污贿赂、滥用职权、玩忽职守等违反法律涉嫌犯罪行为的，应当给予（　　）处分。",
        [
            "警告或者严重警告",
            "*撤销党内职务、留党察看或者开除党籍",
            "严重警告或者撤销党内职务",
            "留党察看",
        ],
        "条例第二十九条。",
        articles=[29],
    ),
    DemoQuestion(
        "jl-z-14",
        Z,
        TF,
        "党员有吸食、注射毒品等丧失党员条件，严重败坏党的形象行为的，应当给予开除党籍处分。",
        True,
        "条例第三十条第三款。",
        articles=[30],
        difficulty=E,
    ),
    DemoQuestion(
        "jl-z-15",
        Z,
        TF,
        "党员在政府采购管理等财经活动中有违法行为但不构成犯罪的，不需要追究党纪责任。",
        False,
        "条例第三十条第二款：违反国家财经纪律，在公共资金收支、税务管理、国有资产管理、政府采购管理、金融管理、财务会计管理等财经活动中有违法行为的，视具体情节给予警告直至开除党籍处分。",
        articles=[30],
    ),
    DemoQuestion(
        "jl-z-16",
        Z,
        S,
        "党员因故意犯罪被依法判处刑法规定的主刑（含宣告缓刑）的，应当给予（　　）处分。",
        ["严重警告", "撤销党内职务", "留党察看", "*开除党籍"],
        "条例第三十四条第一款第（一）项。",
    ),
    DemoQuestion(
        "jl-z-17",
        Z,
        FI,
        "党纪处分决定作出后，应当在______内向受处分党员所在党的基层组织中的全体党员及其本人宣布。",
        ["一个月", "1个月", "一月"],
        "条例第四十四条：应当在一个月内向受处分党员所在党的基层组织中的全体党员及其本人宣布。",
        difficulty=H,
    ),
    DemoQuestion(
        "jl-z-18",
        Z,
        S,
        "《中国共产党纪律处分条例》由（　　）负责解释。",
        ["*中央纪委", "中央组织部", "中央办公厅", "全国人大常委会"],
        "条例第一百五十七条：本条例由中央纪委负责解释。",
        difficulty=E,
    ),
    DemoQuestion(
        "jl-z-19",
        Z,
        S,
        "某党员多次参与赌博被公安机关行政拘留，党组织追究其党纪责任的依据是（　　）。",
        [
            "*条例关于党员有违反治安管理等违法行为的规定",
            "只能由公安机关处理，党组织不再追究",
            "条例关于违反群众纪律的规定",
            "条例关于对抗组织审查的规定",
        ],
        "条例第三十条：有其他破坏社会主义市场经济秩序、违反治安管理等违法行为，损害党、国家和人民利益的，应当视具体情节给予警告直至开除党籍处分。",
        articles=[30],
        tags="以案释纪",
    ),
    # --- 纪律处分条例 / 政治纪律和组织纪律 -------------------------------------------------------
    DemoQuestion(
        "jl-zz-01",
        ZZ,
        MU,
        "通过网络、报刊、讲座等方式，有下列哪些行为的，依照条例第五十一条给予处分？（　　）",
        [
            "*妄议党中央大政方针，破坏党的集中统一",
            "*丑化党和国家形象",
            "*歪曲党的历史、中华人民共和国历史、人民军队历史",
            "通过组织渠道对工作提出不同意见",
        ],
        "条例第五十一条。对工作有不同意见，可以通过组织渠道反映，这是党员的权利。",
        articles=[51],
    ),
    DemoQuestion(
        "jl-zz-02",
        ZZ,
        TF,
        "党员在人数较多的微信群中发表妄议党中央大政方针的言论，属于“私下聊天”，不受纪律约束。",
        False,
        "网络空间不是纪律“飞地”。条例第五十一条规定的方式包括通过网络发表，参见演示案例“杨某某妄议党中央大政方针问题”。",
        articles=[51],
        tags="以案释纪",
    ),
    DemoQuestion(
        "jl-zz-03",
        ZZ,
        S,
        "组织迷信活动的，给予（　　）处分；情节严重的，给予开除党籍处分。",
        ["警告或者严重警告", "*撤销党内职务或者留党察看", "严重警告或者撤销党内职务", "留党察看"],
        "条例第七十条第一款。",
        articles=[70],
    ),
    DemoQuestion(
        "jl-zz-04",
        ZZ,
        TF,
        "对不明真相的参加迷信活动人员，经批评教育后确有悔改表现的，可以免予处分或者不予处分。",
        True,
        "条例第七十条第三款。",
        articles=[70],
    ),
    DemoQuestion(
        "jl-zz-05",
        ZZ,
        MU,
        "有下列哪些行为，情节较重的，依照条例第八十一条给予警告或者严重警告处分？（　　）",
        [
            "*违反个人有关事项报告规定，隐瞒不报",
            "*在组织进行谈话函询时，不如实向组织说明问题",
            "*不按要求报告或者不如实报告个人去向",
            "*不如实填报个人档案资料",
            "按规定如实报告配偶、子女从业情况",
        ],
        "条例第八十一条第一款。",
        articles=[81],
    ),
    DemoQuestion(
        "jl-zz-06",
        ZZ,
        S,
        "篡改、伪造个人档案资料的，给予（　　）处分；情节严重的，给予撤销党内职务或者留党察看处分。",
        ["警告", "*严重警告", "撤销党内职务", "开除党籍"],
        "条例第八十一条第三款。",
        articles=[81],
        difficulty=H,
    ),
    DemoQuestion(
        "jl-zz-07",
        ZZ,
        S,
        "在组织进行谈话函询时不如实说明问题，同时向组织提供虚假情况、掩盖事实的，依照条例关于（　　）的规定处理。",
        ["*对抗组织审查", "违反群众纪律", "违反生活纪律", "违反廉洁纪律"],
        "条例第八十一条第二款：依照本条例第六十三条（对抗组织审查）规定处理。",
        articles=[81],
        difficulty=H,
    ),
    DemoQuestion(
        "jl-zz-08",
        ZZ,
        MU,
        "在干部选拔任用工作中，下列属于违反干部选拔任用规定行为的有（　　）。",
        [
            "*任人唯亲、排斥异己",
            "*封官许愿、说情干预",
            "*跑官要官",
            "*突击提拔或者调整干部",
            "按规定程序开展民主推荐",
        ],
        "条例第八十四条第一款。",
        articles=[84],
    ),
    DemoQuestion(
        "jl-zz-09",
        ZZ,
        TF,
        "用人失察失误造成严重后果的，对直接责任者和领导责任者，依照违反干部选拔任用规定的条款处理。",
        True,
        "条例第八十四条第二款。",
        articles=[84],
    ),
    DemoQuestion(
        "jl-zz-10",
        ZZ,
        FI,
        "党员领导干部对违反政治纪律和政治规矩等错误思想和行为不报告、不抵制、不斗争，放任不管，搞无原则______，造成不良影响的，给予警告或者严重警告处分。",
        ["一团和气"],
        "条例第七十五条。",
        difficulty=H,
    ),
    DemoQuestion(
        "jl-zz-11",
        ZZ,
        S,
        "党员领导干部违反有关规定组织、参加自发成立的老乡会、校友会、战友会等，（　　）的，给予警告、严重警告或者撤销党内职务处分。",
        ["情节较轻", "情节较重", "*情节严重", "造成不良影响"],
        "条例第八十二条。",
        difficulty=H,
    ),
    DemoQuestion(
        "jl-zz-12",
        ZZ,
        FI,
        "党员领导干部在本人主政的地方或者分管的部门自行其是，搞______主义，拒不执行党中央确定的大政方针的，给予撤销党内职务、留党察看或者开除党籍处分。",
        ["山头"],
        "条例第五十六条第一款。",
    ),
    # --- 纪律处分条例 / 廉洁纪律 -----------------------------------------------------------
    DemoQuestion(
        "jl-lj-01",
        LJ,
        S,
        "收受可能影响公正执行公务的礼品、礼金、消费卡（券）等财物，情节较轻的，给予（　　）处分。",
        ["*警告或者严重警告", "撤销党内职务", "留党察看", "开除党籍"],
        "条例第九十七条第一款。",
        articles=[97],
        difficulty=E,
    ),
    DemoQuestion(
        "jl-lj-02",
        LJ,
        TF,
        "只要不影响公正执行公务，党员干部收受明显超出正常礼尚往来的财物不构成违纪。",
        False,
        "条例第九十七条第二款：收受其他明显超出正常礼尚往来的财物的，依照前款规定处理。",
        articles=[97],
    ),
    DemoQuestion(
        "jl-lj-03",
        LJ,
        MU,
        "条例第九十七条所列可能影响公正执行公务的财物包括（　　）。",
        ["*礼品、礼金", "*消费卡（券）", "*有价证券、股权", "*其他金融产品", "按规定领取的工资"],
        "条例第九十七条第一款。",
        articles=[97],
        difficulty=E,
    ),
    DemoQuestion(
        "jl-lj-04",
        LJ,
        S,
        "利用职权或者职务上的影响操办婚丧喜庆事宜，借机敛财的，应当（　　）。",
        ["*从重或者加重处分，直至开除党籍", "给予批评教育", "给予警告处分", "不予处分"],
        "条例第一百条。",
        articles=[100],
    ),
    DemoQuestion(
        "jl-lj-05",
        LJ,
        TF,
        "向管理服务对象提供可能影响公正执行公务的宴请或者旅游活动安排，同样违反廉洁纪律。",
        True,
        "条例第一百零一条规定的是“接受、提供”可能影响公正执行公务的宴请或者旅游、健身、娱乐等活动安排。",
        articles=[101],
    ),
    DemoQuestion(
        "jl-lj-06",
        LJ,
        MU,
        "利用职权为配偶、子女及其配偶等亲属和其他特定关系人在下列哪些方面谋取利益的，依照条例第一百零四条处分？（　　）",
        ["*审批监管", "*工程招投标", "*土地使用权出让", "*公共财政收支", "依法参加公开招聘考试"],
        "条例第一百零四条第一款。",
        articles=[104],
    ),
    DemoQuestion(
        "jl-lj-07",
        LJ,
        FI,
        "利用职权或者职务上的影响，为配偶、子女及其配偶等亲属和其他______在审批监管、资源开发、金融信贷等方面谋取利益的，给予处分。",
        ["特定关系人"],
        "条例第一百零四条第一款。",
        articles=[104],
    ),
    DemoQuestion(
        "jl-lj-08",
        LJ,
        S,
        "违反有关规定组织、参加用公款支付的宴请、娱乐、健身活动，情节较重的，对直接责任者和领导责任者给予（　　）处分。",
        ["警告或者严重警告", "*撤销党内职务或者留党察看", "开除党籍", "严重警告"],
        "条例第一百一十三条。",
        articles=[113],
    ),
    DemoQuestion(
        "jl-lj-09",
        LJ,
        S,
        "违反接待管理规定，超标准、超范围接待或者借机大吃大喝，情节严重的，对直接责任者和领导责任者给予（　　）处分。",
        ["严重警告", "*撤销党内职务", "留党察看", "开除党籍"],
        "条例第一百一十六条：情节较重的，给予警告或者严重警告处分；情节严重的，给予撤销党内职务处分。",
        articles=[116],
        difficulty=H,
    ),
    DemoQuestion(
        "jl-lj-10",
        LJ,
        TF,
        "违反有关规定使用公务交通工具（如公车私用），属于违反廉洁纪律的行为。",
        True,
        "条例第一百一十七条，位于分则第八章“对违反廉洁纪律行为的处分”。",
        articles=[117],
        difficulty=E,
    ),
    DemoQuestion(
        "jl-lj-11",
        LJ,
        MU,
        "下列属于违反有关规定从事营利活动的有（　　）。",
        [
            "*经商办企业",
            "*违反有关规定买卖股票",
            "*从事有偿中介活动",
            "*在国（境）外注册公司或者投资入股",
            "参加单位组织的志愿服务",
        ],
        "条例第一百零三条第一款。",
    ),
    DemoQuestion(
        "jl-lj-12",
        LJ,
        S,
        "借用管理和服务对象的钱款、住房、车辆等，可能影响公正执行公务，情节较重的，给予（　　）处分。",
        ["*警告或者严重警告", "撤销党内职务", "留党察看", "开除党籍"],
        "条例第九十九条第一款。",
    ),
    DemoQuestion(
        "jl-lj-13",
        LJ,
        TF,
        "以讲课费、课题费、咨询费等名义变相送礼的，依照赠送明显超出正常礼尚往来财物的规定处理。",
        True,
        "条例第九十八条第二款。",
    ),
    DemoQuestion(
        "jl-lj-14",
        LJ,
        FI,
        "公款旅游或者以学习培训、考察调研、职工疗养等为名______公款旅游的，对直接责任者和领导责任者给予处分。",
        ["变相"],
        "条例第一百一十五条第一款第（一）项。",
    ),
    DemoQuestion(
        "jl-lj-15",
        LJ,
        S,
        "违反有关规定出入私人会所，情节较重的，给予（　　）处分。",
        ["*警告或者严重警告", "撤销党内职务", "留党察看", "开除党籍"],
        "条例第一百零二条。",
    ),
    # --- 纪律处分条例 / 群众纪律、工作纪律和生活纪律 --------------------------------------------
    DemoQuestion(
        "jl-qg-01",
        QG,
        MU,
        "下列属于条例第一百二十二条所列侵害群众利益行为的有（　　）。",
        [
            "*超标准、超范围向群众筹资筹劳、摊派费用",
            "*克扣群众财物",
            "*在办理涉及群众事务时刁难群众、吃拿卡要",
            "按规定公示低保对象名单",
        ],
        "条例第一百二十二条第一款。",
        articles=[122],
    ),
    DemoQuestion(
        "jl-qg-02",
        QG,
        TF,
        "在乡村振兴领域有侵害群众利益行为的，从重或者加重处分。",
        True,
        "条例第一百二十二条第二款。",
        articles=[122],
    ),
    DemoQuestion(
        "jl-qg-03",
        QG,
        S,
        "在社会救助、救灾救济款物分配等事项中优亲厚友、明显有失公平，情节严重的，给予（　　）处分。",
        ["严重警告", "撤销党内职务", "留党察看", "*开除党籍"],
        "条例第一百二十四条：优亲厚友、明显有失公平的，给予警告或者严重警告处分；情节较重的，给予撤销党内职务或者留党察看处分；情节严重的，给予开除党籍处分。",
        articles=[124],
    ),
    DemoQuestion(
        "jl-qg-04",
        QG,
        MU,
        "下列属于条例第一百二十六条所列损害群众利益行为的有（　　）。",
        [
            "*对符合政策的群众诉求消极应付、推诿扯皮",
            "*对待群众态度恶劣、简单粗暴，造成不良影响",
            "*弄虚作假，欺上瞒下，损害群众利益",
            "实行首问负责、限时办结",
        ],
        "条例第一百二十六条。",
        articles=[126],
        difficulty=E,
    ),
    DemoQuestion(
        "jl-qg-05",
        QG,
        MU,
        "下列属于条例第一百三十二条所列形式主义、官僚主义行为的有（　　）。",
        [
            "*热衷于搞舆论造势、浮在表面",
            "*单纯以会议贯彻会议、以文件落实文件",
            "*在督查检查考核等工作中搞层层加码、过度留痕",
            "深入基层调查研究，解决实际问题",
        ],
        "条例第一百三十二条。",
        articles=[132],
        difficulty=E,
    ),
    DemoQuestion(
        "jl-qg-06",
        QG,
        FI,
        "在督查检查考核等工作中搞层层加码、过度______，增加基层工作负担，造成严重损害或者严重不良影响的，给予处分。",
        ["留痕"],
        "条例第一百三十二条第（五）项。",
        articles=[132],
        difficulty=E,
    ),
    DemoQuestion(
        "jl-qg-07",
        QG,
        TF,
        "党员领导干部对于到任前已经存在且属于其职责范围内的问题，可以不承担责任。",
        False,
        "条例第一百三十条第二款：对于到任前已经存在且属于其职责范围内的问题，消极回避、推卸责任，造成严重损害或者严重不良影响的，依照前款规定处理。",
        articles=[130],
    ),
    DemoQuestion(
        "jl-qg-08",
        QG,
        S,
        "生活奢靡、铺张浪费、贪图享乐、追求低级趣味，造成不良影响的，给予（　　）处分。",
        ["*警告或者严重警告", "撤销党内职务", "留党察看", "开除党籍"],
        "条例第一百五十条：造成不良影响的，给予警告或者严重警告处分；情节严重的，给予撤销党内职务处分。",
        articles=[150],
        difficulty=E,
    ),
    DemoQuestion(
        "jl-qg-09",
        QG,
        TF,
        "党员领导干部不重视家风建设，对配偶、子女及其配偶失管失教，造成不良影响或者严重后果的，应当给予党纪处分。",
        True,
        "条例第一百五十二条：给予警告或者严重警告处分；情节严重的，给予撤销党内职务处分。",
    ),
    DemoQuestion(
        "jl-qg-10",
        QG,
        S,
        "工作中不负责任或者疏于管理，给公共财产造成重大损失的，对直接责任者和领导责任者给予（　　）处分。",
        ["警告或者严重警告", "*撤销党内职务、留党察看或者开除党籍", "严重警告", "诫勉"],
        "条例第一百三十条第一款：造成较大损失的，给予警告或者严重警告处分；造成重大损失的，给予撤销党内职务、留党察看或者开除党籍处分。",
        articles=[130],
        difficulty=H,
    ),
    # --- 中央八项规定 / 八项规定及实施细则 -------------------------------------------------------
    DemoQuestion(
        "bx-01",
        BX,
        S,
        "中共中央政治局召开会议，审议通过关于改进工作作风、密切联系群众的八项规定的时间是（　　）。",
        ["*2012年12月4日", "2012年11月15日", "2013年1月22日", "2014年12月4日"],
        "中共中央政治局2012年12月4日召开会议，审议中央政治局关于改进工作作风、密切联系群众的八项规定。",
        difficulty=E,
    ),
    DemoQuestion(
        "bx-02",
        BX,
        MU,
        "中央八项规定的内容包括（　　）。",
        [
            "*改进调查研究",
            "*精简会议活动，切实改进会风",
            "*精简文件简报，切实改进文风",
            "*厉行勤俭节约",
            "增加新闻报道的数量和时长",
        ],
        "八项规定第六项要求改进新闻报道，进一步压缩报道的数量、字数、时长。",
        difficulty=E,
    ),
    DemoQuestion(
        "bx-03",
        BX,
        TF,
        "八项规定要求提高会议实效，开短会、讲短话，力戒空话、套话。",
        True,
        "八项规定第二项。",
        difficulty=E,
    ),
    DemoQuestion(
        "bx-04",
        BX,
        FI,
        "八项规定要求精简文件简报，切实改进文风，没有实质内容、可发可不发的文件、简报______不发。",
        ["一律"],
        "八项规定第三项。",
        difficulty=E,
    ),
    DemoQuestion(
        "bx-05",
        BX,
        S,
        "实施细则规定，各部门召开的全国性会议，人数不超过（　　）人，时间不超过2天。",
        ["100", "200", "*300", "500"],
        "实施细则第6条。",
        difficulty=H,
    ),
    DemoQuestion(
        "bx-06",
        BX,
        TF,
        "实施细则要求，工作会议一律不摆花草、不制作背景板，严禁以任何名义发放纪念品。",
        True,
        "实施细则第8条。",
    ),
    DemoQuestion(
        "bx-07",
        BX,
        S,
        "实施细则规定，各部门召开本系统全国性会议，每年不超过（　　）次。",
        ["*1", "2", "3", "4"],
        "实施细则第5条。",
    ),
    DemoQuestion(
        "bx-08",
        BX,
        MU,
        "实施细则“简化接待工作”中明确的要求有（　　）。",
        [
            "*不张贴悬挂横幅标语",
            "*不安排群众迎送",
            "*不铺设迎宾地毯",
            "*不赠送各类纪念品或土特产",
            "可上高档菜肴以示重视",
        ],
        "实施细则第3条：……不赠送各类纪念品或土特产，不安排宴请，不上高档菜肴，自助餐也要注意节俭。",
    ),
    DemoQuestion(
        "bx-09",
        BX,
        FI,
        "八项规定第八项：要厉行______，严格遵守廉洁从政有关规定，严格执行住房、车辆配备等有关工作和生活待遇的规定。",
        ["勤俭节约"],
        "八项规定第八项。",
        difficulty=E,
    ),
    DemoQuestion(
        "bx-10",
        BX,
        S,
        "实施细则规定，中央政治局委员到地方考察调研，市、县只安排（　　）位负责同志陪同。",
        ["*1", "2", "3", "5"],
        "实施细则第2条：不搞层层多人陪同，市（地、州、盟）、县（市、区、旗）只安排1位负责同志陪同。",
        difficulty=H,
    ),
    DemoQuestion(
        "bx-11",
        BX,
        TF,
        "实施细则要求各地区各部门每年年底对执行情况进行1次专项检查。",
        True,
        "实施细则第26条。",
    ),
    # --- 中央八项规定 / 纠治“四风” ----------------------------------------------------------
    DemoQuestion(
        "sf-01",
        SF,
        TF,
        "《中国共产党纪律处分条例》明确将违反中央八项规定精神的问题列为重点查处的问题之一。",
        True,
        "条例第七条第二款：重点查处……违反中央八项规定精神的问题。",
    ),
    DemoQuestion(
        "sf-02",
        SF,
        MU,
        "下列行为中，违反中央八项规定精神的有（　　）。",
        [
            "*用公款购买节礼赠送他人",
            "*公车私用，接送家人出游",
            "*超标准接待、借机大吃大喝",
            "按标准在单位食堂安排工作餐",
        ],
        "分别对应条例第一百一十三条、第一百一十七条、第一百一十六条。",
        articles=[113, 116, 117],
    ),
    DemoQuestion(
        "sf-03",
        SF,
        S,
        "以“会议费”“培训费”名义报销公款宴请费用，主要违反了条例中关于（　　）的规定。",
        ["*用公款支付宴请", "迷信活动", "干部选拔任用", "个人有关事项报告"],
        "条例第一百一十三条。参见演示案例“王某某违规公款吃喝问题”。",
        articles=[113],
        tags="以案释纪",
    ),
    DemoQuestion(
        "sf-04",
        SF,
        TF,
        "节假日期间，党员干部接受管理服务对象安排的旅游活动，只要自己没有报销费用就不违纪。",
        False,
        "条例第一百零一条：接受可能影响公正执行公务的旅游等活动安排，情节较重的，给予警告或者严重警告处分。费用由对方支付正是问题所在。",
        articles=[101],
    ),
    DemoQuestion(
        "sf-05",
        SF,
        FI,
        "“四风”是指形式主义、官僚主义、享乐主义和______之风。",
        ["奢靡"],
        "“四风”即形式主义、官僚主义、享乐主义和奢靡之风。",
        difficulty=E,
    ),
    DemoQuestion(
        "sf-06",
        SF,
        S,
        "节日前，管理服务对象送来购物卡，党员干部正确的做法是（　　）。",
        [
            "*拒收；无法拒收的按规定登记上交",
            "收下后自用",
            "收下后转送他人",
            "先收下，等对方办事时再退回",
        ],
        "收受可能影响公正执行公务的消费卡（券），违反条例第九十七条。参见演示案例“张某某违规收受礼品礼金问题”。",
        articles=[97],
        difficulty=E,
        tags="以案释纪",
    ),
    # --- 任前廉政知识 --------------------------------------------------------------------
    DemoQuestion(
        "rq-01",
        RQ,
        S,
        "《中国共产党廉洁自律准则》中的“党员领导干部廉洁自律规范”共有（　　）条。",
        ["三", "*四", "六", "八"],
        "准则分为党员廉洁自律规范（四条）和党员领导干部廉洁自律规范（四条）。",
        difficulty=E,
    ),
    DemoQuestion(
        "rq-02",
        RQ,
        MU,
        "党员领导干部廉洁自律规范包括（　　）。",
        [
            "*廉洁从政，自觉保持人民公仆本色",
            "*廉洁用权，自觉维护人民根本利益",
            "*廉洁修身，自觉提升思想道德境界",
            "*廉洁齐家，自觉带头树立良好家风",
            "廉洁经商，自觉维护市场秩序",
        ],
        "《中国共产党廉洁自律准则》第五条至第八条。",
    ),
    DemoQuestion(
        "rq-03",
        RQ,
        FI,
        "廉洁齐家，自觉带头树立良好______。",
        ["家风"],
        "《中国共产党廉洁自律准则》第八条。",
        difficulty=E,
    ),
    DemoQuestion(
        "rq-04",
        RQ,
        S,
        "“坚持尚俭戒奢，艰苦朴素，勤俭节约”出自《中国共产党廉洁自律准则》的（　　）。",
        ["*党员廉洁自律规范", "党员领导干部廉洁自律规范", "中央八项规定", "纪律处分条例总则"],
        "准则第三条，属于党员廉洁自律规范。",
    ),
    DemoQuestion(
        "rq-05",
        RQ,
        TF,
        "领导干部在个人有关事项报告中漏报房产，组织函询时仍称已如实报告，可依照纪律处分条例第八十一条处理。",
        True,
        "条例第八十一条第一款第（一）项、第（二）项。参见演示案例“周某某不如实报告个人有关事项问题”。",
        articles=[81],
        tags="以案释纪",
    ),
    DemoQuestion(
        "rq-06",
        RQ,
        TF,
        "党员领导干部的配偶在其管辖的业务范围内从事可能影响其公正执行公务的经营活动，该领导干部拒不纠正的，本人应当辞去现任职务或者由组织调整职务。",
        True,
        "条例第一百零七条。",
        difficulty=H,
    ),
    DemoQuestion(
        "rq-07",
        RQ,
        S,
        "离职或者退（离）休后违反有关规定接受原任职务管辖的地区和业务范围内企业的聘用，情节较轻的，给予（　　）处分。",
        ["*警告或者严重警告", "撤销党内职务", "留党察看", "开除党籍"],
        "条例第一百零五条第一款。",
    ),
    DemoQuestion(
        "rq-08",
        RQ,
        MU,
        "条例第九十四条规定，党员干部必须正确行使人民赋予的权力，清正廉洁，反对（　　）。",
        [
            "*特权思想",
            "*特权现象",
            "*任何滥用职权的行为",
            "*任何谋求私利的行为",
            "依法依规履行职责",
        ],
        "条例第九十四条第一款。",
    ),
    DemoQuestion(
        "rq-09",
        RQ,
        FI,
        "党员干部必须正确行使人民赋予的权力，______廉洁，反对特权思想和特权现象。",
        ["清正"],
        "条例第九十四条第一款。",
    ),
    DemoQuestion(
        "rq-10",
        RQ,
        S,
        "领导干部利用职权为他人谋取利益，本人的配偶、子女收受对方财物，情节较重的，给予（　　）处分。",
        ["*警告或者严重警告", "撤销党内职务", "留党察看", "不予处分，因本人未收受"],
        "条例第九十四条第二款。本人虽未直接收受，亲属收受对方财物同样追究。",
        difficulty=H,
    ),
    DemoQuestion(
        "rq-11",
        RQ,
        S,
        "领导干部为其子操办婚宴，邀请管理服务对象参加并收受礼金，主要违反了条例第（　　）条的规定。",
        ["*一百", "八十一", "一百三十二", "七十"],
        "条例第一百条：利用职权或者职务上的影响操办婚丧喜庆事宜；借机敛财的，从重或者加重处分。参见演示案例“李某某违规操办婚宴借机敛财问题”。",
        articles=[100],
        tags="以案释纪",
    ),
    DemoQuestion(
        "rq-12",
        RQ,
        TF,
        "离任前突击调整、提拔干部，属于条例明确禁止的违反干部选拔任用规定行为。",
        True,
        "条例第八十四条：突击提拔或者调整干部。参见演示案例“吴某某违规选拔任用干部问题”。",
        articles=[84],
        tags="以案释纪",
    ),
]

# (slug, title, kind, description, minutes, attempts, pass %, per page, sections, review)
# sections: (title, category path, draw count); review: the six review flags in model order.
QUIZZES: list[dict[str, Any]] = [
    {
        "slug": "jlcftl-2023-course-quiz",
        "title": "《中国共产党纪律处分条例》课程测验",
        "kind": QuizKind.COURSE,
        "description": "<p>共10题，满分10分，60分及格，限时20分钟，可作答3次。提交后即可查看得分、正确答案和解析。</p>",
        "time_limit_minutes": 20,
        "attempts_allowed": 3,
        "pass_percent": 60,
        "questions_per_page": 5,
        "sections": [
            ("总则", Z, 4),
            ("政治纪律和组织纪律", ZZ, 2),
            ("廉洁纪律", LJ, 2),
            ("群众纪律、工作纪律和生活纪律", QG, 2),
        ],
        "review": (True, True, True, True, True, True),
    },
    {
        "slug": "rqlz-2026",
        "title": "任前廉政法规知识测试",
        "kind": QuizKind.PRE_APPOINTMENT,
        "description": "<p>新任领导干部任前必考。共20题，80分及格，限时30分钟，可作答2次。提交后显示得分；测试关闭后可查看正确答案和解析。</p>",
        "time_limit_minutes": 30,
        "attempts_allowed": 2,
        "pass_percent": 80,
        "questions_per_page": 5,
        "sections": [
            ("任前廉政知识", RQ, 8),
            ("纪律处分条例", ("纪律处分条例",), 8),
            ("中央八项规定", ("中央八项规定",), 4),
        ],
        "review": (True, False, False, True, True, True),
    },
    {
        "slug": "jyy-knowledge-contest",
        "title": "党风廉政建设宣传教育月知识竞赛",
        "kind": QuizKind.EDUCATION_MONTH,
        "description": "<p>宣传教育月期间全体党员干部参加。共25题，限时30分钟，只能作答一次。竞赛结束后公布正确答案和解析。</p>",
        "time_limit_minutes": 30,
        "attempts_allowed": 1,
        "pass_percent": 60,
        "questions_per_page": 5,
        "sections": [
            ("纪律处分条例", ("纪律处分条例",), 12),
            ("中央八项规定", ("中央八项规定",), 8),
            ("廉洁自律", RQ, 5),
        ],
        "review": (True, False, False, True, True, True),
        "window": True,
    },
]


def _category(path: tuple[str, ...]) -> QuestionCategory:
    parent: QuestionCategory | None = None
    for depth in range(1, len(path) + 1):
        node = category_create(name=path[depth - 1], parent=parent)
        info = CATEGORY_INFO.get(path[:depth], "")
        if info and not node.info:
            node.info = info
            node.save(update_fields=["info"])
        parent = node
    assert parent is not None
    return parent


def _articles() -> dict[int, Article]:
    return {a.number: a for a in Article.objects.filter(regulation__slug=REGULATION_SLUG)}


def _name(stem: str) -> str:
    text = stem.replace("（　　）", "（ ）").replace("______", "＿").rstrip("。？")
    return text if len(text) <= 60 else text[:58] + "……"


def _question(q: DemoQuestion, *, articles: dict[int, Article], by: Any) -> bool:
    if Question.objects.filter(idnumber=f"demo-{q.key}").exists():
        return False
    question = Question.objects.create(
        category=_category(q.category),
        qtype=q.qtype,
        name=_name(q.stem),
        stem=f"<p>{q.stem}</p>",
        true_false_answer=q.answer if q.qtype == QuestionType.TRUE_FALSE else None,
        explanation=f"<p>{q.explanation}</p>",
        tags=q.tags,
        difficulty=q.difficulty,
        idnumber=f"demo-{q.key}",
        created_by=by,
    )
    if q.qtype != QuestionType.TRUE_FALSE:
        assert isinstance(q.answer, list)
        for i, text in enumerate(q.answer):
            correct = q.qtype == QuestionType.FILL or text.startswith("*")
            QuestionOption.objects.create(
                question=question, text=text.lstrip("*"), is_correct=correct, sort_order=i
            )
    cited = [articles[n] for n in q.articles if n in articles]
    if cited:
        question.articles = cited  # a ParentalManyToManyField: written on save()
        question.save(update_fields=["articles"])
    return True


def _window() -> tuple[datetime.datetime, datetime.datetime]:
    """This year's education month: from the first of the current month to the end of
    the next one, so the demo contest is open whenever the demo is built."""
    today = timezone.localdate()
    start = today.replace(day=1)
    after_next = (start + datetime.timedelta(days=62)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(after_next, datetime.time.min, tzinfo=tz)
        - datetime.timedelta(seconds=1),
    )


def _quiz(spec: dict[str, Any]) -> tuple[Quiz, bool]:
    existing = Quiz.objects.filter(slug=spec["slug"]).first()
    if existing is not None:
        return existing, False
    review = spec["review"]
    title = spec["title"]
    opens = closes = None
    if spec.get("window"):
        opens, closes = _window()
        title = f"{opens.year}年{title}"
    quiz = Quiz.objects.create(
        slug=spec["slug"],
        title=title,
        kind=spec["kind"],
        description=spec["description"],
        time_limit_minutes=spec["time_limit_minutes"],
        attempts_allowed=spec["attempts_allowed"],
        pass_percent=spec["pass_percent"],
        questions_per_page=spec["questions_per_page"],
        opens_at=opens,
        closes_at=closes,
        review_score_after_submit=review[0],
        review_answers_after_submit=review[1],
        review_explanations_after_submit=review[2],
        review_score_after_close=review[3],
        review_answers_after_close=review[4],
        review_explanations_after_close=review[5],
    )
    for order, (section_title, path, count) in enumerate(spec["sections"]):
        QuizSection.objects.create(
            quiz=quiz,
            title=section_title,
            category=_category(path),
            include_subcategories=True,
            draw_count=count,
            sort_order=order,
        )
    return quiz, True


@transaction.atomic
def demo_quizzes_build(*, by: Any = None) -> dict[str, Any]:
    """Create the demo question bank and quizzes (idempotent). ``by`` is recorded as the
    questions' author. Returns counts and the quizzes by slug."""
    articles = _articles()
    created = sum(_question(q, articles=articles, by=by) for q in QUESTIONS)
    quizzes: dict[str, Quiz] = {}
    new_quizzes = 0
    for spec in QUIZZES:
        quizzes[spec["slug"]], was_created = _quiz(spec)
        new_quizzes += was_created
    return {
        "questions": Question.objects.filter(idnumber__startswith="demo-").count(),
        "created": created,
        "quizzes": quizzes,
        "quizzes_created": new_quizzes,
    }


# --- Demo attempts ---------------------------------------------------------------------

WRONG_FILL = ["不清楚", "一年", "警告", "廉洁", "二年"]


def _response(slot: Any, *, correct: bool, rng: random.Random) -> Any:
    """What a cadre who knows (``correct``) or does not know the answer sends for
    ``slot``: opaque option keys, or text for fill-in."""
    content = slot.version.content
    qtype = content["qtype"]
    keys = {option_id: key for key, option_id in slot.option_keys}
    if qtype == QuestionType.FILL:
        accepted = [o["text"] for o in content["options"]]
        return accepted[0] if correct and accepted else rng.choice(WRONG_FILL)
    if qtype == QuestionType.TRUE_FALSE:
        answer = bool(content["true_false_answer"])
        return keys["true" if answer == correct else "false"]
    right = [o["id"] for o in content["options"] if o["correct"]]
    wrong = [o["id"] for o in content["options"] if not o["correct"]]
    if correct:
        chosen = right
    elif qtype == QuestionType.SINGLE or not wrong:
        chosen = [rng.choice(wrong or right)]
    elif len(right) > 1 and rng.random() < 0.6:
        chosen = rng.sample(right, len(right) - 1)  # missed one
    else:
        chosen = [*right, rng.choice(wrong)]  # one too many
    return [keys[i] for i in chosen]


def demo_attempt_take(
    *,
    quiz: Quiz,
    user: Any,
    ability: float,
    rng: random.Random,
    started: datetime.datetime | None = None,
) -> Any:
    """One cadre takes ``quiz`` through the quiz services: start, save each page, submit.
    ``ability`` is the chance of knowing a question of medium difficulty. Returns the
    graded attempt, or None when the quiz cannot be started (closed, no attempts left)."""
    from .services import QuizError, attempt_save_page, attempt_start, attempt_submit

    started = started or timezone.now()
    try:
        attempt = attempt_start(quiz=quiz, user=user, now=started)
    except QuizError:
        return None
    slots = list(attempt.slots.select_related("version__question").order_by("position"))
    seconds = 0
    sequence = attempt.sequence
    for page in sorted({s.page for s in slots}):
        answers: dict[str, Any] = {}
        for slot in (s for s in slots if s.page == page):
            seconds += rng.randint(20, 70)
            if rng.random() < 0.03:
                continue  # left blank
            difficulty = int(slot.version.question.difficulty)
            chance = min(0.98, max(0.1, ability - 0.15 * (difficulty - Difficulty.MEDIUM)))
            answers[slot.key] = _response(slot, correct=rng.random() < chance, rng=rng)
        sequence += 1
        attempt_save_page(
            attempt=attempt,
            page=page,
            sequence=sequence,
            answers=answers,
            now=started + datetime.timedelta(seconds=seconds),
        )
    return attempt_submit(
        attempt=attempt, now=started + datetime.timedelta(seconds=seconds + rng.randint(5, 40))
    )


def demo_contest_attempts(*, people: list[Any], count: int = 20) -> int:
    """``count`` of ``people`` take this year's education-month contest (only once: a
    second run finds attempts and adds none). Returns how many attempts were added."""
    quiz = Quiz.objects.filter(slug="jyy-knowledge-contest").first()
    if quiz is None or quiz.attempts.exists():
        return 0
    rng = random.Random(2026)
    now = timezone.now()
    # Started within the last week, never before the contest opened.
    earliest = max(quiz.opens_at or now, now - datetime.timedelta(days=7))
    span = max(0, int((now - earliest).total_seconds()) - 3600)
    taken = 0
    for person in rng.sample(people, min(count, len(people))):
        started = now - datetime.timedelta(seconds=rng.randint(0, span) + 3600) if span else now
        ability = rng.uniform(0.45, 0.95)
        if demo_attempt_take(quiz=quiz, user=person, ability=ability, rng=rng, started=started):
            taken += 1
    return taken
