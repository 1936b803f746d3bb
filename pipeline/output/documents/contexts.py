"""Document contexts: plain dicts built from the ledger, ready for the Word templates.

Pure: no files, no database, no calendar lookups — whatever needs the calendar (the date by
which a unit must answer a notice) is passed in already computed. Templates only lay these
dicts out; every value is a str, int or a list of such dicts, so a context can be pickled to
a worker process and its keys checked against a template's variables.

Three documents:
- `circular_context`  督查通报 — the weekly circular of the whole ledger;
- `notice_context`    督办通知单 — one per unit with overdue items or missing reports;
- `report_context`    专题报告 — a special report on one source (e.g. 审计).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from pipeline.config import Config, Rules
from pipeline.deadlines.cndate import cn_date
from pipeline.deadlines.states import percent, total_summary
from pipeline.deadlines.workdays import PROVISIONAL_MARK  # a date counted by the provisional calendar rule
from pipeline.model import (
    STATE_CLOSED,
    STATE_DONE,
    STATE_ONGOING,
    STATE_OVERDUE,
    Item,
    ItemState,
)

NONE_TEXT = "无"
# A circular lists at most this many 重点督查 / 回头看 items (most overdue first); the rest are
# counted and left to the ledger export, so a signed document stays readable at 50,000 items.
MAX_LISTED = 200


def doc_number(prefix: str, year: int, number: int) -> str:
    """发文字号: 观政办〔2026〕12号 (year in 〔〕, no leading zeros, no 第)."""
    return f"{prefix}〔{year}〕{number}号"


def week_key(d: date) -> str:
    """ISO year-week of a date, e.g. 2026-W48: one weekly batch per key."""
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


@dataclass(frozen=True)
class AppraisalRules:
    """Who is commended (表扬) and who is criticised (批评) in the circular.

    Defaults: commend a unit whose every item due so far was done on time (it needs at least
    `commend_min_due` items due); criticise a unit with a missing report or an item overdue
    more than `criticise_overdue_workdays` working days.
    """

    commend_min_due: int = 1
    criticise_overdue_workdays: int = 10
    criticise_report_missing: bool = True

    @classmethod
    def from_rules(cls, rules: Rules) -> AppraisalRules:
        return cls(commend_min_due=rules.commend_min_due, criticise_overdue_workdays=rules.key_overdue_workdays)


# -- pieces shared by the documents ---------------------------------------------------------


def _deadline_text(item: Item) -> str:
    if item.deadline is not None:
        return cn_date(item.deadline)
    return item.deadline_text or ("长期坚持" if item.ongoing else "")


def _overdue_text(st: ItemState) -> str:
    if not st.overdue_workdays:
        return "—"
    return f"{st.overdue_workdays}{PROVISIONAL_MARK if st.provisional else ''}"


def _report_text(st: ItemState) -> str:
    return "逾期未报送" if st.report_missing else "已报送"


def _item_row(item: Item, st: ItemState) -> dict:
    return {
        "id": item.id,
        "unit": item.unit,
        "source": item.source or "",
        "problem": item.problem,
        "measures": item.measures,
        "owner": item.owner or "",
        "deadline": _deadline_text(item),
        "state": st.state,
        "report_due": cn_date(st.report_due, st.provisional),
        "overdue_workdays": _overdue_text(st),
        "report": _report_text(st),
        "progress": item.progress or "",
        "done_on": cn_date(item.done_on),
    }


def _is_red(st: ItemState) -> bool:
    return st.state == STATE_OVERDUE or st.report_missing


def _summary_row(rank: int, s) -> dict:
    return {
        "rank": rank,
        "unit": s.unit,
        "total": s.items,  # not "items": a template's u.items would find dict.items
        "done": s.done,
        "done_on_time": s.done_on_time,
        "overdue": s.overdue,
        "report_missing": s.report_missing,
        "completion_rate": percent(s.completion_rate),
    }


def _overview(summaries: Sequence) -> dict:
    """Figures over all the units' summaries (states.UnitSummary)."""
    t = total_summary(summaries)
    return {
        "units": len(summaries),
        "total": t.items,
        "done": t.done,
        "done_on_time": t.done_on_time,
        "overdue": t.overdue,
        "due_soon": t.due_soon,
        "ongoing": t.ongoing,
        "report_missing": t.report_missing,
        "key_supervision": t.key_supervision,
        "lookback": t.lookback_due,
        "completion_rate": percent(t.completion_rate if t.items else None),
    }


