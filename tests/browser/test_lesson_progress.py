"""Studying in a real browser: the catalogue, a course, a lesson with audio whose playback
``static/js/lesson-progress.js`` reports, and the honesty talks, on a desktop and a
360 px phone. Every page is checked with axe-core.

The audio is a 20-second silent WAV built here; the browser gets it through a Playwright
route (the live server does not serve media files), and it plays muted so that no user
gesture is needed.
"""

from __future__ import annotations

import re
import struct
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .conftest import PHONE, assert_accessible

pytestmark = pytest.mark.browser

SECONDS = 20


def silent_wav(seconds: int = SECONDS, rate: int = 8000) -> bytes:
    data = b"\x80" * (seconds * rate)
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate, 1, 8)
    return header + fmt + b"data" + struct.pack("<I", len(data)) + data


@pytest.fixture
def tree(org: Any) -> Any:
    from django.core.files.base import ContentFile
    from wagtail.rich_text import RichText
    from wagtailmedia.models import Media

    from courses.factories import LessonPageFactory
    from courses.models import Enrolment
    from tests.courses.conftest import build_course_tree

    tree = build_course_tree()
    audio = Media.objects.create(
        title="条例朗读",
        type="audio",
        duration=SECONDS,
        file=ContentFile(silent_wav(), name="reading.wav"),
    )
    tree.extra["audio"] = audio
    tree.extra["audio_lesson"] = LessonPageFactory(
        parent=tree.course,
        title="第四课 听读条例",
        slug="lesson-4",
        body=[
            ("paragraph", RichText("<p>请完整收听。</p>")),
            ("audio", {"audio": audio, "transcript": RichText("<p>条例全文朗读。</p>")}),
        ],
    )
    Enrolment.objects.create(user=org.finance_learner, course=tree.course)
    return tree


def serve_media(page: Page) -> None:
    """Serve the WAV for any media URL, with byte ranges (the browser seeks with them)."""
    wav = silent_wav()

    def handle(route: Any) -> None:
        match = re.match(r"bytes=(\d+)-(\d*)", route.request.headers.get("range", ""))
        if not match:
            route.fulfill(
                status=200,
                body=wav,
                headers={"Content-Type": "audio/wav", "Accept-Ranges": "bytes"},
            )
            return
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) else len(wav) - 1
        route.fulfill(
            status=206,
            body=wav[start : end + 1],
            headers={
                "Content-Type": "audio/wav",
                "Accept-Ranges": "bytes",
                "Content-Range": f"bytes {start}-{end}/{len(wav)}",
            },
        )

    page.route(re.compile(r".*/media/.*\.(wav|mp4)$"), handle)


def watched(user: Any, lesson: Any) -> list:
    from courses.models import LessonProgress

    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    return next(iter(progress.watched.values()), []) if progress.watched else []


def play_until(page: Page, media_time: float) -> None:
    page.evaluate("() => { const a = document.querySelector('audio'); a.muted = true; a.play(); }")
    page.wait_for_function(
        f"() => document.querySelector('audio').currentTime >= {media_time}", timeout=30_000
    )


def test_anonymous_visitor_reads_the_catalogue_course_lesson_and_talks(
    page: Page, server: str, tree: Any
) -> None:
    page.goto(server + tree.index.url)
    expect(page.get_by_role("heading", level=1)).to_have_text(tree.index.title)
    assert_accessible(page)
    page.get_by_role("link", name=tree.course.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tree.course.title)
    assert_accessible(page)
    page.get_by_role("link", name="第二课 视频解读").click()
    expect(page.locator("video")).to_be_visible()
    assert_accessible(page)
    page.goto(server + tree.talk_index.url)
    assert_accessible(page)
    page.get_by_role("link", name=tree.talk.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tree.talk.title)
    assert_accessible(page)


def test_playback_is_reported_seeking_ahead_is_not_counted_and_the_lesson_completes(
    page: Page, server: str, tree: Any, org: Any, login_as: Any
) -> None:
    user = org.finance_learner
    lesson = tree.extra["audio_lesson"]
    login_as(user)
    serve_media(page)
    page.goto(server + lesson.url)
    expect(page.locator("audio[data-heartbeat-url]")).to_have_count(1)
    assert_accessible(page)

    heartbeat = re.compile(r".*/study/lessons/\d+/heartbeat/$")
    # Play three seconds, then pause: the interval is reported.
    play_until(page, 3)
    with page.expect_response(heartbeat) as info:
        page.evaluate("() => document.querySelector('audio').pause()")
    assert info.value.json()["ok"] is True
    first = watched(user, lesson)
    assert len(first) == 1 and first[0][0] == 0 and 2.5 <= first[0][1] <= 4

    # Seek ahead to 12 s and play a little: a second interval; the gap is not watched.
    page.evaluate("() => { document.querySelector('audio').currentTime = 12; }")
    play_until(page, 14)
    with page.expect_response(heartbeat):
        page.evaluate("() => document.querySelector('audio').pause()")
    intervals = watched(user, lesson)
    assert len(intervals) == 2, intervals
    assert intervals[1][0] >= 11.5
    status = page.locator("[data-player-status]")
    expect(status).not_to_have_text(re.compile(r"\b0%"))

    # Back to the start at 1.5× (the cap) and to the end: the lesson completes.
    page.evaluate(
        "() => { const a = document.querySelector('audio'); a.currentTime = 0; a.playbackRate = 1.5; }"
    )
    with page.expect_response(
        lambda r: heartbeat.match(r.url) and r.json().get("lesson_completed") is True,
        timeout=40_000,
    ):
        play_until(page, SECONDS - 0.05)
        page.wait_for_function("() => document.querySelector('audio').ended", timeout=10_000)
    expect(page.locator("[data-lesson-state]")).to_have_class(re.compile("status--done"))

    from courses.models import LessonProgress

    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    assert progress.completed_at is not None
    assert progress.rejected_heartbeats == 0


def test_learner_pages_on_a_phone(
    page: Page, server: str, tree: Any, org: Any, login_as: Any
) -> None:
    login_as(org.finance_learner)
    page.set_viewport_size(PHONE)
    for url in (tree.index.url, tree.course.url, tree.lessons[0].url, tree.video_lesson.url):
        page.goto(server + url)
        assert_accessible(page)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (url, width)
    # Mark the text lesson as studied without JavaScript's help: a plain form.
    page.goto(server + tree.lessons[0].url)
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Mark as studied|标记为已学|学完")).click()
    expect(page.locator(".lesson__complete .status--done")).to_be_visible()
    assert_accessible(page)
