"""Reads about a person's progress: a course's lessons with their status, counts, percent
and the next lesson to study; the catalogue with the viewer's status per course; the media
a lesson tracks.

Every function here runs a fixed number of queries, whatever the number of lessons or
courses: lessons are queried as ``LessonPage`` rows with their StreamFields deferred, the
person's progress rows for all of them in one query, and so on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from ..models import (
    CompletionRule,
    CourseCompletion,
    CoursePage,
    Enrolment,
    LessonPage,
    LessonProgress,
    TalkPage,
)

if TYPE_CHECKING:
    from quizzes.models import Attempt, Quiz


# Statuses of a lesson and of a course for one person.
NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
NOT_ENROLLED = "not_enrolled"


# --- Media a lesson tracks ---------------------------------------------------------------


@dataclass(frozen=True)
class TrackedMedia:
    """A video or audio of a lesson whose watching counts toward completing it.

    ``key`` identifies it inside ``LessonProgress.watched`` (the media id as a string:
    the same media twice in a lesson is watched once). ``duration`` comes from the server
    (``wagtailmedia.Media.duration``), never from the browser.
    """

    key: str
    media_id: int
    title: str
    duration: float


def lesson_media_ids(*, lesson: LessonPage) -> tuple[list[int], list[int]]:
    """The media ids of the lesson's video and audio blocks, and the page ids of the
    honesty talks it embeds, in body order; read from the raw body (no queries)."""
    media_ids: list[int] = []
    talk_ids: list[int] = []
    for block in lesson.body.raw_data:
        value = block.get("value") or {}
        if block.get("type") == "video" and value.get("video"):
            media_ids.append(int(value["video"]))
        elif block.get("type") == "audio" and value.get("audio"):
            media_ids.append(int(value["audio"]))
        elif block.get("type") == "talk" and value.get("talk"):
            talk_ids.append(int(value["talk"]))
    return media_ids, talk_ids


def lesson_tracked_media(*, lesson: LessonPage) -> list[TrackedMedia]:
    """The media of a lesson that count toward completing it: its video and audio blocks
    and the videos of the live honesty talks it embeds, with a known duration (> 0).

    A media item whose duration the trainer left at 0 cannot be measured; it is shown
    but not tracked, and a lesson with nothing trackable is completed with "Mark as
    studied". At most two queries."""
    from wagtailmedia.models import Media

    media_ids, talk_ids = lesson_media_ids(lesson=lesson)
    if talk_ids:
        talk_media = dict(
            TalkPage.objects.live()
            .filter(pk__in=talk_ids, video__isnull=False)
            .values_list("pk", "video_id")
        )
        media_ids += [talk_media[t] for t in talk_ids if t in talk_media]
    if not media_ids:
        return []
    rows = Media.objects.filter(pk__in=set(media_ids), duration__gt=0).only(
        "pk", "title", "duration"
    )
    by_id = {m.pk: m for m in rows}
    tracked: dict[int, TrackedMedia] = {}
    for media_id in media_ids:
        media = by_id.get(media_id)
        if media is not None and media_id not in tracked:
            tracked[media_id] = TrackedMedia(
                key=str(media_id), media_id=media_id, title=media.title, duration=media.duration
            )
    return list(tracked.values())


def lesson_tracked_media_from_body(*, lesson: LessonPage) -> list[TrackedMedia]:
    """The same as ``lesson_tracked_media``, read from the body's converted blocks (for
    a page that renders its body anyway: no queries of its own once the embedded talks'
    media are prefetched)."""
    items = []
    for block in lesson.body:
        value = block.value
        if block.block_type == "video":
            items.append(value["video"])
        elif block.block_type == "audio":
            items.append(value["audio"])
        elif block.block_type == "talk" and value["talk"] is not None and value["talk"].live:
            items.append(value["talk"].video)
    tracked: dict[int, TrackedMedia] = {}
    for media in items:
        if media is not None and media.duration > 0 and media.pk not in tracked:
            tracked[media.pk] = TrackedMedia(
                key=str(media.pk), media_id=media.pk, title=media.title, duration=media.duration
            )
    return list(tracked.values())


def watched_coverage(*, watched: Any, key: str) -> float:
    """Seconds of one media item covered by the merged intervals in ``watched``."""
    if not isinstance(watched, dict):
        return 0.0
    return float(sum(end - start for start, end in watched.get(key, [])))


# --- Courses and lessons ----------------------------------------------------------------


def lesson_course(*, lesson: LessonPage) -> CoursePage | None:
    """The course a lesson belongs to (its parent), in one query."""
    return CoursePage.objects.filter(path=lesson.path[: -lesson.steplen]).first()


def course_lessons(*, course: CoursePage) -> list[LessonPage]:
    """The live lessons of a course in tree order, bodies deferred. One query."""
    return list(
        LessonPage.objects.live()
        .child_of(course)
        .defer_streamfields()
        .order_by("path")
        .only(
            "pk", "title", "slug", "path", "depth", "url_path", "estimated_minutes", "is_required"
        )
    )


