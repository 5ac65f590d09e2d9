"""Demo content of the pre-appointment programme and talks (issue #7 item 8), built by
``build_demo`` after the people, courses and quizzes: pledge texts (leading v1 and the
current v2, general, key), three appointments at different steps (one cleared, one past
its take-office date, one in progress: the demo learner's), talk records of every kind,
and pledge signatures: the cleared appointee's (leading, v2), the overdue appointee's
(key position: signed, yet the talk is still to be held), and the demo learner's of the
2024 leading text (v1), signed long before their appointment, so their pledge page asks
them to sign the 2026 version. Everything goes through the services (audit rows,
notifications, signals) where one exists; the old signature, of a version that is no
longer current, is written as the signing service writes one (it cannot sign an old
version). Idempotent and deterministic: a second run adds nothing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from courses.models import CourseKind, CoursePage, Enrolment, LessonPage, LessonProgress
from people.models import OrgUnit, RankLevel, Role, RoleAssignment, User

from .models import (
    Appointment,
    PledgeSignature,
    PledgeText,
    PositionKind,
    TalkKind,
    TalkRecord,
)

PLEDGES: list[tuple[str, int, bool, str, str]] = [
    (
        PositionKind.LEADING,
        1,
        False,
        "领导干部廉政承诺书（2024年版）",
        "本人郑重承诺：严格遵守党的政治纪律和政治规矩，贯彻落实中央八项规定精神；"
        "不利用职权为本人及亲属谋取私利；不收受可能影响公正执行公务的礼品礼金；"
        "自觉接受组织和群众监督。",
    ),
    (
        PositionKind.LEADING,
        2,
        True,
        "领导干部廉政承诺书（2026年版）",
        "本人作为新任领导干部，郑重承诺：\n"
        "一、坚定理想信念，严守政治纪律和政治规矩，坚决做到“两个维护”。\n"
        "二、严格执行中央八项规定及其实施细则精神，不违规收送礼品礼金，不违规吃喝。\n"
        "三、廉洁用权，不利用职务影响为亲属和身边工作人员谋取利益，不插手干预工程项目、"
        "政府采购和选人用人。\n"
        "四、如实报告个人有关事项，管好配偶、子女和身边工作人员。\n"
        "五、履行全面从严治党“一岗双责”，自觉接受组织监督和群众监督。\n"
        "如有违反，自愿接受组织处理。",
    ),
    (
        PositionKind.GENERAL,
        1,
        True,
        "公职人员廉洁从业承诺书",
        "本人郑重承诺：遵守国家法律法规和单位各项制度，秉公办事，不以权谋私；"
        "不收受服务对象的财物；不泄露工作秘密；自觉接受监督。",
    ),
    (
        PositionKind.KEY,
        1,
        True,
        "关键岗位工作人员廉洁承诺书",
        "本人在资金管理、政府采购、行政审批等关键岗位工作，郑重承诺：严格执行岗位权责清单，"
        "不越权审批、不违规拨付资金；回避与本人及亲属有利害关系的事项；"
        "不接受管理服务对象的宴请和礼品；发现廉洁风险及时报告。",
    ),
]

PLACE = "市纪委监委三楼谈话室"


def _pledge_texts(by: User | None) -> dict[tuple[str, int], PledgeText]:
    texts = {}
    for kind, version, current, title, body in PLEDGES:
        text = PledgeText.objects.filter(position_kind=kind, version=version).first()
        if text is None:
            if current:
                PledgeText.objects.filter(position_kind=kind, is_current=True).update(
                    is_current=False
                )
            text = PledgeText.objects.create(
                position_kind=kind,
                version=version,
                title=title,
                body=body,
                is_current=current,
                created_by=by,
                published_at=timezone.now() - datetime.timedelta(days=400 if version == 1 else 60),
            )
        texts[(kind, version)] = text
    return texts


def _complete_course(user: User, course: CoursePage) -> None:
    """Study every lesson and pass the quiz, as the demo's study records do."""
    from courses.services.completion import course_evaluate
    from quizzes.models import Attempt, AttemptStatus

    now = timezone.now() - datetime.timedelta(days=5)
    Enrolment.objects.filter(user=user, course=course, started_at__isnull=True).update(
        started_at=now
    )
    for lesson in LessonPage.objects.child_of(course).live():
        LessonProgress.objects.get_or_create(
            user=user, lesson=lesson, defaults={"started_at": now, "completed_at": now}
        )
    if (
        course.quiz_id
        and not Attempt.objects.filter(quiz_id=course.quiz_id, user=user, passed=True).exists()
    ):
        number = Attempt.objects.filter(quiz_id=course.quiz_id, user=user).count() + 1
        Attempt.objects.create(
            quiz_id=course.quiz_id,
            user=user,
            number=number,
            status=AttemptStatus.SUBMITTED,
            started_at=now,
            submitted_at=now + datetime.timedelta(minutes=18),
            max_score=Decimal("100"),
            score=Decimal("92"),
            percent=Decimal("92"),
            passed=True,
        )
    course_evaluate(user=user, course=course)


