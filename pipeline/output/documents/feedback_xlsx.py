"""反馈表 — a unit's pre-filled feedback form, built to come back through the inbox.

One row per open item of the unit with its 编号 and everything it already reported; the unit
updates 整改进展 / 完成情况 / 完成日期 (and 佐证材料, what it attaches) and drops the file into
the inbox, where the ingest core takes it as an update (the header is the canonical one header.py recognises, and the
`填报单位：<unit>` line names the submitter). 编号 and 整改问题 are locked (sheet protection,
no password: it guards against slips, not against intent); a few blank rows at the end take
new problems. 完成情况 is a dropdown of the canonical statuses. Written by XlsxWriter
(xlsx_stream, issue 20: a batch writes 300 of them), with the guarantees of `xlsx_text`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from pipeline.config import Config
from pipeline.model import MADE_ON_LABEL, STATE_CLOSED, STATE_DONE, STATUSES, Item, ItemState
from pipeline.output.documents.contexts import cn_date
from pipeline.output.documents.xlsx_cells import A4, DATE_FORMAT, HEADER_FILL
from pipeline.output.documents.xlsx_stream import StreamBook

FORM_SHEET = "反馈表"
COOPERATION_SHEET = "配合事项"  # issue 17: the items the unit cooperates on (header.COOPERATION_SHEET)
COOPERATION_HEADERS = ["编号", "整改问题", "牵头责任单位", "整改时限", "配合情况"]
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
    ("佐证材料", 18, False, "wrap"),  # issue 23: what the unit attaches, kept as text
]
HEADERS = [c[0] for c in COLUMNS]
LOCKED_FILL = "F2F2F2"  # grey: cells the unit cannot change

HELP_TEXT = (
    "1. 本表由督查室根据台帐预先填写，请在“整改措施”“整改进展”“完成情况”“完成日期”“备注”等栏更新整改情况。",
    "2. “编号”“整改问题”两栏已锁定，请勿改动；编号是台帐中的唯一标识。",
    "3. “完成情况”请从下拉列表中选择：" + "、".join(STATUSES) + "。已完成的请填写完成日期。",
    "4. 本期新发现的问题请填在表格末尾的空行中，编号留空。",
    "5. 整改时限如需延期，须在时限届满前书面申请，经督查室批准后由督查室登记，在本表中修改无效。",
    "6. 填好后请将本文件放回共享文件夹的收件箱（inbox）中，系统将自动读取并生成回执。",
    "7. 你单位作为配合责任单位的事项列在“配合事项”工作表中，请在“配合情况”栏填写配合落实情况，随本表一并报送。",
    "8. 佐证材料（整改照片、验收报告等）：请在“佐证材料”栏写明所附材料（如“见附件1、附件2”），材料文件名以编号开头"
    "（如“2026-0007_整改照片.jpg”），与本表一起放入收件箱；每份材料都有回执。",
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
        item.evidence_text,
    ]


def cooperating_items(items: Sequence[Item], states: Mapping[str, ItemState]) -> dict[str, list[Item]]:
    """Each co-unit → the open items of other units naming it among their 配合责任单位, by 编号."""
    out: dict[str, list[Item]] = {}
    for item in sorted(items, key=lambda i: i.id):
        if item.co_units and states[item.id].state not in (STATE_DONE, STATE_CLOSED):
            for unit in item.co_units:
                if unit != item.unit:
                    out.setdefault(unit, []).append(item)
    return out


def _protect(ws, *, format_cells: bool) -> None:
    """Sheet protection without a password; the unit may still widen columns and heighten
    rows (and format cells, where `format_cells`)."""
    ws.protect("", {"format_cells": format_cells, "format_columns": True, "format_rows": True})


def _cooperation_sheet(book: StreamBook, unit: str, items: Sequence[Item], as_of: date) -> None:
    """配合事项: the items `unit` cooperates on, 配合情况 to fill (read back by intake/cooperation.py)."""
    sh = book.sheet(COOPERATION_SHEET)
    sh.define("title", bold=True, size=14, align="center", border=False)
    sh.define("header", bold=True, fill=HEADER_FILL.fgColor.rgb[-6:], align="center", wrap=True)
    sh.define("locked", wrap=True, fill=LOCKED_FILL)
    sh.define("open", wrap=True, locked=False)
    ws = sh.ws
    sh.widths((12, 40, 16, 14, 44))
    ws.freeze_panes(2, 2)  # C3
    sh.print_landscape(1, 1, paper=A4)
    _protect(ws, format_cells=False)
    ws.merge_range(0, 0, 0, len(COOPERATION_HEADERS) - 1, None, sh._format("title"))
    sh.text(0, 0, f"{unit}作为配合责任单位的整改事项（截至{cn_date(as_of)}），请在“配合情况”栏填写配合落实情况",
            "title")
    for col, h in enumerate(COOPERATION_HEADERS):
        sh.text(1, col, h, "header")
    for r, item in enumerate(items, 2):
        deadline = cn_date(item.deadline) if item.deadline else item.deadline_text
        for col, value in enumerate((item.id, item.problem, item.unit, deadline)):
            sh.text(r, col, value, "locked")
        sh.text(r, 4, None, "open")


def feedback_workbook(config: Config, unit: str, items: Sequence[Item], as_of: date,
                      cooperating: Sequence[Item] = (), *, title: str | None = None,
                      help_text: Sequence[str] = HELP_TEXT, blank_rows: int = BLANK_ROWS,
                      extra_sheets: Sequence[tuple[str, Sequence[str]]] = (),
                      properties: Mapping[str, str] | None = None,
                      more: Sequence[tuple[str, int, str, Callable[[Item], object]]] = ()) -> bytes:
    """The form for `unit` listing `items` (already chosen, e.g. by `open_items`), and on a sheet
    of its own the items it cooperates on (`cooperating_items`), as bytes. A township's report up
    (pipeline.upstream) is one too: its own `title`, `help_text`, no blank rows, a signature sheet
    among `extra_sheets` (name, lines), custom `properties` and `more` columns after the form's
    (header, width, kind, value of an item): what the district's ingest reads of the three lists."""
    book = StreamBook(small=True)
    try:
        _form_sheet(book, unit, items, as_of, title, blank_rows, more)
        if cooperating:
            _cooperation_sheet(book, unit, cooperating, as_of)
        _lines_sheet(book, HELP_SHEET, 110, [("填表说明", "title"), *((line, "line") for line in help_text)])
        for name, lines in extra_sheets:
            _lines_sheet(book, name, 80, [(line, "big") for line in lines])
        book.made_on(as_of)
        for name, value in (properties or {}).items():
            book.wb.set_custom_property(name, value)
    finally:
        data = book.close()
    return data


