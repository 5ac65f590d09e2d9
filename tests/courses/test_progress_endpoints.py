"""The study endpoints: login, CSRF, enrolment, and a 4xx JSON answer with a message for
bad input (nothing written)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from courses.models import CourseCompletion, LessonProgress

pytestmark = pytest.mark.django_db


def heartbeat_url(lesson) -> str:
    return reverse("courses:heartbeat", args=[lesson.pk])


def studied_url(lesson) -> str:
    return reverse("courses:studied", args=[lesson.pk])


def post_json(client, url, data, **extra):
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.post(
        url, body, content_type="application/json", HTTP_ACCEPT="application/json", **extra
    )


@pytest.fixture
def learner_client(client, org, course_tree, enrol):
    enrol(org.finance_learner, course_tree.course)
    client.force_login(org.finance_learner)
    client.get(course_tree.video_lesson.url)  # opens the lesson: the heartbeat clock starts
    return client


def beat(**overrides):
    return {"seq": 1, "start": 0, "end": 1, "rate": 1.0, "visible": True, **overrides}


def test_a_heartbeat_is_accepted_and_answers_the_progress(learner_client, course_tree):
    response = post_json(
        learner_client,
        heartbeat_url(course_tree.video_lesson),
        beat(media=course_tree.video.pk),
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["ok"] is True
    assert data["seq"] == 1
    assert data["media_duration"] == 120
    assert data["lesson_completed"] is False
    progress = LessonProgress.objects.get(lesson=course_tree.video_lesson)
    assert progress.watched == {str(course_tree.video.pk): [[0.0, 1.0]]}


def test_anonymous_reports_get_401_json(client, course_tree):
    response = post_json(client, heartbeat_url(course_tree.video_lesson), beat())
    assert response.status_code == 401
    assert response.json()["reason"] == "login"
    assert response.json()["message"]


def test_anonymous_mark_as_studied_form_goes_to_login(client, course_tree):
    response = client.post(studied_url(course_tree.lessons[0]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_get_is_not_allowed(learner_client, course_tree):
    assert learner_client.get(heartbeat_url(course_tree.video_lesson)).status_code == 405
    assert learner_client.get(studied_url(course_tree.lessons[0])).status_code == 405


def test_a_person_not_enrolled_is_refused(client, org, course_tree):
    client.force_login(org.housing_learner)
    response = post_json(client, heartbeat_url(course_tree.video_lesson), beat())
    assert response.status_code == 403
    assert response.json()["reason"] == "not_enrolled"
    assert response.json()["message"]
    response = post_json(client, studied_url(course_tree.lessons[0]), {})
    assert response.status_code == 403
    assert not LessonProgress.objects.exists()


def test_mark_as_studied_without_enrolment_as_a_form_shows_the_message(client, org, course_tree):
    client.force_login(org.housing_learner)
    response = client.post(studied_url(course_tree.lessons[0]), follow=True)
    assert response.status_code == 200
    assert "record your progress" in response.content.decode() or "记录" in (
        response.content.decode()
    )
    assert not LessonProgress.objects.exists()


def test_csrf_is_required(org, course_tree, enrol):
    enrol(org.finance_learner, course_tree.course)
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.finance_learner)
    assert post_json(client, heartbeat_url(course_tree.video_lesson), beat()).status_code == 403
    assert client.post(studied_url(course_tree.lessons[0])).status_code == 403
    assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        "[1, 2]",
        "{}",
        json.dumps(beat(seq=0)),
        json.dumps(beat(seq="1")),
        json.dumps(beat(seq=True)),
        json.dumps(beat(start="0")),
        json.dumps(beat(end=None)),
        json.dumps(beat(rate=True)),
        json.dumps(beat(visible="yes")),
        json.dumps(beat(media="1")),
        json.dumps({**beat(), "padding": "x" * 4096}),
        b"\xff\xfe",
    ],
)
def test_malformed_reports_get_400_and_change_nothing(learner_client, course_tree, payload):
    before = LessonProgress.objects.get(lesson=course_tree.video_lesson)
    response = post_json(learner_client, heartbeat_url(course_tree.video_lesson), payload)
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert response.json()["message"]
    after = LessonProgress.objects.get(lesson=course_tree.video_lesson)
    assert (after.heartbeat_seq, after.watched) == (before.heartbeat_seq, before.watched)


@pytest.mark.parametrize(
    ("overrides", "status", "reason"),
    [
        ({"start": -5, "end": 1}, 400, "range"),
        ({"start": 10, "end": 5}, 400, "range"),
        ({"start": 0, "end": 500}, 400, "range"),
        ({"media": 999999}, 400, "unknown_media"),
        ({"start": 0, "end": 60}, 422, "too_fast"),
        ({"rate": 3.0}, 200, "rate"),
        ({"visible": False}, 200, "hidden"),
    ],
)
def test_reports_that_do_not_count_say_why(learner_client, course_tree, overrides, status, reason):
    response = post_json(learner_client, heartbeat_url(course_tree.video_lesson), beat(**overrides))
    assert response.status_code == status
    data = response.json()
    assert data["ok"] is False and data["reason"] == reason and data["message"]
    assert LessonProgress.objects.get(lesson=course_tree.video_lesson).watched_seconds == 0


def test_a_replayed_report_gets_409(learner_client, course_tree):
    url = heartbeat_url(course_tree.video_lesson)
    assert post_json(learner_client, url, beat()).status_code == 200
    response = post_json(learner_client, url, beat())
    assert response.status_code == 409
    assert response.json()["reason"] == "stale"
    assert response.json()["seq"] == 1


def test_an_unknown_or_unpublished_lesson_is_404(learner_client, course_tree):
    assert post_json(learner_client, "/study/lessons/999999/heartbeat/", beat()).status_code == 404
    lesson = course_tree.lessons[0]
    lesson.unpublish()
    assert post_json(learner_client, studied_url(lesson), {}).status_code == 404


def test_mark_as_studied_by_form_redirects_back_with_a_message(learner_client, course_tree):
    lesson = course_tree.lessons[0]
    response = learner_client.post(studied_url(lesson), follow=True)
    assert response.redirect_chain[-1][0] == lesson.url
    assert LessonProgress.objects.get(lesson=lesson).completed_at is not None
    assert response.context["lesson_completed"] is True


def test_mark_as_studied_json(learner_client, course_tree):
    response = post_json(learner_client, studied_url(course_tree.lessons[0]), {})
    assert response.status_code == 200
    assert response.json()["ok"] is True and response.json()["lesson_completed"] is True


def test_mark_as_studied_is_refused_for_a_video_lesson(learner_client, course_tree):
    response = post_json(learner_client, studied_url(course_tree.video_lesson), {})
    assert response.status_code == 400
    assert response.json()["reason"] == "has_media"
    assert LessonProgress.objects.get(lesson=course_tree.video_lesson).completed_at is None


def test_the_last_lesson_completes_the_course(learner_client, course_tree):
    """Through the endpoints: two lessons marked, the video watched in real time (the
    server's clock is moved forward between reports)."""
    import datetime

    from django.utils import timezone

    for lesson in (course_tree.lessons[0], course_tree.lessons[2]):
        assert post_json(learner_client, studied_url(lesson), {}).status_code == 200
    url = heartbeat_url(course_tree.video_lesson)
    start = timezone.now()
    data = {}
    for i in range(8):
        moment = start + datetime.timedelta(seconds=15 * (i + 1))
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("django.utils.timezone.now", lambda moment=moment: moment)
            response = post_json(
                learner_client, url, beat(seq=i + 1, start=15 * i, end=15 * (i + 1))
            )
        assert response.status_code == 200, response.content
        data = response.json()
    assert data["lesson_completed"] is True and data["course_completed"] is True
    assert CourseCompletion.objects.filter(course=course_tree.course).count() == 1
