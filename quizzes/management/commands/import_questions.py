"""``python manage.py import_questions FILE --category "纪律处分条例/总则" [--format gift|xml]
[--dry-run]``

Reads a GIFT or Moodle XML file, prints what it holds (questions by type and category,
unsupported questions, notes, duplicates already in the bank) and every error with its
line number, then imports all questions or none. The target category is created when
missing. Exits with an error (nothing written) when the file has any error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from quizzes.importing import (
    FORMATS,
    MAX_BYTES,
    QuestionImportRefused,
    category_path_ensure,
    category_path_names,
    import_preview,
    questions_import,
    questions_parse,
)


class _DryRun(Exception):
    pass


def _where(line: int | None) -> str:
    return _("line %(line)s") % {"line": line} if line else _("file")


class Command(BaseCommand):
    help = "Import questions from a GIFT or Moodle XML file into a question category."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A GIFT (.gift, .txt) or Moodle XML (.xml) file.")
        parser.add_argument(
            "--category",
            required=True,
            help='The target category as a path, e.g. "纪律处分条例/总则" (created if missing).',
        )
        parser.add_argument("--format", choices=FORMATS, default=None, dest="file_format")
        parser.add_argument("--dry-run", action="store_true", help="Check, write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc.strerror}
            ) from None
        names = category_path_names(path=options["category"])
        if not names:
            raise CommandError(_("Give the target category, e.g. --category 纪律处分条例/总则."))
        file_format, result = questions_parse(
            name=path.name, data=data, file_format=options["file_format"]
        )
        try:
            with transaction.atomic():
                category = category_path_ensure(names=names)
                preview = import_preview(
                    items=result.items,
                    unsupported=result.unsupported,
                    errors=result.errors,
                    category=category,
                )
                self._report(path.name, file_format, preview)
                if preview.errors:
                    raise _DryRun
                if options["dry_run"]:
                    self.stdout.write(_("Dry run: nothing was written."))
                    raise _DryRun
                outcome = questions_import(items=result.items, category=category)
        except _DryRun:
            if preview.errors:
                raise CommandError(
                    _("%(count)s error(s): nothing was imported.") % {"count": len(preview.errors)}
                ) from None
            return
        except QuestionImportRefused as exc:
            raise CommandError("\n".join(exc.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Imported %(created)s questions into %(category)s; %(skipped)s already in "
                    "the bank were skipped; %(categories)s categories created."
                )
                % {
                    "created": outcome.created,
                    "category": category.full_name,
                    "skipped": outcome.skipped,
                    "categories": outcome.categories_created,
                }
            )
        )

    def _report(self, filename: str, file_format: str, preview: Any) -> None:
        out = self.stdout.write
        out(
            _("%(file)s (%(format)s): %(count)s questions to import into %(category)s.")
            % {
                "file": filename,
                "format": file_format or "?",
                "count": len(preview.questions),
                "category": preview.target.full_name,
            }
        )
        for label, count in preview.by_type:
            out(f"  {label}: {count}")
        for label, count in preview.by_category:
            out(f"  {label}: {count}")
        for name in preview.new_categories:
            out(_("  new category: %(name)s") % {"name": name})
        if preview.duplicates:
            out(
                _("%(count)s questions are already in the bank and will be skipped:")
                % {"count": preview.duplicates}
            )
            for question in preview.questions:
                if question.duplicate:
                    out(f"  {_where(question.line)}: {question.name}")
        for question in preview.questions:
            for note in question.notes:
                out(f"  {_where(question.line)} ({question.name}): {note}")
        if preview.unsupported:
            out(
                _("%(count)s questions of unsupported types will not be imported:")
                % {"count": len(preview.unsupported)}
            )
            for item in preview.unsupported:
                out(f"  {_where(item['line'])}: {item['kind_label']} · {item['title']}")
        for error in preview.errors:
            self.stderr.write(f"{_where(error.get('line'))}: {error['message']}")
