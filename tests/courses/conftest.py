"""Fixtures for the courses tests (shared by every helper's test files here).

``course_tree``: under the home page, a course catalogue with one course of three lessons
(the second one has a 120-second video), and an honesty-talk library with one talk.
``enrol`` enrols a person in a course (a plain row, as an assignment would).
``media_create`` makes a ``wagtailmedia`` item with a tiny file and a server-side duration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.core.files.base import ContentFile
from wagtail.rich_text import RichText

from courses.factories import (
    CourseIndexPageFactory,
    CoursePageFactory,
    LessonPageFactory,
    TalkIndexPageFactory,
    TalkPageFactory,
)
from courses.models import (
    CourseIndexPage,
    CoursePage,
    Enrolment,
    LessonPage,
    TalkIndexPage,
    TalkPage,
)
from qinglian.models import HomePage


def media_create(*, title: str = "条例解读视频", kind: str = "video", duration: float = 120):
    from wagtailmedia.models import Media

    ext = "mp4" if kind == "video" else "mp3"
    return Media.objects.create(
        title=title,
        type=kind,
        duration=duration,
        file=ContentFile(b"\x00\x00\x00\x18ftypmp42", name=f"clip.{ext}"),
    )


def video_body(media, *, text: str = "<p>观看视频，完成学习。</p>") -> list:
    return [
        ("paragraph", RichText(text)),
        ("video", {"video": media, "transcript": RichText("<p>视频文字稿。</p>")}),
    ]


@dataclass
class CourseTree:
    index: CourseIndexPage
    course: CoursePage
    lessons: list[LessonPage]
    video: object  # wagtailmedia.models.Media of lessons[1]
    talk_index: TalkIndexPage
    talk: TalkPage
    extra: dict = field(default_factory=dict)

    @property
    def video_lesson(self) -> LessonPage:
        return self.lessons[1]


def build_course_tree() -> CourseTree:
    home = HomePage.objects.get()
    index = CourseIndexPageFactory(parent=home)
    course = CoursePageFactory(parent=index, title="纪律处分条例学习", slug="jlcftl")
    video = media_create()
    lessons = [
        LessonPageFactory(parent=course, title="第一课 总则", slug="lesson-1"),
        LessonPageFactory(
            parent=course, title="第二课 视频解读", slug="lesson-2", body=video_body(video)
        ),
        LessonPageFactory(parent=course, title="第三课 案例", slug="lesson-3"),
    ]
    talk_index = TalkIndexPageFactory(parent=home)
    talk = TalkPageFactory(parent=talk_index, title="守住底线 廉洁从政", slug="talk-1")
    return CourseTree(
        index=index,
        course=course,
        lessons=lessons,
        video=video,
        talk_index=talk_index,
        talk=talk,
    )


@pytest.fixture
def course_tree(db) -> CourseTree:
    return build_course_tree()


@pytest.fixture
def enrol():
    def _enrol(user, course, *, required: bool = True, due_date=None) -> Enrolment:
        enrolment, _ = Enrolment.objects.get_or_create(
            user=user, course=course, defaults={"required": required, "due_date": due_date}
        )
        return enrolment

    return _enrol
