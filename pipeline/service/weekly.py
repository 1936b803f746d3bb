"""The weekly batch (sancha weekly): ingest the inbox, compute states, write the documents.

One batch at a time (a file lock). For the ISO week of `as_of` it writes

    outbox/<week>_督查通报（观政办〔2026〕12号）.docx   the circular
    outbox/<week>_三单工作台帐.xlsx                    the master ledger
    outbox/<week>_本周摘要.txt                          a short summary for the admin
    outbox/<unit>/<week>_督办通知单.docx                units with overdue items / missing reports
    outbox/<unit>/<week>_反馈表.xlsx                    every registered unit

Re-running the same week rewrites these files, keeps the circular's number and removes that
week's files that no longer apply (a unit that caught up gets no notice); a new week takes the
next number of the year. Per-unit documents are rendered in a process pool when there are many.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.deadlines.states import standing
from pipeline.errors import Refused
from pipeline.ledger.ahead import pool_context
from pipeline.ledger.ingest import FileResult, ingest_inbox
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.view import items_on
from pipeline.output.dashboard import headline_figures, write_dashboard
from pipeline.output.documents import contexts, render
from pipeline.output.documents.feedback_xlsx import feedback_workbook, open_items
from pipeline.output.documents.ledger_xlsx import ledger_workbook
from pipeline.output.documents.templates import CIRCULAR, NOTICE
from pipeline.workspace import Workspace, safe_filename

CIRCULAR_WORD = "督查通报"
LEDGER_WORD = "三单工作台帐"
NOTICE_WORD = "督办通知单"
FEEDBACK_WORD = "反馈表"
SUMMARY_WORD = "本周摘要"
WEEKLY_WORDS = (CIRCULAR_WORD, LEDGER_WORD, NOTICE_WORD, FEEDBACK_WORD, SUMMARY_WORD)

POOL_THRESHOLD = 40  # per-unit documents below this are rendered in this process
CHUNK = 8  # documents per task sent to a worker


class BatchRunning(Refused):
    """Another weekly batch holds the lock."""


@dataclass
class WeeklyResult:
    as_of: date
    week_key: str
    number: int
    doc_number: str
    ingested: list[FileResult]
    circular: Path
    ledger: Path
    summary: Path
    summary_text: str
    notices: list[Path] = field(default_factory=list)
    feedback_forms: list[Path] = field(default_factory=list)
    pdfs: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)  # that week's earlier files no longer due

    @property
    def files(self) -> list[Path]:
        return [self.circular, self.ledger, self.summary, *self.notices, *self.feedback_forms, *self.pdfs]


# -- work that may run in a worker process (module-level, picklable arguments) --------------


def _render_job(job: tuple) -> str:
    kind, out, *args = job
    if kind == "docx":
        templates_dir, name, context = args
        render.render_to(Path(templates_dir), name, context, Path(out))
    elif kind == "feedback":
        config, unit, items, as_of = args
        render.write_atomic(Path(out), feedback_workbook(config, unit, items, as_of))
    elif kind == "ledger":
        config, items, states, summaries, as_of = args
        render.write_atomic(Path(out), ledger_workbook(config, items, states, summaries, as_of))
    return out


def _render_chunk(jobs: list[tuple]) -> list[str]:
    return [_render_job(j) for j in jobs]


def _run_jobs(big: list[tuple], small: list[tuple], workers: int | None, advance: Callable[[int], None]) -> None:
    """Render every job; each big one (ledger, circular) is a task of its own, sent first so it
    overlaps with the many small per-unit ones."""
    jobs = big + small
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(jobs) >= POOL_THRESHOLD else 1
    if workers <= 1:
        for job in jobs:
            _render_job(job)
            advance(1)
        return
    chunks = [[j] for j in big]
    chunks += [small[i:i + CHUNK] for i in range(0, len(small), CHUNK)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context()) as pool:
        futures = {pool.submit(_render_chunk, chunk): len(chunk) for chunk in chunks}
        for future in as_completed(futures):
            future.result()
            advance(futures[future])


# -- the batch ----------------------------------------------------------------------------------


def _week_files(ws: Workspace, week: str) -> set[Path]:
    """This week's earlier weekly files in outbox/ and outbox/<unit>/ (receipts are not ours)."""
    found: set[Path] = set()
    if not ws.outbox.is_dir():
        return found
    for folder in (ws.outbox, *(p for p in ws.outbox.iterdir() if p.is_dir())):
        for p in folder.glob(f"{week}_*"):
            if p.is_file() and any(w in p.name for w in WEEKLY_WORDS):
                found.add(p)
    return found


