"""Publishing cases goes through a moderation workflow (案例审核): a trainer submits, and
another trainer approves. Nobody but a superuser publishes a case directly.

- ``PeerApprovalTask``: Wagtail's group approval, except that the person who submitted
  the case never approves it (four eyes).
- ``CasePermissionTester``: the case pages' permissions. Trainers hold ``publish_page`` on
  the whole tree (people.services.role_groups_ensure), and Wagtail offers "Publish" to
  anyone with it even while a workflow is active; on case pages publishing is taken away
  from everyone but superusers, so the workflow is the only way to go live.
- ``case_workflow_ensure``: creates the workflow and its task, and assigns the workflow
  to every case library page. Idempotent; runs after ``migrate``, whenever a case library
  page is created, and from ``build_demo``.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from wagtail.models import (
    GroupApprovalTask,
    PagePermissionTester,
    TaskState,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

# Set while a reviewer's approval runs: (object id, reviewer id). Wagtail publishes the
# approved revision as the reviewer, checking their publish permission; the approval is
# what authorises that one publication, so the case tester allows it for exactly then.
_approving: ContextVar[tuple[str, int] | None] = ContextVar("case_approving", default=None)

WORKFLOW_NAME = "案例审核"
TASK_NAME = "培训师互审"
TRAINERS_GROUP = "Trainers"  # people.services.ROLE_GROUPS[Role.TRAINER]


def _submitter_id(obj: Any) -> int | None:
    state = getattr(obj, "current_workflow_state", None)
    return state.requested_by_id if state is not None else None


class PeerApprovalTask(GroupApprovalTask):
    """Members of the chosen groups approve, but never their own submission."""

    def _is_submitter(self, obj: Any, user: Any) -> bool:
        submitter = _submitter_id(obj)
        return submitter is not None and submitter == user.pk

    def user_can_access_editor(self, obj: Any, user: Any) -> bool:
        if self._is_submitter(obj, user):
            return False
        return bool(super().user_can_access_editor(obj, user))

    def get_actions(self, obj: Any, user: Any) -> list[tuple[str, Any, bool]]:
        if self._is_submitter(obj, user):
            return []
        return list(super().get_actions(obj, user))

    def get_task_states_user_can_moderate(self, user: Any, **kwargs: Any) -> Any:
        states = super().get_task_states_user_can_moderate(user, **kwargs)
        return states.exclude(workflow_state__requested_by=user)

    def on_action(self, task_state: TaskState, user: Any, action_name: str, **kwargs: Any) -> Any:
        workflow_state = task_state.workflow_state
        if workflow_state.requested_by_id == user.pk:
            raise PermissionDenied(_("You cannot review a case you submitted yourself."))
        token = _approving.set((str(workflow_state.object_id), user.pk))
        try:
            return super().on_action(task_state, user, action_name, **kwargs)
        finally:
            _approving.reset(token)

    @classmethod
    def get_description(cls) -> Any:
        return _("Members of the chosen groups approve; never the person who submitted.")

    class Meta:
        verbose_name = _("peer approval task")
        verbose_name_plural = _("peer approval tasks")


class CasePermissionTester(PagePermissionTester):
    """Case pages: only the workflow (or a superuser) publishes."""

    def _approving_now(self) -> bool:
        return _approving.get() == (str(self.page.pk), self.user.pk)

    def can_publish(self) -> bool:
        if self._approving_now():
            return bool(super().can_publish())
        return bool(self.user.is_superuser and super().can_publish())

    def can_publish_subpage(self) -> bool:
        return bool(self.user.is_superuser and super().can_publish_subpage())


def case_workflow_ensure() -> Workflow | None:
    """The 案例审核 workflow, its peer-approval task (Trainers) and its assignment to every
    case library page. Returns None while the tables are not there yet."""
    from .models import CaseIndexPage

    trainers, _created = Group.objects.get_or_create(name=TRAINERS_GROUP)
    task = PeerApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = PeerApprovalTask.objects.create(name=TASK_NAME)
    task.groups.add(trainers)
    workflow, _created = Workflow.objects.get_or_create(name=WORKFLOW_NAME)
    if not WorkflowTask.objects.filter(workflow=workflow, task=task).exists():
        WorkflowTask.objects.create(
            workflow=workflow,
            task=task,
            sort_order=WorkflowTask.objects.filter(workflow=workflow).count(),
        )
    for index_page in CaseIndexPage.objects.all():
        WorkflowPage.objects.get_or_create(page=index_page, defaults={"workflow": workflow})
    trainer_permissions_ensure(trainers)
    return workflow


# Trainers manage regulations, articles and the case taxonomies in the admin.
TRAINER_MODEL_PERMISSIONS = {
    "cases": ("regulation", "article", "disciplinecategory", "region"),
    "people": ("sector",),
}


def trainer_permissions_ensure(trainers: Group) -> None:
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    # post_migrate may reach us before auth has created these apps' permissions.
    for app_label in TRAINER_MODEL_PERMISSIONS:
        create_permissions(apps.get_app_config(app_label), verbosity=0)

    query = Q(pk__in=[])
    for app_label, models in TRAINER_MODEL_PERMISSIONS.items():
        query |= Q(content_type__app_label=app_label, content_type__model__in=models)
    trainers.permissions.add(
        *Permission.objects.filter(query).filter(codename__regex=r"^(add|change|delete|view)_")
    )
