"""The attempt engine (quizzes.services): versions, drawing, deadlines, saving pages,
submitting, the periodic auto-submit. Clocks are frozen by passing ``now=``."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from quizzes.factories import QuestionFactory, category_create
from quizzes.grading import correct_option_ids
from quizzes.models import Attempt, AttemptSlot, QuestionOption, QuizOverride, QuizSection
from quizzes.services import (
    AttemptClosed,
    QuizError,
    StaleSequence,
    TamperedAnswer,
    attempt_save_page,
    attempt_start,
    attempt_submit,
    attempt_submit_expired,
    question_version_current,
)
from quizzes.signals import attempt_graded

from .conftest import bank_create, quiz_create

NOW = timezone.now().replace(microsecond=0)
GRACE = timedelta(seconds=30)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids): run under /en/ with English active."""
    with translation.override("en"):
        yield


def add_fixed(quiz, *questions):
    section = quiz.sections.first()
    through = QuizSection.fixed_questions.through
    through.objects.bulk_create([through(quizsection=section, question=q) for q in questions])


def slots_of(attempt):
    return list(attempt.slots.select_related("version").order_by("position"))


def right_answer(slot):
    """The answer that earns the full mark, in opaque keys (or text)."""
    content = slot.version.content
    if content["qtype"] == "fill":
        return content["options"][0]["text"]
    correct = correct_option_ids(content)
    return [key for key, option_id in slot.option_keys if option_id in correct]


def wrong_answer(slot):
    content = slot.version.content
    if content["qtype"] == "fill":
        return "不对"
    correct = correct_option_ids(content)
    return [next(key for key, option_id in slot.option_keys if option_id not in correct)]


def all_right(attempt, page=None):
    return {s.key: right_answer(s) for s in slots_of(attempt) if page in (None, s.page)}


# --- Question versions --------------------------------------------------------------------


def test_question_version_snapshot_update_in_place_then_new_version(org, bank):
    question = bank.single[0]
    v1 = question_version_current(question=question)
    assert v1.number == 1
    assert [o["id"] for o in v1.content["options"]] == list(
        question.options.order_by("sort_order").values_list("pk", flat=True)
    )
    assert question_version_current(question=question) == v1  # same content: same version

    question.stem = "<p>改过的题干</p>"
    question.save()
    again = question_version_current(question=question)
    assert again.pk == v1.pk and again.number == 1  # never answered: updated in place
    assert again.content["stem"] == "<p>改过的题干</p>"

    quiz = quiz_create(category=bank.category, draw=0)
    add_fixed(quiz, question)
    attempt = attempt_start(quiz=quiz, user=org.finance_learner, now=NOW)
    slot = attempt.slots.get()
    assert slot.version_id == v1.pk
    attempt_save_page(attempt=attempt, page=1, sequence=1, answers={slot.key: right_answer(slot)})

    question.stem = "<p>第三版</p>"
    question.save()
    v2 = question_version_current(question=question)
    assert v2.number == 2 and v2.pk != v1.pk
    v1.refresh_from_db()
    assert v1.content["stem"] == "<p>改过的题干</p>"  # the answered version never changes
    slot.refresh_from_db()
    assert slot.version_id == v1.pk


# --- Starting -------------------------------------------------------------------------------


def test_start_draws_random_active_questions_with_opaque_keys(org, bank):
    inactive = QuestionFactory(category=bank.category, is_active=False)
    quiz = quiz_create(category=bank.category, draw=6, questions_per_page=4)
    attempt = attempt_start(quiz=quiz, user=org.finance_learner, now=NOW)
    slots = slots_of(attempt)
    assert len(slots) == 6
    assert [s.position for s in slots] == [1, 2, 3, 4, 5, 6]
    assert [s.page for s in slots] == [1, 1, 1, 1, 2, 2]
    drawn = {s.version.question_id for s in slots}
    assert inactive.pk not in drawn
    assert drawn <= {q.pk for q in bank.all}
    option_pks = {str(pk) for pk in QuestionOption.objects.values_list("pk", flat=True)}
    keys = [s.key for s in slots] + [k for s in slots for k, _ in s.option_keys]
    assert len(set(keys)) == len(keys)
    assert all(len(k) >= 12 for k in keys) and not (set(keys) & option_pks)
    assert attempt.max_score == sum(s.max_mark for s in slots)
    assert attempt.deadline is None and attempt.number == 1