def _talk(
    *,
    by: User,
    kind: str,
    official: User,
    talkers: list[User],
    when: datetime.datetime,
    outline: str,
    content: str = "",
    summary: str = "",
    statement: str = "",
    close_note: str = "",
    appointment: Appointment | None = None,
) -> TalkRecord | None:
    from .services.records import talk_close, talk_record, talk_schedule

    existing = TalkRecord.objects.filter(official=official, kind=kind)
    if appointment is not None:
        existing = existing.filter(appointment=appointment)
    if existing.exists():
        return None
    talk = talk_schedule(
        by=by,
        kind=kind,
        official=official,
        talkers=talkers,
        scheduled_at=when,
        place=PLACE,
        outline=outline,
        appointment=appointment,
    )
    if content:
        talk = talk_record(
            by=by,
            talk=talk,
            held_at=when,
            content=content,
            summary=summary,
            official_statement=statement,
        )
    if close_note:
        talk = talk_close(by=by, talk=talk, note=close_note)
    return talk


def _sign(
    *,
    user: User,
    text: PledgeText,
    appointment: Appointment | None,
    ip_address: str,
) -> bool:
    """Sign the current ``text`` as ``user`` through the service; False if already signed."""
    from .services.pledges import pledge_sign

    if PledgeSignature.objects.filter(user=user, text=text).exists():
        return False
    pledge_sign(
        user=user,
        text=text,
        typed_name=user.full_name,
        confirmed=True,
        appointment=appointment,
        ip_address=ip_address,
        user_agent="Mozilla/5.0 (demo)",
    )
    return True


def _sign_earlier_version(*, user: User, text: PledgeText, days_ago: int) -> bool:
    """A signature of a version that is no longer current, given ``days_ago`` days ago,
    written as ``pledge_sign`` writes one (hash of the exact text, audit row)."""
    from audit.models import AuditAction
    from audit.services import audit_record

    from .services.pledges import pledge_text_sha256

    if PledgeSignature.objects.filter(user=user, text=text).exists():
        return False
    signature = PledgeSignature(
        text=text,
        user=user,
        appointment=None,
        typed_name=user.full_name,
        text_sha256=pledge_text_sha256(text=text),
        signed_at=timezone.now() - datetime.timedelta(days=days_ago),
        ip_address="10.0.0.23",
        user_agent="Mozilla/5.0 (demo)",
    )
    signature.save(force_insert=True)
    audit_record(
        action=AuditAction.CREATE,
        actor=user,
        obj=signature,
        subject=user,
        detail={"text": text.pk, "version": text.version, "sha256": signature.text_sha256},
    )
    return True


def _in_unit(code: str, exclude: set[int]) -> User | None:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        return None
    with_roles = RoleAssignment.objects.exclude(role=Role.LEARNER).values("user_id")
    return (
        User.objects.filter(unit__path__startswith=unit.path, is_active=True)
        .exclude(pk__in=with_roles)
        .exclude(pk__in=exclude)
        .exclude(is_superuser=True)
        .order_by("pk")
        .first()
    )


