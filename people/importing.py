"""Bulk import of people from CSV or XLSX: parse, validate, preview, apply all-or-nothing.

The flow, each step a plain function with keyword-only arguments:

1. :func:`file_parse` turns the uploaded bytes into records (one ``dict`` per spreadsheet
   row, keyed by canonical column names, with the row number the user sees) or raises
   :class:`ImportFileError` for a file that cannot be read at all.
2. :func:`records_validate` checks every record against the database and the importer's
   scope in a handful of queries, and returns a :class:`Plan`: what would be created or
   updated, and *every* problem found (row, column, message).
3. :func:`records_import` re-validates inside one transaction and writes with bulk
   operations; any problem rolls everything back (:class:`ImportRejected`).
4. :func:`import_job_run` applies a confirmed :class:`~people.models.ImportJob` (called in
   the request for small files, from the Celery task ``people.tasks.import_apply`` for
   large ones). It is safe to run twice.

Messages are stored as codes with parameters and translated when shown, so a preview
reads in the language of whoever looks at it.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy
from openpyxl.utils import get_column_letter

from .models import ImportJob, OrgUnit, RankLevel, Role, RoleAssignment, User
from .selectors import person_can_change, unit_can_manage
from .signals import people_changed

logger = logging.getLogger(__name__)

# Longest file we accept, in data rows (a zip bomb disguised as .xlsx stops here too).
MAX_ROWS: Final = 100_000
# Rows per INSERT/UPDATE statement, and per progress report.
BATCH_SIZE: Final = 500
# Cells that a spreadsheet would run as a formula (CSV/formula injection).
FORMULA_PREFIXES: Final = ("=", "+", "-", "@")
# How much of a user's own value we echo back in a message.
ECHO_MAX: Final = 40


# --- Columns -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    zh: str
    required: bool
    max_length: int
    aliases: tuple[str, ...] = ()


COLUMNS: Final = (
    Column("employee_number", gettext_lazy("Employee number"), "工号", True, 32,
           ("employee_number", "employee_no", "staff_number", "员工编号", "职工号")),
    Column("full_name", gettext_lazy("Full name"), "姓名", True, 60, ("full_name", "name")),
    Column("email", gettext_lazy("E-mail"), "邮箱", True, 254,
           ("email", "e_mail", "mail", "电子邮箱", "电子邮件", "邮件")),
    Column("unit_code", gettext_lazy("Unit code"), "单位代码", True, 32,
           ("unit_code", "unit", "单位编码")),
    Column("position_title", gettext_lazy("Position"), "职务", False, 120,
           ("position_title", "position", "title")),
    Column("rank_level", gettext_lazy("Rank level"), "职级", False, 40, ("rank_level", "rank")),
)  # fmt: skip
COLUMNS_BY_KEY: Final = {c.key: c for c in COLUMNS}
FIELD_KEYS: Final = tuple(c.key for c in COLUMNS)


def _header_norm(text: str) -> str:
    text = text.replace("\ufeff", "").strip().lower()
    # Drop a trailing remark in brackets, half- or full-width: "email (required)".
    text = re.sub("[(\uff08][^)\uff09]*[)\uff09]$", "", text)
    text = text.strip().strip("*\uff0a").strip()
    return re.sub(r"[\s\-_]+", "_", text)


HEADER_ALIASES: Final[dict[str, str]] = {
    _header_norm(alias): column.key
    for column in COLUMNS
    for alias in (column.key, column.zh, str(column.label), *column.aliases)
}


def column_label(*, key: str) -> str:
    """The column's name in the active language: Chinese header under zh, else English."""
    column = COLUMNS_BY_KEY.get(key)
    if column is None:
        return key
    if (translation.get_language() or "").startswith("zh"):
        return column.zh
    return str(column.label)


# --- Problems ------------------------------------------------------------------------

