"""The cadre's quiz pages: landing, attempt pages (no JavaScript), the autosave JSON
endpoint, submit, review; their scope (own attempts only), query counts, and that no
correct answer reaches any response before the review options allow it."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from quizzes.grading import correct_option_ids
from quizzes.models import Attempt, AttemptSlot
from quizzes.services import attempt_start

from .conftest import bank_create, quiz_create


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids): run under /en/ with English active."""
    with translation.override("en"):
        yield


def page_url(attempt, page=1):
    return f"{reverse('quizzes:attempt', args=[attempt.token])}?page={page}"


def slots_of(attempt):
    return list(attempt.slots.select_related("version").order_by("position"))


def right_answer(slot):
    content = slot.version.content
    if content["qtype"] == "fill":
        return content["options"][0]["text"]
    correct = correct_option_ids(content)
    return [key for key, option_id in slot.option_keys if option_id in correct]


def form_data(attempt, page, sequence, action="next", answers=None):
    data = {"page": page, "sequence": sequence, "action": action}
    for slot in slots_of(attempt):
        if slot.page != page:
            continue
        value = (answers or {}).get(slot.key, right_answer(slot))
        data[slot.key] = value
    return data


@pytest.fixture
def cadre_client(client, org):
    client.force_login(org.finance_learner)
    return client


