"""Bytes of a submitted file → sheets of cell values, or file-level findings.

Pure: nothing here touches the filesystem. Spreadsheets are read with python-calamine,
which sniffs the content (so an .et file from WPS, really xls or xlsx inside, reads too),
once the safety scan (safety.py) has found nothing to refuse; a huge xlsx worksheet is
streamed (xlsx_stream.py). CSV is decoded here (UTF-8 with or without BOM, UTF-16 from
Excel's "Unicode text", else GB18030, the superset of GBK that WPS on Chinese Windows writes).
"""

from __future__ import annotations

import csv
import html
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

from pipeline.config import Limits
from pipeline.intake import findings, safety
from pipeline.intake.xlsx_stream import NotStreamable, SlicedWorkbook
from pipeline.model import MADE_ON_PROPERTY, Finding

log = logging.getLogger("sancha.read")

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".et", ".csv")

_CSV_DELIMITERS = (",", "\t", ";")
_MB = 1024 * 1024
# A worksheet whose XML is larger than this is read a slice of rows at a time (xlsx_stream), never
# whole: a sheet of ≈ 20,000 rows as Excel writes it; ordinary files stay on calamine's whole read.
STREAM_MIN_BYTES = 32 * _MB


@dataclass(frozen=True)
class Sheet:
    """One worksheet: `rows[r][c]` is the cell at 0-based row r, column c (A1 = rows[0][0]).

    A huge worksheet's `rows` is not a list but rows streamed anew on every iteration (only
    iterate it; rows may then be shorter than the widest one, a row without cells is [], and a
    cell that is '' because of a formula without its value or an error value is an
    `cells.EmptyCell`)."""

    name: str
    rows: list[list] | Iterable[list]  # str / int / float / bool / date / datetime / time / timedelta; '' when empty
    merged: tuple[tuple[int, int, int, int], ...] = ()  # (r0, c0, r1, c1), 0-based, inclusive
    visible: bool = True
    # the workbook holds a formula or an error cell somewhere: a cell read as '' may not be blank
    may_hide_values: bool = False

    @property
    def streamed(self) -> bool:
        return not isinstance(self.rows, list)


def read_workbook(data: bytes, filename: str, limits: Limits, *,
                  whole: bool = False) -> tuple[list[Sheet], list[Finding]]:
    """Read every worksheet of a submitted file; on failure, no sheets and one file-level finding.

    An xlsx with a worksheet of more than STREAM_MIN_BYTES of XML gets streamed sheets (see
    `Sheet`), unless `whole`: the caller met a sheet the streaming cannot read exactly."""
    name = PurePath(filename).name
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SPREADSHEET_SUFFIXES:
        return [], [findings.UNSUPPORTED_FORMAT.at(file=name, suffix=suffix or "无")]
    if len(data) > limits.max_file_mb * _MB:
        return [], [findings.FILE_TOO_LARGE.at(file=name, size_mb=len(data) / _MB, limit_mb=limits.max_file_mb)]
    if not data:
        return [], [findings.UNREADABLE_FILE.at(form="empty", file=name)]
    if suffix == ".csv":
        rows = _csv_rows(data, name, limits)
        if isinstance(rows, Finding):
            return [], [rows]
        sheets = [Sheet(PurePath(filename).stem, rows)]
        filled = any(_has_value(s.rows) for s in sheets)
    else:
        problem, scan = safety.scan(data, name, limits)
        if problem:
            return [], [problem]
        try:
            sheets, filled = _spreadsheet(data, scan, whole)
        except PasswordError:
            return [], [findings.ENCRYPTED_FILE.at(file=name)]
        except Exception:  # calamine's other errors carry no reason a unit could act on
            return [], [findings.UNREADABLE_FILE.at(form="damaged", file=name)]
    if not filled:
        return [], [findings.EMPTY_WORKBOOK.at(file=name)]
    return sheets, []