MESSAGES: Final[dict[str, str | Promise]] = {
    "file_too_large": gettext_lazy("The file is too large: the limit is %(limit)s."),
    "file_type": gettext_lazy("Upload a CSV (.csv) or Excel (.xlsx) file."),
    "file_xls": gettext_lazy(
        "Old Excel (.xls) files are not supported: save the sheet as .xlsx or CSV."
    ),
    "file_encoding": gettext_lazy(
        "The file's text encoding could not be recognised: save it as CSV in UTF-8 or GBK, "
        "or as an Excel .xlsx file."
    ),
    "file_unreadable": gettext_lazy(
        "The Excel file could not be opened; it may be damaged or not really an .xlsx file."
    ),
    "file_empty": gettext_lazy("The file is empty: it has no header row and no people."),
    "file_no_rows": gettext_lazy("The file has a header row but no people."),
    "file_too_many_rows": gettext_lazy("The file has more than %(limit)s rows."),
    "column_unknown": gettext_lazy("Unknown column “%(header)s”."),
    "column_missing": gettext_lazy("The required column “%(label)s” is missing."),
    "column_duplicate": gettext_lazy("The column “%(header)s” appears more than once."),
    "required": gettext_lazy("This value is required."),
    "name_missing": gettext_lazy("The name is missing."),
    "too_long": gettext_lazy("The value is too long: at most %(max)s characters."),
    "formula": gettext_lazy(
        "A cell may not start with =, +, - or @: it looks like a spreadsheet formula."
    ),
    "email_invalid": gettext_lazy("“%(value)s” is not a valid e-mail address."),
    "email_duplicate": gettext_lazy("This e-mail address already appears in row %(other)s."),
    "email_taken": gettext_lazy("This e-mail address is already used by another person."),
    "employee_number_duplicate": gettext_lazy(
        "This employee number already appears in row %(other)s."
    ),
    "employee_number_taken": gettext_lazy("This employee number is already in use."),
    "unit_unknown": gettext_lazy("Unknown unit code “%(value)s”."),
    "unit_inactive": gettext_lazy("The unit “%(value)s” is no longer active."),
    "unit_out_of_scope": gettext_lazy("You may not import people into the unit “%(value)s”."),
    "rank_unknown": gettext_lazy("Unknown rank level “%(value)s”. Use one of: %(choices)s."),
    "conflict": gettext_lazy(
        "The people changed while this import was running. Upload the file again."
    ),
    "internal": gettext_lazy("The import failed unexpectedly; nothing was changed."),
}


@dataclass(frozen=True)
class Issue:
    """One problem: where (row as the user sees it, header = 1; column) and what."""

    code: str
    row: int | None = None
    column: str = ""  # canonical key, when the column is known
    header: str = ""  # the header text as written in the file
    letter: str = ""  # the spreadsheet column letter (A, B, …)
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        template = MESSAGES.get(self.code, MESSAGES["internal"])
        text = str(template)
        if not self.params:
            return text
        separator = "、" if (translation.get_language() or "").startswith("zh") else ", "
        params = {
            key: separator.join(map(str, value)) if isinstance(value, list) else value
            for key, value in self.params.items()
        }
        return text % params

    @property
    def column_name(self) -> str:
        name = self.header or (column_label(key=self.column) if self.column else "")
        if name and self.letter:
            return f"{name} ({self.letter})"
        return name or self.letter

    def __str__(self) -> str:
        if self.row is not None and self.column_name:
            return gettext("Row %(row)s, column %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column_name,
                "message": self.message,
            }
        if self.row is not None:
            return gettext("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        return self.message

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "row": self.row,
            "column": self.column,
            "header": self.header,
            "letter": self.letter,
            "params": dict(self.params),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Issue:
        return cls(
            code=str(data.get("code", "internal")),
            row=data.get("row"),
            column=str(data.get("column", "")),
            header=str(data.get("header", "")),
            letter=str(data.get("letter", "")),
            params=dict(data.get("params") or {}),
        )


class ImportFileError(Exception):
    """The file as a whole cannot be read; nothing row-level to report."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.code)
        self.issue = issue


class ImportRejected(Exception):
    """Validation found problems; the transaction is rolled back."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        super().__init__(f"{len(issues)} problem(s)")
        self.issues = list(issues)


def _echo(value: str) -> str:
    return value if len(value) <= ECHO_MAX else value[: ECHO_MAX - 1] + "…"


# --- Reading the file ----------------------------------------------------------------


@dataclass
class ParsedFile:
    encoding: str  # "utf-8", "utf-8-sig", "gb18030" or "xlsx"
    records: list[dict[str, Any]]  # {"row": n, <column key>: str, …}
    issues: list[Issue]  # header problems (row 1)
    letters: dict[str, str] = field(default_factory=dict)  # column key → "A", "B", …


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).replace("\ufeff", "").strip()


