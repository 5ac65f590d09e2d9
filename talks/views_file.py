"""The clean-government file (廉政档案): the official's own, and an official's file for the
discipline officers covering them; as a page and as a PDF.

Anyone else asking for someone's file gets a 404 (superusers and unit admins included)
and a ``denied`` audit row (who asked for which person's file; no read row). Each read
writes an audit row naming the talk records it showed, in the same transaction as the
read: if the row cannot be written, nothing is shown. Never cached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from audit.models import AuditAction
from audit.services import audit_denied, audit_record
from people.access import ROLE_IN_SCOPE, login_required
from people.models import Role, User

from .models import StepKind
from .pdf import file_pdf, pdf_filename
from .selectors.file import IntegrityFile, file_build, file_person_for_viewer

FILE_TYPE = "talks.integrityfile"


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _scoped(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in; the view itself limits the file to discipline officers covering the
    person (404 for everyone else, so no role check up front gives anything away)."""
    wrapped: Any = login_required(view)
    wrapped.access_rule = ROLE_IN_SCOPE
    wrapped.access_roles = (Role.DISCIPLINE_OFFICER,)
    return wrapped  # type: ignore[no-any-return]


def _read_file(request: HttpRequest, person: User, fmt: str) -> IntegrityFile:
    """Gather the file and write its audit row in one transaction."""
    viewer = _viewer(request)
    with transaction.atomic():
        file = file_build(viewer=viewer, person=person)
        audit_record(
            action=AuditAction.READ,
            request=request,
            object_type=FILE_TYPE,
            object_id=person.pk,
            subject=person,
            detail={"format": fmt, "talks": [talk.pk for talk in file.talks]},
        )
    return file


def _person(request: HttpRequest, person_id: int, fmt: str) -> User:
    """The person whose file the viewer may open; otherwise a ``denied`` row and 404."""
    person = file_person_for_viewer(viewer=_viewer(request), person_id=person_id)
    if person is None:
        audit_denied(
            request=request,
            object_type=FILE_TYPE,
            object_id=person_id,
            detail={"format": fmt},
        )
        raise Http404
    return person


def _page(request: HttpRequest, file: IntegrityFile) -> HttpResponse:
    return render(request, "talks/file_detail.html", {"file": file, "StepKind": StepKind})


def _pdf(file: IntegrityFile) -> HttpResponse:
    rendered = file_pdf(file=file)
    response = HttpResponse(rendered.data, content_type="application/pdf")
    name = pdf_filename("integrity-file", file.person.pk)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@never_cache
@login_required
def my_file(request: HttpRequest) -> HttpResponse:
    viewer = User.objects.select_related("unit", "rank_level").get(pk=_viewer(request).pk)
    return _page(request, _read_file(request, viewer, "html"))


@never_cache
@login_required
def my_file_pdf(request: HttpRequest) -> HttpResponse:
    viewer = User.objects.select_related("unit", "rank_level").get(pk=_viewer(request).pk)
    return _pdf(_read_file(request, viewer, "pdf"))


@never_cache
@_scoped
def person_file(request: HttpRequest, person_id: int) -> HttpResponse:
    person = _person(request, person_id, "html")
    if person.pk == _viewer(request).pk:
        return redirect("integrity_file:mine")
    return _page(request, _read_file(request, person, "html"))


@never_cache
@_scoped
def person_file_pdf(request: HttpRequest, person_id: int) -> HttpResponse:
    person = _person(request, person_id, "pdf")
    if person.pk == _viewer(request).pk:
        return redirect("integrity_file:mine_pdf")
    return _pdf(_read_file(request, person, "pdf"))
