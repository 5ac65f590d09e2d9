"""People pages for unit admins and discipline officers, always limited to their scope."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView, View

from qinglian.exports import stream_csv

from .access import RoleRequiredMixin
from .forms import PersonFilterForm
from .models import Role, User
from .selectors import (
    person_can_change,
    person_list_filter,
    person_list_visible,
    user_has_role,
)

PEOPLE_ROLES = (Role.UNIT_ADMIN, Role.DISCIPLINE_OFFICER)


class PeopleAccessMixin(RoleRequiredMixin):
    access_roles = PEOPLE_ROLES


class FilteredPeopleMixin(PeopleAccessMixin):
    request: HttpRequest

    def get_filter_form(self) -> PersonFilterForm:
        if not hasattr(self, "_filter_form"):
            self._filter_form = PersonFilterForm(self.request.GET or None, viewer=self.request.user)
        return self._filter_form

    def get_filtered_people(self) -> QuerySet[User]:
        form = self.get_filter_form()
        data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
        return person_list_filter(
            viewer=self.request.user,
            unit=data.get("unit"),
            rank_level=data.get("rank_level"),
            q=data.get("q", ""),
        )


class PersonListView(FilteredPeopleMixin, ListView):
    template_name = "people/person_list.html"
    context_object_name = "people"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[User]:
        return self.get_filtered_people()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.get_filter_form()
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        context["can_import"] = user_has_role(user=self.request.user, roles=[Role.UNIT_ADMIN])
        return context


class PersonDetailView(PeopleAccessMixin, DetailView):
    """A guessed id outside the viewer's scope is a 404, the same as one that does not exist."""

    template_name = "people/person_detail.html"
    context_object_name = "person"

    def get_queryset(self) -> QuerySet[User]:
        return person_list_visible(viewer=self.request.user).prefetch_related(
            "role_assignments__unit"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_change"] = person_can_change(viewer=self.request.user, person=self.object)
        return context


class PersonExportView(FilteredPeopleMixin, View):
    """CSV of the filtered list, streamed; only people in the viewer's scope."""

    def get(self, request: HttpRequest) -> StreamingHttpResponse:
        people = self.get_filtered_people().values_list(
            "employee_number",
            "full_name",
            "email",
            "unit__code",
            "unit__name",
            "position_title",
            "rank_level__name",
            "is_active",
        )
        header = [
            _("Employee number"),
            _("Full name"),
            _("E-mail"),
            _("Unit code"),
            _("Unit"),
            _("Position"),
            _("Rank level"),
            _("Active"),
        ]
        yes, no = _("Yes"), _("No")
        rows = ((*row[:7], yes if row[7] else no) for row in people.iterator(chunk_size=2000))
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return stream_csv(filename=f"people-{stamp}.csv", header=header, rows=rows)