def _decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (with or without BOM), else GB18030 (a superset of GBK)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        return text, "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise ImportFileError(Issue("file_encoding")) from None


def _csv_rows(data: bytes) -> tuple[Iterator[list[str]], str]:
    text, encoding = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count) if first_line else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise ImportFileError(Issue("file_encoding")) from None
    return iter(rows), encoding


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula cell reads as its formula text ("=…") and is refused.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds (BadZipFile, KeyError, InvalidFileException…)
        raise ImportFileError(Issue("file_unreadable")) from None
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(v) for v in values]
    except Exception:
        raise ImportFileError(Issue("file_unreadable")) from None
    finally:
        workbook.close()


def file_kind(*, name: str, data: bytes) -> str:
    """``"csv"`` or ``"xlsx"``, judged by the name *and* the content; else ImportFileError."""
    lowered = name.lower()
    is_zip = data.startswith(b"PK\x03\x04")
    if lowered.endswith(".xlsx"):
        if not is_zip:
            raise ImportFileError(Issue("file_type"))
        return "xlsx"
    if lowered.endswith(".xls"):
        raise ImportFileError(Issue("file_xls"))
    if lowered.endswith((".csv", ".txt")):
        if is_zip or b"\x00" in data[:8192]:
            raise ImportFileError(Issue("file_type"))
        return "csv"
    raise ImportFileError(Issue("file_type"))


def file_parse(*, name: str, data: bytes, max_bytes: int | None = None) -> ParsedFile:
    """Read a CSV or XLSX file into records. Raises :class:`ImportFileError` when the
    file cannot be used at all; header problems are returned as issues on row 1."""
    limit = settings.QINGLIAN_IMPORT_MAX_BYTES if max_bytes is None else max_bytes
    if len(data) > limit:
        raise ImportFileError(Issue("file_too_large", params={"limit": filesizeformat(limit)}))
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError(Issue("file_empty"))
    kind = file_kind(name=name, data=data)
    if kind == "xlsx":
        rows, encoding = _xlsx_rows(data), "xlsx"
    else:
        rows, encoding = _csv_rows(data)

    # The header is the first non-blank row.
    header: list[str] | None = None
    header_row = 0
    for header_row, cells in enumerate(rows, start=1):  # noqa: B007
        if any(_cell_text(c) for c in cells):
            header = [_cell_text(c) for c in cells]
            break
    if header is None:
        raise ImportFileError(Issue("file_empty"))

    issues: list[Issue] = []
    positions: dict[str, int] = {}
    for index, text in enumerate(header):
        if not text:
            continue
        letter = get_column_letter(index + 1)
        key = HEADER_ALIASES.get(_header_norm(text))
        if key is None:
            issues.append(
                Issue("column_unknown", header_row, header=_echo(text), letter=letter,
                      params={"header": _echo(text)})
            )  # fmt: skip
        elif key in positions:
            issues.append(
                Issue("column_duplicate", header_row, key, _echo(text), letter,
                      params={"header": _echo(text)})
            )  # fmt: skip
        else:
            positions[key] = index
    for column in COLUMNS:
        if column.required and column.key not in positions:
            issues.append(
                Issue("column_missing", header_row, column.key,
                      params={"label": f"{column.zh} / {column.key}"})
            )  # fmt: skip

    records: list[dict[str, Any]] = []
    for row_number, cells in enumerate(rows, start=header_row + 1):
        texts = [_cell_text(c) for c in cells]
        if not any(texts):
            continue  # blank rows are skipped, as a person reading the sheet would
        if len(records) >= MAX_ROWS:
            raise ImportFileError(Issue("file_too_many_rows", params={"limit": MAX_ROWS}))
        record: dict[str, Any] = {"row": row_number}
        for key, index in positions.items():
            record[key] = texts[index] if index < len(texts) else ""
        # A formula in a column we do not read is still refused.
        for index, text in enumerate(texts):
            if index not in positions.values() and text.startswith(FORMULA_PREFIXES):
                record.setdefault("_formula_cols", []).append(index)
        records.append(record)
    if not records and not issues:
        raise ImportFileError(Issue("file_no_rows"))
    letters = {key: get_column_letter(index + 1) for key, index in positions.items()}
    return ParsedFile(encoding=encoding, records=records, issues=issues, letters=letters)


