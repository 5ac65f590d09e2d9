"""Lesson progress, recorded on the server.

Opening a lesson (``lesson_open``) records that the person started it and marks their
enrolment started. A lesson with no trackable media is completed by ``lesson_mark_studied``.
A lesson with video or audio is completed by watching: the page's script reports, about
every 15 seconds and on pause, end, seek and hide, the interval of media time played
since its previous report (``lesson_heartbeat``). The server accepts an interval only if

* the tab was visible (``visible``; time in a hidden tab does not count),
* the playback rate was at most ``QINGLIAN_MAX_PLAYBACK_RATE``,
* its sequence number is above the last one accepted (stale or replayed reports are
  refused),
* ``0 <= start <= end <= duration`` (the duration is the server's
  ``wagtailmedia.Media.duration``; 1 s of tolerance for rounding, then clamped), and
* the media time it claims, ``end - start``, is at most the wall-clock time since the
  previous report (or since the lesson was opened) times the rate cap, plus
  ``QINGLIAN_HEARTBEAT_SLACK_SECONDS``. A claim of more media time than has passed is
  rejected and counted in ``rejected_heartbeats``.

Seeking ahead starts a new interval, so the skipped part is never in ``watched``.
Whatever a modified browser sends, completing a lesson takes at least its media duration
divided by the rate cap of real time, and every second counted was reported as played.

``watched`` holds, per media item of the lesson, its merged intervals in media seconds:
``{"<media id>": [[start, end], …], …}`` (a lesson may hold several videos, audios and
embedded honesty talks; the same media twice counts once). Intervals closer than
``MERGE_GAP`` seconds are merged. The lesson completes when every tracked media item is
covered for at least ``QINGLIAN_VIDEO_COMPLETE_SHARE`` of its duration.
``media_duration`` and ``watched_seconds`` are the totals over the lesson's media;
``position`` is where playback last stopped (for resuming).

Concurrent reports for one person and lesson are serialised with ``select_for_update``
and written with a conditional update on the sequence number, so no interval is counted
twice and no two requests both complete the lesson.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import CoursePage, Enrolment, LessonPage, LessonProgress
from ..selectors.progress import (
    TrackedMedia,
    lesson_course,
    lesson_tracked_media,
    watched_coverage,
)
from .completion import course_evaluate

#: Gaps between intervals up to this many seconds are closed when merging (reports
#: overlap or miss by a fraction of a second at their boundaries).
MERGE_GAP = 0.5
#: How far ``end`` may exceed the server's duration (rounding); it is then clamped.
DURATION_TOLERANCE = 1.0

# Why a heartbeat was not counted.
STALE = "stale"
HIDDEN = "hidden"
RATE = "rate"
RANGE = "range"
TOO_FAST = "too_fast"
UNKNOWN_MEDIA = "unknown_media"


class NotEnrolledError(PermissionDenied):
    """Progress is recorded only for people enrolled in the lesson's course."""


class LessonHasMediaError(ValidationError):
    """A lesson with video or audio is completed by watching, not by a click."""


@dataclass(frozen=True)
class HeartbeatResult:
    accepted: bool
    reason: str = ""
    seq: int = 0
    watched_seconds: int = 0
    media_duration: int = 0
    media_percent: int = 0  # coverage of the reported media item (0–100)
    lesson_completed: bool = False
    course_completed: bool = False


def _settings() -> tuple[float, float, float]:
    return (
        float(settings.QINGLIAN_MAX_PLAYBACK_RATE),
        float(settings.QINGLIAN_HEARTBEAT_SLACK_SECONDS),
        float(settings.QINGLIAN_VIDEO_COMPLETE_SHARE),
    )


def intervals_merge(intervals: list[list[float]], start: float, end: float) -> list[list[float]]:
    """``intervals`` (sorted, disjoint) with [start, end] added, sorted and merged."""
    merged: list[list[float]] = []
    for s, e in sorted([*([list(i) for i in intervals]), [start, end]]):
        if merged and s <= merged[-1][1] + MERGE_GAP:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [[round(s, 2), round(e, 2)] for s, e in merged]


def lesson_is_complete(*, media: list[TrackedMedia], watched: Any) -> bool:
    """Every tracked media item covered for at least the configured share."""
    share = _settings()[2]
    return bool(media) and all(
        watched_coverage(watched=watched, key=m.key) >= share * m.duration - 1e-6 for m in media
    )


