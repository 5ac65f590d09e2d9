"""The yearly study-hour transcript: a certificate of the person's ledger for one year,
asked for on "My study-hour ledger". Same ledger → the same certificate; a changed
ledger → a new one and the old superseded; a year without entries is refused."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from certificates.achievements import AchievementKind
from certificates.models import Certificate, RenderStatus
from courses.models import LedgerSource, StudyHourEntry, StudyRequirement
from courses.services.ledger import ledger_record
from courses.services.transcript import transcript_achievement, transcript_issue

TZ = datetime.timezone(datetime.timedelta(hours=8))


def url(name: str, *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(name, args=args)


def entry(user, key: str, hours: str, title: str, *, day: datetime.date, **kwargs):
    row = ledger_record(
        user=user,
        year=day.year,
        hours=Decimal(hours),
        source=kwargs.pop("source", LedgerSource.COURSE),
        source_key=key,
        title=title,
        required=kwargs.pop("required", True),
        integrity=kwargs.pop("integrity", True),
    )
    StudyHourEntry.objects.filter(pk=row.pk).update(
        recorded_at=datetime.datetime.combine(day, datetime.time(10), tzinfo=TZ)
    )
    return row


@pytest.fixture
def ledger(org):
    person = org.finance_learner
    StudyRequirement.objects.update_or_create(
        rank_level=person.rank_level, defaults={"total_hours": 50, "integrity_hours": 12}
    )
    entry(person, "course:1", "2.0", "党章党规专题", day=datetime.date(2026, 3, 1))
    entry(
        person,
        "event:9",
        "3.5",
        "警示教育大会",
        day=datetime.date(2026, 5, 12),
        source=LedgerSource.EVENT,
        required=False,
    )
    entry(person, "course:0", "4.0", "去年的课程", day=datetime.date(2025, 6, 1))
    return person


def test_the_achievement_is_the_ledger_of_that_year(ledger):
    achievement = transcript_achievement(user=ledger, year=2026)
    assert achievement.kind == AchievementKind.TRANSCRIPT
    assert achievement.key == "transcript:2026" and achievement.source_id == 2026
    assert achievement.title == "2026年度学时证明"
    assert achievement.achieved_on == datetime.date(2026, 5, 12)  # the last entry's day
    assert achievement.hours == Decimal("5.5")
    details = achievement.details
    assert details["year"] == 2026
    assert details["total_hours"] == "5.5" and details["required_hours"] == "50.0"
    assert details["rows"] == [
        {
            "date": "2026-03-01",
            "title": "党章党规专题",
            "source": "course",
            "hours": "2.0",
            "required": True,
            "integrity": True,
        },
        {
            "date": "2026-05-12",
            "title": "警示教育大会",
            "source": "event",
            "hours": "3.5",
            "required": False,
            "integrity": True,
        },
    ]
    # The same ledger always describes the same achievement.
    assert transcript_achievement(user=ledger, year=2026) == achievement


def test_a_year_without_entries_is_refused(ledger):
    with pytest.raises(ValidationError):
        transcript_issue(user=ledger, year=2024)
    assert not Certificate.objects.exists()


def test_the_button_issues_once_and_again_only_when_the_ledger_changed(
    client, ledger, django_capture_on_commit_callbacks
):
    client.force_login(ledger)
    hours_page = client.get(url("me:hours") + "?year=2026").content.decode()
    assert "Transcript PDF for 2026" in hours_page
    assert f'action="{url("my_certificates:transcript")}"' in hours_page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("my_certificates:transcript"), {"year": "2026"}, follow=True)
    assert response.redirect_chain[-1][0] == url("my_certificates:list")
    first = Certificate.objects.get(user=ledger, kind=AchievementKind.TRANSCRIPT)
    assert first.status == RenderStatus.READY  # rendered on commit (eager in tests)
    body = response.content.decode()
    assert "2026年度学时证明" in body and first.serial in body
    assert "is being prepared" in body

    # A second click with the same ledger: the same certificate, nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("my_certificates:transcript"), {"year": "2026"}, follow=True)
    assert Certificate.objects.filter(user=ledger).count() == 1
    assert "have not changed" in response.content.decode()

    # More hours recorded: a new transcript; the old one is superseded.
    entry(ledger, "course:2", "1.5", "新增课程", day=datetime.date(2026, 6, 2))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("my_certificates:transcript"), {"year": "2026"}, follow=True)
    first.refresh_from_db()
    second = Certificate.objects.get(user=ledger, is_current=True)
    assert second.pk != first.pk and not first.is_current
    assert second.details["total_hours"] == "7.0"
    assert second.achieved_on == datetime.date(2026, 6, 2)
    current_part, past_part = response.content.decode().split(
        "Superseded and revoked certificates", 1
    )
    assert second.serial in current_part
    assert first.serial in past_part and "Superseded" in past_part


def test_the_button_refuses_a_year_without_entries_with_a_message(client, ledger):
    client.force_login(ledger)
    response = client.post(url("my_certificates:transcript"), {"year": "2024"}, follow=True)
    assert response.redirect_chain[-1][0] == url("me:hours") + "?year=2024"
    assert "No study hours are recorded in 2024" in response.content.decode()
    assert not Certificate.objects.exists()


def test_no_button_for_a_year_without_entries(client, org):
    client.force_login(org.housing_learner)
    assert "Transcript PDF for" not in client.get(url("me:hours")).content.decode()


def test_the_transcript_is_post_only_and_for_logged_in_people(client, ledger):
    response = client.post(url("my_certificates:transcript"), {"year": "2026"})
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(ledger)
    assert client.get(url("my_certificates:transcript")).status_code == 405
    assert not Certificate.objects.exists()


@pytest.mark.parametrize("year", ["", "abc", "2026.5", "-1", "99999999999999999999"])
def test_a_bad_year_gets_a_message_and_changes_nothing(client, ledger, year):
    client.force_login(ledger)
    response = client.post(url("my_certificates:transcript"), {"year": year}, follow=True)
    assert response.status_code == 200
    assert not Certificate.objects.exists()