def _summary_text(result_bits: dict) -> str:
    b = result_bits
    o = b["overview"]
    ingested: list[FileResult] = b["ingested"]
    verdicts = [r.verdict for r in ingested]
    lines = [
        f"{b['title']}（截至{contexts.cn_date(b['as_of'])}，{b['week_key']}）",
        f"收件箱：处理 {len(ingested)} 个文件，接收 {verdicts.count('accepted')}，退回 {verdicts.count('rejected')}，"
        f"重复 {verdicts.count('duplicate')}",
        f"台帐：{o['units']} 个单位 {o['total']} 项；已完成 {o['done']}（按期 {o['done_on_time']}），完成率 "
        f"{o['completion_rate']}；逾期 {o['overdue']}；未按时报送 {o['report_missing']}；临期 {o['due_soon']}；"
        f"重点督查 {o['key_supervision']}；回头看 {o['lookback']}",
        f"督查通报：{b['doc_number']}，表扬 {b['commended']}；"
        f"批评 {'、'.join(c['unit'] for c in b['criticised']) or '无'}",
        f"督办通知单：{len(b['notice_units'])} 个单位"
        + (f"（{'、'.join(b['notice_units'])}）" if b["notice_units"] else ""),
        f"反馈表：{b['feedback_count']} 个单位",
        f"回复期限：{b['reply_by']}",
    ]
    if b.get("pdf_note"):
        lines.append(b["pdf_note"])
    if b["provisional"]:
        lines.append("注意：部分日期按暂定工作日历推算（标“（暂定）”），国务院公布节假日安排后请在 sancha.toml 补充。")
    lines.append(f"文件位置：{b['outbox']}")
    return "\n".join(lines) + "\n"


