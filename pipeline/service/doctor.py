"""`sancha doctor`: checks a workspace and says what to fix.

Each check returns findings (`model.Finding` with no sheet or cell; `hint` says what to do),
never raises: a workspace broken in one way is still checked in every other. Their codes are
declared in the findings catalogue (`intake/findings.py`, scope WORKSPACE).
"""

from __future__ import annotations

import difflib
import os
import sqlite3
import time
import uuid
from dataclasses import replace
from datetime import date, timedelta

from pipeline.config import Config, ConfigError
from pipeline.deadlines.workdays import SOURCE_PROVISIONAL, WorkCalendar
from pipeline.errors import LedgerLost
from pipeline.intake import findings
from pipeline.model import Finding, Item
from pipeline.workspace import Workspace, safe_filename

STUCK_AFTER_SECONDS = 3600  # a file this long in the inbox was not picked up
_TEMP_SUFFIXES = (".part", ".tmp")


def check_workspace(ws: Workspace, today: date | None = None, now: float | None = None) -> list[Finding]:
    """Every check, in the order a reader would fix them."""
    today = today or date.today()
    try:
        config = ws.config
    except ConfigError as e:
        return [findings.CONFIG_INVALID.at(error=str(e), path=ws.config_path)]
    return [
        *check_units(config),
        *check_templates(ws, config, today),
        *check_database(ws),
        *check_ledger_units(ws, config),
        *check_calendar(config, today),
        *check_stuck_files(ws, now if now is not None else time.time()),
        *check_writable(ws),
    ]


def check_units(config: Config) -> list[Finding]:
    """Names parse_config accepts but that would share an outbox folder (or the office's)."""
    folders: dict[str, str] = {}
    found = []
    for name in (*config.unit_names, config.office_name):
        folder = safe_filename(name)
        if folder in folders:
            found.append(findings.UNIT_FOLDER_CLASH.at(name=name, other=folders[folder], folder=folder))
        folders.setdefault(folder, name)
    return found


def _sample_item(n: int, unit: str, today: date, *, overdue: int = 0, done: bool = False, reported: bool = False,
                 ongoing: bool = False) -> Item:
    deadline = None if ongoing else today + timedelta(days=20 - overdue * 2)
    done_on = deadline - timedelta(days=60) if done and deadline else None
    if done and deadline:
        deadline = deadline - timedelta(days=50)
    return Item(id=f"{today.year}-{n:04d}", unit=unit, co_units=(), source="督查", problem=f"示例问题{n} A&B<1>",
                measures="示例措施", deadline=deadline, deadline_text=deadline.isoformat() if deadline else "长期坚持",
                ongoing=ongoing, owner="张三", progress=None,
                status="已完成" if done else ("长期坚持" if ongoing else "推进中"),
                done_on=done_on, remark=None, created_on=today - timedelta(days=120),
                updated_at=f"{today.isoformat()}T00:00:00",
                last_report_on=deadline + timedelta(days=1) if reported and deadline else None)


def sample_contexts(config: Config, today: date) -> dict[str, list[dict]]:
    """Contexts for every shipped template, made up so that every branch of the default templates
    renders at least once: a busy ledger (many units criticised, every list full, dates marked
    provisional), a ledger with one unit criticised, and a calm one (everything done on time)."""
    from dataclasses import replace

    from pipeline.deadlines.states import compute_states, unit_summary
    from pipeline.output.documents import contexts
    from pipeline.output.documents.templates import ASSIGNMENT, CIRCULAR, NOTICE, REPORT, REPORT_FEEDBACK

    first = config.unit_names[0] if config.units else config.office_name
    units = [first, *(f"示例单位{c}" for c in "甲乙丙丁戊")]
    busy = [_sample_item(1, first, today, overdue=30), _sample_item(2, first, today, overdue=20, reported=True),
            _sample_item(3, first, today, done=True), _sample_item(4, first, today, ongoing=True),
            _sample_item(5, first, today)]
    busy += [_sample_item(10 + n, unit, today, overdue=25) for n, unit in enumerate(units[1:])]
    few = busy[:5]
    calm = [replace(i, status="已完成", done_on=i.deadline, last_report_on=None, lookback_on=today)
            for i in few if i.deadline]
    cal = WorkCalendar.from_config(config)
    reply_by = cal.add_workdays(today, config.rules.notice_reply_workdays)
    out: dict[str, list[dict]] = {CIRCULAR: [], NOTICE: [], REPORT: [], REPORT_FEEDBACK: []}
    for n, items in enumerate((busy, few, calm)):
        states = compute_states(items, today, cal, config.rules)
        summaries = unit_summary(items, states)
        marked = {"provisional": n == 0}
        out[CIRCULAR].append({**contexts.circular_context(config, items, states, summaries, today, 1), **marked})
        notice = contexts.notice_context(config, first, items, states, today, reply_by, number=1)
        out[NOTICE].append({**notice, **marked, "leader": notice["leader"] or ("示例分管领导" if n == 0 else "")})
        report = contexts.report_context(config, "督查", items, states, summaries, today, number=1)
        out[REPORT].append({**report, **marked})
        out[REPORT_FEEDBACK].append({**contexts.report_feedback_context(report, first, items, states, "示例日期"),
                                     **marked})
        _ladder_samples(out, config, first, items, states, today, reply_by, marked)
    assigned = [replace(i, suggestion="示例建议", co_units=("示例单位甲",)) for i in few]
    out[ASSIGNMENT] = [contexts.assignment_context(config, first, assigned, today, reply_by, provisional=n == 0,
                                                   number=1, inspection="示例检查" if n == 0 else None)
                       for n in range(2)]
    return out


