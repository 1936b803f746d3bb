"""三单工作台帐 — the master ledger as an Excel file the office can filter and print.

Sheet 1 (三单工作台帐): a title row, a frozen header with filters, one row per item with its
state in words and in traffic-light colours (green on track, yellow due soon, red overdue).
Printed on A3 landscape, fitted to the width: the columns are sized so the fit keeps the 11 pt
text at 9 pt or more on paper (`printed_text_pt`); the header rows repeat on every page, the
footer numbers the pages. Rows with wrapped text carry an explicit height for their longest cell
(LibreOffice does not grow a row by itself, and Excel only when the file is edited).
Sheet 2 (汇总): figures per unit, ranked, and the count of items per state (A4 landscape).
Sheet 3 (督查室操作): empty rows under the action sheet's header (intake/action_sheet.py), 操作
a dropdown of the operations, dates and 新时限 as dates: filled in and dropped into
inbox/督查室/, each row is one office action.

`ledger_rows` is pure (items + states → rows of plain values); `ledger_workbook` writes them
with XlsxWriter in constant-memory mode (`xlsx_stream`; issue 20: ≈ 3× openpyxl's write-only
mode, for 200,000 items), the item rows as XML straight into its row stream
(`StreamSheet.rows`: the same bytes, ≈ 3× faster again).
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date

from pipeline.config import Config
from pipeline.deadlines.states import report_text
from pipeline.intake.action_sheet import COLUMNS as ACTION_COLUMNS
from pipeline.intake.action_sheet import OPERATIONS
from pipeline.intake.action_sheet import SHEET as ACTION_SHEET
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
    A4,
    BLUE,
    DATE_FORMAT,
    GREEN,
    GREY,
    HEADER_FILL,
    RED,
    YELLOW,
)
from pipeline.output.documents.xlsx_stream import DATE, NUMBER, TEXT, StreamBook

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


@functools.cache
def _wide_deleted() -> dict[int, None]:
    """str.translate table deleting the wide and full-width characters (none lie above plane 3)."""
    return {cp: None for cp in range(0x40000) if unicodedata.east_asian_width(chr(cp)) in "WF"}


def _text_units(text: str) -> float:
    """A text's width in column-width units (a Chinese character at 11 pt is about 2.1)."""
    narrow = len(text.translate(_wide_deleted()))  # counted in C: 200,000 rows of text
    return (len(text) - narrow) * 2.1 + narrow * 1.05


def row_lines(row: dict) -> int:
    """Lines the tallest wrapped cell of a row takes."""
    lines = 1
    for key, usable in _WRAPPED:
        value = row[key]
        if isinstance(value, str) and value:
            if len(value) * 2.1 <= usable and "\n" not in value:  # one line, however wide its characters
                continue
            lines = max(lines, sum(math.ceil(max(_text_units(part), 1) / usable) for part in value.split("\n")))
    return lines

_WRAPPED = [(key, max(width - 0.3, 1)) for _, key, width, kind in COLUMNS if kind == "wrap"]  # less the padding

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
    return list(iter_ledger_rows(config, items, states, inspections, evidence))


def iter_ledger_rows(config: Config, items: Sequence[Item], states: Mapping[str, ItemState],
                     inspections: Mapping[str, str] | None = None,
                     evidence: Mapping[str, Sequence] | None = None) -> Iterator[dict]:
    """`ledger_rows` one at a time (issue 20: 200,000 rows held at once were ≈ 300 MB)."""
    inspections = inspections or {}
    evidence = evidence or {}
    rank = {name: n for n, name in enumerate(config.unit_names)}
    for item in sorted(items, key=lambda i: (rank.get(i.unit, len(rank)), i.unit, i.id)):
        st = states[item.id]
        yield {
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
        }


def _ledger_sheet(book: StreamBook, config: Config, rows: Iterable[dict], as_of: date, *, count: int) -> Counter:
    """The sheet; returns how many rows each state has (the 汇总's counts)."""
    sh = book.sheet(LEDGER_SHEET)
    sh.define("title", bold=True, size=16, align="center", border=False)
    sh.define("header", bold=True, fill=HEADER_FILL.fgColor.rgb[-6:], align="center", wrap=True, size=FONT_PT)
    sh.define("text", size=FONT_PT)
    sh.define("wrap", wrap=True, size=FONT_PT)
    sh.define("date", fmt=DATE_FORMAT, align="center", size=FONT_PT)
    sh.define("int", align="center", size=FONT_PT)
    for state, (fill, colour) in STATE_COLOURS.items():
        sh.define(f"state:{state}", fill=fill, color=colour, bold=True, align="center", size=FONT_PT)

    ws = sh.ws
    last = len(COLUMNS) - 1
    sh.widths(c[2] for c in COLUMNS)
    ws.freeze_panes(2, 1)  # title and header rows, and the 编号 column: B3
    ws.autofilter(1, 0, max(count + 1, 2), last)
    sh.print_landscape(0, 1, paper=A3, pages_wide=PRINT_PAGES_WIDE)
    ws.repeat_columns(0, 0)  # REPEATED_COLUMNS, A:A: the 编号 on every page across

    sh.height(0, 24)
    ws.merge_range(0, 0, 0, last, None, sh._format("title"))
    sh.text(0, 0, f"{config.office_name}“三查三单”工作台帐（截至{cn_date(as_of)}）　"
                  f"{MADE_ON_LABEL}：{cn_date(as_of)}", "title")
    sh.height(1, 2 * LINE_PT + 2)
    for col, h in enumerate(HEADERS):
        sh.text(1, col, h, "header")
    states: Counter = Counter()

    def counted(rows: Iterable[dict]) -> Iterator[tuple[float | None, list]]:
        for row in rows:
            states[row["state"]] += 1
            yield _row_out(row)

    sh.rows(2, counted(rows))
    return states


