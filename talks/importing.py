"""Import of appointments from CSV (UTF-8 or GBK) or XLSX: validate every row, then
record them all in one transaction, or nothing.

Reading the file reuses ``people.importing`` (type checked by content, encodings, size and
row limits, formula-looking cells). Columns (Chinese or English headers):

工号 employee_number · 姓名 full_name (must match the person) · 新职务 position ·
职位类别 position_kind (leading/general/key or 领导职务/一般职务/关键岗位) ·
职级 rank_level (code or name) · 决定日期 decision_date · 到任日期 take_office_date.

Every problem is reported with its row (header = row 1); when there is any, nothing is
written. A row identical to an appointment already recorded (same person, position and
decision date) or to an earlier row of the file is refused as a duplicate.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from courses.models import CoursePage
from people.importing import (
    FORMULA_PREFIXES,
    ImportFileError,
    _cell_text,
    _csv_rows,
    _xlsx_rows,
    file_kind,
)
from people.models import RankLevel, User
from people.selectors import person_list_changeable

from .models import Appointment, AppointmentStatus, PositionKind
from .services.appointments import appointment_create

MAX_ROWS: Final = 2000


@dataclass(frozen=True)
class ImportColumn:
    key: str
    zh: str
    aliases: tuple[str, ...]


COLUMNS: Final = (
    ImportColumn("employee_number", "工号", ("employee number", "员工编号", "职工号")),
    ImportColumn("full_name", "姓名", ("name", "full name")),
    ImportColumn("position", "新职务", ("position", "职务", "拟任职务", "new position")),
    ImportColumn("position_kind", "职位类别", ("kind", "kind of position", "岗位类别")),
    ImportColumn("rank_level", "职级", ("rank", "rank level", "新职级")),
    ImportColumn("decision_date", "决定日期", ("decision date", "任职决定日期", "任免决定日期")),
    ImportColumn("take_office_date", "到任日期", ("take-office date", "任职日期", "上任日期")),
)

KIND_ALIASES: Final = {
    "leading": PositionKind.LEADING,
    "领导职务": PositionKind.LEADING,
    "领导": PositionKind.LEADING,
    "general": PositionKind.GENERAL,
    "一般职务": PositionKind.GENERAL,
    "一般": PositionKind.GENERAL,
    "key": PositionKind.KEY,
    "关键岗位": PositionKind.KEY,
    "关键": PositionKind.KEY,
}


def _norm(text: str) -> str:
    text = text.replace("\ufeff", "").strip().lower()
    text = re.sub("[(\uff08][^)\uff09]*[)\uff09]$", "", text).strip().strip("*\uff0a").strip()
    return re.sub(r"[\s\-_]+", "_", text)


HEADERS: Final = {
    _norm(alias): column.key
    for column in COLUMNS
    for alias in (column.key, column.zh, *column.aliases)
}


@dataclass(frozen=True)
class RowIssue:
    row: int | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class ImportResult:
    issues: list[RowIssue] = field(default_factory=list)
    created: list[Appointment] = field(default_factory=list)


class AppointmentImportRejected(Exception):
    def __init__(self, issues: list[RowIssue]) -> None:
        super().__init__(f"{len(issues)} problem(s)")
        self.issues = issues


def date_parse(text: str) -> datetime.date | None:
    """2026-03-01, 2026/3/1, 2026.3.1, 2026年3月1日, or an Excel date (…T00:00:00)."""
    text = (text or "").strip()
    match = re.fullmatch(
        r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T ]00:00(?::00)?)?", text
    )
    if not match:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _rows(name: str, data: bytes) -> Iterator[list[str]]:
    if file_kind(name=name, data=data) == "xlsx":
        yield from _xlsx_rows(data)
    else:
        rows, _encoding = _csv_rows(data)
        yield from rows


def file_records(*, name: str, data: bytes) -> tuple[list[dict[str, Any]], list[RowIssue]]:
    """Records keyed by column, and header problems. Raises ImportFileError for a file
    that cannot be read at all."""
    from people.importing import Issue

    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError(Issue("file_empty"))
    rows = _rows(name, data)
    header: list[str] | None = None
    header_row = 0
    for header_row, cells in enumerate(rows, start=1):  # noqa: B007
        if any(_cell_text(c) for c in cells):
            header = [_cell_text(c) for c in cells]
            break
    if header is None:
        raise ImportFileError(Issue("file_empty"))
    issues: list[RowIssue] = []
    positions: dict[str, int] = {}
    for index, text in enumerate(header):
        if not text:
            continue
        key = HEADERS.get(_norm(text))
        if key is None:
            issues.append(
                RowIssue(header_row, _("Unknown column “%(header)s”.") % {"header": text[:40]})
            )
        elif key in positions:
            issues.append(
                RowIssue(
                    header_row,
                    _("The column “%(header)s” appears more than once.") % {"header": text[:40]},
                )
            )
        else:
            positions[key] = index
    for column in COLUMNS:
        if column.key not in positions:
            issues.append(
                RowIssue(
                    header_row,
                    _("The required column “%(label)s” is missing.")
                    % {"label": f"{column.zh} / {column.key}"},
                )
            )
    records: list[dict[str, Any]] = []
    for row_number, cells in enumerate(rows, start=header_row + 1):
        texts = [_cell_text(c) for c in cells]
        if not any(texts):
            continue
        if len(records) >= MAX_ROWS:
            issues.append(
                RowIssue(None, _("The file has more than %(limit)s rows.") % {"limit": MAX_ROWS})
            )
            break
        record: dict[str, Any] = {"row": row_number}
        for key, index in positions.items():
            record[key] = texts[index] if index < len(texts) else ""
        record["_formula"] = any(t.startswith(FORMULA_PREFIXES) for t in texts)
        records.append(record)
    if not records and not issues:
        issues.append(RowIssue(None, _("The file has a header row but no appointments.")))
    return records, issues


def records_validate(
    *, viewer: User, records: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[RowIssue]]:
    """Check every record (a handful of queries); returns the service arguments per row
    and every problem found."""
    numbers = {r.get("employee_number", "").strip() for r in records} - {""}
    people = {
        u.employee_number: u
        for u in person_list_changeable(viewer=viewer).filter(
            is_active=True, employee_number__in=sorted(numbers)
        )
    }
    ranks: dict[str, RankLevel] = {}
    for level in RankLevel.objects.all():
        ranks[level.code.lower()] = level
        ranks[level.name.lower()] = level
    existing = set(
        Appointment.objects.filter(person__in=list(people.values()))
        .exclude(status=AppointmentStatus.CANCELLED)
        .values_list("person_id", "position_title", "decision_date")
    )
    issues: list[RowIssue] = []
    plans: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for record in records:
        row = record["row"]
        problems: list[str] = []
        if record.get("_formula"):
            problems.append(
                _("A cell may not start with =, +, - or @: it looks like a spreadsheet formula.")
            )
        number = record.get("employee_number", "").strip()
        person = people.get(number) if number else None
        if not number:
            problems.append(_("The employee number is missing."))
        elif person is None:
            problems.append(
                _("Nobody with the employee number “%(value)s” in your scope.")
                % {"value": number[:40]}
            )
        elif record.get("full_name", "").strip() != person.full_name:
            problems.append(
                _("The name “%(value)s” does not match the person with this employee number.")
                % {"value": record.get("full_name", "").strip()[:40]}
            )
        position = record.get("position", "").strip()
        if not position:
            problems.append(_("The new position is missing."))
        elif len(position) > 120:
            problems.append(
                _("The position is too long: at most %(max)s characters.") % {"max": 120}
            )
        kind_text = record.get("position_kind", "").strip()
        kind = KIND_ALIASES.get(kind_text.lower()) if kind_text else PositionKind.LEADING
        if kind is None:
            problems.append(
                _("Unknown kind of position “%(value)s”. Use one of: %(choices)s.")
                % {
                    "value": kind_text[:40],
                    "choices": "领导职务 leading, 一般职务 general, 关键岗位 key",
                }
            )
        rank_text = record.get("rank_level", "").strip()
        rank = ranks.get(rank_text.lower())
        if rank is None:
            problems.append(
                _("Unknown rank level “%(value)s”.") % {"value": rank_text[:40]}
                if rank_text
                else _("The rank level is missing.")
            )
        decision = date_parse(record.get("decision_date", ""))
        take_office = date_parse(record.get("take_office_date", ""))
        if decision is None:
            problems.append(
                _("The decision date “%(value)s” is not a date (use 2026-03-01).")
                % {"value": record.get("decision_date", "")[:40]}
            )
        if take_office is None:
            problems.append(
                _("The take-office date “%(value)s” is not a date (use 2026-03-01).")
                % {"value": record.get("take_office_date", "")[:40]}
            )
        if decision and take_office and take_office < decision:
            problems.append(_("The take-office date cannot be before the decision date."))
        if person is not None and position and decision:
            key = (person.pk, position, decision)
            if key in seen:
                problems.append(
                    _("The same appointment already appears in row %(other)s.")
                    % {"other": seen[key]}
                )
            elif key in existing:
                problems.append(_("This appointment has already been recorded."))
            seen.setdefault(key, row)
        issues.extend(RowIssue(row, message) for message in problems)
        if not problems:
            plans.append(
                {
                    "row": row,
                    "person": person,
                    "position_title": position,
                    "position_kind": kind,
                    "rank_level": rank,
                    "decision_date": decision,
                    "take_office_date": take_office,
                }
            )
    return plans, issues


def appointments_import(
    *, viewer: User, name: str, data: bytes, course: CoursePage
) -> ImportResult:
    """Validate the file and, when every row is fine, record every appointment in one
    transaction. Raises ImportFileError (unreadable file) or AppointmentImportRejected
    (every problem, by row); nothing is written then."""
    records, issues = file_records(name=name, data=data)
    plans, row_issues = records_validate(viewer=viewer, records=records)
    issues += row_issues
    if issues:
        raise AppointmentImportRejected(issues)
    result = ImportResult()
    with transaction.atomic():
        errors: list[RowIssue] = []
        for plan in plans:
            row = plan.pop("row")
            try:
                with transaction.atomic():
                    appointment = appointment_create(by=viewer, course=course, **plan)
            except ValidationError as exc:
                errors.extend(RowIssue(row, message) for message in exc.messages)
                continue
            result.created.append(appointment)
        if errors:
            transaction.set_rollback(True)
            raise AppointmentImportRejected(errors)
    return result


def template_rows() -> list[list[str]]:
    return [
        [c.zh for c in COLUMNS],
        ["10001", "张三", "副科长", "领导职务", "FKJ", "2026-03-01", "2026-03-15"],
    ]
