"""Which events a viewer may manage or report on, and whose records they may see.

*Manage* (edit, cancel, run check-in and the roster): superusers every event; the
event's trainer; a trainer whose trainer units contain the event's audience unit; a unit
admin whose subtree contains the event's audience unit.

*Report* (see the roster, attendance and exports): whoever may manage it, plus unit
admins and discipline officers whose scope overlaps the audience (the audience unit is
inside their subtree, or it is an ancestor of a unit where they hold the role: a
city-wide lecture is visible to the finance bureau's admin, who follows their own people).

*Records.* Whoever may manage the event (its trainer, trainers and unit admins whose
scope contains the audience unit, superusers) sees every registration, walk-ins and
self-registrations from other units included, since they run the roster; other unit
admins and discipline officers see only registrations of people in their own scope
(``person_list_visible``).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from people.models import OrgUnit, Role
from people.selectors import PEOPLE_READ_ROLES, role_unit_paths, unit_paths_q, viewer_user

from ..models import Event, Registration

MANAGE_ROLES = (Role.TRAINER, Role.UNIT_ADMIN)
REPORT_ROLES = tuple(PEOPLE_READ_ROLES)


def _ancestor_paths(path: str) -> list[str]:
    """``path`` and the paths of all its ancestors (treebeard paths have a fixed step)."""
    step = OrgUnit.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


def _overlap_q(paths: list[str], field: str) -> Q:
    """Rows whose unit ``field`` (a path) is inside one of ``paths`` or an ancestor of one."""
    q = unit_paths_q(paths, field)
    ancestors = {a for p in paths for a in _ancestor_paths(p)}
    if ancestors:
        q |= Q(**{f"{field}__in": sorted(ancestors)})
    return q


def event_list_manageable(*, viewer: object) -> QuerySet[Event]:
    """Events the viewer may change and run."""
    u = viewer_user(viewer)
    qs = Event.objects.select_related("audience_unit", "trainer", "min_rank", "campaign")
    if u is None:
        return qs.none()
    if u.is_superuser:
        return qs
    paths = role_unit_paths(user=u, roles=MANAGE_ROLES)
    return qs.filter(Q(trainer=u) | unit_paths_q(paths, "audience_unit__path"))


def event_can_manage(*, viewer: object, event: Event) -> bool:
    u = viewer_user(viewer)
    if u is None:
        return False
    if u.is_superuser or event.trainer_id == u.pk:
        return True
    path = event.audience_unit.path
    return any(path.startswith(p) for p in role_unit_paths(user=u, roles=MANAGE_ROLES))


def event_list_reportable(*, viewer: object) -> QuerySet[Event]:
    """Events the viewer may see the roster and attendance of (see the module doc)."""
    u = viewer_user(viewer)
    qs = Event.objects.select_related("audience_unit", "trainer", "min_rank", "campaign")
    if u is None:
        return qs.none()
    if u.is_superuser:
        return qs
    manage = role_unit_paths(user=u, roles=MANAGE_ROLES)
    read = role_unit_paths(user=u, roles=REPORT_ROLES)
    return qs.filter(
        Q(trainer=u)
        | unit_paths_q(manage, "audience_unit__path")
        | _overlap_q(read, "audience_unit__path")
    )


def event_can_report(*, viewer: object, event: Event) -> bool:
    u = viewer_user(viewer)
    if u is None:
        return False
    if event_can_manage(viewer=u, event=event):
        return True
    path = event.audience_unit.path
    return any(
        path.startswith(p) or p.startswith(path)
        for p in role_unit_paths(user=u, roles=REPORT_ROLES)
    )


def event_sees_all_records(*, viewer: object, event: Event) -> bool:
    """Whether the viewer sees every registration of the event (not only their scope's):
    whoever may manage it."""
    return event_can_manage(viewer=viewer, event=event)


def event_registrations_visible(*, viewer: object, event: Event) -> QuerySet[Registration]:
    """The event's registrations whose person the viewer may see in rosters and reports:
    all of them for those who manage the event, those of people in the viewer's scope for
    other unit admins and discipline officers, none for anyone else."""
    u = viewer_user(viewer)
    qs = Registration.objects.filter(event=event).select_related(
        "user", "user__unit", "user__rank_level"
    )
    if u is None or not event_can_report(viewer=u, event=event):
        return qs.none()
    if event_sees_all_records(viewer=u, event=event):
        return qs
    return qs.filter(unit_paths_q(role_unit_paths(user=u, roles=REPORT_ROLES), "user__unit__path"))


def event_person_visible_q(*, viewer: object, event: Event, prefix: str = "user__") -> Q:
    """A ``Q`` limiting rows pointing at a person (attendance, leave …) of ``event`` to the
    people the viewer may see (same rule as ``event_registrations_visible``)."""
    u = viewer_user(viewer)
    if u is None or not event_can_report(viewer=u, event=event):
        return Q(pk__in=[])
    if event_sees_all_records(viewer=u, event=event):
        return Q()
    return unit_paths_q(role_unit_paths(user=u, roles=REPORT_ROLES), f"{prefix}unit__path")
