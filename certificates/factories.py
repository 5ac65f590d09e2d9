"""Factories for certificates; used by tests and ``build_demo``. ``CertificateFactory``
creates a row directly (no render task): pass ``user``; use ``issue_certificate`` to test
issuing itself."""

from __future__ import annotations

import datetime
import secrets

import factory
from factory.django import DjangoModelFactory

from .achievements import AchievementKind
from .models import Certificate, CertificateTemplate, Signatory


class CertificateTemplateFactory(DjangoModelFactory):
    class Meta:
        model = CertificateTemplate

    name = factory.Sequence(lambda n: f"结业证书模板 {n}")
    kinds = factory.LazyFunction(lambda: [AchievementKind.COURSE.value])
    title = "结业证书"
    body = "{name}同志：\n你于{date}完成“{achievement}”学习，共计{hours}学时，特发此证。"
    title_en = "Certificate of Completion"
    body_en = "{name} completed “{achievement}” on {date}: {hours} study hours."


class SignatoryFactory(DjangoModelFactory):
    class Meta:
        model = Signatory

    template = factory.SubFactory(CertificateTemplateFactory)
    name = "王清正"
    title = "市纪委监委宣传部部长"


class CertificateFactory(DjangoModelFactory):
    class Meta:
        model = Certificate

    holder_name = factory.LazyAttribute(lambda o: o.user.full_name)
    kind = AchievementKind.COURSE
    source_id = factory.Sequence(lambda n: 1000 + n)
    achievement_key = factory.LazyAttribute(lambda o: f"{o.kind}:{o.source_id}")
    achievement_title = "党纪学习教育专题课程"
    achieved_on = factory.LazyFunction(lambda: datetime.date(2026, 11, 20))
    code = factory.LazyFunction(lambda: secrets.token_hex(10).upper())
    serial = factory.Sequence(lambda n: f"QL-2026-{900000 + n:06d}")
