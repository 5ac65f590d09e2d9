"""Talk records (谈话记录): the list, scheduling, the full record and its follow-up for
discipline officers and talkers, and the official's own limited view.

Who sees what is decided in ``talks.selectors.records`` only; a talk the viewer may not
see (or that does not exist) is a 404 with a ``denied`` audit row. Every read and write is
audited in its own transaction by ``talks.services.records``. Nothing here is cached.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from people.access import LoginRequiredMixin, RoleRequiredMixin
from people.models import Role, User

from .forms_records import (
    StatementForm,
    TalkCancelForm,
    TalkCloseForm,
    TalkFilterForm,
    TalkFollowUpForm,
    TalkRecordForm,
    TalkRescheduleForm,
    TalkScheduleForm,
)
from .models import TalkRecord, TalkStatus
from .selectors.records import (
    FULL,
    OFFICIAL,
    official_may_see_summary,
    talk_get_for_viewer,
    talk_is_own,
    talk_list_filtered,
    talk_list_for_official,
    talk_list_visible,
)
from .selectors.scope import is_discipline_officer
from .services.records import (
    talk_cancel,
    talk_close,
    talk_denied,
    talk_follow_up,
    talk_list_read,
    talk_read,
    talk_record,
    talk_reschedule,
    talk_schedule,
    talk_statement_save,
)

PAGE_SIZE = 50


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _add_service_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _query_string(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _check_need(request: HttpRequest, pk: int, view: str, need: str) -> tuple[TalkRecord, str]:
    """Load the talk with its read audited, only when the viewer has ``need`` access;
    otherwise a ``denied`` row and 404 (no read row)."""
    found = talk_read(viewer=_viewer(request), pk=pk, request=request, need=need, view=view)  # type: ignore[arg-type]
    if found is None:
        raise Http404
    return found


def _check_write(request: HttpRequest, pk: int, view: str, need: str) -> TalkRecord:
    """The talk for a write (POST), without a read row; 404 and ``denied`` if refused."""
    found = talk_get_for_viewer(viewer=_viewer(request), pk=pk)
    if found is None or found[1] != need:
        talk_denied(request=request, pk=pk, detail={"view": view})
        raise Http404
    return found[0]


# --- The list ------------------------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class TalkListView(LoginRequiredMixin, View):
    """Discipline officers (their subtrees) and talkers or recorders (their talks)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        viewer = _viewer(request)
        officer = is_discipline_officer(viewer=viewer)
        if not officer and not talk_list_visible(viewer=viewer).exists():
            talk_denied(request=request, pk="", detail={"view": "list"})
            raise Http404
        form = TalkFilterForm(request.GET or None, viewer=viewer)
        qs = talk_list_filtered(viewer=viewer, **form.filters())
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        talks = talk_list_read(viewer=viewer, talks=page.object_list, request=request)
        return TemplateResponse(
            request,
            "talks/record_list.html",
            {
                "talks": talks,
                "page_obj": page,
                "paginator": page.paginator,
                "is_paginated": page.has_other_pages(),
                "filter_form": form,
                "query_string": _query_string(request),
                "can_schedule": officer,
            },
        )