# --- Validating ----------------------------------------------------------------------


@dataclass
class PlanItem:
    row: int
    employee_number: str
    full_name: str
    email: str
    unit: OrgUnit
    position_title: str
    rank_level: RankLevel | None
    person: User | None  # the existing person to update; None: create
    changed: bool = True

    @property
    def action(self) -> str:
        if self.person is None:
            return "create"
        return "update" if self.changed else "unchanged"

    def as_record(self) -> dict[str, Any]:
        """What the preview stores and the apply step re-validates."""
        return {
            "row": self.row,
            "employee_number": self.employee_number,
            "full_name": self.full_name,
            "email": self.email,
            "unit_code": self.unit.code,
            "position_title": self.position_title,
            "rank_level": self.rank_level.code if self.rank_level else "",
            # for display only
            "action": self.action,
            "unit_name": self.unit.name,
            "rank_name": self.rank_level.name if self.rank_level else "",
        }


@dataclass
class Plan:
    items: list[PlanItem]
    issues: list[Issue]

    @property
    def created(self) -> int:
        return sum(1 for i in self.items if i.person is None)

    @property
    def updated(self) -> int:
        return sum(1 for i in self.items if i.person is not None and i.changed)

    @property
    def unchanged(self) -> int:
        return sum(1 for i in self.items if i.person is not None and not i.changed)


def _chunks(values: Sequence[str], size: int = 900) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _cell_issues(record: Mapping[str, Any], row: int) -> tuple[dict[str, str], list[Issue]]:
    """Per-cell checks that need no database: required, length, formula, e-mail format."""
    cleaned: dict[str, str] = {}
    issues: list[Issue] = []
    for column in COLUMNS:
        value = str(record.get(column.key) or "").strip()
        if value.startswith(FORMULA_PREFIXES):
            issues.append(Issue("formula", row, column.key))
            continue
        if not value:
            if column.required and column.key in record:
                code = "name_missing" if column.key == "full_name" else "required"
                issues.append(Issue(code, row, column.key))
            continue
        if len(value) > column.max_length:
            issues.append(Issue("too_long", row, column.key, params={"max": column.max_length}))
            continue
        if column.key == "email":
            value = value.lower()
            try:
                validate_email(value)
            except ValidationError:
                issues.append(Issue("email_invalid", row, "email", params={"value": _echo(value)}))
                continue
        cleaned[column.key] = value
    for index in record.get("_formula_cols", ()):
        issues.append(Issue("formula", row, letter=get_column_letter(index + 1)))
    return cleaned, issues


