"""Spreadsheet export helpers shared by every app: formula escaping, streamed CSV and
write-only XLSX."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import FileResponse, StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """Neutralise a cell a spreadsheet would run as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


#: Rows written into one chunk of a streamed CSV: the response's per-chunk cost (encoding,
#: the WSGI write) then vanishes, and memory stays flat (a chunk is a few tens of kB).
CSV_CHUNK_ROWS = 500


def stream_csv(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A CSV download written as the rows come: memory stays flat however many rows there
    are. Starts with a UTF-8 BOM so Excel opens Chinese text correctly. Every cell is
    escaped like ``escape_cell`` (inlined: this loop runs once per cell)."""

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([escape_cell(h) for h in header])
        yield "\ufeff" + buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        writerow, prefixes, pending = writer.writerow, FORMULA_PREFIXES, 0
        for row in rows:
            writerow(
                [
                    ("'" + v if v.startswith(prefixes) else v)
                    if isinstance(v, str)
                    else ("" if v is None else v)
                    for v in row
                ]
            )
            pending += 1
            if pending == CSV_CHUNK_ROWS:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
                pending = 0
        if pending:
            yield buffer.getvalue()

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(
    *, filename: str, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> FileResponse:
    """An XLSX download built in openpyxl's write-only mode (memory stays flat; the file
    spools to disk past 8 MB), every cell escaped like the CSV export."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([escape_cell(h) for h in header])
    for row in rows:
        sheet.append([escape_cell(v) for v in row])
    buffer = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    workbook.save(buffer)
    buffer.seek(0)
    response = FileResponse(
        buffer, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
    response["Cache-Control"] = "no-store"
    return response
