"""What the course, lesson and honesty-talk pages show: the context their ``get_context``
adds. Reads go through ``courses.selectors``; the one write is ``lesson_open`` (a person
enrolled in the course opened a lesson), made through ``courses.services.progress``.

Anonymous visitors see every page (the content is public within the intranet); progress,
enrolment and the tracker need a login, and the pages say so with a link to log in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.middleware.csrf import get_token
from django.urls import NoReverseMatch, reverse

from .models import CourseKind
from .selectors.progress import (
    IN_PROGRESS,
    course_cards,
    course_catalogue_queryset,
    course_lessons,
    course_progress,
    lesson_course,
    lesson_tracked_media_from_body,
    watched_coverage,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import CourseIndexPage, CoursePage, LessonPage, TalkIndexPage, TalkPage

COURSES_PER_PAGE = 24
TALKS_PER_PAGE = 20


def _reverse_or_none(name: str, *args: Any) -> str | None:
    """A URL another part of the site provides, or ``None`` while it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _is_preview(request: HttpRequest) -> bool:
    return bool(getattr(request, "is_preview", False))


def _login_url(request: HttpRequest) -> str:
    from urllib.parse import quote

    return f"{reverse('account_login')}?next={quote(request.get_full_path())}"


# --- Course catalogue ---------------------------------------------------------------------