# Templates a workspace may lack: sancha then uses the built-in one (issue 17's 交办单, for
# workspaces made before it; `sancha templates` writes it).
OPTIONAL_TEMPLATES = frozenset({"交办单.docx", "临期提醒单.docx", "督办告诫单.docx", "问责建议清单.docx",
                                "需上级协调事项清单.docx", "考核结果通报.docx"})


def _ladder_samples(out: dict[str, list[dict]], config: Config, unit: str, items: list[Item], states: dict,
                    today: date, reply_by: date, marked: dict) -> None:
    """The ladder's documents and the leaders' lists, over one sample ledger."""
    from pipeline.deadlines.ladder import LEVEL_NOTICE, Notice
    from pipeline.output.documents import ladder_contexts as lc
    from pipeline.output.documents.templates import ACCOUNTABILITY, ESCALATIONS, REMINDER, WARNING

    ids = [i.id for i in items]
    history = {i: [Notice("督办〔2026〕1号", unit, LEVEL_NOTICE, today, reply_by, "", (i,), False)] for i in ids}
    waiting = [replace(i, status="需上级协调", progress="示例原因") for i in items]
    waiting_states = {i.id: replace(states[i.id], state="待上级协调") for i in waiting}
    samples = {
        REMINDER: lc.reminder_context(config, unit, items, states, ids, today, number=1),
        WARNING: lc.warning_context(config, unit, items, states, ids, history, today, reply_by, number=1),
        ACCOUNTABILITY: lc.accountability_context(config, items, states, ids, history, today, number=1),
        ESCALATIONS: lc.escalations_context(config, waiting, waiting_states,
                                            {ids[0]: (today, "区人民政府", "示例")} if ids else {}, today),
    }
    from pipeline.deadlines.scoring import Line, Period, ScoreCard, UnitScore
    from pipeline.output.documents.templates import SCORES

    period = Period.of(today.year)
    lines = tuple(Line(unit, i, today, "overdue", -30.0, "示例") for i in ids[:1])
    card = ScoreCard(period, 100, [UnitScore(unit, 70.0, 1, lines), UnitScore("示例单位甲", 102.5, 1, ())])
    samples[SCORES] = lc.score_context(config, card, {i.id: i for i in items}, today, number=1)
    for name, context in samples.items():
        out.setdefault(name, []).append({**context, **marked})


def check_templates(ws: Workspace, config: Config, today: date) -> list[Finding]:
    """Every template rendered with every sample context (strict: an unknown name or attribute
    anywhere, nested fields included, is an error)."""
    from pipeline.output.documents import render

    found = []
    for name, samples in sample_contexts(config, today).items():
        path = ws.templates / name
        if not path.is_file():
            if name not in OPTIONAL_TEMPLATES:
                found.append(findings.TEMPLATE_MISSING.at(path=path))
            continue
        try:
            template = path.read_bytes()
            known = set().union(*(render.prepared(c) for c in samples))
            unknown = sorted(render.undeclared_variables(template) - known)
            if not unknown:
                for context in samples:
                    render.render_docx(template, context, name=name)
        except render.UnknownField as e:
            found.append(findings.TEMPLATE_UNKNOWN_VARIABLE.at(form="rendered", problem=str(e)))
            continue
        except render.TemplateError as e:
            found.append(findings.TEMPLATE_BROKEN.at(form="rendered", problem=str(e)))
            continue
        except Exception as e:  # whatever Word or an editor made of the file
            found.append(findings.TEMPLATE_BROKEN.at(name=name, error=f"{type(e).__name__}: {e}"))
            continue
        if unknown:
            guesses = [f"{u}（是否应为 {g[0]}？）" if (g := difflib.get_close_matches(u, known, n=1, cutoff=0.5)) else u
                       for u in unknown]
            found.append(findings.TEMPLATE_UNKNOWN_VARIABLE.at(name=name, fields="、".join(guesses)))
    return found


