"""反馈表 — a unit's pre-filled feedback form, built to come back through the inbox.

One row per open item of the unit with its 编号 and everything it already reported; the unit
updates 整改进展 / 完成情况 / 完成日期 and drops the file into the inbox, where the ingest core
takes it as an update (the header is the canonical one header.py recognises, and the
`填报单位：<unit>` line names the submitter). 编号 and 整改问题 are locked (sheet protection,
no password: it guards against slips, not against intent); a few blank rows at the end take
new problems. 完成情况 is a dropdown of the canonical statuses.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..config import Config
from ..model import STATE_CLOSED, STATE_DONE, STATUSES, Item, ItemState
from ..xlsx_text import put_text
from .contexts import cn_date
from .xlsx_cells import DATE_FORMAT, GRID, HEADER_FILL, print_landscape

FORM_SHEET = "反馈表"
HELP_SHEET = "填表说明"
BLANK_ROWS = 10  # for problems found since the last form
HEADER_ROW = 3

# (header, width, locked, kind)
COLUMNS = [
    ("编号", 12, True, "text"),
    ("整改问题", 36, True, "wrap"),
    ("整改措施", 36, False, "wrap"),
    ("整改时限", 14, False, "date"),
    ("牵头责任单位", 16, False, "text"),
    ("配合责任单位", 16, False, "wrap"),
    ("责任人", 10, False, "text"),
    ("整改进展", 36, False, "wrap"),
    ("完成情况", 12, False, "text"),
    ("完成日期", 14, False, "date"),
    ("备注", 18, False, "wrap"),
]
HEADERS = [c[0] for c in COLUMNS]
LOCKED_FILL = PatternFill("solid", fgColor="F2F2F2")

HELP_TEXT = (
    "1. 本表由督查室根据台帐预先填写，请在“整改措施”“整改进展”“完成情况”“完成日期”“备注”等栏更新整改情况。",
    "2. “编号”“整改问题”两栏已锁定，请勿改动；编号是台帐中的唯一标识。",
    "3. “完成情况”请从下拉列表中选择：" + "、".join(STATUSES) + "。已完成的请填写完成日期。",
    "4. 本期新发现的问题请填在表格末尾的空行中，编号留空。",
    "5. 整改时限如需延期，须在时限届满前书面申请，经督查室批准后由督查室登记，在本表中修改无效。",
    "6. 填好后请将本文件放回共享文件夹的收件箱（inbox）中，系统将自动读取并生成回执。",
)


def open_items(unit: str, items: Sequence[Item], states: Mapping[str, ItemState]) -> list[Item]:
    """The unit's items still to be worked on (not done, not closed), by 编号."""
    return sorted(
        (i for i in items if i.unit == unit and states[i.id].state not in (STATE_DONE, STATE_CLOSED)),
        key=lambda i: i.id,
    )


def _values(item: Item) -> list:
    return [
        item.id,
        item.problem,
        item.measures,
        item.deadline if item.deadline is not None else item.deadline_text,
        item.unit,
        "、".join(item.co_units),
        item.owner,
        item.progress,
        item.status,
        item.done_on,
        item.remark,
    ]


def feedback_workbook(config: Config, unit: str, items: Sequence[Item], as_of: date) -> bytes:
    """The form for `unit` listing `items` (already chosen, e.g. by `open_items`), as bytes."""
    wb = Workbook()
    ws = wb.active
    ws.title = FORM_SHEET
    last = get_column_letter(len(COLUMNS))

    put_text(ws["A1"], f"{unit}“三查三单”整改落实情况反馈表（截至{cn_date(as_of)}）")
    ws["A1"].font = Font(name="宋体", size=14, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 28
    put_text(ws["A2"], f"填报单位：{unit}")
    ws["A2"].font = Font(name="宋体", size=11)

    for c, (title, width, _, _) in enumerate(COLUMNS, 1):
        cell = ws.cell(HEADER_ROW, c)
        put_text(cell, title)
        cell.font = Font(name="宋体", bold=True)
        cell.fill = HEADER_FILL
        cell.border = GRID
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(c)].width = width

    first = HEADER_ROW + 1
    rows = [_values(i) for i in items] + [[None] * len(COLUMNS)] * BLANK_ROWS
    for r, values in enumerate(rows, first):
        blank_row = r >= first + len(items)
        for c, ((_, _, locked, kind), value) in enumerate(zip(COLUMNS, values), 1):
            cell = ws.cell(r, c)
            if isinstance(value, date):
                cell.value = value
                cell.number_format = DATE_FORMAT
            elif kind == "date":
                put_text(cell, value or None)
                cell.number_format = DATE_FORMAT
            else:
                put_text(cell, value or None)
            cell.border = GRID
            cell.alignment = Alignment(vertical="top", wrap_text=kind == "wrap")
            # 编号 stays locked even on blank rows: a new problem gets its number from the ledger.
            keep_locked = locked and (c == 1 or not blank_row)
            cell.protection = Protection(locked=keep_locked)
            if keep_locked:
                cell.fill = LOCKED_FILL
    last_row = first + len(rows) - 1

    status_col = get_column_letter(HEADERS.index("完成情况") + 1)
    dv = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"', allow_blank=True,
                        showErrorMessage=True, errorTitle="完成情况", error="请从下拉列表中选择：" + "、".join(STATUSES))
    dv.add(f"{status_col}{first}:{status_col}{last_row}")
    ws.add_data_validation(dv)
    for name in ("整改时限", "完成日期"):
        col = get_column_letter(HEADERS.index(name) + 1)
        dates = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True,
                               showErrorMessage=True, errorStyle="warning", errorTitle=name,
                               error="请填写日期，例如 2026-12-31")
        if name == "整改时限":
            dates.errorStyle = "information"  # 长期坚持 and the like are allowed here
        dates.add(f"{col}{first}:{col}{last_row}")
        ws.add_data_validation(dates)

    ws.freeze_panes = f"C{first}"
    print_landscape(ws, f"{HEADER_ROW}:{HEADER_ROW}")
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # still allowed: widen columns,
    ws.protection.formatRows = False  # heighten rows,
    ws.protection.formatCells = False  # and format cells

    help_ws = wb.create_sheet(HELP_SHEET)
    help_ws.column_dimensions["A"].width = 110
    put_text(help_ws["A1"], "填表说明")
    help_ws["A1"].font = Font(name="宋体", size=12, bold=True)
    for r, line in enumerate(HELP_TEXT, 2):
        put_text(help_ws.cell(r, 1), line)
        help_ws.cell(r, 1).alignment = Alignment(wrap_text=True)

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
