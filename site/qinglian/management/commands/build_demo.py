"""Build the demo: a Chinese municipal organisation, ~60 people, one login per role.

Idempotent: every object is looked up by its natural key first, so a second run adds
nothing twice. Later issues add their content here.
"""

from __future__ import annotations

import random
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Site

from cases.demo import demo_cases_build
from certificates.demo import demo_certificate_templates_build, demo_certificates_build
from courses.demo import demo_activity_build, demo_courses_build
from dashboard.demo import demo_bulk_build, demo_history_build
from events.demo import demo_events_build
from people.factories import unit_create
from people.models import OrgUnit, RankLevel, Role, User
from people.services import role_grant
from qinglian.models import SiteSettings
from quizzes.demo import demo_quizzes_build
from talks.demo import demo_talks_build

DEMO_PASSWORD = "Qinglian-demo-2026"
DOMAIN = "demo.qinglian.cn"

# (code, name, parent code)
UNITS: list[tuple[str, str, str | None]] = [
    ("SZ", "示范市", None),
    ("SJW", "市纪委监委", "SZ"),
    ("SJW-JJ1", "第一纪检监察室", "SJW"),
    ("SJW-SLS", "案件审理室", "SJW"),
    ("SJW-XJS", "宣传部", "SJW"),
    ("CZJ", "市财政局", "SZ"),
    ("CZJ-BGS", "办公室", "CZJ"),
    ("CZJ-YSK", "预算科", "CZJ"),
    ("CZJ-GKK", "国库科", "CZJ"),
    ("CZJ-ZFCG", "政府采购监督管理科", "CZJ"),
    ("ZJJ", "市住房和城乡建设局", "SZ"),
    ("ZJJ-BGS", "办公室", "ZJJ"),
    ("ZJJ-JZSC", "建筑市场监管科", "ZJJ"),
    ("ZJJ-FDC", "房地产市场监管科", "ZJJ"),
    ("DCQ", "东城区", "SZ"),
    ("DCQ-ZFB", "区政府办公室", "DCQ"),
    ("DCQ-CZJ", "区财政局", "DCQ"),
    ("DCQ-HPJD", "和平街道办事处", "DCQ"),
    ("XCQ", "西城区", "SZ"),
    ("XCQ-ZFB", "区政府办公室", "XCQ"),
    ("XCQ-ZJJ", "区住房和城乡建设局", "XCQ"),
    ("XCQ-XFJD", "幸福街道办事处", "XCQ"),
]

# The demo logins: (email local part, name, unit, rank, position, role or None)
DEMO_LOGINS: list[tuple[str, str, str, str, str, str | None]] = [
    ("learner", "张建国", "CZJ-YSK", "ZKJ", "预算科科长", Role.LEARNER),
    ("trainer", "李明华", "SJW-XJS", "ZKJ", "宣传部干部", Role.TRAINER),
    ("unitadmin", "王丽娟", "CZJ", "FCJ", "财政局人事科科长", Role.UNIT_ADMIN),
    ("discipline", "赵志刚", "SJW", "ZCJ", "第一纪检监察室主任", Role.DISCIPLINE_OFFICER),
    ("leader", "孙晓梅", "CZJ", "ZCJ", "财政局局长", Role.UNIT_LEADER),
]
ROLE_SCOPE: dict[str, str] = {  # where each demo role holds
    Role.LEARNER: "CZJ-YSK",
    Role.TRAINER: "SZ",
    Role.UNIT_ADMIN: "CZJ",
    Role.DISCIPLINE_OFFICER: "SZ",
    Role.UNIT_LEADER: "CZJ",
}
# ``--size``: S is the small demo; M adds generated units and people with a year of
# history (``dashboard.demo.demo_bulk_build``) for the dashboard and its benchmark.
SIZE_M = {"people": 10_000, "enrolments": 100_000}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "文",
    "华",
    "红梅",
    "志强",
    "海燕",
    "晓东",
    "国庆",
    "玉兰",
    "德明",
    "振华",
    "喆",
    "堃",
    "子涵",
    "思远",
    "嘉怡",
    "浩然",
]
POSITIONS = {
    "KY": ["科员", "一级科员", "办事员"],
    "FKJ": ["副科长", "副主任科员"],
    "ZKJ": ["科长", "主任科员"],
    "FCJ": ["副局长", "副主任"],
    "ZCJ": ["局长", "主任"],
    "FTJ": ["副市长"],
}
# Leaf units get most people; bureaus hold their leaders.
PEOPLE_PLAN: list[tuple[str, list[str]]] = [
    ("SJW", ["ZCJ", "FCJ"]),
    ("SJW-JJ1", ["ZKJ", "FKJ", "KY", "KY"]),
    ("SJW-SLS", ["ZKJ", "KY", "KY"]),
    ("SJW-XJS", ["FKJ", "KY"]),
    ("CZJ", ["ZCJ", "FCJ", "FCJ"]),
    ("CZJ-BGS", ["ZKJ", "KY", "KY"]),
    ("CZJ-YSK", ["FKJ", "KY", "KY", "KY"]),
    ("CZJ-GKK", ["ZKJ", "KY", "KY"]),
    ("CZJ-ZFCG", ["ZKJ", "FKJ", "KY"]),
    ("ZJJ", ["ZCJ", "FCJ"]),
    ("ZJJ-BGS", ["ZKJ", "KY", "KY"]),
    ("ZJJ-JZSC", ["ZKJ", "FKJ", "KY", "KY"]),
    ("ZJJ-FDC", ["ZKJ", "KY", "KY"]),
    ("DCQ", ["FTJ", "ZCJ"]),
    ("DCQ-ZFB", ["ZKJ", "KY"]),
    ("DCQ-CZJ", ["FCJ", "ZKJ", "KY"]),
    ("DCQ-HPJD", ["ZKJ", "KY", "KY"]),
    ("XCQ", ["ZCJ", "FCJ"]),
    ("XCQ-ZFB", ["ZKJ", "KY"]),
    ("XCQ-ZJJ", ["FCJ", "ZKJ", "KY"]),
    ("XCQ-XFJD", ["ZKJ", "KY", "KY"]),
]