def check_database(ws: Workspace) -> list[Finding]:
    from pipeline.ledger.ledger import Ledger, refuse_if_lost

    try:
        if not ws.db_path.exists() or ws.db_path.stat().st_size == 0:
            refuse_if_lost(ws.db_path)  # a new workspace has no ledger yet: nothing to check
            return []
        with Ledger.open(ws.db_path) as ledger:
            problems = ledger.integrity_problems()
    except LedgerLost as e:
        return [findings.LEDGER_LOST.at(error=str(e))]
    except sqlite3.DatabaseError as e:
        return [findings.DATABASE_UNREADABLE.at(path=ws.db_path, error=e)]
    return [findings.DATABASE_INTEGRITY.at(problem=p) for p in problems]


def check_ledger_units(ws: Workspace, config: Config) -> list[Finding]:
    """Items whose lead unit is no registered unit, by name or alias: a unit renamed in
    sancha.toml without its old name among the new name's aliases (机构改革) leaves its items
    orphaned — criticised under the old name, no notice, its updates refused."""
    if not ws.db_path.exists():
        return []
    from pipeline.intake.units import UnitDirectory
    from pipeline.ledger.ledger import Ledger

    try:
        with Ledger.open(ws.db_path) as ledger:
            rows = ledger.conn.execute("SELECT unit, COUNT(*), MIN(id) FROM items WHERE voided_on IS NULL "
                                       "GROUP BY unit ORDER BY unit").fetchall()
    except (sqlite3.DatabaseError, LedgerLost):
        return []  # reported by check_database
    units = UnitDirectory(config)
    found: list[Finding] = []
    for name, count, first in rows:
        if config.is_registered(name):
            continue
        close = units.suggest(name)
        found.append(findings.LEDGER_UNIT_UNREGISTERED.at(
            count=count, first=first, name=name, new_name=f"新名称（{close[0]}）" if close else "新名称"))
    return found


def check_calendar(config: Config, today: date) -> list[Finding]:
    """This year, and from October on next year, must come from an official calendar."""
    cal = WorkCalendar.from_config(config)
    years = [today.year] + ([today.year + 1] if today.month >= 10 else [])
    return [findings.CALENDAR_PROVISIONAL.at(year=year) for year in years if cal.source(year) == SOURCE_PROVISIONAL]


def check_stuck_files(ws: Workspace, now: float) -> list[Finding]:
    from pipeline.ledger.inbox import is_candidate, waiting_files
    from pipeline.ledger.ledger import Ledger

    found = []
    if ws.db_path.exists() and ws.db_path.stat().st_size > 0:
        try:
            with Ledger.open(ws.db_path) as ledger:
                recorded = ledger.files(state="recorded")
        except (sqlite3.DatabaseError, LedgerLost):
            recorded = []  # reported by check_database
        found += [findings.STUCK_RECORDED.at(name=r.name) for r in recorded]
    for path in waiting_files(ws):
        try:
            age = now - path.stat().st_mtime
        except OSError:
            continue
        if age > STUCK_AFTER_SECONDS and is_candidate(path):
            found.append(findings.STUCK_INBOX.at(path=path.relative_to(ws.root).as_posix(), hours=int(age // 3600)))
    for folder in (ws.outbox, ws.archive):
        if folder.is_dir():
            found += [findings.LEFTOVER_TEMP.at(path=p.relative_to(ws.root).as_posix())
                      for p in sorted(folder.rglob("*")) if p.is_file() and p.name.endswith(_TEMP_SUFFIXES)
                      and now - p.stat().st_mtime > 60]
    return found


def check_writable(ws: Workspace) -> list[Finding]:
    found = []
    for folder in (ws.outbox, ws.data):
        probe = folder / f".sancha-doctor-{uuid.uuid4().hex}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"")
            os.remove(probe)
        except OSError as e:
            found.append(findings.FOLDER_NOT_WRITABLE.at(folder=folder, error=e.strerror or e))
    return found
