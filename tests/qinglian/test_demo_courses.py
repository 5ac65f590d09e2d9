"""The demo's courses, honesty talks, question bank, quizzes and study records."""

from collections import Counter
from decimal import Decimal

from django.utils import timezone

from cases.demo import ARTICLES, CASES
from courses.demo import ASSIGNMENTS, COURSES, TALKS
from courses.models import (
    Assignment,
    CourseCompletion,
    CourseIndexPage,
    CourseKind,
    CoursePage,
    Enrolment,
    LessonPage,
    LessonProgress,
    TalkIndexPage,
    TalkPage,
)
from quizzes.demo import QUESTIONS, QUIZZES
from quizzes.models import Attempt, AttemptStatus, Question, QuestionType, Quiz, QuizKind


def counts() -> dict[str, int]:
    return {
        "courses": CoursePage.objects.count(),
        "lessons": LessonPage.objects.count(),
        "talks": TalkPage.objects.count(),
        "questions": Question.objects.count(),
        "quizzes": Quiz.objects.count(),
        "assignments": Assignment.objects.count(),
        "enrolments": Enrolment.objects.count(),
        "progress": LessonProgress.objects.filter(completed_at__isnull=False).count(),
        "completions": CourseCompletion.objects.count(),
        "attempts": Attempt.objects.count(),
    }


def test_demo_data_is_consistent():
    """The embedded content only points at things the demo has (no build needed)."""
    article_numbers = {number for number, *_rest in ARTICLES}
    case_slugs = {case.slug for case in CASES}
    talk_slugs = {talk.slug for talk in TALKS}
    for question in QUESTIONS:
        assert set(question.articles) <= article_numbers, question.key
        if question.qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            correct = [o for o in question.answer if o.startswith("*")]
            assert correct and len(correct) < len(question.answer), question.key
            if question.qtype == QuestionType.SINGLE:
                assert len(correct) == 1, question.key
    assert len({q.key for q in QUESTIONS}) == len(QUESTIONS)
    for course in COURSES:
        assert 3 <= len(course.lessons) <= 5, course.slug
        assert Decimal("2") <= Decimal(course.hours) <= Decimal("6"), course.slug
        assert {lesson.required for lesson in course.lessons} == {True, False}, course.slug
        for lesson in course.lessons:
            for kind, value in lesson.body:
                if kind == "article_quote":
                    assert value["article"] in article_numbers, lesson.slug
                elif kind == "case":
                    assert value["case"] in case_slugs, lesson.slug
                elif kind == "talk":
                    assert value["talk"] in talk_slugs, lesson.slug
    for talk in TALKS:
        assert set(talk.cases) <= case_slugs
        assert len(talk.transcript) >= 4
    quiz_slugs = {q["slug"] for q in QUIZZES}
    assert {c.quiz for c in COURSES if c.quiz} <= quiz_slugs
    assert {a.course for a in ASSIGNMENTS} <= {c.slug for c in COURSES}


def check_study_content(output: str) -> None:
    """Called from ``tests/qinglian/test_build_demo.py`` after its first build (one build
    for every demo assertion keeps the suite fast); the second build there checks that the
    counts below do not change."""

    # Catalogue and talk library under the home page, four live courses of 3–5 lessons.
    assert CourseIndexPage.objects.live().get().title == "课程中心"
    assert TalkIndexPage.objects.live().get().title == "廉政党课"
    courses = {c.title: c for c in CoursePage.objects.live()}
    assert len(courses) >= 4
    for course in courses.values():
        lessons = LessonPage.objects.live().child_of(course)
        assert 3 <= lessons.count() <= 5, course.title
        assert {lesson.is_required for lesson in lessons} == {True, False}
    assert courses["《中国共产党纪律处分条例》学习"].kind == CourseKind.DISCIPLINE
    assert courses["中央八项规定精神学习"].kind == CourseKind.DISCIPLINE
    assert courses["以案为鉴 警示教育"].kind == CourseKind.WARNING
    assert courses["新任领导干部任前廉政教育"].kind == CourseKind.PRE_APPOINTMENT

    # Lesson bodies quote demo articles and embed demo cases; the warning course a talk.
    blocks = Counter(
        block.block_type for lesson in LessonPage.objects.live().specific() for block in lesson.body
    )
    assert blocks["article_quote"] >= 10 and blocks["case"] >= 10 and blocks["key_points"] >= 8
    warning = courses["以案为鉴 警示教育"]
    talk_blocks = [
        block.value["talk"]
        for lesson in LessonPage.objects.live().child_of(warning).specific()
        for block in lesson.body
        if block.block_type == "talk"
    ]
    assert len(talk_blocks) == 1 and talk_blocks[0].live

    # Three talks with speaker, date, transcript and related cases.
    talks = TalkPage.objects.live()
    assert talks.count() == 3
    for talk in talks:
        assert talk.speaker and talk.speaker_role and talk.date and talk.summary
        assert str(talk.transcript).count("<p>") >= 4
        assert talk.related_cases.exists()

    # ≥ 60 questions of all four types, many citing demo articles.
    questions = Question.objects.all()
    assert questions.count() >= 60
    assert set(questions.values_list("qtype", flat=True)) == {
        QuestionType.SINGLE,
        QuestionType.MULTIPLE,
        QuestionType.TRUE_FALSE,
        QuestionType.FILL,
    }
    assert questions.filter(articles__isnull=False).distinct().count() >= 30
    assert not questions.filter(explanation="").exists()
    assert not questions.filter(qtype=QuestionType.TRUE_FALSE, true_false_answer=None).exists()

    # The three quizzes, linked to their courses.
    course_quiz = Quiz.objects.get(slug="jlcftl-2023-course-quiz")
    assert course_quiz.kind == QuizKind.COURSE and course_quiz.pass_percent == 60
    assert course_quiz.time_limit_minutes == 20
    assert sum(s.draw_count for s in course_quiz.sections.all()) == 10
    assert courses["《中国共产党纪律处分条例》学习"].quiz == course_quiz
    pre = Quiz.objects.get(kind=QuizKind.PRE_APPOINTMENT)
    assert courses["新任领导干部任前廉政教育"].quiz == pre
    contest = Quiz.objects.get(kind=QuizKind.EDUCATION_MONTH)
    assert contest.time_limit_minutes == 30 and not contest.courses.exists()
    assert contest.opens_at <= timezone.now() < contest.closes_at

    # Study records at every stage, one assignment overdue, graded attempts.
    today = timezone.localdate()
    enrolments = Enrolment.objects.all()
    assert enrolments.filter(started_at__isnull=True).exists()  # not started
    assert enrolments.filter(started_at__isnull=False, completed_at__isnull=True).exists()
    assert enrolments.filter(completed_at__isnull=False).exists()
    assert enrolments.filter(completed_at__isnull=True, due_date__lt=today).exists()
    assert CourseCompletion.objects.count() == enrolments.filter(completed_at__isnull=False).count()
    submitted = Attempt.objects.filter(status=AttemptStatus.SUBMITTED)
    assert submitted.filter(quiz=contest).count() == 20
    assert submitted.filter(quiz=course_quiz, passed=True).exists()
    assert not Attempt.objects.filter(status=AttemptStatus.OPEN).exists()
    assert "Qinglian-demo-2026" in output
