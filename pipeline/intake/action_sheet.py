"""The office's action sheet 督查室操作 — one office action per row — read from a workbook: pure.

The weekly 三单工作台帐 workbook carries the sheet empty, with its header (`COLUMNS`) and a
dropdown of `OPERATIONS` in 操作; the office fills rows in and drops the workbook into
inbox/督查室/, where ingest applies each row through the office-action functions
(ledger/sheet_actions.py). Here: whether a workbook's sheets hold a filled action sheet, and its
rows read — ids, operations and dates as cells are read everywhere else — each row either an
`ActionRow` or the Chinese reason it cannot be (naming its cell).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pipeline.intake.cells import cell_name
from pipeline.intake.normalize import Unreadable, clean_text, is_blank, parse_date, parse_item_id
from pipeline.intake.read import Sheet

SHEET = "督查室操作"
COLUMNS = ("编号", "操作", "日期", "新时限", "移交单位", "说明")
CLOSE, EXTEND, PASSED, FAILED, REOPEN, VOID, REASSIGN = OPERATIONS = (
    "销号", "延期", "回头看通过", "回头看反弹", "重开", "作废", "移交")
HEADER_ROWS = 5  # the header is found within the sheet's first rows (the sheet has a line of guidance above it)


@dataclass(frozen=True)
class ActionRow:
    row: int  # 1-based, as Excel numbers it
    cell: str  # the row's 编号 cell, A3
    item_id: str | None
    operation: str
    on: date | None  # 日期: the day it takes effect; None: the day the file is received
    to: date | None  # 新时限
    unit: str  # 移交单位
    note: str  # 说明
    error: str | None = None  # why the row cannot be applied as written


@dataclass(frozen=True)
class ActionSheet:
    name: str
    rows: tuple[ActionRow, ...]
    missing: tuple[tuple[str, str], ...] = ()  # (column, where) the header lacks


def find_action_sheet(sheets: Sequence[Sheet]) -> ActionSheet | None:
    """The workbook's filled 督查室操作 sheet, read; None when it has none or it is empty (the
    weekly workbook as written: then the file is an ordinary submission)."""
    sheet = next((s for s in sheets if s.name.strip() == SHEET), None)
    if sheet is None:
        return None
    rows = [list(r) for r in sheet.rows]
    header = next((n for n, r in enumerate(rows[:HEADER_ROWS]) if "编号" in map(clean_text, r)), None)
    if header is None:
        filled = any(not is_blank(v) for r in rows[HEADER_ROWS:] for v in r)
        return ActionSheet(sheet.name, (), (("编号", f"{sheet.name}!A1"),)) if filled else None
    names = [clean_text(v) for v in rows[header]]
    where = {c: names.index(c) for c in COLUMNS if c in names}
    body = [(n, r) for n, r in enumerate(rows[header + 1:], header + 2) if any(not is_blank(v) for v in r)]
    if not body:
        return None
    missing = tuple((c, f"{sheet.name}!{cell_name(header, 0)}") for c in COLUMNS if c not in where)
    if missing:
        return ActionSheet(sheet.name, (), missing)
    return ActionSheet(sheet.name, tuple(read_row(n, r, where, sheet.name) for n, r in body))


def read_row(n: int, cells: list, where: dict[str, int], sheet: str) -> ActionRow:
    def value(column: str):
        c = where[column]
        return cells[c] if c < len(cells) else ""

    def at(column: str) -> str:
        return f"{sheet}!{cell_name(n - 1, where[column])}"

    problems = []
    raw_id = clean_text(value("编号"))
    item_id = parse_item_id(raw_id)
    if item_id is None:
        problems.append(f"{at('编号')} 编号“{raw_id}”不是事项编号（写成 2026-0001）" if raw_id else
                        f"{at('编号')} 未填编号")
    operation = "".join(clean_text(value("操作")).split())
    if operation not in OPERATIONS:
        problems.append(f"{at('操作')} 操作“{operation}”无法识别，请从下拉列表中选择：{'、'.join(OPERATIONS)}"
                        if operation else f"{at('操作')} 未填操作，请从下拉列表中选择")
    days: dict[str, date | None] = {}
    for column in ("日期", "新时限"):
        try:
            days[column] = parse_date(value(column))
        except Unreadable:
            days[column] = None
            problems.append(f"{at(column)} {column}“{clean_text(value(column))}”不是日期，"
                            "请写成 2027-01-31 或 2027年1月31日")
    unit = clean_text(value("移交单位"))
    if operation in (EXTEND, FAILED, REOPEN) and days["新时限"] is None and "新时限" not in " ".join(problems):
        problems.append(f"{at('新时限')} {operation}须填写新时限")
    if operation == REASSIGN and not unit:
        problems.append(f"{at('移交单位')} 移交须填写移交单位")
    return ActionRow(n, at("编号"), item_id, operation, days["日期"], days["新时限"], unit,
                     clean_text(value("说明")), "；".join(problems) or None)