def test_different_people_get_different_draws(org, bank):
    quiz = quiz_create(category=bank.category, draw=4)
    people = [org.finance_learner, org.budget_learner, org.housing_learner, org.trainer]
    draws = {
        tuple(sorted(s.version.question_id for s in slots_of(attempt_start(quiz=quiz, user=p))))
        for p in people
    }
    assert len(draws) > 1  # 495 possible sets: four identical draws would be a broken RNG


def test_shuffle_off_keeps_bank_order_and_option_order(org, bank):
    quiz = quiz_create(
        category=bank.category, draw=0, shuffle_questions=False, shuffle_options=False
    )
    add_fixed(quiz, *bank.single)
    slots = slots_of(attempt_start(quiz=quiz, user=org.finance_learner))
    for slot in slots:
        assert [o for _k, o in slot.option_keys] == [
            o["id"] for o in slot.version.content["options"]
        ]


def test_subcategories_and_fixed_questions(org):
    parent = category_create(name="纪律")
    child = category_create(name="廉洁纪律", parent=parent)
    in_child = [QuestionFactory(category=child) for _ in range(3)]
    fixed = QuestionFactory(category=category_create(name="其他"))
    quiz = quiz_create(category=parent, draw=3)
    add_fixed(quiz, fixed)
    drawn = {s.version.question_id for s in slots_of(attempt_start(quiz=quiz, user=org.trainer))}
    assert drawn == {q.pk for q in in_child} | {fixed.pk}

    quiz2 = quiz_create(category=parent, draw=3)
    QuizSection.objects.filter(quiz=quiz2).update(include_subcategories=False)
    with pytest.raises(QuizError):
        attempt_start(quiz=quiz2, user=org.trainer)  # nothing directly in the parent


def test_retake_prefers_unseen_questions(org, bank):
    quiz = quiz_create(category=bank.category, draw=6)
    user = org.finance_learner
    first = attempt_start(quiz=quiz, user=user, now=NOW)
    attempt_submit(attempt=first, now=NOW)
    second = attempt_start(quiz=quiz, user=user, now=NOW)
    assert second.number == 2
    seen = {s.version.question_id for s in slots_of(first)}
    again = {s.version.question_id for s in slots_of(second)}
    assert not (seen & again)  # 12 in the bank, 6 drawn: no repeats on the retake
    attempt_submit(attempt=second, now=NOW)
    third = attempt_start(quiz=quiz, user=user, now=NOW)
    assert len(slots_of(third)) == 6  # the bank is exhausted: seen questions come back


def test_start_is_idempotent_and_one_open_attempt_is_a_constraint(org, quiz):
    user = org.finance_learner
    first = attempt_start(quiz=quiz, user=user, now=NOW)
    assert attempt_start(quiz=quiz, user=user, now=NOW).pk == first.pk
    assert Attempt.objects.filter(quiz=quiz, user=user).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(quiz=quiz, user=user, number=2, max_score=1)