def test_landing_shows_window_limit_and_start(cadre_client, org, quiz):
    response = cadre_client.get(reverse("quizzes:detail", args=[quiz.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert quiz.title in html and reverse("quizzes:start", args=[quiz.slug]) in html
    response = cadre_client.post(reverse("quizzes:start", args=[quiz.slug]))
    attempt = Attempt.objects.get(quiz=quiz, user=org.finance_learner)
    assert response.status_code == 302 and response.url == page_url(attempt)
    # starting again continues the same attempt
    cadre_client.post(reverse("quizzes:start", args=[quiz.slug]))
    assert Attempt.objects.filter(quiz=quiz).count() == 1
    html = cadre_client.get(reverse("quizzes:detail", args=[quiz.slug])).content.decode()
    assert page_url(attempt) in html.replace("&amp;", "&")


def test_start_refused_outside_window_with_message(cadre_client, bank):
    quiz = quiz_create(category=bank.category, draw=2, opens_at=timezone.now() + timedelta(days=1))
    response = cadre_client.post(reverse("quizzes:start", args=[quiz.slug]), follow=True)
    assert "This quiz has not opened yet." in response.content.decode()
    assert not Attempt.objects.exists()


def test_unpublished_quiz_is_404(cadre_client, bank):
    quiz = quiz_create(category=bank.category, draw=2, is_active=False)
    assert cadre_client.get(reverse("quizzes:detail", args=[quiz.slug])).status_code == 404


def test_someone_elses_attempt_is_404(client, org, quiz):
    attempt = attempt_start(quiz=quiz, user=org.finance_learner)
    client.force_login(org.budget_learner)
    for name in ("attempt", "submit", "review"):
        assert client.get(reverse(f"quizzes:{name}", args=[attempt.token])).status_code == 404
    save = reverse("quizzes:save", args=[attempt.token])
    response = client.post(save, data="{}", content_type="application/json")
    assert response.status_code == 404
    client.force_login(org.superuser)  # not even a superuser sees it on the cadre pages
    assert client.get(page_url(attempt)).status_code == 404


def test_anonymous_is_sent_to_login(client, quiz):
    response = client.get(reverse("quizzes:detail", args=[quiz.slug]))
    assert response.status_code == 302 and "login" in response.url


def test_whole_attempt_without_javascript(cadre_client, org, quiz):
    cadre_client.post(reverse("quizzes:start", args=[quiz.slug]))
    attempt = Attempt.objects.get(user=org.finance_learner)
    # page 1: save and next
    response = cadre_client.post(page_url(attempt, 1), form_data(attempt, 1, 1))
    assert response.status_code == 302 and response.url == page_url(attempt, 2)
    # reloading page 1 shows the saved answers checked
    html = cadre_client.get(page_url(attempt, 1)).content.decode()
    first = slots_of(attempt)[0]
    for key in right_answer(first) if isinstance(right_answer(first), list) else []:
        assert re.search(rf'value="{re.escape(key)}"\s+checked', html)
    # page 2: go back with "previous"; a stale sequence is refused with a message
    response = cadre_client.post(page_url(attempt, 2), form_data(attempt, 2, 2, action="prev"))
    assert response.url == page_url(attempt, 1)
    response = cadre_client.post(page_url(attempt, 2), form_data(attempt, 2, 2), follow=True)
    assert "out of date" in response.content.decode() or "newer save" in response.content.decode()
    # page 3 (last): finish → confirmation page listing nothing unanswered on pages 1-2
    cadre_client.post(page_url(attempt, 3), form_data(attempt, 3, 3, action="finish"))
    response = cadre_client.get(reverse("quizzes:submit", args=[attempt.token]))
    assert response.status_code == 200
    # submit, twice (double click): the same result, one graded attempt
    submit = reverse("quizzes:submit", args=[attempt.token])
    first_post = cadre_client.post(submit, {"sequence": 4})
    second_post = cadre_client.post(submit, {"sequence": 4})
    review = reverse("quizzes:review", args=[attempt.token])
    assert first_post.url == review and second_post.url == review
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.score == attempt.max_score
    html = cadre_client.get(review).content.decode()
    assert "100%" in html or "100.0%" in html or "100" in html


def test_confirmation_lists_unanswered_questions(cadre_client, org, quiz):
    attempt = attempt_start(quiz=quiz, user=org.finance_learner)
    html = cadre_client.get(reverse("quizzes:submit", args=[attempt.token])).content.decode()
    assert "12 questions are not answered" in html
    assert page_url(attempt, 3) in html.replace("&amp;", "&")


def test_autosave_json_endpoint(cadre_client, org, quiz):
    attempt = attempt_start(quiz=quiz, user=org.finance_learner)
    url = reverse("quizzes:save", args=[attempt.token])
    slot = next(
        s for s in slots_of(attempt) if s.page == 1 and s.version.content["qtype"] != "fill"
    )

    def post(payload, raw=None):
        body = raw if raw is not None else json.dumps(payload)
        return cadre_client.post(url, data=body, content_type="application/json")

    ok = post({"page": 1, "sequence": 1, "answers": {slot.key: right_answer(slot)}})
    assert ok.status_code == 200 and ok.json() == {"ok": True, "sequence": 1, "saved": 1}
    stale = post({"page": 1, "sequence": 1, "answers": {slot.key: []}})
    assert stale.status_code == 409 and stale.json()["code"] == "stale" and stale.json()["error"]
    tampered = post({"page": 1, "sequence": 2, "answers": {slot.key: ["forged"]}})
    assert tampered.status_code == 400 and tampered.json()["code"] == "tampered"
    unknown = post({"page": 1, "sequence": 2, "answers": {"forged": []}})
    assert unknown.status_code == 400
    assert post(None, raw="not json").status_code == 400
    assert post(None, raw="[]").status_code == 400
    assert post({"answers": "x", "sequence": 2}).status_code == 400
    slot.refresh_from_db()
    assert slot.response is not None  # the refused requests changed nothing
    # after the deadline plus grace: kept as late, not graded, 4xx with a message
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=5))
    late = post({"page": 1, "sequence": 3, "answers": {slot.key: []}})
    assert late.status_code == 409 and late.json()["code"] == "late" and late.json()["redirect"]
    slot.refresh_from_db()
    assert slot.late_response is None and slot.late_at is not None and slot.response is not None
    closed = post({"page": 1, "sequence": 4, "answers": {}})
    assert closed.status_code == 409 and closed.json()["code"] == "closed"


def test_expired_attempt_page_submits_and_shows_review(cadre_client, org, bank):
    quiz = quiz_create(category=bank.category, draw=2, time_limit_minutes=5)
    attempt = attempt_start(
        quiz=quiz, user=org.finance_learner, now=timezone.now() - timedelta(minutes=10)
    )
    response = cadre_client.get(page_url(attempt))
    assert response.url == reverse("quizzes:review", args=[attempt.token])
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.auto_submitted


def test_timer_shows_server_remaining_time(cadre_client, org, bank):
    quiz = quiz_create(category=bank.category, draw=2, time_limit_minutes=30)
    attempt = attempt_start(quiz=quiz, user=org.finance_learner)
    html = cadre_client.get(page_url(attempt)).content.decode()
    remaining = int(re.search(r'data-remaining="(\d+)"', html).group(1))
    assert 29 * 60 < remaining <= 30 * 60
    assert re.search(r">(29|30):\d\d<", html)


# session, user, attempt+quiz, slot summary, this page's slots with versions; the base
# template (roles, site, site settings; the unread count is cached after the warm-up);
# the session's activity stamp
QUERIES_ATTEMPT_PAGE = 11


@pytest.mark.parametrize("draw", [5, 20])  # all on one page
def test_attempt_page_query_count_is_constant(client, org, django_assert_num_queries, draw):
    bank = bank_create(name="计数题库", per_type=5)
    quiz = quiz_create(category=bank.category, draw=draw, questions_per_page=50)
    attempt = attempt_start(quiz=quiz, user=org.finance_learner)
    client.force_login(org.finance_learner)
    client.get(page_url(attempt))  # warm caches (site, locale)
    with django_assert_num_queries(QUERIES_ATTEMPT_PAGE):
        response = client.get(page_url(attempt))
    assert response.content.decode().count('class="quiz-question"') == draw


def test_landing_and_review_query_counts(client, org, django_assert_max_num_queries):
    bank = bank_create(name="计数", per_type=5)
    quiz = quiz_create(category=bank.category, draw=20, questions_per_page=10)
    client.force_login(org.finance_learner)
    from quizzes.services import attempt_submit

    for _ in range(3):
        attempt_submit(attempt=attempt_start(quiz=quiz, user=org.finance_learner))
    client.get(reverse("quizzes:detail", args=[quiz.slug]))
    with django_assert_max_num_queries(13):
        assert client.get(reverse("quizzes:detail", args=[quiz.slug])).status_code == 200
    attempt = Attempt.objects.filter(user=org.finance_learner).first()
    with django_assert_max_num_queries(12):
        assert client.get(reverse("quizzes:review", args=[attempt.token])).status_code == 200


# --- No answers before the review allows them ---------------------------------------------


def _secrets(quiz_attempt):
    """Strings that give an answer away: explanations, option feedback, accepted fill-in
    answers, and markup naming the right option."""
    found = set()
    for slot in slots_of(quiz_attempt):
        content = slot.version.content
        found.add(content["explanation"].removeprefix("<p>").removesuffix("</p>"))
        for option in content["options"]:
            if option.get("feedback"):
                found.add(option["feedback"])
            if content["qtype"] == "fill":
                found.add(option["text"])
    return found


def disguised(answer):
    """A right fill-in answer typed in full-width characters (the person's own answer is
    shown back to them; it must not be the stored accepted answer)."""
    if isinstance(answer, str):
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in answer)
    return answer


