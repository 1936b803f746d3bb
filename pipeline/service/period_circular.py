"""`sancha circular --month 2026-11 | --quarter 2026-Q4`: the circular of a month or quarter
(the seed's quarterly spot checks and circulars), numbered in the same 发文字号 and 期 series as
the weekly ones, with the figures as of the period's last day and what happened in it.

    outbox/2026年11月_督查通报（观政办〔2026〕N号）.docx

A period not yet over is a preview as of today (unnumbered, （预览）). Put in place as the
weekly batch's documents are (service/publish): one sent out or edited is kept, the new one
goes beside it, unless `replace`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.deadlines.ladder import LEVEL_ACCOUNT, LEVEL_NOTICE, LEVEL_REMIND, LEVEL_WARN
from pipeline.deadlines.scoring import Period
from pipeline.deadlines.states import FINISHED_STATES
from pipeline.ledger import issued
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.notices import load_notices
from pipeline.ledger.standing import load_standing
from pipeline.service import publish
from pipeline.service.publish import Document, verdict_json
from pipeline.workspace import Workspace, safe_filename

CIRCULAR_WORD = "督查通报"


@dataclass(frozen=True)
class PeriodCircular:
    path: Path | None
    doc_number: str
    preview: bool
    problems: list[str]


def period_text(label: str, new: int, done: int, on_time: int, levels: dict[str, int]) -> str:
    """What happened in the period, in one sentence of the circular's 总体情况."""
    return (f"{label}，新登记整改问题{new}个，办结{done}个（其中按期办结{on_time}个）；发出临期提醒单"
            f"{levels.get(LEVEL_REMIND, 0)}份、督办通知单{levels.get(LEVEL_NOTICE, 0)}份、督办告诫单"
            f"{levels.get(LEVEL_WARN, 0)}份，{levels.get(LEVEL_ACCOUNT, 0)}个问题列入问责建议清单。")


def write_period_circular(ws: Workspace, key: str, period: Period, *, replace: bool = False,
                          today: date | None = None) -> PeriodCircular:
    from pipeline.output.documents import contexts, render
    from pipeline.output.documents.templates import CIRCULAR

    config = ws.config
    today = today or publish.today()
    preview = period.end >= today
    as_of = today if preview else period.end
    now = load_standing(ws, as_of)
    items, states = now.items, now.states
    number = issue = None
    levels: dict[str, int] = {}
    if ws.db_path.exists():
        with Ledger.open(ws.db_path) as ledger:
            if not preview:
                number = issued.take_number(ledger, issued.SERIES_DOC, period.end.year, f"circular {key}")
                issue = issued.take_number(ledger, issued.SERIES_ISSUE, period.end.year, f"circular {key}")
            for n in load_notices(ledger, config, as_of):
                if n.on in period:
                    levels[n.level] = levels.get(n.level, 0) + (len(n.items) if n.level == LEVEL_ACCOUNT else 1)
    finished = [i for i in items if states[i.id].state in FINISHED_STATES
                and ((i.done_on or i.closed_on or i.last_report_on) in period)]
    text = period_text(period.title, sum(1 for i in items if i.created_on in period), len(finished),
                       sum(1 for i in finished if states[i.id].done_on_time), levels)
    context = contexts.circular_context(config, items, states, now.summaries, as_of, number, issue=issue,
                                        period_label=period.title, period_text=text)
    mark = "（预览）" if preview else f"（{context['doc_number']}）"
    target = ws.outbox / safe_filename(f"{period.title}_{CIRCULAR_WORD}{mark}.docx")
    doc = Document(target, "circular", f"circular {key}", "" if preview else context["doc_number"], issued=True,
                   verdict=verdict_json(context))
    try:
        data = render.render_docx(render.template_bytes(ws.templates, CIRCULAR), context, name=CIRCULAR,
                                  fonts=config.fonts)
    except render.TemplateError as e:
        return PeriodCircular(None, context["doc_number"], preview, [str(e)])
    publish.stage(doc, data)
    with Ledger.open(ws.db_path) as ledger:
        placed = publish.place(ledger, ws.root, [doc], as_of=as_of, replace=replace,
                               reissue_hours=config.rules.reissue_hours)
    return PeriodCircular(placed.path_of(target), context["doc_number"], preview,
                          [message for _, message in placed.blocked])
