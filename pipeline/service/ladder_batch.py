"""The weekly batch's part of the ladder: the 临期提醒单, 督办告诫单 and 问责建议清单 of the
week (the 督办通知单 stays in weekly.py), the leaders' 需上级协调事项清单, and the text
messages the office sends through its own SMS platform (`<week>_待发短信.csv`; sancha sends
nothing).

`plan_ladder` decides, numbers and stages (as render jobs); weekly places the documents, then
records one `notice` event per item named, with its level (`record`), and writes the messages
of the documents placed (`write_sms`). The steps' rules: `pipeline.deadlines.ladder`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.config import Config
from pipeline.deadlines.ladder import (
    LEVEL_ACCOUNT,
    LEVEL_DOCUMENTS,
    LEVEL_NOTICE,
    LEVEL_REMIND,
    LEVEL_WARN,
    Notice,
    current,
    ladder_start,
    ladder_steps,
)
from pipeline.deadlines.workdays import WorkCalendar
from pipeline.files import write_atomic
from pipeline.ledger import issued
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.notices import escalations, ladder_events, load_notices, reports_of
from pipeline.model import STATE_NEEDS_HELP, Item, ItemState
from pipeline.output.documents import ladder_contexts as lc
from pipeline.output.documents.templates import ACCOUNTABILITY, ESCALATIONS, REMINDER, WARNING
from pipeline.output.xlsx_text import csv_safe
from pipeline.service.publish import Document, Published
from pipeline.workspace import Workspace

ESCALATIONS_WORD = "需上级协调事项清单"
SMS_WORD = "待发短信"
LADDER_WORDS = (*(LEVEL_DOCUMENTS[level] for level in (LEVEL_REMIND, LEVEL_WARN, LEVEL_ACCOUNT)),
                ESCALATIONS_WORD, SMS_WORD)
SERIES = {LEVEL_REMIND: "remind", LEVEL_WARN: "warn", LEVEL_ACCOUNT: "account"}
SMS_LIMIT = 70  # characters a text message may hold
SMS_HEADER = ("单位", "联系人", "联系电话", "文书", "编号", "短信内容")


@dataclass
class Named:
    """A document of the ladder and what it names: recorded as notice events once placed."""

    doc: Document
    level: str
    unit: str
    number: str
    items: list[str]
    reply_by: date | None


@dataclass
class LadderPlan:
    jobs: list[tuple] = field(default_factory=list)  # render jobs, as weekly's `_render_job` takes them
    docs: list[Document] = field(default_factory=list)
    named: list[Named] = field(default_factory=list)
    sent: list[Notice] = field(default_factory=list)  # the notices before this week's batch


def plan_ladder(ws: Workspace, ledger: Ledger, items: Sequence[Item], states: Mapping[str, ItemState], as_of: date,
                week: str, reply_by: date, *, reply_provisional: bool, preview: bool) -> LadderPlan:
    config = ws.config
    cal = WorkCalendar.from_config(config)
    # the notices, the office's upward reports and answers, and the reports of noticed items only
    # (issue 20: not a city's every report)
    events = ladder_events(ledger, as_of, ("notice", "escalate", "answer"))
    noticed = [e for e in events if e.kind == "notice"]
    events = sorted(events + reports_of(ledger, {e.item_id for e in noticed}, as_of,
                                        min((e.on for e in noticed), default=None)), key=lambda e: e.id)
    sent = load_notices(ledger, config, as_of, events=events, skip_week=week)
    registered = set(config.unit_names)
    steps = {u: s for u, s in ladder_steps(items, states, sent, as_of, cal, config.rules).items() if u in registered}
    history: dict[str, list[Notice]] = {}
    for n in sent:
        for item_id in n.items:
            history.setdefault(item_id, []).append(n)
    by_id = {i.id: i for i in items}
    mark = "（预览）" if preview else ""
    plan = LadderPlan(sent=sent)

    def number(level: str, key: str) -> int | None:
        return None if preview else issued.take_number(ledger, SERIES[level], as_of.year, key)

    def add(level: str, unit: str, folder: Path, template: str, context: dict, ids: list[str],
            reply: date | None) -> None:
        word = LEVEL_DOCUMENTS[level]
        doc = Document(folder / f"{week}_{word}{mark}.docx", "notice", f"{SERIES[level]} {week} {unit}",
                       context["notice_number"] if not preview else "", issued=True)
        plan.jobs.append(("docx", str(doc.staged), str(ws.templates), template, context, config.fonts))
        plan.docs.append(doc)
        plan.named.append(Named(doc, level, unit, context["notice_number"], ids, reply))

    for unit, s in steps.items():
        if s.remind:
            no = number(LEVEL_REMIND, f"remind {week} {unit}")
            add(LEVEL_REMIND, unit, ws.unit_outbox(unit), REMINDER,
                lc.reminder_context(config, unit, by_id, states, s.remind, as_of, number=no), s.remind, None)
        if s.warn:
            no = number(LEVEL_WARN, f"warn {week} {unit}")
            # the reason a 告诫单 gives is a notice of the item's current ladder (after its new deadline)
            cycle = {i: current(history.get(i, []), ladder_start(by_id[i], as_of)) for i in s.warn}
            add(LEVEL_WARN, unit, ws.unit_outbox(unit), WARNING,
                lc.warning_context(config, unit, by_id, states, s.warn, cycle, as_of, reply_by,
                                   reply_by_provisional=reply_provisional, number=no), s.warn, reply_by)
    accountable = [i for s in steps.values() for i in s.account]
    if accountable:
        no = number(LEVEL_ACCOUNT, f"account {week}")
        add(LEVEL_ACCOUNT, "", ws.week_outbox(week), ACCOUNTABILITY,
            lc.accountability_context(config, by_id, states, accountable, history, as_of, number=no), accountable,
            None)
    if any(states[i.id].state == STATE_NEEDS_HELP for i in items):
        doc = Document(ws.week_outbox(week) / f"{week}_{ESCALATIONS_WORD}{mark}.docx", "list")
        context = lc.escalations_context(config, items, states, escalations(events), as_of)
        plan.jobs.append(("docx", str(doc.staged), str(ws.templates), ESCALATIONS, context, config.fonts))
        plan.docs.append(doc)
    return plan


def record(ledger: Ledger, named: Sequence[Named], out: Published, as_of: date, week: str) -> None:
    """A `notice` event of its level for each item a placed document of the ladder named (all of
    them in one transaction)."""
    documents = []
    for n in named:
        path = out.path_of(n.doc.target)
        if path is not None:
            documents.append(([(i, path.name, n.number) for i in n.items], n.level, n.reply_by))
    ledger.record_notice_documents(documents, as_of, week)


def sms_text(config: Config, level: str, unit: str, number: str, count: int, reply_by: date | None) -> str:
    """One text message of at most 70 characters: who sends, what, how many items, by when."""
    sender = next(iter(config.office_aliases), "") or "督查室"
    when = f"请于{reply_by.month}月{reply_by.day}日前书面回复" if reply_by else "请抓紧办理，按期完成"
    text = f"【{sender}】{unit}：{LEVEL_DOCUMENTS[level]}{number}已发至你单位，涉及{count}个问题，{when}。"
    if len(text) > SMS_LIMIT:
        text = f"【{sender}】{LEVEL_DOCUMENTS[level]}{number}已发，涉及{count}个问题，{when}。"
    return text[:SMS_LIMIT]


def write_sms(ws: Workspace, week: str, named: Sequence[Named], out: Published) -> Path | None:
    """`outbox/<week>/<week>_待发短信.csv` (UTF-8 with BOM, for Excel): one line per notice placed for
    a unit — 提醒, 督办, 告诫 — with the unit's [[units]] contact and phone; None when none."""
    config = ws.config
    rows = []
    for n in named:
        if n.level == LEVEL_ACCOUNT or out.path_of(n.doc.target) is None:
            continue
        unit = config.unit(n.unit)
        contact, phone = (unit.contact, unit.phone) if unit else ("", "")
        rows.append([n.unit, contact, phone, LEVEL_DOCUMENTS[n.level], n.number,
                     sms_text(config, n.level, n.unit, n.number, len(n.items), n.reply_by)])
    if not rows:
        return None
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(SMS_HEADER)
    writer.writerows([[csv_safe(c) for c in row] for row in rows])
    path = ws.week_outbox(week) / f"{week}_{SMS_WORD}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, buf.getvalue().encode("utf-8-sig"))
    return path


