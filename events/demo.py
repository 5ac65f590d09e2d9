"""Demo content for the education month: this year's 党风廉政建设宣传教育月 for the demo
city, its required actions (规定动作) and some units' chosen actions (自选动作) with
reports, and six events: three past ones with attendance (present, late, absent), an
approved leave with its make-up study done and another still open; one today for the
check-in demo, run by the demo trainer; two upcoming, one with a pending leave request.

Called by ``build_demo`` after the courses and quizzes. Idempotent: the campaign, its
actions and reports, and events are looked up by their natural keys first (campaign by
year, title and unit; events by campaign and title; leave by event and person), and the
attendance, make-up and ledger services write nothing twice.

Everything goes through the app's services (so the ledger, make-ups and completions stay
consistent), except two writes no service offers for the past: registrations of events
that have already started (audience registration only runs for upcoming events) and the
leave requests of a past event (asking for leave is refused once the event started);
both are plain model writes of the rows the services would have made at the time.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from people.models import OrgUnit, User

from .models import (
    Attendance,
    AttendanceMethod,
    AttendanceStatus,
    Campaign,
    CampaignAction,
    Event,
    EventKind,
    LeaveRequest,
    LeaveStatus,
    MakeUp,
    Registration,
    RegistrationSource,
)

THEME = "以案为鉴 警钟长鸣"
REQUIRED_ACTIONS = [
    ("召开警示教育大会", "由主要负责同志主持，通报典型案例，开展集体警示教育。"),
    ("组织观看警示教育片", "组织全体干部集中观看警示教育片，并交流观后感。"),
    ("开展廉政党课", "党组（党委）书记讲一次廉政党课。"),
    ("签订廉政承诺书", "全体党员干部逐级签订廉洁从政承诺书。"),
]
# (unit code, title, description)
CHOSEN_ACTIONS = [
    ("CZJ", "财政系统廉政书画作品展", "征集干部职工廉政书画作品，在机关大厅展出。"),
    ("ZJJ", "工程建设领域廉政风险排查", "围绕招投标、质量监管等环节开展廉政风险点排查。"),
    ("DCQ", "廉政家访", "走访干部家庭，发放家庭助廉倡议书。"),
]
# (unit code, action title, days before today, participants, summary)
REPORTS = [
    ("CZJ", "召开警示教育大会", 12, 48, "局党组书记主持召开警示教育大会，通报3起典型案例。"),
    ("CZJ", "组织观看警示教育片", 9, 45, "组织观看警示教育片《零容忍》，各科室开展讨论。"),
    ("CZJ", "签订廉政承诺书", 6, 50, "全局党员干部签订廉洁从政承诺书，存入廉政档案。"),
    ("CZJ", "财政系统廉政书画作品展", 4, 30, "征集书画作品26件，在机关大厅展出一周。"),
    ("ZJJ", "召开警示教育大会", 11, 40, "召开警示教育大会，剖析工程建设领域典型案件。"),
    ("DCQ", "召开警示教育大会", 10, 35, "区委召开警示教育大会，区管干部参加。"),
    ("DCQ", "廉政家访", 3, 20, "走访干部家庭15户，发放家庭助廉倡议书。"),
]


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _event_specs(now: datetime.datetime) -> list[dict[str, Any]]:
    """The six events; times relative to ``now`` (only used when an event is created)."""
    today = timezone.localdate(now)
    soon = (now + datetime.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return [
        {
            "key": "conference",
            "kind": EventKind.WARNING_CONFERENCE,
            "title": "以案为鉴 警钟长鸣——全市警示教育大会",
            "unit": "SZ",
            "starts_at": _at(today - datetime.timedelta(days=14), 9),
            "hours": 2,
            "venue": "市行政中心大礼堂",
            "credit": Decimal("2.0"),
            "required": True,
            "attendance": True,
            "leave": "approved_done",
        },
        {
            "key": "lecture",
            "kind": EventKind.LECTURE,
            "title": "《中国共产党纪律处分条例》专题讲座",
            "unit": "CZJ",
            "starts_at": _at(today - datetime.timedelta(days=10), 14, 30),
            "hours": 2,
            "venue": "市财政局三楼会议室",
            "credit": Decimal("2.0"),
            "required": True,
            "attendance": True,
            "leave": "approved_open",
        },
        {
            "key": "film",
            "kind": EventKind.FILM,
            "title": "集中观看警示教育片《零容忍》",
            "unit": "ZJJ",
            "starts_at": _at(today - datetime.timedelta(days=5), 15),
            "hours": 2,
            "venue": "市住建局多功能厅",
            "credit": Decimal("1.5"),
            "required": True,
            "attendance": True,
        },
        {
            "key": "visit",
            "kind": EventKind.EXHIBITION,
            "title": "参观市廉政教育基地",
            "unit": "SZ",
            "starts_at": soon,
            "hours": 2,
            "venue": "市廉政教育基地（东城区和平路8号）",
            "credit": Decimal("2.0"),
            "required": True,
            # Open for the check-in demo from an hour before now until the end.
            "checkin_opens_at": soon - datetime.timedelta(hours=2),
        },
        {
            "key": "discussion",
            "kind": EventKind.STUDY_DISCUSSION,
            "title": "学习贯彻中央八项规定精神专题研讨",
            "unit": "SJW",
            "starts_at": _at(today + datetime.timedelta(days=3), 9),
            "hours": 3,
            "venue": "市纪委监委二楼会议室",
            "credit": Decimal("3.0"),
            "required": False,
            "leave": "pending",
        },
        {
            "key": "contest",
            "kind": EventKind.CONTEST,
            "title": "全市廉政知识竞赛",
            "unit": "SZ",
            "starts_at": _at(today + datetime.timedelta(days=7), 14),
            "hours": 2,
            "venue": "市委党校报告厅",
            "online_url": "https://meeting.demo.qinglian.cn/contest",
            "credit": Decimal("1.0"),
            "required": False,
        },
    ]


def _makeup_lesson() -> Any:
    """A published lesson without tracked video or audio (it can be marked studied), from
    the demo courses; ``None`` when there is none."""
    from courses.models import LessonPage
    from courses.selectors.progress import lesson_tracked_media

    preferred = ["jlcftl-overview", "baxiang-content", "baxiang-rules"]
    lessons = list(LessonPage.objects.live().filter(slug__in=preferred))
    lessons.sort(key=lambda lesson: preferred.index(lesson.slug))
    lessons += list(LessonPage.objects.live().exclude(slug__in=preferred).order_by("path")[:10])
    for lesson in lessons:
        if not lesson_tracked_media(lesson=lesson):
            return lesson
    return None


def _campaign(*, root: OrgUnit, admin: User, today: datetime.date) -> Campaign:
    from .services.campaigns import campaign_create

    year = today.year
    return campaign_create(
        by=admin,
        year=year,
        title=f"{year}年党风廉政建设宣传教育月",
        theme=THEME,
        description="围绕“以案为鉴 警钟长鸣”主题，组织开展警示教育、廉政党课、廉政文化等系列活动。",
        starts_on=max(datetime.date(year, 1, 1), today - datetime.timedelta(days=20)),
        ends_on=min(datetime.date(year, 12, 31), today + datetime.timedelta(days=10)),
        audience_unit=root,
    )


def _actions(
    *, campaign: Campaign, admin: User, units: dict[str, OrgUnit], today: datetime.date
) -> int:
    from .services.campaigns import action_create_chosen, action_create_required, report_save

    created = 0
    actions: dict[tuple[str | None, str], CampaignAction] = {
        (a.unit.code if a.unit else None, a.title): a
        for a in CampaignAction.objects.filter(campaign=campaign).select_related("unit")
    }
    for order, (title, description) in enumerate(REQUIRED_ACTIONS, start=1):
        if (None, title) not in actions:
            actions[(None, title)] = action_create_required(
                by=admin,
                campaign=campaign,
                title=title,
                description=description,
                due_date=campaign.ends_on,
                order=order,
            )
            created += 1
    for code, title, description in CHOSEN_ACTIONS:
        if code in units and (code, title) not in actions:
            actions[(code, title)] = action_create_chosen(
                by=admin, campaign=campaign, unit=units[code], title=title, description=description
            )
            created += 1
    done = set(
        campaign.actions.filter(reports__isnull=False).values_list("reports__unit__code", "title")
    )
    for code, title, days, participants, summary in REPORTS:
        action = actions.get((None, title)) or actions.get((code, title))
        if code not in units or action is None or (code, title) in done:
            continue
        report_save(
            by=admin,
            action=action,
            unit=units[code],
            done_on=max(campaign.starts_on, today - datetime.timedelta(days=days)),
            summary=summary,
            participants=participants,
        )
        created += 1
    return created


def _register_past(event: Event) -> None:
    """Registrations of the audience of an event already held (see the module doc)."""
    from .selectors.audience import event_audience

    existing = Registration.objects.filter(event=event).values("user_id")
    ids = event_audience(event=event).exclude(pk__in=existing).values_list("pk", flat=True)
    Registration.objects.bulk_create(
        [
            Registration(
                event=event,
                user_id=pk,
                source=RegistrationSource.AUDIENCE,
                registered_at=event.created_at,
            )
            for pk in ids
        ],
        ignore_conflicts=True,
    )


def _people(event: Event) -> list[User]:
    return list(
        User.objects.filter(
            event_registrations__event=event, event_registrations__cancelled_at__isnull=True
        )
        .select_related("unit", "rank_level")
        .order_by("employee_number", "pk")
    )


def _past_leave(*, event: Event, person: User, admin: User, reason: str, study_done: bool) -> None:
    """An approved leave of a past event, with its make-up (done or not)."""
    from courses.services.progress import lesson_mark_studied

    from .services.leave import leave_decide, makeup_refresh

    leave, _created = LeaveRequest.objects.get_or_create(
        event=event,
        user=person,
        defaults={"reason": reason, "requested_at": event.starts_at - datetime.timedelta(days=2)},
    )
    if leave.status == LeaveStatus.PENDING:
        leave_decide(leave=leave, by=admin, approve=True, note="同意，请按要求完成补学。")
    makeup = MakeUp.objects.filter(event=event, user=person).select_related("lesson").first()
    if study_done and makeup is not None and makeup.lesson is not None:
        lesson_mark_studied(user=person, lesson=makeup.lesson)
        makeup_refresh(user=person)


def _attendance(*, event: Event, trainer: User, rng: random.Random, skip: set[int]) -> int:
    from .services.attendance import attendance_mark

    marked = 0
    for person in _people(event):
        if person.pk in skip:
            continue
        draw = rng.random()
        if draw < 0.8:
            status, minutes = AttendanceStatus.PRESENT, rng.randint(-25, 5)
        elif draw < 0.9:
            status, minutes = AttendanceStatus.LATE, rng.randint(12, 35)
        else:
            status, minutes = AttendanceStatus.ABSENT, 0
        attendance_mark(
            event=event,
            user=person,
            status=status,
            by=trainer,
            method=AttendanceMethod.SHEET if rng.random() < 0.3 else AttendanceMethod.ROSTER,
            checked_in_at=(
                event.starts_at + datetime.timedelta(minutes=minutes)
                if status != AttendanceStatus.ABSENT
                else None
            ),
        )
        marked += 1
    return marked


@transaction.atomic
def demo_events_build(*, domain: str) -> dict[str, int]:
    """Build the education month of the demo city (see the module doc). Returns counts:
    ``events`` (of the campaign), ``created`` (events made by this call), ``actions``
    (actions and reports made by this call), ``attendance`` (rows of the campaign)."""
    from .services.events import event_create
    from .services.leave import leave_request

    root = OrgUnit.objects.filter(code="SZ").first()
    admin = User.objects.filter(email=f"admin@{domain}").first()
    trainer = User.objects.filter(email=f"trainer@{domain}").first()
    if root is None or admin is None or trainer is None:
        return {"events": 0, "created": 0, "actions": 0, "attendance": 0}
    now = timezone.now()
    today = timezone.localdate(now)
    units = {u.code: u for u in OrgUnit.objects.filter(path__startswith=root.path)}
    campaign = _campaign(root=root, admin=admin, today=today)
    actions = _actions(campaign=campaign, admin=admin, units=units, today=today)
    lesson = _makeup_lesson()
    rng = random.Random(2026)  # the same attendance on every run
    created = 0
    # Every event exists before any attendance is recorded: a completion is evaluated on
    # each mark and never withdrawn, so marking the past events first would complete the
    # campaign for people who still have a required event ahead of them.
    specs = [spec for spec in _event_specs(now) if spec["unit"] in units]
    events: dict[str, Event] = {}
    for spec in specs:
        event = Event.objects.filter(campaign=campaign, title=spec["title"]).first()
        if event is None:
            starts = spec["starts_at"]
            ends = starts + datetime.timedelta(hours=spec["hours"])
            event = event_create(
                by=admin,
                data={
                    "campaign": campaign,
                    "kind": spec["kind"],
                    "title": spec["title"],
                    "description": f"{campaign.title}活动：{spec['title']}。",
                    "starts_at": starts,
                    "ends_at": ends,
                    "venue": spec["venue"],
                    "online_url": spec.get("online_url", ""),
                    "audience_unit": units[spec["unit"]],
                    "trainer": trainer,
                    "credit_hours": spec["credit"],
                    "required": spec["required"],
                    "checkin_opens_at": spec.get(
                        "checkin_opens_at", starts - datetime.timedelta(minutes=30)
                    ),
                    "checkin_closes_at": ends,
                    "late_after_minutes": 10,
                    "makeup_lesson": lesson if spec["required"] else None,
                },
            )
            created += 1
        events[spec["title"]] = event
    for spec in specs:
        event = events[spec["title"]]
        if not spec.get("attendance"):
            if spec.get("leave") == "pending":
                person = _first_in(event, units, code="SJW-JJ1")
                if (
                    person is not None
                    and not LeaveRequest.objects.filter(event=event, user=person).exists()
                ):
                    leave_request(event=event, user=person, reason="当天需参加省纪委业务培训。")
            continue
        if Attendance.objects.filter(event=event).exists():
            continue  # recorded by an earlier run
        _register_past(event)
        skip: set[int] = set()
        leave = spec.get("leave")
        if leave:
            person = _first_in(
                event, units, code="CZJ-GKK" if leave == "approved_open" else "DCQ-HPJD"
            )
            if person is not None:
                skip.add(person.pk)
                _past_leave(
                    event=event,
                    person=person,
                    admin=admin,
                    reason="当天在外地参加上级业务会议。"
                    if leave == "approved_done"
                    else "因病请假。",
                    study_done=leave == "approved_done",
                )
        _attendance(event=event, trainer=trainer, rng=rng, skip=skip)
    return {
        "events": Event.objects.filter(campaign=campaign).count(),
        "created": created,
        "actions": actions,
        "attendance": Attendance.objects.filter(event__campaign=campaign).count(),
    }


def _first_in(event: Event, units: dict[str, OrgUnit], *, code: str) -> User | None:
    """The first person (by employee number) of unit ``code`` in the event's audience."""
    from .selectors.audience import event_audience

    unit = units.get(code)
    if unit is None:
        return None
    return event_audience(event=event).filter(unit=unit).order_by("employee_number", "pk").first()
