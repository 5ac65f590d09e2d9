"""Wagtail admin for the question bank and quizzes (registered in ``wagtail_hooks``).

Trainers (the "Trainers" group, see :mod:`quizzes.permissions`) and superusers manage
categories, questions, quizzes and per-person overrides. Every view subclassed here
declares the trainer role and checks it on top of Wagtail's model permissions.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column, TitleColumn
from wagtail.admin.widgets.button import Button, HeaderButton
from wagtail.admin.widgets.button import MenuItem as ListMenuItem
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from people.access import ROLE_IN_SCOPE
from people.models import Role
from people.selectors import person_list_visible, user_has_role

from .forms import (
    CategoryChoiceField,
    QuestionAdminForm,
    QuestionCategoryForm,
    QuizAdminForm,
    QuizOverrideForm,
    category_full_names,
)
from .models import (
    AttemptSlot,
    Difficulty,
    Question,
    QuestionCategory,
    QuestionType,
    Quiz,
    QuizOverride,
)

TRAINER_ROLES: tuple[str, ...] = (Role.TRAINER,)


def _reverse_or_none(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # the import views are not installed (yet)
        return None


class TrainerOnlyMixin:
    """Trainers and superusers; anyone else is refused (Wagtail shows the admin home with
    a "no permission" message)."""

    access_rule = ROLE_IN_SCOPE
    access_roles: tuple[str, ...] = TRAINER_ROLES

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not user_has_role(user=request.user, roles=self.access_roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class RefuseDeleteMixin(TrainerOnlyMixin):
    """A delete view that refuses, with a message, while ``delete_refusal()`` says why."""

    object: Any
    request: HttpRequest

    def delete_refusal(self) -> str | None:
        return None

    def form_valid(self, form: Any) -> HttpResponse:
        reason = self.delete_refusal()
        if reason:
            messages.error(self.request, reason)
            return HttpResponseRedirect(self.get_success_url())  # type: ignore[attr-defined]
        return super().form_valid(form)  # type: ignore[misc]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        reason = self.delete_refusal()
        if reason:
            context["is_protected"] = True
            messages.warning(self.request, reason)
        return context


# --- Categories --------------------------------------------------------------------------


def _indented_name(category: QuestionCategory) -> str:
    """The name, indented by depth (ideographic spaces) under a corner mark."""
    if category.depth <= 1:
        return category.name
    return "\u3000" * (category.depth - 2) + "└ " + category.name


class CategoryIndexView(TrainerOnlyMixin, snippet_views.IndexView):
    """The tree in order, names indented by depth, with question counts."""

    def get_base_queryset(self) -> QuerySet[QuestionCategory]:
        return (
            super()
            .get_base_queryset()
            .annotate(
                question_count=Count("questions", distinct=True),
                active_count=Count("questions", filter=Q(questions__is_active=True), distinct=True),
            )
        )

    @cached_property
    def subtree_counts(self) -> dict[str, int]:
        """``{category path: questions}`` from one query (categories are few)."""
        rows = Question.objects.order_by().values("category__path").annotate(n=Count("id"))
        return {row["category__path"]: row["n"] for row in rows}

    def subtree_total(self, category: QuestionCategory) -> int:
        return sum(n for path, n in self.subtree_counts.items() if path.startswith(category.path))

    @cached_property
    def columns(self) -> list[Any]:
        columns = list(super().columns)  # the bulk-action checkboxes, then the name
        for column in columns:
            if isinstance(column, TitleColumn):
                column.accessor = _indented_name
                column.sort_key = None
        return [
            *columns,
            Column("questions", label=_("Questions"), accessor="question_count"),
            Column("active", label=_("Active questions"), accessor="active_count"),
            Column("subtree", label=_("With subcategories"), accessor=self.subtree_total),
        ]

    def get_list_more_buttons(self, instance: QuestionCategory) -> list[Any]:
        buttons = list(super().get_list_more_buttons(instance))
        if export_url := _reverse_or_none("quizzes_export", instance.pk):
            buttons.append(
                ListMenuItem(_("Export"), url=export_url, icon_name="download", priority=25)
            )
        return buttons


class CategoryDeleteView(RefuseDeleteMixin, snippet_views.DeleteView):
    def delete_refusal(self) -> str | None:
        count = Question.objects.filter(category__path__startswith=self.object.path).count()
        if count:
            return _(
                "This category or one of its subcategories still holds %(n)s questions: "
                "move or delete them first."
            ) % {"n": count}
        return None


class QuestionCategoryViewSet(SnippetViewSet):
    model = QuestionCategory
    icon = "folder-open-1"
    menu_label = gettext_lazy("Question categories")
    menu_order = 10
    index_view_class = CategoryIndexView
    add_view_class = type("CategoryCreateView", (TrainerOnlyMixin, snippet_views.CreateView), {})
    edit_view_class = type("CategoryEditView", (TrainerOnlyMixin, snippet_views.EditView), {})
    delete_view_class = CategoryDeleteView
    ordering = ["path"]
    search_fields = ["name"]
    edit_handler = ObjectList(
        [FieldPanel("name"), FieldPanel("parent"), FieldPanel("info")],
        base_form_class=QuestionCategoryForm,
    )

    list_display = ["name"]


# --- Questions ---------------------------------------------------------------------------


class CategoryFilter(django_filters.ModelChoiceFilter):
    field_class = CategoryChoiceField


class QuestionFilterSet(WagtailFilterSet):
    category = CategoryFilter(
        label=gettext_lazy("Category (with subcategories)"),
        queryset=QuestionCategory.objects.order_by("path"),
        method="filter_category",
    )
    qtype = django_filters.ChoiceFilter(
        label=gettext_lazy("Type"), choices=QuestionType.choices, empty_label=gettext_lazy("All")
    )
    difficulty = django_filters.ChoiceFilter(
        label=gettext_lazy("Difficulty"),
        choices=Difficulty.choices,
        empty_label=gettext_lazy("All"),
    )
    is_active = django_filters.BooleanFilter(label=gettext_lazy("Active"))

    class Meta:
        model = Question
        fields = ["category", "qtype", "difficulty", "is_active"]

    def filter_category(
        self, queryset: QuerySet[Question], name: str, value: QuestionCategory | None
    ) -> QuerySet[Question]:
        if value is None:
            return queryset
        return queryset.filter(category__path__startswith=value.path)


class QuestionIndexView(TrainerOnlyMixin, snippet_views.IndexView):
    def get_base_queryset(self) -> QuerySet[Question]:
        return super().get_base_queryset().select_related("category")

    @cached_property
    def category_names(self) -> dict[int, str]:
        return category_full_names()

    @cached_property
    def columns(self) -> list[Any]:
        columns = list(super().columns)
        for column in columns:
            if column.name == "category":  # full paths from one query, not one per row
                column.accessor = lambda q: self.category_names.get(q.category_id, "")
        return columns

    @cached_property
    def header_buttons(self) -> list[Any]:
        buttons = list(super().header_buttons)
        if import_url := _reverse_or_none("quizzes_import_upload"):
            buttons.append(HeaderButton(_("Import questions"), url=import_url, icon_name="upload"))
        return buttons

    def get_list_more_buttons(self, instance: Question) -> list[Any]:
        buttons = list(super().get_list_more_buttons(instance))
        buttons.append(
            ListMenuItem(
                _("Preview"),
                url=reverse("quizzes_question_preview", args=(instance.pk,)),
                icon_name="view",
                priority=15,
            )
        )
        return buttons


def _version_after_save(question: Question) -> None:
    """Snapshot the saved question: a new version if the latest one has been answered."""
    from .services import question_version_current

    question_version_current(question=question)


class QuestionCreateView(TrainerOnlyMixin, snippet_views.CreateView):
    @transaction.atomic
    def save_instance(self) -> Question:
        self.form.instance.created_by = self.request.user
        instance = super().save_instance()
        _version_after_save(instance)
        return instance


class QuestionEditView(TrainerOnlyMixin, snippet_views.EditView):
    @transaction.atomic
    def save_instance(self) -> Question:
        instance = super().save_instance()
        _version_after_save(instance)
        return instance

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.request.method == "GET" and (
            AttemptSlot.objects.filter(version__question=self.object).exists()
        ):
            messages.info(
                self.request,
                _(
                    "People have answered this question. Saving a change makes a new "
                    "version; past attempts keep the version they saw."
                ),
            )
        return context

    @cached_property
    def header_more_buttons(self) -> list[Any]:
        buttons = list(super().header_more_buttons)
        buttons.append(
            Button(
                _("Preview"),
                url=reverse("quizzes_question_preview", args=(self.object.pk,)),
                icon_name="view",
                priority=5,
            )
        )
        return buttons


class QuestionDeleteView(RefuseDeleteMixin, snippet_views.DeleteView):
    def delete_refusal(self) -> str | None:
        if AttemptSlot.objects.filter(version__question=self.object).exists():
            return _(
                "This question has been drawn in attempts, whose records must stay: "
                "make it inactive instead of deleting it."
            )
        return None


class QuestionViewSet(SnippetViewSet):
    model = Question
    icon = "help"
    menu_label = gettext_lazy("Questions")
    menu_order = 20
    index_view_class = QuestionIndexView
    add_view_class = QuestionCreateView
    edit_view_class = QuestionEditView
    delete_view_class = QuestionDeleteView
    filterset_class = QuestionFilterSet
    search_fields = ["name", "stem"]
    ordering = ["category__path", "id"]
    copy_view_enabled = False

    list_display = [
        "name",
        "qtype",
        "category",
        "difficulty",
        "tags",
        BooleanColumn("is_active", label=gettext_lazy("Active")),
    ]
    edit_handler = ObjectList(Question.panels, base_form_class=QuestionAdminForm)


# --- Quizzes -----------------------------------------------------------------------------


def _window(quiz: Quiz) -> str:
    def fmt(value: Any) -> str:
        return date_format(value, "SHORT_DATETIME_FORMAT") if value else "…"

    if not quiz.opens_at and not quiz.closes_at:
        return _("Always open")
    return f"{fmt(quiz.opens_at)} – {fmt(quiz.closes_at)}"


class QuizIndexView(TrainerOnlyMixin, snippet_views.IndexView):
    def get_base_queryset(self) -> QuerySet[Quiz]:
        return super().get_base_queryset().annotate(attempt_count=Count("attempts"))

    @cached_property
    def columns(self) -> list[Any]:
        columns = []
        for column in super().columns:
            if column.name == "opens_at":  # the window, then the number of attempts
                columns.append(Column("window", label=_("Window"), accessor=_window))
                columns.append(Column("attempts", label=_("Attempts"), accessor="attempt_count"))
            else:
                columns.append(column)
        return columns

    def get_list_more_buttons(self, instance: Quiz) -> list[Any]:
        buttons = list(super().get_list_more_buttons(instance))
        buttons.append(
            ListMenuItem(
                _("Statistics"),
                url=reverse("quizzes_statistics", args=(instance.pk,)),
                icon_name="table",
                priority=15,
            )
        )
        return buttons


class QuizEditView(TrainerOnlyMixin, snippet_views.EditView):
    @cached_property
    def header_more_buttons(self) -> list[Any]:
        buttons = list(super().header_more_buttons)
        buttons.append(
            Button(
                _("Statistics"),
                url=reverse("quizzes_statistics", args=(self.object.pk,)),
                icon_name="table",
                priority=5,
            )
        )
        return buttons


class QuizDeleteView(RefuseDeleteMixin, snippet_views.DeleteView):
    def delete_refusal(self) -> str | None:
        if self.object.attempts.exists():
            return _(
                "People have attempted this quiz, whose records must stay: unpublish it "
                "instead of deleting it."
            )
        return None


class QuizViewSet(SnippetViewSet):
    model = Quiz
    icon = "form"
    menu_label = gettext_lazy("Quizzes")
    menu_order = 30
    index_view_class = QuizIndexView
    add_view_class = type("QuizCreateView", (TrainerOnlyMixin, snippet_views.CreateView), {})
    edit_view_class = QuizEditView
    delete_view_class = QuizDeleteView
    list_filter = ["kind", "is_active"]
    search_fields = ["title", "slug"]
    copy_view_enabled = False

    list_display = [
        "title",
        "kind",
        "opens_at",
        BooleanColumn("is_active", label=gettext_lazy("Published")),
    ]
    edit_handler = ObjectList(Quiz.panels, base_form_class=QuizAdminForm)


# --- Overrides ---------------------------------------------------------------------------


class _OverrideScopeMixin(TrainerOnlyMixin):
    """Overrides name people: a trainer sees and grants them only for people in the units
    where they hold the trainer role (404 for anyone else); superusers for everyone."""

    request: HttpRequest

    def people_in_scope(self) -> QuerySet[Any]:
        return person_list_visible(viewer=self.request.user, roles=TRAINER_ROLES)

    def get_object(self, queryset: Any = None) -> QuizOverride:
        obj = super().get_object(queryset)  # type: ignore[misc]
        if obj is not None and not self.people_in_scope().filter(pk=obj.user_id).exists():
            raise Http404
        return obj

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)  # type: ignore[misc]
        if hasattr(form, "restrict_to"):
            form.restrict_to(self.people_in_scope().order_by("full_name"))
        return form


class OverrideIndexView(_OverrideScopeMixin, snippet_views.IndexView):
    def get_base_queryset(self) -> QuerySet[QuizOverride]:
        return (
            super()
            .get_base_queryset()
            .filter(user__in=self.people_in_scope().values("pk"))
            .select_related("quiz", "user")
        )


class QuizOverrideViewSet(SnippetViewSet):
    model = QuizOverride
    icon = "time"
    menu_label = gettext_lazy("Quiz overrides")
    menu_order = 40
    index_view_class = OverrideIndexView
    add_view_class = type("OverrideCreateView", (_OverrideScopeMixin, snippet_views.CreateView), {})
    edit_view_class = type("OverrideEditView", (_OverrideScopeMixin, snippet_views.EditView), {})
    delete_view_class = type(
        "OverrideDeleteView", (_OverrideScopeMixin, snippet_views.DeleteView), {}
    )
    list_display = ["__str__", "quiz", "user", "extra_minutes", "extra_attempts", "reason"]
    list_filter = ["quiz"]
    search_fields = ["user__full_name", "user__email", "quiz__title", "reason"]
    copy_view_enabled = False
    inspect_view_enabled = False
    edit_handler = ObjectList(
        [
            FieldPanel("quiz"),
            FieldPanel("user"),
            FieldPanel("extra_minutes"),
            FieldPanel("extra_attempts"),
            FieldPanel("reason"),
        ],
        base_form_class=QuizOverrideForm,
    )


class QuizzesGroup(SnippetViewSetGroup):
    menu_label = gettext_lazy("Question bank and quizzes")
    menu_icon = "help"
    menu_order = 240
    items = (QuestionCategoryViewSet, QuestionViewSet, QuizViewSet, QuizOverrideViewSet)