_PROPERTY = (rb'<(?:\w+:)?property[^>]*name="%s"[^>]*>\s*<(?:\w+:)?lpwstr[^>]*>([^<]*)</(?:\w+:)?lpwstr>')
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def custom_property(data: bytes, name: str) -> str | None:
    """The text of a workbook's custom document property `name` (one sancha wrote), if any.
    Read from docProps/custom.xml by pattern, no XML parser: a small part, its text checked."""
    if not data.startswith(b"PK"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            info = z.getinfo("docProps/custom.xml")
            if info.file_size > 64 * 1024:
                return None
            m = re.search(_PROPERTY % re.escape(name.encode()), z.read(info))
    except (KeyError, zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return None
    return html.unescape(m[1].decode("utf-8", "replace")) if m else None


def made_on(data: bytes) -> date | None:
    """The day sancha made this workbook (its document property `sancha_made_on`), if it did."""
    text = custom_property(data, MADE_ON_PROPERTY)
    if text is None or not _DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def streams(data: bytes) -> bool:
    """Whether `read_workbook` streams this file's sheets: an xlsx with a worksheet of more than
    STREAM_MIN_BYTES of XML (decided from the zip's directory alone)."""
    if not data.startswith(safety.ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(e.file_size > STREAM_MIN_BYTES for e in archive.infolist() if safety.is_worksheet(e.filename))
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def _spreadsheet(data: bytes, scan: safety.Scan, whole: bool) -> tuple[list[Sheet], bool]:
    """The worksheets, streamed when one is huge (and the streaming can read them exactly), and
    whether any cell holds a value (for a streamed sheet: its first rows read, so a broken start
    shows now). Calamine's errors are raised."""
    if not whole and scan.largest_sheet > STREAM_MIN_BYTES:
        try:
            book = SlicedWorkbook(data, scan.hides_values)
            sheets = [Sheet(name, _Rows(book, name), book.merged(name), visible == SheetVisibleEnum.Visible,
                            scan.hides_values)
                      for name, typ, visible in book.sheets if typ == SheetTypeEnum.WorkSheet]
            return sheets, any(_has_value(s.rows) for s in sheets)
        except NotStreamable as e:
            log.info("按整表读取（无法分段读取：%s）", e)
    sheets = _calamine_sheets(data, scan.hides_values)
    return sheets, any(_has_value(s.rows) for s in sheets)


def _calamine_sheets(data: bytes, may_hide_values: bool = False) -> list[Sheet]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheets = []
    for meta in workbook.sheets_metadata:
        if meta.typ != SheetTypeEnum.WorkSheet:
            continue
        sheet = workbook.get_sheet_by_name(meta.name)
        # skip_empty_area=False keeps rows[0][0] at A1, so cell names in findings are right
        rows = sheet.to_python(skip_empty_area=False)
        merged = tuple((r0, c0, r1, c1) for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or ())
        sheets.append(Sheet(meta.name, rows, merged, meta.visible == SheetVisibleEnum.Visible, may_hide_values))
    return sheets


class _Rows:
    """A streamed worksheet's rows: every iteration reads the sheet again, a slice at a time."""

    def __init__(self, book: SlicedWorkbook, name: str):
        self._book, self._name = book, name

    def __iter__(self) -> Iterator[list]:
        return self._book.rows(self._name)


def _csv_rows(data: bytes, name: str, limits: Limits) -> list[list] | Finding:
    """The rows of a CSV file, padded to one width — or the finding of a file whose grid would
    not fit `max_sheet_cells`: the fields are bounded by the delimiters and line ends before any
    row is made (45 MB of newlines is refused at once), then the grid row by row; blank lines
    are counted, not kept, until a row with cells follows (blank lines at the end are dropped,
    as calamine drops empty rows at the end of a sheet)."""
    text = _decode(data)
    sample = text[:8192]
    delimiter = max(_CSV_DELIMITERS, key=sample.count)  # ties keep the comma, listed first
    limit = min(limits.max_sheet_cells, limits.max_workbook_cells)
    lines, fields = text.count("\n") + text.count("\r") + 1, text.count(delimiter) + 1
    if fields > limit or lines > 2 * limit:  # \r\n counts twice
        return findings.SHEET_TOO_LARGE.at(form="csv", file=name, rows=1 if fields > limit else lines // 2,
                                           cols=fields if fields > limit else 1)
    rows: list[list] = []
    width = blank = 0
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        if not row:
            blank += 1
            continue
        if blank:
            rows.extend([] for _ in range(blank))
            blank = 0
        rows.append(row)
        width = max(width, len(row))
        if len(rows) * width > limit:
            return findings.SHEET_TOO_LARGE.at(form="csv", file=name, rows=len(rows), cols=width)
    return [r + [""] * (width - len(r)) for r in rows]


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _has_value(rows: Iterable[list]) -> bool:
    return any(v != "" and not (isinstance(v, str) and v.isspace()) for row in rows for v in row)
