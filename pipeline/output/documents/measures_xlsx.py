"""措施清单 — the workbook a lead unit gets with its 交办单 (issue 17): the problems the office
assigned to it, pre-filled and locked (编号, 整改问题, 整改建议, 牵头责任单位), and the three lists'
columns to fill — 整改措施, 整改时限, 时间节点, 配合责任单位, 责任领导, 责任人, 联系电话, 整改目标.

It comes back through the inbox like a 反馈表: the header is one header.py reads, the
`填报单位：<unit>` line names the submitter, each row's 编号 names its item; the unit's measures
and deadline take the item out of 待报措施 (merge: a `measures` event). 整改时限 and 时间节点 take
dates (a warning on anything else: 长期坚持 and staged texts are fine), 配合责任单位 a dropdown of
the registered units (a hidden sheet lists them; other text is allowed with a warning).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pipeline.config import Config
from pipeline.model import MADE_ON_LABEL, Item
from pipeline.output.documents.contexts import cn_date
from pipeline.output.documents.xlsx_cells import HEADER_FILL, CellMaker, mark_made_on, print_landscape

MEASURES_SHEET = "措施清单"
UNITS_SHEET = "单位名单"
HELP_SHEET = "填表说明"
HEADER_ROW = 3
LOCKED_FILL = "F2F2F2"

# (header, width, locked, kind)
COLUMNS = [
    ("编号", 12, True, "text"),
    ("整改问题", 34, True, "wrap"),
    ("整改建议", 26, True, "wrap"),
    ("牵头责任单位", 14, True, "text"),
    ("整改措施", 36, False, "wrap"),
    ("整改时限", 16, False, "wrap"),
    ("时间节点", 26, False, "wrap"),
    ("配合责任单位", 16, False, "wrap"),
    ("责任领导", 10, False, "text"),
    ("责任人", 10, False, "text"),
    ("联系电话", 14, False, "text"),
    ("整改目标", 24, False, "wrap"),
    ("备注", 14, False, "wrap"),
]
HEADERS = [c[0] for c in COLUMNS]

HELP_TEXT = (
    "1. 本表列出督查室交办你单位牵头整改的问题。“编号”“整改问题”“整改建议”“牵头责任单位”已锁定，请勿改动。",
    "2. 请逐项填写“整改措施”和“整改时限”（写明具体日期，如 2026-12-31 或 2026年12月底前；长期坚持的写“长期坚持”）。",
    "3. 分阶段推进的，在“时间节点”中逐条写明，如“2026年12月15日前完成排查；2027年3月底前完成整改”。",
    "4. “责任领导”填分管领导，“责任人”填具体负责的同志，并留联系电话；“配合责任单位”可从下拉列表中选择。",
    "5. 填好后请将本文件放回共享文件夹的收件箱（inbox）中，系统将自动读取并生成回执。",
)


def measures_workbook(config: Config, unit: str, items: Sequence[Item], as_of: date, due: str) -> bytes:
    """The 措施清单 of `unit` listing `items` (the problems assigned to it), as bytes; `due` is
    the day its measures are due, as printed."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(MEASURES_SHEET)
    cm = CellMaker(ws)
    cm.define("title", bold=True, size=14, align="center", border=False)
    cm.define("meta", size=11, border=False)
    cm.define("header", bold=True, fill=HEADER_FILL.fgColor.rgb, align="center", wrap=True)
    for locked in (True, False):
        for kind in ("text", "wrap"):
            cm.define(f"{kind}:{locked}", wrap=kind == "wrap", fill=LOCKED_FILL if locked else None, locked=locked)
    last = get_column_letter(len(COLUMNS))
    for c, (_, width, _, _) in enumerate(COLUMNS, 1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.row_dimensions[1].height = 28
    ws.merged_cells.add(f"A1:{last}1")
    first, last_row = HEADER_ROW + 1, HEADER_ROW + max(len(items), 1)
    ws.freeze_panes = f"C{first}"
    print_landscape(ws, f"{HEADER_ROW}:{HEADER_ROW}")
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.formatCells = False
    _validations(ws, config, first, last_row)

    ws.append([cm.text(f"{unit}整改措施清单（{cn_date(as_of)}交办，请于{due}前报送）", "title")])
    gap = [None] * (HEADERS.index("整改措施") - 1)
    ws.append([cm.text(f"填报单位：{unit}", "meta"), *gap, cm.text(f"{MADE_ON_LABEL}：{cn_date(as_of)}", "meta")])
    ws.append([cm.text(h, "header") for h in HEADERS])
    for item in items:
        values = [item.id, item.problem, item.suggestion, item.unit, None, None, None, "、".join(item.co_units),
                  item.leader, item.owner, item.phone, item.target, None]
        ws.append([cm.text(v, f"{kind}:{locked}") for (_, _, locked, kind), v in zip(COLUMNS, values, strict=True)])

    names = wb.create_sheet(UNITS_SHEET)
    names.sheet_state = "hidden"
    for name in (*config.unit_names, *(p.name for p in config.partners)):
        names.append([name])
    help_ws = wb.create_sheet(HELP_SHEET)
    help_ws.column_dimensions["A"].width = 110
    hm = CellMaker(help_ws)
    hm.define("title", bold=True, size=12, border=False)
    hm.define("line", wrap=True, border=False)
    help_ws.append([hm.text("填表说明", "title")])
    for line in HELP_TEXT:
        help_ws.append([hm.text(line, "line")])
    mark_made_on(wb, as_of)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _validations(ws, config: Config, first: int, last_row: int) -> None:
    def column(name: str) -> str:
        return get_column_letter(HEADERS.index(name) + 1)

    for name in ("整改时限", "时间节点"):  # a warning only: 长期坚持 and staged texts are fine
        dates = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True,
                               showErrorMessage=True, errorStyle="information", errorTitle=name,
                               error="请填写日期，例如 2026-12-31；长期坚持或分阶段的可直接写文字")
        dates.add(f"{column(name)}{first}:{column(name)}{last_row}")
        ws.data_validations.append(dates)
    count = len(config.unit_names) + len(config.partners)
    units = DataValidation(type="list", formula1=f"{UNITS_SHEET}!$A$1:$A${max(count, 1)}", allow_blank=True,
                           showErrorMessage=True, errorStyle="warning", errorTitle="配合责任单位",
                           error="请从下拉列表中选择已登记的单位；多个单位请用顿号分隔")
    units.add(f"{column('配合责任单位')}{first}:{column('配合责任单位')}{last_row}")
    ws.data_validations.append(units)
    measures = DataValidation(type="textLength", operator="greaterThan", formula1="0", allow_blank=False,
                              showErrorMessage=True, errorStyle="warning", errorTitle="整改措施",
                              error="每个问题都要填写整改措施")
    measures.add(f"{column('整改措施')}{first}:{column('整改措施')}{last_row}")
    ws.data_validations.append(measures)
