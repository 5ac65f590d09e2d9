"""The clean-government file (廉政档案): sections, who may read it (page and PDF), an audit
row for every read and none for a refusal, and query counts that do not grow with the
records."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader
from wagtail.models import Page

from audit.models import AuditEntry
from certificates.factories import CertificateFactory
from certificates.models import Certificate, RenderStatus
from courses.factories import CourseIndexPageFactory, CoursePageFactory
from courses.models import CourseCompletion, StudyHourEntry
from events.factories import EventFactory
from events.models import Attendance, AttendanceMethod, AttendanceStatus
from people.factories import rank
from quizzes.factories import QuizFactory
from quizzes.models import Attempt, AttemptStatus
from talks.factories import AppointmentFactory, PledgeTextFactory
from talks.models import PledgeSignature, ProgrammeStep, StepKind, TalkKind, TalkRecord, TalkStatus
from talks.pdf import file_html
from talks.selectors.file import file_build

FILE = "talks.integrityfile"


def url(name: str, *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(name, args=args)


def pdf_text(data: bytes) -> str:
    return "".join(
        "".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages
    )


class Records:
    """Adds ``n`` records to every section of ``person``'s file."""

    def __init__(self, org):
        self.org = org
        home = Page.objects.get(depth=2)
        self.index = CourseIndexPageFactory(parent=home, slug="file-courses")
        self.made = 0

    def add(self, person, n: int, *, talker=None) -> None:
        org = self.org
        for _ in range(n):
            self.made += 1
            i = self.made
            course = CoursePageFactory(
                parent=self.index, title=f"廉政课程{i}", slug=f"file-course-{i}"
            )
            done = CourseCompletion.objects.create(
                user=person, course=course, hours=Decimal("2.0"), required=True
            )
            StudyHourEntry.objects.create(
                user=person,
                year=2024 + i % 3,
                hours=Decimal("2.0"),
                source="course",
                source_key=f"course:{done.pk}",
                title=course.title,
            )
            quiz = QuizFactory(title=f"廉洁知识测试{i}", slug=f"file-quiz-{i}", section=False)
            Attempt.objects.create(
                quiz=quiz,
                user=person,
                number=1,
                status=AttemptStatus.SUBMITTED,
                submitted_at=timezone.now(),
                score=Decimal("85"),
                max_score=Decimal("100"),
                percent=Decimal("85"),
                passed=True,
            )
            event = EventFactory(
                title=f"警示教育大会{i}", audience_unit=org.city, trainer=org.trainer
            )
            Attendance.objects.create(
                event=event,
                user=person,
                status=AttendanceStatus.PRESENT,
                method=AttendanceMethod.ROSTER,
            )
            talk = TalkRecord.objects.create(
                kind=TalkKind.REMINDER,
                official=person,
                unit=person.unit,
                scheduled_at=timezone.now() - datetime.timedelta(days=i),
                place=f"谈话室{i}",
                status=TalkStatus.RECORDED,
                content=f"内部记录{i}",
                outline=f"内部提纲{i}",
            )
            talk.talkers.add(talker or org.discipline)
            text = PledgeTextFactory(
                position_kind="key", version=i, is_current=False, title=f"承诺书{i}"
            )
            # Old versions cannot be signed through the service any more: write the row.
            PledgeSignature(
                text=text,
                user=person,
                typed_name=person.full_name,
                text_sha256="0" * 64,
            ).save(force_insert=True)
            appointment = AppointmentFactory(
                person=person, unit=person.unit, rank_level=rank("FKJ"), position_title=f"副科长{i}"
            )
            for kind in StepKind:
                ProgrammeStep.objects.create(appointment=appointment, kind=kind)
            CertificateFactory(
                user=person,
                source_id=90000 + i,
                achievement_title=f"结业证书课程{i}",
                status=RenderStatus.READY,
            )


@pytest.fixture
def records(org):
    return Records(org)


@pytest.fixture
def pre_talk(org):
    """A pre-appointment talk with the official: they see its summary and their statement,
    never the outline or the record."""
    appointment = AppointmentFactory(
        person=org.finance_learner, unit=org.finance, rank_level=rank("FKJ")
    )
    talk = TalkRecord.objects.create(
        kind=TalkKind.PRE_APPOINTMENT,
        official=org.finance_learner,
        unit=org.finance,
        appointment=appointment,
        scheduled_at=timezone.now(),
        place="纪委谈话室",
        status=TalkStatus.RECORDED,
        outline="内部提纲：重点提醒",
        content="内部记录：谈话内容",
        summary="任前谈话摘要：严守纪律",
        official_statement="本人表态：坚决遵守",
    )
    talk.talkers.add(org.discipline)
    return talk


