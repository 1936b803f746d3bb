"""专题报告 (sancha report --source 审计): a report to 区人民政府 on how every item of one source
(审计, 巡查, a leader's instruction…) stands as of a day, and a 反馈 to each unit concerned.

    write_special_report(ws, "审计", date(2026, 11, 30))

    outbox/专题报告_<来源>_<日期>.docx                   the report, numbered in the office's 发文字号 series
    outbox/<单位>/专题报告反馈_<来源>_<日期>.docx         each registered unit with items of that source

As the seed asks (向区政府报告…同时向相关单位反馈): the 反馈 holds that unit's items only. A
re-run for the same source and day keeps the number; documents are put in place as the weekly
batch's are (service/publish): one sent out or edited is kept and the new one goes beside it.
A future `as_of` takes no number (a preview).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.deadlines.states import Standing
from pipeline.errors import Refused
from pipeline.ledger import issued
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.standing import load_standing
from pipeline.service import publish
from pipeline.service.publish import Document
from pipeline.workspace import Workspace, safe_filename

REPORT_WORD = "专题报告"
FEEDBACK_WORD = "专题报告反馈"
PREVIEW_WORD = "（预览）"


class NothingToReport(Refused):
    """The ledger holds no item of that source."""


@dataclass(frozen=True)
class SpecialReport:
    path: Path | None  # where the report went (beside the earlier one when that was kept); None if not written
    items: int  # how many items it covers
    doc_number: str = ""
    feedback: list[Path] = field(default_factory=list)  # the 专题报告反馈 written, one per unit
    kept: list[tuple[Path, Path]] = field(default_factory=list)  # (earlier version kept, new one beside it)
    problems: list[str] = field(default_factory=list)  # documents not written (template, held open): exit 1


def _of_inspection(ws: Workspace, inspection: str, as_of: date) -> tuple[str, Standing]:
    """(the inspection's name, the standing of its items as of the day)."""
    from pipeline.deadlines.states import standing
    from pipeline.ledger.inspections import load_inspections

    with Ledger.open(ws.db_path) as ledger:
        found = {i.id: i for i in load_inspections(ledger)}.get(inspection)
    if found is None:
        raise Refused(f"没有登记检查 {inspection}；sancha inspection list 列出已登记的检查")
    now = load_standing(ws, as_of)
    mine = [i for i in now.items if i.inspection == inspection]
    if not mine:
        raise NothingToReport(f"台帐中没有检查 {inspection}“{found.name}”发现的事项。")
    return found.name, standing(ws.config, mine, as_of, {i.id: now.states[i.id] for i in mine})


def report_path(ws: Workspace, source: str, as_of: date, preview: bool = False) -> Path:
    mark = PREVIEW_WORD if preview else ""
    return ws.outbox / safe_filename(f"{REPORT_WORD}_{source}_{as_of.isoformat()}{mark}.docx")


def write_special_report(ws: Workspace, source: str | None, as_of: date, output: Path | None = None, *,
                         replace: bool = False, today: date | None = None,
                         inspection: str | None = None) -> SpecialReport:
    """Render the report on `source` (trimmed; its category, `load_standing`) — or on the items of
    one `inspection` (its id; the report then names the inspection) — as of `as_of` into `output`
    (default outbox/), and its 反馈 copies (see the module docstring). Raises NothingToReport when
    no item has that source, DocumentError when a template is missing, DocumentWriteError when the
    disk refuses; a template that fails or a file held open is in `problems`."""
    from pipeline.output.documents import contexts, render  # the document stack: only here
    from pipeline.output.documents.templates import REPORT, REPORT_FEEDBACK

    config = ws.config
    preview = as_of > (today or publish.today())
    if inspection is not None:
        source, now = _of_inspection(ws, inspection, as_of)
        key = f"report {inspection} {as_of.isoformat()}"
    else:
        source = (source or "").strip()
        now = load_standing(ws, as_of, source=source)
        key = f"report {source} {as_of.isoformat()}"
    items, states, cal = now.items, now.states, now.calendar
    if not items:
        raise NothingToReport(f"台帐中没有问题来源为“{source}”的事项。")
    number = None
    if not preview:
        with Ledger.open(ws.db_path) as ledger:
            number = issued.take_number(ledger, issued.SERIES_DOC, as_of.year, key)
    context = contexts.report_context(config, source, items, states, now.summaries, as_of, number=number)
    reply_by = cal.add_workdays(as_of, config.rules.notice_reply_workdays)
    reply_text = contexts.cn_date(reply_by, cal.spans_provisional(as_of, reply_by))

    stem = safe_filename(f"{source}_{as_of.isoformat()}{PREVIEW_WORD if preview else ''}")
    out = Path(output) if output else report_path(ws, source, as_of, preview)
    doc_number = "" if preview else context["doc_number"]
    jobs = [(Document(out, "report", key, doc_number, issued=True), REPORT, context)]
    units = [u for u in config.unit_names if any(i.unit == u for i in items)]
    for unit in units:
        ctx = contexts.report_feedback_context(context, unit, items, states, reply_text)
        jobs.append((Document(ws.unit_outbox(unit) / f"{FEEDBACK_WORD}_{stem}.docx", "report-feedback",
                              f"{key} {unit}", doc_number, issued=True), REPORT_FEEDBACK, ctx))

    problems: list[str] = []
    staged: list[Document] = []
    try:
        for doc, template, ctx in jobs:
            try:
                data = render.render_docx(render.template_bytes(ws.templates, template), ctx, name=template,
                                          fonts=config.fonts)
            except render.TemplateError as e:
                if str(e) not in problems:
                    problems.append(str(e))
                continue
            publish.stage(doc, data)
            staged.append(doc)
    except OSError as e:
        publish.discard(staged)
        raise render.DocumentWriteError(render.write_failure(out, e)) from None

    with Ledger.open(ws.db_path) as ledger:
        placed = publish.place(ledger, ws.root, staged, as_of=as_of, replace=replace,
                               reissue_hours=config.rules.reissue_hours)
    problems += [message for _, message in placed.blocked]
    return SpecialReport(
        path=placed.path_of(out), doc_number=context["doc_number"], items=len(items),
        feedback=[p.path for p in placed.placed if p.doc.kind == "report-feedback"],
        kept=[(p.kept, p.path) for p in placed.placed if p.kept], problems=problems,
    )
