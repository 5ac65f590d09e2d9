"""Lesson progress on the server: what a playback report may count, and what it may not.

The lesson ``course_tree.video_lesson`` has one 120-second video (duration from the
server's ``Media`` row). The page was opened at T0, so the heartbeat clock starts there.
"""

from __future__ import annotations

import datetime

import pytest
from wagtail.rich_text import RichText

from courses.factories import LessonPageFactory
from courses.models import Enrolment, LessonProgress
from courses.services import progress as svc
from courses.services.progress import (
    HIDDEN,
    RANGE,
    RATE,
    STALE,
    TOO_FAST,
    UNKNOWN_MEDIA,
    LessonHasMediaError,
    NotEnrolledError,
    intervals_merge,
    lesson_heartbeat,
    lesson_mark_studied,
    lesson_open,
)

from .conftest import media_create

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


@pytest.fixture
def learner(org, course_tree, enrol):
    enrol(org.finance_learner, course_tree.course)
    lesson_open(user=org.finance_learner, lesson=course_tree.video_lesson, now=T0)
    return org.finance_learner


class Player:
    """Sends heartbeats like the page's script, with an explicit clock."""

    def __init__(self, user, lesson):
        self.user, self.lesson, self.seq = user, lesson, 0

    def beat(self, start, end, *, at_s, rate=1.0, visible=True, seq=None, media_id=None):
        if seq is None:
            self.seq += 1
            seq = self.seq
        return lesson_heartbeat(
            user=self.user,
            lesson=self.lesson,
            seq=seq,
            start=start,
            end=end,
            rate=rate,
            visible=visible,
            now=at(at_s),
            media_id=media_id,
        )

    def watch(self, start, end, *, from_s, step=15, rate=1.0):
        """Play [start, end] in real time from wall-clock second ``from_s``."""
        t, wall, result = start, from_s, None
        while t < end:
            nxt = min(end, t + step * rate)
            wall += (nxt - t) / rate
            result = self.beat(t, nxt, at_s=wall, rate=rate)
            t = nxt
        return result, wall


def progress_of(user, lesson) -> LessonProgress:
    return LessonProgress.objects.get(user=user, lesson=lesson)


def test_watching_the_whole_video_completes_the_lesson(learner, course_tree):
    player = Player(learner, course_tree.video_lesson)
    result, _ = player.watch(0, 120, from_s=0)
    assert result.accepted and result.lesson_completed
    progress = progress_of(learner, course_tree.video_lesson)
    assert progress.completed_at is not None
    key = str(course_tree.video.pk)
    assert progress.watched == {key: [[0.0, 120.0]]}
    assert progress.watched_seconds == 120
    assert progress.media_duration == 120
    assert progress.rejected_heartbeats == 0


def test_completion_needs_95_percent(learner, course_tree):
    player = Player(learner, course_tree.video_lesson)
    result, wall = player.watch(0, 113, from_s=0)
    assert result.accepted and not result.lesson_completed  # 113 s of 120 < 95 %
    assert progress_of(learner, course_tree.video_lesson).completed_at is None
    result = player.beat(113, 114, at_s=wall + 1)  # 114 s = 95 %
    assert result.lesson_completed
    assert result.media_percent == 95


def test_seeking_ahead_leaves_the_skipped_part_uncounted(learner, course_tree):
    player = Player(learner, course_tree.video_lesson)
    assert player.beat(0, 15, at_s=15).accepted
    # Seek to 60 s: the script starts a new interval there.
    assert player.beat(60, 75, at_s=30).accepted
    result, _ = player.watch(75, 120, from_s=30)
    progress = progress_of(learner, course_tree.video_lesson)
    assert progress.watched == {str(course_tree.video.pk): [[0.0, 15.0], [60.0, 120.0]]}
    assert progress.watched_seconds == 75
    assert not result.lesson_completed
    assert progress.completed_at is None
    # Going back to watch the gap completes it.
    result, _ = player.watch(15, 60, from_s=200)
    assert result.lesson_completed


def test_playback_above_the_rate_cap_is_not_counted(learner, course_tree):
    player = Player(learner, course_tree.video_lesson)
    result = player.beat(0, 30, at_s=15, rate=2.0)
    assert not result.accepted and result.reason == RATE
    progress = progress_of(learner, course_tree.video_lesson)
    assert progress.watched == {} and progress.watched_seconds == 0
    # At the cap (1.5×) it counts.
    result = player.beat(30, 52.5, at_s=30, rate=1.5)
    assert result.accepted
    assert progress_of(learner, course_tree.video_lesson).watched_seconds == 22


def test_a_hidden_tab_is_not_counted(learner, course_tree):
    player = Player(learner, course_tree.video_lesson)
    result = player.beat(0, 15, at_s=15, visible=False)
    assert not result.accepted and result.reason == HIDDEN
    assert progress_of(learner, course_tree.video_lesson).watched_seconds == 0


