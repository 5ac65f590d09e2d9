"""ZIP batches: all ready, current certificates of one course or campaign whose holders
lie in the requester's scope, in one ZIP with a manifest, built by a Celery task that
reports progress.

* :func:`batch_request` stores the requester's scope *at request time* (the build uses
  the stored paths, not the roles the person holds later), reuses a batch of the same
  person, kind and source that is still pending or running or just finished (a double
  click), and enqueues the build on commit.
* :func:`batch_build` claims the row with a conditional UPDATE (pending → running), so a
  second run, or a second worker, does nothing; the ZIP goes to the deterministic name
  ``certificate-batches/<id>.zip``.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import re
import tempfile
import zipfile
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from people.models import User
from people.selectors import unit_paths_q
from qinglian.exports import escape_cell

from ..achievements import AchievementKind
from ..models import BatchStatus, Certificate, CertificateBatch, RenderStatus, batch_upload_to
from ..selectors.scope import certificate_scope_paths

logger = logging.getLogger(__name__)

#: The achievements a batch can be made of.
BATCH_KINDS = (AchievementKind.COURSE, AchievementKind.CAMPAIGN)
#: Stored in ``scope_paths`` for a requester who sees everything (a superuser).
ALL_UNITS = "*"
#: Progress is written every this many certificates (and at the end).
PROGRESS_EVERY = 10
#: A batch still pending this long after it was requested lost its message; one running
#: this long lost its worker (the task's hard time limit is far shorter).
BATCH_PENDING_STALE = datetime.timedelta(minutes=5)
BATCH_RUNNING_STALE = datetime.timedelta(minutes=45)
BATCH_GIVE_UP = datetime.timedelta(hours=6)
#: A batch finished this soon after it was asked for is what a second click meant too.
BATCH_REUSE_WINDOW = datetime.timedelta(seconds=30)

MANIFEST_HEADER = ("serial", "name", "unit", "achievement", "date", "sha256")


def batch_certificates(
    *, kind: str, source_id: int, scope_paths: list[str]
) -> QuerySet[Certificate]:
    """The certificates a batch holds: ready, current, unrevoked certificates of ``kind`` and
    ``source_id`` whose holder's unit lies under ``scope_paths`` (``["*"]``: everyone)."""
    qs = Certificate.objects.filter(
        kind=kind,
        source_id=source_id,
        is_current=True,
        revoked_at__isnull=True,
        status=RenderStatus.READY,
    ).select_related("user", "user__unit")
    return _in_scope(qs, scope_paths).order_by("serial", "pk")


def batch_choices(*, viewer: Any) -> list[dict[str, Any]]:
    """The courses and campaigns the viewer can make a batch of: kind, source id, title,
    date of the latest and number of certificates in the viewer's scope (one query)."""
    paths = _stored_paths(viewer)
    if not paths:
        return []
    rows = (
        _in_scope(
            Certificate.objects.filter(
                kind__in=BATCH_KINDS,
                source_id__isnull=False,
                is_current=True,
                revoked_at__isnull=True,
                status=RenderStatus.READY,
            ),
            paths,
        )
        .values("kind", "source_id")
        .annotate(count=Count("pk"), title=Max("achievement_title"), latest=Max("achieved_on"))
        .order_by("-latest", "kind", "source_id")
    )
    labels = dict(AchievementKind.choices)
    return [{**row, "kind_label": labels.get(row["kind"], row["kind"])} for row in rows]


def _in_scope(qs: QuerySet[Certificate], paths: list[str]) -> QuerySet[Certificate]:
    if ALL_UNITS in paths:
        return qs
    return qs.filter(unit_paths_q(paths, "user__unit__path"))


def _stored_paths(viewer: Any) -> list[str]:
    paths = certificate_scope_paths(viewer=viewer)
    return [ALL_UNITS] if paths is None else list(paths)


def batch_list_for(*, viewer: Any, limit: int = 20) -> list[CertificateBatch]:
    """The viewer's own recent batches, newest first."""
    if not getattr(viewer, "is_authenticated", False):
        return []
    return list(CertificateBatch.objects.filter(requested_by_id=viewer.pk)[:limit])


def batch_get_own(*, viewer: Any, pk: int) -> CertificateBatch | None:
    """The batch ``pk`` if ``viewer`` requested it; ``None`` otherwise (answer 404)."""
    if not getattr(viewer, "is_authenticated", False):
        return None
    return CertificateBatch.objects.filter(pk=pk, requested_by_id=viewer.pk).first()


def batch_request(*, by: User, kind: str, source_id: int) -> CertificateBatch:
    """Ask for a ZIP of the certificates of course or campaign ``source_id`` within
    ``by``'s scope. Refuses (``PermissionDenied``) someone with no scope, and
    (``ValidationError``) another kind of achievement or one with no ready certificate in
    scope. A batch of the same person, kind and source still pending or running, or
    finished within ``BATCH_REUSE_WINDOW`` (a double click), is returned as it is
    (``batch.reused`` is True); otherwise a new one, built once the transaction commits."""
    paths = _stored_paths(by)
    if not paths:
        raise PermissionDenied
    if kind not in BATCH_KINDS:
        raise ValidationError(_("Choose a course or an education month."), code="kind")
    with transaction.atomic():
        # Serialise one person's requests, so two clicks make one batch.
        User.objects.select_for_update().filter(pk=by.pk).first()
        existing = (
            CertificateBatch.objects.filter(requested_by=by, kind=kind, source_id=source_id)
            .filter(
                Q(status__in=[BatchStatus.PENDING, BatchStatus.RUNNING])
                | Q(status=BatchStatus.DONE, created_at__gte=timezone.now() - BATCH_REUSE_WINDOW)
            )
            .first()
        )
        if existing is not None:
            existing.reused = True  # type: ignore[attr-defined]
            return existing
        certificates = batch_certificates(kind=kind, source_id=source_id, scope_paths=paths)
        first = certificates.first()
        if first is None:
            raise ValidationError(
                _("There is no ready certificate of this achievement among your people."),
                code="empty",
            )
        batch = CertificateBatch.objects.create(
            requested_by=by,
            kind=kind,
            source_id=source_id,
            title=first.achievement_title,
            scope_paths=paths,
            total=certificates.count(),
        )
        batch_id = batch.pk
        transaction.on_commit(lambda: _enqueue(batch_id))
    batch.reused = False  # type: ignore[attr-defined]
    return batch


