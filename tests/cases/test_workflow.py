"""Publishing a case goes through the 案例审核 workflow: a trainer submits, another
trainer approves, and nobody but a superuser publishes a case directly."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from wagtail.models import Workflow
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cases.factories import CaseIndexPageFactory, CasePageFactory
from cases.models import CasePage
from cases.workflows import WORKFLOW_NAME, PeerApprovalTask, case_workflow_ensure
from people.factories import UserFactory, rank
from people.models import Role
from people.services import role_grant
from qinglian.models import HomePage

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(db):
    return CaseIndexPageFactory(parent=HomePage.objects.get(), slug="cases")


@pytest.fixture
def second_trainer(org):
    person = UserFactory(
        email="trainer2@example.gov.cn", full_name="培训师乙", unit=org.city, rank_level=rank("ZKJ")
    )
    role_grant(user=person, role=Role.TRAINER, unit=org.city)
    return person


@pytest.fixture
def draft(library, org):
    case = CasePageFactory(parent=library, title="待审核案例", slug="pending-case", live=False)
    case.save_revision(user=org.trainer)
    return case


def submit(case: CasePage, user) -> None:
    case.get_workflow().start(case, user)


def approve_url(case: CasePage) -> str:
    case.refresh_from_db()
    state = case.current_workflow_task_state
    return reverse("wagtailadmin_pages:workflow_action", args=[case.pk, "approve", state.pk])


def test_the_case_library_gets_the_workflow_and_ensuring_twice_adds_nothing(library):
    case_workflow_ensure()
    case_workflow_ensure()
    workflow = library.get_workflow()
    assert workflow is not None and workflow.name == WORKFLOW_NAME
    assert Workflow.objects.filter(name=WORKFLOW_NAME).count() == 1
    tasks = [t.specific for t in workflow.tasks.all()]
    assert len(tasks) == 1 and isinstance(tasks[0], PeerApprovalTask)
    assert list(tasks[0].groups.values_list("name", flat=True)) == ["Trainers"]


def test_a_trainer_cannot_publish_a_case_directly(client, org, library, draft):
    assert not draft.permissions_for_user(org.trainer).can_publish()
    assert not library.permissions_for_user(org.trainer).can_publish_subpage()
    assert draft.permissions_for_user(org.trainer).can_submit_for_moderation()
    assert draft.permissions_for_user(org.superuser).can_publish()

    client.force_login(org.trainer)
    html = client.get(reverse("wagtailadmin_pages:edit", args=[draft.pk])).content.decode()
    assert 'name="action-submit"' in html
    assert 'name="action-publish"' not in html
    html = client.get(
        reverse("wagtailadmin_pages:add", args=["cases", "casepage", library.pk])
    ).content.decode()
    assert 'name="action-submit"' in html
    assert 'name="action-publish"' not in html


def case_form(title: str, slug: str, action: str) -> dict:
    return nested_form_data(
        {
            "title": title,
            "slug": slug,
            "summary": "某某违规收受礼金。",
            "decision_date": "2024-06-01",
            "position_at_time": "某局科长",
            "official_name": "王某某",
            "body": streamfield([]),
            "lessons": rich_text("<p>守住底线。</p>"),
            "discussion_questions": "",
            "source": "",
            "comments": {
                "TOTAL_FORMS": 0,
                "INITIAL_FORMS": 0,
                "MIN_NUM_FORMS": 0,
                "MAX_NUM_FORMS": 1000,
            },
        }
    ) | {action: "1"}


def test_a_publish_post_from_a_trainer_does_not_make_the_case_live(client, org, library):
    client.force_login(org.trainer)
    url = reverse("wagtailadmin_pages:add", args=["cases", "casepage", library.pk])
    client.post(url, case_form("直接发布的案例", "direct-case", "action-publish"))
    case = CasePage.objects.filter(slug="direct-case").first()
    assert case is None or not case.live


def test_trainer_submits_the_same_trainer_cannot_approve_another_does(
    client, org, library, second_trainer
):
    # The first trainer writes a case in the admin and submits it for moderation.
    client.force_login(org.trainer)
    url = reverse("wagtailadmin_pages:add", args=["cases", "casepage", library.pk])
    response = client.post(url, case_form("新提交的案例", "submitted-case", "action-submit"))
    assert response.status_code == 302, response.content.decode()[:2000]
    case = CasePage.objects.get(slug="submitted-case")
    assert not case.live
    state = case.current_workflow_state
    assert state is not None and state.requested_by == org.trainer

    # The submitter is offered no approval and cannot force one.
    task = case.current_workflow_task
    assert task.get_actions(case, org.trainer) == []
    assert not task.get_task_states_user_can_moderate(org.trainer).exists()
    html = client.get(reverse("wagtailadmin_pages:edit", args=[case.pk])).content.decode()
    assert "data-workflow-action-url" not in html or "/approve/" not in html
    response = client.post(approve_url(case))
    # Wagtail's admin turns the refusal into a redirect with a "permission denied" message.
    assert response.status_code in (302, 403)
    case.refresh_from_db()
    assert not case.live

    # Another trainer sees it awaiting review, approves it, and it goes live.
    client.force_login(second_trainer)
    assert task.get_task_states_user_can_moderate(second_trainer).exists()
    actions = [name for name, _label, _modal in task.get_actions(case, second_trainer)]
    assert "approve" in actions
    response = client.post(approve_url(case))
    assert response.status_code in (200, 302)
    case.refresh_from_db()
    assert case.live
    assert case.current_workflow_state is None
    assert client.get(case.url).status_code == 200


def test_the_submitter_cannot_approve_through_the_task_api(org, draft, second_trainer):
    submit(draft, org.trainer)
    draft.refresh_from_db()
    task_state = draft.current_workflow_task_state
    task = task_state.task.specific
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied
        task.on_action(task_state, org.trainer, "approve")
    draft.refresh_from_db()
    assert not draft.live
    task.on_action(task_state, second_trainer, "approve")
    draft.refresh_from_db()
    assert draft.live


def test_a_learner_cannot_reach_the_admin(client, org, draft):
    client.force_login(org.finance_learner)
    response = client.get("/admin/")
    assert response.status_code in (302, 403)
    response = client.get(reverse("wagtailadmin_pages:edit", args=[draft.pk]))
    assert response.status_code in (302, 403)
    assert not draft.permissions_for_user(org.finance_learner).can_edit()


def test_decision_date_is_kept(org, draft):
    assert draft.decision_date == datetime.date(2024, 6, 1)


@pytest.mark.django_db
def test_trainers_manage_regulations_and_taxonomies_in_the_admin(client, org):
    client.force_login(org.trainer)
    for path in (
        "/admin/snippets/cases/regulation/",
        "/admin/snippets/cases/article/",
        "/admin/snippets/cases/disciplinecategory/",
        "/admin/snippets/cases/region/",
        "/admin/snippets/people/sector/",
    ):
        assert client.get(path).status_code == 200, path
    client.force_login(org.finance_learner)
    assert client.get("/admin/snippets/cases/regulation/").status_code == 302