def records_validate(
    *, viewer: User, records: Sequence[Mapping[str, Any]], lock: bool = False
) -> Plan:
    """Check every record; collect every problem. A fixed handful of queries whatever the
    number of rows (units, rank levels, people by employee number and by e-mail, in
    chunks). With ``lock`` (inside a transaction) the matched people are locked."""
    issues: list[Issue] = []
    cleaned_rows: list[tuple[int, dict[str, str]]] = []
    for record in records:
        row = int(record["row"])
        cleaned, cell_issues = _cell_issues(record, row)
        issues.extend(cell_issues)
        cleaned_rows.append((row, cleaned))

    # Duplicates inside the file (the later row names the earlier one).
    seen_numbers: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for row, cleaned in cleaned_rows:
        number, email = cleaned.get("employee_number"), cleaned.get("email")
        if number:
            if number in seen_numbers:
                issues.append(
                    Issue("employee_number_duplicate", row, "employee_number",
                          params={"other": seen_numbers[number]})
                )  # fmt: skip
            else:
                seen_numbers[number] = row
        if email:
            if email in seen_emails:
                issues.append(
                    Issue("email_duplicate", row, "email", params={"other": seen_emails[email]})
                )
            else:
                seen_emails[email] = row

    # Lookups: a few queries for any number of rows.
    codes = sorted({c["unit_code"] for _r, c in cleaned_rows if c.get("unit_code")})
    units: dict[str, OrgUnit] = {}
    if codes:
        upper = sorted({code.upper() for code in codes})
        for chunk in _chunks(sorted(set(codes) | set(upper))):
            for found in OrgUnit.objects.filter(code__in=chunk):
                units[found.code] = found
        for found in list(units.values()):
            units.setdefault(found.code.upper(), found)
    ranks: dict[str, RankLevel] = {}
    rank_list = list(RankLevel.objects.order_by("order"))
    for level in rank_list:
        ranks[level.name] = level
        ranks[level.code.upper()] = level
    people_by_number: dict[str, User] = {}
    numbers = sorted(seen_numbers)
    for chunk in _chunks(numbers):
        qs = User.objects.filter(employee_number__in=chunk).select_related("unit")
        if lock:
            qs = qs.select_for_update(of=("self",))
        for existing in qs:
            people_by_number[str(existing.employee_number)] = existing
    owner_of_email: dict[str, int] = {}
    for chunk in _chunks(sorted(seen_emails)):
        for email_l, pk in (
            User.objects.annotate(email_l=Lower("email"))
            .filter(email_l__in=chunk)
            .values_list("email_l", "pk")
        ):
            owner_of_email[email_l] = pk

    items: list[PlanItem] = []
    for row, cleaned in cleaned_rows:
        unit: OrgUnit | None = None
        code = cleaned.get("unit_code")
        if code:
            unit = units.get(code) or units.get(code.upper())
            if unit is None:
                issues.append(
                    Issue("unit_unknown", row, "unit_code", params={"value": _echo(code)})
                )
            elif not unit.is_active:
                issues.append(Issue("unit_inactive", row, "unit_code", params={"value": code}))
                unit = None
            elif not unit_can_manage(viewer=viewer, unit=unit):
                issues.append(
                    Issue("unit_out_of_scope", row, "unit_code", params={"value": unit.code})
                )
                unit = None
        rank: RankLevel | None = None
        rank_text = cleaned.get("rank_level")
        if rank_text:
            rank = ranks.get(rank_text) or ranks.get(rank_text.upper())
            if rank is None:
                issues.append(
                    Issue("rank_unknown", row, "rank_level",
                          params={"value": _echo(rank_text),
                                  "choices": [f"{r.name} ({r.code})" for r in rank_list]})
                )  # fmt: skip
        person: User | None = None
        number = cleaned.get("employee_number")
        if number:
            person = people_by_number.get(number)
            if person is not None and not person_can_change(viewer=viewer, person=person):
                # Someone outside the importer's scope: say no more than "in use".
                issues.append(Issue("employee_number_taken", row, "employee_number"))
                person = None
        email = cleaned.get("email")
        if email:
            owner = owner_of_email.get(email)
            if owner is not None and (person is None or owner != person.pk):
                issues.append(Issue("email_taken", row, "email"))
        if unit is not None and number and email and cleaned.get("full_name"):
            item = PlanItem(
                row=row,
                employee_number=number,
                full_name=cleaned["full_name"],
                email=email,
                unit=unit,
                position_title=cleaned.get("position_title", ""),
                rank_level=rank,
                person=person,
            )
            if person is not None:
                item.changed = (
                    person.full_name != item.full_name
                    or person.email.lower() != item.email
                    or person.unit_id != unit.pk
                    or person.position_title != item.position_title
                    or person.rank_level_id != (rank.pk if rank else None)
                )
            items.append(item)
    issues.sort(key=lambda i: (i.row or 0, FIELD_KEYS.index(i.column) if i.column else 99))
    if issues:
        bad_rows = {i.row for i in issues}
        items = [i for i in items if i.row not in bad_rows]
    return Plan(items=items, issues=issues)


