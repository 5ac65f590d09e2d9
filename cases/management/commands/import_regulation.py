"""``python manage.py import_regulation FILE --title … --short-name … --slug … --version …``

Reads a regulation's official plain text (UTF-8 or GBK), prints how many articles it
found and every problem with its line number, and imports all articles or none.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from cases.importing import MAX_BYTES, regulation_parse
from cases.services import RegulationImportRefused, regulation_import


class _DryRun(Exception):
    pass


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value}
        ) from None


class Command(BaseCommand):
    help = "Import a regulation's articles from its official plain text (UTF-8 or GBK)."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # ``--version`` names the regulation's version here, not Django's.
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The regulation as plain text (.txt or .md).")
        parser.add_argument("--title", required=True, help="e.g. 中国共产党纪律处分条例")
        parser.add_argument("--short-name", required=True, help="e.g. 纪律处分条例")
        parser.add_argument("--slug", required=True, help="Part of every article's URL.")
        parser.add_argument("--version", dest="regulation_version", required=True)
        parser.add_argument("--issuer", default="")
        parser.add_argument("--effective-date", type=_date, default=None, help="YYYY-MM-DD")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Update an already imported version in place (article ids are kept).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check everything, write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc.strerror}
            ) from None
        parsed = regulation_parse(data=data)
        self.stdout.write(
            _("%(file)s: %(count)s articles in %(chapters)s chapters (%(encoding)s).")
            % {
                "file": path.name,
                "count": len(parsed.articles),
                "chapters": len([c for c, _n in parsed.chapters if c]),
                "encoding": parsed.encoding or "?",
            }
        )
        for problem in parsed.problems:
            self.stderr.write(str(problem))
        if parsed.problems:
            raise CommandError(
                _("%(count)s problem(s) found; nothing was imported.")
                % {"count": len(parsed.problems)}
            )
        try:
            with transaction.atomic():
                result = regulation_import(
                    title=options["title"],
                    short_name=options["short_name"],
                    slug=options["slug"],
                    version=options["regulation_version"],
                    issuer=options["issuer"],
                    effective_date=options["effective_date"],
                    articles=parsed.articles,
                    replace=options["replace"],
                )
                if options["dry_run"]:
                    raise _DryRun
        except RegulationImportRefused as exc:
            for refusal in exc.refusals:
                self.stderr.write(str(refusal))
            raise CommandError(_("Nothing was imported.")) from None
        except _DryRun:
            self.stdout.write(_("Dry run: everything is in order; nothing was written."))
            return
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Imported %(regulation)s: %(created)s new, %(updated)s updated, "
                    "%(unchanged)s unchanged, %(deleted)s removed articles."
                )
                % {
                    "regulation": result.regulation,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "deleted": result.deleted,
                }
            )
        )
