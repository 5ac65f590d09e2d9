"""Writes about campaigns, their actions and the units' reports with evidence.

Every function checks the caller's scope itself (``events.selectors.campaigns``) and
raises a ``ValidationError`` by field, writing nothing, when something is wrong.

Double submits: creating a campaign identical to an existing one (same year, title and
audience unit) or an action identical to one of the same campaign (same kind, unit and
title) returns the existing row with ``reused = True``. A report is one per action and
unit (a constraint): saving one again updates it, and a second request racing the first
finds the first row instead of failing (the insert runs in a savepoint; an
``IntegrityError`` there means "someone else created it": we lock and update that one).

Evidence files are checked by content (``events.uploads``) before anything is written; if
the transaction fails after some files were stored, those files are deleted again.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from people.models import OrgUnit, RankLevel, User
from people.selectors import unit_can_manage

from ..models import ActionEvidence, ActionKind, ActionReport, Campaign, CampaignAction
from ..selectors.campaigns import campaign_can_manage, unit_can_report
from ..uploads import EvidenceFile

logger = logging.getLogger(__name__)

TITLE_MAX = 200
SUMMARY_MAX = 5000
CAPTION_MAX = 200
#: At most this many evidence files per report.
EVIDENCE_PER_REPORT = 20


# --- Campaigns ---------------------------------------------------------------------------


def _check_campaign(
    *,
    by: User,
    year: int,
    title: str,
    starts_on: datetime.date | None,
    ends_on: datetime.date | None,
    audience_unit: OrgUnit | None,
) -> None:
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Give the campaign a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("The title is too long: at most %(max)s characters.") % {
            "max": TITLE_MAX
        }
    if not (2000 <= year <= 2100):
        errors["year"] = _("Enter a year between 2000 and 2100.")
    if starts_on is None:
        errors["starts_on"] = _("Choose the first day of the campaign.")
    if ends_on is None:
        errors["ends_on"] = _("Choose the last day of the campaign.")
    if starts_on and ends_on:
        if ends_on < starts_on:
            errors["ends_on"] = _("The campaign cannot end before it starts.")
        elif "year" not in errors and starts_on.year != year:
            errors["year"] = _(
                "The year does not match the period: the campaign starts in %(start)s."
            ) % {"start": starts_on.year}
        elif (ends_on - starts_on).days > 366:
            errors["ends_on"] = _("A campaign lasts at most a year.")
    if audience_unit is None:
        errors["audience_unit"] = _("Choose the unit the campaign is for.")
    elif not audience_unit.is_active:
        errors["audience_unit"] = _("This unit is no longer active.")
    elif not unit_can_manage(viewer=by, unit=audience_unit):
        errors["audience_unit"] = _("You may only run campaigns for units within your own scope.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def campaign_create(
    *,
    by: User,
    year: int,
    title: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    audience_unit: OrgUnit,
    theme: str = "",
    description: str = "",
    min_rank: RankLevel | None = None,
) -> Campaign:
    """A new campaign for ``audience_unit``'s subtree. Refuses a period that ends before
    it starts or does not start in ``year``, and a unit outside ``by``'s scope."""
    title = (title or "").strip()
    _check_campaign(
        by=by,
        year=year,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        audience_unit=audience_unit,
    )
    # Serialise creates for this unit (a double submit racing in two requests).
    list(
        OrgUnit.objects.select_for_update().filter(pk=audience_unit.pk).values_list("pk", flat=True)
    )
    existing = (
        Campaign.objects.filter(year=year, title=title, audience_unit=audience_unit)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        existing.reused = True  # type: ignore[attr-defined]
        return existing
    campaign = Campaign.objects.create(
        year=year,
        title=title,
        theme=(theme or "").strip(),
        description=(description or "").strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        audience_unit=audience_unit,
        min_rank=min_rank,
        created_by=by,
    )
    campaign.reused = False  # type: ignore[attr-defined]
    return campaign


@transaction.atomic
def campaign_update(
    *,
    by: User,
    campaign: Campaign,
    year: int,
    title: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    audience_unit: OrgUnit,
    theme: str = "",
    description: str = "",
    min_rank: RankLevel | None = None,
    is_active: bool = True,
) -> Campaign:
    """Change a campaign the caller manages (its old and its new audience unit must both
    be in their scope)."""
    locked = (
        Campaign.objects.select_for_update().select_related("audience_unit").get(pk=campaign.pk)
    )
    if not campaign_can_manage(viewer=by, campaign=locked):
        raise ValidationError(
            {"audience_unit": _("You may only change campaigns within your own scope.")}
        )
    title = (title or "").strip()
    _check_campaign(
        by=by,
        year=year,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        audience_unit=audience_unit,
    )
    locked.year = year
    locked.title = title
    locked.theme = (theme or "").strip()
    locked.description = (description or "").strip()
    locked.starts_on = starts_on
    locked.ends_on = ends_on
    locked.audience_unit = audience_unit
    locked.min_rank = min_rank
    locked.is_active = is_active
    locked.save()
    return locked


# --- Actions -----------------------------------------------------------------------------


def _check_action(
    *, campaign: Campaign, title: str, due_date: datetime.date | None, description: str
) -> None:
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Give the action a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("The title is too long: at most %(max)s characters.") % {
            "max": TITLE_MAX
        }
    if len(description) > SUMMARY_MAX:
        errors["description"] = _("The description is too long: at most %(max)s characters.") % {
            "max": SUMMARY_MAX
        }
    if due_date is not None and due_date < campaign.starts_on:
        errors["due_date"] = _("The due date is before the campaign starts (%(start)s).") % {
            "start": campaign.starts_on.isoformat()
        }
    if errors:
        raise ValidationError(errors)


def _action_create(
    *,
    by: User,
    campaign: Campaign,
    kind: str,
    unit: OrgUnit | None,
    title: str,
    description: str,
    due_date: datetime.date | None,
    order: int,
) -> CampaignAction:
    list(Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("pk", flat=True))
    existing = (
        CampaignAction.objects.filter(campaign=campaign, kind=kind, unit=unit, title=title)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        existing.reused = True  # type: ignore[attr-defined]
        return existing
    action = CampaignAction.objects.create(
        campaign=campaign,
        kind=kind,
        unit=unit,
        title=title,
        description=description,
        due_date=due_date,
        order=order,
        created_by=by,
    )
    action.reused = False  # type: ignore[attr-defined]
    return action


@transaction.atomic
def action_create_required(
    *,
    by: User,
    campaign: Campaign,
    title: str,
    description: str = "",
    due_date: datetime.date | None = None,
    order: int = 0,
) -> CampaignAction:
    """A required action (规定动作): every unit of the audience must report it. Only the
    campaign's managers add one."""
    if not campaign_can_manage(viewer=by, campaign=campaign):
        raise ValidationError(_("Only the admins of the campaign's unit can add required actions."))
    title, description = (title or "").strip(), (description or "").strip()
    _check_action(campaign=campaign, title=title, due_date=due_date, description=description)
    return _action_create(
        by=by,
        campaign=campaign,
        kind=ActionKind.REQUIRED,
        unit=None,
        title=title,
        description=description,
        due_date=due_date,
        order=order,
    )


@transaction.atomic
def action_create_chosen(
    *,
    by: User,
    campaign: Campaign,
    unit: OrgUnit,
    title: str,
    description: str = "",
    due_date: datetime.date | None = None,
) -> CampaignAction:
    """A chosen action (自选动作) of ``unit``, added by one of its admins."""
    if not unit_can_report(viewer=by, campaign=campaign, unit=unit):
        raise ValidationError(
            {"unit": _("Choose one of your own units inside the campaign's audience.")}
        )
    title, description = (title or "").strip(), (description or "").strip()
    _check_action(campaign=campaign, title=title, due_date=due_date, description=description)
    return _action_create(
        by=by,
        campaign=campaign,
        kind=ActionKind.CHOSEN,
        unit=unit,
        title=title,
        description=description,
        due_date=due_date,
        order=0,
    )


def action_can_edit(*, viewer: User, action: CampaignAction) -> bool:
    """Required actions: the campaign's managers; chosen actions: admins of their unit."""
    if action.kind == ActionKind.REQUIRED:
        return campaign_can_manage(viewer=viewer, campaign=action.campaign)
    assert action.unit is not None
    return unit_can_report(viewer=viewer, campaign=action.campaign, unit=action.unit)


@transaction.atomic
def action_update(
    *,
    by: User,
    action: CampaignAction,
    title: str,
    description: str = "",
    due_date: datetime.date | None = None,
    order: int | None = None,
) -> CampaignAction:
    locked = (
        CampaignAction.objects.select_for_update()
        .select_related("campaign", "campaign__audience_unit", "unit")
        .get(pk=action.pk)
    )
    if not action_can_edit(viewer=by, action=locked):
        raise ValidationError(_("You may not change this action."))
    title, description = (title or "").strip(), (description or "").strip()
    _check_action(campaign=locked.campaign, title=title, due_date=due_date, description=description)
    locked.title = title
    locked.description = description
    locked.due_date = due_date
    if order is not None:
        locked.order = order
    locked.save()
    return locked


# --- Reports and evidence ----------------------------------------------------------------


def _check_report(
    *,
    action: CampaignAction,
    unit: OrgUnit,
    done_on: datetime.date | None,
    summary: str,
    participants: int | None,
) -> None:
    errors: dict[str, str] = {}
    if action.kind == ActionKind.CHOSEN and action.unit_id != unit.pk:
        errors["unit"] = _("A chosen action is reported by the unit that chose it.")
    if done_on is None:
        errors["done_on"] = _("Enter the day it was done.")
    elif done_on > timezone.localdate():
        errors["done_on"] = _("The day it was done cannot be in the future.")
    elif done_on < action.campaign.starts_on - datetime.timedelta(days=366):
        errors["done_on"] = _("This day is long before the campaign.")
    if not summary:
        errors["summary"] = _("Describe what the unit did.")
    elif len(summary) > SUMMARY_MAX:
        errors["summary"] = _("The description is too long: at most %(max)s characters.") % {
            "max": SUMMARY_MAX
        }
    if participants is not None and participants < 0:
        errors["participants"] = _("Enter a number of people, 0 or more.")
    if errors:
        raise ValidationError(errors)


def _store_evidence(
    *, report: ActionReport, files: Sequence[EvidenceFile], captions: Sequence[str], by: User
) -> list[ActionEvidence]:
    stored: list[ActionEvidence] = []
    for i, checked in enumerate(files):
        evidence = ActionEvidence(
            report=report,
            original_name=checked.original_name,
            content_type=checked.content_type,
            size=checked.size,
            caption=(captions[i] if i < len(captions) else "").strip()[:CAPTION_MAX],
            uploaded_by=by,
        )
        # upload_to builds a random name from content_type (never the uploaded name).
        evidence.file.save("evidence", ContentFile(checked.data), save=False)
        stored.append(evidence)
        evidence.save()
    return stored


def _delete_files(evidence: Sequence[ActionEvidence]) -> None:
    for item in evidence:
        try:
            item.file.delete(save=False)
        except Exception:  # pragma: no cover - best effort clean-up
            logger.exception("Could not delete evidence file %s", item.file.name)


def report_save(
    *,
    by: User,
    action: CampaignAction,
    unit: OrgUnit,
    done_on: datetime.date,
    summary: str,
    participants: int | None = None,
    files: Sequence[EvidenceFile] = (),
    captions: Sequence[str] = (),
) -> ActionReport:
    """Create or update ``unit``'s report on ``action`` and add the (already checked)
    evidence files. One report per action and unit; saving twice updates the one row.
    ``report.created`` tells whether this call made it."""
    summary = (summary or "").strip()
    if not unit_can_report(viewer=by, campaign=action.campaign, unit=unit):
        raise ValidationError({"unit": _("You may only report for units within your own scope.")})
    _check_report(
        action=action, unit=unit, done_on=done_on, summary=summary, participants=participants
    )
    stored: list[ActionEvidence] = []
    try:
        with transaction.atomic():
            report, created = _report_lock_or_create(
                action=action,
                unit=unit,
                defaults={
                    "done_on": done_on,
                    "summary": summary,
                    "participants": participants,
                    "reported_by": by,
                },
            )
            if not created:
                report.done_on = done_on
                report.summary = summary
                report.participants = participants
                report.reported_by = by
                report.save()
            if files:
                already = ActionEvidence.objects.filter(report=report).count()
                if already + len(files) > EVIDENCE_PER_REPORT:
                    raise ValidationError(
                        {
                            "evidence": _(
                                "A report holds at most %(max)s files; it has %(count)s already."
                            )
                            % {"max": EVIDENCE_PER_REPORT, "count": already}
                        }
                    )
                stored = _store_evidence(report=report, files=files, captions=captions, by=by)
    except BaseException:
        _delete_files(stored)
        raise
    report.created = created  # type: ignore[attr-defined]
    return report


def _report_lock_or_create(
    *, action: CampaignAction, unit: OrgUnit, defaults: dict[str, Any]
) -> tuple[ActionReport, bool]:
    existing = ActionReport.objects.select_for_update().filter(action=action, unit=unit).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return ActionReport.objects.create(action=action, unit=unit, **defaults), True
    except IntegrityError:
        # A concurrent request created it between our read and our insert.
        return ActionReport.objects.select_for_update().get(action=action, unit=unit), False


@transaction.atomic
def evidence_delete(*, by: User, evidence: ActionEvidence) -> None:
    """Remove one evidence file (admins of the report's unit); the file goes after
    commit."""
    report = evidence.report
    campaign = report.action.campaign
    if not unit_can_report(viewer=by, campaign=campaign, unit=report.unit):
        raise ValidationError(_("You may only remove evidence of your own units."))
    name = evidence.file.name
    storage = evidence.file.storage
    deleted, _rows = ActionEvidence.objects.filter(pk=evidence.pk).delete()
    if deleted:
        transaction.on_commit(lambda: storage.delete(name) if name else None)
