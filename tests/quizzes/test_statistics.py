"""Quiz and item statistics on a small data set computed by hand.

Five people, four questions of 1 mark each; first attempts (marks):

=======  ==  ==  ==  ==  =====  =======
person   Q1  Q2  Q3  Q4  total  percent
=======  ==  ==  ==  ==  =====  =======
P1        1   1   1   0      3       75
P2        1   1   0   0      2       50
P3        1   0   0   1      2       50
P4        1   0   0   0      1       25
P5        1   1   1   0      3       75
=======  ==  ==  ==  ==  =====  =======

Facility = mean mark × 100; discrimination = 100 × Pearson(mark, total − mark):

* Q1 (single): every mark is 1 → facility 100 ("too easy"), no variance → undefined.
* Q2 (true/false): x = 1 1 0 0 1 (mean .6), rest = 2 1 2 1 2 (mean 1.6);
  Σdxdy = .16 − .24 − .24 + .36 + .16 = 0.2; Σdx² = 1.2; Σdy² = 1.2 → r = 0.2/1.2
  = 0.1667 → 16.7 ("weak"); facility 60.
* Q3 (multiple): x = 1 0 0 0 1 (mean .4), rest = 2 2 2 1 2 (mean 1.8);
  Σdxdy = .12 − .08 − .08 + .32 + .12 = 0.4; Σdx² = 1.2; Σdy² = 0.8 →
  r = 0.4/√0.96 = 0.4082 → 40.8 (no flag); facility 40.
* Q4 (fill): x = 0 0 1 0 0 (mean .2), rest = 3 2 1 1 3 (mean 2);
  Σdxdy = −.2 + 0 − .8 + .2 − .2 = −1.0; Σdx² = 0.8; Σdy² = 4 → r = −1/√3.2 = −0.5590
  → −55.9 ("negative"); facility 20 (exactly the limit: not "too hard").

Score distribution: 25 → [20, 30), 50, 50 → [50, 60), 75, 75 → [70, 80). Mean 55, median
50; pass mark 60 → 2 of 5 pass (40 %).

P1's second attempt (all wrong) and P6's open attempt must not count.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from people.factories import UserFactory
from quizzes import statistics as st
from quizzes.factories import QuestionFactory, category_create
from quizzes.models import Attempt, AttemptSlot, AttemptStatus, QuestionVersion, Quiz
from quizzes.services import question_version_current

STATS_URL = "/admin/quizzes/{}/statistics/"


# --- Pure functions ------------------------------------------------------------------------


def test_pearson_and_indices():
    assert st.pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert st.pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert st.pearson([1, 1, 1], [1, 2, 3]) is None  # no variance
    assert st.pearson([1], [1]) is None
    assert st.facility_index(fractions=[1, 0.5, 0]) == pytest.approx(50)
    assert st.facility_index(fractions=[]) is None
    assert st.discrimination_index(marks=[1, 1, 0, 0, 1], totals=[3, 2, 2, 1, 3]) == pytest.approx(
        100 * 0.2 / 1.2
    )


def test_histogram_bins():
    assert st.score_histogram(percents=[0, 9.99, 10, 55, 99.99, 100]) == [
        2,
        1,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        2,
    ]


@pytest.mark.parametrize(
    ("facility", "discrimination", "flags"),
    [
        (19.9, 50, ("too_hard",)),
        (20, 50, ()),
        (95, 50, ()),
        (95.1, 50, ("too_easy",)),
        (60, 19.9, ("weak",)),
        (60, 20, ()),
        (60, -0.1, ("negative",)),
        (10, -30, ("too_hard", "negative")),
        (None, None, ()),
    ],
)
def test_flags(facility, discrimination, flags):
    assert st.question_flags(facility=facility, discrimination=discrimination) == flags


# --- The hand-computed data set ----------------------------------------------------------


MARKS = {  # person index → marks of Q1..Q4
    0: (1, 1, 1, 0),
    1: (1, 1, 0, 0),
    2: (1, 0, 0, 1),
    3: (1, 0, 0, 0),
    4: (1, 1, 1, 0),
}


def _opt(question, text):
    return str(question.options.get(text=text).pk)


def build_data_set(*, people: int = 5, quiz: Quiz | None = None):
    category = category_create(name="统计题库")
    q1 = QuestionFactory(category=category, name="Q1", options=[("A", True), ("B", False)])
    q2 = QuestionFactory(
        category=category, name="Q2", qtype="truefalse", true_false_answer=True, options=[]
    )
    q3 = QuestionFactory(
        category=category,
        name="Q3",
        qtype="multiple",
        options=[("X", True), ("Y", True), ("Z", False)],
    )
    q4 = QuestionFactory(category=category, name="Q4", qtype="fill", options=[("廉洁", True)])
    v1, v2a, v3, v4 = (question_version_current(question=q) for q in (q1, q2, q3, q4))
    # Q2 was edited after two people answered it: version 2 (same answer).
    v2b = QuestionVersion.objects.create(question=q2, number=2, content=v2a.content)
    quiz = quiz or Quiz.objects.create(title="统计测试", slug="stats", pass_percent=60)

    a, b = _opt(q1, "A"), _opt(q1, "B")
    x, y, z = _opt(q3, "X"), _opt(q3, "Y"), _opt(q3, "Z")
    responses = {  # person → responses to Q1..Q4
        0: ([a], ["true"], [x, y], {"text": "廉政"}),
        1: ([a], ["true"], [x, z], {"text": "廉政 "}),
        2: ([a], ["false"], [z], {"text": "廉洁"}),
        3: ([a], None, [y, z], {"text": ""}),
        4: ([a], ["true"], [x, y], None),
    }
    users = [UserFactory() for _ in range(people)]
    now = timezone.now()
    for i, user in enumerate(users):
        base = i % 5
        marks = MARKS[base]
        total = sum(marks)
        attempt = Attempt.objects.create(
            quiz=quiz,
            user=user,
            number=1,
            status=AttemptStatus.SUBMITTED,
            submitted_at=now,
            max_score=Decimal(4),
            score=Decimal(total),
            percent=Decimal(total * 25),
            passed=total * 25 >= 60,
        )
        versions = (v1, v2a if base < 2 else v2b, v3, v4)
        for pos, (version, mark, response) in enumerate(
            zip(versions, marks, responses[base], strict=True), start=1
        ):
            AttemptSlot.objects.create(
                attempt=attempt,
                position=pos,
                page=1,
                version=version,
                key=f"k{pos}",
                max_mark=Decimal(1),
                mark=Decimal(mark),
                response=response,
            )
    # P1's second attempt (all wrong) and someone's open attempt: not counted.
    second = Attempt.objects.create(
        quiz=quiz,
        user=users[0],
        number=2,
        status=AttemptStatus.SUBMITTED,
        submitted_at=now,
        max_score=Decimal(4),
        score=Decimal(0),
        percent=Decimal(0),
        passed=False,
    )
    AttemptSlot.objects.create(
        attempt=second,
        position=1,
        page=1,
        version=v1,
        key="k1",
        max_mark=Decimal(1),
        mark=Decimal(0),
        response=[b],
    )
    Attempt.objects.create(
        quiz=quiz, user=UserFactory(), number=1, status=AttemptStatus.OPEN, max_score=Decimal(4)
    )
    return quiz, (q1, q2, q3, q4)


def _options(q):
    return [(o.label, o.correct, o.count) for o in q.options]


@pytest.mark.django_db
def test_quiz_statistics_on_the_hand_computed_data_set(django_assert_num_queries):
    quiz, _questions = build_data_set()
    with django_assert_num_queries(3), translation.override("en"):
        stats = st.quiz_statistics(quiz=quiz)

    assert stats.attempt_count == 5
    assert stats.mean_percent == pytest.approx(55)
    assert stats.median_percent == pytest.approx(50)
    assert stats.pass_rate == pytest.approx(40)
    assert [b.count for b in stats.histogram] == [0, 0, 1, 0, 0, 2, 0, 2, 0, 0]
    assert stats.histogram[2].label == "20–30%"

    by_name = {q.name: q for q in stats.questions}
    assert [q.name for q in stats.questions] == ["Q1", "Q2", "Q3", "Q4"]

    s1, s2, s3, s4 = (by_name[n] for n in ("Q1", "Q2", "Q3", "Q4"))
    assert s1.facility == pytest.approx(100)
    assert s1.discrimination is None
    assert s1.flags == ("too_easy",)
    assert _options(s1) == [("A", True, 5), ("B", False, 0)]  # the 2nd attempt's B ignored

    assert s2.attempts == 5
    assert s2.versions == [1, 2]  # pooled across versions
    assert s2.facility == pytest.approx(60)
    assert s2.discrimination == pytest.approx(16.667, abs=0.01)
    assert s2.flags == ("weak",)
    assert _options(s2) == [("True", True, 3), ("False", False, 1), ("No answer", None, 1)]

    assert s3.facility == pytest.approx(40)
    assert s3.discrimination == pytest.approx(40.825, abs=0.01)
    assert s3.flags == ()
    assert _options(s3) == [("X", True, 3), ("Y", True, 3), ("Z", False, 3)]

    assert s4.facility == pytest.approx(20)
    assert s4.discrimination == pytest.approx(-55.902, abs=0.01)
    assert s4.flags == ("negative",)  # facility exactly 20 is not "too hard"
    assert _options(s4) == [("廉政", False, 2), ("廉洁", True, 1), ("No answer", None, 2)]
    assert s4.options[0].share == pytest.approx(40)


@pytest.mark.django_db
def test_quiz_without_attempts():
    quiz = Quiz.objects.create(title="空", slug="empty")
    stats = st.quiz_statistics(quiz=quiz)
    assert stats.attempt_count == 0
    assert stats.mean_percent is None and stats.pass_rate is None
    assert stats.questions == []
    assert sum(b.count for b in stats.histogram) == 0


# --- The trainer's page --------------------------------------------------------------------


def _page_queries(client, quiz) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(STATS_URL.format(quiz.pk))
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_statistics_page_renders_and_queries_do_not_grow(
    client, org, django_assert_max_num_queries
):
    quiz, _questions = build_data_set()
    client.force_login(org.trainer)
    client.get(STATS_URL.format(quiz.pk))  # warm up: the first admin request fills caches
    # The admin's own reads (session, user, permissions, menu) + 4 for the statistics.
    with django_assert_max_num_queries(20):
        response = client.get(STATS_URL.format(quiz.pk))
    html = response.content.decode()
    assert response.status_code == 200
    # Summary, chart with its text alternative, the per-question table with flags.
    assert 'role="img"' in html and "aria-label=" in html
    assert "<caption>" in html and 'id="qz-distribution"' in html
    assert 'id="qz-questions"' in html
    assert "qz-flag--negative" in html and "qz-flag--too_easy" in html and "qz-flag--weak" in html
    assert "-55.9" in html and "40.8" in html
    assert 'id="qz-options-' in html

    small = _page_queries(client, quiz)
    # Twenty more people, with the same answers: the page reads the same number of queries.
    build_data_set(people=20, quiz=quiz)
    assert _page_queries(client, quiz) == small


@pytest.mark.django_db
def test_statistics_csv_escapes_formulas(client, org):
    quiz, (q1, *_rest) = build_data_set()
    q1.name = "=cmd|' /C calc'!A0"
    q1.save()
    client.force_login(org.trainer)
    response = client.get(STATS_URL.format(quiz.pk) + "questions.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.splitlines()
    assert len(lines[0].split(",")) == 8  # the header (in the admin's language)
    assert any(line.startswith("\"'=cmd") or line.startswith("'=cmd") for line in lines)
    assert any(line.startswith("Q4,") and ",-55.9," in line for line in lines)


@pytest.mark.django_db
def test_statistics_refused_to_learners_and_unit_admins(client, org):
    quiz, _questions = build_data_set()
    for user in (org.finance_learner, org.finance_admin):
        client.force_login(user)
        for url in (STATS_URL.format(quiz.pk), STATS_URL.format(quiz.pk) + "questions.csv"):
            response = client.get(url)
            assert response.status_code in (302, 403), (user, url)
            if response.status_code == 302:
                assert response["Location"] in ("/admin/",) or response["Location"].startswith(
                    "/accounts/login/"
                )
    client.force_login(org.superuser)
    assert client.get(STATS_URL.format(quiz.pk)).status_code == 200
    assert client.get(STATS_URL.format(99999)).status_code == 404