def counted_lessons(*, course: CoursePage, lessons: Sequence[LessonPage]) -> list[LessonPage]:
    """The lessons that must be completed for the course to complete.

    "All required lessons": the lessons marked required, or every lesson when none is
    marked (a course is never completed by studying nothing). "All lessons": every one.
    """
    if course.completion_rule == CompletionRule.REQUIRED_LESSONS:
        required = [lesson for lesson in lessons if lesson.is_required]
        if required:
            return required
    return list(lessons)


@dataclass
class LessonStatus:
    lesson: LessonPage
    status: str
    counted: bool
    progress: LessonProgress | None = None

    @property
    def is_completed(self) -> bool:
        return self.status == COMPLETED


@dataclass
class QuizStep:
    """The course quiz as a step of the course, for one person."""

    quiz: Quiz
    status: str  # NOT_STARTED, IN_PROGRESS (an open attempt), "failed", COMPLETED (passed)
    best_percent: Any = None
    attempts: int = 0


@dataclass
class CourseProgress:
    course: CoursePage
    lessons: list[LessonStatus]
    enrolment: Enrolment | None = None
    completion: CourseCompletion | None = None
    quiz_step: QuizStep | None = None
    counted_total: int = 0
    counted_done: int = 0
    done: int = 0
    next_lesson: LessonPage | None = None
    statuses: dict[int, LessonStatus] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.lessons)

    @property
    def percent(self) -> int:
        """Share of the lessons that count toward completion, done (0–100)."""
        if self.completion is not None:
            return 100
        if not self.counted_total:
            return 0
        return int(100 * self.counted_done / self.counted_total)

    @property
    def status(self) -> str:
        if self.enrolment is None:
            return COMPLETED if self.completion is not None else NOT_ENROLLED
        if self.completion is not None or self.enrolment.completed_at is not None:
            return COMPLETED
        if self.enrolment.started_at is not None or self.done:
            return IN_PROGRESS
        return NOT_STARTED

    @property
    def is_enrolled(self) -> bool:
        return self.enrolment is not None

    @property
    def has_started(self) -> bool:
        return self.done > 0 or any(s.progress is not None for s in self.lessons)

    @property
    def lessons_done(self) -> bool:
        return self.counted_done >= self.counted_total > 0


def _quiz_step(*, user: Any, quiz: Quiz | None) -> QuizStep | None:
    if quiz is None:
        return None
    from django.db.models import Count, Max

    from quizzes.models import Attempt, AttemptStatus

    if not getattr(user, "is_authenticated", False):
        return QuizStep(quiz=quiz, status=NOT_STARTED)
    agg = Attempt.objects.filter(quiz=quiz, user=user).aggregate(
        attempts=Count("pk"),
        open=Count("pk", filter=Q(status=AttemptStatus.OPEN)),
        passed=Count("pk", filter=Q(status=AttemptStatus.SUBMITTED, passed=True)),
        best=Max("percent", filter=Q(status=AttemptStatus.SUBMITTED)),
    )
    if agg["passed"]:
        status = COMPLETED
    elif agg["open"]:
        status = IN_PROGRESS
    elif agg["attempts"]:
        status = "failed"
    else:
        status = NOT_STARTED
    return QuizStep(quiz=quiz, status=status, best_percent=agg["best"], attempts=agg["attempts"])


def course_progress(
    *, user: Any, course: CoursePage, lessons: list[LessonPage] | None = None
) -> CourseProgress:
    """A person's progress in a course: every live lesson with its status, the counts
    toward the completion rule, the percent, the next lesson to study and the quiz step.

    For an anonymous visitor every lesson is "not started" and nothing is queried beyond
    the lessons. At most six queries whatever the number of lessons."""
    from quizzes.models import Quiz

    if lessons is None:
        lessons = course_lessons(course=course)
    counted_ids = {lesson.pk for lesson in counted_lessons(course=course, lessons=lessons)}
    authenticated = bool(getattr(user, "is_authenticated", False))
    progress_by_lesson: dict[int, LessonProgress] = {}
    enrolment = completion = None
    if authenticated:
        enrolment = Enrolment.objects.filter(user=user, course=course).first()
        completion = CourseCompletion.objects.filter(user=user, course=course).first()
        if lessons:
            progress_by_lesson = {
                p.lesson_id: p
                for p in LessonProgress.objects.filter(
                    user=user, lesson_id__in=[lesson.pk for lesson in lessons]
                )
            }
    quiz = Quiz.objects.filter(pk=course.quiz_id).first() if course.quiz_id else None
    statuses: list[LessonStatus] = []
    for lesson in lessons:
        progress = progress_by_lesson.get(lesson.pk)
        if progress is None:
            status = NOT_STARTED
        elif progress.completed_at is not None:
            status = COMPLETED
        else:
            status = IN_PROGRESS
        statuses.append(
            LessonStatus(
                lesson=lesson, status=status, counted=lesson.pk in counted_ids, progress=progress
            )
        )
    done = sum(1 for s in statuses if s.is_completed)
    counted_done = sum(1 for s in statuses if s.is_completed and s.counted)
    next_lesson = next((s.lesson for s in statuses if not s.is_completed), None)
    return CourseProgress(
        course=course,
        lessons=statuses,
        enrolment=enrolment,
        completion=completion,
        quiz_step=_quiz_step(user=user, quiz=quiz),
        counted_total=len(counted_ids),
        counted_done=counted_done,
        done=done,
        next_lesson=next_lesson,
        statuses={s.lesson.pk: s for s in statuses},
    )


