"""三单工作台帐 — the master ledger as an Excel file the office can filter and print.

Sheet 1 (三单工作台帐): a title row, a frozen header with filters, one row per item with its
state in words and in traffic-light colours (green on track, yellow due soon, red overdue).
Printed on A3 landscape, fitted to the width: the columns are sized so the fit keeps the 11 pt
text at 9 pt or more on paper (`printed_text_pt`); the header rows repeat on every page, the
footer numbers the pages. Rows with wrapped text carry an explicit height for their longest cell
(LibreOffice does not grow a row by itself, and Excel only when the file is edited).
Sheet 2 (汇总): figures per unit, ranked, and the count of items per state (A4 landscape).

`ledger_rows` is pure (items + states → rows of plain values); `ledger_workbook` writes them
with openpyxl in write-only mode, fast enough for 50,000 items.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from pipeline.config import Config
from pipeline.deadlines.states import report_text
from pipeline.model import (
    ITEM_STATES,
    MADE_ON_LABEL,
    STATE_AWAITING_MEASURES,
    STATE_BEHIND,
    STATE_CLOSED,
    STATE_DONE,
    STATE_DUE_SOON,
    STATE_NEEDS_HELP,
    STATE_ON_TRACK,
    STATE_ONGOING,
    STATE_OVERDUE,
    Item,
    ItemState,
    milestones_text,
)
from pipeline.output.documents.contexts import cn_date
from pipeline.output.documents.xlsx_cells import (
    A3,
    BLUE,
    DATE_FORMAT,
    GREEN,
    GREY,
    HEADER_FILL,
    RED,
    YELLOW,
    CellMaker,
    mark_made_on,
    print_landscape,
)

LEDGER_SHEET = "三单工作台帐"
SUMMARY_SHEET = "汇总"

# (header, key, width, kind): kind "text", "wrap" (wrapped, the row grows), "date", "int", "state"
COLUMNS = [
    ("编号", "id", 11, "text"),
    ("问题来源", "source", 9, "wrap"),
    ("牵头责任单位", "unit", 14, "wrap"),
    ("配合责任单位", "co_units", 12, "wrap"),
    ("责任人", "owner", 8, "wrap"),
    ("整改问题", "problem", 34, "wrap"),
    ("整改措施", "measures", 26, "wrap"),
    ("整改时限", "deadline", 12, "date"),
    ("完成情况", "status", 9, "wrap"),
    ("整改进展", "progress", 22, "wrap"),
    ("完成日期", "done_on", 12, "date"),
    ("状态", "state", 9, "state"),
    ("逾期工作日", "overdue_workdays", 8, "int"),
    ("报送期限", "report_due", 12, "date"),
    ("报送情况", "report", 10, "wrap"),
    ("重点督查", "key_supervision", 6, "text"),
    ("回头看", "lookback", 6, "text"),
    ("日历", "calendar", 6, "text"),
    ("备注", "remark", 14, "wrap"),
    # issue 17: the three lists complete
    ("检查名称", "inspection", 14, "wrap"),
    ("来源类别", "source_category", 9, "wrap"),
    ("整改建议", "suggestion", 24, "wrap"),
    ("整改目标", "target", 20, "wrap"),
    ("责任领导", "leader", 8, "wrap"),
    ("联系电话", "phone", 12, "text"),
    ("时间节点", "milestones", 26, "wrap"),
    ("原整改时限", "original_deadline", 12, "date"),
    ("销号日期", "closed_on", 12, "date"),
    ("回头看日期", "lookback_on", 12, "date"),
    # 佐证材料 (issue 23): what the unit's rows say, then the files received, count and names; a
    # header no reader maps to a field, so the workbook sent back never takes it for the unit's text
    ("佐证材料情况", "evidence", 12, "wrap"),
]
# The columns are printed on two A3 pages side by side, 编号 repeated on the second.
PRINT_PAGES_WIDE = 2
REPEATED_COLUMNS = "A:A"
HEADERS = [c[0] for c in COLUMNS]
FONT_PT = 11
LINE_PT = 14.3  # one line of 11 pt 宋体
PAGE_WIDTH_MM = 420 - 2 * 0.3 * 25.4  # A3 landscape less 0.3" margins


def column_px(width: float) -> int:
    """Excel's width in pixels for a column width (characters of the default font's digit, 7 px)."""
    return int(width * 7 + 5)


def printed_text_pt(widths: list[float] | None = None, pages: int = PRINT_PAGES_WIDE) -> float:
    """The size 11 pt text prints at once the sheet is fitted to `pages` pages wide (the 编号
    column, repeated on every page but the first, counted again on each)."""
    widths = widths or [c[2] for c in COLUMNS]
    total_px = sum(column_px(w) for w in widths) + (pages - 1) * column_px(widths[0])
    return FONT_PT * min(1.0, pages * PAGE_WIDTH_MM / (total_px * 25.4 / 96))


def _text_units(text: str) -> float:
    """A text's width in column-width units (a Chinese character at 11 pt is about 2.1)."""
    return sum(2.1 if unicodedata.east_asian_width(ch) in "WF" else 1.05 for ch in text)


