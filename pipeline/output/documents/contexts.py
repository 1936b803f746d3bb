"""Document contexts: plain dicts built from the ledger, ready for the Word templates.

Pure: no files, no database, no calendar lookups — whatever needs the calendar (the date by
which a unit must answer a notice) is passed in already computed. Templates only lay these
dicts out; every value is a str, int or a list of such dicts, so a context can be pickled to
a worker process and its keys checked against a template's variables.

Four documents:
- `circular_context`         督查通报 — the weekly circular of the whole ledger;
- `notice_context`           督办通知单 — one per unit with overdue items or missing reports;
- `report_context`           专题报告 — a special report on one source (e.g. 审计);
- `report_feedback_context`  专题报告反馈 — one unit's part of that report, sent to the unit.

Sentences that depend on the figures come from `wording`; the fixed ones are in the templates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from pipeline.config import Config
from pipeline.deadlines.cndate import cn_date
from pipeline.deadlines.states import AppraisalRules, percent, report_text, total_summary, unit_summary
from pipeline.deadlines.states import appraise as appraise_units
from pipeline.deadlines.workdays import PROVISIONAL_MARK  # a date counted by the provisional calendar rule
from pipeline.model import STATE_BEHIND, STATE_NEEDS_HELP, STATE_OVERDUE, STATUS_DONE, Item, ItemState, milestones_text
from pipeline.output.documents import wording

OWNER_UNKNOWN = "责任人未明确"  # an item with neither 具体责任人 nor 责任领导 (issue 17: no-owner)

NONE_TEXT = "无"
NOTICE_PREFIX = "督办"  # 督办通知单 numbers: 督办〔2026〕12号, a yearly series of their own
ASSIGN_PREFIX = "交办"  # 交办单 numbers (issue 17): 交办〔2026〕3号
# The body of a circular stays within three pages at any ledger size: it names at most this many
# criticised units (with their items) and this many commended ones; every unit and item is in the
# 附件 and the ledger workbook.
CRITICISED_IN_BODY = 3  # more are named (the worst few) in one sentence, all of them in 附件
CRITICISED_NAMED = 3
COMMENDED_IN_BODY = 10
ITEM_IDS_IN_BODY = 4


def doc_number(prefix: str, year: int, number: int | None) -> str:
    """发文字号: 观政办〔2026〕12号 (year in 〔〕, no leading zeros, no 第); a blank where the number
    goes when there is none yet (a preview)."""
    return f"{prefix}〔{year}〕{number or wording.UNNUMBERED}号"


def period(year: int, issue: int | None) -> str:
    """通报期数: 2026年第5期, numbered per year like the 文号."""
    return f"{year}年第{issue or wording.UNNUMBERED}期"


def week_key(d: date) -> str:
    """ISO year-week of a date, e.g. 2026-W48: one weekly batch per key."""
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


# -- pieces shared by the documents ---------------------------------------------------------


def table_date(d: date | None, year: int, provisional: bool = False) -> str:
    """A date in a document's table: 10月17日 within the document's year (as the report column's
    已报送（M月D日） does), 2027年1月8日 otherwise; “（暂定）” after a provisional one."""
    if d is None:
        return ""
    if d.year != year:
        return cn_date(d, provisional)
    return f"{d.month}月{d.day}日" + (PROVISIONAL_MARK if provisional else "")


def _deadline_text(item: Item, year: int) -> str:
    if item.deadline is not None:
        return table_date(item.deadline, year)
    return item.deadline_text or ("长期坚持" if item.ongoing else "待报措施")


def _overdue_text(st: ItemState) -> str:
    if not st.overdue_workdays:
        return "—"
    return f"{st.overdue_workdays}{PROVISIONAL_MARK if st.provisional else ''}"


def _item_row(item: Item, st: ItemState) -> dict:
    return {
        "id": item.id,
        "unit": item.unit,
        "source": item.source or "",
        "problem": item.problem,
        "measures": item.measures,
        "owner": item.owner or item.leader or OWNER_UNKNOWN,
        "deadline": _deadline_text(item, st.as_of.year),
        "state": st.state,
        # 待报措施: the day the measures are due stands where a report's would
        "report_due": table_date(st.report_due or st.measures_due, st.as_of.year, st.provisional),
        "overdue_workdays": _overdue_text(st),
        "late_workdays": st.overdue_workdays,  # 0 when not overdue (templates test it)
        "report": report_text(st),  # 已报送（M月D日） / 待报送（M月D日前） / 逾期未报送 (states.py)
        "report_pending": report_text(st).startswith(("待报送", "待报措施")),  # the text carries its due date
        "report_missing": st.report_missing,
        "measures_missing": st.measures_missing,  # 未报送整改措施
        "progress": item.progress or "",
        "done_on": table_date(item.done_on, st.as_of.year),
        "missed": milestones_text(st.missed),  # 滞后: the milestones passed without being reported done
        "owner_missing": not (item.owner or item.leader),  # 责任人未明确 (no-owner)
    }


item_row = _item_row  # for the ladder's documents (ladder_contexts)
NO_EVIDENCE = "报送已完成但未附佐证材料"  # issue 23: where [rules] close_requires_evidence


def without_evidence(item: Item) -> bool:
    """Reported done (not yet closed) and no 佐证材料 by the day: what the office asks for when
    it requires evidence for 销号."""
    return item.status == STATUS_DONE and item.closed_on is None and item.evidence_count == 0


def _marked(row: dict, item: Item, config: Config) -> dict:
    """A row with its 佐证材料 mark: NO_EVIDENCE when the office requires evidence and there is none."""
    row["evidence_mark"] = NO_EVIDENCE if config.rules.close_requires_evidence and without_evidence(item) else ""
    return row


def _is_red(st: ItemState) -> bool:
    return st.state == STATE_OVERDUE or st.report_missing or st.measures_missing


def _summary_row(s) -> dict:
    return {
        "rank": "—" if s.rank is None else s.rank,  # the one ranking; nothing due or done: unranked
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
        "behind": t.behind,
        "awaiting_measures": t.awaiting_measures,
        "measures_missing": t.measures_missing,
        "ongoing": t.ongoing,
        "report_missing": t.report_missing,
        "key_supervision": t.key_supervision,
        "lookback": t.lookback_due,
        "completion_rate": percent(t.completion_rate if t.items else None),
        "overdue_rate": wording.percent_of(t.overdue, t.items),
        "due": t.due,
        "units_overdue": sum(1 for s in summaries if s.overdue),
        "units_missing": sum(1 for s in summaries if s.report_missing),
    }


def _problem_figures(config: Config, items: Sequence[Item], states: Mapping[str, ItemState], overview: dict,
                     threshold: int) -> dict:
    """What the 存在问题 paragraphs need beyond the overview."""
    late = [states[i.id].overdue_workdays for i in items]
    by_source: dict[str, list[Item]] = {}
    for item in items:
        by_source.setdefault(item.source_category or item.source or "其他", []).append(item)
    worst_source = None
    if len(by_source) > 1:
        ranked = []
        for name, group in by_source.items():
            overdue = total_summary(unit_summary(group, states)).overdue  # (no copy of a city's states per source)
            ranked.append((overdue / len(group), overdue, name, len(group)))
        _, overdue, name, total = max(ranked)
        worst_source = (name, overdue, total) if overdue else None
    return {
        **overview,
        "long_overdue": sum(1 for n in late if n > threshold),
        "max_overdue": max(late, default=0),
        "threshold": threshold,
        "report_workdays": config.rules.report_within_workdays,
        "lookback_days": config.rules.lookback_days,
        "worst_source": worst_source,
    }


def _most_overdue(summaries: Sequence) -> list[tuple[str, int]]:
    return sorted(((s.unit, s.overdue) for s in summaries), key=lambda p: -p[1])


def _prints_provisional(context) -> bool:
    """Whether any value the document prints carries the provisional-calendar mark."""
    if isinstance(context, str):
        return PROVISIONAL_MARK in context
    if isinstance(context, dict):
        return any(_prints_provisional(v) for v in context.values())
    if isinstance(context, list):
        return any(_prints_provisional(v) for v in context)
    return False


prints_provisional = _prints_provisional


def appraise(
    items: Sequence[Item], states: Mapping[str, ItemState], as_of: date, rules: AppraisalRules
) -> tuple[list[str], list[dict]]:
    """Units commended and units criticised (with the reasons), in ranking order: the rules of
    `deadlines.states` (`appraise`), the criticisms as the documents print them."""
    commended, criticised = appraise_units(items, states, unit_summary(items, states), rules)
    return commended, [{"unit": c.unit, "reason": "，".join(c.reasons)} for c in criticised]


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
        "contact_line": wording.contact_line(config.contact),
        "cc": "、".join(config.cc),
        "has_cc": bool(config.cc),
    }


common = _common


def _masthead(config: Config) -> dict:
    """发文机关标志 and its size (the template shows it as rich text of that size)."""
    masthead = f"{config.office_name}文件"
    return {"masthead": masthead, "masthead_pt": wording.masthead_pt(masthead)}


NOT_NAMED = "未明确"


def leader_of(config: Config, item: Item) -> str:
    """The item's 责任领导: its own field where the ledger has one, else the unit's 分管领导."""
    return str(getattr(item, "leader", None) or config.leader_of(item.unit) or "")


def persons(config: Config, item: Item, *, unit_leader: bool = True) -> str:
    """责任领导：…，责任人：… — the people criticism and 重点督查 lists name ('' when
    `[rules] name_persons` is off); a missing 责任人 is said (未明确). Without `unit_leader`,
    the 责任领导 only when the item names its own."""
    if not config.rules.name_persons:
        return ""
    parts = []
    own = getattr(item, "leader", None)
    if leader := (leader_of(config, item) if unit_leader else own):
        parts.append(f"责任领导：{leader}")
    parts.append(f"责任人：{item.owner or NOT_NAMED}")
    return "，".join(parts)


def _key_row(config: Config, item: Item, st: ItemState) -> dict:
    """A 重点督查 row: the item's row, its persons, and its problem followed by them — in the
    list, the 责任领导 only where the item names its own (the unit's 分管领导 is in the body's
    criticism, and on every line it would cost the 附件 pages)."""
    named = persons(config, item)
    short = persons(config, item, unit_leader=False)
    return {**_item_row(item, st), "persons": named,
            "problem_named": f"{item.problem}（{short}）" if short else item.problem}


def _criticised_entries(criticised: list[dict], key_rows: list[dict]) -> list[dict]:
    """Each criticised unit with the 编号 of its 重点督查 items (the items that put it there)."""
    ids: dict[str, list[str]] = {}
    persons: dict[str, dict[str, None]] = {}  # each unit's people, in the rows' order, once each
    for row in key_rows:
        ids.setdefault(row["unit"], []).append(row["id"])
        if row.get("persons"):
            persons.setdefault(row["unit"], {})[row["persons"]] = None
    out = []
    for n, c in enumerate(criticised, 1):
        own = ids.get(c["unit"], [])
        # a word joiner after the hyphen: an id never breaks across lines (2026-/0041)
        shown = "、".join(i.replace("-", "-\u2060") for i in own[:ITEM_IDS_IN_BODY])
        shown += f"等{len(own)}个" if len(own) > ITEM_IDS_IN_BODY else ""
        people = list(persons.get(c["unit"], {}))
        out.append({**c, "no": n, "count": len(own), "items": own, "item_text": f"编号{shown}" if own else "",
                    "persons_text": f"，{'；'.join(people)}" if people else ""})
    return out


# -- the documents ---------------------------------------------------------------------------


def circular_context(
    config: Config,
    items: Sequence[Item],
    states: Mapping[str, ItemState],
    summaries: Sequence,
    as_of: date,
    number: int | None,
    *,
    issue: int | None = None,
    rules: AppraisalRules | None = None,
    issued_on: date | None = None,
    period_label: str = "",
    period_text: str = "",
    inspection_reports: Sequence[str] = (),
) -> dict:
    """督查通报: overview, assessment, commended/criticised units, 存在问题; in 附件 the ranking,
    the criticised units beyond those named in the body, every 重点督查 and 回头看 item;
    `inspection_reports` the inspections whose report is due soon or late (inspections.report_lines).

    `summaries` are the ranked per-unit summaries of `items` (states.unit_summary). `number` is
    the 发文字号's number and `issue` the 期 (both yearly; `issue` defaults to `number`); None for
    a preview that takes no number. A circular of a month or quarter (`sancha circular`) names
    it in the title (`period_label`) and says what happened in it (`period_text`).
    """
    rules = rules or AppraisalRules.from_rules(config.rules)
    issue = number if issue is None else issue
    commended, criticisms = appraise_units(items, states, summaries, rules)
    criticised = [{"unit": c.unit, "reason": "，".join(c.reasons)} for c in criticisms]
    key = [i for i in items if states[i.id].key_supervision]
    lookback = [i for i in items if states[i.id].lookback_due]
    key_items = [_key_row(config, i, states[i.id]) for i in _ordered(config, key)]
    lookback_items = [_marked(_item_row(i, states[i.id]), i, config) for i in _ordered(config, lookback)]
    overview = _overview(summaries)
    entries = _criticised_entries(criticised, key_items)
    waiting = [i for i in items if states[i.id].state == STATE_NEEDS_HELP]
    listed = entries if len(entries) <= CRITICISED_IN_BODY else []
    worst = sorted(entries, key=lambda c: -c["count"])[:CRITICISED_NAMED]
    annex = {"ranking": 1, "key_items": 2, "lookback": 3}
    titles = ["各单位整改落实情况排名表", "重点督查事项清单", "“回头看”事项清单"]
    appraisal = {**dict.fromkeys(commended, "表扬"), **{c["unit"]: "批评" for c in entries}}
    issue_text = period(as_of.year, issue)
    context = {
        **_common(config, as_of, issued_on),
        **_masthead(config),
        "doc_number": doc_number(config.doc_prefix, as_of.year, number) if config.doc_prefix else issue_text,
        "number": number or 0,
        "issue": issue or 0,
        "period": issue_text,
        "week_key": week_key(as_of),
        "title": wording.break_title(f"关于{period_label}“三查三单”整改落实情况的通报（{issue_text}）"),
        "period_text": period_text,  # a month's or quarter's circular: what happened in it
        "addressee": "各乡镇、街道，区直各单位：",
        "overview": overview,
        "inspection_reports": "；".join(inspection_reports),
        "assessment": wording.assessment(overview, _most_overdue(summaries)),
        "problems": wording.problems(
            _problem_figures(config, items, states, overview, rules.criticise_overdue_workdays)),
        "units": [{**_summary_row(s), "appraisal": appraisal.get(s.unit, "")} for s in summaries],
        "commended": "、".join(commended) if commended else NONE_TEXT,
        "commended_names": wording.name_list(commended, COMMENDED_IN_BODY),
        "commended_count": len(commended),
        # what the circular says of whom, for the record (`sancha score` counts it): not printed
        "verdict": {"commended": list(commended), "criticised": [c.unit for c in criticisms]},
        "criticised": entries,
        "criticised_count": len(entries),
        "criticised_listed": listed,  # named with their reasons and items in the body
        "criticised_names": "、".join(f"{c['unit']}（{c['count']}个{'问题' if n == 0 else ''}）"
                                     for n, c in enumerate(worst)),
        "criticised_more": len(entries) - len(listed),  # criticised units named in 附件1 only
        "key_items": key_items,
        "name_persons": config.rules.name_persons,
        "escalated_count": len(waiting),  # 待上级协调: listed in 需上级协调事项清单, not overdue
        "escalated_units": "、".join(dict.fromkeys(i.unit for i in _ordered(config, waiting))),
        "key_items_more": 0,  # every item is listed now; kept for templates edited before
        "lookback_items": lookback_items,
        "lookback_items_more": 0,
        "lookback_no_evidence": sum(1 for r in lookback_items if r["evidence_mark"]),
        "annex": annex,
        "attachments": wording.attachments(titles),
        "key_overdue_workdays": rules.criticise_overdue_workdays,
        "reply_workdays": config.rules.notice_reply_workdays,
        "report_workdays": config.rules.report_within_workdays,
        "lookback_days": config.rules.lookback_days,
    }
    context["provisional"] = _prints_provisional(context)
    return context


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
    """督办通知单 to one unit: each overdue item or missing report, the date to answer by, 抄送
    its 分管领导, and a 签收回执; where the office requires 佐证材料 for 销号, also the unit's items
    reported done without any (`no_evidence_items`, each marked NO_EVIDENCE). `number` is its
    place in the year's 督办 series (None: a preview, unnumbered).

    `items` may be the whole ledger; only `unit`'s red items (逾期 or report missing) are used.
    """
    # the red items, and (issue 17) the unit's items behind their milestones (滞后) beside them
    red = [_item_row(i, states[i.id]) for i in items
           if i.unit == unit and (_is_red(states[i.id]) or states[i.id].state == STATE_BEHIND)]
    red.sort(key=lambda r: r["id"])
    bare = [_marked(_item_row(i, states[i.id]), i, config) for i in items
            if i.unit == unit and config.rules.close_requires_evidence and without_evidence(i)]
    bare.sort(key=lambda r: r["id"])
    context = {
        **_common(config, as_of, issued_on),
        "unit": unit,
        "title": "督办通知单",
        "notice_number": doc_number(NOTICE_PREFIX, as_of.year, number),
        "number": number or 0,
        "leader": config.leader_of(unit),
        "count": len(red),
        "items": red,
        "overdue_count": sum(1 for r in red if r["overdue_workdays"] != "—"),
        "missing_count": sum(1 for r in red if r["report_missing"]),
        "measures_missing_count": sum(1 for r in red if r["measures_missing"]),
        "behind_count": sum(1 for r in red if r["state"] == STATE_BEHIND),
        "no_evidence_items": bare,  # reported done, no 佐证材料, where the office requires it
        "no_evidence_count": len(bare),
        "reply_by": cn_date(reply_by, reply_by_provisional),
        "reply_workdays": config.rules.notice_reply_workdays,
    }
    context["provisional"] = _prints_provisional(context)
    return context


def assignment_context(config: Config, unit: str, items: Sequence[Item], as_of: date, measures_due: date, *,
                       provisional: bool = False, number: int | None = None, inspection: str | None = None) -> dict:
    """交办单 to one lead unit: the problems a 问题清单 assigned to it (`items`, already chosen),
    the day its measures are due (`measures_due`, marked when provisional), 抄送 its 分管领导."""
    opening = (f"根据{inspection}发现的问题和“三查三单”工作要求，" if inspection
               else "根据“三查三单”工作要求，")
    context = {
        **_common(config, as_of, None),
        "unit": unit,
        "title": "问题交办单",
        "assign_number": doc_number(ASSIGN_PREFIX, as_of.year, number),
        "number": number or 0,
        "leader": config.leader_of(unit),
        "opening": opening,
        "count": len(items),
        "items": [{"id": i.id, "problem": i.problem, "suggestion": i.suggestion or "—",
                   "co_units": "、".join(i.co_units) or "—"} for i in sorted(items, key=lambda i: i.id)],
        "measures_due": cn_date(measures_due, provisional),
    }
    context["provisional"] = _prints_provisional(context)
    return context


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
    number: int | None = None,
    issued_on: date | None = None,
) -> dict:
    """专题报告 on one source (问题来源, e.g. 审计) to 区人民政府 (`[office] leaders_title`):
    figures, assessment, 存在问题; in 附件 the per-unit table, 重点督查, every item. `number` is
    its 发文字号 in the office's yearly series (None: unnumbered).

    `items` and `summaries` are limited to that source.
    """
    ordered = _ordered(config, items)
    overview = _overview(summaries)
    rules = AppraisalRules.from_rules(config.rules)
    figures = {**_problem_figures(config, items, states, overview, rules.criticise_overdue_workdays),
               "worst_source": None}  # one source: no comparison between sources
    context = {
        **_common(config, as_of, issued_on),
        **_masthead(config),
        "doc_number": doc_number(config.doc_prefix or config.office_name, as_of.year, number),
        "number": number or 0,
        "source": source,
        "title": wording.break_title(f"关于{source}发现问题整改落实情况的专题报告"),
        "addressee": f"{config.leaders_title}：",
        "leaders_title": config.leaders_title,
        "overview": overview,
        "assessment": wording.assessment(overview, _most_overdue(summaries)),
        "problems": wording.problems(figures),
        "units": [_summary_row(s) for s in summaries],
        "items": [_item_row(i, states[i.id]) for i in ordered],
        "key_items": [_key_row(config, i, states[i.id]) for i in ordered if states[i.id].key_supervision],
        "attachments": wording.attachments(["各单位整改情况表", "重点督查事项清单", "整改问题清单"]),
    }
    context["provisional"] = _prints_provisional(context)
    return context


def report_feedback_context(report: dict, unit: str, items: Sequence[Item], states: Mapping[str, ItemState],
                            reply_by: str) -> dict:
    """专题报告反馈 to one unit: the report's figures and items for that unit only.

    `report` is the report's context; `items` that unit's items of the report's source;
    `reply_by` the date to answer by, already in words."""
    unit_items = sorted((i for i in items if i.unit == unit), key=lambda i: i.id)
    rows = [_item_row(i, states[i.id]) for i in unit_items]
    overview = _overview([s for s in unit_summary(unit_items, dict(states))])
    context = {
        **{k: report[k] for k in ("office_name", "signature", "as_of", "issued_on", "contact", "contact_line",
                                  "source", "leaders_title")},
        "unit": unit,
        "title": wording.break_title(f"关于{report['source']}发现问题整改落实情况的反馈"),
        "report_number": report["doc_number"],
        "overview": overview,
        "items": rows,
        "red_count": sum(1 for i in unit_items if _is_red(states[i.id])),
        "reply_by": reply_by,
    }
    context["provisional"] = _prints_provisional(context)
    return context
