"""待办: what the clerk should do today, as plain data — one provider per kind of task.

Phase 1 lists what the ledger and the outbox already tell: files rejected lately (and whether
the unit has sent a good one since), this week's circular waiting to be signed, items a unit
reported done that await the office's 销号 check, inspection reports due soon or late. Further
kinds are providers appended to `PROVIDERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from pipeline.deadlines.workdays import WorkCalendar
from pipeline.ledger.inspections import load_inspections, report_standing
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.search import FileQuery, awaiting_close, search_files
from pipeline.output.documents.contexts import week_key
from pipeline.service.web.outbox import this_week_circular
from pipeline.workspace import Workspace

REJECTED_DAYS = 14  # rejected files of the last two weeks are listed
LISTED = 20  # rows shown per task; the count says how many there are


@dataclass(frozen=True)
class TodoContext:
    ws: Workspace
    ledger: Ledger
    today: date


@dataclass(frozen=True)
class Todo:
    key: str  # stable: rejected-files, circular-to-sign, awaiting-close, …
    title: str
    count: int
    hint: str
    rows: list[dict] = field(default_factory=list)  # what the page lists (plain values)
    link: tuple[str, dict] | None = None  # (endpoint, arguments) of the page with all of them


def rejected_files(c: TodoContext) -> Todo | None:
    since = c.today - timedelta(days=REJECTED_DAYS)
    rejected = search_files(c.ledger, FileQuery(verdict="rejected", since=since, per_page=200)).files
    if not rejected:
        return None
    accepted = search_files(c.ledger, FileQuery(verdict="accepted", since=since, per_page=200)).files
    rows = []
    for f in rejected:
        resent = any(a.unit == f.unit and a.id > f.id for a in accepted) if f.unit else False
        first = next((x for x in f.findings if x.get("severity") == "error"), f.findings[0] if f.findings else None)
        rows.append({"file_id": f.id, "name": f.name, "unit": f.unit, "received_on": f.received_on,
                     "reason": first["message"] if first else "", "resent": resent})
    waiting = sum(not r["resent"] for r in rows)
    return Todo("rejected-files", "近两周退回的文件", waiting,
                "退回回执已放在各单位的 outbox 文件夹；单位未识别的在 outbox/未识别单位/。"
                "请提醒尚未重新报送的单位按回执修改后再报。",
                rows[:LISTED], ("files.index", {"verdict": "rejected"}))


def circular_to_sign(c: TodoContext) -> Todo | None:
    doc = this_week_circular(c.ws, week_key(c.today))
    if doc is None:
        return None
    return Todo("circular-to-sign", "本周督查通报待签发", 1, "请下载核对后送领导签发，签发后按程序印发并抄送。",
                [{"rel": doc.rel, "name": doc.name, "modified": doc.modified}], ("documents.documents_index", {}))


def awaiting_close_check(c: TodoContext) -> Todo | None:
    total, items = awaiting_close(c.ledger, LISTED)
    if not total:
        return None
    rows = [{"id": i.id, "unit": i.unit, "problem": i.problem, "done_on": i.done_on or i.last_report_on,
             "evidence": i.evidence_count} for i in items]  # 佐证材料 received (issue 23)
    return Todo("awaiting-close", "单位报已完成、待销号核查的事项", total,
                "请核实整改成效，符合条件的在事项页面“办理：销号”（或 sancha close 编号）。",
                rows, ("items.index", {"awaiting": "1"}))


def inspection_reports(c: TodoContext) -> Todo | None:
    """Inspections whose group's report is due within 3 working days or late and not received."""
    cal = WorkCalendar.from_config(c.ws.config)
    rows = []
    for i in load_inspections(c.ledger):
        if i.start > c.today:
            continue
        st = report_standing(i, c.today, cal)
        if st.received is None and (st.late or st.due_soon):
            rows.append({"id": i.id, "name": i.name, "due": st.due, "late": st.late})
    if not rows:
        return None
    return Todo("inspection-reports", "检查报告待报送", len(rows),
                "检查结束后第5个工作日前应报送检查报告；收到后在“检查”页面登记“报告收到”。",
                rows[:LISTED], ("inspections.index", {}))


PROVIDERS: list[Callable[[TodoContext], Todo | None]] = [rejected_files, circular_to_sign, awaiting_close_check,
                                                         inspection_reports]


def todos(ws: Workspace, ledger: Ledger, today: date) -> list[Todo]:
    context = TodoContext(ws, ledger, today)
    return [t for t in (p(context) for p in PROVIDERS) if t is not None]