# --- Scheduling ----------------------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class TalkScheduleView(RoleRequiredMixin, View):
    access_roles = (Role.DISCIPLINE_OFFICER,)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Superusers pass the role check but hold no discipline scope: nothing here for them.
        if request.user.is_authenticated and not is_discipline_officer(viewer=request.user):
            talk_denied(request=request, pk="", detail={"view": "schedule"})
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def render(self, request: HttpRequest, form: TalkScheduleForm) -> HttpResponse:
        return TemplateResponse(request, "talks/record_schedule.html", {"form": form})

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, TalkScheduleForm(viewer=_viewer(request)))

    def post(self, request: HttpRequest) -> HttpResponse:
        viewer = _viewer(request)
        form = TalkScheduleForm(request.POST, viewer=viewer)
        if not form.is_valid():
            return self.render(request, form)
        data = form.cleaned_data
        try:
            talk = talk_schedule(
                by=viewer,
                kind=data["kind"],
                official=data["official"],
                talkers=data.get("talkers") or [],
                scheduled_at=data.get("scheduled_at"),
                place=data.get("place") or "",
                outline=data.get("outline") or "",
                appointment=data.get("appointment"),
                request=request,
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
            return self.render(request, form)
        if getattr(talk, "reused", False):
            messages.info(request, _("This talk was already scheduled: here it is."))
        else:
            messages.success(
                request,
                _("The talk is scheduled and the official has been told the time and place."),
            )
        return redirect("talk_records:detail", pk=talk.pk)


# --- Full detail and the follow-up forms ----------------------------------------------


@method_decorator(never_cache, name="dispatch")
class TalkDetailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        viewer = _viewer(request)
        if talk_is_own(viewer=viewer, pk=pk):
            return redirect("talk_records:mine_detail", pk=pk)
        talk, _access = _check_need(request, pk, "detail", FULL)
        return TemplateResponse(
            request,
            "talks/record_detail.html",
            {
                "talk": talk,
                "talkers": list(talk.talkers.all()),
                "follow_up_course": talk.follow_up_course,
                "can_record": talk.status not in (TalkStatus.CLOSED, TalkStatus.CANCELLED),
                "can_reschedule": talk.status == TalkStatus.SCHEDULED,
                "can_follow_up": talk.status == TalkStatus.RECORDED,
                "can_close": talk.status == TalkStatus.RECORDED,
            },
        )


class _TalkFormView(LoginRequiredMixin, View):
    """GET shows the form (the read audited); POST calls the service (the write audited)."""

    template_name = ""
    view_name = ""
    success_message = ""

    def form(self, request: HttpRequest, talk: TalkRecord, data: Any = None) -> Any:
        raise NotImplementedError

    def save(self, request: HttpRequest, talk: TalkRecord, form: Any) -> TalkRecord | None:
        raise NotImplementedError

    def saved(self, request: HttpRequest, result: TalkRecord | None) -> None:
        """Say what happened (``result`` is what ``save`` returned)."""
        messages.success(request, self.success_message)

    def context(self, talk: TalkRecord) -> dict[str, Any]:
        return {}

    def render(self, request: HttpRequest, talk: TalkRecord, form: Any) -> HttpResponse:
        return TemplateResponse(
            request, self.template_name, {"talk": talk, "form": form, **self.context(talk)}
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        talk, _access = _check_need(request, pk, self.view_name, FULL)
        return self.render(request, talk, self.form(request, talk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        talk = _check_write(request, pk, self.view_name, FULL)
        form = self.form(request, talk, request.POST)
        if form.is_valid():
            try:
                result = self.save(request, talk, form)
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                self.saved(request, result)
                return redirect("talk_records:detail", pk=talk.pk)
        return self.render(request, talk, form)


@method_decorator(never_cache, name="dispatch")
class TalkRescheduleView(_TalkFormView):
    """A new time, place or talkers for a scheduled talk (POST changes it; the official
    is told the new time and place)."""

    template_name = "talks/record_reschedule.html"
    view_name = "reschedule"

    def form(self, request: HttpRequest, talk: TalkRecord, data: Any = None) -> TalkRescheduleForm:
        return TalkRescheduleForm(
            data,
            viewer=_viewer(request),
            talk=talk,
            talker_ids=list(talk.talkers.values_list("pk", flat=True)),
        )

    def context(self, talk: TalkRecord) -> dict[str, Any]:
        return {"can_change": talk.status == TalkStatus.SCHEDULED}

    def save(self, request: HttpRequest, talk: TalkRecord, form: Any) -> TalkRecord:
        data = form.cleaned_data
        return talk_reschedule(
            by=_viewer(request),
            talk=talk,
            scheduled_at=data.get("scheduled_at"),
            place=data.get("place") or "",
            talkers=data.get("talkers"),
            reason=data.get("reason") or "",
            seen_version=data.get("version"),
            request=request,
        )

    def saved(self, request: HttpRequest, result: TalkRecord | None) -> None:
        if getattr(result, "reused", False):
            messages.info(request, _("This change was already saved: here is the talk."))
        else:
            messages.success(
                request,
                _("The talk is rescheduled and the official has been told the new time and place."),
            )


@method_decorator(never_cache, name="dispatch")
class TalkCancelView(_TalkFormView):
    """Cancel a scheduled talk with a reason (POST; the official is told)."""

    template_name = "talks/record_cancel.html"
    view_name = "cancel"

    def form(self, request: HttpRequest, talk: TalkRecord, data: Any = None) -> TalkCancelForm:
        return TalkCancelForm(data)

    def context(self, talk: TalkRecord) -> dict[str, Any]:
        return {"can_change": talk.status == TalkStatus.SCHEDULED}

    def save(self, request: HttpRequest, talk: TalkRecord, form: Any) -> TalkRecord:
        return talk_cancel(
            by=_viewer(request),
            talk=talk,
            reason=form.cleaned_data.get("reason") or "",
            request=request,
        )

    def saved(self, request: HttpRequest, result: TalkRecord | None) -> None:
        if getattr(result, "reused", False):
            messages.info(request, _("This talk was already cancelled."))
        else:
            messages.success(request, _("The talk is cancelled and the official has been told."))


@method_decorator(never_cache, name="dispatch")
class TalkRecordView(_TalkFormView):
    template_name = "talks/record_record.html"
    view_name = "record"

    @property
    def success_message(self) -> str:  # type: ignore[override]
        return _("The record of the talk is saved.")

    def form(self, request: HttpRequest, talk: TalkRecord, data: Any = None) -> TalkRecordForm:
        return TalkRecordForm(data, viewer=_viewer(request), talk=talk)

    def save(self, request: HttpRequest, talk: TalkRecord, form: Any) -> None:
        data = form.cleaned_data
        talk_record(
            by=_viewer(request),
            talk=talk,
            held_at=data.get("held_at"),
            content=data.get("content") or "",
            summary=data.get("summary") or "",
            official_statement=data.get("official_statement") or "",
            recorder=data.get("recorder"),
            request=request,
        )


@method_decorator(never_cache, name="dispatch")
class TalkFollowUpView(_TalkFormView):
    template_name = "talks/record_follow_up.html"
    view_name = "follow-up"

    @property
    def success_message(self) -> str:  # type: ignore[override]
        return _("The follow-up is saved.")

    def form(self, request: HttpRequest, talk: TalkRecord, data: Any = None) -> TalkFollowUpForm:
        return TalkFollowUpForm(data, talk=talk)

    def save(self, request: HttpRequest, talk: TalkRecord, form: Any) -> None:
        talk_follow_up(
            by=_viewer(request),
            talk=talk,
            course=form.cleaned_data.get("course"),
            follow_up_date=form.cleaned_data.get("follow_up_date"),
            request=request,
        )


@method_decorator(never_cache, name="dispatch")
class TalkCloseView(_TalkFormView):
    template_name = "talks/record_close.html"
    view_name = "close"

    @property
    def success_message(self) -> str:  # type: ignore[override]
        return _("The talk is closed.")

    def form(self, request: HttpRequest, talk: TalkRecord, data: Any = None) -> TalkCloseForm:
        return TalkCloseForm(data)

    def save(self, request: HttpRequest, talk: TalkRecord, form: Any) -> None:
        talk_close(
            by=_viewer(request),
            talk=talk,
            note=form.cleaned_data.get("closure_note") or "",
            request=request,
        )


# --- The official's own view ---------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class MyTalkListView(LoginRequiredMixin, View):
    """The talks held with the logged-in person: kind, time, place and status only."""

    def get(self, request: HttpRequest) -> HttpResponse:
        viewer = _viewer(request)
        qs = talk_list_for_official(official=viewer).order_by("-scheduled_at", "-pk")
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        talks = talk_list_read(viewer=viewer, talks=page.object_list, request=request, view="mine")
        return TemplateResponse(
            request,
            "talks/record_mine_list.html",
            {
                "talks": talks,
                "page_obj": page,
                "paginator": page.paginator,
                "is_paginated": page.has_other_pages(),
            },
        )


@method_decorator(never_cache, name="dispatch")
class MyTalkDetailView(LoginRequiredMixin, View):
    """One talk as the official sees it; for a pre-appointment talk the summary and their
    own statement, which they may add or change until the talk is closed."""

    def render(self, request: HttpRequest, talk: TalkRecord, form: Any) -> HttpResponse:
        return TemplateResponse(
            request,
            "talks/record_mine_detail.html",
            {
                "talk": talk,
                "show_summary": official_may_see_summary(talk=talk),
                "form": form,
            },
        )

    def _form(self, talk: TalkRecord, data: Any = None) -> StatementForm | None:
        if not official_may_see_summary(talk=talk) or talk.status in (
            TalkStatus.CLOSED,
            TalkStatus.CANCELLED,
        ):
            return None
        return StatementForm(data, initial={"statement": talk.official_statement})

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        talk, _access = _check_need(request, pk, "mine", OFFICIAL)
        return self.render(request, _limited(talk), self._form(talk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        talk = _check_write(request, pk, "statement", OFFICIAL)
        form = StatementForm(request.POST)
        if form.is_valid():
            try:
                talk = talk_statement_save(
                    official=_viewer(request),
                    talk=talk,
                    statement=form.cleaned_data.get("statement") or "",
                    request=request,
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    _add_service_errors(form, exc)
                else:
                    messages.error(request, " ".join(exc.messages))
                    return self.render(request, _limited(talk), self._form(talk))
            else:
                messages.success(request, _("Your statement is saved."))
                return redirect("talk_records:mine_detail", pk=talk.pk)
        return self.render(request, _limited(talk), form)


def _limited(talk: TalkRecord) -> TalkRecord:
    """A copy of ``talk`` holding only what the official may see (the template cannot
    show what is not there)."""
    show = official_may_see_summary(talk=talk)
    return TalkRecord(
        pk=talk.pk,
        kind=talk.kind,
        official_id=talk.official_id,
        unit_id=talk.unit_id,
        status=talk.status,
        scheduled_at=talk.scheduled_at,
        place=talk.place,
        held_at=talk.held_at,
        closed_at=talk.closed_at,
        summary=talk.summary if show else "",
        official_statement=talk.official_statement if show else "",
    )