def test_window_and_attempt_limit_with_override(org, bank):
    user = org.finance_learner
    quiz = quiz_create(
        category=bank.category,
        draw=2,
        opens_at=NOW + timedelta(hours=1),
        closes_at=NOW + timedelta(hours=3),
        attempts_allowed=1,
    )
    with pytest.raises(QuizError, match="not opened"):
        attempt_start(quiz=quiz, user=user, now=NOW)
    with pytest.raises(QuizError, match="closed"):
        attempt_start(quiz=quiz, user=user, now=NOW + timedelta(hours=3))
    inside = NOW + timedelta(hours=2)
    attempt_submit(attempt=attempt_start(quiz=quiz, user=user, now=inside), now=inside)
    with pytest.raises(QuizError, match="used all"):
        attempt_start(quiz=quiz, user=user, now=inside)
    QuizOverride.objects.create(quiz=quiz, user=user, extra_attempts=1)
    assert attempt_start(quiz=quiz, user=user, now=inside).number == 2


def test_deadline_time_limit_override_and_close(org, bank):
    quiz = quiz_create(category=bank.category, draw=2, time_limit_minutes=30)
    a = attempt_start(quiz=quiz, user=org.finance_learner, now=NOW)
    assert a.deadline == NOW + timedelta(minutes=30)
    QuizOverride.objects.create(quiz=quiz, user=org.budget_learner, extra_minutes=15)
    b = attempt_start(quiz=quiz, user=org.budget_learner, now=NOW)
    assert b.deadline == NOW + timedelta(minutes=45)
    quiz.closes_at = NOW + timedelta(minutes=10)
    quiz.save()
    c = attempt_start(quiz=quiz, user=org.housing_learner, now=NOW)
    assert c.deadline == quiz.closes_at  # capped by the close time
    untimed = quiz_create(category=bank.category, draw=2)
    assert attempt_start(quiz=untimed, user=org.trainer, now=NOW).deadline is None


def test_start_query_count_independent_of_question_count(org):
    small = bank_create(name="小题库", per_type=2)
    large = bank_create(name="大题库", per_type=8)
    counts = []
    for bank, user in ((small, org.finance_learner), (large, org.budget_learner)):
        quiz = quiz_create(category=bank.category, draw=len(bank.all))
        # the first start snapshots the versions (bulk); count a start of existing versions
        attempt_start(quiz=quiz, user=org.trainer)
        with CaptureQueriesContext(connection) as ctx:
            attempt = attempt_start(quiz=quiz, user=user)
        assert attempt.slots.count() == len(bank.all)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    # and the very first start (versions created) too
    fresh = [bank_create(name=f"新题库{n}", per_type=n) for n in (2, 8)]
    first_counts = []
    for bank in fresh:
        quiz = quiz_create(category=bank.category, draw=len(bank.all))
        with CaptureQueriesContext(connection) as ctx:
            attempt_start(quiz=quiz, user=org.housing_learner)
        first_counts.append(len(ctx.captured_queries))
    assert first_counts[0] == first_counts[1], first_counts


# --- Saving pages --------------------------------------------------------------------------


def test_save_page_and_stale_sequence_refused(org, quiz):
    attempt = attempt_start(quiz=quiz, user=org.finance_learner, now=NOW)
    page1 = all_right(attempt, page=1)
    result = attempt_save_page(attempt=attempt, page=1, sequence=1, answers=page1, now=NOW)
    assert result.saved == 5 and not result.late and result.sequence == 1
    saved = {s.key: s.response for s in attempt.slots.filter(page=1)}
    assert all(v is not None for v in saved.values())

    other = {k: [] for k in page1}  # a second tab clearing the answers with the same number
    with pytest.raises(StaleSequence):
        attempt_save_page(attempt=attempt, page=1, sequence=1, answers=other, now=NOW)
    with pytest.raises(StaleSequence):
        attempt_save_page(attempt=attempt, page=1, sequence="x", answers=other, now=NOW)
    assert {s.key: s.response for s in attempt.slots.filter(page=1)} == saved
    attempt.refresh_from_db()
    assert attempt.sequence == 1
    attempt_save_page(attempt=attempt, page=1, sequence=2, answers=other, now=NOW)
    assert not attempt.slots.filter(page=1, response__isnull=False).exists()


