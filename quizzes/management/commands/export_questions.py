"""``python manage.py export_questions --category "纪律处分条例/总则" [-o file.xml]``

Writes the category, its subcategories and their questions as Moodle XML (to stdout
without ``-o``). ``import_questions`` (or Moodle) reads the file back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from quizzes.formats.moodle_xml import moodle_xml_write
from quizzes.importing import category_by_path


class Command(BaseCommand):
    help = "Export a question category (with its subcategories) as Moodle XML."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--category", required=True, help='e.g. "纪律处分条例/总则"')
        parser.add_argument("-o", "--output", default="", help="The file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        category = category_by_path(path=options["category"])
        if category is None:
            raise CommandError(
                _("No question category “%(path)s”.") % {"path": options["category"]}
            )
        data = moodle_xml_write(category=category)
        if not options["output"]:
            self.stdout.write(data.decode("utf-8"), ending="")
            return
        try:
            Path(options["output"]).write_bytes(data)
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(file)s: %(error)s")
                % {"file": options["output"], "error": exc.strerror}
            ) from None
        self.stderr.write(
            _("Wrote %(file)s (%(bytes)s bytes).") % {"file": options["output"], "bytes": len(data)}
        )
