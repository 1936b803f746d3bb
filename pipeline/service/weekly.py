"""The weekly batch (sancha weekly): ingest the inbox, compute states, write the documents.

One batch at a time (a file lock). For the ISO week of `as_of` (`<week>` = 2026-W49) it writes

    outbox/<week>/<week>_督查通报（观政办〔2026〕12号）.docx   the circular
    outbox/<week>/<week>_三单工作台帐.xlsx                    the master ledger (and its 督查室操作 sheet)
    outbox/<week>/<week>_本周摘要.txt                          the summary, with what to do next
    outbox/<unit>/<week>_督办通知单.docx                       units with overdue items / missing reports
    outbox/<unit>/<week>_反馈表.xlsx                           every registered unit

and outbox/看板.html. A week's files an earlier sancha wrote at the root of outbox/ count as
that week's earlier files (replaced, or removed when no longer due) like those in its folder.

Numbers: the circular takes the year's next 发文字号 and 期, each notice the next 督办 number
(ledger/issued.py), all by the year of `as_of` (the documents' own date); a re-run of the week
keeps them. A future `as_of` (after `today`) is a preview: nothing numbered, nothing taken, file
names marked （预览）.

Every document is rendered under a temporary name first and then put in place (service/publish):
a document held open is named in the summary (`problems`, exit 1) and the others still go in; a
circular or notice sent out or edited since is kept, the new one written beside it
(`…（重新生成）.docx`, said in the summary) unless `replace`. A template that fails names itself
in `problems`; the batch writes every other document. That week's earlier files that no longer
apply go (a unit that caught up gets no notice) — a notice already sent out stays.
Per-unit documents are rendered in a process pool when there are many.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.deadlines.states import standing, status_figures
from pipeline.errors import Refused
from pipeline.files import write_atomic
from pipeline.ledger import issued
from pipeline.ledger.ahead import pool_context
from pipeline.ledger.evidence import evidence_on
from pipeline.ledger.ingest import FileResult, ingest_inbox
from pipeline.ledger.inspections import load_inspections, report_lines
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.standing import figures_key
from pipeline.ledger.view import items_on
from pipeline.output.dashboard import dashboard_page, dashboard_path, headline_figures
from pipeline.output.documents import contexts, render
from pipeline.output.documents import fonts as faces
from pipeline.output.documents.feedback_xlsx import cooperating_items, feedback_workbook, open_items
from pipeline.output.documents.ledger_xlsx import ledger_workbook
from pipeline.output.documents.templates import CIRCULAR, LATER_TEMPLATES, NOTICE, build_template
from pipeline.output.receipts import UNKNOWN_UNIT_FOLDER
from pipeline.service import ladder_batch, publish
from pipeline.service.publish import Document, verdict_json
from pipeline.upstream.package import PACKAGE_WORD, given_answers, package_items, package_workbook, registered_by
from pipeline.workspace import Workspace, safe_filename

CIRCULAR_WORD = "督查通报"
LEDGER_WORD = "三单工作台帐"
NOTICE_WORD = "督办通知单"
FEEDBACK_WORD = "反馈表"
SUMMARY_WORD = "本周摘要"
PREVIEW_WORD = "（预览）"
WEEKLY_WORDS = (CIRCULAR_WORD, LEDGER_WORD, NOTICE_WORD, FEEDBACK_WORD, SUMMARY_WORD, *ladder_batch.LADDER_WORDS)

POOL_THRESHOLD = 40  # per-unit documents below this are rendered in this process
CHUNK = 8  # documents per task sent to a worker


class BatchRunning(Refused):
    """Another weekly batch holds the lock."""


@dataclass
class WeeklyResult:
    as_of: date
    week_key: str
    number: int  # the circular's 文号 number; 0 for a preview
    doc_number: str
    ingested: list[FileResult]
    circular: Path | None  # None when its template failed or it could not be put in place
    ledger: Path
    summary: Path
    summary_text: str
    notices: list[Path] = field(default_factory=list)
    feedback_forms: list[Path] = field(default_factory=list)
    packages: list[Path] = field(default_factory=list)  # 下发包 ([[units]] runs_sancha)
    pdfs: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)  # that week's earlier files no longer due
    kept: list[tuple[Path, Path]] = field(default_factory=list)  # (earlier version kept, new one beside it)
    problems: list[str] = field(default_factory=list)  # documents not written (template, held open): exit 1
    preview: bool = False
    ladder: list[Path] = field(default_factory=list)  # 临期提醒单, 督办告诫单, 问责建议清单, 需上级协调事项清单
    sms: Path | None = None  # 待发短信.csv

    @property
    def files(self) -> list[Path]:
        return [p for p in (self.circular, self.ledger, self.summary, *self.notices, *self.feedback_forms,
                            *self.packages, *self.pdfs, *self.ladder, self.sms) if p is not None]


# -- work that may run in a worker process (module-level, picklable arguments) --------------


def _render_job(job: tuple) -> str | None:
    """Stage one document; the Chinese message of a template that failed, else None."""
    kind, staged, *args = job
    try:
        if kind == "docx":
            templates_dir, name, context, fonts = args
            data = render.render_docx(render.template_bytes(Path(templates_dir), name), context, name=name, fonts=fonts)
        elif kind == "feedback":
            config, unit, items, as_of, cooperating = args
            data = feedback_workbook(config, unit, items, as_of, cooperating)
        elif kind == "package":
            config, unit, items, as_of, own, answers = args
            data = package_workbook(config, unit, items, as_of, own, answers)
        else:
            config, items, states, summaries, as_of, names, evidence = args
            data = ledger_workbook(config, items, states, summaries, as_of, names, evidence)
    except render.TemplateError as e:
        return str(e)
    render.write_atomic(Path(staged), data)
    return None


def _render_chunk(jobs: list[tuple]) -> list[str | None]:
    return [_render_job(j) for j in jobs]


def _run_jobs(big: list[tuple], small: list[tuple], workers: int | None,
              advance: Callable[[int], None], beside: Callable[[], None] = lambda: None) -> dict[str, str]:
    """Stage every job; each big one (ledger, circular) is a task of its own, sent first so it
    overlaps with the many small per-unit ones. `beside` runs in this process while the pool
    works (the dashboard: issue 20), after the jobs when there is no pool. Returns staged path →
    template error."""
    jobs = big + small
    failed: dict[str, str] = {}
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(jobs) >= POOL_THRESHOLD else 1
    if workers <= 1:
        for job in jobs:
            if (error := _render_job(job)) is not None:
                failed[job[1]] = error
            advance(1)
        beside()
        return failed
    chunks = [[j] for j in big]
    chunks += [small[i:i + CHUNK] for i in range(0, len(small), CHUNK)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context()) as pool:
        futures = {pool.submit(_render_chunk, chunk): chunk for chunk in chunks}
        beside()
        for future in as_completed(futures):
            chunk = futures[future]
            for job, error in zip(chunk, future.result(), strict=True):
                if error is not None:
                    failed[job[1]] = error
            advance(len(chunk))
    return failed


# -- the batch ----------------------------------------------------------------------------------


def _week_files(ws: Workspace, week: str) -> set[Path]:
    """This week's earlier weekly files in outbox/<week>/, outbox/<unit>/ and (an earlier
    layout) outbox/ itself; receipts are not ours."""
    found: set[Path] = set()
    if not ws.outbox.is_dir():
        return found
    for folder in (ws.outbox, *(p for p in ws.outbox.iterdir() if p.is_dir())):
        for p in folder.glob(f"{week}_*"):
            if p.is_file() and any(w in p.name for w in WEEKLY_WORDS):
                found.add(p)
    return found


def _summary_text(b: dict) -> str:
    o = b["overview"]
    ingested: list[FileResult] = b["ingested"]
    verdicts = [r.verdict for r in ingested]
    circular = (f"{b['doc_number']}（{b['period']}）" if b["numbered"]
                else "预览稿，未编号（截止日期晚于今天，不占用文号）")
    lines = [
        f"{b['title']}（截至{contexts.cn_date(b['as_of'])}，{b['week_key']}）",
        f"收件箱：处理 {len(ingested)} 个文件，接收 {verdicts.count('accepted')}，退回 {verdicts.count('rejected')}，"
        f"重复 {verdicts.count('duplicate')}" + (f"，佐证材料 {verdicts.count('evidence')}"
                                                if "evidence" in verdicts else ""),
        f"台帐：{o['units']} 个单位 {o['total']} 项；已完成 {o['done']}（按期 {o['done_on_time']}），完成率 "
        f"{o['completion_rate']}；逾期 {o['overdue']}；未按时报送 {o['report_missing']}；临期 {o['due_soon']}；"
        f"重点督查 {o['key_supervision']}；回头看 {o['lookback']}",
        f"督查通报：{circular}，表扬 {b['commended']}；"
        f"批评 {'、'.join(c['unit'] for c in b['criticised']) or '无'}",
        f"督办通知单：{len(b['notice_units'])} 个单位"
        + (f"（{'、'.join(b['notice_units'])}）" if b["notice_units"] else ""),
        f"反馈表：{b['feedback_count']} 个单位",
        *b["ladder_lines"],
        *(f"检查报告：{line}" for line in b["inspection_reports"]),
        f"回复期限：{b['reply_by']}",
    ]
    for kept, new in b["kept"]:
        lines.append(f"保留：{kept.name} 已印发或已修改，未覆盖；新生成的文件另存为 {new.name}"
                     "（如需覆盖原文件，请加 --replace 重新运行）")
    lines += [f"保留：{p.name} 已印发或已修改，不再删除" for p in b["kept_stale"]]
    lines += [f"未生成：{problem}" for problem in b["problems"]]
    lines += b["notes"]
    if b["provisional"]:
        lines.append("注意：部分日期按暂定工作日历推算（标“（暂定）”），国务院公布节假日安排后请在 sancha.toml 补充。")
    lines.append(f"文件位置：{b['outbox']}")
    steps = next_steps(b)
    lines += ["", "下一步："] + [f"{n}. {step}" for n, step in enumerate(steps, 1)]
    return "\n".join(lines) + "\n"


def next_steps(b: dict) -> list[str]:
    """What the clerk does after the batch, in order: fix what was not written, sign and send
    the circular, send the notices and forms, look at what came in unrecognised."""
    steps = []
    if b["problems"]:
        steps.append("处理上面“未生成”的文件（关闭正在打开的文件、改正模板）后，重新运行每周批处理。")
    if b["numbered"]:
        steps.append(f"打开 {b['week_key']} 文件夹中的督查通报，核对后送领导签发，按文号 {b['doc_number']} 印发。")
    else:
        steps.append("这是预览稿：核对内容即可，到截止日期后再运行每周批处理生成正式文件。")
    if b["notice_units"]:
        steps.append(f"把 {len(b['notice_units'])} 份督办通知单（在各单位的 outbox 文件夹中）送签后发给："
                     f"{'、'.join(b['notice_units'])}；请他们在回复期限 {b['reply_by']} 前书面回复。")
    steps.append(f"把各单位的反馈表（共 {b['feedback_count']} 份，在各单位的 outbox 文件夹中）发给各单位，"
                 "请在下次报送时填写。")
    rejected = [r for r in b["ingested"] if r.verdict == "rejected"]
    if rejected:
        steps.append(f"本次有 {len(rejected)} 个文件被退回，回执和标注已放在各单位的 outbox 文件夹中；"
                     "提醒这些单位改正后重新报送。")
    if b["unrecognised"]:
        steps.append(f"查看 outbox/{UNKNOWN_UNIT_FOLDER}/ 中的 {b['unrecognised']} 个回执：这些文件的报送单位未能识别，"
                     "请联系报送人，把文件放进 inbox/<单位名称>/ 后重新报送。")
    steps.append("需要办理延期、销号等的，可在督查台帐网页中办理，"
                 "或填写三单工作台帐的“督查室操作”工作表后放入 inbox/督查室/。")
    return steps


def run_weekly(
    ws: Workspace,
    as_of: date,
    *,
    pdf: bool = False,
    progress=None,
    workers: int | None = None,
    replace: bool = False,
    today: date | None = None,
) -> WeeklyResult:
    """Run the weekly batch for the ISO week of `as_of`. Raises BatchRunning if one is running.

    `progress` is an optional rich Progress; `workers` forces the number of processes
    (default: a pool when there are many per-unit documents); `replace` overwrites documents
    already sent out or edited; `today` (default: the system date) decides what is a preview.
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
        return _run(ws, as_of, pdf=pdf, progress=progress, workers=workers, replace=replace,
                    today=today or publish.today())
    finally:
        lock.release()


