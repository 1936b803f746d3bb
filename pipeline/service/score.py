"""`sancha score`: a period's evaluation read from the ledger and written as the
`…考核得分表.xlsx` (sheet 汇总: per unit; sheet 明细: one line per point) and the
`…考核结果通报.docx`. The figures are `deadlines.scoring`'s, from the events and the circulars
issued; this module reads them and writes the files.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from pipeline.deadlines.scoring import RULES, Period, ScoreCard, score
from pipeline.files import write_atomic
from pipeline.ledger import issued
from pipeline.ledger.ledger import Ledger, refuse_if_lost
from pipeline.ledger.timeline import Event
from pipeline.model import Item
from pipeline.output.documents import render
from pipeline.output.documents.ladder_contexts import score_context
from pipeline.output.documents.templates import SCORES, build_template
from pipeline.output.xlsx_text import put_text
from pipeline.workspace import Workspace

SHEET_WORD = "考核得分表"
CIRCULAR_WORD = "考核结果通报"
SUMMARY_HEADER = ("排名", "单位", "得分", *(RULES[r] for r in RULES))
DETAIL_HEADER = ("单位", "编号", "日期", "规则", "分值", "依据", "事件编号")


@dataclass
class ScoreFiles:
    card: ScoreCard
    sheet: Path
    circular: Path


def circulars(ledger: Ledger) -> list[tuple[date, str]]:
    """(day, 文号) of each weekly circular issued (numbered; a re-issue counted once)."""
    seen: dict[str, tuple[date, str]] = {}
    for doc in issued.written(ledger).values():
        if doc.kind == "circular" and doc.doc_number:
            seen.setdefault(doc.key, (doc.as_of, doc.doc_number))
    return sorted(seen.values())


def load_card(ws: Workspace, period: Period) -> tuple[ScoreCard, dict[str, Item]]:
    """The period's score card, and every item now (for the persons a circular names)."""
    events: dict[str, list[Event]] = {}
    items: dict[str, Item] = {}
    found: list[tuple[date, str]] = []
    if ws.db_path.exists():
        with Ledger.open(ws.db_path) as ledger:
            items = {i.id: i for i in ledger.items()}
            for event in ledger.events_of(items):
                events.setdefault(event.item_id, []).append(event)
            found = circulars(ledger)
    else:
        refuse_if_lost(ws.db_path)
    return score(ws.config, events, found, period), items


def score_workbook(card: ScoreCard) -> bytes:
    wb = Workbook()
    summary = wb.active
    summary.title = "汇总"
    summary.append(list(SUMMARY_HEADER))
    for u in card.units:
        summary.append([u.rank, None, u.score, *(u.count(rule) for rule in RULES)])
        put_text(summary.cell(summary.max_row, 2), u.unit)
    detail = wb.create_sheet("明细")
    detail.append(list(DETAIL_HEADER))
    for u in card.units:
        for line in u.lines:
            detail.append([None, None, line.on, None, line.points, None, line.event])
            row = detail.max_row
            for col, text in ((1, line.unit), (2, line.item), (4, RULES[line.rule]), (6, line.ref)):
                put_text(detail.cell(row, col), text)
            detail.cell(row, 3).number_format = "yyyy-mm-dd"
    for sheet, widths in ((summary, (6, 24, 8)), (detail, (24, 12, 12, 16, 8, 40, 10))):
        for n, width in enumerate(widths):
            sheet.column_dimensions[chr(65 + n)].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_scores(ws: Workspace, period: Period, output: Path | None = None, *, today: date | None = None
                 ) -> ScoreFiles:
    """Write the period's 考核得分表 and 考核结果通报 into `output` (a folder; default outbox/).
    The 通报 takes a 发文字号 from the office's series once the period has ended (kept on a re-run)."""
    today = today or date.today()
    card, items = load_card(ws, period)
    folder = output or ws.outbox
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{period.title}“三查三单”"
    sheet = write_atomic(folder / f"{stem}{SHEET_WORD}.xlsx", score_workbook(card))
    number = None
    if period.end < today and ws.db_path.exists():
        with Ledger.open(ws.db_path) as ledger:
            number = issued.take_number(ledger, issued.SERIES_DOC, today.year,
                                        f"score {period.start.isoformat()} {period.end.isoformat()}")
    template = ws.templates / SCORES
    data = template.read_bytes() if template.exists() else build_template(SCORES, ws.config.fonts)
    context = score_context(ws.config, card, items, today, number=number)
    circular = write_atomic(folder / f"{stem}{CIRCULAR_WORD}.docx",
                            render.render_docx(data, context, name=SCORES, fonts=ws.config.fonts))
    return ScoreFiles(card, sheet, circular)
