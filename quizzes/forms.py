"""Admin forms for the question bank and quizzes.

The rules live in :mod:`quizzes.validation`; these forms collect the values (including
the inline option and section formsets) and show the problems next to the fields, plus a
summary in the page's error message.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.forms.models import WagtailAdminModelFormMetaclass

from cases.models import Article

from .models import QuestionCategory
from .validation import question_shape_errors, quiz_window_errors, section_errors


def category_full_names() -> dict[int, str]:
    """``{id: "parent/child"}`` for every category, from one query."""
    rows = list(QuestionCategory.objects.order_by("path").values_list("id", "path", "name"))
    by_path: dict[str, str] = {}
    names: dict[int, str] = {}
    for pk, path, name in rows:
        steplen = QuestionCategory.steplen
        parent = by_path.get(path[:-steplen]) if len(path) > steplen else None
        full = f"{parent}/{name}" if parent else name
        by_path[path] = full
        names[pk] = full
    return names


class CategoryChoiceField(forms.ModelChoiceField):
    """A category select in tree order, each labelled with its full path. The labels come
    from one query, not one per category."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", QuestionCategory.objects.order_by("path"))
        super().__init__(**kwargs)
        self._names: dict[int, str] | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        result = super().__deepcopy__(memo)  # type: ignore[misc]
        result._names = None
        return result

    def label_from_instance(self, obj: QuestionCategory) -> str:
        if self._names is None:
            self._names = category_full_names()
        return self._names.get(obj.pk) or obj.name


def _live_forms(formset: Any) -> list[Any]:
    """The child forms that will be saved: validated, not deleted, not empty extras."""
    if formset is None:
        return []
    formset.is_valid()  # cleans every child form once (cached)
    live = []
    for form in formset.forms:
        if formset.can_delete and formset._should_delete_form(form):
            continue
        if not getattr(form, "cleaned_data", None):
            continue
        live.append(form)
    return live


def _add_errors(form: forms.Form, errors: dict[str | None, list[str]]) -> None:
    for field, messages in errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


# --- Categories --------------------------------------------------------------------------


class QuestionCategoryForm(WagtailAdminModelForm):
    """Name and description, plus the parent category: the tree is kept by treebeard, so
    a new category is added under its parent and a changed parent moves it."""

    parent = CategoryChoiceField(
        label=gettext_lazy("Parent category"),
        required=False,
        empty_label=gettext_lazy("(top level)"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance.pk:
            self.fields["parent"].queryset = QuestionCategory.objects.exclude(
                path__startswith=instance.path
            ).order_by("path")
            if instance.depth > 1:
                self.fields["parent"].initial = instance.get_parent()

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if "/" in name:
            raise forms.ValidationError(_("A category name cannot contain “/”."))
        return name

    def save(self, commit: bool = True) -> QuestionCategory:
        instance: QuestionCategory = super().save(commit=False)
        parent: QuestionCategory | None = self.cleaned_data.get("parent")
        if not commit:
            return instance
        if instance.pk is None:
            if parent is None:
                return QuestionCategory.add_root(instance=instance)
            parent.refresh_from_db()
            return parent.add_child(instance=instance)
        instance.save()
        current = instance.get_parent() if instance.depth > 1 else None
        if (current.pk if current else None) != (parent.pk if parent else None):
            if parent is not None:
                parent.refresh_from_db()
                instance.move(parent, pos="sorted-child")
            else:
                instance.move(QuestionCategory.get_first_root_node(), pos="sorted-sibling")
            instance.refresh_from_db()
        return instance


# --- Questions ---------------------------------------------------------------------------


class QuestionAdminForm(WagtailAdminModelForm):
    category = CategoryChoiceField(label=gettext_lazy("Category"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "articles" in self.fields:
            articles: QuerySet[Article] = Article.objects.select_related("regulation")
            self.fields["articles"].queryset = articles

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        qtype = cleaned.get("qtype")
        if not qtype:
            return cleaned
        option_forms = _live_forms(self.formsets.get("options"))
        options = [
            (str(f.cleaned_data.get("text") or ""), bool(f.cleaned_data.get("is_correct")))
            for f in option_forms
            if (f.cleaned_data.get("text") or "").strip()
        ]
        _add_errors(
            self,
            question_shape_errors(
                qtype=qtype,
                options=options,
                true_false_answer=cleaned.get("true_false_answer"),
            ),
        )
        return cleaned


# --- Quizzes -----------------------------------------------------------------------------


class QuizSectionForm(WagtailAdminModelForm):
    """One section of a quiz (an inline child form)."""

    category = CategoryChoiceField(label=gettext_lazy("Draw from category"), required=False)


class _QuizFormMetaclass(WagtailAdminModelFormMetaclass):
    @classmethod
    def child_form(cls) -> type[WagtailAdminModelForm]:
        return QuizSectionForm


class QuizAdminForm(WagtailAdminModelForm, metaclass=_QuizFormMetaclass):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        _add_errors(
            self,
            quiz_window_errors(
                opens_at=cleaned.get("opens_at"), closes_at=cleaned.get("closes_at")
            ),
        )
        for number, form in enumerate(_live_forms(self.formsets.get("sections")), start=1):
            data = form.cleaned_data
            fixed = data.get("fixed_questions")
            errors = section_errors(
                category=data.get("category"),
                include_subcategories=bool(data.get("include_subcategories")),
                draw_count=data.get("draw_count") or 0,
                fixed_question_ids=[q.pk for q in fixed] if fixed is not None else [],
            )
            _add_errors(form, errors)
            title = data.get("title") or _("Section %(number)s") % {"number": number}
            for messages in errors.values():
                for message in messages:
                    self.add_error(None, f"{title}: {message}")
        return cleaned

    def save(self, commit: bool = True) -> Any:
        """``QuizSection`` is not a ``ClusterableModel``, so saving the quiz commits the
        sections but not their ``fixed_questions`` (a ParentalManyToManyField): commit
        them here once the sections exist."""
        instance = super().save(commit=commit)
        if commit:
            for form in _live_forms(self.formsets.get("sections")):
                if "fixed_questions" not in form.cleaned_data or form.instance.pk is None:
                    continue
                manager = form.instance.fixed_questions
                manager.set(list(form.cleaned_data["fixed_questions"]))
                if hasattr(manager, "commit"):
                    manager.commit()
        return instance


class QuizOverrideForm(WagtailAdminModelForm):
    """The person list is limited to the viewer's scope by the view (``restrict_to``)."""

    def restrict_to(self, people: QuerySet[Any]) -> None:
        if "user" in self.fields:
            self.fields["user"].queryset = people