def test_tampered_ids_refused_and_nothing_written(org, quiz, bank):
    attempt = attempt_start(quiz=quiz, user=org.finance_learner, now=NOW)
    other = attempt_start(quiz=quiz, user=org.budget_learner, now=NOW)
    slots = slots_of(attempt)
    choice = next(s for s in slots if s.version.content["qtype"] == "single")
    good = {choice.key: right_answer(choice)}
    option_pk = choice.option_keys[0][1]
    foreign = next(s for s in slots_of(other) if s.version.content["qtype"] != "fill")
    page2 = next(s for s in slots if s.page != choice.page)
    bad_answers = [
        {"nope": ["x"]},  # unknown question key
        {choice.key: ["forged"]},  # unknown option key
        {choice.key: [str(option_pk)]},  # a real option id instead of the opaque key
        {choice.key: [k for k, _ in choice.option_keys[:2]]},  # two picks, single choice
        {choice.key: [{"a": 1}]},
        {foreign.key: foreign.option_keys[0][:1]},  # another attempt's key
        {choice.key: [foreign.option_keys[0][0]]},  # another attempt's option key
        {page2.key: right_answer(page2)},  # a key of another page
        {**good, "nope": []},  # one bad key spoils the whole page
    ]
    for sequence, answers in enumerate(bad_answers, start=1):
        with pytest.raises(TamperedAnswer):
            attempt_save_page(
                attempt=attempt, page=choice.page, sequence=sequence, answers=answers, now=NOW
            )
    attempt.refresh_from_db()
    assert attempt.sequence == 0
    assert not attempt.slots.filter(response__isnull=False).exists()
    with pytest.raises(TamperedAnswer):
        attempt_submit(attempt=attempt, answers={"nope": []}, sequence=1, now=NOW)
    attempt.refresh_from_db()
    assert attempt.status == "open" and attempt.score is None


def test_deadline_and_grace(org, bank):
    quiz = quiz_create(category=bank.category, draw=4, time_limit_minutes=10, questions_per_page=4)
    attempt = attempt_start(quiz=quiz, user=org.finance_learner, now=NOW)
    slots = slots_of(attempt)
    deadline = NOW + timedelta(minutes=10)
    # within the grace period: still saved and graded
    within = attempt_save_page(
        attempt=attempt,
        page=1,
        sequence=1,
        answers={slots[0].key: right_answer(slots[0])},
        now=deadline + GRACE,
    )
    assert not within.late
    # after it: kept as a late answer, not graded; the attempt is submitted
    late = attempt_save_page(
        attempt=attempt,
        page=1,
        sequence=2,
        answers={s.key: right_answer(s) for s in slots},
        now=deadline + GRACE + timedelta(seconds=1),
    )
    assert late.late
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.auto_submitted
    assert attempt.score == slots[0].max_mark
    late_slots = slots_of(attempt)
    assert all(s.late_response is not None and s.late_at for s in late_slots)
    assert late_slots[1].response is None and late_slots[1].mark == 0
    with pytest.raises(AttemptClosed):
        attempt_save_page(attempt=attempt, page=1, sequence=3, answers={}, now=deadline)


# --- Submitting --------------------------------------------------------------------------


def test_submit_grades_every_type_and_sends_the_signal_once(
    org, quiz, django_capture_on_commit_callbacks
):
    received = []

    def on_graded(sender, attempt, **kwargs):
        received.append(attempt.pk)

    attempt_graded.connect(on_graded)
    try:
        attempt = attempt_start(quiz=quiz, user=org.finance_learner, now=NOW)
        slots = slots_of(attempt)
        answers = {s.key: right_answer(s) for s in slots}
        wrong = next(s for s in slots if s.version.content["qtype"] == "truefalse")
        answers[wrong.key] = wrong_answer(wrong)
        fill = next(s for s in slots if s.version.content["qtype"] == "fill")
        answers[fill.key] = (
            "  ＡＣＣＥＰＴＥＤ" + fill.version.content["options"][0]["text"][8:] + " "
        )
        with django_capture_on_commit_callbacks(execute=True):
            submitted = attempt_submit(attempt=attempt, answers=answers, sequence=1, now=NOW)
        assert submitted.status == "submitted" and not submitted.auto_submitted
        assert submitted.score == attempt.max_score - wrong.max_mark
        assert submitted.percent == Decimal("91.67") and submitted.passed
        marks = {s.key: s.mark for s in slots_of(attempt)}
        assert marks[wrong.key] == 0 and marks[fill.key] == fill.max_mark
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            again = attempt_submit(attempt=attempt, answers={}, sequence=1, now=NOW)
        assert callbacks == [] and again.score == submitted.score
        assert received == [attempt.pk]
    finally:
        attempt_graded.disconnect(on_graded)


