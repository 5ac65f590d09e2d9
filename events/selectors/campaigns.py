"""Reads about campaigns, their actions and the units' reports.

*Who sees a campaign.* Superusers all. Unit admins, discipline officers and trainers see
the campaigns whose audience overlaps their scope (the audience unit is inside their
subtree, or is an ancestor of a unit where they hold the role: the city's campaign is
visible to the finance bureau's admin, who follows their own units). Anyone sees the
campaigns that include them (their unit inside the audience, their rank at or above the
minimum).

*Who manages a campaign* (changes it, adds required actions): unit admins whose subtree
contains the campaign's audience unit, and superusers.

*Reports.* A unit admin reports for any active unit of the audience subtree inside their
own subtree. Reports, evidence and the roll-up rows are visible to unit admins and
discipline officers for the units in their scope (and superusers); anyone else gets a 404.

*Roll-up units.* For a viewer: the audience unit and its direct children, the units where
the viewer holds a read role, and every unit that filed a report or chose an action, all
limited to the audience subtree and to the viewer's scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet

from people.models import OrgUnit, Role, User
from people.selectors import (
    PEOPLE_READ_ROLES,
    PEOPLE_WRITE_ROLES,
    role_unit_paths,
    unit_paths_q,
    viewer_user,
)

from ..models import ActionEvidence, ActionKind, ActionReport, Campaign, CampaignAction, Event

#: Roles that see the campaigns overlapping their scope.
CAMPAIGN_STAFF_ROLES = (Role.UNIT_ADMIN, Role.DISCIPLINE_OFFICER, Role.TRAINER)
#: Roles that see units' reports and evidence in their scope.
REPORT_READ_ROLES = tuple(PEOPLE_READ_ROLES)
#: Roles that change campaigns, add actions and file reports in their scope.
CAMPAIGN_WRITE_ROLES = tuple(PEOPLE_WRITE_ROLES)


def _ancestor_paths(path: str) -> list[str]:
    step = OrgUnit.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


def _overlap_q(paths: list[str], field_name: str) -> Q:
    """Rows whose unit ``field_name`` (a path) is inside one of ``paths`` or an ancestor
    of one of them."""
    q = unit_paths_q(paths, field_name)
    ancestors = {a for p in paths for a in _ancestor_paths(p)}
    if ancestors:
        q |= Q(**{f"{field_name}__in": sorted(ancestors)})
    return q


def _in_paths(path: str, paths: list[str]) -> bool:
    return any(path.startswith(p) for p in paths)


# --- Campaigns ---------------------------------------------------------------------------


def campaign_includes_q(*, user: User) -> Q:
    """Campaigns whose audience includes ``user`` (active campaigns only)."""
    if user.unit_id is None:
        return Q(pk__in=[])
    q = Q(is_active=True, audience_unit__path__in=_ancestor_paths(user.unit.path))  # type: ignore[union-attr]
    if user.rank_level_id is None:
        return q & Q(min_rank__isnull=True)
    return q & (Q(min_rank__isnull=True) | Q(min_rank__order__lte=user.rank_level.order))  # type: ignore[union-attr]


def campaign_includes(*, campaign: Campaign, user: object) -> bool:
    """Whether ``user`` belongs to the campaign's audience (no query when the user's unit
    and rank and the campaign's audience unit and minimum rank are loaded)."""
    u = viewer_user(user)
    if u is None or u.unit is None or not campaign.is_active:
        return False
    if not u.unit.path.startswith(campaign.audience_unit.path):
        return False
    if campaign.min_rank_id is not None:
        rank = u.rank_level
        if rank is None or rank.order < campaign.min_rank.order:  # type: ignore[union-attr]
            return False
    return True


def campaign_list_visible(*, viewer: object) -> QuerySet[Campaign]:
    """Campaigns the viewer may open (see the module doc)."""
    u = viewer_user(viewer)
    qs = Campaign.objects.select_related("audience_unit", "min_rank")
    if u is None:
        return qs.none()
    if u.is_superuser:
        return qs
    staff = role_unit_paths(user=u, roles=CAMPAIGN_STAFF_ROLES)
    return qs.filter(_overlap_q(staff, "audience_unit__path") | campaign_includes_q(user=u))