_SPEC = [(key, kind, max(width - 0.3, 1)) for _, key, width, kind in COLUMNS]  # usable width, less the padding


def _row_out(row: dict) -> tuple[float | None, list[tuple[int, object, str]]]:
    """A ledger row's height (its tallest wrapped cell: `row_lines`) and its cells for
    `StreamSheet.rows` — the state in its colours, dates as dates, the overdue days as a number,
    the rest as text (wrapped where the column wraps) — in one pass over its columns."""
    lines = 1
    cells: list[tuple[int, object, str]] = []
    append = cells.append
    for key, kind, usable in _SPEC:
        value = row[key]
        if kind == "wrap":
            if (isinstance(value, str) and value
                    and (len(value) * 2.1 > usable or "\n" in value)):  # else one line, whatever its characters
                lines = max(lines, sum(math.ceil(max(_text_units(part), 1) / usable) for part in value.split("\n")))
            append((TEXT, value, "wrap"))
        elif kind == "text":
            append((TEXT, value, "text"))
        elif kind == "state":
            append((TEXT, value, f"state:{value}" if value in STATE_COLOURS else "text"))
        elif kind == "date" and isinstance(value, date):
            append((DATE, value, "date"))
        elif kind == "int":
            append((NUMBER, value, "int"))
        else:
            append((TEXT, value, "text"))
    return (lines * LINE_PT + 2 if lines > 1 else None), cells


def _summary_sheet(book: StreamBook, config: Config, summaries: Sequence, counts: Counter, as_of: date) -> None:
    sh = book.sheet(SUMMARY_SHEET)
    sh.define("title", bold=True, size=14, border=False)
    sh.define("header", bold=True, fill=HEADER_FILL.fgColor.rgb[-6:], align="center")
    sh.define("text")
    sh.define("int", align="center")
    sh.define("rate", align="center", fmt="0.0%")
    sh.widths((8, 24, 10, 10, 10, 10, 12, 10))
    sh.print_landscape(1, 1, paper=A4)
    sh.text(0, 0, f"各单位整改落实情况（截至{cn_date(as_of)}）", "title")
    for col, h in enumerate(("排名", "单位", "问题数", "已完成", "按期完成", "逾期", "未按时报送", "完成率")):
        sh.text(1, col, h, "header")
    r = 2
    for s in summaries:  # the one ranking (states.unit_summary); nothing due or done: unranked, —
        if s.rank is not None:
            sh.value(r, 0, s.rank, "int")
        else:
            sh.text(r, 0, "—", "text")
        sh.text(r, 1, s.unit, "text")
        for col, (value, style) in enumerate(((s.items, "int"), (s.done, "int"), (s.done_on_time, "int"),
                                              (s.overdue, "int"), (s.report_missing, "int"),
                                              (s.completion_rate, "rate")), 2):
            sh.value(r, col, value, style)
        r += 1
    r += 1  # an empty row
    sh.text(r, 0, "状态", "header")
    sh.text(r, 1, "事项数", "header")
    for state in ITEM_STATES:
        r += 1
        sh.text(r, 0, state, "text")
        sh.value(r, 1, counts.get(state, 0), "int")
    sh.text(r + 1, 0, "合计", "text")
    sh.value(r + 1, 1, sum(counts.values()), "int")


ACTION_ROWS = 500  # rows of 督查室操作 with the dropdown and date formats


def _actions_sheet(book: StreamBook) -> None:
    sh = book.sheet(ACTION_SHEET)
    sh.define("guide", wrap=True, border=False, size=FONT_PT)
    sh.define("header", bold=True, fill=HEADER_FILL.fgColor.rgb[-6:], align="center", size=FONT_PT)
    ws = sh.ws
    sh.widths((12, 14, 14, 14, 18, 40))
    ws.freeze_panes(2, 0)  # A3
    ws.data_validation(2, 1, ACTION_ROWS + 1, 1, {
        "validate": "list", "source": list(OPERATIONS), "ignore_blank": True,
        "error_title": "操作", "error_message": "请从下拉列表中选择操作"})
    sh.height(0, 3 * LINE_PT + 4)
    ws.merge_range(0, 0, 0, len(ACTION_COLUMNS) - 1, None, sh._format("guide"))
    sh.text(0, 0, "每行一项办理：填写编号、从下拉列表选择操作；日期不填为收到本表之日，"
                  "延期、回头看反弹、重开须填新时限，移交须填移交单位，延期、重开、作废、移交须写明说明。"
                  "填好后把本工作簿放入 inbox/督查室/，回执逐行说明办理结果。", "guide")
    for col, h in enumerate(ACTION_COLUMNS):
        sh.text(1, col, h, "header")


def ledger_workbook(
    config: Config, items: Sequence[Item], states: Mapping[str, ItemState], summaries: Sequence, as_of: date,
    inspections: Mapping[str, str] | None = None, evidence: Mapping[str, Sequence] | None = None,
) -> bytes:
    """The 三单工作台帐 workbook as bytes (`inspections`: their names by id; `evidence`: each
    item's 佐证材料 files)."""
    book = StreamBook()
    try:
        counts = _ledger_sheet(book, config, iter_ledger_rows(config, items, states, inspections, evidence), as_of,
                               count=len(items))
        _summary_sheet(book, config, summaries, counts, as_of)
        _actions_sheet(book)
        book.made_on(as_of)
    finally:
        data = book.close()
    return data
