"""`sancha score`: a period's evaluation read from the ledger and written as the
`…考核得分表.xlsx` (sheet 汇总: per unit; sheet 明细: one line per point) and the
`…考核结果通报.docx`. The figures are `deadlines.scoring`'s, from the events and the circulars
issued; this module reads them and writes the files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.deadlines.scoring import RULES, Period, ScoreCard, score
from pipeline.files import write_atomic
from pipeline.ledger import issued
from pipeline.ledger.ledger import Ledger, refuse_if_lost
from pipeline.ledger.timeline import Event
from pipeline.model import Item
from pipeline.output.documents import render
from pipeline.output.documents.ladder_contexts import score_context
from pipeline.output.documents.templates import SCORES, build_template
from pipeline.output.documents.xlsx_stream import MAX_TEXT, StreamBook
from pipeline.output.xlsx_text import looks_like_formula
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


def circulars(ledger: Ledger) -> list[tuple[date, str, dict | None]]:
    """(day, 文号, the units it commended and criticised as recorded — None for a circular written
    before they were) of each circular issued (numbered; a re-issue counted once, as last written)."""
    seen: dict[str, issued.WrittenDocument] = {}
    for doc in issued.written(ledger).values():
        if doc.kind == "circular" and doc.doc_number and (doc.key not in seen
                                                          or doc.written_at >= seen[doc.key].written_at):
            seen[doc.key] = doc
    return sorted(((d.as_of, d.doc_number, json.loads(d.verdict) if d.verdict else None) for d in seen.values()),
                  key=lambda c: (c[0], c[1]))


def load_card(ws: Workspace, period: Period) -> tuple[ScoreCard, dict[str, Item]]:
    """The period's score card, and every item now (for the persons a circular names)."""
    events: dict[str, list[Event]] = {}
    items: dict[str, Item] = {}
    found: list[tuple[date, str, dict | None]] = []
    if ws.db_path.exists():
        with Ledger.open(ws.db_path) as ledger:
            items = {i.id: i for i in ledger.items()}
            # what took effect by the period's end, without the texts no score reads (a co-unit's share is)
            for event in ledger.events_until(period.end, keep=("co_units",)):
                events.setdefault(event.item_id, []).append(event)
            found = circulars(ledger)
    else:
        refuse_if_lost(ws.db_path)
    return score(ws.config, events, found, period), items


def score_workbook(card: ScoreCard) -> bytes:
    """The 考核得分表: sheet 汇总 (a row per unit) and sheet 明细 (a row per line), written row by
    row by XlsxWriter (a year of a city's ledger is a hundred thousand lines; openpyxl's
    `max_row` per row made that quadratic). Texts shared: units, rules and refs repeat."""
    book = StreamBook(constant_memory=False)
    for name, header, widths in (("汇总", SUMMARY_HEADER, (6, 24, 8)),
                                 ("明细", DETAIL_HEADER, (24, 12, 12, 16, 8, 40, 10))):
        sh = book.sheet(name)
        sh.define("text", border=False, size=11)
        sh.define("number", border=False, size=11, align="right")
        sh.define("date", border=False, size=11, fmt="yyyy-mm-dd", align="center")
        sh.widths(widths)
        for col, title in enumerate(header):
            sh.text(0, col, title, "text")
        row = 1
        if name == "汇总":
            for u in card.units:
                sh.value(row, 0, u.rank, "number")
                sh.text(row, 1, u.unit, "text")
                sh.value(row, 2, u.score, "number")
                for col, rule in enumerate(RULES, 3):
                    sh.value(row, col, u.count(rule), "number")
                row += 1
            continue
        # a hundred thousand rows: XlsxWriter's calls directly, texts always as strings (what
        # `StreamSheet.text` does, with Excel's quote prefix for a text that looks like a formula)
        ws, text, quoted = sh.ws, sh._format("text"), sh._format("text", True)
        number, day = sh._format("number"), sh._format("date")
        write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
        labels = {rule: RULES[rule] for rule in RULES}
        for u in card.units:
            unit_format = quoted if looks_like_formula(u.unit) else text
            for line in u.lines:
                write_string(row, 0, u.unit, unit_format)
                if line.item is not None:
                    write_string(row, 1, line.item, quoted if looks_like_formula(line.item) else text)
                write_datetime(row, 2, line.on, day)
                write_string(row, 3, labels[line.rule], text)
                write_number(row, 4, line.points, number)
                if line.ref:
                    write_string(row, 5, line.ref[:MAX_TEXT], quoted if looks_like_formula(line.ref) else text)
                if line.event is not None:
                    write_number(row, 6, line.event, number)
                row += 1
    return book.close()


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