# --- The official's own file ---------------------------------------------------------


def test_my_file_shows_every_section_and_writes_a_read_row(client, org, records, pre_talk):
    records.add(org.finance_learner, 1)
    client.force_login(org.finance_learner)
    response = client.get(url("integrity_file:mine"))
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.content.decode()
    for heading in (
        "Profile",
        "Courses and study hours",
        "Test results",
        "Attendance at education events",
        "Clean-government talks",
        "Integrity pledges",
        "Appointments and the pre-appointment programme",
        "Certificates",
    ):
        assert heading in body, heading
    assert "市财政局" in body
    assert "廉政课程1" in body and "廉洁知识测试1" in body and "警示教育大会1" in body
    assert "承诺书1" in body and "副科长1" in body
    # The official's view of talks: the pre-appointment summary and statement only.
    assert "任前谈话摘要：严守纪律" in body and "本人表态：坚决遵守" in body
    assert "内部提纲" not in body and "内部记录" not in body
    entry = AuditEntry.objects.get(action="read", object_type=FILE)
    assert entry.subject == org.finance_learner and entry.actor == org.finance_learner
    assert entry.object_id == str(org.finance_learner.pk)
    shown = sorted(
        TalkRecord.objects.filter(official=org.finance_learner).values_list("pk", flat=True)
    )
    assert entry.detail["format"] == "html" and sorted(entry.detail["talks"]) == shown
    assert len(shown) == 2