def _enrolment(*, user: Any, course: CoursePage | None) -> Enrolment:
    enrolment = (
        Enrolment.objects.filter(user=user, course=course).first() if course is not None else None
    )
    if enrolment is None:
        raise NotEnrolledError(_("Enrol in this course to record your progress."))
    return enrolment


def _progress_locked(*, user: Any, lesson: LessonPage, now: datetime.datetime) -> LessonProgress:
    """The person's progress row for the lesson, locked for this transaction (created
    if missing; a concurrent creation is not an error)."""
    progress = LessonProgress.objects.select_for_update().filter(user=user, lesson=lesson).first()
    if progress is not None:
        return progress
    try:
        with transaction.atomic():
            LessonProgress.objects.create(user=user, lesson=lesson, started_at=now, watched={})
    except IntegrityError:
        pass
    return LessonProgress.objects.select_for_update().get(user=user, lesson=lesson)


def _mark_enrolment_started(enrolment: Enrolment, now: datetime.datetime) -> None:
    if enrolment.started_at is None:
        Enrolment.objects.filter(pk=enrolment.pk, started_at__isnull=True).update(started_at=now)
        enrolment.started_at = now


def lesson_open(
    *,
    user: Any,
    lesson: LessonPage,
    now: datetime.datetime | None = None,
    enrolment: Enrolment | None = None,
    media: list[TrackedMedia] | None = None,
    progress: LessonProgress | None = None,
) -> LessonProgress | None:
    """The person opened the lesson: record the start (once), mark their enrolment
    started, and restart the heartbeat clock (media cannot have played before the page
    was opened). ``None`` when the person is not enrolled in the course: nothing is
    written.

    The page passes what it has already read (the enrolment, the lesson's tracked
    media, the person's progress row) so that opening costs a single UPDATE."""
    now = now or timezone.now()
    if enrolment is None:
        course = lesson_course(lesson=lesson)
        enrolment = Enrolment.objects.filter(user=user, course=course).first() if course else None
    if enrolment is None:
        return None
    if media is None:
        media = lesson_tracked_media(lesson=lesson)
    duration = math.ceil(sum(m.duration for m in media))
    rows = LessonProgress.objects.filter(user=user, lesson=lesson)
    if rows.update(last_heartbeat_at=now, media_duration=duration):
        if progress is None:
            progress = rows.get()
        else:
            progress.last_heartbeat_at, progress.media_duration = now, duration
    else:
        try:
            with transaction.atomic():
                progress = LessonProgress.objects.create(
                    user=user,
                    lesson=lesson,
                    started_at=now,
                    last_heartbeat_at=now,
                    media_duration=duration,
                    watched={},
                )
        except IntegrityError:  # opened in two tabs at once: the other created it
            rows.update(last_heartbeat_at=now, media_duration=duration)
            progress = rows.get()
    _mark_enrolment_started(enrolment, now)
    return progress


def lesson_mark_studied(
    *, user: Any, lesson: LessonPage, now: datetime.datetime | None = None
) -> LessonProgress:
    """Complete a lesson that has no video or audio to watch. Completing twice changes
    nothing. Raises ``NotEnrolledError`` or ``LessonHasMediaError``."""
    now = now or timezone.now()
    course = lesson_course(lesson=lesson)
    enrolment = _enrolment(user=user, course=course)
    if lesson_tracked_media(lesson=lesson):
        raise LessonHasMediaError(
            _("This lesson is completed by watching its video or audio."), code="has_media"
        )
    with transaction.atomic():
        progress = _progress_locked(user=user, lesson=lesson, now=now)
        _mark_enrolment_started(enrolment, now)
        if progress.completed_at is not None:
            return progress
        updated = LessonProgress.objects.filter(pk=progress.pk, completed_at__isnull=True).update(
            completed_at=now
        )
        progress.completed_at = now
        if updated and course is not None:
            course_evaluate(user=user, course=course, now=now)
    return progress


