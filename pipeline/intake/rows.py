"""A sheet's data rows → `model.Row`s and the findings about their cells.

`read_chunk` reads a chunk of data rows of one sheet: each row's values normalised and checked
(`read_row`), then the cells read as blank asked why (`empty_cell_findings`). What every row of
the sheet shares is fixed once in a `Table`; what carries over from chunk to chunk — a problem
listed twice — is `Duplicates`'s; merged cells are filled down by `MergedDown` as the rows go by.
Pure: plain data in, rows and findings out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from pipeline import model
from pipeline.intake import findings
from pipeline.intake.cells import FORMULA_WITHOUT_VALUE, EmptyCell, empty_cell_causes
from pipeline.intake.header import FIELD_LABELS, FIELD_NAMES, REQUIRED_FIELDS
from pipeline.intake.normalize import (
    TRIM,
    Deadline,
    Unreadable,
    clean_text,
    is_blank,
    milestone_parts,
    parse_date,
    parse_deadline,
    parse_item_id,
    parse_status,
)
from pipeline.intake.sources import SourceDirectory
from pipeline.intake.units import UnitDirectory, split_units
from pipeline.model import Cells, Finding, Row

_NO_DEADLINE = Deadline(None)

Blank = tuple[str, str, object]  # a required cell read as blank: (cell, field, value as read)


class Fields:
    """Where a sheet's rows hold each field, decided once per sheet: `read_row` lists a row's
    values in the header's column order, then one '' more; `at[field]` is the field's place in
    that list (the last, '', for a field the sheet has no column for)."""

    def __init__(self, columns: dict[str, int]):
        self.columns = tuple(columns.values())
        place = {f: i for i, f in enumerate(columns)}
        self.at = {f: place.get(f, len(place)) for f in FIELD_LABELS}
        self.required = tuple((f, place[f]) for f in REQUIRED_FIELDS if f in place)
        self.present = frozenset(place)


@dataclass(frozen=True)
class Table:
    """What every data row of the chosen sheet shares."""

    sheet: str
    columns: dict[str, int]  # field → 0-based column
    letters: dict[str, str]  # field → column letters
    fields: Fields
    units: UnitDirectory
    submitted_on: date  # what 立行立改 means, and the year of deadlines written without one
    may_hide_values: bool  # the workbook holds formulas or error cells: a '' may not be blank
    streamed: bool  # the sheet's cells carry why they are empty (`EmptyCell`)
    sources: SourceDirectory = field(default_factory=SourceDirectory)  # 问题来源 → category
    statuses: Mapping[str, str] | None = None  # `status_words` with [statuses]; None: the built-in words


def read_chunk(batch: Sequence[tuple[int, list]], table: Table, data: bytes) -> tuple[list[Row], list[Finding]]:
    """A chunk of data rows, each (0-based row, its cells, merged cells filled): the rows, then
    the findings, the rows' own in order and then the blank cells'. `data` is the file's bytes,
    asked why a cell of a sheet read whole is empty."""
    found: list[Finding] = []
    blanks: list[Blank] = []
    rows = [read_row(raw, r, table, found, blanks) for r, raw in batch]
    found += empty_cell_findings(batch, blanks, table, data)
    return rows, found


def read_row(raw: list, r: int, table: Table, found: list[Finding], blanks: list[Blank]) -> Row:
    """One data row read and checked: its findings are added to `found`, its required cells
    read as blank to `blanks` (why they are blank is asked once per chunk)."""
    fields = table.fields
    width = len(raw)
    values = [raw[c] if c < width else "" for c in fields.columns]
    values.append("")  # the value of every field the sheet has no column for
    text = [v.strip(TRIM) if v.__class__ is str else clean_text(v) for v in values]  # clean_text, inlined
    at = fields.at
    cells = Cells(table.letters, r + 1)
    sheet = table.sheet

    for f, i in fields.required:
        if not text[i]:
            blanks.append((cells[f], f, values[i]))

    item_id = None
    if item_text := text[at["item_id"]]:
        item_id = parse_item_id(item_text)
        if item_id is None:
            found.append(findings.BAD_ITEM_ID.at(sheet, cells["item_id"], text=item_text))

    deadline = _NO_DEADLINE
    i = at["deadline"]
    if text[i]:
        try:
            deadline = parse_deadline(values[i], table.submitted_on)
            if deadline.month_only and deadline.date is not None:
                day = deadline.date
                found.append(findings.MONTH_ONLY_DEADLINE.at(sheet, cells["deadline"], text=text[i],
                                                             day=f"{day.year}年{day.month}月{day.day}日"))
        except Unreadable as e:
            found.append(findings.BAD_DEADLINE.at(sheet, cells["deadline"], text=text[i], hint=e.hint))

    i = at["status"]
    status = _parsed(partial(parse_status, words=table.statuses), values[i], text[i], sheet, cells, "status",
                     findings.UNKNOWN_STATUS, found)
    i = at["done_on"]
    done_on = _parsed(parse_date, values[i], text[i], sheet, cells, "done_on", findings.BAD_DATE, found)
    if status == model.STATUS_DONE and done_on is None and "done_on" in fields.present and not text[i]:
        found.append(findings.DONE_WITHOUT_DATE.at(sheet, cells["done_on"]))
    if done_on is not None and "status" in fields.present and status != model.STATUS_DONE:
        found.append(findings.DATE_WITHOUT_DONE.at(sheet, cells["status"]))
    if status == model.STATUS_NEEDS_HELP and not text[at["progress"]] and not text[at["remark"]]:
        found.append(findings.NEEDS_HELP_WITHOUT_REASON.at(sheet, cells["status"]))

    i = at["answer_on"]
    answer_on = _parsed(parse_date, values[i], text[i], sheet, cells, "answer_on", findings.BAD_DATE, found)

    source = text[at["source"]] or None
    category, known = table.sources.category(source)
    if not known:
        found.append(findings.UNKNOWN_SOURCE.at(sheet, cells["source"], text=source,
                                                categories=table.sources.categories_hint()))

    return Row(
        sheet=sheet,
        row=r + 1,
        item_id=item_id,
        source=source,
        problem=text[at["problem"]],
        measures=text[at["measures"]],
        deadline=deadline.date,
        deadline_text=_deadline_text(values[at["deadline"]], text[at["deadline"]], deadline),
        ongoing=deadline.ongoing,
        lead_unit=_lead_unit(text[at["lead_unit"]], sheet, cells, table.units, found),
        co_units=_co_units(text[at["co_units"]], sheet, cells, table.units, found),
        owner=text[at["owner"]] or None,
        progress=text[at["progress"]] or None,
        status=status,
        done_on=done_on,
        remark=text[at["remark"]] or None,
        cells=cells,
        inspection=text[at["inspection"]] or None,
        suggestion=text[at["suggestion"]] or None,
        target=text[at["target"]] or None,
        leader=text[at["leader"]] or None,
        phone=text[at["phone"]] or None,
        milestones=deadline.milestones + _milestones(values[at["milestones"]], text[at["milestones"]], table, cells,
                                                     found),
        source_category=category,
        evidence_text=text[at["evidence_text"]] or None,
        upstream_id=text[at["upstream_id"]] or None,
        answer=text[at["answer"]] or None,
        answer_on=answer_on,
    )


def _deadline_text(value: object, text: str, deadline: Deadline) -> str:
    """整改时限 as written; a date typed as a number (an Excel serial such as 46387 in a General
    cell, or 20261231) is kept as its date, not as the number."""
    if deadline.date is not None and (value.__class__ in (int, float) or (text.isdigit() and len(text) in (5, 8))):
        return deadline.date.isoformat()
    return text


def _milestones(value: object, text: str, table: Table, cells: Cells, found: list[Finding]) -> tuple:
    """A 时间节点 cell: its dated parts, read as 整改时限 is (a part with no date it reads is
    kept as text with no due day, and reported)."""
    if not text:
        return ()
    try:
        return milestone_parts(value, table.submitted_on)
    except Unreadable as e:
        found.append(findings.BAD_DEADLINE.at(table.sheet, cells["milestones"], text=text, hint=e.hint))
        return ()


def _parsed(parse: Callable, value: object, text: str, sheet: str, cells: Cells, field: str, code: findings.Code,
            found: list[Finding]):
    """`parse(value)` for a filled cell; None for a blank one or, with a finding, one that
    means nothing `parse` knows."""
    if not text:
        return None
    try:
        return parse(value)
    except Unreadable as e:
        found.append(code.at(sheet, cells[field], field=FIELD_NAMES[field], text=text, hint=e.hint))
        return None


def _lead_unit(text: str, sheet: str, cells: Cells, units: UnitDirectory, found: list[Finding]) -> str:
    """Canonical lead unit; unresolved text is kept as written (and reported)."""
    if not text:
        return ""
    unit = units.resolve(text)
    if unit:
        return unit
    parts = split_units(text)
    cell, field = cells["lead_unit"], FIELD_NAMES["lead_unit"]
    if len(parts) > 1 and all(units.resolve(p) or units.group(p) for p in parts):
        found.append(findings.UNKNOWN_UNIT.at(sheet, cell, form="several", field=field, text=text))
    elif units.group(text):
        found.append(findings.UNKNOWN_UNIT.at(sheet, cell, form="group", field=field, text=text))
    else:
        found.append(findings.UNKNOWN_UNIT.at(sheet, cell, field=field, text=text, hint=units.did_you_mean(text)))
    return text


def _co_units(text: str, sheet: str, cells: Cells, units: UnitDirectory, found: list[Finding]) -> tuple[str, ...]:
    """What 配合责任单位 names (units, group phrases; unknown parts as written, and reported)."""
    if not text:
        return ()
    names, unknown = units.co_units(text)
    for part in unknown:
        found.append(findings.UNKNOWN_UNIT.at(sheet, cells["co_units"], field=FIELD_NAMES["co_units"], text=part,
                                              hint=units.did_you_mean(part)))
    return names


def empty_cell_findings(batch: Sequence[tuple[int, list]], blanks: list[Blank], table: Table,
                        data: bytes) -> list[Finding]:
    """A cell read as '' is empty, a formula saved without its result, or an error value:
    calamine gives '' for all three. The sheet XML is asked about the required cells read as
    '' (`blanks`) and, when the workbook holds formulas or error cells at all, every other empty
    cell of the table too — so no value is silently taken for a blank. (A streamed sheet's
    cells know it themselves: `EmptyCell`.)"""
    optional: dict[str, tuple[str, object]] = {}
    if table.may_hide_values:
        for r, raw in batch:
            for f, c in table.columns.items():
                if f not in REQUIRED_FIELDS and (c >= len(raw) or raw[c] == ""):
                    optional[f"{table.letters[f]}{r + 1}"] = (f, raw[c] if c < len(raw) else "")
    if not blanks and not optional:
        return []
    if table.streamed:
        values = [(cell, v) for cell, _, v in blanks] + [(cell, v) for cell, (_, v) in optional.items()]
        causes = {cell: v.cause for cell, v in values if isinstance(v, EmptyCell)}
    else:
        causes = empty_cell_causes(data, table.sheet, {cell for cell, _, _ in blanks} | set(optional))
    found = []
    for cell, f in [*((c, f) for c, f, _ in blanks), *((c, f) for c, (f, _) in optional.items() if c in causes)]:
        cause = causes.get(cell)
        if cause == FORMULA_WITHOUT_VALUE:
            found.append(findings.FORMULA_NO_VALUE.at(table.sheet, cell, field=FIELD_NAMES[f]))
        elif cause:
            found.append(findings.ERROR_CELL.at(table.sheet, cell, field=FIELD_NAMES[f], error=cause))
        else:
            found.append(findings.EMPTY_REQUIRED.at(table.sheet, cell, field=FIELD_NAMES[f]))
    return found


class Duplicates:
    """The same problem listed twice in a sheet, across its chunks of rows."""

    def __init__(self, table: Table):
        self.table = table
        # A streamed sheet's keys are kept as 128-bit digests: its rows are let go chunk by chunk,
        # and 200,000 digests take far less than the keys. A sheet read whole holds its rows, keys
        # included, so the keys themselves cost nothing more (and no digest is computed).
        self._digests = table.streamed
        self._first_seen: dict[bytes | str, int] = {}  # problem key (or its digest) → the row it was first listed in

    def check(self, rows: Iterable[Row]) -> list[Finding]:
        found = []
        first_seen, sheet = self._first_seen, self.table.sheet
        for row in rows:
            if not row.key:
                continue
            key = hashlib.blake2b(row.key.encode(), digest_size=16).digest() if self._digests else row.key
            if key in first_seen:
                found.append(findings.DUPLICATE_PROBLEM.at(
                    sheet, row.cells["problem"], first=f"{sheet}!{self.table.letters['problem']}{first_seen[key]}"))
            else:
                first_seen[key] = row.row
        return found


class MergedDown:
    """A value merged down over data rows (one lead unit over three items) belongs to each row.

    Only downwards and only into data rows: a range merged across columns stays in its first
    column, and rows the merge alone would fill are not items. Called for every row below the
    header in turn (a streamed sheet goes by once), it fills what filling the ranges one after
    the other over the whole sheet fills: a range takes its value as its first row holds it
    once the ranges before it have filled that row."""

    def __init__(self, merged: Iterable[tuple[int, int, int, int]], header_row: int):
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
