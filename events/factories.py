"""Factories for the education month; used by the tests and by ``build_demo``."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from .models import ActionKind, Campaign, CampaignAction, Event, EventKind


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = Campaign

    year = factory.LazyFunction(lambda: timezone.localdate().year)
    title = factory.LazyAttribute(lambda o: f"{o.year}年党风廉政建设宣传教育月")
    theme = "筑牢思想防线 严守纪律规矩"
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=20))


class CampaignActionFactory(DjangoModelFactory):
    class Meta:
        model = CampaignAction

    campaign = factory.SubFactory(CampaignFactory)
    kind = ActionKind.REQUIRED
    unit = None
    title = factory.Sequence(lambda n: f"规定动作{n}：集中观看警示教育片")


class EventFactory(DjangoModelFactory):
    """An event starting in an hour, lasting two; check-in opens 30 minutes before the
    start and closes at the end; late after 10 minutes. Pass ``audience_unit`` and
    ``trainer``."""

    class Meta:
        model = Event

    kind = EventKind.LECTURE
    title = factory.Sequence(lambda n: f"廉政专题讲座{n}")
    venue = "机关三楼会议室"
    starts_at = factory.LazyFunction(
        lambda: timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(hours=1)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=2))
    checkin_opens_at = factory.LazyAttribute(lambda o: o.starts_at - datetime.timedelta(minutes=30))
    checkin_closes_at = factory.LazyAttribute(lambda o: o.ends_at)
    late_after_minutes = 10
    credit_hours = Decimal("2.0")
