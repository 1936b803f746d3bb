"""One submitted file → `model.Submission`: every row read, normalised and checked, without the ledger.

    read_workbook (read.py) → the header (header.py) → who submits (submitter.py) → the rows
    (rows.py) → a Submission with every finding (the catalogue: findings.py)

Every finding is collected (never only the first), each naming its sheet and cell. Checks that
need the ledger (an 编号 it does not know, another unit's 编号) belong to merge.py.

`stream_submission` reads the same way a chunk of rows at a time, for ingest to merge and store
one chunk while the next is read: a huge sheet (streamed by read.py) is then never whole in
memory. One pass over the rows finds the header's layout (data rows, footer, 填报日期), a second
one checks the rows; checks across rows (a problem listed twice, who submits) carry over from
chunk to chunk. `parse_submission` is the stream with every row kept.
"""

from __future__ import annotations

import heapq
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from itertools import islice
from pathlib import PurePath

from pipeline.config import Config
from pipeline.intake import findings
from pipeline.intake.cells import cell_name, column_letters, column_number
from pipeline.intake.cooperation import cooperation_sheet, read_cooperation
from pipeline.intake.header import (
    FIELD_LABELS,
    FIELD_NAMES,
    REQUIRED_FIELDS,
    Header,
    MetaValue,
    is_data_sheet,
    layout,
    read_meta,
    top_header,
)
from pipeline.intake.normalize import Unreadable, clean_text, is_blank, parse_date, status_words
from pipeline.intake.read import Sheet, made_on, read_workbook
from pipeline.intake.rows import Duplicates, Fields, MergedDown, Table, read_chunk
from pipeline.intake.sources import sources_of
from pipeline.intake.submitter import Submitter
from pipeline.intake.units import directory
from pipeline.intake.xlsx_stream import NotStreamable
from pipeline.model import ERROR, Finding, Row, Submission

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

    Known before the rows: `filename`, `sheet`, `report_date`, `made_on`, `inspection`, and `unit`, the
    submitting unit — final, except when only the rows' lead units can name it: then it is the
    first lead unit met, which is the file's unit whenever the file passes. `chunks()` gives the
    checked rows, once; after them `result(rows)` is the Submission with every finding (and the
    rows given, which a caller that stored each chunk leaves out). `known` is the Submission when
    it was complete from the start (a file parsed beforehand), else None."""

    def __init__(self, source: _Parser | Submission):
        self._parser = source if isinstance(source, _Parser) else None
        self.known = source if isinstance(source, Submission) else None
        self._failed: Submission | None = None
        self.filename, self.sheet = source.filename, source.sheet
        self.report_date, self.inspection = source.report_date, source.inspection
        self.made_on = source.made_on

    @classmethod
    def of(cls, submission: Submission) -> SubmissionStream:
        """A file read and checked whole already: its rows in one chunk."""
        return cls(submission)

    @property
    def unit(self) -> str | None:
        return self.known.unit if self.known is not None else self._reading().unit

    def chunks(self) -> Iterator[tuple[Row, ...]]:
        if self.known is not None:
            if self.known.rows:
                yield self.known.rows
            return
        try:
            yield from self._reading().chunks()
        except Exception:  # as in parse_submission: the file gets a receipt saying it cannot be read
            log.exception("读取 %s 时出错", self.filename)
            self._failed = _unreadable(self.filename)

    def result(self, rows: tuple[Row, ...] = ()) -> Submission:
        if self.known is not None:
            return self.known
        return self._failed or self._reading().submission(rows)

    def _reading(self) -> _Parser:
        assert self._parser is not None  # a stream is either known or being read
        return self._parser


class _Parser:
    """One file read in three steps: `start` up to the rows, `chunks` the rows, `submission`
    the outcome. It holds what carries over between them: the file's findings so far, who
    submits, and the table of its rows."""

    def __init__(self, config: Config, filename: str, folder_unit: str | None, received: date, whole: bool = False):
        self.config = config
        self.units = directory(config)
        self.filename = filename
        self.received = received
        self.whole = whole  # read every sheet whole, even a huge one
        self.findings = _Findings(config.limits.max_findings)
        self.sheet: str | None = None
        self.report_date: date | None = None
        self.made_on: date | None = None  # sancha made the workbook (its property, else its 制表日期 line)
        self.inspection: str | None = None
        self.cooperation: tuple[tuple[str, str, str], ...] = ()
        self.submitter = Submitter(self.units, filename, folder_unit)
        self._rows: tuple[Sheet, Table, Sequence[int], int] | None = None  # what the rows pass reads, if any
        self._data = b""

    def start(self, data: bytes) -> SubmissionStream:
        """Everything before the rows: the workbook read, the header and its layout found (one pass
        over the rows), meta lines, who submits, the file-level checks."""
        sheets, problems = read_workbook(data, self.filename, self.config.limits, whole=self.whole)
        self.findings.extend(problems)
        chosen = _choose_header(sheets, self.filename, self.findings) if not problems else None
        if chosen is None:
            self.submitter.unread()
            return SubmissionStream(self)
        header, sheet = chosen
        self.sheet = sheet.name
        top = list(islice(sheet.rows, header.row + 1))  # the meta lines and the header
        self.findings.extend(findings.IGNORED_COLUMN.at(sheet.name, cell_name(header.row, c), label=label)
                             for c, label in header.ignored)

        section = cooperation_sheet(sheets)
        if section is not None and section is not sheet:  # a 反馈表's 配合事项 (issue 17)
            self.cooperation, found = read_cooperation(section)
            self.findings.extend(found)
        rows = iter(sheet.rows)
        table = layout(header, rows)
        if sheet.streamed:  # read to the end, as calamine reads every sheet whole: a broken one shows now
            for other in (rows, *(s.rows for s in sheets if s is not sheet)):
                for _ in other:
                    pass
        header = table.header
        meta = read_meta((r, top[r]) for r in range(header.first_row))
        meta = {**read_meta(table.footer), **meta}
        self.report_date = _report_date(meta.get("report_date"), sheet.name, self.findings)
        self.made_on = made_on(data) or _made_on_line(meta.get("made_on"))
        self.inspection = clean_text(meta["inspection"].value) if "inspection" in meta else None
        self.findings.extend(self.submitter.named(meta.get("unit"), sheet.name))
        # The office's 问题清单 (issue 17): problems and lead units, no measures nor deadline yet —
        # its items wait for their units' measures (待报措施).
        problem_list = (self.submitter.unit == self.units.office_name
                        and not {"measures", "deadline"} & header.columns.keys())
        if not problem_list:
            self.findings.extend(_missing_columns(top, header, sheet.name))

        if not table.data_rows and not self.cooperation:  # a co-unit's 配合事项 alone is a report too
            self.findings.append(findings.NO_ROWS.at(sheet.name, _header_cell(top, header)))
        limit = self.config.limits.max_rows
        if len(table.data_rows) > limit:  # no cell: the rejected copy is not marked up, which would take minutes
            self.findings.append(findings.TOO_MANY_ROWS.at(sheet.name, None, rows=len(table.data_rows), limit=limit))
            return SubmissionStream(self)
        self._rows = (sheet, Table(
            sheet=sheet.name,
            columns=header.columns,
            letters={f: column_letters(c) for f, c in header.columns.items()},
            fields=Fields(header.columns),
            units=self.units,
            submitted_on=self.report_date or self.received,
            may_hide_values=sheet.may_hide_values,
            streamed=sheet.streamed,
            sources=sources_of(self.config.sources),
            statuses=status_words(self.config.statuses) if self.config.statuses else None,
        ), table.data_rows, header.row)
        self._data = data
        return SubmissionStream(self)

    @property
    def unit(self) -> str | None:
        return self.submitter.current

    def chunks(self) -> Iterator[tuple[Row, ...]]:
        """The second pass: the data rows, merged cells filled down, checked a chunk at a time."""
        if self._rows is None:
            return
        sheet, table, data_rows, header_row = self._rows
        size = CHUNK_ROWS if sheet.streamed else max(len(data_rows), 1)
        fill = MergedDown(sheet.merged, header_row) or None
        duplicates = Duplicates(table)
        wanted = iter(data_rows)
        next_row = next(wanted, None)
        batch: list[tuple[int, list]] = []
        for r, raw in islice(enumerate(sheet.rows), header_row + 1, None):
            if next_row is None:
                break
            if fill:
                fill(r, raw, r == next_row)
            if r == next_row:
                batch.append((r, raw))
                next_row = next(wanted, None)
                if len(batch) == size:
                    yield self._checked(batch, table, duplicates)
                    batch = []
        if batch:
            yield self._checked(batch, table, duplicates)
        self.findings.extend(self.submitter.settle(self.sheet))

    def _checked(self, batch: list[tuple[int, list]], table: Table, duplicates: Duplicates) -> tuple[Row, ...]:
        rows, found = read_chunk(batch, table, self._data)
        self.findings.extend(found)
        self.findings.extend(duplicates.check(rows))
        self.findings.extend(self.submitter.check_rows(rows))
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
            made_on=self.made_on,
            cooperation=self.cooperation,
        )


# -- the sheet and its header -------------------------------------------------------------------

def _choose_header(sheets: list[Sheet], filename: str, found: _Findings) -> tuple[Header, Sheet] | None:
    """The sheet whose header reads best (a visible one first); the other visible sheets with a
    header are reported as ignored, and none at all as no-header."""
    candidates = [(h, s) for s in sheets if is_data_sheet(s) for h in [top_header(s)] if h]
    if not candidates:
        names = "、".join(FIELD_NAMES[f] for f in REQUIRED_FIELDS)
        first = next((s.name for s in sheets if s.visible), sheets[0].name)
        found.append(findings.NO_HEADER.at(first, file=PurePath(filename).name, fields=names))
        return None
    header, sheet = max(candidates, key=lambda hs: (hs[1].visible, hs[0].score))
    for other, other_sheet in candidates:
        if other_sheet is not sheet and other_sheet.visible:
            found.append(findings.IGNORED_SHEET.at(other_sheet.name, cell_name(other.row, 0), other=other_sheet.name,
                                                   chosen=sheet.name))
    return header, sheet


def _missing_columns(top: list[list], header: Header, sheet: str) -> list[Finding]:
    cell = _header_cell(top, header)
    found = []
    for f in header.missing:
        if aliases := FIELD_LABELS[f][1:]:
            found.append(findings.MISSING_COLUMN.at(sheet, cell, field=FIELD_NAMES[f], aliases="、".join(aliases)))
        else:
            found.append(findings.MISSING_COLUMN.at(sheet, cell, form="no-alias", field=FIELD_NAMES[f]))
    return found


def _report_date(meta: MetaValue | None, sheet: str, found: _Findings) -> date | None:
    if meta is None or (isinstance(meta.value, str) and not any(ch.isdigit() for ch in meta.value)):
        return None  # absent, or the template's blank 年 月 日
    try:
        return parse_date(meta.value)
    except Unreadable as e:
        found.append(findings.BAD_REPORT_DATE.at(sheet, meta.cell, text=clean_text(meta.value), hint=e.hint))
        return None


def _made_on_line(meta: MetaValue | None) -> date | None:
    """The 制表日期 line of a workbook sancha made; nothing to report when it cannot be read."""
    if meta is None:
        return None
    value = meta.value
    if isinstance(value, str):  # 2026年11月23日（表中内容为台帐截至该日的情况）: the date leads
        m = _LEADING_DATE.match(value.strip())
        value = m[0] if m else value
    try:
        return parse_date(value)
    except Unreadable:
        return None


_LEADING_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{1,2}-\d{1,2}")


def _header_cell(top: list[list], header: Header) -> str:
    row = top[header.row]
    first = next((c for c, v in enumerate(row) if not is_blank(v)), 0)
    return cell_name(header.row, first)


# -- the file's findings --------------------------------------------------------------------------

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

    def extend(self, found: Iterable[Finding]) -> None:
        for f in found:
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
