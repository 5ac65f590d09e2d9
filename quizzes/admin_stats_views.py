"""The trainer's statistics page of a quiz (``/admin/quizzes/<id>/statistics/``) and its
CSV export. The numbers come from :func:`quizzes.statistics.quiz_statistics` (first
submitted attempt per person, Moodle's default); the page reads a fixed number of queries
whatever the number of attempts."""

from __future__ import annotations

from typing import Any, Final

from django.http import HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton

from people.access import RoleRequiredMixin
from people.models import Role
from qinglian.exports import stream_csv

from .models import Quiz
from .statistics import FLAG_NEGATIVE, HistogramBin, QuizStatistics, quiz_statistics

# The SVG chart's coordinate system (it scales with the page through viewBox).
CHART_WIDTH: Final = 400
CHART_HEIGHT: Final = 220
CHART_TOP: Final = 20
CHART_BOTTOM: Final = 30
BAR_GAP: Final = 6


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else number_format(round(value, digits), digits)


def chart_bars(histogram: list[HistogramBin]) -> list[dict[str, Any]]:
    """Bar geometry for the score distribution chart."""
    slot = CHART_WIDTH / max(1, len(histogram))
    plot = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    top = max((b.count for b in histogram), default=0) or 1
    bars = []
    for i, b in enumerate(histogram):
        height = round(b.count / top * plot, 1)
        x = round(i * slot + BAR_GAP / 2, 1)
        bars.append(
            {
                "bin": b,
                "x": x,
                "width": round(slot - BAR_GAP, 1),
                "y": round(CHART_HEIGHT - CHART_BOTTOM - height, 1),
                "height": height,
                "cx": round(x + (slot - BAR_GAP) / 2, 1),
                "label_y": round(CHART_HEIGHT - CHART_BOTTOM - height - 4, 1),
            }
        )
    return bars


class TrainerStatsMixin(RoleRequiredMixin):
    """Trainers and superusers (Wagtail turns the refusal into the admin home + message)."""

    access_roles: tuple[str, ...] = (Role.TRAINER,)
    kwargs: dict[str, Any]

    def get_quiz(self) -> Quiz:
        if not hasattr(self, "_quiz"):
            self._quiz = get_object_or_404(Quiz, pk=self.kwargs["pk"])
        return self._quiz


class QuizStatisticsView(TrainerStatsMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "quizzes/admin/quiz_statistics.html"
    page_title = gettext_lazy("Statistics")
    header_icon = "table"

    def get_page_title(self) -> str:
        return _("Statistics: %(quiz)s") % {"quiz": self.get_quiz().title}

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        quiz = self.get_quiz()
        return [
            *self.breadcrumbs_items,
            {"url": reverse("wagtailsnippets_quizzes_quiz:list"), "label": _("Quizzes")},
            {
                "url": reverse("wagtailsnippets_quizzes_quiz:edit", args=(quiz.pk,)),
                "label": quiz.title,
            },
            {"url": "", "label": _("Statistics")},
        ]

    @property
    def header_buttons(self) -> list[Any]:  # type: ignore[override]
        return [
            HeaderButton(
                _("Download CSV"),
                url=reverse("quizzes_statistics_csv", args=(self.get_quiz().pk,)),
                icon_name="download",
            )
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        stats = quiz_statistics(quiz=self.get_quiz())
        bars = chart_bars(stats.histogram)
        summary = "; ".join(
            _("%(label)s: %(count)s") % {"label": b.label, "count": b.count}
            for b in stats.histogram
        )
        context.update(
            quiz=stats.quiz,
            stats=stats,
            bars=bars,
            chart={
                "width": CHART_WIDTH,
                "height": CHART_HEIGHT,
                "baseline": CHART_HEIGHT - CHART_BOTTOM,
                "axis_label_y": CHART_HEIGHT - CHART_BOTTOM + 16,
                "aria_label": _("Score distribution of %(n)s attempts: %(bins)s")
                % {"n": stats.attempt_count, "bins": summary},
            },
            summary_rows=[
                (_("Attempts counted (first attempt per person)"), str(stats.attempt_count)),
                (
                    _("Mean score"),
                    _fmt(stats.mean_percent) + ("%" if stats.mean_percent is not None else ""),
                ),
                (
                    _("Median score"),
                    _fmt(stats.median_percent) + ("%" if stats.median_percent is not None else ""),
                ),
                (_("Standard deviation"), _fmt(stats.stdev_percent)),
                (
                    _("Pass rate"),
                    _fmt(stats.pass_rate) + ("%" if stats.pass_rate is not None else ""),
                ),
                (_("Pass mark"), f"{stats.quiz.pass_percent}%"),
            ],
            negative_flag=FLAG_NEGATIVE,
        )
        return context


def question_table_rows(stats: QuizStatistics) -> list[list[Any]]:
    rows = []
    for q in stats.questions:
        rows.append(
            [
                q.name,
                q.qtype_label,
                ", ".join(str(v) for v in q.versions),
                q.attempts,
                "" if q.facility is None else round(q.facility, 1),
                "" if q.discrimination is None else round(q.discrimination, 1),
                "; ".join(q.flag_labels),
                " | ".join(f"{o.label}{' ✓' if o.correct else ''}: {o.count}" for o in q.options),
            ]
        )
    return rows


class QuizStatisticsCsvView(TrainerStatsMixin, View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> StreamingHttpResponse:
        quiz = self.get_quiz()
        stats = quiz_statistics(quiz=quiz)
        header = [
            _("Question"),
            _("Type"),
            _("Versions"),
            _("Attempts"),
            _("Facility index"),
            _("Discrimination index"),
            _("Flags"),
            _("Answers chosen"),
        ]
        filename = f"quiz-{quiz.pk}-{slugify(quiz.slug) or 'statistics'}-questions.csv"
        return stream_csv(filename=filename, header=header, rows=question_table_rows(stats))
