"""Issuing: one current certificate per person and achievement, created in the caller's
transaction with its render enqueued on commit; replacing for transcripts and reissues."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from certificates.achievements import Achievement, AchievementKind
from certificates.factories import CertificateTemplateFactory
from certificates.models import Certificate, CertificateTemplate, RenderStatus
from certificates.services.issuing import (
    add_months,
    certificate_code,
    certificate_replace,
    issue_certificate,
    issuer_default,
    template_choose,
)

pytestmark = pytest.mark.django_db

CROCKFORD = re.compile(r"^[0-9A-HJKMNP-TV-Z]{16}$")


def test_issuing_creates_one_current_certificate_and_renders_it_on_commit(
    org, course_achievement, cert_files, django_capture_on_commit_callbacks
):
    person = org.finance_learner
    with django_capture_on_commit_callbacks() as callbacks:
        certificate = issue_certificate(person, course_achievement())
    certificate.refresh_from_db()
    assert certificate.status == RenderStatus.PENDING and not certificate.file
    assert cert_files() == []
    for callback in callbacks:  # the commit
        callback()
    certificate.refresh_from_db()
    assert certificate.holder_name == "张三丰"
    assert certificate.kind == AchievementKind.COURSE
    assert certificate.achievement_key == "course:101"
    assert certificate.achievement_title == "纪律处分条例学习"
    assert certificate.hours == Decimal("2.0")
    assert certificate.source_id == 101
    assert certificate.is_current
    assert certificate.serial == f"QL-{certificate.issued_at.year}-{certificate.pk:06d}"
    assert CROCKFORD.match(certificate.code)
    assert certificate.status == RenderStatus.READY
    assert certificate.file.name == f"certificates/{certificate.serial}.pdf"
    assert cert_files() == [certificate.file.name]


def test_issuing_again_returns_the_same_certificate_and_enqueues_nothing(
    org, course_achievement, cert_files, django_capture_on_commit_callbacks
):
    person = org.finance_learner
    with django_capture_on_commit_callbacks(execute=True):
        one = issue_certificate(person, course_achievement())
    one.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True) as second:
        two = issue_certificate(person, course_achievement(title="别的标题"))
    assert one.pk == two.pk and second == []
    two.refresh_from_db()
    assert two.achievement_title == "纪律处分条例学习"
    assert (two.render_attempts, two.rendered_at) == (1, one.rendered_at)
    assert Certificate.objects.filter(user=person).count() == 1
    assert len(cert_files()) == 1


def test_issuing_in_a_transaction_that_rolls_back_leaves_nothing_and_enqueues_nothing(
    org, course_achievement, django_capture_on_commit_callbacks
):
    class Boom(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        issue_certificate(org.finance_learner, course_achievement())
        raise Boom
    assert callbacks == []
    assert not Certificate.objects.exists()


def test_each_person_and_achievement_gets_its_own_certificate(org, course_achievement):
    a = issue_certificate(org.finance_learner, course_achievement("course:1"))
    b = issue_certificate(org.finance_learner, course_achievement("course:2"))
    c = issue_certificate(org.budget_learner, course_achievement("course:1"))
    assert len({a.pk, b.pk, c.pk}) == 3
    assert len({a.code, b.code, c.code}) == 3
    assert c.holder_name == "李四"


def test_the_template_gives_language_issuer_and_expiry(org, course_achievement):
    CertificateTemplateFactory(kinds=["campaign"], issuer="别的单位")
    template = CertificateTemplateFactory(
        kinds=["course"], language="bilingual", issuer="某市纪委监委", validity_months=12
    )
    certificate = issue_certificate(
        org.finance_learner, course_achievement(achieved_on=datetime.date(2026, 2, 28))
    )
    assert certificate.template == template
    assert certificate.language == "bilingual"
    assert certificate.issuer == "某市纪委监委"
    assert certificate.expires_on == datetime.date(2027, 2, 28)


def test_without_a_template_the_default_design_and_the_organisation_issue_it(
    org, course_achievement
):
    from qinglian.pdf import organisation_name

    certificate = issue_certificate(org.finance_learner, course_achievement())
    assert certificate.template is None
    assert certificate.language == "zh-hans"
    assert certificate.issuer == organisation_name()
    assert certificate.expires_on is None


def test_the_cached_issuer_follows_the_site_settings(
    org, course_achievement, django_assert_num_queries
):
    """The organisation's name is read once and cached; saving the site settings drops it,
    so the next certificate carries the new name."""
    from wagtail.models import Site

    from qinglian.models import SiteSettings

    first = issue_certificate(org.finance_learner, course_achievement("course:1"))
    with django_assert_num_queries(0):
        assert issuer_default() == first.issuer
    settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    settings.organisation_name = "某县纪委监委"
    settings.save()
    second = issue_certificate(org.finance_learner, course_achievement("course:2"))
    assert second.issuer == "某县纪委监委"


def test_template_choose_takes_the_most_recently_updated_active_template_of_the_kind(db):
    older = CertificateTemplateFactory(kinds=["course", "campaign"])
    newer = CertificateTemplateFactory(kinds=["course"])
    CertificateTemplateFactory(kinds=["course"], is_active=False)
    assert template_choose("course") == newer
    assert template_choose("campaign") == older
    assert template_choose("appointment") is None
    CertificateTemplate.objects.filter(pk=older.pk).update(
        updated_at=newer.updated_at + datetime.timedelta(seconds=1)
    )
    assert template_choose("course") == older


def test_a_revoked_certificate_is_returned_as_it_is(org, course_achievement):
    first = issue_certificate(org.finance_learner, course_achievement())
    Certificate.objects.filter(pk=first.pk).update(revoked_at=datetime.datetime.now(datetime.UTC))
    again = issue_certificate(
        org.finance_learner, course_achievement(title="改过的标题"), replace_if_changed=True
    )
    assert again.pk == first.pk
    assert Certificate.objects.count() == 1


def transcript(details: dict, hours: str = "52.5") -> Achievement:
    return Achievement(
        kind=AchievementKind.TRANSCRIPT,
        key="transcript:2026",
        title="2026年度学时证明",
        achieved_on=datetime.date(2026, 12, 31),
        hours=Decimal(hours),
        details=details,
    )


def test_a_changed_transcript_replaces_the_current_certificate(
    org, cert_files, django_capture_on_commit_callbacks
):
    person = org.finance_learner
    rows = [{"date": "2026-03-01", "title": "课", "source": "course", "hours": "2.0"}]
    with django_capture_on_commit_callbacks(execute=True):
        first = issue_certificate(person, transcript({"year": 2026, "rows": rows}))
    with django_capture_on_commit_callbacks(execute=True) as unchanged:
        same = issue_certificate(
            person, transcript({"year": 2026, "rows": rows}), replace_if_changed=True
        )
    assert same.pk == first.pk and unchanged == []

    more = [*rows, {"date": "2026-04-01", "title": "会", "source": "event", "hours": "1.0"}]
    with django_capture_on_commit_callbacks(execute=True):
        new = issue_certificate(
            person, transcript({"year": 2026, "rows": more}, "53.5"), replace_if_changed=True
        )
    first.refresh_from_db()
    new.refresh_from_db()
    assert new.status == RenderStatus.READY
    assert new.pk != first.pk and new.is_current and not first.is_current
    assert first.superseded_by == new and first.superseded_at is not None
    assert new.details["rows"] == more and new.hours == Decimal("53.5")
    assert new.serial != first.serial and new.code != first.code
    assert Certificate.objects.filter(user=person, is_current=True).count() == 1
    assert cert_files() == sorted([first.file.name, new.file.name])


def test_replace_copies_the_achievement_reads_the_name_again_and_refuses_twice(
    org, course_achievement
):
    person = org.finance_learner
    old = issue_certificate(person, course_achievement())
    person.full_name = "张三峰"
    person.save(update_fields=["full_name"])
    template = CertificateTemplateFactory(kinds=["course"])
    new = certificate_replace(old, template=template)
    assert (new.achievement_key, new.achievement_title, new.hours) == (
        old.achievement_key,
        old.achievement_title,
        old.hours,
    )
    assert new.holder_name == "张三峰" and new.template == template
    assert old.superseded_by == new
    with pytest.raises(ValidationError):
        certificate_replace(Certificate.objects.get(pk=old.pk))
    assert Certificate.objects.filter(user=person).count() == 2


def test_verification_codes_are_80_random_bits_in_crockford_base32():
    codes = {certificate_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(CROCKFORD.match(code) for code in codes)
    assert not any(set(code) & set("ILOU") for code in codes)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2024, 1, 31), 1, datetime.date(2024, 2, 29)),
        (datetime.date(2026, 11, 15), 14, datetime.date(2028, 1, 15)),
        (datetime.date(2026, 3, 2), 0, datetime.date(2026, 3, 2)),
    ],
)
def test_expiry_adds_calendar_months(day, months, expected):
    assert add_months(day, months) == expected