def test_more_media_time_than_wall_clock_time_is_rejected(learner, course_tree):
    player = Player(learner, course_tree.video_lesson)
    # 15 s after opening the page, a claim of 60 s of playback.
    result = player.beat(0, 60, at_s=15)
    assert not result.accepted and result.reason == TOO_FAST
    progress = progress_of(learner, course_tree.video_lesson)
    assert progress.rejected_heartbeats == 1
    assert progress.watched == {} and progress.watched_seconds == 0
    # The whole video claimed in one report a second later: rejected too.
    result = player.beat(0, 120, at_s=16)
    assert result.reason == TOO_FAST
    assert progress_of(learner, course_tree.video_lesson).rejected_heartbeats == 2
    assert progress_of(learner, course_tree.video_lesson).completed_at is None


def test_the_wall_clock_allowance_is_rate_cap_times_elapsed_plus_slack(learner, course_tree):
    player = Player(learner, course_tree.video_lesson)
    # 10 s × 1.5 + 2 s slack = 17 s of media time at most.
    assert player.beat(0, 17, at_s=10, rate=1.5).accepted
    assert player.beat(17, 34.5, at_s=20, rate=1.5).reason == TOO_FAST


def test_a_stale_or_replayed_report_is_refused_and_changes_nothing(learner, course_tree):
    player = Player(learner, course_tree.video_lesson)
    assert player.beat(0, 15, at_s=15).accepted
    before = progress_of(learner, course_tree.video_lesson)
    replay = player.beat(0, 15, at_s=30, seq=1)
    older = player.beat(15, 30, at_s=30, seq=0)
    assert replay.reason == STALE and older.reason == STALE
    after = progress_of(learner, course_tree.video_lesson)
    assert after.heartbeat_seq == 1
    assert after.watched == before.watched
    assert after.last_heartbeat_at == before.last_heartbeat_at


def test_out_of_range_intervals_are_refused(learner, course_tree):
    player = Player(learner, course_tree.video_lesson)
    for start, end in [(-1, 10), (10, 5), (100, 125), (0, float("nan"))]:
        result = player.beat(start, end, at_s=15)
        assert result.reason == RANGE, (start, end)
    assert progress_of(learner, course_tree.video_lesson).heartbeat_seq == 0
    # Up to a second past the server's duration is rounding: clamped.
    result, _ = player.watch(0, 120.8, from_s=0)
    assert result.accepted
    assert progress_of(learner, course_tree.video_lesson).watched == {
        str(course_tree.video.pk): [[0.0, 120.0]]
    }


def test_an_unknown_media_item_is_refused(learner, course_tree):
    other = media_create(title="别的视频")
    result = Player(learner, course_tree.video_lesson).beat(0, 10, at_s=10, media_id=other.pk)
    assert result.reason == UNKNOWN_MEDIA


def test_a_person_not_enrolled_cannot_report(org, course_tree):
    with pytest.raises(NotEnrolledError):
        Player(org.housing_learner, course_tree.video_lesson).beat(0, 10, at_s=10)
    assert not LessonProgress.objects.filter(user=org.housing_learner).exists()


def test_opening_a_lesson_records_the_start_and_marks_the_enrolment_started(
    org, course_tree, enrol
):
    enrolment = enrol(org.finance_learner, course_tree.course)
    lesson = course_tree.lessons[0]
    progress = lesson_open(user=org.finance_learner, lesson=lesson, now=T0)
    assert progress.started_at == T0
    enrolment.refresh_from_db()
    assert enrolment.started_at == T0
    # Opening again later keeps the first start.
    lesson_open(user=org.finance_learner, lesson=lesson, now=at(3600))
    assert progress_of(org.finance_learner, lesson).started_at == T0
    enrolment.refresh_from_db()
    assert enrolment.started_at == T0


def test_opening_a_lesson_without_an_enrolment_writes_nothing(org, course_tree):
    assert lesson_open(user=org.finance_learner, lesson=course_tree.lessons[0], now=T0) is None
    assert not LessonProgress.objects.exists()
    assert not Enrolment.objects.exists()


def test_reopening_the_page_restarts_the_heartbeat_clock(learner, course_tree):
    """Waiting a day and then claiming the whole video in one report does not work: the
    clock restarts when the page is opened again."""
    lesson_open(user=learner, lesson=course_tree.video_lesson, now=at(86400))
    result = Player(learner, course_tree.video_lesson).beat(0, 120, at_s=86400 + 15)
    assert result.reason == TOO_FAST


def test_mark_as_studied_completes_a_lesson_without_media_once(org, course_tree, enrol):
    enrol(org.finance_learner, course_tree.course)
    lesson = course_tree.lessons[0]
    first = lesson_mark_studied(user=org.finance_learner, lesson=lesson, now=T0)
    assert first.completed_at == T0
    again = lesson_mark_studied(user=org.finance_learner, lesson=lesson, now=at(60))
    assert again.completed_at == T0
    assert LessonProgress.objects.filter(user=org.finance_learner, lesson=lesson).count() == 1


