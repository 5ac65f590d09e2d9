"""Import a paper sign-in sheet (签到表) typed into CSV or XLSX: all rows or nothing.

Columns (header names in Chinese or English, any order): 工号 / employee number *or*
邮箱 / e-mail (one of the two), 姓名 / name, 状态 / status (出席 到 迟到 请假 缺席, or
present, late, excused, absent), and optionally 时间 / time (``HH:MM`` on the event's
day, or a full date and time).

Decisions:

- A person must be on the event's roster for the importer (in the audience, registered,
  or already checked in) *and* in the importer's scope. Anyone else is an error on that
  row, with one message whether or not such a person exists (no probing of who exists);
  walk-ins are recorded by scanning the code, not from a sheet.
- The name must match the person found by number or e-mail (a typo in either is caught).
- A person listed twice, an unknown status, a bad time or a formula-looking cell is an
  error. Any error: nothing is written, every error is listed with its row.
- Rows are applied with ``attendance_mark(method=sheet)`` inside one transaction, so the
  ledger follows and a re-import of the same sheet changes nothing.

File reading (size limit, UTF-8/GBK CSV, XLSX, empty file) reuses
``people.importing``'s readers and messages.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from people.importing import (
    FORMULA_PREFIXES,
    ImportFileError,
    Issue,
    _cell_text,
    _csv_rows,
    _xlsx_rows,
    file_kind,
)
from people.models import User

from ..models import AttendanceMethod, AttendanceStatus, Event
from ..selectors.attendance import roster_markable
from .attendance import attendance_mark

MAX_ROWS: Final = 5_000

HEADERS: Final[dict[str, str]] = {
    "工号": "employee_number",
    "员工编号": "employee_number",
    "职工号": "employee_number",
    "employee_number": "employee_number",
    "employee_no": "employee_number",
    "邮箱": "email",
    "电子邮箱": "email",
    "电子邮件": "email",
    "email": "email",
    "e_mail": "email",
    "姓名": "full_name",
    "name": "full_name",
    "full_name": "full_name",
    "状态": "status",
    "出勤": "status",
    "出勤情况": "status",
    "签到状态": "status",
    "status": "status",
    "attendance": "status",
    "时间": "time",
    "签到时间": "time",
    "time": "time",
    "checked_in_at": "time",
}

STATUS_WORDS: Final[dict[str, str]] = {
    "出席": AttendanceStatus.PRESENT,
    "到": AttendanceStatus.PRESENT,
    "已到": AttendanceStatus.PRESENT,
    "签到": AttendanceStatus.PRESENT,
    "present": AttendanceStatus.PRESENT,
    "迟到": AttendanceStatus.LATE,
    "late": AttendanceStatus.LATE,
    "请假": AttendanceStatus.EXCUSED,
    "excused": AttendanceStatus.EXCUSED,
    "缺席": AttendanceStatus.ABSENT,
    "未到": AttendanceStatus.ABSENT,
    "absent": AttendanceStatus.ABSENT,
}


def _header_norm(text: str) -> str:
    text = text.replace("\ufeff", "").strip().lower()
    text = re.sub("[(\uff08][^)\uff09]*[)\uff09]$", "", text).strip().strip("*\uff0a").strip()
    return re.sub(r"[\s\-_]+", "_", text)


@dataclass(frozen=True)
class SheetIssue:
    row: int | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


class SheetRejected(Exception):
    def __init__(self, issues: list[SheetIssue]) -> None:
        super().__init__(f"{len(issues)} problem(s)")
        self.issues = issues


@dataclass(frozen=True)
class SheetRow:
    row: int
    person: User
    status: str
    at: dt.datetime | None


@dataclass(frozen=True)
class SheetOutcome:
    rows: int


def _read(*, name: str, data: bytes) -> list[list[str]]:
    limit = settings.QINGLIAN_IMPORT_MAX_BYTES
    if len(data) > limit:
        from django.template.defaultfilters import filesizeformat

        raise ImportFileError(Issue("file_too_large", params={"limit": filesizeformat(limit)}))
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError(Issue("file_empty"))
    if file_kind(name=name, data=data) == "xlsx":
        rows = list(_xlsx_rows(data))
    else:
        rows = [[_cell_text(c) for c in r] for r in _csv_rows(data)[0]]
    rows = [r for r in rows if any(r)]
    if not rows:
        raise ImportFileError(Issue("file_empty"))
    return rows


_CLOCK_RE: Final = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_STAMP_RE: Final = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$"
)


def _parse_time(text: str, *, event: Event) -> dt.datetime | None:
    """``HH:MM[:SS]`` on the event's (local) day, or ``YYYY-MM-DD HH:MM[:SS]``; local
    time (Asia/Shanghai). ``None`` when the text is not a time."""
    tz = timezone.get_current_timezone()
    text = text.strip().replace("/", "-")
    try:
        if match := _CLOCK_RE.match(text):
            day = timezone.localtime(event.starts_at, tz).date()
            hour, minute, second = (int(g or 0) for g in match.groups())
            return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=tz)
        if match := _STAMP_RE.match(text):
            y, mo, d, h, mi, sec = (int(g or 0) for g in match.groups())
            return dt.datetime(y, mo, d, h, mi, sec, tzinfo=tz)
    except ValueError:
        return None
    return None


def sheet_validate(*, event: Event, viewer: Any, name: str, data: bytes) -> list[SheetRow]:
    """The rows of the sheet, each resolved to a person; :class:`SheetRejected` with every
    problem, or ``ImportFileError`` for a file that cannot be read at all."""
    rows = _read(name=name, data=data)
    header, body = rows[0], rows[1:]
    issues: list[SheetIssue] = []
    positions: dict[str, int] = {}
    for index, text in enumerate(header):
        if not text:
            continue
        key = HEADERS.get(_header_norm(text))
        if key is None:
            issues.append(SheetIssue(1, _("Unknown column “%(header)s”.") % {"header": text[:40]}))
        elif key in positions:
            issues.append(
                SheetIssue(
                    1, _("The column “%(header)s” appears more than once.") % {"header": text[:40]}
                )
            )
        else:
            positions[key] = index
    if "employee_number" not in positions and "email" not in positions:
        issues.append(SheetIssue(1, _("Add a column 工号 (employee number) or 邮箱 (e-mail).")))
    for key, label in (("full_name", "姓名 / name"), ("status", "状态 / status")):
        if key not in positions:
            issues.append(
                SheetIssue(1, _("The required column “%(label)s” is missing.") % {"label": label})
            )
    if issues:
        raise SheetRejected(issues)
    if not body:
        raise SheetRejected([SheetIssue(None, _("The file has a header row but no people."))])
    if len(body) > MAX_ROWS:
        raise SheetRejected(
            [SheetIssue(None, _("The file has more than %(limit)s rows.") % {"limit": MAX_ROWS})]
        )

    def cell(cells: list[str], key: str) -> str:
        index = positions.get(key)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    numbers = {cell(r, "employee_number") for r in body} - {""}
    emails = {cell(r, "email").lower() for r in body} - {""}
    candidates = roster_markable(event=event, viewer=viewer).only(
        "pk", "full_name", "employee_number", "email"
    )
    by_number: dict[str, User] = {}
    by_email: dict[str, User] = {}
    if numbers:
        by_number = {
            str(u.employee_number): u
            for u in candidates.filter(employee_number__in=sorted(numbers))
        }
    if emails:
        by_email = {u.email.lower(): u for u in candidates.filter(email__in=sorted(emails))}

    out: list[SheetRow] = []
    seen: dict[int, int] = {}
    choices = "出席、迟到、请假、缺席 / present, late, excused, absent"
    for row_number, cells in enumerate(body, start=2):
        row_issues: list[str] = []
        if any(c.startswith(FORMULA_PREFIXES) for c in cells):
            issues.append(
                SheetIssue(
                    row_number,
                    _(
                        "A cell may not start with =, +, - or @: it looks like a spreadsheet formula."
                    ),
                )
            )
            continue
        number, email = cell(cells, "employee_number"), cell(cells, "email").lower()
        name_text, status_text = cell(cells, "full_name"), cell(cells, "status")
        person = by_number.get(number) if number else None
        if person is None and email:
            person = by_email.get(email)
        if not number and not email:
            row_issues.append(_("The employee number or e-mail is missing."))
        elif person is None:
            row_issues.append(
                _(
                    "Nobody with this employee number or e-mail is on this event's roster "
                    "(in the audience or registered) within your scope."
                )
            )
        elif "".join(name_text.split()) != "".join(person.full_name.split()):
            row_issues.append(
                _("The name “%(name)s” does not match this person (%(expected)s).")
                % {"name": name_text[:40], "expected": person.full_name}
            )
        elif person.pk in seen:
            row_issues.append(
                _("This person already appears in row %(other)s.") % {"other": seen[person.pk]}
            )
        status = STATUS_WORDS.get(status_text.strip().lower())
        if status is None:
            row_issues.append(
                _("Unknown status “%(value)s”. Use one of: %(choices)s.")
                % {"value": status_text[:40], "choices": choices}
            )
        at = None
        time_text = cell(cells, "time")
        if time_text:
            at = _parse_time(time_text, event=event)
            if at is None:
                row_issues.append(
                    _("“%(value)s” is not a time: write HH:MM or YYYY-MM-DD HH:MM.")
                    % {"value": time_text[:40]}
                )
        if row_issues:
            issues.extend(SheetIssue(row_number, m) for m in row_issues)
            continue
        assert person is not None and status is not None
        seen[person.pk] = row_number
        out.append(SheetRow(row=row_number, person=person, status=status, at=at))
    if issues:
        raise SheetRejected(issues)
    return out


def sheet_import(*, event: Event, viewer: Any, name: str, data: bytes) -> SheetOutcome:
    """Validate the whole sheet, then apply every row in one transaction (all or
    nothing). Raises :class:`SheetRejected` or ``ImportFileError``; nothing is written
    then."""
    rows = sheet_validate(event=event, viewer=viewer, name=name, data=data)
    with transaction.atomic():
        for row in rows:
            attendance_mark(
                event=event,
                user=row.person,
                status=row.status,
                by=viewer,
                method=AttendanceMethod.SHEET,
                checked_in_at=row.at if row.status != AttendanceStatus.EXCUSED else None,
            )
    return SheetOutcome(rows=len(rows))
