"""Rotating check-in tokens (the text behind the QR code on the trainer's display).

A token is ``<event id>.<step>.<signature>``: ``step`` is the number of
``QINGLIAN_CHECKIN_ROTATE_SECONDS`` periods since the Unix epoch (base 36), and the
signature an HMAC-SHA256 of ``"<event id>.<step>"`` keyed by ``SECRET_KEY`` *and* the
event's ``checkin_secret`` (:func:`django.utils.crypto.salted_hmac` with the secret in the
salt), truncated to 96 bits and base64url-encoded. So a token is compact, URL-safe and
cannot be made without the server's key; changing an event's ``checkin_secret`` voids all
its tokens at once.

:func:`token_verify` accepts the current step and ``QINGLIAN_CHECKIN_GRACE_STEPS``
previous ones (a scan taken just before the code turned) and refuses everything else with
a distinct reason (:class:`TokenRefused.reason`).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import Event

SIGNATURE_BYTES: Final = 12
_TOKEN_RE: Final = re.compile(r"^([1-9][0-9]{0,17})\.([0-9a-z]{1,13})\.([A-Za-z0-9_-]{16})$")

MALFORMED: Final = "malformed"
UNKNOWN_EVENT: Final = "unknown_event"
BAD_SIGNATURE: Final = "bad_signature"
EXPIRED: Final = "expired"
FUTURE: Final = "future"


class TokenRefused(Exception):
    """The token cannot be used; ``reason`` is one of the module's reason constants."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TokenCheck:
    event: Event
    step: int


def rotate_seconds() -> int:
    return max(1, int(settings.QINGLIAN_CHECKIN_ROTATE_SECONDS))


def step_at(moment: datetime | None = None) -> int:
    """The rotation step ``moment`` (default: now) falls in."""
    moment = moment or timezone.now()
    return int(moment.timestamp()) // rotate_seconds()


def seconds_left(moment: datetime | None = None) -> int:
    """Seconds until the step of ``moment`` (default: now) ends."""
    moment = moment or timezone.now()
    period = rotate_seconds()
    return period - int(moment.timestamp()) % period


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def _signature(*, event_id: int, secret: str, step: int) -> str:
    mac = salted_hmac(
        f"qinglian.events.checkin:{secret}", f"{event_id}.{step}", algorithm="sha256"
    ).digest()[:SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(mac).decode("ascii")


def token_make(*, event: Event, moment: datetime | None = None) -> str:
    """The token of ``event`` for the step ``moment`` (default: now) falls in."""
    step = step_at(moment)
    signature = _signature(event_id=event.pk, secret=event.checkin_secret, step=step)
    return f"{event.pk}.{_base36(step)}.{signature}"


def token_verify(
    *, token: str, moment: datetime | None = None, event: Event | None = None
) -> TokenCheck:
    """The event and step of a valid ``token`` at ``moment`` (default: now), else
    :class:`TokenRefused`. Pass ``event`` when it is already loaded (no query)."""
    match = _TOKEN_RE.match(token or "")
    if match is None:
        raise TokenRefused(MALFORMED)
    event_id, step = int(match.group(1)), int(match.group(2), 36)
    if event is None or event.pk != event_id:
        event = (
            Event.objects.select_related("audience_unit", "min_rank", "campaign")
            .filter(pk=event_id)
            .first()
        )
        if event is None:
            raise TokenRefused(UNKNOWN_EVENT)
    expected = _signature(event_id=event_id, secret=event.checkin_secret, step=step)
    if not constant_time_compare(expected, match.group(3)):
        raise TokenRefused(BAD_SIGNATURE)
    current = step_at(moment)
    if step > current:
        raise TokenRefused(FUTURE)
    if step < current - max(0, int(settings.QINGLIAN_CHECKIN_GRACE_STEPS)):
        raise TokenRefused(EXPIRED)
    return TokenCheck(event=event, step=step)