def appraise(
    items: Iterable[Item], states: Mapping[str, ItemState], as_of: date, rules: AppraisalRules
) -> tuple[list[str], list[dict]]:
    """Units commended and units criticised (with the reasons), each in ledger unit order."""
    by_unit: dict[str, list[tuple[Item, ItemState]]] = {}
    for item in items:
        by_unit.setdefault(item.unit, []).append((item, states[item.id]))
    commended: list[str] = []
    criticised: list[dict] = []
    for unit, pairs in by_unit.items():
        due = [(i, s) for i, s in pairs if i.deadline is not None and i.deadline <= as_of and s.state != STATE_ONGOING]
        if len(due) >= rules.commend_min_due and all(_done_on_time(i, s) for i, s in due) and not any(
            s.report_missing for _, s in pairs
        ):
            commended.append(unit)
        late = sum(1 for _, s in pairs if s.overdue_workdays > rules.criticise_overdue_workdays)
        missing = sum(1 for _, s in pairs if s.report_missing) if rules.criticise_report_missing else 0
        reasons = []
        if late:
            reasons.append(f"{late}项整改问题逾期超过{rules.criticise_overdue_workdays}个工作日仍未完成")
        if missing:
            reasons.append(f"{missing}项整改问题逾期未报送整改情况")
        if reasons:
            criticised.append({"unit": unit, "reason": "，".join(reasons)})
    return commended, criticised


def _done_on_time(item: Item, st: ItemState) -> bool:
    if st.state not in (STATE_DONE, STATE_CLOSED):
        return False
    if st.done_on_time is not None:
        return st.done_on_time
    return item.done_on is not None and item.deadline is not None and item.done_on <= item.deadline


def _ordered(config: Config, items: Iterable[Item]) -> list[Item]:
    """Items in the order of the registered units (as in sancha.toml), then by 编号."""
    rank = {name: n for n, name in enumerate(config.unit_names)}
    return sorted(items, key=lambda i: (rank.get(i.unit, len(rank)), i.unit, i.id))


def _common(config: Config, as_of: date, issued_on: date | None) -> dict:
    issued_on = issued_on or as_of
    return {
        "office_name": config.office_name,
        "signature": config.signature or config.office_name,
        "as_of": cn_date(as_of),
        "issued_on": cn_date(issued_on),  # 成文日期
        "contact": config.contact,
        "cc": "、".join(config.cc),
        "has_cc": bool(config.cc),
    }


# -- the documents ---------------------------------------------------------------------------


