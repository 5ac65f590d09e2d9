"""Demo data at size M: thousands of people with a year of history, so the unit
dashboard, its exports and the ``report`` benchmark have something to show.

``demo_bulk_build`` adds, under the demo city (or ``under``), 4 districts × 5 bureaus × 4
sections of generated units and ``people`` people with Chinese names and rank levels,
then a year of their history: ``enrolments`` required enrolments spread over the live
courses (extra demo courses are published when there are too few for ~10 per person),
due through the year or by its end, about two thirds completed (with their completion
and ledger rows) and some overdue;
study-hour ledger rows so that about 70 % meet their annual requirement; submitted quiz
attempts for about half the people; registrations and attendance of the education
month's events that have started; required-action reports of some districts; a few
pre-appointment programmes (pending, overdue, cleared).

Written in bulk (``bulk_create`` in batches of 2,000): no signals, no Celery, no
notifications, one shared unusable password. Deterministic (``random.Random(seed)``):
the same seed gives the same units, names and history. Idempotent: the build is one
transaction and is skipped as a whole when its first generated person (e-mail
``m00001@<domain>`` or employee number ``M00001``) exists, so a second run adds nothing
(one generated population per database).

``demo_history_build`` is the small demo's share: a little past-due history for the
finance bureau (CZJ) so that its unit admin and leader see non-trivial figures.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from people.factories import unit_create
from people.models import OrgUnit, RankLevel, User

BATCH = 2000
ONE_PLACE = Decimal("0.1")

# (code suffix, name): districts under the city, bureaus in each district, and the
# sections of each kind of bureau.
DISTRICTS: list[tuple[str, str]] = [
    ("NHQ", "南湖区"),
    ("BSQ", "北山区"),
    ("BJQ", "滨江区"),
    ("GXQ", "高新区"),
]
BUREAUS: list[tuple[str, str, list[str]]] = [
    ("ZFB", "区政府办公室", ["秘书科", "综合科", "督查科", "信息科"]),
    ("CZJ", "区财政局", ["预算科", "国库科", "会计科", "财务科"]),
    ("JYJ", "区教育局", ["办公室", "基础教育科", "人事科", "财务科"]),
    ("WJW", "区卫生健康委员会", ["办公室", "医政医管科", "疾病预防控制科", "财务科"]),
    ("JD3", "第三街道办事处", ["党政办公室", "社区建设办公室", "民政科", "财务科"]),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
)
GIVEN = [
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀兰", "霞", "平", "刚", "桂英", "建华", "文", "华", "红梅", "志强", "海燕", "晓东", "国庆", "玉兰", "德明", "振华",
    "喆", "堃", "子涵", "思远", "嘉怡", "浩然", "建军", "晓红", "立新", "春燕", "宏伟", "雪梅", "志刚", "丽华", "永强",
    "文静", "俊杰", "海涛", "佳琪", "雨桐", "博文", "欣怡", "晓明", "国强", "淑珍", "建平",
]  # fmt: skip
# Rank codes by level of the unit: (code, weight).
RANKS_SECTION = [("KY", 60), ("FKJ", 22), ("ZKJ", 18)]
RANKS_BUREAU = [("ZKJ", 30), ("FCJ", 50), ("ZCJ", 20)]
RANKS_DISTRICT = [("FCJ", 50), ("ZCJ", 35), ("FTJ", 15)]
POSITIONS = {
    "KY": ["科员", "一级科员", "办事员"],
    "FKJ": ["副科长", "副主任科员"],
    "ZKJ": ["科长", "主任科员"],
    "FCJ": ["副局长", "副主任"],
    "ZCJ": ["局长", "主任"],
    "FTJ": ["副区长"],
}
NEXT_RANK = {"KY": "FKJ", "FKJ": "ZKJ", "ZKJ": "FCJ", "FCJ": "ZCJ"}

# Courses published when the demo has too few for about ten per person:
# (slug, title, kind, credit hours, summary).
EXTRA_COURSES: list[tuple[str, str, str, str, str]] = [
    (
        "jianchafa-jiedu",
        "《中华人民共和国监察法》解读",
        "discipline",
        "2.0",
        "监察机关的职责、监察范围和管辖、监察权限与程序，以及对监察机关和监察人员的监督。",
    ),
    (
        "zhengwu-chufen-fa",
        "《中华人民共和国公职人员政务处分法》学习",
        "discipline",
        "2.0",
        "政务处分的种类和适用、违法行为及其适用的政务处分、处分程序和复审复核。",
    ),
    (
        "lianjie-zilv-zhunze",
        "《中国共产党廉洁自律准则》学习",
        "discipline",
        "1.5",
        "党员廉洁自律规范和党员领导干部廉洁自律规范的“四个必须”“八条规范”。",
    ),
    (
        "wenze-tiaoli",
        "《中国共产党问责条例》解读",
        "discipline",
        "1.5",
        "问责的对象、情形、方式和程序，压紧压实管党治党政治责任。",
    ),
    (
        "jiafeng-jianshe",
        "家风建设与廉洁齐家",
        "warning",
        "1.0",
        "从典型案例看家风败坏的教训，领导干部如何管好家属子女和身边工作人员。",
    ),
    (
        "jingshi-anli-poxi",
        "警示教育典型案例剖析",
        "warning",
        "2.0",
        "剖析本市近年查处的典型案件，以案示警、以案为鉴、以案促改。",
    ),
    (
        "quanli-yunxing-jiandu",
        "权力运行制约和监督",
        "discipline",
        "1.5",
        "健全权力配置和运行制约机制，重点领域和关键岗位的廉政风险防控。",
    ),
    (
        "zhengfu-caigou-lianzheng",
        "政府采购领域廉政风险防控",
        "other",
        "2.0",
        "采购需求、招标投标、履约验收各环节的廉政风险点和防控措施。",
    ),
    (
        "zhengzhi-xingshi-zhuyi",
        "整治形式主义为基层减负",
        "other",
        "1.5",
        "形式主义、官僚主义的主要表现和整治要求，切实为基层减负。",
    ),
    (
        "qinglian-wenhua",
        "清廉文化建设",
        "other",
        "1.0",
        "中华优秀传统廉洁文化和新时代清廉机关建设。",
    ),
]
DEMO_QUIZ_SLUG = "dashboard-demo-annual-test"


def _weighted(rng: random.Random, choices: Sequence[tuple[str, int]]) -> str:
    codes = [c for c, _w in choices]
    return rng.choices(codes, weights=[w for _c, w in choices])[0]


def _bulk(model: type[models.Model], rows: Iterable[models.Model], **kwargs: Any) -> int:
    """Insert ``rows`` in batches of ``BATCH``; returns how many were given."""
    batch: list[models.Model] = []
    n = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            model.objects.bulk_create(batch, **kwargs)  # type: ignore[attr-defined]
            n += len(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch, **kwargs)  # type: ignore[attr-defined]
        n += len(batch)
    return n


def _aware(day: datetime.date, seconds: int) -> datetime.datetime:
    naive = datetime.datetime.combine(day, datetime.time()) + datetime.timedelta(seconds=seconds)
    return timezone.make_aware(naive)


def _root(under: OrgUnit | None) -> OrgUnit:
    if under is not None:
        return under
    city = OrgUnit.objects.filter(code="SZ").first()
    return city or unit_create(code="SZ", name="示范市")


def _units(root: OrgUnit) -> tuple[list[OrgUnit], dict[int, tuple[OrgUnit, int]]]:
    """The generated units (get or create by code) and, per unit, (its bureau or
    district, its level: 0 district, 1 bureau, 2 section)."""
    units: list[OrgUnit] = []
    level: dict[int, tuple[OrgUnit, int]] = {}
    for d_code, d_name in DISTRICTS:
        district = unit_create(code=f"{root.code}-{d_code}", name=d_name, parent=root)
        units.append(district)
        level[district.pk] = (district, 0)
        for b_code, b_name, sections in BUREAUS:
            bureau = unit_create(code=f"{district.code}-{b_code}", name=b_name, parent=district)
            units.append(bureau)
            level[bureau.pk] = (bureau, 1)
            for i, s_name in enumerate(sections, start=1):
                section = unit_create(code=f"{bureau.code}-{i}", name=s_name, parent=bureau)
                units.append(section)
                level[section.pk] = (bureau, 2)
    return units, level


def _courses(*, needed: int) -> list[Any]:
    """At least ``needed`` live courses other than pre-appointment ones (publishing
    extra demo courses with one lesson each when there are too few), in tree order."""
    from wagtail.rich_text import RichText

    from courses.demo import _catalogue, _home, _publish_under
    from courses.models import CourseKind, CoursePage, LessonPage

    # Pre-appointment courses are for appointees only, not everyone's annual study.
    pool = CoursePage.objects.live().exclude(kind=CourseKind.PRE_APPOINTMENT).order_by("path")
    courses = list(pool)
    missing = needed - len(courses)
    if missing <= 0:
        return courses
    home = _home()
    if home is None:
        raise ValueError("No default site: the demo courses need a home page.")
    catalogue = _catalogue(home)
    for slug, title, kind, hours, summary in EXTRA_COURSES:
        if missing <= 0:
            break
        if CoursePage.objects.filter(slug=slug).exists():
            continue
        course = CoursePage(
            title=title,
            slug=slug,
            summary=summary,
            credit_hours=Decimal(hours),
            kind=kind,
            default_required=True,
            self_enrol=True,
        )
        _publish_under(catalogue, course)
        _publish_under(
            course,
            LessonPage(
                title=f"第一课 {title}",
                slug=f"{slug}-1",
                estimated_minutes=30,
                is_required=True,
                body=[("paragraph", RichText(f"<p>{summary}</p>"))],
            ),
        )
        missing -= 1
    courses = list(pool.all())
    if len(courses) < needed:
        raise ValueError(f"{needed} courses needed for the enrolments asked, {len(courses)} exist.")
    return courses


def _quizzes() -> list[Any]:
    from quizzes.models import Quiz, QuizKind

    # Course quizzes and knowledge tests; the pre-appointment test is for appointees.
    active = Quiz.objects.filter(is_active=True).exclude(kind=QuizKind.PRE_APPOINTMENT)
    quizzes = list(active.order_by("pk")[:4])
    if not quizzes:
        quiz = Quiz.objects.filter(slug=DEMO_QUIZ_SLUG).first() or Quiz.objects.create(
            title="年度廉政知识测试（演示）", slug=DEMO_QUIZ_SLUG, kind=QuizKind.OTHER
        )
        quizzes = [quiz]
    return quizzes


def _requirements() -> dict[int | None, tuple[Decimal, Decimal]]:
    """(total, integrity) hours a year by rank level id (None: the default row)."""
    from courses.models import StudyRequirement

    return {
        r.rank_level_id: (r.total_hours, r.integrity_hours) for r in StudyRequirement.objects.all()
    }


def _counts_empty() -> dict[str, int]:
    return dict.fromkeys(
        (
            "units",
            "people",
            "enrolments",
            "completions",
            "ledger",
            "attempts",
            "registrations",
            "attendance",
            "reports",
            "appointments",
        ),
        0,
    )


@transaction.atomic
def demo_bulk_build(
    *,
    people: int,
    enrolments: int,
    year: int,
    seed: int = 2026,
    domain: str = "demo.qinglian.cn",
    under: OrgUnit | None = None,
) -> dict[str, Any]:
    """Add ``people`` people with ``enrolments`` required enrolments in ``year`` and the
    history around them (see the module doc). Returns the counts of rows added
    (``created`` False and zero counts when an earlier run already built them)."""
    counts: dict[str, Any] = {"created": False, **_counts_empty()}
    marker = Q(email=f"m{1:05d}@{domain}") | Q(employee_number=f"M{1:05d}")
    if people <= 0 or User.objects.filter(marker).exists():
        return counts
    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate(now)
    year_start = datetime.date(year, 1, 1)
    year_end = min(datetime.date(year, 12, 31), today)  # nothing happens after today
    if year_end < year_start:
        raise ValueError("The year of the demo history has not started yet.")
    span_days = (year_end - year_start).days

    root = _root(under)
    units, level = _units(root)
    counts["units"] = len(units)
    ranks = {r.code: r for r in RankLevel.objects.all()}
    # Each bureau (and district) has its own compliance: some do better than others.
    factor = {u.pk: rng.uniform(0.78, 1.12) for u, lvl in level.values() if lvl < 2}
    sections = [u for u in units if level[u.pk][1] == 2]
    bureaus = [u for u in units if level[u.pk][1] == 1]
    districts = [u for u in units if level[u.pk][1] == 0]

    # --- People ----------------------------------------------------------------------
    password = make_password(None)
    plan: list[tuple[int, OrgUnit, str]] = []
    rows_people = []
    for n in range(1, people + 1):
        draw = rng.random()
        if draw < 0.85:
            unit, rank_code = rng.choice(sections), _weighted(rng, RANKS_SECTION)
        elif draw < 0.97:
            unit, rank_code = rng.choice(bureaus), _weighted(rng, RANKS_BUREAU)
        else:
            unit, rank_code = rng.choice(districts), _weighted(rng, RANKS_DISTRICT)
        rank_level = ranks.get(rank_code)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        position = rng.choice(POSITIONS[rank_code])
        if level[unit.pk][1] == 2 and rank_code in ("FKJ", "ZKJ") and "科" in unit.name:
            position = unit.name + position
        plan.append((n, unit, rank_code))
        rows_people.append(
            User(
                email=f"m{n:05d}@{domain}",
                full_name=name,
                employee_number=f"M{n:05d}",
                unit=unit,
                rank_level=rank_level,
                position_title=position,
                password=password,
                date_joined=_aware(year_start, 0) - datetime.timedelta(days=rng.randint(30, 3000)),
            )
        )
    counts["people"] = _bulk(User, rows_people)
    del rows_people
    ids = dict(
        User.objects.filter(email__endswith=f"@{domain}", employee_number__startswith="M")
        .filter(email__startswith="m")
        .values_list("employee_number", "pk")
    )
    person_ids = [ids[f"M{n:05d}"] for n, _u, _r in plan]

    # --- Enrolments, completions, course hours ---------------------------------------
    from courses.models import (
        CourseCompletion,
        Enrolment,
        EnrolmentSource,
        LedgerSource,
        StudyHourEntry,
    )

    per_person = enrolments / people
    courses = _courses(needed=math.ceil(per_person))
    completion_rows = []
    enrolment_rows = []
    hours: dict[int, list[Decimal]] = {}  # person id -> [total, integrity]
    for i, (pk, (_n, unit, _rank)) in enumerate(zip(person_ids, plan, strict=True)):
        # Exactly ``enrolments`` in all: the first people get one more when it does not
        # divide evenly.
        k = enrolments // people + (1 if i < enrolments % people else 0)
        f = factor[level[unit.pk][0].pk]
        for course in rng.sample(courses, k):
            if rng.random() < 0.4:  # annual study, due by the end of the year
                due = datetime.date(year, 12, rng.randint(15, 31))
            else:
                due = year_start + datetime.timedelta(days=rng.randint(20, 364))
            enrolled_day = year_start + datetime.timedelta(
                days=rng.randint(0, max(0, min((due - year_start).days, span_days) - 7))
            )
            enrolled_at = _aware(enrolled_day, rng.randint(8 * 3600, 18 * 3600))
            past_due = due < today
            p_done = min(0.98, (0.90 if past_due else 0.40) * f)
            completed_at = None
            started_at = None
            if rng.random() < p_done:
                last = min(due + datetime.timedelta(days=rng.choice((0, 0, 0, 10))), year_end)
                done_day = enrolled_day + datetime.timedelta(
                    days=rng.randint(0, max(0, (last - enrolled_day).days))
                )
                completed_at = min(_aware(done_day, rng.randint(9 * 3600, 21 * 3600)), now)
                completed_at = max(completed_at, enrolled_at)
                started_at = enrolled_at + (completed_at - enrolled_at) / 3
                completion_rows.append(
                    CourseCompletion(
                        user_id=pk,
                        course_id=course.pk,
                        completed_at=completed_at,
                        hours=course.credit_hours,
                        required=True,
                    )
                )
                got = hours.setdefault(pk, [Decimal(0), Decimal(0)])
                got[0] += course.credit_hours
                if course.is_integrity:
                    got[1] += course.credit_hours
            elif rng.random() < 0.5:
                started_at = enrolled_at + datetime.timedelta(days=rng.randint(0, 5))
                started_at = min(started_at, now)
            enrolment_rows.append(
                Enrolment(
                    user_id=pk,
                    course_id=course.pk,
                    source=EnrolmentSource.ASSIGNED,
                    required=True,
                    due_date=due,
                    enrolled_at=enrolled_at,
                    started_at=started_at,
                    completed_at=completed_at,
                )
            )
    counts["enrolments"] = _bulk(Enrolment, enrolment_rows)
    del enrolment_rows
    first_new = (CourseCompletion.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1
    counts["completions"] = _bulk(CourseCompletion, completion_rows)
    del completion_rows
    course_by_pk = {c.pk: c for c in courses}
    ledger_rows: list[StudyHourEntry] = [
        StudyHourEntry(
            user_id=user_id,
            year=timezone.localdate(done).year,
            hours=hrs,
            source=LedgerSource.COURSE,
            source_key=f"course:{pk}",
            title=course_by_pk[course_id].title,
            required=True,
            integrity=course_by_pk[course_id].is_integrity,
            recorded_at=done,
        )
        for pk, user_id, course_id, hrs, done in CourseCompletion.objects.filter(
            pk__gte=first_new, user_id__gte=min(person_ids), user_id__lte=max(person_ids)
        )
        .order_by("pk")
        .values_list("pk", "user_id", "course_id", "hours", "completed_at")
        .iterator(chunk_size=BATCH)
    ]

    # --- Education month: registrations, attendance, event hours, action reports --------
    events = _events(root=root, year=year, now=now)
    regs, marks, event_ledger = _attendance(
        events=events, plan=plan, person_ids=person_ids, ranks=ranks, rng=rng, hours=hours
    )
    ledger_rows.extend(event_ledger)
    counts["registrations"] = regs
    counts["attendance"] = marks
    counts["reports"] = _reports(root=root, units=units, year=year, today=today, rng=rng)

    # --- Study hours: top-ups so that about 70 % meet their requirement ---------------
    requirements = _requirements()
    default = requirements.get(None)
    for pk, (_n, unit, rank_code) in zip(person_ids, plan, strict=True):
        rank_level = ranks.get(rank_code)
        target = requirements.get(rank_level.pk if rank_level else None, default)
        if target is None:
            continue
        total_target, integrity_target = target
        got = hours.setdefault(pk, [Decimal(0), Decimal(0)])
        meets = rng.random() < min(0.95, 0.70 * factor[level[unit.pk][0].pk])
        day = year_start + datetime.timedelta(days=rng.randint(0, span_days))
        recorded = min(_aware(day, rng.randint(9 * 3600, 17 * 3600)), now)
        if meets:
            integrity_gap = max(Decimal(0), integrity_target - got[1])
            if integrity_gap:
                extra = (integrity_gap + Decimal(rng.randint(0, 4))).quantize(ONE_PLACE)
                ledger_rows.append(_ledger(pk, year, extra, "integrity", recorded, True))
                got[0] += extra
                got[1] += extra
            total_gap = max(Decimal(0), total_target - got[0])
            if total_gap:
                extra = (total_gap + Decimal(rng.randint(0, 12))).quantize(ONE_PLACE)
                ledger_rows.append(_ledger(pk, year, extra, "training", recorded, False))
        else:
            # Short of the total (and, for some, of the integrity part too).
            room = total_target - got[0] - Decimal(1)
            if room > 0:
                extra = (room * Decimal(rng.uniform(0.1, 0.9))).quantize(ONE_PLACE)
                if extra > 0:
                    integrity = got[1] < integrity_target and rng.random() < 0.5
                    kind = "integrity" if integrity else "training"
                    ledger_rows.append(_ledger(pk, year, extra, kind, recorded, integrity))
    counts["ledger"] = _bulk(StudyHourEntry, ledger_rows, ignore_conflicts=True)
    del ledger_rows

    counts["attempts"] = _attempts(
        person_ids=person_ids, year_start=year_start, span_days=span_days, now=now, rng=rng
    )
    counts["appointments"] = _appointments(
        plan=plan,
        person_ids=person_ids,
        ranks=ranks,
        depth=root.depth,
        today=today,
        year=year,
        rng=rng,
    )
    counts["created"] = True
    return counts


LEDGER_TITLES = {
    "integrity": "廉政教育专题学习（线下）",
    "training": "党校干部集中轮训",
}


def _ledger(
    pk: int,
    year: int,
    hours: Decimal,
    kind: str,
    recorded: datetime.datetime,
    integrity: bool,
) -> Any:
    from courses.models import LedgerSource, StudyHourEntry

    return StudyHourEntry(
        user_id=pk,
        year=year,
        hours=hours,
        source=LedgerSource.OTHER,
        source_key=f"demo:{year}:{kind}",
        title=LEDGER_TITLES[kind],
        required=False,
        integrity=integrity,
        recorded_at=recorded,
    )


def _events(*, root: OrgUnit, year: int, now: datetime.datetime) -> list[Any]:
    """Started, scheduled events of the active campaigns of ``year`` whose audience
    includes ``root``."""
    from events.models import Event, EventStatus

    events = (
        Event.objects.filter(
            campaign__year=year,
            campaign__is_active=True,
            status=EventStatus.SCHEDULED,
            starts_at__lte=now,
        )
        .select_related("audience_unit", "min_rank")
        .order_by("starts_at", "pk")
    )
    return [e for e in events if e.audience_unit and root.path.startswith(e.audience_unit.path)]


def _attendance(
    *,
    events: list[Any],
    plan: list[tuple[int, OrgUnit, str]],
    person_ids: list[int],
    ranks: dict[str, RankLevel],
    rng: random.Random,
    hours: dict[int, list[Decimal]],
) -> tuple[int, int, list[Any]]:
    from courses.models import LedgerSource, StudyHourEntry
    from events.models import (
        Attendance,
        AttendanceMethod,
        AttendanceStatus,
        Registration,
        RegistrationSource,
    )

    registrations: list[Registration] = []
    marks: list[Attendance] = []
    ledger: list[StudyHourEntry] = []
    for event in events:
        min_order = event.min_rank.order if event.min_rank else None
        for pk, (_n, _unit, rank_code) in zip(person_ids, plan, strict=True):
            rank_level = ranks.get(rank_code)
            if min_order is not None and (rank_level is None or rank_level.order < min_order):
                continue
            if rng.random() >= 0.75:
                continue
            cancelled = rng.random() < 0.03
            registrations.append(
                Registration(
                    event_id=event.pk,
                    user_id=pk,
                    source=RegistrationSource.AUDIENCE,
                    registered_at=min(event.created_at, event.starts_at),
                    cancelled_at=event.starts_at - datetime.timedelta(days=1)
                    if cancelled
                    else None,
                )
            )
            if cancelled:
                continue
            draw = rng.random()
            if draw < 0.78:
                status, minutes = AttendanceStatus.PRESENT, rng.randint(-25, 5)
            elif draw < 0.86:
                status, minutes = AttendanceStatus.LATE, rng.randint(12, 35)
            elif draw < 0.95:
                status, minutes = AttendanceStatus.ABSENT, 0
            else:
                continue  # nobody marked them: not attended either
            attended = status != AttendanceStatus.ABSENT
            marks.append(
                Attendance(
                    event_id=event.pk,
                    user_id=pk,
                    status=status,
                    method=AttendanceMethod.ROSTER,
                    checked_in_at=(
                        event.starts_at + datetime.timedelta(minutes=minutes) if attended else None
                    ),
                )
            )
            if attended:
                ledger.append(
                    StudyHourEntry(
                        user_id=pk,
                        year=timezone.localdate(event.starts_at).year,
                        hours=event.credit_hours,
                        source=LedgerSource.EVENT,
                        source_key=f"event:{event.pk}",
                        title=event.title,
                        required=event.required,
                        integrity=True,
                        recorded_at=event.starts_at,
                    )
                )
                got = hours.setdefault(pk, [Decimal(0), Decimal(0)])
                got[0] += event.credit_hours
                got[1] += event.credit_hours
    n_regs = _bulk(Registration, registrations, ignore_conflicts=True)
    n_marks = _bulk(Attendance, marks, ignore_conflicts=True)
    return n_regs, n_marks, ledger


REPORT_SUMMARIES = [
    "组织全体干部参加，通报典型案例，开展讨论交流。",
    "按要求完成，相关材料已存入廉政档案。",
    "主要负责同志带头参加，各科室逐一落实。",
]


def _reports(
    *,
    root: OrgUnit,
    units: list[OrgUnit],
    year: int,
    today: datetime.date,
    rng: random.Random,
) -> int:
    """Reports of the campaigns' required actions by some of the generated units that
    report them (the units one level below the campaign's audience unit, as in
    ``events.selectors.campaigns.campaign_rollup``)."""
    from events.models import ActionKind, ActionReport, Campaign, CampaignAction

    rows = []
    campaigns = Campaign.objects.filter(year=year, is_active=True).select_related("audience_unit")
    for campaign in campaigns.order_by("pk"):
        audience = campaign.audience_unit
        if audience is None or not root.path.startswith(audience.path):
            continue
        reporting = [u for u in units if u.depth == audience.depth + 1]
        actions = CampaignAction.objects.filter(campaign=campaign, kind=ActionKind.REQUIRED)
        first = campaign.starts_on
        last = max(first, min(campaign.ends_on, today))
        for action in actions.order_by("order", "pk"):
            for unit in reporting:
                if rng.random() >= 0.6:
                    continue
                rows.append(
                    ActionReport(
                        action=action,
                        unit=unit,
                        done_on=first
                        + datetime.timedelta(days=rng.randint(0, (last - first).days)),
                        summary=rng.choice(REPORT_SUMMARIES),
                        participants=rng.randint(20, 120),
                    )
                )
    return _bulk(ActionReport, rows, ignore_conflicts=True)


def _attempts(
    *,
    person_ids: list[int],
    year_start: datetime.date,
    span_days: int,
    now: datetime.datetime,
    rng: random.Random,
) -> int:
    """Submitted attempts for about half the people: one or two quizzes each, a second
    attempt for some of those who failed the first."""
    from quizzes.models import Attempt, AttemptStatus

    quizzes = _quizzes()
    rows = []
    for pk in person_ids:
        if rng.random() >= 0.55:
            continue
        for quiz in rng.sample(quizzes, min(len(quizzes), rng.choice((1, 1, 2)))):
            number = 0
            while True:
                number += 1
                percent = Decimal(min(100, max(40, round(rng.triangular(40, 100, 80)))))
                day = year_start + datetime.timedelta(days=rng.randint(0, span_days))
                started = min(_aware(day, rng.randint(8 * 3600, 20 * 3600)), now)
                passed = percent >= quiz.pass_percent
                rows.append(
                    Attempt(
                        quiz_id=quiz.pk,
                        user_id=pk,
                        number=number,
                        status=AttemptStatus.SUBMITTED,
                        started_at=started - datetime.timedelta(minutes=20),
                        submitted_at=started,
                        score=percent,
                        max_score=Decimal(100),
                        percent=percent,
                        passed=passed,
                    )
                )
                if passed or number >= 2 or rng.random() < 0.5:
                    break
    return _bulk(Attempt, rows)


def _appointments(
    *,
    plan: list[tuple[int, OrgUnit, str]],
    person_ids: list[int],
    ranks: dict[str, RankLevel],
    depth: int,
    today: datetime.date,
    year: int,
    rng: random.Random,
) -> int:
    """A few pre-appointment programmes: in progress (pending or past the take-office
    date) and cleared this year, each with its checklist."""
    from courses.models import CourseKind, CoursePage
    from talks.models import (
        STEP_ORDER,
        Appointment,
        AppointmentStatus,
        PositionKind,
        ProgrammeStep,
        StepStatus,
    )

    course = (
        CoursePage.objects.live()
        .filter(kind=CourseKind.PRE_APPOINTMENT)
        .order_by("-first_published_at")
        .first()
    )
    wanted = max(3, len(plan) // 400)
    # Promotions within the unit: a section's staff to (deputy) section chief, a
    # bureau's section-level cadres to (deputy) bureau head.
    promotable = {depth + 3: ("KY", "FKJ"), depth + 2: ("ZKJ", "FCJ")}
    candidates = [
        (pk, unit, rank_code)
        for pk, (_n, unit, rank_code) in zip(person_ids, plan, strict=True)
        if rank_code in promotable.get(unit.depth, ()) and NEXT_RANK[rank_code] in ranks
    ]
    chosen = rng.sample(candidates, min(wanted, len(candidates)))
    appointments = []
    now = timezone.now()
    for i, (pk, unit, rank_code) in enumerate(chosen):
        new_rank = NEXT_RANK[rank_code]
        decision = today - datetime.timedelta(days=rng.randint(5, 60))
        take_office = decision + datetime.timedelta(days=rng.randint(10, 50))
        cleared = i % 4 == 3 and decision.year == year
        cleared_at = None
        if cleared:
            cleared_day = min(take_office, today)
            cleared_at = min(_aware(cleared_day, 10 * 3600), now)
        leading = new_rank in ("FCJ", "ZCJ")
        appointments.append(
            Appointment(
                person_id=pk,
                unit=unit,
                position_title=unit.name + POSITIONS[new_rank][0],
                position_kind=PositionKind.LEADING if leading else PositionKind.KEY,
                rank_level=ranks[new_rank],
                previous_rank_level=ranks.get(rank_code),
                decision_date=decision,
                take_office_date=take_office,
                course=course,
                status=AppointmentStatus.CLEARED if cleared else AppointmentStatus.IN_PROGRESS,
                cleared_at=cleared_at,
                note="演示数据",
            )
        )
    Appointment.objects.bulk_create(appointments)
    made = list(
        Appointment.objects.filter(person_id__in=[pk for pk, _u, _r in chosen], note="演示数据")
    )
    steps = []
    for appt in made:
        for j, kind in enumerate(STEP_ORDER):
            done = appt.status == AppointmentStatus.CLEARED or (j == 0 and rng.random() < 0.5)
            steps.append(
                ProgrammeStep(
                    appointment=appt,
                    kind=kind,
                    status=StepStatus.DONE if done else StepStatus.PENDING,
                    done_at=(appt.cleared_at or now) if done else None,
                )
            )
    ProgrammeStep.objects.bulk_create(steps, ignore_conflicts=True)
    return len(made)


# --- The small demo's history for the finance bureau ------------------------------------

HISTORY_COURSE = "yi-an-wei-jian"  # courses.demo: the warning-education course
HISTORY_NOTE = "财政系统警示教育专题学习（演示，已逾期）"


@transaction.atomic
def demo_history_build(*, domain: str, year: int, unit_code: str = "CZJ") -> dict[str, int]:
    """A little past-due history for the small demo's finance bureau, so that its unit
    admin and leader see every kind of figure: an assignment of the warning-education
    course whose due date has passed (about half completed through the app's services,
    the rest overdue) and study hours that meet the annual requirement for about half
    the people. Idempotent: the assignment is looked up by its note, ledger rows by
    their keys. Returns counts of what this call added."""
    from courses.demo import COMPLETED, _advance
    from courses.models import (
        Assignment,
        CoursePage,
        Enrolment,
        EnrolmentSource,
        LedgerSource,
        StudyHourEntry,
    )
    from courses.selectors.learning import hours_summary
    from courses.services.ledger import ledger_record

    counts = {"enrolments": 0, "completed": 0, "ledger": 0}
    unit = OrgUnit.objects.filter(code=unit_code).first()
    course = CoursePage.objects.live().filter(slug=HISTORY_COURSE).first()
    admin = User.objects.filter(email=f"unitadmin@{domain}").first()
    if unit is None or course is None:
        return counts
    today = timezone.localdate()
    due = max(datetime.date(year, 1, 1), today - datetime.timedelta(days=12))
    if due >= today:
        return counts  # too early in the year for anything to be overdue
    rng = random.Random(2026)
    people = list(
        User.objects.filter(unit__path__startswith=unit.path, is_active=True).order_by(
            "employee_number", "pk"
        )
    )
    assignment = Assignment.objects.filter(course=course, unit=unit, note=HISTORY_NOTE).first()
    if assignment is None:
        assignment = Assignment.objects.create(
            course=course,
            unit=unit,
            due_date=due,
            note=HISTORY_NOTE,
            created_by=admin,
            created_at=timezone.now() - datetime.timedelta(days=40),
        )
        enrolled = set(
            Enrolment.objects.filter(course=course, user__in=people).values_list(
                "user_id", flat=True
            )
        )
        new = [
            Enrolment(
                user=person,
                course=course,
                assignment=assignment,
                source=EnrolmentSource.ASSIGNED,
                required=True,
                due_date=due,
                enrolled_at=assignment.created_at,
            )
            for person in people
            if person.pk not in enrolled
        ]
        Enrolment.objects.bulk_create(new)
        counts["enrolments"] = len(new)
        for enrolment in new:
            if rng.random() < 0.6:
                _advance(
                    user=enrolment.user, course=course, stage=COMPLETED, rng=rng, quizzes_taken=[]
                )
                counts["completed"] += 1
    # Study hours: about half the people meet their requirement this year (a random
    # draw of its own, so that a second run picks the same people).
    pick = random.Random(2027)
    for person in people:
        # Every draw is made whatever the person's hours, so the sequence stays the same.
        chosen = pick.random() < 0.5
        spare = (Decimal(pick.randint(0, 6)), Decimal(pick.randint(0, 6)))
        if not chosen:
            continue
        summary = hours_summary(user=person, year=year)
        integrity_gap = summary.integrity_target - summary.integrity
        total_gap = summary.total_target - summary.total - max(Decimal(0), integrity_gap)
        for kind, gap, integrity, extra in (
            ("integrity", integrity_gap, True, spare[0]),
            ("training", total_gap, False, spare[1]),
        ):
            key = f"demo:{year}:{kind}"
            if gap <= 0 or StudyHourEntry.objects.filter(user=person, source_key=key).exists():
                continue
            ledger_record(
                user=person,
                year=year,
                hours=(gap + extra).quantize(ONE_PLACE),
                source=LedgerSource.OTHER,
                source_key=key,
                title=LEDGER_TITLES[kind],
                required=False,
                integrity=integrity,
            )
            counts["ledger"] += 1
    return counts