# --- The catalogue --------------------------------------------------------------------------


@dataclass
class CourseCard:
    """One course in the catalogue, with the viewer's status."""

    course: CoursePage
    lessons_total: int
    lessons_done: int = 0
    counted_total: int = 0
    counted_done: int = 0
    status: str = NOT_ENROLLED
    enrolment: Enrolment | None = None

    @property
    def percent(self) -> int:
        if self.status == COMPLETED:
            return 100
        if not self.counted_total:
            return 0
        return int(100 * self.counted_done / self.counted_total)


def course_catalogue_queryset(*, index: Any, kind: str = "") -> QuerySet[CoursePage]:
    """The live, public courses of a catalogue (newest first), covers' thumbnails
    prefetched, bodies deferred."""
    from django.db.models import Prefetch
    from wagtail.images import get_image_model

    Image = get_image_model()
    qs = (
        CoursePage.objects.live()
        .public()
        .child_of(index)
        .defer_streamfields()
        .prefetch_related(
            Prefetch("cover", queryset=Image.objects.prefetch_renditions("fill-480x270"))
        )
        .order_by("-first_published_at", "-pk")
    )
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def course_cards(*, user: Any, courses: Iterable[CoursePage]) -> list[CourseCard]:
    """Cards for the given courses: lesson counts and, for a logged-in viewer, their
    enrolment, lessons done and status. Four queries whatever the number of courses."""
    courses = list(courses)
    if not courses:
        return []
    paths = {c.path: c for c in courses}
    depth = courses[0].depth + 1
    lessons_by_course: dict[int, list[LessonPage]] = {c.pk: [] for c in courses}
    # One query: the live lessons at the courses' depth under their parents (normally one
    # catalogue), grouped below by parent path.
    parents = {c.path[: -c.steplen] for c in courses}
    under = Q()
    for parent_path in parents:
        under |= Q(path__startswith=parent_path)
    lesson_rows = (
        LessonPage.objects.live()
        .filter(under, depth=depth)
        .defer_streamfields()
        .only("pk", "path", "depth", "is_required")
    )
    for lesson in lesson_rows:
        course = paths.get(lesson.path[: -lesson.steplen])
        if course is not None:
            lessons_by_course[course.pk].append(lesson)
    cards: dict[int, CourseCard] = {}
    for c in courses:
        lessons = lessons_by_course[c.pk]
        cards[c.pk] = CourseCard(
            course=c,
            lessons_total=len(lessons),
            counted_total=len(counted_lessons(course=c, lessons=lessons)),
        )
    if not getattr(user, "is_authenticated", False):
        return list(cards.values())
    course_ids = list(cards)
    enrolments = {
        e.course_id: e for e in Enrolment.objects.filter(user=user, course_id__in=course_ids)
    }
    completed = set(
        CourseCompletion.objects.filter(user=user, course_id__in=course_ids).values_list(
            "course_id", flat=True
        )
    )
    done_ids = set(
        LessonProgress.objects.filter(
            user=user,
            completed_at__isnull=False,
            lesson_id__in=[lesson.pk for ls in lessons_by_course.values() for lesson in ls],
        ).values_list("lesson_id", flat=True)
    )
    for c in courses:
        card = cards[c.pk]
        lessons = lessons_by_course[c.pk]
        counted = counted_lessons(course=c, lessons=lessons)
        card.lessons_done = sum(1 for lesson in lessons if lesson.pk in done_ids)
        card.counted_done = sum(1 for lesson in counted if lesson.pk in done_ids)
        card.enrolment = enrolments.get(c.pk)
        if c.pk in completed or (card.enrolment and card.enrolment.completed_at):
            card.status = COMPLETED
        elif card.enrolment is None:
            card.status = NOT_ENROLLED
        elif card.enrolment.started_at or card.lessons_done:
            card.status = IN_PROGRESS
        else:
            card.status = NOT_STARTED
    return list(cards.values())


def quiz_passed(*, user: Any, quiz_id: int) -> bool:
    """Whether the person has a submitted, passed attempt at the quiz."""
    from quizzes.models import Attempt, AttemptStatus

    return Attempt.objects.filter(
        quiz_id=quiz_id, user=user, status=AttemptStatus.SUBMITTED, passed=True
    ).exists()


def attempt_courses(*, attempt: Attempt) -> QuerySet[CoursePage]:
    """The courses whose quiz is the attempt's quiz."""
    return CoursePage.objects.filter(quiz_id=attempt.quiz_id).defer_streamfields()