def notice_named(doc: Document, unit: str, number: str, ids: list[str], reply_by: date) -> Named:
    """The week's 督办通知单 as the ladder records it."""
    return Named(doc, LEVEL_NOTICE, unit, number, ids, reply_by)


def summary_lines(plan: LadderPlan, out: Published, sms: Path | None) -> list[str]:
    """The week's summary lines of the ladder: each step's documents, the leaders' lists, the messages."""
    placed = [n for n in plan.named if out.path_of(n.doc.target) is not None]
    lines = []
    for level in (LEVEL_REMIND, LEVEL_WARN):
        units = [n.unit for n in placed if n.level == level]
        lines.append(f"{LEVEL_DOCUMENTS[level]}：{len(units)} 个单位" + (f"（{'、'.join(units)}）" if units else ""))
    account = [i for n in placed if n.level == LEVEL_ACCOUNT for i in n.items]
    lines.append(f"{LEVEL_DOCUMENTS[LEVEL_ACCOUNT]}：{len(account)} 项")
    lists = [d for d in plan.docs if d.kind == "list" and out.path_of(d.target) is not None]
    if lists:
        lines.append(f"{ESCALATIONS_WORD}：已生成（报区领导）")
    if sms is not None:
        lines.append(f"待发短信：{sms.name}（请导入短信平台发送，sancha 不发送短信）")
    return lines
