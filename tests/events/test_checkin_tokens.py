"""Rotating check-in tokens with a frozen clock: rotation, grace, forgery, and a distinct
reason for every refusal."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings

from events.checkin import (
    BAD_SIGNATURE,
    EXPIRED,
    FUTURE,
    MALFORMED,
    UNKNOWN_EVENT,
    TokenRefused,
    step_at,
    token_make,
    token_verify,
)
from events.models import Event

# A moment at the very start of a 15-second step.
T0 = datetime.datetime(2026, 11, 26, 1, 0, 0, tzinfo=datetime.UTC)
S = datetime.timedelta(seconds=1)

pytestmark = pytest.mark.django_db


def refused(token, moment, **kwargs):
    with pytest.raises(TokenRefused) as info:
        token_verify(token=token, moment=moment, **kwargs)
    return info.value.reason


def test_token_is_compact_and_url_safe(event):
    token = token_make(event=event, moment=T0)
    assert len(token) < 40
    assert all(c.isalnum() or c in "._-" for c in token)


def test_token_rotates_every_period(event):
    assert int(T0.timestamp()) % 15 == 0
    first = token_make(event=event, moment=T0)
    assert token_make(event=event, moment=T0 + 14 * S) == first
    second = token_make(event=event, moment=T0 + 15 * S)
    assert second != first
    assert step_at(T0 + 15 * S) == step_at(T0) + 1


def test_current_and_one_previous_step_are_accepted(event):
    token = token_make(event=event, moment=T0)
    assert token_verify(token=token, moment=T0).event == event
    assert token_verify(token=token, moment=T0 + 14 * S).step == step_at(T0)
    # Grace: the code turned while the phone was opening the link.
    assert token_verify(token=token, moment=T0 + 29 * S).event.pk == event.pk


def test_older_steps_are_expired(event):
    token = token_make(event=event, moment=T0)
    assert refused(token, T0 + 30 * S) == EXPIRED
    assert refused(token, T0 + datetime.timedelta(days=1)) == EXPIRED


@override_settings(QINGLIAN_CHECKIN_GRACE_STEPS=0)
def test_grace_can_be_switched_off(event):
    token = token_make(event=event, moment=T0)
    assert refused(token, T0 + 15 * S) == EXPIRED


@override_settings(QINGLIAN_CHECKIN_ROTATE_SECONDS=60)
def test_rotation_period_follows_the_setting(event):
    token = token_make(event=event, moment=T0)
    assert token_verify(token=token, moment=T0 + 119 * S)
    assert refused(token, T0 + 120 * S) == EXPIRED


def test_future_step_is_refused(event):
    token = token_make(event=event, moment=T0 + 15 * S)
    assert refused(token, T0) == FUTURE


def test_forged_signature_is_refused(event):
    token = token_make(event=event, moment=T0)
    head, signature = token.rsplit(".", 1)
    forged = head + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    assert refused(forged, T0) == BAD_SIGNATURE


def test_token_of_one_event_is_not_valid_for_another(org, event):
    from events.factories import EventFactory

    other = EventFactory(audience_unit=org.city, trainer=org.trainer)
    token = token_make(event=event, moment=T0)
    _, step, signature = token.split(".")
    assert refused(f"{other.pk}.{step}.{signature}", T0) == BAD_SIGNATURE


def test_changed_step_is_refused(event):
    token = token_make(event=event, moment=T0)
    event_id, step, signature = token.split(".")
    later = int(step, 36) - 1
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    encoded = ""
    while later:
        later, rest = divmod(later, 36)
        encoded = digits[rest] + encoded
    assert refused(f"{event_id}.{encoded}.{signature}", T0) == BAD_SIGNATURE


def test_rotating_the_event_secret_voids_its_tokens(event):
    token = token_make(event=event, moment=T0)
    Event.objects.filter(pk=event.pk).update(checkin_secret="a-new-secret")
    assert refused(token, T0) == BAD_SIGNATURE


@override_settings(SECRET_KEY="another-server-key-entirely-0123456789")
def test_a_different_server_key_refuses(event):
    # made with the test settings' key above? No: made and checked under this key; so
    # compare with one made under the default key.
    token = token_make(event=event, moment=T0)
    with override_settings(SECRET_KEY="yet-another-key-9876543210-abcdefghij"):
        assert refused(token, T0) == BAD_SIGNATURE


@pytest.mark.parametrize(
    "text",
    ["", "abc", "1.2", "1.2.3.4", "../../etc/passwd", "0.abc.AAAAAAAAAAAAAAAA", "1.ABC.AAAAAAAAAAAAAAAA",
     "1.abc.AAAA", "1.abc.AAAAAAAAAAAAAAAA=", "１.abc.AAAAAAAAAAAAAAAA", "1.abc.AAAAAAAA'AAAAAAA",
     "99999999999999999999.a.AAAAAAAAAAAAAAAA", "😀.a.b"],
)  # fmt: skip
def test_malformed_text_is_refused(event, text):
    assert refused(text, T0) == MALFORMED


def test_unknown_event_is_refused(event):
    token = token_make(event=event, moment=T0)
    _, step, signature = token.split(".")
    assert refused(f"{event.pk + 1000}.{step}.{signature}", T0) == UNKNOWN_EVENT
