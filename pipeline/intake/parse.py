"""One submitted file → `model.Submission`: every row read, normalised and checked, without the ledger.

Every finding is collected (never only the first), each naming its sheet and cell. Checks that
need the ledger (an 编号 it does not know, another unit's 编号) belong to merge.py.

`stream_submission` reads the same way a chunk of rows at a time, for ingest to merge and store
one chunk while the next is read: a huge sheet (streamed by read.py) is then never whole in
memory. One pass over the rows finds the header's layout (data rows, footer, 填报日期), a second
one checks the rows; checks across rows (a problem listed twice, who submits) carry over from
chunk to chunk. `parse_submission` is the stream with every row kept.
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import PurePath

from pipeline import model
from pipeline.config import Config
from pipeline.intake import findings
from pipeline.intake.cells import (
    FORMULA_WITHOUT_VALUE,
    EmptyCell,
    cell_name,
    column_letters,
    column_number,
    empty_cell_causes,
)
from pipeline.intake.header import (
    FIELD_LABELS,
    FIELD_NAMES,
    REQUIRED_FIELDS,
    Header,
    Layout,
    MetaValue,
    is_data_sheet,
    layout,
    read_meta,
    top_header,
)
from pipeline.intake.normalize import (
    TRIM,
    Deadline,
    Unreadable,
    clean_text,
    is_blank,
    parse_date,
    parse_deadline,
    parse_item_id,
    parse_status,
    squeeze,
)
from pipeline.intake.read import Sheet, read_workbook
from pipeline.intake.units import directory, split_units
from pipeline.intake.xlsx_stream import NotStreamable
from pipeline.model import ERROR, Cells, Finding, Row, Submission, new_row

log = logging.getLogger("sancha.parse")

CHUNK_ROWS = 2000  # rows of a streamed sheet checked and handed on together
_A1 = re.compile(r"([A-Z]+)(\d+)")


def parse_submission(
    data: bytes, filename: str, config: Config, *, folder_unit: str | None = None, received: date
) -> Submission:
    """Read and check one file. `folder_unit` is the inbox/<unit>/ folder it came from, if any;
    `received` the day it arrived. Never raises: a file that cannot be read is one finding."""
    stream = stream_submission(data, filename, config, folder_unit=folder_unit, received=received)
    rows = tuple(row for chunk in stream.chunks() for row in chunk)
    return stream.result(rows)


def stream_submission(
    data: bytes, filename: str, config: Config, *, folder_unit: str | None = None, received: date
) -> SubmissionStream:
    """`parse_submission`, the rows a chunk at a time (see `SubmissionStream`). Never raises."""
    try:
        try:
            return _Parser(config, filename, folder_unit, received).start(data)
        except NotStreamable as e:  # the first pass over a streamed sheet met what only a whole read reads right
            log.info("%s 按整表重新读取（%s）", filename, e)
            return _Parser(config, filename, folder_unit, received, whole=True).start(data)
    except Exception:  # any input bytes must give a receipt, not a traceback; the admin gets the log
        log.exception("读取 %s 时出错", filename)
        return SubmissionStream.of(_unreadable(filename))


def _unreadable(filename: str) -> Submission:
    finding = findings.UNREADABLE_FILE.at(file=PurePath(filename).name)
    return Submission(filename, None, None, None, None, None, (), (finding,))


class SubmissionStream:
    """A file read and checked a chunk of rows at a time.

    Known before the rows: `filename`, `sheet`, `report_date`, `inspection`, and `unit`, the
    submitting unit — final, except when only the rows' lead units can name it: then it is the
    first lead unit met, which is the file's unit whenever the file passes. `chunks()` gives the
    checked rows, once; after them `result(rows)` is the Submission with every finding (and the
    rows given, which a caller that stored each chunk leaves out). `known` is the Submission when
    it was complete from the start (a file parsed beforehand), else None."""

    def __init__(self, parser: _Parser | None, known: Submission | None = None):
        self._parser, self.known = parser, known
        self._failed: Submission | None = None
        source = known or parser
        self.filename, self.sheet = source.filename, source.sheet
        self.report_date, self.inspection = source.report_date, source.inspection

    @classmethod
    def of(cls, submission: Submission) -> SubmissionStream:
        """A file read and checked whole already: its rows in one chunk."""
        return cls(None, submission)

    @property
    def unit(self) -> str | None:
        return self.known.unit if self.known else self._parser.unit

    def chunks(self) -> Iterator[tuple[Row, ...]]:
        if self.known is not None:
            if self.known.rows:
                yield self.known.rows
            return
        try:
            yield from self._parser.chunks()
        except Exception:  # as in parse_submission: the file gets a receipt saying it cannot be read
            log.exception("读取 %s 时出错", self.filename)
            self._failed = _unreadable(self.filename)

    def result(self, rows: tuple[Row, ...] = ()) -> Submission:
        if self.known is not None:
            return self.known
        return self._failed or self._parser.submission(rows)


@dataclass
class _Submitter:
    unit: str | None = None
    cell: str | None = None
    settled: bool = False  # a source named the submitter (rightly or not): no later fallback


class _Parser:
    def __init__(self, config: Config, filename: str, folder_unit: str | None, received: date, whole: bool = False):
        self.config = config
        self.units = directory(config)
        self.filename = filename
        self.folder_unit = folder_unit
        self.received = received
        self.whole = whole  # read every sheet whole, even a huge one
        self.findings = _Findings(config.limits.max_findings)
        self.sheet: str | None = None
        self.report_date: date | None = None
        self.inspection: str | None = None
        self.submitter = _Submitter()
        self.letters: dict[str, str] = {}
        self.empty_required: list[tuple[str, str, object]] = []  # (cell, field, value) of required cells read as blank
        self.first_seen: dict[bytes | str, int] = {}  # problem key (or its digest) → the row it was first listed in
        self.leads: list[str] = []  # the rows' registered lead units, in order met, when only they can name the submitter
        self._rows: tuple[Sheet, Layout, date] | None = None  # what the rows pass reads, if any
        self._data = b""

    def start(self, data: bytes) -> SubmissionStream:
        """Everything before the rows: the workbook read, the header and its layout found (one pass
        over the rows), meta lines, who submits, the file-level checks."""
        sheets, file_findings = read_workbook(data, self.filename, self.config.limits, whole=self.whole)
        if file_findings:
            self.findings.extend(file_findings)
            self.submitter = _Submitter(self._unit_unread(), settled=True)
            return SubmissionStream(self)
        header, sheet = self._choose_header(sheets)
        if header is None:
            self.submitter = _Submitter(self._unit_unread(), settled=True)
            return SubmissionStream(self)
        self.sheet = sheet.name
        top = list(islice(sheet.rows, header.row + 1))  # the meta lines and the header
        for f in header.missing:
            self._missing_column(_header_cell(top, header), f)

        rows = iter(sheet.rows)
        table = layout(header, rows)
        if sheet.streamed:  # read to the end, as calamine reads every sheet whole: a broken one shows now
            for other in (rows, *(s.rows for s in sheets if s is not sheet)):
                for _ in other:
                    pass
        header = table.header
        meta = read_meta((r, top[r]) for r in range(header.first_row))
        meta = {**read_meta(table.footer), **meta}
        self.report_date = self._report_date(meta.get("report_date"))
        self.inspection = clean_text(meta["inspection"].value) if "inspection" in meta else None
        self.submitter = self._submitter(meta.get("unit"))

        if not table.data_rows:
            self._report(findings.NO_ROWS, _header_cell(top, header))
        limit = self.config.limits.max_rows
        if len(table.data_rows) > limit:  # no cell: the rejected copy is not marked up, which would take minutes
            self._report(findings.TOO_MANY_ROWS, None, rows=len(table.data_rows), limit=limit)
            return SubmissionStream(self)
        self.letters = {f: column_letters(c) for f, c in header.columns.items()}  # field → column letters
        self._rows = (sheet, table, self.report_date or self.received)
        self._data = data
        return SubmissionStream(self)

    @property
    def unit(self) -> str | None:
        return self.submitter.unit or (self.leads[0] if self.leads else None)

    def chunks(self) -> Iterator[tuple[Row, ...]]:
        """The second pass: the data rows, merged cells filled down, checked a chunk at a time."""
        if self._rows is None:
            return
        sheet, table, submitted_on = self._rows
        header = table.header
        size = CHUNK_ROWS if sheet.streamed else max(len(table.data_rows), 1)
        fill = _MergedDown(sheet.merged, header.row) or None
        fields = _Fields(header.columns)
        wanted = iter(table.data_rows)
        next_row = next(wanted, None)
        batch: list[tuple[int, list]] = []
        for r, raw in islice(enumerate(sheet.rows), header.row + 1, None):
            if next_row is None:
                break
            if fill:
                fill(r, raw, r == next_row)
            if r == next_row:
                batch.append((r, raw))
                next_row = next(wanted, None)
                if len(batch) == size:
                    yield self._checked(batch, header, fields, submitted_on)
                    batch = []
        if batch:
            yield self._checked(batch, header, fields, submitted_on)
        self._settle_submitter()

    def _checked(self, batch: list[tuple[int, list]], header: Header, fields: _Fields,
                 submitted_on: date) -> tuple[Row, ...]:
        rows = [self._row(raw, r, fields, submitted_on) for r, raw in batch]
        self._report_empty_cells(batch, header)
        self._check_duplicates(rows)
        self._check_lead_units(rows)
        return tuple(rows)

    def submission(self, rows: tuple[Row, ...]) -> Submission:
        return Submission(
            filename=self.filename,
            sheet=self.sheet,
            unit=self.submitter.unit,
            unit_cell=self.submitter.cell,
            report_date=self.report_date,
            inspection=self.inspection,
            rows=rows,
            findings=self.findings.capped(self.sheet),
        )

    # ------------------------------------------------------------ the sheet and its header

    def _choose_header(self, sheets: list[Sheet]) -> tuple[Header | None, Sheet | None]:
        found = [(h, s) for s in sheets if is_data_sheet(s) for h in [top_header(s)] if h]
        if not found:
            names = "、".join(FIELD_NAMES[f] for f in REQUIRED_FIELDS)
            first = next((s.name for s in sheets if s.visible), sheets[0].name)
            self.findings.append(findings.NO_HEADER.at(first, file=PurePath(self.filename).name, fields=names))
            return None, None
        header, sheet = max(found, key=lambda hs: (hs[1].visible, hs[0].score))
        for other, other_sheet in found:
            if other_sheet is not sheet and other_sheet.visible:
                self.findings.append(findings.IGNORED_SHEET.at(
                    other_sheet.name, cell_name(other.row, 0), other=other_sheet.name, chosen=sheet.name))
        return header, sheet

    def _report_date(self, meta: MetaValue | None) -> date | None:
        if meta is None or (isinstance(meta.value, str) and not any(ch.isdigit() for ch in meta.value)):
            return None  # absent, or the template's blank 年 月 日
        try:
            return parse_date(meta.value)
        except Unreadable as e:
            self._report(findings.BAD_REPORT_DATE, meta.cell, text=clean_text(meta.value), hint=e.hint)
            return None

    # ------------------------------------------------------------ who submits

    def _submitter(self, meta: MetaValue | None) -> _Submitter:
        folder = self.units.canonical(self.folder_unit) if self.folder_unit else None
        if meta is not None:
            text = clean_text(meta.value)
            unit = self.units.canonical(text)
            if unit is None:
                self._report(findings.UNKNOWN_SUBMITTER, meta.cell, text=text, hint=self.units.did_you_mean(text))
            elif folder and folder != self.config.office_name and unit != folder:
                self._report(findings.SUBMITTER_MISMATCH, meta.cell, text=text, folder=self.folder_unit, unit=unit,
                             folder_unit=folder)
            return _Submitter(unit, meta.cell, settled=True)
        if self.folder_unit:
            if folder is None:
                self.findings.append(findings.UNKNOWN_SUBMITTER.at(form="folder", folder=self.folder_unit))
            return _Submitter(folder, None, settled=True)
        return _Submitter(self._unit_in_filename())

    def _unit_unread(self) -> str | None:
        """Who sent a file whose content cannot be read: its folder, else its file name, so that
        the receipt saying why reaches the unit's outbox."""
        if self.folder_unit:
            return self.units.canonical(self.folder_unit)
        return self._unit_in_filename()

    def _unit_in_filename(self) -> str | None:
        """区财政局_三单.xlsx → 区财政局: a unit name or alias at the start of the file name."""
        stem = squeeze(PurePath(self.filename).stem)
        for label in self.units.labels():
            if stem.startswith(label):
                return self.units.canonical(label)
        return None

    def _check_lead_units(self, rows: list[Row]) -> None:
        """Each row's registered lead unit against the submitter; when nothing else names the
        submitter, the lead units are kept to name it (`_settle_submitter`)."""
        submitter = self.submitter
        for row in rows:
            if self.units.resolve(row.lead_unit) != row.lead_unit:
                continue  # not registered: reported as unknown-unit already
            if submitter.unit is None:
                if not submitter.settled and row.lead_unit not in self.leads:
                    self.leads.append(row.lead_unit)
            elif submitter.unit != self.config.office_name and row.lead_unit != submitter.unit:  # the office may submit for any unit
                self._report(findings.LEAD_UNIT_MISMATCH, row.cells["lead_unit"], unit=row.lead_unit,
                             submitter=submitter.unit)

    def _settle_submitter(self) -> None:
        """After the last row: a submitter named by nothing but the rows is their one lead unit."""
        submitter = self.submitter
        if submitter.unit is None and not submitter.settled:
            if len(self.leads) == 1:
                submitter.unit = self.leads[0]
            else:
                self.findings.append(findings.UNKNOWN_SUBMITTER.at(self.sheet, form="undetermined"))

    # ------------------------------------------------------------ one row

    def _row(self, raw: list, r: int, fields: _Fields, submitted_on: date) -> Row:
        width = len(raw)
        values = [raw[c] if c < width else "" for c in fields.columns]
        values.append("")  # the value of every field the sheet has no column for
        text = [v.strip(TRIM) if v.__class__ is str else clean_text(v) for v in values]  # clean_text, inlined
        at = fields.at
        cells = Cells(self.letters, r + 1)

        for f, i in fields.required:
            if not text[i]:
                self.empty_required.append((cells[f], f, values[i]))

        item_id = None
        if item_text := text[at["item_id"]]:
            item_id = parse_item_id(item_text)
            if item_id is None:
                self._report(findings.BAD_ITEM_ID, cells["item_id"], text=item_text)

        deadline = _NO_DEADLINE
        i = at["deadline"]
        if text[i]:
            try:
                deadline = parse_deadline(values[i], submitted_on)
            except Unreadable as e:
                self._report(findings.BAD_DEADLINE, cells["deadline"], text=text[i], hint=e.hint)

        i = at["status"]
        status = self._parse_or_report(parse_status, values[i], text[i], cells, "status", findings.UNKNOWN_STATUS)
        i = at["done_on"]
        done_on = self._parse_or_report(parse_date, values[i], text[i], cells, "done_on", findings.BAD_DATE)
        if status == model.STATUS_DONE and done_on is None and "done_on" in fields.present and not text[i]:
            self._report(findings.DONE_WITHOUT_DATE, cells["done_on"])
        if done_on is not None and "status" in fields.present and status != model.STATUS_DONE:
            self._report(findings.DATE_WITHOUT_DONE, cells["status"])

        return new_row(  # Row's fields in order
            self.sheet,
            r + 1,
            item_id,
            text[at["source"]] or None,
            text[at["problem"]],
            text[at["measures"]],
            deadline.date,
            text[at["deadline"]],
            deadline.ongoing,
            self._lead_unit(text[at["lead_unit"]], cells),
            self._co_units(text[at["co_units"]], cells),
            text[at["owner"]] or None,
            text[at["progress"]] or None,
            status,
            done_on,
            text[at["remark"]] or None,
            cells,
        )

    def _report_empty_cells(self, batch: list[tuple[int, list]], header: Header) -> None:
        """A cell read as '' is empty, a formula saved without its result, or an error value:
        calamine gives '' for all three. The sheet XML is asked about the required cells read as
        '' and, when the workbook holds formulas or error cells at all, every other empty cell of
        the table too — so no value is silently taken for a blank. (A streamed sheet's cells know
        it themselves: `EmptyCell`.)"""
        sheet, _, _ = self._rows
        required, self.empty_required = self.empty_required, []
        optional: dict[str, tuple[str, object]] = {}
        if sheet.may_hide_values:
            for r, raw in batch:
                for f, c in header.columns.items():
                    if f not in REQUIRED_FIELDS and (c >= len(raw) or raw[c] == ""):
                        optional[f"{self.letters[f]}{r + 1}"] = (f, raw[c] if c < len(raw) else "")
        if not required and not optional:
            return
        if sheet.streamed:
            values = [(cell, v) for cell, _, v in required] + [(cell, v) for cell, (_, v) in optional.items()]
            causes = {cell: v.cause for cell, v in values if isinstance(v, EmptyCell)}
        else:
            causes = empty_cell_causes(self._data, sheet.name, {cell for cell, _, _ in required} | set(optional))
        for cell, f in [*((c, f) for c, f, _ in required), *((c, f) for c, (f, _) in optional.items() if c in causes)]:
            cause = causes.get(cell)
            if cause == FORMULA_WITHOUT_VALUE:
                self._report(findings.FORMULA_NO_VALUE, cell, field=FIELD_NAMES[f])
            elif cause:
                self._report(findings.ERROR_CELL, cell, field=FIELD_NAMES[f], error=cause)
            else:
                self._report(findings.EMPTY_REQUIRED, cell, field=FIELD_NAMES[f])

    def _parse_or_report(self, parse, value, text: str, cells: Cells, field: str, code: findings.Code):
        if not text:
            return None
        try:
            return parse(value)
        except Unreadable as e:
            self._report(code, cells[field], field=FIELD_NAMES[field], text=text, hint=e.hint)
            return None

    def _lead_unit(self, text: str, cells: Cells) -> str:
        """Canonical lead unit; unresolved text is kept as written (and reported)."""
        if not text:
            return ""
        unit = self.units.resolve(text)
        if unit:
            return unit
        parts = split_units(text)
        if len(parts) > 1 and all(self.units.resolve(p) or self.units.group(p) for p in parts):
            hint = "牵头责任单位只填一个单位，其余单位请填入配合责任单位"
        elif self.units.group(text):
            hint = "牵头责任单位应是一个具体单位，泛指的单位请填入配合责任单位"
        else:
            hint = self.units.did_you_mean(text)
        self._report(findings.UNKNOWN_UNIT, cells["lead_unit"], field=FIELD_NAMES["lead_unit"], text=text, hint=hint)
        return text

    def _co_units(self, text: str, cells: Cells) -> tuple[str, ...]:
        if not text:
            return ()
        names, unknown = self.units.co_units(text)
        for part in unknown:
            self._report(findings.UNKNOWN_UNIT, cells["co_units"], field=FIELD_NAMES["co_units"], text=part,
                         hint=self.units.did_you_mean(part))
        return names

    def _check_duplicates(self, rows: list[Row]) -> None:
        first_seen = self.first_seen
        # A streamed sheet's keys are kept as 128-bit digests: its rows are let go chunk by chunk,
        # and 200,000 digests take far less than the keys. A sheet read whole holds its rows, keys
        # included, so the keys themselves cost nothing more (and no digest is computed).
        digests = self._rows[0].streamed
        for row in rows:
            if not row.key:
                continue
            key = hashlib.blake2b(row.key.encode(), digest_size=16).digest() if digests else row.key
            if key in first_seen:
                self._report(findings.DUPLICATE_PROBLEM, row.cells["problem"],
                             first=f"{self.sheet}!{self.letters['problem']}{first_seen[key]}")
            else:
                first_seen[key] = row.row

    # ------------------------------------------------------------ findings

    def _report(self, code: findings.Code, cell: str | None, **values) -> None:
        self.findings.append(code.at(self.sheet, cell, **values))

    def _missing_column(self, cell: str, field: str) -> None:
        aliases = FIELD_LABELS[field][1:]
        if aliases:
            self._report(findings.MISSING_COLUMN, cell, field=FIELD_NAMES[field], aliases="、".join(aliases))
        else:
            self._report(findings.MISSING_COLUMN, cell, form="no-alias", field=FIELD_NAMES[field])