# --- Applying ------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    created: int
    updated: int
    unchanged: int
    created_ids: list[int]


ProgressFn = Callable[[int], None]


def invitations_send(*, user_ids: Sequence[int], language: str | None = None) -> int:
    """E-mail each imported person their set-password link. A person who has meanwhile
    chosen a password or logged in is skipped, so a second run (a task delivered again)
    only repeats the messages nobody has acted on. Returns how many were sent."""
    from .services import account_send_set_password

    sent = 0
    people = User.objects.filter(pk__in=user_ids, last_login__isnull=True, is_active=True)
    for user in people.order_by("pk").iterator(chunk_size=500):
        if user.has_usable_password():
            continue
        try:
            account_send_set_password(user=user, language=language)
        except Exception:  # one bad address or a mail hiccup must not stop the rest
            logger.exception("Could not send the set-password e-mail to user %s", user.pk)
        else:
            sent += 1
    return sent


def _invitations_enqueue(user_ids: list[int], language: str | None) -> None:
    from .tasks import import_send_invitations

    import_send_invitations.delay(user_ids, language)


def plan_apply(
    *, viewer: User, plan: Plan, progress: ProgressFn | None = None, send_invitations: bool = True
) -> ImportOutcome:
    """Write a validated plan with bulk operations. Call inside a transaction."""
    if plan.issues:
        raise ImportRejected(plan.issues)
    done = 0
    fields = ["full_name", "email", "unit", "position_title", "rank_level"]
    changed: list[User] = []
    for item in plan.items:
        if item.person is not None and item.changed:
            person = item.person
            person.full_name = item.full_name
            person.email = item.email
            person.unit = item.unit
            person.position_title = item.position_title
            person.rank_level = item.rank_level
            changed.append(person)
    for start in range(0, len(changed), BATCH_SIZE):
        User.objects.bulk_update(changed[start : start + BATCH_SIZE], fields)
        done += len(changed[start : start + BATCH_SIZE])
        if progress:
            progress(done)

    new_people: list[User] = []
    for item in plan.items:
        if item.person is None:
            person = User(
                email=item.email,
                full_name=item.full_name,
                employee_number=item.employee_number,
                unit=item.unit,
                position_title=item.position_title,
                rank_level=item.rank_level,
            )
            # What set_unusable_password() stores, with a faster random suffix
            # (get_random_string picks 40 characters one by one: a second per 10,000).
            person.password = UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)
            new_people.append(person)
    for start in range(0, len(new_people), BATCH_SIZE):
        User.objects.bulk_create(new_people[start : start + BATCH_SIZE])
        done += len(new_people[start : start + BATCH_SIZE])
        if progress:
            progress(done)

    # Ids by employee number: correct on every backend, whether or not INSERT returned them.
    number_to_id: dict[str, int] = {}
    new_numbers = [p.employee_number or "" for p in new_people]
    for chunk in _chunks(new_numbers):
        for number, pk in User.objects.filter(employee_number__in=chunk).values_list(
            "employee_number", "pk"
        ):
            number_to_id[str(number)] = pk
    created_ids = [number_to_id[n] for n in new_numbers]

    # Every imported person is a learner on their unit. This is what ``role_grant`` does,
    # in bulk: the learner role has no Wagtail group, so there is no group to sync.
    assignments = [
        RoleAssignment(user_id=number_to_id[p.employee_number or ""], role=Role.LEARNER,
                       unit=p.unit, granted_by=viewer)
        for p in new_people
    ] + [
        RoleAssignment(user_id=p.pk, role=Role.LEARNER, unit=p.unit, granted_by=viewer)
        for p in changed
    ]  # fmt: skip
    RoleAssignment.objects.bulk_create(assignments, batch_size=BATCH_SIZE, ignore_conflicts=True)
    # Bulk writes send no post_save: tell the apps that follow people (course enrolment).
    people_changed.send(sender=User, user_ids=[*created_ids, *(p.pk for p in changed)])

    if send_invitations and created_ids:
        language = translation.get_language()
        # After commit, in a task of its own: thousands of e-mails must not hold up the
        # request or the import (eager Celery sends them in-process).
        transaction.on_commit(lambda: _invitations_enqueue(created_ids, language), robust=True)
    return ImportOutcome(
        created=len(new_people), updated=len(changed), unchanged=plan.unchanged,
        created_ids=created_ids,
    )  # fmt: skip