def test_double_submit_is_idempotent_and_writes_nothing(org, quiz):
    attempt = attempt_start(quiz=quiz, user=org.finance_learner, now=NOW)
    answers = all_right(attempt, page=1)
    attempt_submit(attempt=attempt, answers=answers, sequence=1, page=1, now=NOW)
    before = list(AttemptSlot.objects.filter(attempt=attempt).values())
    with CaptureQueriesContext(connection) as ctx:
        twin = Attempt.objects.get(pk=attempt.pk)
        result = attempt_submit(
            attempt=twin, answers={k: [] for k in answers}, sequence=1, page=1, now=NOW
        )
    writes = [
        q
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "DELETE"))
    ]
    assert not writes
    assert result.score == attempt.score and result.submitted_at == attempt.submitted_at
    assert list(AttemptSlot.objects.filter(attempt=attempt).values()) == before
    assert Attempt.objects.filter(quiz=quiz).count() == 1


def test_submit_with_stale_sequence_refused_and_attempt_stays_open(org, quiz):
    attempt = attempt_start(quiz=quiz, user=org.finance_learner, now=NOW)
    attempt_save_page(attempt=attempt, page=1, sequence=5, answers={}, now=NOW)
    with pytest.raises(StaleSequence):
        attempt_submit(attempt=attempt, answers={}, sequence=5, page=1, now=NOW)
    attempt.refresh_from_db()
    assert attempt.status == "open" and attempt.submitted_at is None


# --- Auto-submit ---------------------------------------------------------------------------


def test_submit_expired_sweeps_only_late_attempts_and_is_safe_twice(org, bank):
    timed = quiz_create(category=bank.category, draw=3, time_limit_minutes=20)
    untimed = quiz_create(category=bank.category, draw=3)
    late = attempt_start(quiz=timed, user=org.finance_learner, now=NOW)
    s = slots_of(late)[0]
    attempt_save_page(attempt=late, page=1, sequence=1, answers={s.key: right_answer(s)}, now=NOW)
    fresh = attempt_start(quiz=timed, user=org.budget_learner, now=NOW + timedelta(minutes=15))
    free = attempt_start(quiz=untimed, user=org.finance_learner, now=NOW)
    deadline = NOW + timedelta(minutes=20)

    assert attempt_submit_expired(now=deadline + GRACE) == 0  # grace not over yet
    assert attempt_submit_expired(now=deadline + GRACE + timedelta(seconds=1)) == 1
    assert attempt_submit_expired(now=deadline + GRACE + timedelta(seconds=2)) == 0
    late.refresh_from_db()
    fresh.refresh_from_db()
    free.refresh_from_db()
    assert late.status == "submitted" and late.auto_submitted and late.score == s.max_mark
    assert fresh.status == "open" and free.status == "open"


def test_submit_expired_task(org, bank, monkeypatch):
    from quizzes.tasks import attempt_submit_expired as task

    quiz = quiz_create(category=bank.category, draw=2, time_limit_minutes=1)
    attempt = attempt_start(quiz=quiz, user=org.finance_learner, now=NOW - timedelta(hours=1))
    assert task.name == "quizzes.tasks.attempt_submit_expired"
    assert task.delay().get() == 1
    assert task.delay().get() == 0
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.auto_submitted


