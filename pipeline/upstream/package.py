"""下发包 — the district's work for a unit that runs its own sancha (`[[units]] runs_sancha`).

Beside each such unit's 反馈表 the weekly batch writes a `下发包` workbook: the unit's open
items with the district's ids (上级编号), deadlines and requirements, in a 三单 layout the
township's ingest reads as the office's own file (the township's `[upstream] name` is one of
its office's names): each row registers an item keeping the district's id as `upstream_id`,
or updates the item that has it in what the district owns (problem, source, a new deadline
as an extension), never taking it back from the township's unit it was assigned to. Its
问题来源 is the district; what the district's ledger calls the source is kept in 备注 on the
first registration. Items the township registered itself (reported up with report = "all")
go down too, with their own source: the township's ingest links its item of the same problem
to the district's id, and its next report up names it by that id.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from pipeline.config import Config
from pipeline.deadlines.cndate import cn_date
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.timeline import Event, ordered, undone_ids
from pipeline.model import MADE_ON_LABEL, Item, ItemState, milestones_text
from pipeline.output.documents.feedback_xlsx import open_items
from pipeline.output.documents.xlsx_cells import DATE_FORMAT, HEADER_FILL, CellMaker, mark_made_on, print_landscape

PACKAGE_WORD = "下发包"  # in the file name, and the sheet's name
HELP_SHEET = "填表说明"
# 责任人, 整改进展, 完成情况, 整改目标, 时间节点 and 联系电话 as the district has them: taken when an
# item is first registered, the township's own from then on (its villages report them, its
# report up carries them back).
COLUMNS = [("上级编号", 12, "text"), ("问题来源", 18, "wrap"), ("整改问题", 40, "wrap"), ("整改措施", 40, "wrap"),
           ("整改时限", 14, "date"), ("牵头责任单位", 16, "text"), ("责任人", 10, "text"), ("整改进展", 30, "wrap"),
           ("完成情况", 10, "text"), ("备注", 24, "wrap"),
           # issue 17: what the district requires and who answers for it
           ("整改建议", 30, "wrap"), ("检查名称", 16, "wrap"), ("责任领导", 12, "text"),
           ("整改目标", 24, "wrap"), ("时间节点", 30, "wrap"), ("联系电话", 14, "text"),
           # the level above's answer to an item reported upward (需上级协调), and its day
           ("上级答复", 30, "wrap"), ("答复日期", 14, "date")]
HELP_TEXT = (
    "1. 本表由上级督查室的 sancha 生成，列出交由本单位办理的整改事项，“上级编号”为上级台帐的编号。",
    "2. 请将本文件原样放入本级 sancha 的收件箱（inbox），系统登记或更新这些事项，并保留上级编号；"
    "再由本级督查室交办（移交）给所属村（社区）、站所办理。",
    "3. 本级办理情况用 sancha upstream export 生成报表报上级，无须手工填写本表。",
    "4. “上级答复”“答复日期”为上级对需上级协调事项的答复：本级该事项仍在待上级协调的，导入时自动登记上级答复"
    "（同一答复只登记一次），按答复后的整改时限继续推进。",
)


# 备注 of an item registered from a 下发包: the district's own 问题来源 (its 问题来源 column is the
# district). Written once, at registration; the report up leaves it out (`without_source_note`):
# the district knows its own source, and an echo would pile up round trip after round trip.
SOURCE_NOTE = "上级台帐问题来源："
_PARTS = re.compile(r"\s*[；;]\s*")


def source_note(source: str | None) -> str | None:
    return f"{SOURCE_NOTE}{source}" if source else None


def without_source_note(remark: str | None) -> str | None:
    """`remark` without its `SOURCE_NOTE` parts (each part between ；), None when nothing is left."""
    if not remark or SOURCE_NOTE not in remark:
        return remark
    kept = [p for p in _PARTS.split(remark) if p and not p.startswith(SOURCE_NOTE)]
    return "；".join(kept) or None


# An item from a list that names no measures (the city's tasks): the 三单 layout needs one.
MEASURES_TO_COME = "待承办单位制定整改措施"


def registered_by(ledger: Ledger, unit: str) -> set[str]:
    """The items a unit's own files registered (a township's own problems, reported up)."""
    return {r[0] for r in ledger.conn.execute(
        "SELECT e.item_id FROM events e JOIN files f ON f.id = e.file_id WHERE e.kind = 'register' AND f.unit = ?",
        (unit,))}


def package_items(unit: str, items: Sequence[Item], states: Mapping[str, ItemState]) -> list[Item]:
    """What goes down to `unit`: its open items."""
    return open_items(unit, items, states)


def given_answers(ledger: Ledger, ids: Iterable[str], as_of: date) -> dict[str, tuple[str, date]]:
    """Each item's last 上级答复 by `as_of` (one an undo took back left out): (text, day), by id."""
    by_item: dict[str, list[Event]] = {}
    for event in ledger.events_of(ids):
        if event.kind in ("answer", "undo") and event.on <= as_of:
            by_item.setdefault(event.item_id, []).append(event)
    out: dict[str, tuple[str, date]] = {}
    for item_id, events in by_item.items():
        undone = undone_ids(events)
        for event in ordered(events):
            if event.kind == "answer" and event.id not in undone and event.data.get("answer"):
                out[item_id] = (str(event.data["answer"]), event.on)
    return out