_NO_DEADLINE = Deadline(None)


class _Fields:
    """Where a sheet's rows hold each field, decided once per sheet: `_row` lists a row's values
    in the header's column order, then one '' more; `at[field]` is the field's place in that list
    (the last, '', for a field the sheet has no column for)."""

    def __init__(self, columns: dict[str, int]):
        self.columns = tuple(columns.values())
        place = {f: i for i, f in enumerate(columns)}
        self.at = {f: place.get(f, len(place)) for f in FIELD_LABELS}
        self.required = tuple((f, place[f]) for f in REQUIRED_FIELDS if f in place)
        self.present = frozenset(place)


class _Findings:
    """Findings in reading order (sheet-level first, then by row and column, else as found): the
    first `limit` of them kept and the rest counted, so that a huge sheet's million findings are
    never held."""

    def __init__(self, limit: int):
        self.limit = limit
        self._kept: list[tuple[int, int, int, Finding]] = []  # a max-heap by position: negated
        self._count = 0
        self._errors = 0

    def append(self, finding: Finding) -> None:
        row, column = _position(finding)
        entry = (-row, -column, -self._count, finding)
        self._count += 1
        self._errors += finding.severity == ERROR
        if len(self._kept) < self.limit:
            heapq.heappush(self._kept, entry)
        else:
            heapq.heappushpop(self._kept, entry)

    def extend(self, findings) -> None:
        for f in findings:
            self.append(f)

    def capped(self, sheet: str | None) -> tuple[Finding, ...]:
        """The findings kept, plus one summary when there were more: an error when errors are
        among those left out (a file with an error is rejected even if its first findings are
        all warnings), else a warning."""
        ordered = [f for *_, f in sorted(self._kept, reverse=True)]
        limit = self.limit
        if self._count <= limit:
            return tuple(ordered)
        hidden = self._errors - sum(f.severity == ERROR for f in ordered)
        if hidden:
            more = findings.TOO_MANY_FINDINGS.at(sheet, form="errors-left-out", limit=limit, more=self._count - limit,
                                                 hidden=hidden)
        else:
            more = findings.TOO_MANY_FINDINGS.at(sheet, limit=limit, more=self._count - limit)
        return (*ordered, more)


