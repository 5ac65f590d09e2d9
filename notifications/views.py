"""A person's own notifications: the list, mark one read (then follow its link), mark all."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from people.access import login_required
from qinglian.http import url_in_language

from .selectors import notification_get, notification_list
from .services import notification_mark_all_read, notification_mark_read

PAGE_SIZE = 20


@login_required
def notification_list_view(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(notification_list(user=request.user), PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/notification_list.html",
        {
            "notifications": page_obj.object_list,
            "page_obj": page_obj,
            "paginator": paginator,
            "is_paginated": page_obj.has_other_pages(),
        },
    )


@login_required
@require_POST
def notification_read_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the viewer's notification read and go to its link. Someone else's id is a 404."""
    notification = notification_get(user=request.user, pk=pk)
    if notification is None:
        raise Http404(_("No such notification."))
    notification_mark_read(notification=notification)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        # The page in the language the reader is using now.
        return HttpResponseRedirect(url_in_language(target, translation.get_language()))
    return redirect(reverse("notifications:list"))


@login_required
@require_POST
def notification_read_all_view(request: HttpRequest) -> HttpResponse:
    notification_mark_all_read(user=request.user)
    return redirect(reverse("notifications:list"))