def row_lines(row: dict) -> int:
    """Lines the tallest wrapped cell of a row takes."""
    lines = 1
    for _, key, width, kind in COLUMNS:
        value = row[key]
        if kind == "wrap" and isinstance(value, str) and value:
            usable = max(width - 0.3, 1)  # less the cell padding
            lines = max(lines, sum(math.ceil(max(_text_units(part), 1) / usable) for part in value.split("\n")))
    return lines

STATE_COLOURS = {
    STATE_ON_TRACK: GREEN,
    STATE_DUE_SOON: YELLOW,
    STATE_BEHIND: YELLOW,
    STATE_AWAITING_MEASURES: YELLOW,
    STATE_OVERDUE: RED,
    STATE_DONE: GREY,
    STATE_CLOSED: GREY,
    STATE_ONGOING: BLUE,
    STATE_NEEDS_HELP: YELLOW,
}


def evidence_cell(item: Item, files: Sequence | None) -> str:
    """佐证材料情况: what the unit's rows say (报送表：…), then how many files the item had by the
    day and their names (when known): "已收 2 份：a.jpg、b.pdf"."""
    lines = [f"报送表：{item.evidence_text}"] if item.evidence_text else []
    if item.evidence_count:
        names = [f.name for f in files or ()][:item.evidence_count]
        lines.append(f"已收 {item.evidence_count} 份" + (f"：{'、'.join(names)}" if names else ""))
    return "\n".join(lines)


def ledger_rows(config: Config, items: Sequence[Item], states: Mapping[str, ItemState],
                inspections: Mapping[str, str] | None = None,
                evidence: Mapping[str, Sequence] | None = None) -> list[dict]:
    """One dict per item, in registered unit order then 编号 (pure); `inspections` names the
    inspections by id (an unknown id is shown as it is); `evidence`: each item's 佐证材料 files
    (`ledger.evidence.EvidenceFile`), in the order received."""
    inspections = inspections or {}
    evidence = evidence or {}
    rank = {name: n for n, name in enumerate(config.unit_names)}
    rows = []
    for item in sorted(items, key=lambda i: (rank.get(i.unit, len(rank)), i.unit, i.id)):
        st = states[item.id]
        rows.append({
            "id": item.id,
            "source": item.source,
            "unit": item.unit,
            "co_units": "、".join(item.co_units),
            "owner": item.owner,
            "problem": item.problem,
            "measures": item.measures,
            "deadline": item.deadline if item.deadline is not None else item.deadline_text,
            "status": item.status,
            "progress": item.progress,
            "done_on": item.done_on,
            "state": st.state,
            "overdue_workdays": st.overdue_workdays or None,
            "report_due": st.report_due,
            "report": report_text(st),  # 已报送（M月D日） / 待报送（M月D日前） / 逾期未报送
            "key_supervision": "是" if st.key_supervision else "",
            "lookback": "是" if st.lookback_due else "",
            "calendar": "暂定" if st.provisional else "",
            "remark": item.remark,
            "inspection": inspections.get(item.inspection or "", item.inspection),
            "source_category": item.source_category,
            "suggestion": item.suggestion,
            "target": item.target,
            "leader": item.leader,
            "phone": item.phone,
            "milestones": milestones_text(item.milestones) or None,
            "original_deadline": item.original_deadline,
            "closed_on": item.closed_on,
            "lookback_on": item.lookback_on,
            "evidence": evidence_cell(item, evidence.get(item.id)),
        })
    return rows