def _enqueue(batch_id: int) -> None:
    from ..tasks_batches import certificate_batch_build_task

    certificate_batch_build_task.delay(batch_id)


_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def batch_member_name(certificate: Certificate) -> str:
    """``<serial>-<holder name>.pdf``, with characters no file system accepts removed."""
    name = _UNSAFE.sub("", certificate.holder_name).strip(" .") or str(certificate.user_id)
    return f"{certificate.serial}-{name}.pdf"


def _manifest_row(certificate: Certificate) -> list[Any]:
    unit = certificate.user.unit
    return [
        escape_cell(value)
        for value in (
            certificate.serial or "",
            certificate.holder_name,
            unit.name if unit is not None else "",
            certificate.achievement_title,
            certificate.achieved_on.isoformat(),
            certificate.sha256,
        )
    ]


def batch_build(*, batch_id: int) -> CertificateBatch | None:
    """Build a pending batch's ZIP. Safe to run twice: only the run that moves the row from
    pending to running builds; another returns the row untouched. A failure marks the row
    failed with the error (not raised). Returns the row, or ``None`` if it is gone."""
    claimed = CertificateBatch.objects.filter(pk=batch_id, status=BatchStatus.PENDING).update(
        status=BatchStatus.RUNNING, started_at=timezone.now(), done=0, error=""
    )
    batch = CertificateBatch.objects.filter(pk=batch_id).first()
    if not claimed or batch is None:
        return batch
    mine = CertificateBatch.objects.filter(pk=batch_id, status=BatchStatus.RUNNING)
    try:
        certificates = list(
            batch_certificates(
                kind=batch.kind, source_id=batch.source_id, scope_paths=list(batch.scope_paths)
            )
        )
        total = len(certificates)
        mine.update(total=total)
        manifest = io.StringIO()
        writer = csv.writer(manifest)
        writer.writerow(MANIFEST_HEADER)
        done = 0
        with tempfile.TemporaryFile() as spool:
            with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
                used: set[str] = set()
                for certificate in certificates:
                    member = batch_member_name(certificate)
                    if member in used:  # two holders of one name and serial cannot happen
                        member = f"{certificate.serial}-{certificate.pk}.pdf"
                    used.add(member)
                    try:
                        with certificate.file.open("rb") as pdf:
                            archive.writestr(member, pdf.read())
                    except (FileNotFoundError, OSError, ValueError):
                        logger.warning(
                            "Batch %s: the PDF of certificate %s is missing",
                            batch_id,
                            certificate.pk,
                        )
                        continue
                    writer.writerow(_manifest_row(certificate))
                    done += 1
                    if done % PROGRESS_EVERY == 0:
                        mine.update(done=done)
                archive.writestr(
                    "manifest.csv",
                    "\ufeff" + manifest.getvalue(),
                    compress_type=zipfile.ZIP_DEFLATED,
                )
            spool.seek(0)
            name = _batch_store(batch, spool)
        finished = mine.update(
            status=BatchStatus.DONE,
            done=done,
            total=total,
            file=name,
            finished_at=timezone.now(),
        )
        if not finished and not CertificateBatch.objects.filter(pk=batch_id).exists():
            batch.file.storage.delete(name)
            return None
    except Exception as exc:
        logger.exception("Certificate batch %s failed", batch_id)
        mine.update(
            status=BatchStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
    batch.refresh_from_db()
    return batch


def _batch_store(batch: CertificateBatch, spool: Any) -> str:
    """Write the ZIP under its deterministic name, replacing what is there."""
    storage = batch.file.storage
    name = batch_upload_to(batch, "")
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, File(spool, name=name))
    if saved != name:
        storage.delete(saved)
        raise RuntimeError(f"Could not write {name}")
    return name


def batches_requeue_stuck(*, now: datetime.datetime | None = None) -> list[int]:
    """Batches that can no longer be running made runnable again; returns the ids to
    enqueue. Pending ones older than ``BATCH_PENDING_STALE`` lost their message; running
    ones past ``BATCH_RUNNING_STALE`` lost their worker (back to pending); any requested
    more than ``BATCH_GIVE_UP`` ago is marked failed."""
    now = now or timezone.now()
    unfinished = CertificateBatch.objects.filter(
        status__in=[BatchStatus.PENDING, BatchStatus.RUNNING]
    )
    unfinished.filter(created_at__lt=now - BATCH_GIVE_UP).update(
        status=BatchStatus.FAILED,
        error=_("The ZIP was not finished; ask for it again."),
        finished_at=now,
    )
    CertificateBatch.objects.filter(
        status=BatchStatus.RUNNING, started_at__lt=now - BATCH_RUNNING_STALE
    ).update(status=BatchStatus.PENDING, done=0)
    return list(
        CertificateBatch.objects.filter(
            status=BatchStatus.PENDING, created_at__lt=now - BATCH_PENDING_STALE
        ).values_list("pk", flat=True)
    )