LEAKY = re.compile(r"correct|is_key|is-key|right answer|EXPLAIN-|FEEDBACK-|ACCEPTED|ALT\d", re.I)


def _assert_no_leak(body: str, secrets: set[str], where: str) -> None:
    for secret in secrets:
        assert secret not in body, f"{secret!r} leaked in {where}"
    match = LEAKY.search(body)
    assert match is None, (
        f"{match.group(0)!r} in {where}: …{body[max(0, match.start() - 80) : match.end() + 80]}…"
    )


def test_no_correct_answers_in_any_response_before_review(client, org):
    bank = bank_create(name="防泄漏", per_type=2)
    from quizzes.models import QuestionOption

    QuestionOption.objects.filter(question__in=bank.single).update(feedback="FEEDBACK-选项说明")
    quiz = quiz_create(
        category=bank.category,
        draw=len(bank.all),
        questions_per_page=3,
        time_limit_minutes=30,
        review_score_after_submit=True,
        review_answers_after_submit=False,
        review_explanations_after_submit=False,
        closes_at=timezone.now() + timedelta(days=7),
    )
    client.force_login(org.finance_learner)
    bodies = []

    def get(url):
        response = client.get(url)
        bodies.append((url, response))
        return response

    def post(url, data, **kwargs):
        response = client.post(url, data, **kwargs)
        bodies.append((url, response))
        return response

    get(reverse("quizzes:detail", args=[quiz.slug]))
    post(reverse("quizzes:start", args=[quiz.slug]), {})
    attempt = Attempt.objects.get(user=org.finance_learner)
    secrets = _secrets(attempt)
    sequence = 0
    for page in range(1, 4):
        get(page_url(attempt, page))
        sequence += 1
        answers = {s.key: disguised(right_answer(s)) for s in slots_of(attempt) if s.page == page}
        payload = {"page": page, "sequence": sequence, "answers": answers}
        post(
            reverse("quizzes:save", args=[attempt.token]),
            json.dumps(payload),
            content_type="application/json",
        )
        post(
            reverse("quizzes:save", args=[attempt.token]),
            json.dumps(payload),
            content_type="application/json",
        )  # stale
        sequence += 1
        post(page_url(attempt, page), form_data(attempt, page, sequence, answers=answers))
        get(page_url(attempt, page))  # reloaded with the saved answers
    get(reverse("quizzes:submit", args=[attempt.token]))
    sequence += 1
    post(reverse("quizzes:submit", args=[attempt.token]), {"sequence": sequence})
    get(reverse("quizzes:review", args=[attempt.token]))
    get(reverse("quizzes:detail", args=[quiz.slug]))
    for url, response in bodies:
        body = response.content.decode() + json.dumps(dict(response.headers))
        _assert_no_leak(body, secrets, url)
    # every option is rendered the same way, whatever its status: only key and text differ
    html = client.get(reverse("quizzes:review", args=[attempt.token])).content.decode()
    assert "EXPLAIN-" not in html
    attempt.refresh_from_db()
    assert attempt.score == attempt.max_score  # the answers did count

    # after the quiz closes, the "after closing" options show the answers and explanations
    quiz.closes_at = timezone.now() - timedelta(seconds=1)
    quiz.opens_at = None
    quiz.save()
    html = client.get(reverse("quizzes:review", args=[attempt.token])).content.decode()
    assert "EXPLAIN-" in html and "FEEDBACK-" in html and "ACCEPTED" in html