def _run(ws: Workspace, as_of: date, *, pdf: bool, progress, workers: int | None, replace: bool,
         today: date) -> WeeklyResult:
    config = ws.config
    week = contexts.week_key(as_of)
    preview = as_of > today
    render.template_bytes(ws.templates, CIRCULAR)  # fail early and clearly if templates are missing
    render.template_bytes(ws.templates, NOTICE)
    for name in LATER_TEMPLATES:  # a workspace made before these templates existed gets the defaults
        if not (ws.templates / name).exists():
            render.write_atomic(ws.templates / name, build_template(name, config.fonts))

    task = progress.add_task("读取收件箱", total=None) if progress else None
    ingested = ingest_inbox(ws, received=as_of)

    with Ledger.open(ws.db_path) as ledger:
        now = standing(config, items_on(ledger, config, as_of), as_of)  # the ledger as it stood that day
        items, states, summaries, cal = now.items, now.states, now.summaries, now.calendar
        evidence = evidence_on(ledger, as_of)
        registered = set(config.unit_names)
        red = [u for u in contexts.red_units(items, states) if u in registered]
        inspection_reports = report_lines(ledger, as_of, cal)  # those due soon or late
        names = {i.id: i.name for i in load_inspections(ledger)}
        if preview:
            number = issue = None
            notice_numbers: dict[str, int | None] = dict.fromkeys(red)
        else:
            number = issued.take_number(ledger, issued.SERIES_DOC, as_of.year, f"circular {week}")
            issue = issued.take_number(ledger, issued.SERIES_ISSUE, as_of.year, f"circular {week}")
            notice_numbers = {u: issued.take_number(ledger, issued.SERIES_NOTICE, as_of.year, f"notice {week} {u}")
                              for u in red}
            ledger.save_snapshot(week, as_of, headline_figures(summaries))
        own_items = {u.name: registered_by(ledger, u.name) for u in config.units if u.runs_sancha}
        answers = given_answers(ledger, [i.id for i in items if i.unit in own_items], as_of)
        reply_by = cal.add_workdays(as_of, config.rules.notice_reply_workdays)
        reply_provisional = cal.spans_provisional(as_of, reply_by)
        ladder = ladder_batch.plan_ladder(ws, ledger, items, states, as_of, week, reply_by,
                                          reply_provisional=reply_provisional, preview=preview)
    earlier = _week_files(ws, week)
    mark = PREVIEW_WORD if preview else ""

    circ = contexts.circular_context(config, items, states, summaries, as_of, number, issue=issue,
                                     inspection_reports=inspection_reports)
    numbered = f"（{circ['doc_number']}）" if not preview else PREVIEW_WORD
    week_dir = ws.week_outbox(week)
    week_dir.mkdir(parents=True, exist_ok=True)
    circular = Document(week_dir / safe_filename(f"{week}_{CIRCULAR_WORD}{numbered}.docx"), "circular",
                        f"circular {week}", circ["doc_number"] if not preview else "", issued=True,
                        verdict=verdict_json(circ))
    ledger_doc = Document(week_dir / f"{week}_{LEDGER_WORD}.xlsx", "ledger")

    by_unit: dict[str, list] = {}
    for item in items:
        by_unit.setdefault(item.unit, []).append(item)

    # The ledger workbook is written by this process beside the pool (issue 20): sent to a
    # worker, every item and state was pickled (1.7 GB in the worker at 200,000 items).
    ledger_job = ("ledger", str(ledger_doc.staged), config, items, states, summaries, as_of, names, evidence)
    big: list[tuple] = [
        ("docx", str(circular.staged), str(ws.templates), CIRCULAR, circ, config.fonts),
    ]
    small: list[tuple] = []
    notices: list[Document] = []
    forms: list[Document] = []
    packages: list[Document] = []  # 下发包 of the units running sancha
    for unit in red:
        ctx = contexts.notice_context(config, unit, by_unit[unit], states, as_of, reply_by,
                                      reply_by_provisional=reply_provisional, number=notice_numbers[unit])
        doc = Document(ws.unit_outbox(unit) / f"{week}_{NOTICE_WORD}{mark}.docx", "notice", f"notice {week} {unit}",
                       ctx["notice_number"] if not preview else "", issued=True)
        small.append(("docx", str(doc.staged), str(ws.templates), NOTICE, ctx, config.fonts))
        notices.append(doc)
        ladder.named.append(ladder_batch.notice_named(doc, unit, ctx["notice_number"],
                                                      [row["id"] for row in ctx["items"]], reply_by))
    helping = cooperating_items(items, states)  # each co-unit's items, for its 反馈表's 配合事项
    for unit in config.unit_names:
        doc = Document(ws.unit_outbox(unit) / f"{week}_{FEEDBACK_WORD}.xlsx", "form")
        own = open_items(unit, by_unit.get(unit, []), states)
        small.append(("feedback", str(doc.staged), config, unit, own, as_of, helping.get(unit, [])))
        forms.append(doc)
        if unit in own_items:  # a township running sancha: its 下发包 beside the 反馈表
            doc = Document(ws.unit_outbox(unit) / f"{week}_{PACKAGE_WORD}.xlsx", "form")
            sent = package_items(unit, by_unit.get(unit, []), states)
            own_sent = sorted(own_items[unit] & {i.id for i in sent})
            small.append(("package", str(doc.staged), config, unit, sent, as_of, own_sent,
                          {i.id: answers[i.id] for i in sent if i.id in answers}))
            packages.append(doc)

    if progress:
        progress.update(task, description="生成督查通报、督办通知单、反馈表和台帐", total=len(big) + len(small) + 1,
                        completed=0)
    advance = (lambda n: progress.advance(task, n)) if progress else (lambda n: None)
    small += ladder.jobs
    docs = [ledger_doc, circular, *notices, *forms, *packages, *ladder.docs]
    page: list = []  # the dashboard's bytes, or what stopped it: raised where it was written before

    ledger_failed: list[str] = []

    def beside() -> None:  # while the pool renders: the ledger workbook, then the dashboard
        if (error := _render_job(ledger_job)) is not None:
            ledger_failed.append(error)
        advance(1)
        try:
            with Ledger.open(ws.db_path) as ledger:
                page.append(dashboard_page(ws, ledger, now))
        except Exception as e:
            page.append(e)

    try:
        failed = _run_jobs(big, small, workers, advance, beside=beside)
        if ledger_failed:
            failed[ledger_job[1]] = ledger_failed[0]
    except BaseException:
        publish.discard(docs)  # a full disk: every old version stays as it was
        raise
    problems = _template_problems(failed)
    staged = [d for d in docs if str(d.staged) not in failed]

    with Ledger.open(ws.db_path) as ledger:
        out = publish.place(ledger, ws.root, staged, as_of=as_of, replace=replace,
                            reissue_hours=config.rules.reissue_hours)
        produced = {d.target for d in docs if str(d.staged) not in failed}
        # a document that failed this time keeps its earlier version; the rest of that week's files go
        stale = sorted(p for p in earlier if p not in produced and p not in {d.target for d in docs}
                       and not _is_reissue_of(p, produced))
        publish.remove_stale(ledger, ws.root, stale, out, reissue_hours=config.rules.reissue_hours)
        if not preview:  # each item a notice named: a `notice` event of its level, once per week
            ladder_batch.record(ledger, ladder.named, out, as_of, week)
        # `sancha status` of the batch's day, kept from the standing computed here (notices
        # change no state): the clerk's next `status` does not compute it again (issue 20)
        ledger.kept_status(as_of, f"{figures_key(ws)}|", lambda: status_figures(now).to_data())
    sms = ladder_batch.write_sms(ws, week, ladder.named, out) if not preview else None
    problems += [message for _, message in out.blocked]

    if isinstance(page[0], Exception):
        raise page[0]
    write_atomic(dashboard_path(ws), page[0])  # outbox/看板.html, the leaders' page (issue 8)

    placed_notices = [p for d in notices if (p := out.path_of(d.target))]
    circular_path = out.path_of(circular.target)
    pdfs: list[Path] = []
    notes = []
    if pdf:
        if render.soffice():
            if progress:
                progress.update(task, description="转换 PDF")
            pdfs = render.convert_to_pdf([p for p in (circular_path, *placed_notices) if p], fonts=config.fonts)
            notes.append(f"PDF：已生成 {len(pdfs)} 个")
            missing = faces.missing_faces(config.fonts)
            if missing:
                notes.append(f"PDF：本机未安装字体 {'、'.join(missing)}，PDF 中以替代字体显示，版面可能与打印稿不同；"
                             "Word 文件不受影响（请安装这些字体，或在 sancha.toml [fonts] 中改用本机已有的字体）。")
        else:
            notes.append("PDF：未找到 LibreOffice（soffice），未生成 PDF；Word 文件不受影响。")

    summary_path = week_dir / f"{week}_{SUMMARY_WORD}.txt"
    year_week = as_of.isocalendar()
    text = _summary_text({
        "title": f"{year_week[0]}年第{year_week[1]}周督查批处理" + mark,
        "as_of": as_of, "week_key": week, "overview": circ["overview"], "ingested": ingested,
        "doc_number": circ["doc_number"], "period": circ["period"], "numbered": not preview,
        "commended": circ["commended"], "criticised": circ["criticised"],
        "notice_units": red, "feedback_count": len(forms),
        "reply_by": contexts.cn_date(reply_by, reply_provisional), "notes": notes,
        "kept": [(p.kept, p.path) for p in out.placed if p.kept], "kept_stale": out.kept_stale,
        "problems": problems, "provisional": circ["provisional"], "outbox": week_dir,
        "unrecognised": _unrecognised(ws, ingested), "ladder_lines": ladder_batch.summary_lines(ladder, out, sms),
        "inspection_reports": inspection_reports,
    })
    render.write_atomic(summary_path, text.encode("utf-8"))

    return WeeklyResult(
        as_of=as_of, week_key=week, number=number or 0, doc_number=circ["doc_number"], ingested=ingested,
        circular=circular_path, ledger=out.path_of(ledger_doc.target) or ledger_doc.target, summary=summary_path,
        summary_text=text, notices=placed_notices, feedback_forms=[p for d in forms if (p := out.path_of(d.target))],
        packages=[p for d in packages if (p := out.path_of(d.target))], pdfs=pdfs, removed=out.removed,
        kept=[(p.kept, p.path) for p in out.placed if p.kept], problems=problems, preview=preview,
        ladder=[p for d in ladder.docs if (p := out.path_of(d.target))], sms=sms,
    )


def _unrecognised(ws: Workspace, ingested: list[FileResult]) -> int:
    """Receipts of this batch's files whose sender was not recognised (outbox/未识别单位/)."""
    folder = (ws.outbox / UNKNOWN_UNIT_FOLDER).resolve()
    return sum(1 for r in ingested if r.receipt is not None and r.receipt.resolve().parent == folder)


def _is_reissue_of(path: Path, produced: set[Path]) -> bool:
    """A （重新生成） file beside a document of this batch: `publish` reuses or keeps it."""
    return any(path.name.startswith(t.stem + publish.REISSUED[:-1]) and path.parent == t.parent for t in produced)


def _template_problems(failed: dict[str, str]) -> list[str]:
    """One line per template that failed (a broken notice template fails every notice alike)."""
    counts: dict[str, int] = {}
    for message in failed.values():
        counts[message] = counts.get(message, 0) + 1
    return [message if n == 1 else f"{message}（共 {n} 份文件）" for message, n in counts.items()]