def campaign_list_mine(*, user: object) -> QuerySet[Campaign]:
    """The active campaigns that include ``user`` themselves."""
    u = viewer_user(user)
    qs = Campaign.objects.select_related("audience_unit", "min_rank")
    if u is None:
        return qs.none()
    return qs.filter(campaign_includes_q(user=u))


def campaign_list_manageable(*, viewer: object) -> QuerySet[Campaign]:
    u = viewer_user(viewer)
    qs = Campaign.objects.select_related("audience_unit", "min_rank")
    if u is None:
        return qs.none()
    if u.is_superuser:
        return qs
    return qs.filter(
        unit_paths_q(role_unit_paths(user=u, roles=CAMPAIGN_WRITE_ROLES), "audience_unit__path")
    )


def campaign_can_manage(*, viewer: object, campaign: Campaign) -> bool:
    u = viewer_user(viewer)
    if u is None:
        return False
    if u.is_superuser:
        return True
    return _in_paths(
        campaign.audience_unit.path, role_unit_paths(user=u, roles=CAMPAIGN_WRITE_ROLES)
    )


def campaign_events(*, campaign: Campaign) -> QuerySet[Event]:
    return campaign.events.select_related("audience_unit", "min_rank", "trainer").order_by(
        "starts_at", "pk"
    )


# --- Units, reports ----------------------------------------------------------------------


def campaign_units_reportable(*, viewer: object, campaign: Campaign) -> QuerySet[OrgUnit]:
    """Active units of the campaign's audience for which the viewer may file reports."""
    u = viewer_user(viewer)
    qs = OrgUnit.objects.filter(is_active=True, path__startswith=campaign.audience_unit.path)
    if u is None:
        return qs.none()
    if u.is_superuser:
        return qs.order_by("path")
    paths = role_unit_paths(user=u, roles=CAMPAIGN_WRITE_ROLES)
    return qs.filter(unit_paths_q(paths, "path")).order_by("path")


def unit_can_report(*, viewer: object, campaign: Campaign, unit: OrgUnit) -> bool:
    u = viewer_user(viewer)
    if u is None or not unit.is_active:
        return False
    if not unit.path.startswith(campaign.audience_unit.path):
        return False
    if u.is_superuser:
        return True
    return _in_paths(unit.path, role_unit_paths(user=u, roles=CAMPAIGN_WRITE_ROLES))


def unit_can_read_reports(*, viewer: object, unit: OrgUnit) -> bool:
    u = viewer_user(viewer)
    if u is None:
        return False
    if u.is_superuser:
        return True
    return _in_paths(unit.path, role_unit_paths(user=u, roles=REPORT_READ_ROLES))


def report_list_visible(*, viewer: object) -> QuerySet[ActionReport]:
    """Reports of units in the viewer's read scope."""
    u = viewer_user(viewer)
    qs = ActionReport.objects.select_related(
        "action", "action__campaign", "action__campaign__audience_unit", "unit", "reported_by"
    )
    if u is None:
        return qs.none()
    if u.is_superuser:
        return qs
    return qs.filter(unit_paths_q(role_unit_paths(user=u, roles=REPORT_READ_ROLES), "unit__path"))


def report_detail(*, viewer: object, pk: int) -> ActionReport | None:
    """The report with its evidence, if the viewer may see it."""
    return (
        report_list_visible(viewer=viewer)
        .prefetch_related(
            Prefetch(
                "evidence",
                queryset=ActionEvidence.objects.select_related("uploaded_by").order_by(
                    "uploaded_at", "pk"
                ),
            )
        )
        .filter(pk=pk)
        .first()
    )


def evidence_visible(*, viewer: object, pk: int) -> ActionEvidence | None:
    u = viewer_user(viewer)
    if u is None:
        return None
    qs = ActionEvidence.objects.select_related("report", "report__unit")
    if not u.is_superuser:
        qs = qs.filter(
            unit_paths_q(role_unit_paths(user=u, roles=REPORT_READ_ROLES), "report__unit__path")
        )
    return qs.filter(pk=pk).first()