def records_import(
    *,
    viewer: User,
    records: Sequence[Mapping[str, Any]],
    progress: ProgressFn | None = None,
    send_invitations: bool = True,
) -> ImportOutcome:
    """Validate and write in one transaction: every row or none. Raises ImportRejected."""
    with transaction.atomic():
        plan = records_validate(viewer=viewer, records=records, lock=True)
        return plan_apply(
            viewer=viewer, plan=plan, progress=progress, send_invitations=send_invitations
        )


# --- Jobs ----------------------------------------------------------------------------


def job_create(*, viewer: User, filename: str, parsed: ParsedFile) -> ImportJob:
    """Validate parsed records and store the preview (nothing about people is written)."""
    plan = records_validate(viewer=viewer, records=parsed.records)
    issues = [
        *parsed.issues,
        *(
            replace(i, letter=parsed.letters.get(i.column, "")) if i.column and not i.letter else i
            for i in plan.issues
        ),
    ]
    if parsed.issues:
        # With the columns wrong, row-level results would only mislead.
        rows: list[dict[str, Any]] = []
    else:
        rows = [item.as_record() for item in plan.items]
    return ImportJob.objects.create(
        created_by=viewer,
        filename=filename[:255],
        encoding=parsed.encoding,
        status=ImportJob.Status.PREVIEW,
        rows=[] if issues else rows,
        total_rows=len(parsed.records),
        errors=[i.as_dict() for i in issues],
        created_count=plan.created if not issues else 0,
        updated_count=plan.updated if not issues else 0,
    )


def job_issues(*, job: ImportJob) -> list[Issue]:
    return [Issue.from_dict(d) for d in job.errors or []]


def job_claim(*, job_id: int, viewer: User) -> bool:
    """Confirm a preview: PREVIEW → QUEUED with one conditional UPDATE. Only the first of
    several clicks (or retries) wins; the rest change nothing."""
    fresh_since = timezone.now() - settings.QINGLIAN_IMPORT_PREVIEW_TTL
    qs = ImportJob.objects.filter(
        pk=job_id, status=ImportJob.Status.PREVIEW, errors=[], created_at__gte=fresh_since
    )
    if not viewer.is_superuser:
        qs = qs.filter(created_by=viewer)
    return qs.update(status=ImportJob.Status.QUEUED) == 1