def test_mark_as_studied_is_refused_for_a_lesson_with_video(learner, course_tree):
    with pytest.raises(LessonHasMediaError):
        lesson_mark_studied(user=learner, lesson=course_tree.video_lesson, now=at(5))
    assert progress_of(learner, course_tree.video_lesson).completed_at is None


def test_mark_as_studied_needs_an_enrolment(org, course_tree):
    with pytest.raises(NotEnrolledError):
        lesson_mark_studied(user=org.finance_learner, lesson=course_tree.lessons[0], now=T0)


def test_a_lesson_with_two_media_completes_when_both_are_watched(org, course_tree, enrol):
    audio = media_create(title="录音", kind="audio", duration=30)
    video = course_tree.video
    lesson = LessonPageFactory(
        parent=course_tree.course,
        body=[
            ("video", {"video": video, "transcript": RichText("")}),
            ("audio", {"audio": audio, "transcript": RichText("")}),
            ("video", {"video": video, "transcript": RichText("")}),  # the same video again
        ],
    )
    enrol(org.finance_learner, course_tree.course)
    lesson_open(user=org.finance_learner, lesson=lesson, now=T0)
    player = Player(org.finance_learner, lesson)
    # Without a media id, a lesson with several media cannot tell which one played.
    assert player.beat(0, 10, at_s=10).reason == UNKNOWN_MEDIA
    t, wall = 0, 10
    while t < 120:
        wall += 15
        result = player.beat(t, t + 15, at_s=wall, media_id=video.pk)
        t += 15
    assert result.accepted and not result.lesson_completed
    result = player.beat(0, 30, at_s=wall + 30, media_id=audio.pk)
    assert result.lesson_completed
    progress = progress_of(org.finance_learner, lesson)
    assert set(progress.watched) == {str(video.pk), str(audio.pk)}
    assert progress.media_duration == 150 and progress.watched_seconds == 150


def test_media_without_a_known_duration_is_not_tracked(org, course_tree, enrol):
    unknown = media_create(title="时长未填", duration=0)
    lesson = LessonPageFactory(
        parent=course_tree.course,
        body=[("video", {"video": unknown, "transcript": RichText("")})],
    )
    enrol(org.finance_learner, course_tree.course)
    progress = lesson_mark_studied(user=org.finance_learner, lesson=lesson, now=T0)
    assert progress.completed_at == T0


def test_an_embedded_talk_video_is_tracked(org, course_tree, enrol):
    talk = course_tree.talk
    talk.video = media_create(title="党课录像", duration=60)
    talk.save_revision().publish()
    lesson = LessonPageFactory(parent=course_tree.course, body=[("talk", {"talk": talk})])
    enrol(org.finance_learner, course_tree.course)
    lesson_open(user=org.finance_learner, lesson=lesson, now=T0)
    with pytest.raises(LessonHasMediaError):
        lesson_mark_studied(user=org.finance_learner, lesson=lesson, now=T0)
    player = Player(org.finance_learner, lesson)
    result, _ = player.watch(0, 60, from_s=0)
    assert result.lesson_completed


def test_concurrent_reports_with_the_same_sequence_number_count_once(learner, course_tree):
    """Two requests carrying seq 1: the second finds seq 1 already accepted."""
    player = Player(learner, course_tree.video_lesson)
    first = player.beat(0, 15, at_s=15, seq=1)
    second = player.beat(0, 15, at_s=15.1, seq=1)
    assert first.accepted and second.reason == STALE
    assert progress_of(learner, course_tree.video_lesson).watched_seconds == 15


def test_a_report_that_loses_the_race_after_the_lock_is_stale(learner, course_tree, monkeypatch):
    """The conditional update on the sequence number: if another request advanced it
    between our read and our write, ours counts nothing."""
    lesson = course_tree.video_lesson
    real = svc._progress_locked

    def racing(**kwargs):
        progress = real(**kwargs)
        LessonProgress.objects.filter(pk=progress.pk).update(heartbeat_seq=1)
        return progress

    monkeypatch.setattr(svc, "_progress_locked", racing)
    result = Player(learner, lesson).beat(0, 15, at_s=15, seq=1)
    assert result.reason == STALE
    assert progress_of(learner, lesson).watched_seconds == 0


@pytest.mark.parametrize(
    ("existing", "start", "end", "expected"),
    [
        ([], 0, 10, [[0, 10]]),
        ([[0, 10]], 10.3, 20, [[0, 20]]),  # a gap under half a second closes
        ([[0, 10]], 12, 20, [[0, 10], [12, 20]]),
        ([[0, 10], [20, 30]], 5, 25, [[0, 30]]),
        ([[20, 30]], 0, 5, [[0, 5], [20, 30]]),
        ([[0, 30]], 5, 10, [[0, 30]]),
    ],
)
def test_intervals_merge(existing, start, end, expected):
    assert intervals_merge(existing, start, end) == expected