def circular_context(
    config: Config,
    items: Sequence[Item],
    states: Mapping[str, ItemState],
    summaries: Sequence,
    as_of: date,
    number: int,
    *,
    rules: AppraisalRules | None = None,
    issued_on: date | None = None,
    max_listed: int = MAX_LISTED,
) -> dict:
    """督查通报: overview, ranked table per unit, commended/criticised units, 重点督查, 回头看.

    `summaries` are the ranked per-unit summaries of `items` (states.unit_summary).
    """
    rules = rules or AppraisalRules.from_rules(config.rules)
    year, week, _ = as_of.isocalendar()
    commended, criticised = appraise(items, states, as_of, rules)
    key = [i for i in items if states[i.id].key_supervision]
    if len(key) > max_listed:
        key = sorted(key, key=lambda i: -states[i.id].overdue_workdays)[:max_listed]
    lookback = [i for i in items if states[i.id].lookback_due]
    if len(lookback) > max_listed:
        lookback = sorted(lookback, key=lambda i: i.done_on or as_of)[:max_listed]
    key_items = [_item_row(i, states[i.id]) for i in _ordered(config, key)]
    lookback_items = [_item_row(i, states[i.id]) for i in _ordered(config, lookback)]
    overview = _overview(summaries)
    return {
        **_common(config, as_of, issued_on),
        "masthead": f"{config.office_name}文件",  # 发文机关标志
        "doc_number": doc_number(config.doc_prefix, as_of.year, number) if config.doc_prefix else f"第{number}期",
        "number": number,
        "week_key": week_key(as_of),
        "title": f"关于{year}年第{week}周“三查三单”整改落实情况的通报",
        "addressee": "各乡镇、街道，区直各单位：",
        "overview": overview,
        "units": [_summary_row(n, s) for n, s in enumerate(summaries, 1)],
        "commended": "、".join(commended) if commended else NONE_TEXT,
        "criticised": criticised,
        "key_items": key_items,
        "key_items_more": overview["key_supervision"] - len(key_items),
        "lookback_items": lookback_items,
        "lookback_items_more": overview["lookback"] - len(lookback_items),
        "key_overdue_workdays": rules.criticise_overdue_workdays,
        "reply_workdays": config.rules.notice_reply_workdays,
        "provisional": any(s.provisional for s in states.values()),
    }


def notice_context(
    config: Config,
    unit: str,
    items: Sequence[Item],
    states: Mapping[str, ItemState],
    as_of: date,
    reply_by: date,
    *,
    reply_by_provisional: bool = False,
    number: int | None = None,
    issued_on: date | None = None,
) -> dict:
    """督办通知单 to one unit: each overdue item or missing report, and the date to answer by.

    `items` may be the whole ledger; only `unit`'s red items (逾期 or report missing) are used.
    """
    red = [_item_row(i, states[i.id]) for i in items if i.unit == unit and _is_red(states[i.id])]
    red.sort(key=lambda r: r["id"])
    year, week, _ = as_of.isocalendar()
    return {
        **_common(config, as_of, issued_on),
        "unit": unit,
        "title": "督办通知单",
        "notice_number": f"{year}年第{week}周" + (f"第{number}号" if number else ""),
        "count": len(red),
        "items": red,
        "overdue_count": sum(1 for r in red if r["overdue_workdays"] != "—"),
        "missing_count": sum(1 for r in red if r["report"] != "已报送"),
        "reply_by": cn_date(reply_by, reply_by_provisional),
        "reply_workdays": config.rules.notice_reply_workdays,
    }


def red_units(items: Iterable[Item], states: Mapping[str, ItemState]) -> list[str]:
    """Units with at least one overdue item or missing report, in first-seen order."""
    seen: dict[str, None] = {}
    for item in items:
        if _is_red(states[item.id]):
            seen.setdefault(item.unit, None)
    return list(seen)


def report_context(
    config: Config,
    source: str,
    items: Sequence[Item],
    states: Mapping[str, ItemState],
    summaries: Sequence,
    as_of: date,
    *,
    issued_on: date | None = None,
) -> dict:
    """专题报告 on one source (问题来源, e.g. 审计): figures, per-unit table, every item.

    `items` and `summaries` are limited to that source.
    """
    ordered = _ordered(config, items)
    return {
        **_common(config, as_of, issued_on),
        "source": source,
        "title": f"关于{source}发现问题整改落实情况的专题报告",
        "overview": _overview(summaries),
        "units": [_summary_row(n, s) for n, s in enumerate(summaries, 1)],
        "items": [_item_row(i, states[i.id]) for i in ordered],
        "key_items": [_item_row(i, states[i.id]) for i in ordered if states[i.id].key_supervision],
    }
