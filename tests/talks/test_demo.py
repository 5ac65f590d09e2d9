"""The talks demo: three appointments at different steps (one cleared, one past its
take-office date, one in progress), talks of every kind, pledge texts and signatures
(one of an older version, so a new version asks for a new signature); a second run adds
nothing."""

from __future__ import annotations

from people.factories import UserFactory, rank, unit_create
from people.models import Role
from people.services import role_grant
from talks.demo import demo_talks_build
from talks.models import (
    Appointment,
    AppointmentStatus,
    PledgeSignature,
    PledgeText,
    StepKind,
    StepStatus,
    TalkKind,
    TalkRecord,
)

from .test_appointment_support import programme_fixture  # noqa: F401

DOMAIN = "demo.example.cn"


def demo_org():
    city = unit_create(code="SZ", name="示范市")
    sjw = unit_create(code="SJW", name="市纪委监委", parent=city)
    czj = unit_create(code="CZJ", name="市财政局", parent=city)
    units = {"SJW": sjw, "CZJ": czj}
    for code, name, parent in (
        ("CZJ-YSK", "预算科", czj),
        ("CZJ-GKK", "国库科", czj),
        ("CZJ-ZFCG", "政府采购监督管理科", czj),
        ("ZJJ-JZSC", "建筑市场监管科", city),
        ("DCQ-CZJ", "区财政局", city),
        ("XCQ-ZJJ", "区住建局", city),
    ):
        units[code] = unit_create(code=code, name=name, parent=parent)
    admin = UserFactory(email=f"unitadmin@{DOMAIN}", full_name="王丽娟", unit=czj)
    officer = UserFactory(email=f"discipline@{DOMAIN}", full_name="赵志刚", unit=sjw)
    UserFactory(email=f"learner@{DOMAIN}", full_name="张建国", unit=units["CZJ-YSK"],
                rank_level=rank("ZKJ"))  # fmt: skip
    role_grant(user=admin, role=Role.UNIT_ADMIN, unit=czj)
    role_grant(user=officer, role=Role.DISCIPLINE_OFFICER, unit=city)
    for i, code in enumerate(
        ["CZJ-YSK", "CZJ-GKK", "CZJ-ZFCG", "ZJJ-JZSC", "DCQ-CZJ", "XCQ-ZJJ"], start=1
    ):
        UserFactory(email=f"p{i}@{DOMAIN}", full_name=f"干部{i}", unit=units[code],
                    rank_level=rank("KY"))  # fmt: skip


def test_demo_builds_every_state_once(db, programme, django_capture_on_commit_callbacks):
    demo_org()
    with django_capture_on_commit_callbacks(execute=True):
        counts = demo_talks_build(domain=DOMAIN)
    assert counts["appointments"] == 3
    statuses = sorted(Appointment.objects.values_list("status", flat=True))
    assert statuses.count(AppointmentStatus.CLEARED) == 1
    overdue = Appointment.objects.get(position_title="政府采购监督管理科副科长")
    assert overdue.status == AppointmentStatus.IN_PROGRESS
    assert overdue.take_office_date < overdue.created_at.date()
    mine = Appointment.objects.get(person__email=f"learner@{DOMAIN}")
    assert mine.status == AppointmentStatus.IN_PROGRESS
    assert set(TalkRecord.objects.values_list("kind", flat=True)) == set(TalkKind.values)
    assert PledgeText.objects.filter(position_kind="leading").count() == 2
    assert counts["signatures"] == 3
    assert signatures() == EXPECTED_SIGNATURES
    before = (
        Appointment.objects.count(),
        TalkRecord.objects.count(),
        PledgeText.objects.count(),
        PledgeSignature.objects.count(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        again = demo_talks_build(domain=DOMAIN)
    assert again["appointments"] == 0 and again["talks"] == 0 and again["signatures"] == 0
    assert before == (
        Appointment.objects.count(),
        TalkRecord.objects.count(),
        PledgeText.objects.count(),
        PledgeSignature.objects.count(),
    )
    assert signatures() == EXPECTED_SIGNATURES


#: (signer, kind of position, version, position of the appointment signed for): the same
#: on every build.
EXPECTED_SIGNATURES = [
    ("learner@demo.example.cn", "leading", 1, None),
    ("p2@demo.example.cn", "leading", 2, "国库科科长"),
    ("p3@demo.example.cn", "key", 1, "政府采购监督管理科副科长"),
]


def signatures() -> list[tuple[str, str, int, str | None]]:
    return sorted(
        (
            s.user.email,
            s.text.position_kind,
            s.text.version,
            getattr(s.appointment, "position_title", None),
        )
        for s in PledgeSignature.objects.select_related("user", "text", "appointment")
    )


def test_demo_signatures_show_each_state(db, programme, django_capture_on_commit_callbacks):
    from audit.models import AuditEntry
    from talks.selectors.pledges import RESIGN, SIGNED, pledge_items_for_official
    from talks.services.pledges import pledge_text_sha256

    demo_org()
    with django_capture_on_commit_callbacks(execute=True):
        demo_talks_build(domain=DOMAIN)
    # The demo learner signed the 2024 leading text before: the 2026 version asks for a
    # new signature, and their appointment's pledge step waits for it.
    learner = Appointment.objects.get(person__email=f"learner@{DOMAIN}")
    items = {i.position_kind: i for i in pledge_items_for_official(user=learner.person)}
    assert items["leading"].state == RESIGN
    assert items["leading"].current.version == 2
    assert [s.text.version for s in items["leading"].earlier] == [1]
    old = items["leading"].earlier[0]
    assert old.text_sha256 == pledge_text_sha256(text=old.text)
    assert old.signed_at < learner.created_at
    assert learner.steps.get(kind=StepKind.PLEDGE).status == StepStatus.PENDING
    # The overdue appointee signed and is still not cleared: the talk is to be held.
    overdue = Appointment.objects.get(position_title="政府采购监督管理科副科长")
    items = {i.position_kind: i for i in pledge_items_for_official(user=overdue.person)}
    assert items["key"].state == SIGNED
    assert overdue.steps.get(kind=StepKind.PLEDGE).status == StepStatus.DONE
    assert overdue.steps.get(kind=StepKind.TALK).status == StepStatus.PENDING
    # Every signature has its audit row.
    created = AuditEntry.objects.filter(action="create", object_type="talks.pledgesignature")
    assert sorted(created.values_list("object_id", flat=True)) == sorted(
        str(pk) for pk in PledgeSignature.objects.values_list("pk", flat=True)
    )
