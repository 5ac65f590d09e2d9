"""A small, fully hand-counted data set for the dashboard, built on the ``org`` fixture
(tests/conftest.py). ``dashboard_world(org, today=..., year=...)`` builds it; ``EXPECTED``
holds the figures counted by hand (the counting is in the comments below), so the
metrics, views and export tests all check the same numbers.

``today`` must lie in ``year`` at least three days from either end of it (overdue due
dates are ``today - 1 day``, open ones ``today + 1 day``, both inside ``year``). Events
are placed around the real clock (``timezone.now()``): "started" is decided by it.

The people (``*`` = created here; all active with a unit unless said otherwise):

=====================  =================  ==========  =======================
unit                   person             rank        short name below
=====================  =================  ==========  =======================
city (CITY)            city_admin 市级管理员  FCJ        CA
city                   trainer 培训师       ZKJ        T
finance (CZJ)          finance_admin      ZKJ        FA
finance                discipline 纪检员    ZKJ        D
finance                finance_learner 张三丰 KY      F1
finance_budget         budget_learner 李四  FKJ        B1
finance_budget         * 赵六               KY         B2
housing (ZJJ)          housing_admin      ZKJ        HA
housing_office         housing_learner 王五 KY        H1
housing_office         * 钱七               KY         H2
housing_office         * 孙八 (inactive)     KY         X   never counted
(no unit)              * 周九               KY         N   never counted
(no unit)              superuser          —          never counted
=====================  =================  ==========  =======================

People: city own 2 (CA, T); finance 5 (own FA, D, F1; budget B1, B2); housing 3 (own HA;
office H1, H2); total 10.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from certificates.factories import CertificateFactory
from certificates.models import Certificate
from courses.factories import CourseIndexPageFactory, CoursePageFactory
from courses.models import CoursePage, Enrolment, LedgerSource, StudyHourEntry, StudyRequirement
from events.factories import CampaignFactory, EventFactory
from events.models import (
    ActionKind,
    ActionReport,
    Attendance,
    AttendanceMethod,
    AttendanceStatus,
    Campaign,
    CampaignAction,
    Event,
    EventStatus,
    Registration,
    RegistrationSource,
)
from people.factories import UserFactory, rank
from people.models import User
from qinglian.models import HomePage
from quizzes.factories import QuizFactory
from quizzes.models import Attempt, AttemptStatus, Quiz
from talks.factories import AppointmentFactory
from talks.models import Appointment, AppointmentStatus


@dataclass
class World:
    org: Any
    today: datetime.date
    year: int
    zhao: User  # B2, finance_budget
    qian: User  # H2, housing_office
    sun: User  # X, inactive, housing_office
    zhou: User  # N, no unit
    courses: list[CoursePage] = field(default_factory=list)
    quizzes: list[Quiz] = field(default_factory=list)
    campaign: Campaign | None = None  # year Y, audience city
    campaign_finance: Campaign | None = None  # year Y, audience finance
    events: dict[str, Event] = field(default_factory=dict)
    actions: dict[str, CampaignAction] = field(default_factory=dict)
    appointments: dict[str, Appointment] = field(default_factory=dict)
    certificates: dict[str, Certificate] = field(default_factory=dict)

    def people(self, *codes: str) -> list[User]:
        """People by their short names (CA, T, FA, D, F1, B1, B2, HA, H1, H2, X, N)."""
        o = self.org
        by = {
            "CA": o.city_admin,
            "T": o.trainer,
            "FA": o.finance_admin,
            "D": o.discipline,
            "F1": o.finance_learner,
            "B1": o.budget_learner,
            "B2": self.zhao,
            "HA": o.housing_admin,
            "H1": o.housing_learner,
            "H2": self.qian,
            "X": self.sun,
            "N": self.zhou,
        }
        return [by[c] for c in codes]


def _at(year: int, month: int, day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=timezone.get_current_timezone())


def dashboard_world(org: Any, *, today: datetime.date, year: int) -> World:
    """Build the data set described in the module doc and ``EXPECTED``."""
    assert datetime.date(year, 1, 4) <= today <= datetime.date(year, 12, 28), today
    Y = year
    past, soon, next_year = (
        today - datetime.timedelta(days=1),
        today + datetime.timedelta(days=1),
        datetime.date(Y + 1, 3, 1),
    )
    now = timezone.now()
    ky = rank("KY")
    zhao = UserFactory(
        email="zhao@example.gov.cn", full_name="赵六", unit=org.finance_budget, rank_level=ky
    )
    qian = UserFactory(
        email="qian@example.gov.cn", full_name="钱七", unit=org.housing_office, rank_level=ky
    )
    sun = UserFactory(
        email="sun@example.gov.cn",
        full_name="孙八",
        unit=org.housing_office,
        rank_level=ky,
        is_active=False,
    )
    zhou = UserFactory(email="zhou@example.gov.cn", full_name="周九", unit=None, rank_level=ky)
    w = World(org=org, today=today, year=Y, zhao=zhao, qian=qian, sun=sun, zhou=zhou)
    CA, T, FA, F1, B1, B2, HA, H1, H2, X, N = w.people(
        "CA", "T", "FA", "F1", "B1", "B2", "HA", "H1", "H2", "X", "N"
    )

    # --- 1. Required courses ------------------------------------------------------------
    # F1: c1 due past, completed (completed); c2 due past, open (OVERDUE); c3 due next
    #     year (not counted).                                   -> 2 required, 1 done, 1 od
    # FA: c1 due soon, open.                                    -> 1 required
    # B1: c1 due past, open (OVERDUE); c2 no due date, enrolled in Y, completed
    #                                                           -> 2 required, 1 done, 1 od
    # B2: c1 due soon, completed; c2 NOT required, due past (not counted)
    #                                                           -> 1 required, 1 done
    # H1: c1 and c2 due past, open (two OVERDUE, one person)    -> 2 required, 2 od
    # H2: c1 no due date, enrolled last year (Y-1 only); c2 due soon, open -> 1 required
    # X (inactive), N (no unit): c1 due past, open               -> never counted
    # CA: c1 due past, completed                                -> 1 required, 1 done
    index = CourseIndexPageFactory(parent=HomePage.objects.get(), slug="dashboard-courses")
    c1, c2, c3 = (
        CoursePageFactory(parent=index, title=t, slug=f"dash-course-{i}")
        for i, t in enumerate(["廉洁从政准则", "纪律处分条例", "警示教育案例"], start=1)
    )
    w.courses = [c1, c2, c3]
    done_at = _at(Y, 1, 2)
    enrolled = _at(Y, 1, 2, 9)

    def enrol(user: User, course: CoursePage, due: datetime.date | None, **kw: Any) -> None:
        Enrolment.objects.create(
            user=user,
            course=course,
            due_date=due,
            enrolled_at=kw.pop("enrolled_at", enrolled),
            required=kw.pop("required", True),
            **kw,
        )

    enrol(F1, c1, past, completed_at=done_at)
    enrol(F1, c2, past)
    enrol(F1, c3, next_year)
    enrol(FA, c1, soon)
    enrol(B1, c1, past)
    enrol(B1, c2, None, completed_at=done_at)
    enrol(B2, c1, soon, completed_at=done_at)
    enrol(B2, c2, past, required=False)
    enrol(H1, c1, past)
    enrol(H1, c2, past)
    enrol(H2, c1, None, enrolled_at=_at(Y - 1, 5, 1))
    enrol(H2, c2, soon)
    enrol(X, c1, past)
    enrol(N, c1, past)
    enrol(CA, c1, past, completed_at=done_at)

    # --- 2. Quizzes ---------------------------------------------------------------------
    # (F1,q1): 40 failed, then 80 passed                 -> best 80, passed
    # (F1,q2): an open attempt only                      -> not counted
    # (B1,q1): 55 failed                                 -> best 55, failed
    # (B2,q1): 95 passed                                 -> best 95, passed
    # (H1,q1): 90 passed LAST YEAR                       -> Y-1 only
    # (H1,q2): 70 passed                                 -> best 70, passed
    # (H2,q1): 58 passed (pass mark lowered), then 58.9 failed -> best 58.9, passed (any)
    # (X,q1): 100 passed (inactive)                      -> not counted
    # (CA,q1): 75.5 passed                               -> best 75.5, passed
    q1 = QuizFactory(title="廉洁知识测试（一）", slug="dash-quiz-1", section=False)
    q2 = QuizFactory(title="廉洁知识测试（二）", slug="dash-quiz-2", section=False)
    w.quizzes = [q1, q2]
    numbers: dict[tuple[int, int], int] = {}

    def attempt(
        user: User,
        quiz: Quiz,
        percent: str | None,
        passed: bool | None,
        when: datetime.datetime | None = None,
    ) -> None:
        n = numbers[(user.pk, quiz.pk)] = numbers.get((user.pk, quiz.pk), 0) + 1
        Attempt.objects.create(
            quiz=quiz,
            user=user,
            number=n,
            status=AttemptStatus.SUBMITTED if percent is not None else AttemptStatus.OPEN,
            started_at=(when or _at(Y, 3, 1)) - datetime.timedelta(minutes=30),
            submitted_at=(when or _at(Y, 3, 1)) if percent is not None else None,
            max_score=Decimal(100),
            score=Decimal(percent) if percent is not None else None,
            percent=Decimal(percent) if percent is not None else None,
            passed=passed,
        )

    attempt(F1, q1, "40", False, _at(Y, 3, 1))
    attempt(F1, q1, "80", True, _at(Y, 3, 2))
    attempt(F1, q2, None, None)
    attempt(B1, q1, "55", False)
    attempt(B2, q1, "95", True)
    attempt(H1, q1, "90", True, _at(Y - 1, 6, 1))
    attempt(H1, q2, "70", True)
    attempt(H2, q1, "58", True, _at(Y, 3, 1))
    attempt(H2, q1, "58.9", False, _at(Y, 3, 2))
    attempt(X, q1, "100", True)
    attempt(CA, q1, "75.5", True)

    # --- 3. Education month -------------------------------------------------------------
    # Campaign C (Y, audience city): E1 started 3 days ago, E2 started yesterday, E3 in 20
    # days (not started), E4 cancelled (started). Campaign CF (Y, audience finance), no
    # events. Campaign OLD (Y-1, audience city): E0 started 400 days ago.
    # Campaign OFF (Y, inactive): E5 started (not counted).
    # Registrations (x = not attended):
    #   E1: F1 present, FA late, B1 absent x, B2 no record x, H1 present,
    #       H2 registration cancelled (not expected), X present (inactive, not counted),
    #       CA walk-in NOT confirmed x                        -> 6 expected, 3 attended
    #   E2: F1 present, B1 present, H1 excused x, HA walk-in confirmed
    #                                                        -> 4 expected, 3 attended
    #   E3: F1, B1 registered (future: not counted); E4: F1 present (cancelled event)
    #   E5: F1 present (inactive campaign); E0: F1 present (Y-1 only)
    # By row: finance own F1 2/2, FA 1/1 -> 3/3; budget B1 1 of 2, B2 0 of 1 -> 3/1;
    #         housing own HA 1/1; office H1 1 of 2 -> 2/1; city own CA 0 of 1.
    city, finance = org.city, org.finance
    w.campaign = CampaignFactory(year=Y, audience_unit=city, title="教育月（市）")
    w.campaign_finance = CampaignFactory(year=Y, audience_unit=finance, title="教育月（财政）")
    old = CampaignFactory(year=Y - 1, audience_unit=city, title="去年教育月")
    off = CampaignFactory(year=Y, audience_unit=city, title="停用的教育月", is_active=False)

    def event(title: str, campaign: Campaign, starts: datetime.datetime, **kw: Any) -> Event:
        return EventFactory(
            title=title,
            campaign=campaign,
            audience_unit=city,
            trainer=org.trainer,
            starts_at=starts.replace(second=0, microsecond=0),
            **kw,
        )

    day = datetime.timedelta(days=1)
    e1 = event("E1 警示教育大会", w.campaign, now - 3 * day)
    e2 = event("E2 廉政党课", w.campaign, now - day)
    e3 = event("E3 参观教育基地", w.campaign, now + 20 * day)
    e4 = event("E4 取消的讲座", w.campaign, now - 2 * day, status=EventStatus.CANCELLED)
    e5 = event("E5 停用教育月的讲座", off, now - 2 * day)
    e0 = event("E0 去年的讲座", old, now - 400 * day)
    w.events = {"E0": e0, "E1": e1, "E2": e2, "E3": e3, "E4": e4, "E5": e5}

    def reg(e: Event, user: User, status: str | None = None, **kw: Any) -> None:
        cancelled = kw.pop("cancelled", False)
        Registration.objects.create(
            event=e,
            user=user,
            source=kw.pop("source", RegistrationSource.AUDIENCE),
            cancelled_at=e.starts_at - day if cancelled else None,
        )
        if status is not None:
            Attendance.objects.create(
                event=e,
                user=user,
                status=status,
                method=AttendanceMethod.ROSTER,
                checked_in_at=e.starts_at,
                **kw,
            )

    P, L, A, E = (
        AttendanceStatus.PRESENT,
        AttendanceStatus.LATE,
        AttendanceStatus.ABSENT,
        AttendanceStatus.EXCUSED,
    )
    reg(e1, F1, P)
    reg(e1, FA, L)
    reg(e1, B1, A)
    reg(e1, B2)
    reg(e1, H1, P)
    reg(e1, H2, cancelled=True)
    reg(e1, X, P)
    reg(e1, CA, P, source=RegistrationSource.WALK_IN, walk_in=True)
    reg(e2, F1, P)
    reg(e2, B1, P)
    reg(e2, H1, E)
    reg(
        e2,
        HA,
        P,
        source=RegistrationSource.WALK_IN,
        walk_in=True,
        walk_in_confirmed_at=e2.starts_at,
    )
    reg(e3, F1)
    reg(e3, B1)
    reg(e4, F1, P)
    reg(e5, F1, P)
    reg(e0, F1, P)

    # Required actions. C (audience city, depth 1): obliged units city, finance, housing.
    # CF (audience finance): obliged finance, finance_budget.
    #   A1, A2 of C: finance reported both, housing A1, city none; finance_budget reported
    #   A1 (not obliged for C: does not count).
    #   A3 of CF: finance_budget reported, finance not.
    #   A chosen action of housing (reported) and a required action of the inactive
    #   campaign OFF (reported by finance) never count.
    # City view: finance row 2 (C) + 2 (CF) = 4 required, 2 + 1 = 3 done;
    #            housing row 2 required, 1 done; own (city) 2 required, 0 done; total 8/4.
    # Finance view: budget row 1/1 (A3); own (finance) 3 required (A1, A2, A3), 2 done;
    #               total 4/3.
    def action(campaign: Campaign, title: str, **kw: Any) -> CampaignAction:
        return CampaignAction.objects.create(
            campaign=campaign, kind=kw.pop("kind", ActionKind.REQUIRED), title=title, **kw
        )

    a1 = action(w.campaign, "A1 集中观看警示教育片")
    a2 = action(w.campaign, "A2 召开专题民主生活会")
    a3 = action(w.campaign_finance, "A3 财政系统廉政谈话")
    chosen = action(w.campaign, "自选：廉政书画展", kind=ActionKind.CHOSEN, unit=org.housing)
    a_off = action(off, "停用教育月的规定动作")
    w.actions = {"A1": a1, "A2": a2, "A3": a3}

    def report(a: CampaignAction, unit: Any) -> None:
        ActionReport.objects.create(action=a, unit=unit, done_on=today, summary="已完成")

    report(a1, finance)
    report(a2, finance)
    report(a1, org.housing)
    report(a1, org.finance_budget)
    report(a3, org.finance_budget)
    report(chosen, org.housing)
    report(a_off, finance)

    # --- 4. Study hours -----------------------------------------------------------------
    # Requirement KY 20 h of which 5 integrity; every other rank: the default 50 / 12.
    # F1 (KY): 15 integrity + 6 other = 21, integrity 15  -> met, ≥ 100 %
    #          (+5 h in Y-1: not counted in Y)
    # B2 (KY): 18 other + 4 integrity = 22, integrity 4    -> NOT met (integrity), 100 %+
    # H1 (KY): 12 integrity                                 -> not met, 60 %: 50–99 %
    # H2 (KY): 3 other                                      -> not met, 15 %: 1–49 %
    # B1 (FKJ, default 50/12): 38 other + 12 integrity = 50 -> met (exactly), 100 %+
    # FA (ZKJ, default): 10 other                           -> not met, 20 %: 1–49 %
    # X (inactive): 30                                      -> not counted
    # CA, T, D, HA: nothing                                 -> not met, 0 %
    # hours_people 10, met 2 (F1, B1); buckets 0 %: 4, 1–49 %: 2, 50–99 %: 1, 100 %+: 3.
    StudyRequirement.objects.create(
        rank_level=ky, total_hours=Decimal(20), integrity_hours=Decimal(5)
    )
    keys = iter(range(1, 1000))

    def hours(user: User, amount: str, *, integrity: bool, year: int = Y) -> None:
        StudyHourEntry.objects.create(
            user=user,
            year=year,
            hours=Decimal(amount),
            source=LedgerSource.OTHER,
            source_key=f"other:{next(keys)}",
            title="学习",
            integrity=integrity,
        )

    hours(F1, "15", integrity=True)
    hours(F1, "6", integrity=False)
    hours(F1, "5", integrity=True, year=Y - 1)
    hours(B2, "18", integrity=False)
    hours(B2, "4", integrity=True)
    hours(H1, "12", integrity=True)
    hours(H2, "3", integrity=False)
    hours(B1, "38", integrity=False)
    hours(B1, "12", integrity=True)
    hours(FA, "10", integrity=False)
    hours(X, "30", integrity=True)

    # --- 5. Pre-appointment (by the appointment's unit) ---------------------------------
    # B1 -> finance_budget, in progress, takes office in 10 days   -> pending (finance)
    # H2 -> finance (own unit housing_office!), in progress, +3 days -> pending (finance)
    # H1 -> housing_office, in progress, took office 5 days ago    -> overdue (housing)
    # F1 -> finance, cleared in Y                                  -> cleared (finance)
    # FA -> finance, cleared in Y-1                                -> Y-1 only
    # X (inactive) -> housing, in progress                         -> not counted
    # T -> city, cancelled                                         -> not counted
    def appoint(person: User, unit: Any, take_office: datetime.date, **kw: Any) -> Appointment:
        return AppointmentFactory(
            person=person,
            unit=unit,
            rank_level=person.rank_level or ky,
            decision_date=take_office - datetime.timedelta(days=30),
            take_office_date=take_office,
            **kw,
        )

    cleared = AppointmentStatus.CLEARED
    w.appointments = {
        "B1": appoint(B1, org.finance_budget, today + 10 * day),
        "H2": appoint(H2, finance, today + 3 * day),
        "H1": appoint(H1, org.housing_office, today - 5 * day),
        "F1": appoint(F1, finance, today - 20 * day, status=cleared, cleared_at=_at(Y, 1, 3)),
        "FA": appoint(
            FA, finance, datetime.date(Y - 1, 6, 1), status=cleared, cleared_at=_at(Y - 1, 6, 1)
        ),
        "X": appoint(X, org.housing, today + 10 * day),
        "T": appoint(T, city, today + 10 * day, status=AppointmentStatus.CANCELLED),
    }

    # --- 6. Certificates ----------------------------------------------------------------
    # F1: two current certificates of Y                 -> 2
    # B1: revoked (Y)                                   -> 0
    # B2: one superseded (Y), its replacement current (Y) -> 1
    # H1: current, issued in Y-1                        -> Y-1 only
    # X (inactive): current (Y)                         -> not counted
    # CA: current (Y)                                   -> 1
    # finance own 2, budget 1, housing 0, city own 1; total 4 (people: F1, B2, CA).
    def cert(user: User, issued: datetime.datetime, **kw: Any) -> Certificate:
        c = CertificateFactory(user=user, **kw)
        Certificate.objects.filter(pk=c.pk).update(issued_at=issued)
        return c

    in_y = _at(Y, 2, 1)
    replacement = cert(B2, in_y)
    w.certificates = {
        "F1a": cert(F1, in_y),
        "F1b": cert(F1, in_y),
        "B1": cert(B1, in_y, revoked_at=in_y),
        "B2": replacement,
        "B2old": cert(B2, in_y, is_current=False, superseded_by=replacement),
        "H1": cert(H1, _at(Y - 1, 2, 1)),
        "X": cert(X, in_y),
        "CA": cert(CA, in_y),
    }
    return w


# --- The figures, counted by hand (see the comments above) ---------------------------------

FIELDS = (
    "people",
    "required",
    "completed",
    "overdue",
    "overdue_people",
    "quiz_taken",
    "quiz_passed",
    "quiz_score_sum",
    "attendance_expected",
    "attendance_attended",
    "actions_required",
    "actions_done",
    "hours_people",
    "hours_met",
    "appointees_pending",
    "appointees_overdue",
    "appointees_cleared",
    "certificates",
)


def _row(*values: Any) -> dict[str, Any]:
    assert len(values) == len(FIELDS)
    return {
        name: Decimal(str(v)) if name == "quiz_score_sum" else v
        for name, v in zip(FIELDS, values, strict=True)
    }


#                  ppl req done od odp  qt qp  qsum    ae aa  ar ad  hp hm  ap ao ac cert
EXPECTED: dict[str, dict[str, Any]] = {
    # Year Y, unit = city (rows finance, housing, own city; total).
    "city/finance": _row(5, 6, 3, 2, 2, 3, 2, "230", 6, 4, 4, 3, 5, 2, 2, 0, 1, 3),
    "city/housing": _row(3, 3, 0, 2, 1, 2, 2, "128.9", 3, 2, 2, 1, 3, 0, 0, 1, 0, 0),
    "city/own": _row(2, 1, 1, 0, 0, 1, 1, "75.5", 1, 0, 2, 0, 2, 0, 0, 0, 0, 1),
    "city/total": _row(10, 10, 4, 4, 3, 6, 5, "434.4", 10, 6, 8, 4, 10, 2, 2, 1, 1, 4),
    # Year Y, unit = finance (rows finance_budget, own finance; total).
    "finance/budget": _row(2, 3, 2, 1, 1, 2, 1, "150", 3, 1, 1, 1, 2, 1, 1, 0, 0, 1),
    "finance/own": _row(3, 3, 1, 1, 1, 1, 1, "80", 3, 3, 3, 2, 3, 1, 1, 0, 1, 2),
    "finance/total": _row(5, 6, 3, 2, 2, 3, 2, "230", 6, 4, 4, 3, 5, 2, 2, 0, 1, 3),
    # Year Y-1, unit = city: H2's undated enrolment of Y-1 (not overdue: no due date);
    # (H1,q1) 90 passed; E0 F1 present; no actions; F1 5 h of 20 (not met);
    # appointments pending/overdue are the current state; FA cleared in Y-1; H1's
    # certificate of Y-1.
    "last/total": _row(10, 1, 0, 0, 0, 1, 1, "90", 1, 1, 0, 0, 10, 0, 2, 1, 1, 1),
}

# Charts, year Y, unit = city.
EXPECTED_HOURS_BUCKETS = [4, 2, 1, 3]  # 0 %, 1–49 %, 50–99 %, ≥ 100 %
EXPECTED_QUIZ_BUCKETS = [2, 0, 2, 1, 1]  # <60 (55, 58.9), 60–69, 70–79 (70, 75.5), 80s, 90s
EXPECTED_SERIES = [("E1", 6, 3), ("E2", 4, 3)]  # (event, expected, attended)
EXPECTED_SERIES_FINANCE = [("E1", 4, 2), ("E2", 2, 2)]

# Drill-down lists, year Y, unit = city: short names of the people each filter lists.
EXPECTED_PEOPLE = {
    "all": ["CA", "T", "FA", "D", "F1", "B1", "B2", "HA", "H1", "H2"],
    "overdue": ["F1", "B1", "H1"],  # = total.overdue_people
    "incomplete": ["F1", "FA", "B1", "H1", "H2"],
    "hours_short": ["CA", "T", "FA", "D", "B2", "HA", "H1", "H2"],  # = 10 - 2
    "absent": ["CA", "B1", "B2", "H1"],
    "quiz_failed": ["B1"],  # (B1,q1) = quiz_taken - quiz_passed
    "appointee_pending": ["B1", "H2", "H1"],  # pending 2 + overdue 1
    "appointee_overdue": ["H1"],
    "certified": ["CA", "F1", "B2"],  # certificate_count 1 + 2 + 1 = 4
}