def _values(config: Config, item: Item, own: bool, answer: tuple[str, date] | None) -> list:
    if own:  # the township's own problem, reported up: its source stays its own
        source, remark = item.source, None
    else:
        source, remark = config.office_name, source_note(item.source)
    return [item.id, source, item.problem, item.measures or MEASURES_TO_COME,
            item.deadline if item.deadline is not None else item.deadline_text, item.unit, item.owner, item.progress,
            item.status, remark, item.suggestion, item.inspection, item.leader, item.target,
            milestones_text(item.milestones) or None, item.phone, *(answer or (None, None))]


def package_workbook(config: Config, unit: str, items: Sequence[Item], as_of: date,
                     own: Iterable[str] = (), answers: Mapping[str, tuple[str, date]] | None = None) -> bytes:
    """The 下发包 for `unit` listing `items` (already chosen: `package_items`), as bytes; `own`:
    the ids of those the unit registered itself (`registered_by`); `answers`: the 上级答复 of
    those answered (`given_answers`)."""
    own = set(own)
    answers = answers or {}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(PACKAGE_WORD)
    cm = CellMaker(ws)
    cm.define("title", bold=True, size=14, align="center", border=False)
    cm.define("meta", size=11, border=False)
    cm.define("header", bold=True, fill=HEADER_FILL.fgColor.rgb, align="center", wrap=True)
    for kind in ("text", "wrap", "date"):
        cm.define(kind, wrap=kind == "wrap", fmt=DATE_FORMAT if kind == "date" else None)
    for c, (_, width, _) in enumerate(COLUMNS, 1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.merged_cells.add(f"A1:{get_column_letter(len(COLUMNS))}1")
    print_landscape(ws, "3:3")
    ws.append([cm.text(f"{config.office_name}交办{unit}“三查三单”整改事项（截至{cn_date(as_of)}）", "title")])
    ws.append([cm.text(f"填报单位：{config.office_name}", "meta"), None, None,
               cm.text(f"{MADE_ON_LABEL}：{cn_date(as_of)}", "meta")])
    ws.append([cm.text(h, "header") for h, _, _ in COLUMNS])
    for item in items:
        ws.append([cm.value(v, kind) if isinstance(v, date) else cm.text(v, kind)
                   for (_, _, kind), v in zip(COLUMNS, _values(config, item, item.id in own, answers.get(item.id)),
                                                      strict=True)])
    help_ws = wb.create_sheet(HELP_SHEET)
    help_ws.column_dimensions["A"].width = 110
    hm = CellMaker(help_ws)
    hm.define("line", wrap=True, border=False)
    for line in HELP_TEXT:
        help_ws.append([hm.text(line, "line")])
    mark_made_on(wb, as_of)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
