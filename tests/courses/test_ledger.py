"""The study-hour ledger: idempotent writes, completions booked in their local year, and
the yearly summary against the requirement of the person's rank level (or the default)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError

from courses.factories import CoursePageFactory
from courses.models import (
    CourseCompletion,
    CourseKind,
    LedgerSource,
    StudyHourEntry,
    StudyRequirement,
)
from courses.selectors.learning import hours_summary, ledger_list, ledger_years, requirement_for
from courses.services.ledger import ledger_ensure, ledger_record
from courses.signals import course_completed
from people.factories import rank

SHANGHAI = ZoneInfo("Asia/Shanghai")


def complete(user, course, when: datetime.datetime, *, hours="2.0", required=True):
    completion = CourseCompletion.objects.create(
        user=user, course=course, completed_at=when, hours=Decimal(hours), required=required
    )
    course_completed.send(sender=CourseCompletion, completion=completion)
    return completion


def record(user, key, *, year=2026, hours="1.0", required=True, integrity=True):
    return ledger_record(
        user=user,
        year=year,
        hours=Decimal(hours),
        source=LedgerSource.OTHER,
        source_key=key,
        title=f"entry {key}",
        required=required,
        integrity=integrity,
    )


def test_ledger_record_is_idempotent_by_source_key(org) -> None:
    first = record(org.finance_learner, "event:7", hours="3.0")
    again = record(org.finance_learner, "event:7", hours="9.0")  # a retry: nothing changes
    assert again.pk == first.pk
    assert again.hours == Decimal("3.0")
    assert StudyHourEntry.objects.filter(user=org.finance_learner).count() == 1
    # The key is per person: someone else's "event:7" is their own line.
    record(org.budget_learner, "event:7")
    assert StudyHourEntry.objects.count() == 2


def test_ledger_ensure_is_one_statement_and_keeps_the_first_entry(
    org, django_assert_num_queries
) -> None:
    first = record(org.finance_learner, "event:8", hours="2.0")
    with django_assert_num_queries(1):  # INSERT … ON CONFLICT DO NOTHING
        ledger_ensure(
            user=org.finance_learner, year=2027, hours=Decimal("5.0"),
            source=LedgerSource.EVENT, source_key="event:8", title="retry",
            required=False, integrity=False,
        )  # fmt: skip
    first.refresh_from_db()
    assert (first.year, first.hours, first.title) == (2026, Decimal("2.0"), "entry event:8")
    assert StudyHourEntry.objects.filter(user=org.finance_learner).count() == 1


def test_negative_hours_are_refused_not_ignored(org) -> None:
    """The INSERT ignores conflicts (SQLite: ``INSERT OR IGNORE``, which would also skip a
    failed check): hours below zero are refused before it, as the constraint refuses them."""
    with pytest.raises(IntegrityError):
        record(org.finance_learner, "event:9", hours="-1.0")
    assert not StudyHourEntry.objects.exists()


def test_completion_is_booked_once_in_its_local_year(org, course_tree) -> None:
    learner = org.finance_learner
    warning = CoursePageFactory(parent=course_tree.index, kind=CourseKind.WARNING)
    other = CoursePageFactory(parent=course_tree.index, kind=CourseKind.OTHER)
    # 23:30 on 31 December in Beijing is still 2025 there (15:30 UTC).
    late = complete(
        learner, warning, datetime.datetime(2025, 12, 31, 23, 30, tzinfo=SHANGHAI), hours="2.0"
    )
    # 00:30 on 1 January in Beijing is 2026 there, although it is 2025 in UTC.
    early = complete(
        learner,
        other,
        datetime.datetime(2026, 1, 1, 0, 30, tzinfo=SHANGHAI),
        hours="1.5",
        required=False,
    )
    course_completed.send(sender=CourseCompletion, completion=late)  # sent twice: one line

    entries = {e.source_key: e for e in StudyHourEntry.objects.filter(user=learner)}
    assert set(entries) == {f"course:{late.pk}", f"course:{early.pk}"}
    assert entries[f"course:{late.pk}"].year == 2025
    assert entries[f"course:{late.pk}"].integrity is True
    assert entries[f"course:{late.pk}"].source == LedgerSource.COURSE
    assert entries[f"course:{late.pk}"].title == warning.title
    assert entries[f"course:{early.pk}"].year == 2026
    assert entries[f"course:{early.pk}"].integrity is False  # "other" is not integrity education
    assert entries[f"course:{early.pk}"].required is False

    s2025 = hours_summary(user=learner, year=2025)
    s2026 = hours_summary(user=learner, year=2026)
    assert (s2025.total, s2025.integrity, s2025.required, s2025.elective) == (
        Decimal("2.0"),
        Decimal("2.0"),
        Decimal("2.0"),
        Decimal("0"),
    )
    assert (s2026.total, s2026.integrity, s2026.required, s2026.elective) == (
        Decimal("1.5"),
        Decimal("0"),
        Decimal("0"),
        Decimal("1.5"),
    )
    assert ledger_years(user=learner, current=2027) == [2027, 2026, 2025]
    assert [e.year for e in ledger_list(user=learner, year=2025)] == [2025]


def test_summary_totals_per_year_and_remaining(org) -> None:
    learner = org.finance_learner
    record(learner, "a", year=2025, hours="40.0")
    record(learner, "b", year=2026, hours="10.0", integrity=True)
    record(learner, "c", year=2026, hours="5.5", integrity=False, required=False)
    record(org.budget_learner, "d", year=2026, hours="30.0")  # someone else's

    summary = hours_summary(user=learner, year=2026)
    assert summary.total == Decimal("15.5")
    assert summary.integrity == Decimal("10.0")
    assert summary.required == Decimal("10.0")
    assert summary.elective == Decimal("5.5")
    # The migration's default: 50 h, of which 12 h integrity education.
    assert summary.total_target == Decimal("50")
    assert summary.integrity_target == Decimal("12")
    assert summary.total_remaining == Decimal("34.5")
    assert summary.integrity_remaining == Decimal("2.0")
    assert not summary.total_met and not summary.integrity_met and not summary.met
    assert summary.total_percent == 31

    record(learner, "e", year=2026, hours="40.0")
    summary = hours_summary(user=learner, year=2026)
    assert summary.total_met and summary.integrity_met and summary.met
    assert summary.total_remaining == Decimal("0")
    assert summary.total_percent == 100


def test_requirement_of_the_rank_level_else_the_default(org) -> None:
    default = StudyRequirement.objects.get(rank_level__isnull=True)
    section_chief = rank("ZKJ")
    special = StudyRequirement.objects.create(
        rank_level=section_chief, total_hours=Decimal("80"), integrity_hours=Decimal("20")
    )
    assert org.finance_admin.rank_level == section_chief
    assert requirement_for(user=org.finance_admin) == special
    assert requirement_for(user=org.finance_learner) == default  # 科员: no row of its own
    summary = hours_summary(user=org.finance_admin, year=2026)
    assert (summary.total_target, summary.integrity_target) == (Decimal("80"), Decimal("20"))
    assert hours_summary(user=org.finance_learner, year=2026).total_target == Decimal("50")


def test_person_without_rank_gets_the_default(org) -> None:
    org.finance_learner.rank_level = None
    org.finance_learner.save()
    assert requirement_for(user=org.finance_learner).rank_level is None