def lesson_heartbeat(
    *,
    user: Any,
    lesson: LessonPage,
    seq: int,
    start: float,
    end: float,
    rate: float,
    visible: bool,
    now: datetime.datetime | None = None,
    media_id: int | None = None,
) -> HeartbeatResult:
    """Take one playback report: the interval [start, end] of media ``media_id`` (the
    lesson's only tracked media when omitted) played since the previous report.

    See the module docstring for the rules. Raises ``NotEnrolledError``. A report that
    is malformed (``RANGE``, ``UNKNOWN_MEDIA``) or stale (``STALE``) changes nothing;
    any other report advances the sequence number and the heartbeat clock, whether or
    not its interval is counted."""
    now = now or timezone.now()
    cap, slack, _share = _settings()
    course = lesson_course(lesson=lesson)
    enrolment = _enrolment(user=user, course=course)
    media = lesson_tracked_media(lesson=lesson)
    if media_id is None and len(media) == 1:
        item: TrackedMedia | None = media[0]
    else:
        item = next((m for m in media if m.media_id == media_id), None)
    if item is None:
        return HeartbeatResult(accepted=False, reason=UNKNOWN_MEDIA)
    values = (start, end, rate)
    if (
        not all(isinstance(v, int | float) and math.isfinite(v) for v in values)
        or start < 0
        or end < start
        or end > item.duration + DURATION_TOLERANCE
        or rate <= 0
    ):
        return HeartbeatResult(accepted=False, reason=RANGE)
    end = min(end, item.duration)
    start = min(start, end)

    with transaction.atomic():
        progress = _progress_locked(user=user, lesson=lesson, now=now)
        if seq <= progress.heartbeat_seq:
            return _result(progress, media, item, accepted=False, reason=STALE)
        baseline = progress.last_heartbeat_at or progress.started_at
        elapsed = max((now - baseline).total_seconds(), 0.0)
        allowance = elapsed * cap + slack
        watched = progress.watched if isinstance(progress.watched, dict) else {}
        reason = ""
        rejected = progress.rejected_heartbeats
        if not visible:
            reason = HIDDEN
        elif rate > cap + 1e-9:
            reason = RATE
        elif end - start > allowance:
            reason = TOO_FAST
            rejected += 1
        else:
            watched = {**watched, item.key: intervals_merge(watched.get(item.key, []), start, end)}
        completing = (
            not reason
            and progress.completed_at is None
            and lesson_is_complete(media=media, watched=watched)
        )
        fields: dict[str, Any] = {
            "heartbeat_seq": seq,
            "last_heartbeat_at": now,
            "rejected_heartbeats": rejected,
            "watched": watched,
            "watched_seconds": int(
                sum(min(watched_coverage(watched=watched, key=m.key), m.duration) for m in media)
            ),
            "media_duration": math.ceil(sum(m.duration for m in media)),
        }
        if not reason:
            fields["position"] = int(end)
        if completing:
            fields["completed_at"] = now
        # Conditional on the sequence number read under the lock: a concurrent report
        # that got in first makes this one stale instead of counting twice.
        updated = LessonProgress.objects.filter(
            pk=progress.pk, heartbeat_seq=progress.heartbeat_seq
        ).update(**fields)
        if not updated:
            return _result(progress, media, item, accepted=False, reason=STALE)
        for name, value in fields.items():
            setattr(progress, name, value)
        _mark_enrolment_started(enrolment, now)
        completion = None
        if completing and course is not None:
            completion = course_evaluate(user=user, course=course, now=now)
    return _result(
        progress,
        media,
        item,
        accepted=not reason,
        reason=reason,
        course_completed=completion is not None,
    )


def _result(
    progress: LessonProgress,
    media: list[TrackedMedia],
    item: TrackedMedia,
    *,
    accepted: bool,
    reason: str,
    course_completed: bool = False,
) -> HeartbeatResult:
    covered = watched_coverage(watched=progress.watched, key=item.key)
    return HeartbeatResult(
        accepted=accepted,
        reason=reason,
        seq=progress.heartbeat_seq,
        watched_seconds=progress.watched_seconds,
        media_duration=progress.media_duration,
        media_percent=min(100, int(100 * covered / item.duration)) if item.duration else 0,
        lesson_completed=progress.completed_at is not None,
        course_completed=course_completed,
    )


def connect_receivers() -> None:
    """Connect this module's signal receivers (called once from ``CoursesConfig.ready``)."""
