"""Real concurrency (PostgreSQL, threads with their own connections): the same pledge
signed from several tabs at once is stored once, and versions published at once get
consecutive numbers with one current version. test_pledges.py shows the same on any
database with a simulated race."""

from __future__ import annotations

import pytest
from django.db import connection

from audit.models import AuditEntry
from talks.factories import PledgeTextFactory
from talks.models import PledgeSignature, PledgeText, PositionKind
from talks.services.pledges import pledge_sign, pledge_text_publish
from tests.concurrency import in_threads

needs_pg = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
)
pytestmark = [needs_pg, pytest.mark.django_db(transaction=True)]


def test_signing_from_several_tabs_at_once_stores_one_signature(org):
    text = PledgeTextFactory()
    user = org.finance_learner

    def sign():
        return pledge_sign(user=user, text=text, typed_name="张三丰", confirmed=True)

    results, errors = in_threads([sign] * 5)
    assert not errors, errors
    assert PledgeSignature.objects.filter(user=user, text=text).count() == 1
    assert len({r.pk for r in results}) == 1
    assert sum(1 for r in results if r.created) == 1
    assert (
        AuditEntry.objects.filter(action="create", object_type="talks.pledgesignature").count() == 1
    )


def test_versions_published_at_once_get_consecutive_numbers(org):
    pledge_text_publish(position_kind=PositionKind.KEY, title="承诺书", body="v1")

    def publish(i):
        return lambda: pledge_text_publish(
            position_kind=PositionKind.KEY, title="承诺书", body=f"并发版本{i}"
        )

    _results, errors = in_threads([publish(i) for i in range(3)])
    assert not errors, errors
    versions = sorted(
        PledgeText.objects.filter(position_kind=PositionKind.KEY).values_list("version", flat=True)
    )
    assert versions == [1, 2, 3, 4]
    assert PledgeText.objects.filter(position_kind=PositionKind.KEY, is_current=True).count() == 1