def _ledger_sheet(wb: Workbook, config: Config, rows: list[dict], as_of: date) -> None:
    ws = wb.create_sheet(LEDGER_SHEET)
    cm = CellMaker(ws)
    cm.define("title", bold=True, size=16, align="center", border=False)
    cm.define("header", bold=True, fill=HEADER_FILL.fgColor.rgb, align="center", wrap=True, size=FONT_PT)
    cm.define("text", size=FONT_PT)
    cm.define("wrap", wrap=True, size=FONT_PT)
    cm.define("date", fmt=DATE_FORMAT, align="center", size=FONT_PT)
    cm.define("int", align="center", size=FONT_PT)
    for state, (fill, colour) in STATE_COLOURS.items():
        cm.define(f"state:{state}", fill=fill, color=colour, bold=True, align="center", size=FONT_PT)

    last_col = get_column_letter(len(COLUMNS))
    for n, (_, _, width, _) in enumerate(COLUMNS, 1):
        ws.column_dimensions[get_column_letter(n)].width = width
    ws.freeze_panes = "B3"  # title and header rows, and the 编号 column
    ws.auto_filter.ref = f"A2:{last_col}{max(len(rows) + 2, 3)}"
    print_landscape(ws, "1:2", paper=A3, pages_wide=PRINT_PAGES_WIDE)
    ws.print_title_cols = REPEATED_COLUMNS
    ws.merged_cells.add(f"A1:{last_col}1")

    ws.row_dimensions[1].height = 24
    ws.append([cm.text(f"{config.office_name}“三查三单”工作台帐（截至{cn_date(as_of)}）　"
                       f"{MADE_ON_LABEL}：{cn_date(as_of)}", "title")])
    ws.row_dimensions[2].height = 2 * LINE_PT + 2
    ws.append([cm.text(h, "header") for h in HEADERS])
    for n, row in enumerate(rows, 3):
        lines = row_lines(row)
        if lines > 1:  # set before the row is streamed out
            ws.row_dimensions[n].height = lines * LINE_PT + 2
        cells = []
        for _, key, _, kind in COLUMNS:
            value = row[key]
            if kind == "state":
                cells.append(cm.text(value, f"state:{value}" if value in STATE_COLOURS else "text"))
            elif kind == "date" and isinstance(value, date):
                cells.append(cm.value(value, "date"))
            elif kind == "int":
                cells.append(cm.value(value, "int"))
            else:
                cells.append(cm.text(value, "wrap" if kind == "wrap" else "text"))
        ws.append(cells)


def _summary_sheet(wb: Workbook, config: Config, summaries: Sequence, rows: list[dict], as_of: date) -> None:
    ws = wb.create_sheet(SUMMARY_SHEET)
    cm = CellMaker(ws)
    cm.define("title", bold=True, size=14, border=False)
    cm.define("header", bold=True, fill=HEADER_FILL.fgColor.rgb, align="center")
    cm.define("text")
    cm.define("int", align="center")
    cm.define("rate", align="center", fmt="0.0%")
    for n, width in enumerate((8, 24, 10, 10, 10, 10, 12, 10), 1):
        ws.column_dimensions[get_column_letter(n)].width = width
    print_landscape(ws, "2:2")
    ws.append([cm.text(f"各单位整改落实情况（截至{cn_date(as_of)}）", "title")])
    headers = ("排名", "单位", "问题数", "已完成", "按期完成", "逾期", "未按时报送", "完成率")
    ws.append([cm.text(h, "header") for h in headers])
    for s in summaries:  # the one ranking (states.unit_summary); nothing due or done: unranked, —
        rank = cm.value(s.rank, "int") if s.rank is not None else cm.text("—", "text")
        ws.append([rank, cm.text(s.unit, "text"), cm.value(s.items, "int"), cm.value(s.done, "int"),
                   cm.value(s.done_on_time, "int"), cm.value(s.overdue, "int"), cm.value(s.report_missing, "int"),
                   cm.value(s.completion_rate, "rate")])
    ws.append([])
    ws.append([cm.text("状态", "header"), cm.text("事项数", "header")])
    counts = Counter(r["state"] for r in rows)
    for state in ITEM_STATES:
        ws.append([cm.text(state, "text"), cm.value(counts.get(state, 0), "int")])
    ws.append([cm.text("合计", "text"), cm.value(len(rows), "int")])


def ledger_workbook(
    config: Config, items: Sequence[Item], states: Mapping[str, ItemState], summaries: Sequence, as_of: date,
    inspections: Mapping[str, str] | None = None, evidence: Mapping[str, Sequence] | None = None,
) -> bytes:
    """The 三单工作台帐 workbook as bytes (`inspections`: their names by id; `evidence`: each
    item's 佐证材料 files)."""
    rows = ledger_rows(config, items, states, inspections, evidence)
    wb = Workbook(write_only=True)
    _ledger_sheet(wb, config, rows, as_of)
    _summary_sheet(wb, config, summaries, rows, as_of)
    mark_made_on(wb, as_of)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
