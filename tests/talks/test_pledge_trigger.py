"""On PostgreSQL the database refuses to change or delete a signed pledge, even through a
raw UPDATE that bypasses the model."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from talks.factories import PledgeTextFactory
from talks.models import PledgeSignature

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)


@pytest.mark.django_db
def test_raw_update_and_delete_of_a_signature_are_refused(org):
    text = PledgeTextFactory()
    signature = PledgeSignature.objects.create(
        text=text, user=org.finance_learner, typed_name="张三丰", text_sha256="0" * 64
    )
    for sql in (
        "UPDATE talks_pledgesignature SET typed_name = 'x' WHERE id = %s",
        "DELETE FROM talks_pledgesignature WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [signature.pk])
    signature.refresh_from_db()
    assert signature.typed_name == "张三丰"
