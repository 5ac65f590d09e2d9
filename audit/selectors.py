"""Reads of the audit log: who may browse it and which rows they see.

Only two roles open the log, and being a superuser adds nothing:

* a discipline officer sees the rows about people in their discipline subtrees
  (``subject_unit_path``) plus their own actions;
* an auditor (``Role.AUDITOR``) sees every row whose subject's unit, or whose actor's
  unit, lies in their auditor subtrees.

Anyone else (a superuser without either role included) sees nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from people.models import Role
from people.selectors import role_unit_paths, unit_paths_q, viewer_user
from talks.selectors.scope import discipline_paths

from .models import AuditEntry

#: The roles that may browse the audit log (within their subtrees).
AUDIT_READ_ROLES = (Role.DISCIPLINE_OFFICER, Role.AUDITOR)


def audit_scope_q(*, viewer: Any) -> Q | None:
    """The rows ``viewer`` may read as a Q, or ``None`` when they may read none."""
    u = viewer_user(viewer)
    if u is None:
        return None
    q: Q | None = None
    officer_paths = discipline_paths(viewer=u)
    if officer_paths:
        q = unit_paths_q(officer_paths, "subject_unit_path") | Q(actor_id=u.pk)
    auditor_paths = role_unit_paths(user=u, roles=[Role.AUDITOR])
    if auditor_paths:
        auditor_q = unit_paths_q(auditor_paths, "subject_unit_path") | unit_paths_q(
            auditor_paths, "actor__unit__path"
        )
        q = auditor_q if q is None else q | auditor_q
    return q


def audit_can_browse(*, viewer: Any) -> bool:
    return audit_scope_q(viewer=viewer) is not None


@dataclass(frozen=True)
class AuditFilters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    person: str = ""


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def audit_entry_list(*, viewer: Any, filters: AuditFilters | None = None) -> QuerySet[AuditEntry]:
    """The rows ``viewer`` may read, narrowed by ``filters``, newest first."""
    scope = audit_scope_q(viewer=viewer)
    if scope is None:
        return AuditEntry.objects.none()
    qs = AuditEntry.objects.filter(scope)
    f = filters or AuditFilters()
    if f.date_from:
        qs = qs.filter(at__gte=_day_start(f.date_from))
    if f.date_to:
        qs = qs.filter(at__lt=_day_start(f.date_to + datetime.timedelta(days=1)))
    if f.action:
        qs = qs.filter(action=f.action)
    if f.actor:
        qs = qs.filter(actor_label__icontains=f.actor)
    if f.object_type:
        qs = qs.filter(object_type__iexact=f.object_type)
    if f.object_id:
        qs = qs.filter(object_id=f.object_id)
    if f.person:
        qs = qs.filter(
            Q(subject__full_name__icontains=f.person) | Q(subject__email__iexact=f.person)
        )
    return qs.select_related("subject", "subject__unit").order_by("-id")