# --- Concurrency (PostgreSQL) -------------------------------------------------------------

needs_pg = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
)


def _in_threads(fn, n):
    import threading

    from django.db import connections

    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(fn())
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_make_one_attempt():
    from people.factories import UserFactory

    bank = bank_create(per_type=2)
    quiz = quiz_create(category=bank.category, draw=6)
    user = UserFactory()
    results, errors = _in_threads(lambda: attempt_start(quiz=quiz, user=user).pk, 6)
    assert not errors, errors
    assert len(set(results)) == 1
    assert Attempt.objects.filter(quiz=quiz, user=user).count() == 1
    assert AttemptSlot.objects.filter(attempt__quiz=quiz).count() == 6


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_grade_once():
    from people.factories import UserFactory

    bank = bank_create(per_type=2)
    quiz = quiz_create(category=bank.category, draw=8, questions_per_page=8)
    attempt = attempt_start(quiz=quiz, user=UserFactory())
    answers = all_right(attempt)
    received = []

    def on_graded(sender, attempt, **kwargs):
        received.append(attempt.pk)

    attempt_graded.connect(on_graded)
    try:
        results, errors = _in_threads(
            lambda: (
                attempt_submit(
                    attempt=Attempt.objects.get(pk=attempt.pk), answers=answers, sequence=1, page=1
                ).score
            ),
            5,
        )
    finally:
        attempt_graded.disconnect(on_graded)
    assert not errors, errors
    attempt.refresh_from_db()
    assert results == [attempt.max_score] * 5
    assert attempt.score == attempt.max_score and received == [attempt.pk]


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_two_tabs_saving_with_the_same_sequence_one_wins():
    from people.factories import UserFactory

    bank = bank_create(per_type=1)
    quiz = quiz_create(category=bank.category, draw=4, questions_per_page=4)
    attempt = attempt_start(quiz=quiz, user=UserFactory())
    answers = all_right(attempt)
    results, errors = _in_threads(
        lambda: attempt_save_page(
            attempt=Attempt.objects.get(pk=attempt.pk), page=1, sequence=1, answers=answers
        ),
        4,
    )
    assert len(results) == 1
    assert len(errors) == 3 and all(isinstance(e, StaleSequence) for e in errors)


# --- Review options --------------------------------------------------------------------------


def test_review_follows_the_quiz_options_after_submit_and_after_close(org, bank):
    from quizzes.selectors import attempt_review

    closes = NOW + timedelta(days=1)
    quiz = quiz_create(
        category=bank.category,
        draw=4,
        closes_at=closes,
        review_score_after_submit=False,
        review_answers_after_submit=False,
        review_explanations_after_submit=False,
        review_score_after_close=True,
        review_answers_after_close=True,
        review_explanations_after_close=False,
    )
    attempt = attempt_start(quiz=quiz, user=org.finance_learner, now=NOW)
    open_review = attempt_review(attempt=attempt, now=NOW)
    assert open_review.questions == [] and open_review.score is None
    attempt = attempt_submit(attempt=attempt, answers=all_right(attempt), sequence=1, now=NOW)

    before = attempt_review(attempt=attempt, now=NOW)
    assert before.score is None and before.passed is None
    assert len(before.questions) == 4
    for q in before.questions:
        assert q.mark is None and q.is_right is None and q.explanation == "" and q.accepted == []
        assert all(o.correct is None and o.feedback == "" for o in q.options)
        assert q.answered  # the cadre's own answers are always shown

    after = attempt_review(attempt=attempt, now=closes)
    assert after.score == attempt.max_score and after.passed is True
    assert all(q.is_right for q in after.questions)
    assert all(q.explanation == "" for q in after.questions)  # explanations stay hidden
    assert any(o.correct for q in after.questions for o in q.options)
