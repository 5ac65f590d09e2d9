"""Factories for the pre-appointment programme and talks; used by tests and ``build_demo``."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from .models import Appointment, PledgeText, PositionKind


class PledgeTextFactory(DjangoModelFactory):
    class Meta:
        model = PledgeText

    position_kind = PositionKind.LEADING
    version = 1
    title = "领导干部廉政承诺书"
    body = (
        "本人郑重承诺：坚决贯彻落实中央八项规定精神，严守政治纪律和政治规矩；"
        "不利用职权为本人及亲属谋取私利；不收受可能影响公正执行公务的礼品礼金；"
        "自觉接受组织和群众监督。"
    )


class AppointmentFactory(DjangoModelFactory):
    """Pass ``person``, ``unit``, ``rank_level`` (and ``created_by``). Note: creating the
    row this way does not start the programme; ``talks.services.appointments`` does."""

    class Meta:
        model = Appointment

    position_title = "副科长"
    position_kind = PositionKind.LEADING
    decision_date = factory.LazyFunction(timezone.localdate)
    take_office_date = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=14)
    )