def _form_sheet(book: StreamBook, unit: str, items: Sequence[Item], as_of: date, title: str | None,
                blank_rows: int, more: Sequence[tuple[str, int, str, Callable[[Item], object]]]) -> None:
    columns = [*COLUMNS, *((h, width, False, kind) for h, width, kind, _ in more)]
    headers = [c[0] for c in columns]
    sh = book.sheet(FORM_SHEET)
    sh.define("title", bold=True, size=14, align="center", border=False)
    sh.define("meta", size=11, border=False)
    sh.define("header", bold=True, fill=HEADER_FILL.fgColor.rgb[-6:], align="center", wrap=True)
    for locked in (True, False):
        fill = LOCKED_FILL if locked else None
        for kind in ("text", "wrap", "date"):
            sh.define(f"{kind}:{locked}", wrap=kind == "wrap", fmt=DATE_FORMAT if kind == "date" else None,
                      fill=fill, locked=locked)
    ws = sh.ws
    sh.widths(c[1] for c in columns)
    first = HEADER_ROW + 1  # 1-based, as people read the sheet
    last_row = first + max(len(items) + blank_rows, 1) - 1  # the validations need a row, even on none
    ws.freeze_panes(HEADER_ROW, 2)  # C4
    sh.print_landscape(HEADER_ROW - 1, HEADER_ROW - 1, paper=A4)
    _protect(ws, format_cells=True)
    status_col = headers.index("完成情况")
    ws.data_validation(first - 1, status_col, last_row - 1, status_col, {
        "validate": "list", "source": list(STATUSES), "ignore_blank": True, "show_error": True,
        "error_title": "完成情况", "error_message": "请从下拉列表中选择：" + "、".join(STATUSES)})
    for name, style in (("整改时限", "information"), ("完成日期", "warning")):  # 长期坚持 is fine as 整改时限
        col = headers.index(name)
        ws.data_validation(first - 1, col, last_row - 1, col, {
            "validate": "date", "criteria": ">", "value": date(2000, 1, 1), "ignore_blank": True,
            "show_error": True, "error_type": style, "error_title": name,
            "error_message": "请填写日期，例如 2026-12-31"})

    sh.height(0, 28)
    ws.merge_range(0, 0, 0, len(columns) - 1, None, sh._format("title"))
    sh.text(0, 0, title or f"{unit}“三查三单”整改落实情况反馈表（截至{cn_date(as_of)}）", "title")
    sh.text(1, 0, f"填报单位：{unit}", "meta")
    sh.text(1, headers.index("整改进展"), f"{MADE_ON_LABEL}：{cn_date(as_of)}（表中内容为台帐截至该日的情况）", "meta")
    for col, h in enumerate(headers):
        sh.text(2, col, h, "header")
    rows = [[*_values(i), *(value(i) for *_, value in more)] for i in items] + [[None] * len(columns)] * blank_rows
    for r, values in enumerate(rows, HEADER_ROW):
        blank_row = r - HEADER_ROW >= len(items)
        for c, ((_, _, locked, kind), value) in enumerate(zip(columns, values, strict=False)):
            # 编号 stays locked even on blank rows: a new problem gets its number from the ledger.
            style = f"{kind}:{locked and (c == 0 or not blank_row)}"
            if isinstance(value, date):
                sh.value(r, c, value, style)
            else:
                sh.text(r, c, value, style)


def _lines_sheet(book: StreamBook, name: str, width: int, lines: Sequence[tuple[str, str]]) -> None:
    """A sheet of lines in column A: 填表说明, a report up's signature sheet."""
    sh = book.sheet(name)
    sh.define("title", bold=True, size=12, border=False)
    sh.define("line", wrap=True, border=False)
    sh.define("big", size=12, border=False)
    sh.widths([width])
    for r, (text, style) in enumerate(lines):
        sh.text(r, 0, text, style)