def _position(finding: Finding) -> tuple[int, int]:
    m = _A1.fullmatch(finding.cell or "")
    if not m:
        return (0, 0)
    return (int(m[2]), column_number(m[1]))


class _MergedDown:
    """A value merged down over data rows (one lead unit over three items) belongs to each row.

    Only downwards and only into data rows: a range merged across columns stays in its first
    column, and rows the merge alone would fill are not items. Called for every row below the
    header in turn (a streamed sheet goes by once), it fills what filling the ranges one after
    the other over the whole sheet fills: a range takes its value as its first row holds it
    once the ranges before it have filled that row."""

    def __init__(self, merged, header_row: int):
        self._starting: dict[int, list[tuple[int, int, int]]] = {}  # first row → (order, column, last row)
        for n, (r0, c0, r1, _) in enumerate(merged):
            if r1 != r0 and r0 > header_row:
                self._starting.setdefault(r0, []).append((n, c0, r1))
        self._open: list[tuple[int, int, int, object]] = []  # (order, column, last row, value) over the rows ahead

    def __bool__(self) -> bool:
        return bool(self._starting or self._open)  # whether any range is left to fill from

    def __call__(self, r: int, row: list, data: bool) -> None:
        starting = self._starting.pop(r, None)
        if not self._open and not starting:
            return
        for n, c0, r1, value in sorted([*self._open, *((n, c0, r1, None) for n, c0, r1 in starting or ())]):
            if value is None:  # a range starting here: its value is this row's, as it stands now
                if c0 < len(row) and not is_blank(row[c0]):
                    self._open.append((n, c0, r1, row[c0]))
            elif data and (c0 >= len(row) or is_blank(row[c0])):
                row.extend([""] * (c0 + 1 - len(row)))
                row[c0] = value
        self._open = [span for span in self._open if span[2] > r]


def _header_cell(top: list[list], header: Header) -> str:
    row = top[header.row]
    first = next((c for c, v in enumerate(row) if not is_blank(v)), 0)
    return cell_name(header.row, first)
