"""The course catalogue, course, lesson and honesty-talk pages as visitors and learners
see them; the page tree rules; query counts that do not grow with the number of lessons,
courses or body blocks."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from wagtail.documents.models import Document
from wagtail.rich_text import RichText
from wagtail.test.utils import WagtailPageTestCase

from cases.factories import ArticleFactory, CaseIndexPageFactory, CasePageFactory, category
from courses.factories import (
    CoursePageFactory,
    LessonPageFactory,
    TalkPageFactory,
)
from courses.models import (
    CourseCompletion,
    CourseIndexPage,
    CourseKind,
    CoursePage,
    LessonPage,
    LessonProgress,
    TalkIndexPage,
    TalkPage,
)
from qinglian.models import HomePage

from .conftest import media_create

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)

# Query budgets per request, everything included: Wagtail's routing (site, one query
# per tree level, aliases, view restrictions) ≈ 9, and for a logged-in person the
# session, the user, the session save and the header's context processors ≈ 7.
MAX_QUERIES = 22
# A lesson whose body uses every block type: one query per kind of chosen object
# (videos, audios, documents, cases, articles, talks) plus their prefetches
# (disciplines, talk media, regulations), whatever the number of blocks.
MAX_LESSON_QUERIES = {False: 24, True: 34}


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- Tree rules --------------------------------------------------------------------------------


class CourseTreeRules(WagtailPageTestCase):
    def test_the_catalogue_holds_courses_and_courses_hold_lessons(self):
        self.assertAllowedSubpageTypes(CourseIndexPage, {CoursePage})
        self.assertAllowedSubpageTypes(CoursePage, {LessonPage})
        self.assertAllowedSubpageTypes(LessonPage, set())
        self.assertAllowedParentPageTypes(CoursePage, {CourseIndexPage})
        self.assertAllowedParentPageTypes(LessonPage, {CoursePage})

    def test_a_lesson_exists_only_under_a_course(self):
        self.assertCanCreateAt(CoursePage, LessonPage)
        self.assertCanNotCreateAt(CourseIndexPage, LessonPage)
        self.assertCanNotCreateAt(HomePage, LessonPage)
        self.assertCanNotCreateAt(HomePage, CoursePage)
        self.assertCanCreateAt(HomePage, CourseIndexPage)

    def test_talks_live_in_the_talk_library(self):
        self.assertAllowedSubpageTypes(TalkIndexPage, {TalkPage})
        self.assertAllowedParentPageTypes(TalkPage, {TalkIndexPage})
        self.assertCanNotCreateAt(CoursePage, TalkPage)
        self.assertCanCreateAt(HomePage, TalkIndexPage)


def test_every_page_of_the_tree_is_routable(course_tree):
    from wagtail.models import Page

    for page in [
        course_tree.index,
        course_tree.course,
        *course_tree.lessons,
        course_tree.talk_index,
        course_tree.talk,
    ]:
        assert Page.objects.get(pk=page.pk).specific.url
        assert page.get_url() is not None


# --- Anonymous visitors --------------------------------------------------------------------------


def test_anonymous_visitors_read_every_page_without_progress_features(client, course_tree):
    html = html_of(client.get(course_tree.index.url))
    assert course_tree.course.title in html
    assert "/accounts/login/" in html
    html = html_of(client.get(course_tree.course.url))
    assert "第一课 总则" in html and "第三课 案例" in html
    assert 'class="lesson-list__status"' not in html
    html = html_of(client.get(course_tree.video_lesson.url))
    assert "<video" in html and 'preload="metadata"' in html
    assert "data-heartbeat-url" not in html
    assert "lesson-progress.js" not in html
    assert "/accounts/login/" in html
    html = html_of(client.get(course_tree.lessons[0].url))
    assert "Mark as studied" not in html and "标记为已学" not in html
    assert course_tree.talk.title in html_of(client.get(course_tree.talk_index.url))
    html = html_of(client.get(course_tree.talk.url))
    assert course_tree.talk.speaker in html
    assert not LessonProgress.objects.exists()


# --- A learner -------------------------------------------------------------------------------


def test_opening_a_lesson_records_it_for_an_enrolled_learner(client, org, course_tree, enrol):
    enrolment = enrol(org.finance_learner, course_tree.course, due_date=datetime.date(2026, 12, 31))
    client.force_login(org.finance_learner)
    html = html_of(client.get(course_tree.course.url))
    assert 'href="/courses/jlcftl/lesson-1/"' in html
    assert re.search(r'class="button" href="/courses/jlcftl/lesson-1/">\s*(Start|开始)', html)
    assert "2026-12-31" in html

    html = html_of(client.get(course_tree.video_lesson.url))
    assert f'data-media="{course_tree.video.pk}"' in html
    assert 'data-duration="120"' in html
    assert (
        f'data-heartbeat-url="{reverse("courses:heartbeat", args=[course_tree.video_lesson.pk])}"'
        in html
    )
    assert "lesson-progress.js" in html
    assert LessonProgress.objects.filter(
        user=org.finance_learner, lesson=course_tree.video_lesson
    ).exists()
    enrolment.refresh_from_db()
    assert enrolment.started_at is not None

    html = html_of(client.get(course_tree.lessons[0].url))
    assert reverse("courses:studied", args=[course_tree.lessons[0].pk]) in html
    html = html_of(client.get(course_tree.course.url))
    assert re.search(r'class="button" href="/courses/jlcftl/lesson-1/">\s*(Continue|继续)', html)


def test_the_video_tracker_exposes_nothing_that_completes_the_lesson(
    client, org, course_tree, enrol
):
    enrol(org.finance_learner, course_tree.course)
    client.force_login(org.finance_learner)
    html = html_of(client.get(course_tree.video_lesson.url))
    player = re.search(r"<video[^>]*>", html).group(0)
    attributes = set(re.findall(r"(data-[a-z-]+)=", player))
    assert attributes == {
        "data-track-lesson",
        "data-heartbeat-url",
        "data-media",
        "data-duration",
        "data-seq",
    }
    assert "studied" not in player and "token" not in player


def test_a_preview_records_nothing(rf, org, course_tree, enrol):
    """A trainer previewing (even one enrolled in the course) leaves no progress."""
    enrol(org.finance_learner, course_tree.course)
    for page in (course_tree.course, course_tree.video_lesson, course_tree.lessons[0]):
        request = rf.get("/")
        request.user = org.finance_learner
        assert page.make_preview_request(original_request=request).status_code == 200
    unsaved = LessonPage(title="新课", slug="new-lesson", depth=course_tree.course.depth + 1)
    unsaved.path = course_tree.course.path + "ZZZZ"
    request = rf.get("/")
    request.user = org.finance_learner
    assert unsaved.make_preview_request(original_request=request).status_code == 200
    assert not LessonProgress.objects.exists()


def test_a_learner_not_enrolled_is_told_and_not_tracked(client, org, course_tree):
    client.force_login(org.housing_learner)
    html = html_of(client.get(course_tree.video_lesson.url))
    assert "data-heartbeat-url" not in html
    assert not LessonProgress.objects.exists()
    try:
        enrol_url = reverse("assignments:self_enrol", args=[course_tree.course.pk])
    except NoReverseMatch:
        enrol_url = None
    course_html = html_of(client.get(course_tree.course.url))
    if enrol_url:
        assert f'action="{enrol_url}"' in course_html
        assert f'action="{enrol_url}"' in html


def test_lesson_statuses_progress_and_neighbours(client, org, course_tree, enrol):
    user = org.finance_learner
    enrol(user, course_tree.course)
    LessonProgress.objects.create(user=user, lesson=course_tree.lessons[0], completed_at=T0)
    client.force_login(user)
    html = html_of(client.get(course_tree.course.url))
    assert "lesson-list__item--completed" in html
    assert 'value="33"' in html  # 1 of 3 lessons
    # Continue goes to the first lesson not done.
    assert re.search(r'class="button" href="/courses/jlcftl/lesson-2/"', html)
    html = html_of(client.get(course_tree.video_lesson.url))
    assert 'rel="prev"' in html and "/courses/jlcftl/lesson-1/" in html
    assert 'rel="next"' in html and "/courses/jlcftl/lesson-3/" in html
    html = html_of(client.get(course_tree.lessons[0].url))
    assert 'rel="prev"' not in html
    assert "status--done" in html


def test_the_quiz_step_links_to_the_quiz(client, org, course_tree, enrol):
    from quizzes.factories import QuizFactory

    quiz = QuizFactory(section=False, title="条例知识测试")
    course = course_tree.course
    course.quiz = quiz
    course.save_revision().publish()
    enrol(org.finance_learner, course)
    client.force_login(org.finance_learner)
    html = html_of(client.get(course.url))
    assert "条例知识测试" in html
    try:
        quiz_url = reverse("quizzes:detail", args=[quiz.slug])
    except NoReverseMatch:
        quiz_url = None
    if quiz_url:
        assert f'href="{quiz_url}"' in html


def test_catalogue_shows_each_viewers_status_and_filters_by_kind(client, org, course_tree, enrol):
    index = course_tree.index
    warning = CoursePageFactory(parent=index, title="警示教育专题", kind=CourseKind.WARNING)
    LessonPageFactory(parent=warning)
    done = CoursePageFactory(parent=index, title="已完成课程")
    user = org.finance_learner
    enrol(user, course_tree.course, due_date=datetime.date(2026, 6, 30))
    LessonProgress.objects.create(user=user, lesson=course_tree.lessons[0], completed_at=T0)
    enrol(user, done)
    CourseCompletion.objects.create(user=user, course=done, hours=2)
    client.force_login(user)
    html = html_of(client.get(index.url))
    cards = dict(
        re.findall(
            r'<li class="course-card course-card--([a-z_]+)">.*?<a href="[^"]+">([^<]+)</a>',
            html,
            re.S,
        )
    )
    assert set(cards.values()) == {"纪律处分条例学习", "警示教育专题", "已完成课程"}
    statuses = re.findall(r'<li class="course-card course-card--([a-z_]+)">', html)
    assert sorted(statuses) == ["completed", "in_progress", "not_enrolled"]
    assert "1/3" in html  # in progress 1 of 3
    assert "2026-06-30" in html
    html = html_of(client.get(index.url + "?kind=warning"))
    assert "警示教育专题" in html and "纪律处分条例学习" not in html
    assert 'aria-current="page"' in html
    html = html_of(client.get(index.url + "?kind=nonsense"))
    assert "纪律处分条例学习" in html  # an unknown kind is ignored


def test_talk_library_lists_newest_first_and_the_talk_page_shows_it_all(client, course_tree):
    older = TalkPageFactory(
        parent=course_tree.talk_index, title="旧党课", date=datetime.date(2024, 1, 1)
    )
    newer = TalkPageFactory(
        parent=course_tree.talk_index, title="新党课", date=datetime.date(2026, 9, 1)
    )
    html = html_of(client.get(course_tree.talk_index.url))
    assert html.index("新党课") < html.index(course_tree.talk.title) < html.index("旧党课")
    library = CaseIndexPageFactory(parent=HomePage.objects.get(), slug="cases")
    case = CasePageFactory(
        parent=library, title="收受礼金案", decision_date=datetime.date(2024, 3, 1)
    )
    newer.video = media_create(title="党课录像", duration=3725)
    newer.transcript = "<p>同志们：今天讲一堂廉政党课。</p>"
    newer.related_cases.add(case)
    newer.save_revision().publish()
    html = html_of(client.get(newer.url))
    assert "<video" in html and "1:02:05" in html
    assert "今天讲一堂廉政党课" in html
    assert "收受礼金案" in html
    assert older.title not in html


# --- Block templates -------------------------------------------------------------------------


def rich_body(n: int, *, library, talk_index) -> list:
    """A lesson body of ``n`` blocks cycling through every block type, each chooser
    block pointing at its own object (so related objects grow with the body)."""
    body: list = []
    i = 0
    while len(body) < n:
        i += 1
        kind = len(body) % 8
        if kind == 0:
            body.append(("paragraph", RichText(f"<p>第{i}段：严守纪律。</p>")))
        elif kind == 1:
            body.append(("key_points", {"heading": "要点", "points": ["一", "二"]}))
        elif kind == 2:
            video = media_create(title=f"视频{i}", duration=60)
            body.append(("video", {"video": video, "transcript": RichText("<p>文字稿</p>")}))
        elif kind == 3:
            audio = media_create(title=f"音频{i}", kind="audio", duration=30)
            body.append(("audio", {"audio": audio, "transcript": RichText("")}))
        elif kind == 4:
            doc = Document.objects.create(
                title=f"学习材料{i}", file=ContentFile(b"%PDF-1.4 test", name=f"doc{i}.pdf")
            )
            body.append(("document", {"document": doc, "description": "请下载阅读"}))
        elif kind == 5:
            case = CasePageFactory(
                parent=library,
                title=f"案例{i}",
                decision_date=datetime.date(2024, 1, 1),
                categories=[category("integrity")],
            )
            body.append(("case", {"case": case, "note": "典型案例"}))
        elif kind == 6:
            article = ArticleFactory(number=100 + i)
            body.append(("article_quote", {"article": article, "note": ""}))
        else:
            talk = TalkPageFactory(parent=talk_index, video=media_create(title=f"党课{i}"))
            body.append(("talk", {"talk": talk}))
    return body


@pytest.fixture
def library():
    return CaseIndexPageFactory(parent=HomePage.objects.get(), slug="cases")


def test_every_block_renders(client, org, course_tree, enrol, library):
    lesson = LessonPageFactory(
        parent=course_tree.course,
        body=rich_body(8, library=library, talk_index=course_tree.talk_index),
    )
    enrol(org.finance_learner, course_tree.course)
    client.force_login(org.finance_learner)
    html = html_of(client.get(lesson.url))
    assert "<audio" in html and "<video" in html
    assert html.count("data-heartbeat-url") == 3  # video, audio, the talk's video
    assert "学习材料" in html and "PDF" in html and "download" in html
    assert "案例" in html and "典型案例" in html and "廉洁纪律" in html
    assert "测试条文内容" in html
    assert "<details" in html and "文字稿" in html
    assert "Mark as studied" not in html


def test_an_unpublished_embedded_case_is_not_shown(client, course_tree, library):
    case = CasePageFactory(
        parent=library, title="未发布案例", decision_date=datetime.date(2024, 1, 1)
    )
    case.unpublish()
    lesson = LessonPageFactory(
        parent=course_tree.course, body=[("case", {"case": case, "note": ""})]
    )
    assert "未发布案例" not in html_of(client.get(lesson.url))


# --- Query counts ----------------------------------------------------------------------------


def test_course_page_queries_do_not_grow_with_its_lessons(client, org, course_tree, enrol):
    enrol(org.finance_learner, course_tree.course)
    client.force_login(org.finance_learner)
    url = course_tree.course.url
    client.get(url)
    three = count_queries(client, url)
    for _ in range(3):
        LessonPageFactory(parent=course_tree.course)
    LessonProgress.objects.create(
        user=org.finance_learner, lesson=course_tree.lessons[0], completed_at=T0
    )
    six = count_queries(client, url)
    assert three == six
    assert six <= MAX_QUERIES


def test_course_page_queries_for_anonymous_visitors(
    client, django_assert_max_num_queries, course_tree
):
    client.get(course_tree.course.url)
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(course_tree.course.url)


@pytest.mark.parametrize("logged_in", [False, True])
def test_lesson_page_queries_do_not_grow_with_its_body(
    client, org, course_tree, enrol, library, logged_in
):
    if logged_in:
        enrol(org.finance_learner, course_tree.course)
        client.force_login(org.finance_learner)
    small = LessonPageFactory(
        parent=course_tree.course,
        body=rich_body(30, library=library, talk_index=course_tree.talk_index),
    )
    large = LessonPageFactory(
        parent=course_tree.course,
        body=rich_body(60, library=library, talk_index=course_tree.talk_index),
    )
    client.get(small.url)
    client.get(large.url)
    thirty = count_queries(client, small.url)
    sixty = count_queries(client, large.url)
    assert thirty == sixty
    assert sixty <= MAX_LESSON_QUERIES[logged_in]


def test_catalogue_queries_do_not_grow_with_the_courses(client, org, course_tree, enrol):
    enrol(org.finance_learner, course_tree.course)
    client.force_login(org.finance_learner)
    url = course_tree.index.url
    client.get(url)
    one = count_queries(client, url)
    for _ in range(6):
        course = CoursePageFactory(parent=course_tree.index)
        LessonPageFactory(parent=course)
        enrol(org.finance_learner, course)
    seven = count_queries(client, url)
    assert one == seven
    assert seven <= MAX_QUERIES


def test_talk_pages_queries_are_pinned(client, course_tree, django_assert_max_num_queries):
    for n in range(5):
        TalkPageFactory(parent=course_tree.talk_index, video=media_create(title=f"党课{n}"))
    client.get(course_tree.talk_index.url)
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(course_tree.talk_index.url)
    few = count_queries(client, course_tree.talk_index.url)
    for n in range(5):
        TalkPageFactory(parent=course_tree.talk_index, video=media_create(title=f"更多{n}"))
    assert count_queries(client, course_tree.talk_index.url) == few
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(course_tree.talk.url)
