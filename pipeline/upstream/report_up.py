"""A township's report to the district (`sancha upstream export`): an ordinary 三单 workbook.

The township's sancha is, at the same time, a unit of the district's (`[upstream] as_unit`).
Its report up is a 反馈表 in sancha's own layout, so the district's ingest needs nothing
special: 填报单位 is `as_unit`, 编号 the district's id of each item the district assigned
(`upstream_id`), blank for the township's own items when it reports them too (`[upstream]
report = "all"`: the district registers them, and knows them again by their problem text);
measures, progress, statuses, dates as the township's ledger has them on the day; the lead
unit is the township (its own villages are no units of the district's). The workbook says
the day it was made (the district's stale-value rule protects its newer changes), carries
the township's own figures for the district's roll-up (`levels`), and ends with a signature
sheet (签章页: 填报单位, 填报日期). Pure but for `upstream_export`, which reads the ledger.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from pipeline.config import Config, Upstream
from pipeline.deadlines.cndate import cn_date
from pipeline.deadlines.states import Standing, percent
from pipeline.errors import Refused
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.standing import load_standing
from pipeline.model import STATUS_NEEDS_HELP, Item, milestones_text
from pipeline.output.documents.feedback_xlsx import feedback_workbook
from pipeline.upstream.evidence_up import Carried, embed, to_carry
from pipeline.upstream.levels import LEVEL_PROPERTY, figures
from pipeline.upstream.package import without_source_note
from pipeline.workspace import Workspace

SIGNATURE_SHEET = "签章页"
HELP_TEXT = (
    "1. 本表由本级 sancha 根据台帐生成，报上级督查室：“编号”为上级台帐的编号，本级自行发现的问题编号留空。",
    "2. 表中整改措施、整改进展、完成情况、完成日期为本级台帐截至制表日期的情况；上级在该日之后的修改不会被本表覆盖。",
    "3. 请在“签章页”签字盖章后，连同本文件一并报送上级督查室，放入其收件箱（inbox）中本单位的文件夹。",
    "4. 上级交办事项的佐证材料已原样附在本文件中，上级收件时逐份核对收录，无须另行报送。",
)


# The three lists' fields the 反馈表 leaves out, carried up too (the district's ingest reads them
# as any unit's: 时间节点 with the days its steps were done).
MORE_COLUMNS = (("整改目标", 24, "wrap", lambda i: i.target),
                ("时间节点", 30, "wrap", lambda i: milestones_text(i.milestones) or None),
                ("联系电话", 14, "text", lambda i: i.phone), ("整改建议", 30, "wrap", lambda i: i.suggestion))


def upstream_of(config: Config) -> Upstream:
    if config.upstream is None:
        raise Refused("sancha.toml 中没有 [upstream]：请先写明上级（name）和本级在上级台帐中的名称（as_unit），"
                      "例如\n[upstream]\nname = \"大观区人民政府办公室\"\nas_unit = \"海口镇\"")
    return config.upstream


def reported_items(config: Config, items: Sequence[Item], reasons: Mapping[str, str] | None = None) -> list[Item]:
    """The items reported up, as rows of the district's form: the district's id as 编号 (blank
    for our own items, reported with report = "all"), the township as lead unit, no co-units
    (our villages are not the district's units). By the district's id, our own items last.
    An item waiting for the level above (需上级协调) carries the reason its escalation recorded
    (`reasons`, by id) in 备注 unless its 整改进展 or 备注 says it already."""
    above = upstream_of(config)
    reasons = reasons or {}
    out = []
    for item in items:
        district_id = item.upstream_id if item.upstream == above.name else None
        if not district_id and above.report != "all":
            continue
        remark = without_source_note(item.remark) if district_id else item.remark
        reason = reasons.get(item.id) if item.status == STATUS_NEEDS_HELP else None
        if reason and reason not in f"{item.progress or ''}{remark or ''}":
            remark = f"{remark}；需上级协调：{reason}" if remark else f"需上级协调：{reason}"
        out.append(replace(item, id=district_id or "", unit=above.as_unit, co_units=(), remark=remark))
    return sorted(out, key=lambda i: (i.id == "", i.id, i.created_on))


def signature_lines(unit: str, as_of: date, found: dict) -> list[str]:
    rate = percent(found["rate"])
    return [
        f"{unit}“三查三单”整改落实情况报告",
        f"填报单位：{unit}",
        f"填报日期：{cn_date(as_of)}",
        f"本级台帐截至{cn_date(as_of)}共有整改事项 {found['items']} 项，已完成 {found['done']} 项，"
        f"逾期 {found['overdue']} 项，完成率 {rate}。",
        "",
        "单位负责人（签字）：",
        "填表人：                联系电话：",
        "（单位盖章）",
    ]


def escalation_reasons(ledger: Ledger, items: Sequence[Item], as_of: date) -> dict[str, str]:
    """The reason each item waiting for the level above was escalated for (its last `escalate`
    event by `as_of`), by id."""
    waiting = [i.id for i in items if i.status == STATUS_NEEDS_HELP]
    reasons: dict[str, str] = {}
    for event in ledger.events_of(waiting):
        if event.kind == "escalate" and event.on <= as_of and event.data.get("reason"):
            reasons[event.item_id] = str(event.data["reason"])
    return reasons


def report_workbook(config: Config, now: Standing, reasons: Mapping[str, str] | None = None) -> bytes:
    """The report up as of `now.as_of` (pure: the standing in, the workbook's bytes out)."""
    above = upstream_of(config)
    rows = reported_items(config, now.items, reasons)
    found = figures(above.as_unit, now)
    title = f"{above.as_unit}“三查三单”整改落实情况（报{above.name}，截至{cn_date(now.as_of)}）"
    return feedback_workbook(config, above.as_unit, rows, now.as_of, title=title, help_text=HELP_TEXT, blank_rows=0,
                             extra_sheets=[(SIGNATURE_SHEET, signature_lines(above.as_unit, now.as_of, found))],
                             properties={LEVEL_PROPERTY: json.dumps(found, ensure_ascii=False)}, more=MORE_COLUMNS)


@dataclass(frozen=True)
class Export:
    """`upstream_export`'s outcome: the workbook, how many items it reports, the 佐证材料 it
    carries and those left out (it would have grown too large)."""

    data: bytes
    items: int
    carried: int
    left_out: tuple[Carried, ...]


def upstream_export(ws: Workspace, as_of: date) -> Export:
    """`sancha upstream export`: the workbook, its items, and the evidence it carries."""
    above = upstream_of(ws.config)
    now = load_standing(ws, as_of)
    reasons: dict[str, str] = {}
    carried: list[Carried] = []
    if ws.db_path.exists():
        with Ledger.open(ws.db_path) as ledger:
            reasons = escalation_reasons(ledger, now.items, as_of)
            district_ids = {i.id: i.upstream_id for i in now.items
                            if i.upstream == above.name and i.upstream_id and i.voided_on is None}
            carried = to_carry(ws, ledger, district_ids, as_of)
    workbook = report_workbook(ws.config, now, reasons)
    data, left = embed(workbook, carried, ws.config.limits.max_file_mb)
    return Export(data, len(reported_items(ws.config, now.items)), len(carried) - len(left), tuple(left))


def default_name(config: Config, as_of: date) -> str:
    above = upstream_of(config)
    return f"{above.as_unit}_上报{above.name}_{as_of.isoformat()}.xlsx"