def course_index_context(*, request: HttpRequest, page: CourseIndexPage) -> dict[str, Any]:
    """One page of course cards with the viewer's status, filtered by kind."""
    kind = request.GET.get("kind", "")
    if kind not in CourseKind.values:
        kind = ""
    paginator = Paginator(course_catalogue_queryset(index=page, kind=kind), COURSES_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    cards = course_cards(user=request.user, courses=page_obj.object_list)
    return {
        "cards": cards,
        "kind": kind,
        "kinds": CourseKind.choices,
        "page_obj": page_obj,
        "paginator": paginator,
        "is_paginated": paginator.num_pages > 1,
        "query_string": f"kind={kind}" if kind else "",
        "login_url": _login_url(request),
    }


# --- Course page -----------------------------------------------------------------------------


def course_page_context(*, request: HttpRequest, page: CoursePage) -> dict[str, Any]:
    """The lessons with the viewer's status, progress, the quiz step and what to do next."""
    user = request.user
    lessons = course_lessons(course=page)
    progress = course_progress(user=user, course=page, lessons=lessons)
    quiz = progress.quiz_step.quiz if progress.quiz_step else None
    self_enrol_url = None
    if page.self_enrol and user.is_authenticated and not progress.is_enrolled:
        self_enrol_url = _reverse_or_none("assignments:self_enrol", page.pk)
    cover = None
    if page.cover_id:
        from wagtail.images import get_image_model

        cover = get_image_model().objects.filter(pk=page.cover_id).first()
    return {
        "catalogue": page.get_parent(),
        "progress": progress,
        "lessons": progress.lessons,
        "quiz": quiz,
        "quiz_url": _reverse_or_none("quizzes:detail", quiz.slug) if quiz else None,
        "self_enrol_url": self_enrol_url,
        "next_lesson": progress.next_lesson or (lessons[0] if lessons else None),
        "total_minutes": sum(lesson.estimated_minutes for lesson in lessons),
        "cover": cover,
        "login_url": _login_url(request),
    }


# --- Lesson page -------------------------------------------------------------------------------


@dataclass
class Tracker:
    """What the lesson's players need to report playback: the endpoint, the last
    sequence number the server accepted, and the coverage so far per media item. Nothing
    here lets a browser complete the lesson: the server holds the durations and decides."""

    lesson_id: int
    heartbeat_url: str
    seq: int
    percent_by_media: dict[int, int] = field(default_factory=dict)
    tracked_ids: set[int] = field(default_factory=set)


def _prefetch_body(page: LessonPage) -> None:
    """Load what the body's blocks show about their chosen objects, one query per kind
    of relation however many blocks there are: the embedded cases' disciplines, the
    embedded talks' media, the quoted articles' regulations."""
    from cases.models import DisciplineCategory

    cases, talks, articles = [], [], []
    for block in page.body:
        value = block.value
        if block.block_type == "case" and value["case"] is not None:
            cases.append(value["case"])
        elif block.block_type == "talk" and value["talk"] is not None:
            talks.append(value["talk"])
        elif block.block_type == "article_quote" and value["article"] is not None:
            articles.append(value["article"])
    if cases:
        prefetch_related_objects(
            cases,
            Prefetch(
                "categories",
                queryset=DisciplineCategory.objects.select_related("parent").order_by(
                    "parent__order", "order"
                ),
            ),
        )
    if talks:
        prefetch_related_objects(talks, "video")
    if articles:
        prefetch_related_objects(articles, "regulation")


def lesson_page_context(*, request: HttpRequest, page: LessonPage) -> dict[str, Any]:
    """Breadcrumb, neighbours, the viewer's progress in the lesson and the course, and
    the tracker for the lesson's media. Opening the lesson records it for an enrolled
    person (not in a preview)."""
    from .services.progress import lesson_open

    user = request.user
    course = lesson_course(lesson=page)
    lessons = course_lessons(course=course) if course is not None else []
    progress = course_progress(user=user, course=course, lessons=lessons) if course else None
    enrolled = progress is not None and progress.is_enrolled
    _prefetch_body(page)
    media = lesson_tracked_media_from_body(lesson=page)
    status = progress.statuses.get(page.pk) if progress else None
    lesson_progress = status.progress if status else None
    if enrolled and progress is not None and not _is_preview(request) and page.pk:
        lesson_progress = lesson_open(
            user=user,
            lesson=page,
            enrolment=progress.enrolment,
            media=media,
            progress=lesson_progress,
        )
        if status is not None and status.progress is None:
            status.progress = lesson_progress
            status.status = IN_PROGRESS
    tracker = None
    if enrolled and lesson_progress is not None and media:
        get_token(request)  # the players post with the CSRF token
        tracker = Tracker(
            lesson_id=page.pk,
            heartbeat_url=reverse("courses:heartbeat", args=[page.pk]),
            seq=lesson_progress.heartbeat_seq,
            percent_by_media={
                m.media_id: min(
                    100,
                    int(
                        100
                        * watched_coverage(watched=lesson_progress.watched, key=m.key)
                        / m.duration
                    ),
                )
                for m in media
            },
            tracked_ids={m.media_id for m in media},
        )
    index = next((i for i, lesson in enumerate(lessons) if lesson.pk == page.pk), None)
    previous_lesson = lessons[index - 1] if index else None
    next_lesson = lessons[index + 1] if index is not None and index + 1 < len(lessons) else None
    return {
        "course": course,
        "progress": progress,
        "lesson_status": status,
        "lesson_completed": bool(status and status.is_completed),
        "enrolled": enrolled,
        "has_media": bool(media),
        "tracker": tracker,
        "studied_url": reverse("courses:studied", args=[page.pk]) if page.pk else None,
        "self_enrol_url": (
            _reverse_or_none("assignments:self_enrol", course.pk)
            if course is not None and course.self_enrol and user.is_authenticated and not enrolled
            else None
        ),
        "previous_lesson": previous_lesson,
        "next_lesson": next_lesson,
        "login_url": _login_url(request),
        "complete_percent": round(100 * float(settings.QINGLIAN_VIDEO_COMPLETE_SHARE)),
        "max_rate": f"{float(settings.QINGLIAN_MAX_PLAYBACK_RATE):g}",
    }


# --- Honesty talks -----------------------------------------------------------------------------


def talk_index_context(*, request: HttpRequest, page: TalkIndexPage) -> dict[str, Any]:
    """The live talks, newest first, one page at a time."""
    from .models import TalkPage

    talks = (
        TalkPage.objects.live()
        .public()
        .child_of(page)
        .defer("transcript")
        .select_related("video")
        .order_by("-date", "-pk")
    )
    paginator = Paginator(talks, TALKS_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    return {
        "talks": page_obj.object_list,
        "page_obj": page_obj,
        "paginator": paginator,
        "is_paginated": paginator.num_pages > 1,
        "query_string": "",
    }


def talk_page_context(*, request: HttpRequest, page: TalkPage) -> dict[str, Any]:
    """The talk's media and its related cases (live and public only)."""
    from wagtailmedia.models import Media

    from cases.models import CasePage

    related = (
        CasePage.objects.live()
        .public()
        .defer_streamfields()
        .filter(pk__in=page.related_cases.all())
        .select_related("rank_level")
        .order_by("-decision_date", "-pk")
    )
    return {
        "library": page.get_parent(),
        "media": Media.objects.filter(pk=page.video_id).first() if page.video_id else None,
        "related_cases": list(related),
    }
