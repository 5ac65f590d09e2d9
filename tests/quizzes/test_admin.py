"""The question bank and quiz admin: access, validation of question shapes and quiz
sections, versioning on edit, the trainer's preview, the category tree and the lists."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text
from wagtail.users.models import UserProfile

from cases.factories import ArticleFactory
from people.factories import UserFactory, unit_create
from quizzes.factories import QuestionFactory, category_create
from quizzes.models import (
    Attempt,
    AttemptSlot,
    AttemptStatus,
    Question,
    QuestionCategory,
    QuestionVersion,
    Quiz,
    QuizOverride,
)
from quizzes.permissions import trainer_quiz_permissions_ensure
from quizzes.services import question_version_current

SNIPPETS = "/admin/snippets/quizzes/"
QUESTIONS = SNIPPETS + "question/"
CATEGORIES = SNIPPETS + "questioncategory/"
QUIZZES = SNIPPETS + "quiz/"
OVERRIDES = SNIPPETS + "quizoverride/"


@pytest.fixture
def trainer(client, org):
    """The trainer, logged in, with the admin in English (messages asserted verbatim)."""
    profile = UserProfile.get_for_user(org.trainer)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(org.trainer)
    return org.trainer


def question_data(category, *, qtype="single", options=(), tf=None, name="新题", **extra):
    data = {
        "category": str(category.pk),
        "qtype": qtype,
        "name": name,
        "stem": rich_text("<p>STEM-TEXT 收受礼金应当如何处理？</p>"),
        "true_false_answer": {None: "unknown", True: "true", False: "false"}[tf],
        "explanation": rich_text("<p>EXPLANATION-TEXT</p>"),
        "difficulty": "2",
        "default_mark": "1",
        "tags": "",
        "idnumber": "",
        "is_active": "on",
        "options": inline_formset(
            [
                {"id": "", "text": text, "is_correct": "on" if ok else "", "feedback": ""}
                for text, ok in options
            ]
        ),
    }
    data.update(extra)
    return nested_form_data(data)


def messages_of(response) -> str:
    return " ".join(str(m.message) for m in response.context["messages"])


# --- Permissions and access ---------------------------------------------------------------


@pytest.mark.django_db
def test_trainers_group_holds_the_quiz_permissions_idempotently(org):
    trainers = Group.objects.get(name="Trainers")
    trainer_quiz_permissions_ensure()
    trainer_quiz_permissions_ensure()
    codenames = set(
        trainers.permissions.filter(content_type__app_label="quizzes").values_list(
            "codename", flat=True
        )
    )
    for model in ("question", "questioncategory", "quiz", "quizoverride"):
        assert {f"add_{model}", f"change_{model}", f"delete_{model}", f"view_{model}"} <= codenames
    assert "change_attempt" not in codenames
    unit_admins = Group.objects.get(name="Unit admins")
    assert not unit_admins.permissions.filter(content_type__app_label="quizzes").exists()
    assert Permission.objects.filter(group=trainers, codename="add_question").count() == 1


@pytest.mark.django_db
def test_trainer_and_superuser_manage_the_bank(client, org, bank, quiz):
    question = bank.single[0]
    urls = [
        CATEGORIES,
        QUESTIONS,
        QUIZZES,
        OVERRIDES,
        CATEGORIES + "add/",
        QUESTIONS + "add/",
        QUESTIONS + f"edit/{question.pk}/",
        QUIZZES + "add/",
        QUIZZES + f"edit/{quiz.pk}/",
        OVERRIDES + "add/",
        f"/admin/quizzes/questions/{question.pk}/preview/",
        f"/admin/quizzes/{quiz.pk}/statistics/",
    ]
    for user in (org.trainer, org.superuser):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)
    # The menu group shows the bank to trainers, not to unit admins.
    client.force_login(org.trainer)
    assert QUESTIONS in client.get("/admin/").content.decode()
    client.force_login(org.finance_admin)
    assert QUESTIONS not in client.get("/admin/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["finance_learner", "finance_admin", "discipline"])
def test_learners_unit_admins_and_officers_are_refused(client, org, bank, quiz, who):
    question = bank.single[0]
    client.force_login(getattr(org, who))
    for url in (
        CATEGORIES,
        QUESTIONS,
        QUIZZES,
        OVERRIDES,
        QUESTIONS + "add/",
        QUESTIONS + f"edit/{question.pk}/",
        f"/admin/quizzes/questions/{question.pk}/preview/",
        f"/admin/quizzes/{quiz.pk}/statistics/",
    ):
        response = client.get(url)
        assert response.status_code in (302, 403), (who, url, response.status_code)
        if response.status_code == 302:
            location = response["Location"]
            assert location == "/admin/" or location.startswith("/accounts/login/"), location
    before = Question.objects.count()
    client.post(
        QUESTIONS + "add/", question_data(bank.category, options=[("甲", True), ("乙", False)])
    )
    assert Question.objects.count() == before


@pytest.mark.django_db
def test_admin_views_declare_the_trainer_role():
    from quizzes import admin_preview_views, admin_stats_views, viewsets

    views = [
        admin_preview_views.QuestionPreviewView,
        admin_stats_views.QuizStatisticsView,
        admin_stats_views.QuizStatisticsCsvView,
        viewsets.QuestionIndexView,
        viewsets.QuestionCreateView,
        viewsets.QuestionEditView,
        viewsets.QuestionDeleteView,
        viewsets.CategoryIndexView,
        viewsets.QuizIndexView,
        viewsets.QuizEditView,
        viewsets.OverrideIndexView,
    ]
    for view in views:
        assert view.access_rule == "role-in-scope", view
        assert view.access_roles == ("trainer",), view


# --- Question shapes -----------------------------------------------------------------------


BAD_SHAPES = [
    ("single", [("甲", True), ("乙", True)], None, "exactly one correct option"),
    ("single", [("甲", False), ("乙", False)], None, "exactly one correct option"),
    ("single", [("甲", True)], None, "at least two options"),
    ("multiple", [("甲", False), ("乙", False)], None, "at least one correct option"),
    ("multiple", [("甲", True)], None, "at least two options"),
    ("truefalse", [], None, "Choose the correct answer of the true/false question"),
    ("truefalse", [("甲", True)], True, "A true/false question has no options"),
    ("fill", [], None, "at least one accepted answer"),
    ("fill", [("廉洁", True), ("廉政", False)], None, "mark them all correct"),
    ("single", [("甲", True), ("乙", False)], True, "Only true/false questions"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("qtype", "options", "tf", "message"), BAD_SHAPES)
def test_bad_question_shapes_are_refused_with_a_message(
    client, trainer, qtype, options, tf, message
):
    category = category_create(name="题库")
    response = client.post(
        QUESTIONS + "add/", question_data(category, qtype=qtype, options=options, tf=tf)
    )
    assert response.status_code == 200  # the form again, not a redirect
    assert message in messages_of(response) or message in response.content.decode()
    assert "could not be created" in messages_of(response)
    assert not Question.objects.exists()
    assert not QuestionVersion.objects.exists()


GOOD_SHAPES = [
    ("single", [("甲", True), ("乙", False)], None),
    ("multiple", [("甲", True), ("乙", True), ("丙", False)], None),
    ("truefalse", [], False),
    ("fill", [("廉洁", True), ("廉政建设", True)], None),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("qtype", "options", "tf"), GOOD_SHAPES)
def test_good_questions_are_saved_with_a_first_version(client, trainer, qtype, options, tf):
    category = category_create(name="题库")
    response = client.post(
        QUESTIONS + "add/", question_data(category, qtype=qtype, options=options, tf=tf)
    )
    assert response.status_code == 302, messages_of(response)
    question = Question.objects.get()
    assert question.created_by == trainer
    assert question.options.count() == len(options)
    version = QuestionVersion.objects.get(question=question)
    assert version.number == 1
    assert version.content["qtype"] == qtype
    assert len(version.content["options"]) == len(options)


@pytest.mark.django_db
def test_deleted_options_do_not_count(client, trainer):
    """Removing the second correct option of a single-choice question makes it valid."""
    category = category_create(name="题库")
    data = question_data(category, options=[("甲", True), ("乙", False), ("丙", True)])
    data["options-2-DELETE"] = "1"
    response = client.post(QUESTIONS + "add/", data)
    assert response.status_code == 302, messages_of(response)
    assert list(Question.objects.get().options.values_list("text", flat=True)) == ["甲", "乙"]


def _answer(question, version, user, response):
    quiz = Quiz.objects.create(title="测", slug=f"q-{user.pk}")
    attempt = Attempt.objects.create(
        quiz=quiz,
        user=user,
        number=1,
        status=AttemptStatus.SUBMITTED,
        submitted_at=timezone.now(),
        max_score=Decimal(1),
        score=Decimal(1),
        percent=Decimal(100),
        passed=True,
    )
    return AttemptSlot.objects.create(
        attempt=attempt,
        position=1,
        page=1,
        version=version,
        key="k",
        max_mark=Decimal(1),
        mark=Decimal(1),
        response=response,
    )


def _edit_data(question, **changes):
    options = [
        {
            "id": str(o.pk),
            "text": changes.get("texts", {}).get(o.text, o.text),
            "is_correct": "on" if o.is_correct else "",
            "feedback": o.feedback,
        }
        for o in question.options.order_by("sort_order")
    ]
    data = question_data(question.category, name=question.name)
    for key in [k for k in data if k.startswith("options-")]:
        del data[key]
    data.update(nested_form_data({"options": inline_formset(options, initial=len(options))}))
    return data


@pytest.mark.django_db
def test_editing_an_answered_question_makes_a_new_version(client, trainer, org):
    question = QuestionFactory(options=[("拒收礼金并报告", True), ("收下后转交", False)])
    v1 = question_version_current(question=question)
    right = str(question.options.get(is_correct=True).pk)
    slot = _answer(question, v1, org.finance_learner, [right])
    response = client.get(QUESTIONS + f"edit/{question.pk}/")
    assert "Saving a change makes a new version" in messages_of(response)

    response = client.post(
        QUESTIONS + f"edit/{question.pk}/",
        _edit_data(question, texts={"收下后转交": "收下后上交组织"}),
    )
    assert response.status_code == 302, messages_of(response)
    versions = list(question.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert "收下后上交组织" in [o["text"] for o in versions[1].content["options"]]
    slot.refresh_from_db()
    assert slot.version_id == v1.pk  # the past attempt keeps what it saw
    v1.refresh_from_db()
    assert "收下后转交" in [o["text"] for o in v1.content["options"]]

    # Saving again without a change adds no version.
    client.post(QUESTIONS + f"edit/{question.pk}/", _edit_data(question))
    assert question.versions.count() == 2


@pytest.mark.django_db
def test_an_answered_question_cannot_be_deleted(client, trainer, org):
    question = QuestionFactory()
    slot = _answer(question, question_version_current(question=question), org.finance_learner, [])
    response = client.post(QUESTIONS + f"delete/{question.pk}/", follow=True)
    assert Question.objects.filter(pk=question.pk).exists()
    assert "make it inactive" in messages_of(response)
    assert AttemptSlot.objects.filter(pk=slot.pk).exists()
    unused = QuestionFactory()
    client.post(QUESTIONS + f"delete/{unused.pk}/")
    assert not Question.objects.filter(pk=unused.pk).exists()


# --- Preview -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_preview_shows_the_question_with_the_key_and_cited_articles(client, trainer):
    article = ArticleFactory()
    question = QuestionFactory(
        options=[("拒收礼金并报告", True), ("收下后转交", False)],
        explanation="<p>EXPLANATION-依据条例</p>",
    )
    question.articles.add(article)
    question.save()
    response = client.get(f"/admin/quizzes/questions/{question.pk}/preview/")
    assert response.status_code == 200
    html = response.content.decode()
    assert question.name in html and "下列哪一项符合廉洁纪律要求" in html
    correct = html.index("拒收礼金并报告")
    assert "Correct answer" in html[correct : correct + 300]
    wrong = html.index("收下后转交")
    assert "Correct answer" not in html[wrong : wrong + 200]
    assert "EXPLANATION-依据条例" in html
    with translation.override("en"):  # the admin runs in the trainer's language
        assert f'href="{article.get_absolute_url()}"' in html


@pytest.mark.django_db
def test_preview_of_true_false_and_fill_in(client, trainer):
    tf = QuestionFactory(qtype="truefalse", true_false_answer=False, options=[])
    html = client.get(f"/admin/quizzes/questions/{tf.pk}/preview/").content.decode()
    false_at = html.index(">False<")
    assert "Correct answer" in html[false_at : false_at + 200]
    fill = QuestionFactory(qtype="fill", options=[("廉洁自律", True)])
    html = client.get(f"/admin/quizzes/questions/{fill.pk}/preview/").content.decode()
    assert 'id="qz-correct"' in html and "廉洁自律" in html
    assert client.get("/admin/quizzes/questions/999999/preview/").status_code == 404


# --- Lists ---------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_question_list_filters_search_and_constant_queries(
    client, trainer, django_assert_max_num_queries
):
    root = category_create(name="纪律")
    child = category_create(name="廉洁", parent=root)
    other = category_create(name="其他")
    QuestionFactory(category=child, name="子类单选", difficulty=1)
    QuestionFactory(
        category=root, name="根类判断", qtype="truefalse", true_false_answer=True, options=[]
    )
    QuestionFactory(category=other, name="停用题", is_active=False, difficulty=3)

    def names(query: str) -> set[str]:
        response = client.get(QUESTIONS + query)
        assert response.status_code == 200
        return {q.name for q in response.context["object_list"]}

    assert names("") == {"子类单选", "根类判断", "停用题"}
    assert names(f"?category={root.pk}") == {"子类单选", "根类判断"}  # with subcategories
    assert names(f"?category={child.pk}") == {"子类单选"}
    assert names("?qtype=truefalse") == {"根类判断"}
    assert names("?difficulty=3") == {"停用题"}
    assert names("?is_active=false") == {"停用题"}
    assert names("?q=子类") == {"子类单选"}
    assert names("?q=" + "下列哪一项") == {"子类单选", "根类判断", "停用题"}  # the stem
    html = client.get(QUESTIONS).content.decode()
    assert "纪律/廉洁" in html  # category shown by its full path
    assert "/admin/quizzes/questions/" in html  # the Preview action
    assert 'href="/admin/quizzes/import/"' in html  # "Import questions"
    assert f"/admin/quizzes/import/export/{root.pk}/" in client.get(CATEGORIES).content.decode()

    client.get(QUESTIONS)
    with django_assert_max_num_queries(25):
        client.get(QUESTIONS)
    few = _queries(client, QUESTIONS)
    for i in range(15):
        QuestionFactory(category=category_create(name=f"类{i}", parent=root), name=f"题{i}")
    assert _queries(client, QUESTIONS) == few


@pytest.mark.django_db
def test_category_tree_add_move_list_and_delete(client, trainer, django_assert_max_num_queries):
    response = client.post(CATEGORIES + "add/", {"name": "纪律处分条例", "parent": "", "info": ""})
    assert response.status_code == 302, messages_of(response)
    root = QuestionCategory.objects.get(name="纪律处分条例")
    client.post(CATEGORIES + "add/", {"name": "总则", "parent": str(root.pk), "info": ""})
    client.post(CATEGORIES + "add/", {"name": "分则", "parent": str(root.pk), "info": ""})
    client.post(CATEGORIES + "add/", {"name": "其他", "parent": "", "info": ""})
    general = QuestionCategory.objects.get(name="总则")
    assert general.get_parent() == root and general.full_name == "纪律处分条例/总则"
    response = client.post(CATEGORIES + "add/", {"name": "a/b", "parent": "", "info": ""})
    assert response.status_code == 200 and not QuestionCategory.objects.filter(name="a/b").exists()

    QuestionFactory(category=general)
    QuestionFactory(category=general, is_active=False)
    response = client.get(CATEGORIES)
    rows = [str(c) for c in response.context["object_list"]]
    assert rows == ["其他", "纪律处分条例", "纪律处分条例/分则", "纪律处分条例/总则"]
    html = response.content.decode()
    assert "└ 总则" in html  # indented under its parent

    # Move 分则 under 其他.
    other = QuestionCategory.objects.get(name="其他")
    specific = QuestionCategory.objects.get(name="分则")
    response = client.post(
        CATEGORIES + f"edit/{specific.pk}/", {"name": "分则", "parent": str(other.pk), "info": ""}
    )
    assert response.status_code == 302, messages_of(response)
    specific.refresh_from_db()
    assert specific.full_name == "其他/分则"

    client.get(CATEGORIES)
    with django_assert_max_num_queries(25):
        client.get(CATEGORIES)

    # A category whose subtree holds questions is not deleted.
    response = client.post(CATEGORIES + f"delete/{root.pk}/", follow=True)
    assert QuestionCategory.objects.filter(pk=root.pk).exists()
    assert "still holds 2 questions" in messages_of(response)


# --- Quizzes -------------------------------------------------------------------------------


def quiz_data(*, sections, opens="", closes="", slug="lianjie-2026"):
    fixed = [s.pop("fixed_questions", []) for s in sections]
    data = nested_form_data(
        {
            "title": "2026 年廉洁知识测试",
            "slug": slug,
            "kind": "education_month",
            "description": rich_text(""),
            "sections": inline_formset(sections, min=1),
            "opens_at": opens,
            "closes_at": closes,
            "time_limit_minutes": "30",
            "attempts_allowed": "1",
            "pass_percent": "60",
            "questions_per_page": "5",
            "shuffle_questions": "on",
            "shuffle_options": "on",
            "review_score_after_submit": "on",
            "review_score_after_close": "on",
            "is_active": "on",
        }
    )
    for i, ids in enumerate(fixed):
        data[f"sections-{i}-fixed_questions"] = ids
    return data


def section(category=None, draw=0, fixed=(), title=""):
    return {
        "id": "",
        "title": title,
        "category": str(category.pk) if category else "",
        "include_subcategories": "on",
        "draw_count": str(draw),
        "fixed_questions": [str(q.pk) for q in fixed],
    }


@pytest.mark.django_db
def test_quiz_sections_and_window_are_validated(client, trainer, bank):
    cases = [
        ([section()], "A section draws questions from a category or has fixed questions"),
        ([section(draw=3)], "Choose the category to draw 3 questions from"),
        ([section(bank.category, draw=0)], "Set how many questions to draw"),
        ([section(bank.category, draw=13)], "holds only 12 active questions to draw, not 13"),
    ]
    for sections, message in cases:
        response = client.post(QUIZZES + "add/", quiz_data(sections=sections))
        assert response.status_code == 200, message
        assert message in messages_of(response) or message in response.content.decode(), message
    response = client.post(
        QUIZZES + "add/",
        quiz_data(
            sections=[section(bank.category, draw=2)],
            opens="2026-12-01 09:00",
            closes="2026-11-30 09:00",
        ),
    )
    assert response.status_code == 200
    assert "The quiz must close after it opens" in response.content.decode()
    # Inactive questions are not drawn: deactivating one makes 12 too many.
    bank.single[0].is_active = False
    bank.single[0].save()
    response = client.post(QUIZZES + "add/", quiz_data(sections=[section(bank.category, draw=12)]))
    assert "holds only 11 active questions" in messages_of(response)
    assert not Quiz.objects.exists()


@pytest.mark.django_db
def test_a_good_quiz_is_saved(client, trainer, bank):
    response = client.post(
        QUIZZES + "add/",
        quiz_data(
            sections=[section(bank.category, draw=5, title="随机"), section(fixed=bank.fill[:2])],
            opens="2026-11-01 09:00",
            closes="2026-11-30 18:00",
        ),
    )
    assert response.status_code == 302, messages_of(response)
    quiz = Quiz.objects.get()
    assert quiz.sections.count() == 2
    assert {q.pk for q in quiz.sections.get(title="").fixed_questions.all()} == {
        q.pk for q in bank.fill[:2]
    }
    html = client.get(QUIZZES).content.decode()
    assert "2026 年廉洁知识测试" in html and f"/admin/quizzes/{quiz.pk}/statistics/" in html


@pytest.mark.django_db
def test_quiz_list_counts_attempts_with_constant_queries(
    client, trainer, bank, django_assert_max_num_queries
):
    from tests.quizzes.conftest import quiz_create

    quiz = quiz_create(category=bank.category, draw=2)
    for user in (UserFactory(), UserFactory()):
        Attempt.objects.create(quiz=quiz, user=user, number=1, max_score=Decimal(2))
    response = client.get(QUIZZES)
    assert response.context["object_list"][0].attempt_count == 2
    client.get(QUIZZES)
    with django_assert_max_num_queries(25):
        client.get(QUIZZES)
    few = _queries(client, QUIZZES)
    for _i in range(5):
        quiz_create(category=bank.category, draw=1)
    assert _queries(client, QUIZZES) == few
    # A quiz with attempts is not deleted.
    response = client.post(QUIZZES + f"delete/{quiz.pk}/", follow=True)
    assert Quiz.objects.filter(pk=quiz.pk).exists()
    assert "unpublish it" in messages_of(response)


@pytest.mark.django_db
def test_overrides_are_limited_to_people_in_the_trainers_scope(client, trainer, org, quiz):
    elsewhere = UserFactory(unit=unit_create(code="OTHER", name="外市"))
    inside = QuizOverride.objects.create(quiz=quiz, user=org.finance_learner, extra_minutes=10)
    outside = QuizOverride.objects.create(quiz=quiz, user=elsewhere, extra_attempts=1)
    response = client.get(OVERRIDES)
    assert [o.pk for o in response.context["object_list"]] == [inside.pk]
    assert client.get(OVERRIDES + f"edit/{outside.pk}/").status_code == 404
    assert client.get(OVERRIDES + f"edit/{inside.pk}/").status_code == 200
    form = client.get(OVERRIDES + "add/").context["form"]
    people = set(form.fields["user"].queryset)
    assert org.finance_learner in people and elsewhere not in people
    response = client.post(
        OVERRIDES + "add/",
        {
            "quiz": str(quiz.pk),
            "user": str(elsewhere.pk),
            "extra_minutes": "5",
            "extra_attempts": "0",
            "reason": "",
        },
    )
    assert response.status_code == 200
    assert QuizOverride.objects.filter(user=elsewhere).count() == 1