def action_list_required(*, campaign: Campaign) -> QuerySet[CampaignAction]:
    return CampaignAction.objects.filter(campaign=campaign, kind=ActionKind.REQUIRED).order_by(
        "order", "pk"
    )


def action_list_chosen_visible(*, viewer: object, campaign: Campaign) -> QuerySet[CampaignAction]:
    """Chosen actions of units the viewer may read (or report for)."""
    u = viewer_user(viewer)
    qs = CampaignAction.objects.filter(campaign=campaign, kind=ActionKind.CHOSEN).select_related(
        "unit"
    )
    if u is None:
        return qs.none()
    if not u.is_superuser:
        paths = role_unit_paths(user=u, roles=REPORT_READ_ROLES)
        qs = qs.filter(unit_paths_q(paths, "unit__path"))
    return qs.order_by("unit__path", "order", "pk")


@dataclass
class RollupCell:
    action: CampaignAction
    report_id: int | None
    evidence_count: int = 0
    can_report: bool = False

    @property
    def done(self) -> bool:
        return self.report_id is not None


@dataclass
class RollupRow:
    unit: OrgUnit
    required: list[RollupCell] = field(default_factory=list)
    chosen: list[RollupCell] = field(default_factory=list)

    @property
    def done_count(self) -> int:
        return sum(1 for c in self.required if c.done)

    @property
    def missing_count(self) -> int:
        return sum(1 for c in self.required if not c.done)

    @property
    def complete(self) -> bool:
        return self.missing_count == 0


def campaign_rollup(
    *,
    viewer: object,
    campaign: Campaign,
    required: list[CampaignAction] | None = None,
    chosen: list[CampaignAction] | None = None,
) -> list[RollupRow]:
    """One row per unit the viewer may see (see the module doc): each required action
    done (a report exists for the unit) or missing, and the unit's chosen actions with
    their reports. A fixed number of queries whatever the number of units and actions."""
    u = viewer_user(viewer)
    if u is None:
        return []
    root = campaign.audience_unit
    if required is None:
        required = list(action_list_required(campaign=campaign))
    if chosen is None:
        chosen = list(action_list_chosen_visible(viewer=u, campaign=campaign))

    subtree = OrgUnit.objects.filter(path__startswith=root.path)
    if u.is_superuser:
        read_paths = [root.path]
    else:
        read_paths = role_unit_paths(user=u, roles=REPORT_READ_ROLES)
        subtree = subtree.filter(unit_paths_q(read_paths, "path"))
    own_paths = [p for p in read_paths if p.startswith(root.path)]
    reported = ActionReport.objects.filter(action__campaign=campaign).values("unit_id")
    units = list(
        subtree.filter(
            Q(path=root.path, is_active=True)
            | Q(depth=root.depth + 1, is_active=True)
            | Q(path__in=own_paths)
            | Q(pk__in=reported)
            | Q(pk__in=[a.unit_id for a in chosen])
        ).order_by("path")
    )
    if not units:
        return []
    reports = {
        (r["action_id"], r["unit_id"]): (r["pk"], r["n"])
        for r in ActionReport.objects.filter(
            action__campaign=campaign, unit__in=[unit.pk for unit in units]
        )
        .annotate(n=Count("evidence"))
        .values("pk", "action_id", "unit_id", "n")
    }
    if u.is_superuser:
        write_paths = [root.path]
    else:
        write_paths = role_unit_paths(user=u, roles=CAMPAIGN_WRITE_ROLES)
    rows = []
    chosen_by_unit: dict[int, list[CampaignAction]] = {}
    for action in chosen:
        chosen_by_unit.setdefault(action.unit_id, []).append(action)  # type: ignore[arg-type]
    for unit in units:
        can_report = unit.is_active and _in_paths(unit.path, write_paths)

        def cell(
            action: CampaignAction, unit: OrgUnit = unit, can: bool = can_report
        ) -> RollupCell:
            report_id, n = reports.get((action.pk, unit.pk), (None, 0))
            return RollupCell(action=action, report_id=report_id, evidence_count=n, can_report=can)

        rows.append(
            RollupRow(
                unit=unit,
                required=[cell(a) for a in required],
                chosen=[cell(a) for a in chosen_by_unit.get(unit.pk, [])],
            )
        )
    return rows