def test_review_before_submit_redirects_to_the_attempt(cadre_client, org, quiz):
    attempt = attempt_start(quiz=quiz, user=org.finance_learner)
    response = cadre_client.get(reverse("quizzes:review", args=[attempt.token]))
    assert response.status_code == 302 and response.url == page_url(attempt)


def test_landing_hides_scores_when_review_options_say_so(cadre_client, org, bank):
    quiz = quiz_create(category=bank.category, draw=2, review_score_after_submit=False)
    from quizzes.services import attempt_submit

    attempt = attempt_submit(attempt=attempt_start(quiz=quiz, user=org.finance_learner))
    html = cadre_client.get(reverse("quizzes:detail", args=[quiz.slug])).content.decode()
    assert "Not shown yet" in html
    assert f"{attempt.max_score:.2f}".rstrip("0").rstrip(".") + " / " not in html
    review = cadre_client.get(reverse("quizzes:review", args=[attempt.token])).content.decode()
    assert 'class="quiz-score"' not in review
    assert AttemptSlot.objects.filter(attempt=attempt).count() == 2


def test_bad_input_corpus_never_500(cadre_client, org, quiz):
    attempt = attempt_start(quiz=quiz, user=org.finance_learner)
    slots = slots_of(attempt)
    choice = next(s for s in slots if s.version.content["qtype"] != "fill")
    fill = next(s for s in slots if s.version.content["qtype"] == "fill")
    url = reverse("quizzes:save", args=[attempt.token])
    bodies = [
        {"page": "x", "sequence": 1, "answers": {choice.key: "' OR 1=1 --"}},
        {"page": [1], "sequence": [1], "answers": {}},
        {"page": 1, "sequence": -5, "answers": {}},
        {"page": 1, "sequence": 10**12, "answers": {}},
        {"page": 1, "sequence": None, "answers": {}},
        {"page": 1, "sequence": 1, "answers": {choice.key: {"nested": True}}},
        {"page": 1, "sequence": 1, "answers": {fill.key: ["a", "b"]}},
        {"page": 1, "sequence": 1, "answers": {fill.key: 42}},
        {"sequence": 1, "answers": {choice.key: ["🎉"] * 1000}},
    ]
    for body in bodies:
        response = cadre_client.post(url, data=json.dumps(body), content_type="application/json")
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert response.json()["error"]
    assert (
        cadre_client.post(url, data=b"\xff\xfe", content_type="application/json").status_code == 400
    )
    assert not AttemptSlot.objects.filter(attempt=attempt, response__isnull=False).exists()
    # odd but harmless text is cleaned and stored
    weird = {"sequence": 1, "answers": {fill.key: "\x00廉洁🎉\x07 ' OR 1=1 --" + "长" * 2000}}
    response = cadre_client.post(url, data=json.dumps(weird), content_type="application/json")
    assert response.status_code == 200
    fill.refresh_from_db()
    assert fill.response["text"].startswith("廉洁🎉 ' OR 1=1") and len(fill.response["text"]) == 500
    # the form: a garbage page, sequence and action are refused with a message, not a 500
    page = cadre_client.post(
        page_url(attempt), {"page": "abc", "sequence": "zz", "action": "??"}, follow=True
    )
    assert page.status_code == 200 and "out of date" in page.content.decode()
