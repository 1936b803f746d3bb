"""`sancha doctor`: checks a workspace and says what to fix.

Each check returns findings (`model.Finding` with no sheet or cell; `hint` says what to do),
never raises: a workspace broken in one way is still checked in every other.

    config-invalid, unit-folder-clash, template-missing, template-broken, template-unknown-variable,
    database-unreadable, database-integrity, calendar-provisional, stuck-recorded, stuck-inbox,
    leftover-temp, folder-not-writable
"""

from __future__ import annotations

import difflib
import os
import sqlite3
import time
import uuid
from datetime import date, timedelta

from pipeline.config import Config, ConfigError
from pipeline.deadlines.workdays import SOURCE_PROVISIONAL, WorkCalendar
from pipeline.model import ERROR, WARNING, Finding, Item
from pipeline.workspace import Workspace, safe_filename

STUCK_AFTER_SECONDS = 3600  # a file this long in the inbox was not picked up
_TEMP_SUFFIXES = (".part", ".tmp")


def _problem(code: str, message: str, fix: str, severity: str = ERROR) -> Finding:
    return Finding(code, severity, None, None, message, fix)


def check_workspace(ws: Workspace, today: date | None = None, now: float | None = None) -> list[Finding]:
    """Every check, in the order a reader would fix them."""
    today = today or date.today()
    try:
        config = ws.config
    except ConfigError as e:
        return [_problem("config-invalid", str(e), f"请改正 {ws.config_path} 后再运行 sancha doctor")]
    return [
        *check_units(config),
        *check_templates(ws, config, today),
        *check_database(ws),
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
            found.append(_problem(
                "unit-folder-clash", f"单位 “{name}” 与 “{folders[folder]}” 的回执文件夹同为 outbox/{folder}/",
                "请在 sancha.toml 中改用可区分的单位名称（名称中不要用 \\ / : * ? \" < > | 和首尾的点）",
            ))
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
    from pipeline.output.documents.templates import CIRCULAR, NOTICE, REPORT, REPORT_FEEDBACK

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
    return out


def check_templates(ws: Workspace, config: Config, today: date) -> list[Finding]:
    """Every template rendered with every sample context (strict: an unknown name or attribute
    anywhere, nested fields included, is an error)."""
    from pipeline.output.documents import render

    found = []
    for name, samples in sample_contexts(config, today).items():
        path = ws.templates / name
        if not path.is_file():
            found.append(_problem("template-missing", f"缺少模板 {path}", "请运行 sancha templates 写入默认模板"))
            continue
        try:
            template = path.read_bytes()
            known = set().union(*(render.prepared(c) for c in samples))
            unknown = sorted(render.undeclared_variables(template) - known)
            if not unknown:
                for context in samples:
                    render.render_docx(template, context, name=name)
        except render.UnknownField as e:
            found.append(_problem("template-unknown-variable", str(e),
                                  "请检查模板中 {{ }} 内的字段名拼写（一个字段须在同一段文字中一次输入）"))
            continue
        except render.TemplateError as e:
            found.append(_problem("template-broken", str(e),
                                  "请撤销对模板的修改，或运行 sancha templates --force 恢复默认模板（会覆盖修改）"))
            continue
        except Exception as e:  # whatever Word or an editor made of the file
            found.append(_problem(
                "template-broken", f"模板 {name} 无法生成文档：{type(e).__name__}: {e}",
                "请撤销对模板的修改，或运行 sancha templates --force 恢复默认模板（会覆盖修改）",
            ))
            continue
        if unknown:
            guesses = [f"{u}（是否应为 {g[0]}？）" if (g := difflib.get_close_matches(u, known, n=1, cutoff=0.5)) else u
                       for u in unknown]
            found.append(_problem(
                "template-unknown-variable", f"模板 {name} 使用了未知的字段：{'、'.join(guesses)}",
                "请检查模板中 {{ }} 内的字段名拼写（一个字段须在同一段文字中一次输入）",
            ))
    return found


def check_database(ws: Workspace) -> list[Finding]:
    if not ws.db_path.exists():
        return []
    from pipeline.ledger.ledger import Ledger

    try:
        with Ledger.open(ws.db_path) as ledger:
            problems = ledger.integrity_problems()
    except sqlite3.DatabaseError as e:
        return [_problem("database-unreadable", f"台帐数据库 {ws.db_path} 无法打开：{e}",
                         "请停止所有 sancha 进程，从备份恢复 data/ledger.sqlite")]
    return [_problem("database-integrity", f"台帐数据库检查未通过：{p}",
                     "请停止所有 sancha 进程，备份 data/ 后联系系统管理员") for p in problems]


def check_calendar(config: Config, today: date) -> list[Finding]:
    """This year, and from October on next year, must come from an official calendar."""
    cal = WorkCalendar.from_config(config)
    years = [today.year] + ([today.year + 1] if today.month >= 10 else [])
    return [
        _problem(
            "calendar-provisional", f"{year} 年的工作日按暂定规则推算（尚无国务院公布的放假安排）",
            f"国务院公布 {year} 年节假日安排后，请升级 chinesecalendar，或在 sancha.toml [calendar] 的 "
            f"holidays / workdays 中补充 {year} 年的放假和调休上班日期",
            WARNING,
        )
        for year in years if cal.source(year) == SOURCE_PROVISIONAL
    ]


def check_stuck_files(ws: Workspace, now: float) -> list[Finding]:
    from pipeline.ledger.ingest import is_candidate, waiting_files
    from pipeline.ledger.ledger import Ledger

    found = []
    if ws.db_path.exists():
        try:
            with Ledger.open(ws.db_path) as ledger:
                recorded = ledger.files(state="recorded")
        except sqlite3.DatabaseError:
            recorded = []  # reported by check_database
        found += [_problem(
            "stuck-recorded", f"{r.name} 已入帐但回执未完成（处理中断）",
            "请运行 sancha ingest，会补写回执并清理收件箱", WARNING,
        ) for r in recorded]
    for path in waiting_files(ws):
        try:
            age = now - path.stat().st_mtime
        except OSError:
            continue
        if age > STUCK_AFTER_SECONDS and is_candidate(path):
            found.append(_problem(
                "stuck-inbox", f"{path.relative_to(ws.root).as_posix()} 在收件箱中已超过 {int(age // 3600)} 小时未处理",
                "请确认 sancha watch 正在运行，或运行 sancha ingest", WARNING,
            ))
    for folder in (ws.outbox, ws.archive):
        if folder.is_dir():
            found += [_problem(
                "leftover-temp", f"{p.relative_to(ws.root).as_posix()} 是中断写入留下的临时文件",
                "确认没有 sancha 在运行后可以删除", WARNING,
            ) for p in sorted(folder.rglob("*")) if p.is_file() and p.name.endswith(_TEMP_SUFFIXES)
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
            found.append(_problem(
                "folder-not-writable", f"无法写入 {folder}：{e.strerror or e}",
                "请给运行 sancha 的账户开放该文件夹的写权限，并确认磁盘未满",
            ))
    return found
