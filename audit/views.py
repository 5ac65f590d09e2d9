"""The audit log browser (``/audit/``) for discipline officers and auditors, its CSV
export, and the project's 403 handler, which records every refusal.

Reading the log is itself audited: each page view writes a ``read`` row and each export an
``export`` row (record type ``audit.auditentry``, the filters in ``detail``), in the same
transaction as the read.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.generic import ListView, View

from people.access import RoleRequiredMixin
from qinglian.exports import stream_csv

from .forms import AuditFilterForm
from .models import AuditAction, AuditEntry
from .selectors import AUDIT_READ_ROLES, audit_can_browse, audit_entry_list
from .services import audit_record

logger = logging.getLogger(__name__)

PAGE_SIZE = 50


@method_decorator(never_cache, name="dispatch")
class AuditAccessMixin(RoleRequiredMixin):
    """Discipline officers and auditors only; a superuser without either role is refused
    too (403, which writes a ``denied`` row)."""

    access_roles = AUDIT_READ_ROLES
    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not audit_can_browse(viewer=request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_filter_form(self) -> AuditFilterForm:
        if not hasattr(self, "_filter_form"):
            self._filter_form = AuditFilterForm(self.request.GET or None)
        return self._filter_form

    def get_entries(self) -> QuerySet[AuditEntry]:
        return audit_entry_list(viewer=self.request.user, filters=self.get_filter_form().filters())


class AuditLogView(AuditAccessMixin, ListView):
    template_name = "audit/auditentry_list.html"
    context_object_name = "entries"
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> QuerySet[AuditEntry]:
        return self.get_entries()

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The page is rendered and its read recorded in one transaction: no row, no page.
        with transaction.atomic():
            response = super().get(request, *args, **kwargs)
            response.render()  # type: ignore[attr-defined]
            page = response.context_data["page_obj"]  # type: ignore[attr-defined]
            audit_record(
                action=AuditAction.READ,
                request=request,
                object_type="audit.auditentry",
                detail={"filters": self.get_filter_form().as_detail(), "page": page.number},
            )
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["filter_form"] = self.get_filter_form()
        context["query_string"] = query.urlencode()
        for entry in context["entries"]:
            entry.detail_text = (
                json.dumps(entry.detail, ensure_ascii=False, sort_keys=True) if entry.detail else ""
            )
        return context


def _stamp(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


class AuditExportView(AuditAccessMixin, View):
    """The filtered rows as a streamed CSV (cells that look like formulas escaped)."""

    http_method_names = ["get"]

    def header(self) -> list[str]:
        return [
            _("Entry"),
            _("Time"),
            _("Who"),
            _("Action"),
            _("Record type"),
            _("Record id"),
            _("Whose record"),
            _("Unit path of the record"),
            _("IP address"),
            _("Address"),
            _("Detail"),
            _("Hash"),
        ]

    def rows(self, entries: QuerySet[AuditEntry]) -> Iterator[list[Any]]:
        labels = dict(AuditAction.choices)
        values = entries.values_list(
            "id",
            "at",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "subject__full_name",
            "subject_unit_path",
            "ip_address",
            "path",
            "detail",
            "entry_hash",
        )
        for row in values.iterator(chunk_size=2000):
            pk, at, who, action, otype, oid, subject, upath, ip, path, detail, digest = row
            yield [
                pk,
                _stamp(at),
                who,
                str(labels.get(action, action)),
                otype,
                oid,
                subject or "",
                upath,
                ip or "",
                path,
                json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else "",
                digest,
            ]

    def get(self, request: HttpRequest) -> StreamingHttpResponse:
        form = self.get_filter_form()
        entries = self.get_entries()
        # The export row is committed before the first byte goes out.
        audit_record(
            action=AuditAction.EXPORT,
            request=request,
            object_type="audit.auditentry",
            detail={"filters": form.as_detail(), "format": "csv"},
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return stream_csv(
            filename=f"audit-log-{stamp}.csv", header=self.header(), rows=self.rows(entries)
        )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler403``: record the refusal (a ``denied`` row: who, which address), then the
    usual 403 page. A failure to write the row is logged but does not turn the refusal
    into a server error: nothing is disclosed by a refusal."""
    reason = str(exception or "")[:200]
    try:
        audit_record(
            action=AuditAction.DENIED,
            request=request,
            detail={"reason": reason} if reason else None,
        )
    except Exception:
        logger.exception("could not record a refused request in the audit log")
    return defaults.permission_denied(request, exception or PermissionDenied())