def run_weekly(
    ws: Workspace,
    as_of: date,
    *,
    pdf: bool = False,
    progress=None,
    workers: int | None = None,
) -> WeeklyResult:
    """Run the weekly batch for the ISO week of `as_of`. Raises BatchRunning if one is running.

    `progress` is an optional rich Progress; `workers` forces the number of processes
    (default: a pool when there are many per-unit documents).
    """
    ws.ensure()
    lock = FileLock(str(ws.locks / "weekly.lock"), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise BatchRunning(
            f"另一个每周批处理正在运行（锁文件 {ws.locks / 'weekly.lock'}），请等它结束后再试。"
        ) from None
    try:
        return _run(ws, as_of, pdf=pdf, progress=progress, workers=workers)
    finally:
        lock.release()


def _run(ws: Workspace, as_of: date, *, pdf: bool, progress, workers: int | None) -> WeeklyResult:
    config = ws.config
    week = contexts.week_key(as_of)
    render.template_bytes(ws.templates, CIRCULAR)  # fail early and clearly if templates are missing
    render.template_bytes(ws.templates, NOTICE)

    task = progress.add_task("读取收件箱", total=None) if progress else None
    ingested = ingest_inbox(ws, received=as_of)

    with Ledger.open(ws.db_path) as ledger:
        now = standing(config, items_on(ledger, config, as_of), as_of)  # the ledger as it stood that day
        number = ledger.assign_circular_number(as_of.year, week)
        ledger.save_snapshot(week, as_of, headline_figures(now.summaries))
    items, states, summaries, cal = now.items, now.states, now.summaries, now.calendar

    reply_by = cal.add_workdays(as_of, config.rules.notice_reply_workdays)
    reply_provisional = cal.spans_provisional(as_of, reply_by)
    earlier = _week_files(ws, week)

    circ = contexts.circular_context(config, items, states, summaries, as_of, number)
    circular_path = ws.outbox / safe_filename(f"{week}_{CIRCULAR_WORD}（{circ['doc_number']}）.docx")
    ledger_path = ws.outbox / f"{week}_{LEDGER_WORD}.xlsx"

    registered = set(config.unit_names)
    by_unit: dict[str, list] = {}
    for item in items:
        by_unit.setdefault(item.unit, []).append(item)
    red = [u for u in contexts.red_units(items, states) if u in registered]

    big: list[tuple] = [
        ("ledger", str(ledger_path), config, items, states, summaries, as_of),
        ("docx", str(circular_path), str(ws.templates), CIRCULAR, circ),
    ]
    small: list[tuple] = []
    notices, forms, named = [], [], []
    for unit in red:
        out = ws.unit_outbox(unit) / f"{week}_{NOTICE_WORD}.docx"
        ctx = contexts.notice_context(config, unit, by_unit[unit], states, as_of, reply_by,
                                      reply_by_provisional=reply_provisional)
        small.append(("docx", str(out), str(ws.templates), NOTICE, ctx))
        notices.append(out)
        named += [(row["id"], out.name) for row in ctx["items"]]
    for unit in config.unit_names:
        out = ws.unit_outbox(unit) / f"{week}_{FEEDBACK_WORD}.xlsx"
        small.append(("feedback", str(out), config, unit, open_items(unit, by_unit.get(unit, []), states), as_of))
        forms.append(out)

    if progress:
        progress.update(task, description="生成督查通报、督办通知单、反馈表和台帐", total=len(big) + len(small),
                        completed=0)
    advance = (lambda n: progress.advance(task, n)) if progress else (lambda n: None)
    _run_jobs(big, small, workers, advance)
    with Ledger.open(ws.db_path) as ledger:  # each item a notice named: a `notice` event, once per week
        ledger.record_notices(named, as_of, week)

    write_dashboard(ws, as_of)  # outbox/看板.html, the leaders' page (issue 8)

    pdfs: list[Path] = []
    pdf_note = ""
    if pdf:
        if render.soffice():
            if progress:
                progress.update(task, description="转换 PDF")
            pdfs = render.convert_to_pdf([circular_path, *notices])
            pdf_note = f"PDF：已生成 {len(pdfs)} 个"
        else:
            pdf_note = "PDF：未找到 LibreOffice（soffice），未生成 PDF；Word 文件不受影响。"

    summary_path = ws.outbox / f"{week}_{SUMMARY_WORD}.txt"
    text = _summary_text({
        "title": f"{as_of.isocalendar()[0]}年第{as_of.isocalendar()[1]}周督查批处理",
        "as_of": as_of, "week_key": week, "overview": circ["overview"], "ingested": ingested,
        "doc_number": circ["doc_number"], "commended": circ["commended"], "criticised": circ["criticised"],
        "notice_units": red, "feedback_count": len(forms),
        "reply_by": contexts.cn_date(reply_by, reply_provisional), "pdf_note": pdf_note,
        "provisional": circ["provisional"], "outbox": ws.outbox,
    })
    render.write_atomic(summary_path, text.encode("utf-8"))

    written = {circular_path, ledger_path, summary_path, *notices, *forms, *pdfs}
    removed = sorted(p for p in earlier if p not in written)
    for p in removed:
        p.unlink(missing_ok=True)

    return WeeklyResult(
        as_of=as_of, week_key=week, number=number, doc_number=circ["doc_number"], ingested=ingested,
        circular=circular_path, ledger=ledger_path, summary=summary_path, summary_text=text,
        notices=notices, feedback_forms=forms, pdfs=pdfs, removed=removed,
    )
