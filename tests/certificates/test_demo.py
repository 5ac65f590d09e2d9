"""The certificates demo: a Chinese template for every kind of achievement, each with two
signatories and the generated red seal (a PNG in the 证书 collection), one bilingual
template; then one revoked certificate with its reason, one superseded by a reissue and
the demo learner's transcript, all rendered; a second run adds nothing."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image
from wagtail.images import get_image_model

from certificates.achievements import Achievement, AchievementKind
from certificates.demo import (
    COLLECTION_NAME,
    REVOKE_REASON,
    demo_certificate_templates_build,
    demo_certificates_build,
    seal_png,
)
from certificates.models import Certificate, CertificateTemplate, RenderStatus, TemplateLanguage
from certificates.services.issuing import issue_certificate
from courses.services.ledger import ledger_record
from people.factories import UserFactory

pytestmark = pytest.mark.django_db
DOMAIN = "demo.example.cn"


def test_seal_is_a_red_round_stamp_on_a_transparent_background():
    image = Image.open(io.BytesIO(seal_png("示范市纪委监委"))).convert("RGBA")
    assert image.size == (480, 480)
    assert image.getpixel((2, 2))[3] == 0  # corner outside the ring: transparent
    r, g, b, a = image.getpixel((240, 240))  # the star's centre
    assert a == 255 and r > 150 and g < 60 and b < 60
    r, g, b, a = image.getpixel((240, 26))  # on the ring, top
    assert a > 0 and r > 150 and g < 60


def test_templates_for_every_kind_with_two_signatories_and_the_seal_once():
    first = demo_certificate_templates_build()
    assert first["created"] == 5
    by_kind = {
        kind: [t for t in CertificateTemplate.objects.all() if kind in t.kinds]
        for kind in AchievementKind.values
    }
    assert [t.title for t in by_kind[AchievementKind.COURSE]] == ["结业证书"]
    assert "党风廉政建设宣传教育月" in by_kind[AchievementKind.CAMPAIGN][0].title
    assert by_kind[AchievementKind.APPOINTMENT][0].title == "任前廉政教育合格证书"
    assert by_kind[AchievementKind.TRANSCRIPT][0].title == "年度学时证明"
    bilingual = CertificateTemplate.objects.get(language=TemplateLanguage.BILINGUAL)
    assert bilingual.title_en and bilingual.body_en
    for template in CertificateTemplate.objects.all():
        assert template.signatories.count() == 2, template.name
        assert template.seal is not None and template.seal.collection.name == COLLECTION_NAME
    seal = CertificateTemplate.objects.first().seal
    with seal.open_file() as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"

    again = demo_certificate_templates_build()
    assert again["created"] == 0
    assert CertificateTemplate.objects.count() == 5
    assert get_image_model().objects.filter(collection__name=COLLECTION_NAME).count() == 1


def _course(user, n: int) -> Certificate:
    return issue_certificate(
        user,
        Achievement(
            kind=AchievementKind.COURSE,
            key=f"course:{n}",
            title="深入贯彻中央八项规定精神",
            achieved_on=datetime.date(2026, 11, 2),
            hours=Decimal("4.0"),
            source_id=n,
        ),
    )


def test_examples_revoked_superseded_and_transcript_rendered_once(
    django_capture_on_commit_callbacks,
):
    learner = UserFactory(email=f"learner@{DOMAIN}", full_name="张建国")
    other = UserFactory(email=f"p1@{DOMAIN}", full_name="李四")
    UserFactory(email=f"admin@{DOMAIN}", full_name="系统管理员", is_superuser=True)
    year = timezone.localdate().year
    ledger_record(user=learner, year=year, hours=Decimal("4.0"), source="course",
                  source_key="course:1", title="深入贯彻中央八项规定精神", required=True,
                  integrity=True)  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        demo_certificate_templates_build()
        mine = _course(learner, 1)
        theirs = _course(other, 2)
    with django_capture_on_commit_callbacks(execute=True):
        counts = demo_certificates_build(domain=DOMAIN)
    assert counts["added"] == 3 and counts["revoked"] == 1

    theirs.refresh_from_db()
    assert theirs.revoked_at is not None and theirs.revoked_reason == REVOKE_REASON
    mine.refresh_from_db()
    assert not mine.is_current and mine.superseded_by is not None
    replacement = mine.superseded_by
    assert replacement.is_current and replacement.template.language == TemplateLanguage.BILINGUAL
    transcript = Certificate.objects.get(user=learner, achievement_key=f"transcript:{year}")
    assert transcript.template.title == "年度学时证明"
    for certificate in (replacement, transcript):
        certificate.refresh_from_db()
        assert certificate.status == RenderStatus.READY, certificate.error
        with certificate.file.open("rb") as fh:
            assert fh.read(5) == b"%PDF-"

    before = list(Certificate.objects.order_by("pk").values_list("pk", "is_current", "revoked_at"))
    with django_capture_on_commit_callbacks(execute=True):
        again = demo_certificates_build(domain=DOMAIN)
    assert again["added"] == 0
    assert before == list(
        Certificate.objects.order_by("pk").values_list("pk", "is_current", "revoked_at")
    )