class Command(BaseCommand):
    help = _("Build the Chinese demo organisation and one login per role (idempotent).")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--size",
            choices=["S", "M"],
            default="S",
            help=_(
                "S: the small demo (default). M: the small demo plus 10,000 generated people"
                " with 100,000 required enrolments and a year of history."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo's notifications stay in the app, but their e-mails (one per demo
        # person and course) would bury the printed logins under thousands of lines of
        # console e-mail: the demo build sends none.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            self._build(size=options.get("size") or "S")

    def _build_m(self) -> None:
        t0 = time.perf_counter()
        counts = demo_bulk_build(
            people=SIZE_M["people"],
            enrolments=SIZE_M["enrolments"],
            year=timezone.localdate().year,
            domain=DOMAIN,
        )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Size M: %(people)d people, %(enrolments)d enrolments (%(completions)d"
                    " completed), %(attempts)d quiz attempts, %(attendance)d attendance records,"
                    " %(appointments)d appointments added in %(seconds).0f s."
                )
                % {**counts, "seconds": time.perf_counter() - t0}
            )
        )

    def _build(self, *, size: str) -> None:
        with transaction.atomic():
            units = self._units()
            ranks = {r.code: r for r in RankLevel.objects.all()}
            created = self._people(units, ranks)
            logins = self._logins(units, ranks)
            self._site_settings()
            # Before any completion is recorded, so the demo's certificates come from
            # the completion signals like real ones.
            demo_certificate_templates_build()
            cases = demo_cases_build()
            compilation = self._compilation()
            trainer = User.objects.filter(email=f"trainer@{DOMAIN}").first()
            quizzes = demo_quizzes_build(by=trainer)
            courses = demo_courses_build(quizzes=quizzes["quizzes"])
            activity = demo_activity_build(domain=DOMAIN)
            events = demo_events_build(domain=DOMAIN)
            demo_talks_build(domain=DOMAIN)
            certificates = demo_certificates_build(domain=DOMAIN)
            # Past-due courses and met study hours for the finance bureau, so its unit
            # admin and leader see every kind of dashboard figure.
            demo_history_build(domain=DOMAIN, year=timezone.localdate().year)
        if size == "M":
            self._build_m()
        self.stdout.write(
            self.style.SUCCESS(
                _("Demo ready: %(units)d units, %(people)d people (%(new)d new).")
                % {"units": OrgUnit.objects.count(), "people": User.objects.count(), "new": created}
            )
        )
        self.stdout.write(
            _("Case library: %(live)d live cases (%(new)d new).")
            % {"live": cases["live"], "new": cases["created"]}
        )
        if compilation is not None:
            compilation.refresh_from_db()
            self.stdout.write(
                _("Compilation: %(title)s (%(status)s).")
                % {"title": compilation.title, "status": compilation.get_status_display()}
            )
        self.stdout.write(
            _(
                "Courses: %(courses)d live courses, %(lessons)d lessons, %(talks)d honesty talks"
                " (%(new)d courses and talks added)."
            )
            % {
                "courses": courses["courses"],
                "lessons": courses["lessons"],
                "talks": courses["talks"],
                "new": courses["created"],
            }
        )
        self.stdout.write(
            _("Question bank: %(questions)d questions (%(new)d new), %(quizzes)d quizzes.")
            % {
                "questions": quizzes["questions"],
                "new": quizzes["created"],
                "quizzes": len(quizzes["quizzes"]),
            }
        )
        self.stdout.write(
            _(
                "Study records: %(assignments)d new assignments, %(course)d course-quiz"
                " attempts, %(contest)d knowledge-contest attempts."
            )
            % {
                "assignments": activity["assignments"],
                "course": activity["course_attempts"],
                "contest": activity["contest_attempts"],
            }
        )
        self.stdout.write(
            _(
                "Education month: %(events)d events (%(new)d new), %(attendance)d attendance"
                " records, %(actions)d actions and reports added."
            )
            % {
                "events": events["events"],
                "new": events["created"],
                "attendance": events["attendance"],
                "actions": events["actions"],
            }
        )
        self.stdout.write(
            _(
                "Certificates: %(current)d current (%(revoked)d revoked); see /me/certificates/"
                " and /verify/."
            )
            % {
                "current": certificates["certificates"],
                "revoked": certificates["revoked"],
            }
        )
        self._print_logins(logins)

    @staticmethod
    def _compilation() -> Any:
        """One 警示教育读本 of the demo cases, newest first. Ordering the same selection
        again reuses it, so a second run adds nothing."""
        from cases.models import CasePage
        from cases.services import compilation_order

        cases = list(CasePage.objects.live().order_by("-decision_date", "pk")[:6])
        trainer = User.objects.filter(email=f"trainer@{DOMAIN}").first()
        if not cases or trainer is None:
            return None
        return compilation_order(by=trainer, title="警示教育读本（示范）", cases=cases)

    def _units(self) -> dict[str, OrgUnit]:
        units: dict[str, OrgUnit] = {}
        for code, name, parent_code in UNITS:
            units[code] = unit_create(code=code, name=name, parent=units.get(parent_code or ""))
        return units

    def _people(self, units: dict[str, OrgUnit], ranks: dict[str, RankLevel]) -> int:
        rng = random.Random(2026)  # the same people on every run
        created = 0
        n = 0
        for unit_code, rank_codes in PEOPLE_PLAN:
            for rank_code in rank_codes:
                n += 1
                name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                number = f"SZ{n:05d}"
                _person, was_created = User.objects.get_or_create(
                    employee_number=number,
                    defaults={
                        "email": f"p{n:05d}@{DOMAIN}",
                        "full_name": name,
                        "unit": units[unit_code],
                        "rank_level": ranks[rank_code],
                        "position_title": rng.choice(POSITIONS[rank_code]),
                    },
                )
                if was_created:
                    _person.set_password(DEMO_PASSWORD)
                    _person.save(update_fields=["password"])
                    created += 1
        return created

    def _logins(
        self, units: dict[str, OrgUnit], ranks: dict[str, RankLevel]
    ) -> list[tuple[str, str, str]]:
        logins = []
        for local, name, unit_code, rank_code, position, role in DEMO_LOGINS:
            email = f"{local}@{DOMAIN}"
            user, created = User.objects.get_or_create(
                email=email,
                defaults={
                    "full_name": name,
                    "unit": units[unit_code],
                    "rank_level": ranks[rank_code],
                    "position_title": position,
                    "employee_number": f"DEMO-{local.upper()}",
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            if role is not None:
                role_grant(user=user, role=role, unit=units[ROLE_SCOPE[role]])
            self._verify_email(user)
            logins.append((str(Role(role).label) if role else "", email, name))
        admin_email = f"admin@{DOMAIN}"
        admin = User.objects.filter(email=admin_email).first()
        if admin is None:
            admin = User.objects.create_superuser(
                admin_email, DEMO_PASSWORD, full_name="系统管理员"
            )
        self._verify_email(admin)
        logins.append((_("Superuser"), admin_email, admin.full_name))
        return logins

    @staticmethod
    def _verify_email(user: User) -> None:
        from allauth.account.models import EmailAddress

        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )

    @staticmethod
    def _site_settings() -> None:
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            return
        settings_obj = SiteSettings.for_site(site)
        if not settings_obj.organisation_name:
            settings_obj.organisation_name = "示范市纪委监委"
            settings_obj.footer_note = "本站为演示站点，所有人员和案例均为虚构。"
            settings_obj.contact = "市纪委监委宣传部 0000-12345678"
            settings_obj.save()

    def _print_logins(self, logins: list[tuple[str, str, str]]) -> None:
        self.stdout.write("")
        self.stdout.write(_("Demo logins (password for all: %(pw)s)") % {"pw": DEMO_PASSWORD})
        for role, email, name in logins:
            self.stdout.write(f"  {email:<30} {name}（{role}）")
        self.stdout.write("")