def test_my_file_as_pdf(client, org, records, pre_talk):
    records.add(org.finance_learner, 1)
    client.force_login(org.finance_learner)
    response = client.get(url("integrity_file:mine_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "张三丰" in text and "市财政局" in text
    assert "任前谈话摘要" in text and "内部记录" not in text
    meta = PdfReader(io.BytesIO(response.content)).metadata
    assert "张三丰" in meta.title and meta.author
    entry = AuditEntry.objects.get(action="read", object_type=FILE)
    shown = sorted(
        TalkRecord.objects.filter(official=org.finance_learner).values_list("pk", flat=True)
    )
    assert entry.detail["format"] == "pdf" and sorted(entry.detail["talks"]) == shown
    assert len(shown) == 2


def test_the_certificates_section_is_there_and_empty(org):
    file = file_build(viewer=org.finance_learner, person=org.finance_learner)
    assert file.certificates == []


def test_the_file_lists_certificates_with_serial_title_date_and_state(client, org):
    person = org.finance_learner
    valid = CertificateFactory(
        user=person, achievement_title="党纪学习教育专题课程", status=RenderStatus.READY
    )
    old = CertificateFactory(
        user=person,
        achievement_title="旧版证书课程",
        achieved_on=datetime.date(2026, 3, 5),
        status=RenderStatus.READY,
        is_current=False,
        superseded_at=timezone.now(),
    )
    revoked = CertificateFactory(
        user=person,
        achievement_title="被撤销的证书",
        status=RenderStatus.READY,
        revoked_at=datetime.datetime(2026, 10, 9, 8, tzinfo=datetime.UTC),
    )
    CertificateFactory(user=org.budget_learner, achievement_title="别人的证书")
    file = file_build(viewer=person, person=person)
    assert file.certificates[0].pk == valid.pk  # current ones first
    assert {c.pk: c.state for c in file.certificates} == {
        valid.pk: "valid",
        old.pk: "superseded",
        revoked.pk: "revoked",
    }

    client.force_login(person)
    body = client.get(url("integrity_file:mine")).content.decode()
    section = body.split('id="file-certificates"', 1)[1]
    for certificate in (valid, old, revoked):
        assert certificate.serial in section and certificate.achievement_title in section
    assert "2026-03-05" in section and "别人的证书" not in section
    assert "Valid" in section and "Superseded" in section and "Revoked · 2026-10-09" in section

    text = pdf_text(client.get(url("integrity_file:mine_pdf", lang="zh-hans")).content)
    assert valid.serial in text and "党纪学习教育专题课程" in text
    assert revoked.serial in text and "被撤销的证书" in text
    assert Certificate.objects.filter(user=person).count() == 3


# --- Someone else's file -------------------------------------------------------------


def test_a_discipline_officer_in_scope_reads_the_file(client, org, records, pre_talk):
    records.add(org.budget_learner, 1, talker=org.trainer)
    client.force_login(org.discipline)
    response = client.get(url("integrity_file:person", org.budget_learner.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert "李四" in body and "预算科" in body and "谈话室1" in body
    assert "培训师" in body  # the talkers
    entry = AuditEntry.objects.get(action="read", object_type=FILE)
    assert entry.actor == org.discipline and entry.subject == org.budget_learner
    pdf = client.get(url("integrity_file:person_pdf", org.budget_learner.pk))
    assert pdf.status_code == 200 and "李四" in pdf_text(pdf.content)
    assert AuditEntry.objects.filter(action="read", object_type=FILE).count() == 2


@pytest.mark.parametrize(
    "who",
    ["finance_admin", "city_admin", "superuser", "budget_learner", "trainer", "housing_admin"],
)
def test_nobody_else_reads_the_file_and_no_read_row_is_written(client, org, pre_talk, records, who):
    # The trainer is a talker of the official's talks: that opens the talk, not the file.
    records.add(org.finance_learner, 1, talker=org.trainer)
    viewer = getattr(org, who)
    client.force_login(viewer)
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    assert client.get(url("integrity_file:person", org.finance_learner.pk)).status_code == 404
    assert client.get(url("integrity_file:person_pdf", org.finance_learner.pk)).status_code == 404
    rows = list(AuditEntry.objects.filter(id__gt=before).order_by("id"))
    # One ``denied`` row per refusal (who, whose file, which format), nothing else.
    assert [(r.action, r.actor, r.object_type, r.object_id, r.detail) for r in rows] == [
        ("denied", viewer, FILE, str(org.finance_learner.pk), {"format": "html"}),
        ("denied", viewer, FILE, str(org.finance_learner.pk), {"format": "pdf"}),
    ]
    # The refusal names nobody: the visitor learns nothing, the row tells no reader more.
    assert all(r.subject_id is None and r.subject_unit_path == "" for r in rows)


def test_a_discipline_officer_outside_the_scope_gets_a_404(client, org):
    client.force_login(org.discipline)
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    assert client.get(url("integrity_file:person", org.housing_learner.pk)).status_code == 404
    assert client.get(url("integrity_file:person_pdf", org.housing_learner.pk)).status_code == 404
    assert client.get(url("integrity_file:person", 999999)).status_code == 404
    rows = AuditEntry.objects.filter(id__gt=before).order_by("id")
    assert list(rows.values_list("action", "actor", "object_id")) == [
        ("denied", org.discipline.pk, str(org.housing_learner.pk)),
        ("denied", org.discipline.pk, str(org.housing_learner.pk)),
        ("denied", org.discipline.pk, "999999"),
    ]
    assert not AuditEntry.objects.filter(action="read").exists()


def test_my_own_id_goes_to_my_file(client, org):
    client.force_login(org.finance_learner)
    response = client.get(url("integrity_file:person", org.finance_learner.pk))
    assert response.status_code == 302 and response["Location"] == url("integrity_file:mine")
    assert not AuditEntry.objects.filter(object_type=FILE).exists()


def test_anonymous_visitors_are_sent_to_log_in(client, org):
    for target in (
        url("integrity_file:mine"),
        url("integrity_file:mine_pdf"),
        url("integrity_file:person", org.finance_learner.pk),
    ):
        response = client.get(target)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", ["integrity_file:mine", "integrity_file:mine_pdf"])
def test_a_failing_audit_row_means_nothing_is_shown(client, org, monkeypatch, name):
    def broken(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("talks.views_file.audit_record", broken)
    client.force_login(org.finance_learner)
    with pytest.raises(RuntimeError):
        client.get(url(name))


def test_the_pdf_template_escapes_content(org, pre_talk):
    pre_talk.summary = "<script>alert(1)</script>"
    pre_talk.save()
    file = file_build(viewer=org.finance_learner, person=org.finance_learner)
    assert "<script>alert" not in file_html(file=file)


# --- Query counts --------------------------------------------------------------------


def _count(client, target: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(target).status_code == 200
    return len(ctx.captured_queries)


def test_my_file_needs_the_same_queries_for_one_or_many_records(
    client, org, records, django_assert_max_num_queries
):
    client.force_login(org.finance_learner)
    target = url("integrity_file:mine")
    records.add(org.finance_learner, 1)
    _count(client, target)  # the first request after logging in does one-off work
    one = _count(client, target)
    records.add(org.finance_learner, 4)
    assert _count(client, target) == one
    with django_assert_max_num_queries(26):
        client.get(target)


def test_the_officers_view_needs_the_same_queries_for_one_or_many_records(
    client, org, records, django_assert_max_num_queries
):
    client.force_login(org.discipline)
    target = url("integrity_file:person", org.budget_learner.pk)
    records.add(org.budget_learner, 1)
    _count(client, target)
    one = _count(client, target)
    records.add(org.budget_learner, 4)
    assert _count(client, target) == one
    with django_assert_max_num_queries(28):
        client.get(target)