@transaction.atomic
def demo_talks_build(*, domain: str) -> dict[str, int]:
    """Build the demo appointments, talks and pledges. Returns counts."""
    from .services.appointments import appointment_create

    admin = User.objects.filter(email=f"unitadmin@{domain}").first()
    officer = User.objects.filter(email=f"discipline@{domain}").first()
    learner = User.objects.filter(email=f"learner@{domain}").first()
    course = (
        CoursePage.objects.live()
        .filter(kind=CourseKind.PRE_APPOINTMENT)
        .order_by("-first_published_at")
        .first()
    )
    texts = _pledge_texts(officer)
    counts = {"pledge_texts": len(texts), "appointments": 0, "talks": 0, "signatures": 0}
    if admin is None or officer is None or learner is None or course is None:
        return counts
    ranks = {r.code: r for r in RankLevel.objects.all()}
    today = timezone.localdate()
    now = timezone.now()
    used = {admin.pk, officer.pk, learner.pk}
    cleared_person = _in_unit("CZJ-GKK", used)
    if cleared_person:
        used.add(cleared_person.pk)
    overdue_person = _in_unit("CZJ-ZFCG", used)
    if overdue_person:
        used.add(overdue_person.pk)

    plans: list[tuple[User | None, str, str, str, int, int]] = [
        # (person, position, kind, rank code, decision days ago, take-office in days)
        (cleared_person, "国库科科长", PositionKind.LEADING, "ZKJ", 40, -10),
        (overdue_person, "政府采购监督管理科副科长", PositionKind.KEY, "FKJ", 30, -3),
        (learner, "市财政局副局长", PositionKind.LEADING, "FCJ", 2, 12),
    ]
    appointments: list[Appointment | None] = []
    for person, position, kind, rank_code, ago, due in plans:
        if person is None:
            appointments.append(None)
            continue
        existing = Appointment.objects.filter(person=person, position_title=position).first()
        if existing is not None:
            appointments.append(existing)
            continue
        appointment = appointment_create(
            by=admin,
            person=person,
            position_title=position,
            position_kind=kind,
            rank_level=ranks[rank_code],
            decision_date=today - datetime.timedelta(days=ago),
            take_office_date=today + datetime.timedelta(days=due),
            course=course,
        )
        counts["appointments"] += 1
        appointments.append(appointment)
    cleared, overdue, in_progress = appointments

    from .services.programme import programme_evaluate

    if cleared is not None:
        _complete_course(cleared.person, course)
        programme_evaluate(appointment=cleared)
        talk = _talk(
            by=officer,
            kind=TalkKind.PRE_APPOINTMENT,
            official=cleared.person,
            talkers=[officer],
            when=now - datetime.timedelta(days=12),
            outline="一、通报近期财政系统典型案例；二、提出廉洁履职要求；三、听取本人表态。",
            content="谈话人通报了财政系统近期违纪违法典型案例，要求其严守资金拨付纪律，"
            "管好身边人。本人表示将严格落实“一岗双责”。",
            summary="组织就任前廉洁履职提出三点要求：严守资金纪律、落实一岗双责、管好身边人。",
            statement="坚决服从组织安排，守住廉洁底线，自觉接受监督。",
            appointment=cleared,
        )
        counts["talks"] += talk is not None
        counts["signatures"] += _sign(
            user=cleared.person,
            text=texts[(PositionKind.LEADING, 2)],
            appointment=cleared,
            ip_address="10.0.0.21",
        )

    if overdue is not None:
        _complete_course(overdue.person, course)
        programme_evaluate(appointment=overdue)
        talk = _talk(
            by=officer,
            kind=TalkKind.PRE_APPOINTMENT,
            official=overdue.person,
            talkers=[officer],
            when=now + datetime.timedelta(days=1),
            outline="一、政府采购领域廉政风险点；二、岗位权责清单；三、本人表态。",
            appointment=overdue,
        )
        counts["talks"] += talk is not None
        # Signed, yet not cleared: the talk is still to be held.
        counts["signatures"] += _sign(
            user=overdue.person,
            text=texts[(PositionKind.KEY, 1)],
            appointment=overdue,
            ip_address="10.0.0.22",
        )

    if in_progress is not None:
        talk = _talk(
            by=officer,
            kind=TalkKind.PRE_APPOINTMENT,
            official=in_progress.person,
            talkers=[officer],
            when=now + datetime.timedelta(days=3, hours=2),
            outline="一、新任副局长岗位廉政风险；二、财政资金分配权力运行；三、本人表态。",
            appointment=in_progress,
        )
        counts["talks"] += talk is not None
        # The 2024 leading text, signed in an earlier post: the 2026 version asks for a
        # new signature (the pledge step stays pending until they sign it).
        counts["signatures"] += _sign_earlier_version(
            user=in_progress.person, text=texts[(PositionKind.LEADING, 1)], days_ago=300
        )

    # Talks of every other kind with officials in the demo organisation.
    others = [
        p
        for p in (_in_unit(code, used) for code in ("CZJ-YSK", "ZJJ-JZSC", "DCQ-CZJ", "XCQ-ZJJ"))
        if p
    ]
    other_kinds = [
        (
            TalkKind.REMINDER,
            "近期反映其在项目评审中与服务对象接触过密，予以提醒。",
            "本人接受提醒，今后严格执行回避制度。",
            "",
        ),
        (
            TalkKind.INTERVIEW,
            "就所在单位专项资金拨付滞后、台账不规范问题约谈，要求限期整改。",
            "立即组织整改，一个月内完成台账清理。",
            "整改材料已报送，经核查整改到位。",
        ),
        (
            TalkKind.ADMONISHMENT,
            "违规接受管理服务对象宴请一次，给予诫勉谈话。",
            "深刻认识错误，已退缴相关费用，保证不再发生。",
            "",
        ),
        (
            TalkKind.ROUTINE,
            "节前廉洁提醒：严禁公款送礼、违规发放津补贴。",
            "",
            "",
        ),
    ]
    for person, (kind, content, statement, close_note) in zip(others, other_kinds, strict=False):
        talk = _talk(
            by=officer,
            kind=kind,
            official=person,
            talkers=[officer],
            when=now - datetime.timedelta(days=20),
            outline="谈话提纲（内部）：核实情况、指出问题、提出要求。",
            content=content,
            statement=statement,
            close_note=close_note,
        )
        counts["talks"] += talk is not None
    return counts


def demo_summary() -> dict[str, Any]:
    return {
        "appointments": Appointment.objects.count(),
        "talks": TalkRecord.objects.count(),
        "signatures": PledgeSignature.objects.count(),
    }