class _ProgressWriter:
    """Writes ``processed_rows`` on a connection of its own, so the progress page sees it
    while the import's transaction is still open. On SQLite (one writer at a time, and
    no separate worker) progress is only written when the job ends."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.connection = None
        if connections[DEFAULT_DB_ALIAS].vendor != "sqlite":
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, done: int) -> None:
        if self.connection is None:
            return
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {ImportJob._meta.db_table} SET processed_rows = %s "  # noqa: S608
                    "WHERE id = %s AND status = %s",
                    [done, self.job_id, ImportJob.Status.RUNNING],
                )
        except Exception:  # progress is cosmetic; the import must not fail for it
            logger.warning("Could not record import progress", exc_info=True)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Apply a confirmed job all-or-nothing. Safe to run twice: a job that is not QUEUED
    (or RUNNING, when a worker died and the task is delivered again) is left alone, and
    the final status change is conditional too. Returns the job, or None if not found."""
    Status = ImportJob.Status
    claimed = ImportJob.objects.filter(pk=job_id, status__in=[Status.QUEUED, Status.RUNNING])
    if not claimed.update(status=Status.RUNNING, processed_rows=0):
        return ImportJob.objects.filter(pk=job_id).first()
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        return None
    progress = _ProgressWriter(job_id)
    finished = ImportJob.objects.filter(pk=job_id, status=Status.RUNNING)
    try:
        with transaction.atomic():
            outcome = records_import(viewer=job.created_by, records=job.rows, progress=progress)
            if not finished.update(
                status=Status.DONE,
                processed_rows=job.total_rows,
                created_count=outcome.created,
                updated_count=outcome.updated,
                finished_at=timezone.now(),
            ):
                raise _Superseded
    except _Superseded:
        pass
    except ImportRejected as exc:
        finished.update(
            status=Status.FAILED,
            errors=[i.as_dict() for i in exc.issues],
            created_count=0,
            updated_count=0,
            finished_at=timezone.now(),
        )
    except IntegrityError:
        # Someone changed the same people meanwhile (or a second run finished first).
        finished.update(
            status=Status.FAILED,
            errors=[Issue("conflict").as_dict()],
            finished_at=timezone.now(),
        )
    except Exception:
        finished.update(
            status=Status.FAILED, errors=[Issue("internal").as_dict()], finished_at=timezone.now()
        )
        raise
    finally:
        progress.close()
    return ImportJob.objects.filter(pk=job_id).first()


class _Superseded(Exception):
    """Another run already finished this job: roll this one back."""


def jobs_expire_stale(*, now: datetime | None = None) -> int:
    """Previews left unconfirmed longer than QINGLIAN_IMPORT_PREVIEW_TTL become EXPIRED
    and drop their rows. Returns how many."""
    cutoff = (now or timezone.now()) - settings.QINGLIAN_IMPORT_PREVIEW_TTL
    return ImportJob.objects.filter(status=ImportJob.Status.PREVIEW, created_at__lt=cutoff).update(
        status=ImportJob.Status.EXPIRED, rows=[], finished_at=now or timezone.now()
    )


def jobs_stuck(*, now: datetime | None = None) -> list[int]:
    """Ids of confirmed jobs that can no longer be running: still QUEUED or RUNNING
    although their preview expired and a task's time limit has passed since (the broker
    lost the message, or the worker died). Running them again is safe."""
    limit = timedelta(seconds=getattr(settings, "CELERY_TASK_TIME_LIMIT", None) or 3600)
    cutoff = (now or timezone.now()) - settings.QINGLIAN_IMPORT_PREVIEW_TTL - limit
    return list(
        ImportJob.objects.filter(
            status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING], created_at__lt=cutoff
        ).values_list("pk", flat=True)
    )


def template_rows() -> Iterable[list[str]]:
    """The downloadable template: Chinese headers, then one example row."""
    yield [c.zh for c in COLUMNS]
    yield ["E0001", "张三", "zhangsan@example.gov.cn", "CZJ", "科员", "科员"]
