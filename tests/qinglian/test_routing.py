"""Deep pages are found by their URL path in one query (``HomePage.route``), with
Wagtail's own answers kept: live pages only, 404 for unknown paths, child pages of
unpublished sections still reachable as Wagtail allows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.factories import CourseIndexPageFactory, CoursePageFactory, LessonPageFactory
from qinglian.models import HomePage

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson():
    index = CourseIndexPageFactory(parent=HomePage.objects.get())
    course = CoursePageFactory(parent=index, slug="route-course", title="路由课程")
    return LessonPageFactory(parent=course, slug="route-lesson", title="路由课时")


def test_deep_page_is_served_by_its_url_path(client, lesson):
    response = client.get("/courses/route-course/route-lesson/")
    assert response.status_code == 200
    assert "路由课时" in response.content.decode()
    assert response.context["page"].specific_class.__name__ == "LessonPage"


def test_fewer_page_queries_than_one_per_segment(client, lesson):
    client.get("/courses/route-course/route-lesson/")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/courses/route-course/route-lesson/")
    page_selects = [
        q
        for q in ctx.captured_queries
        if 'FROM "wagtailcore_page"' in q["sql"] and "alias_of" not in q["sql"]
    ]
    # Site root + its specific page, the lookup, the lesson itself, and the lesson page's
    # own reads (its course and siblings): not one per segment and per ``specific``.
    assert len(page_selects) <= 6


def test_unpublished_and_unknown_paths_are_not_found(client, lesson):
    lesson.unpublish()
    assert client.get("/courses/route-course/route-lesson/").status_code == 404
    assert client.get("/courses/route-course/no-such-lesson/").status_code == 404
    assert client.get("/courses/no-such-course/route-lesson/").status_code == 404
