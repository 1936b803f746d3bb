"""Contexts of the ladder's documents and of the leaders' lists — plain dicts, pure, like
`contexts` (which holds the 督办通知单's):

- `reminder_context`        临期提醒单 — a unit's items due within `due_soon_workdays`;
- `warning_context`         督办告诫单 — a unit's items whose 督办通知单 went unanswered or that
                            stayed red, with a 签收回执;
- `accountability_context`  问责建议清单 — every item still red after its 告诫单, for the leaders
                            and the discipline body: unit, 责任领导, 责任人, the notices' history;
- `escalations_context`     需上级协调事项清单 — items waiting for the higher level, for the leaders;
- `score_context`           考核结果通报 — a period's evaluation (deadlines.scoring).

Each row names the item's 责任领导 and 责任人 (`contexts.persons`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from pipeline.config import Config
from pipeline.deadlines.cndate import cn_date
from pipeline.deadlines.ladder import LEVEL_DOCUMENTS, Notice
from pipeline.deadlines.scoring import RULES, ScoreCard
from pipeline.model import STATE_NEEDS_HELP, Item, ItemState
from pipeline.output.documents import contexts, wording
from pipeline.output.documents.contexts import NOT_NAMED, doc_number, item_row, leader_of, persons, table_date

REMIND_PREFIX = "提醒"  # 临期提醒单: 提醒〔2026〕3号
WARN_PREFIX = "告诫"  # 督办告诫单: 告诫〔2026〕3号
ACCOUNT_PREFIX = "问责"  # 问责建议清单: 问责〔2026〕1号


Items = Sequence[Item] | Mapping[str, Item]  # the items, or the items by id (a batch's 300 units: built once)


def _rows(config: Config, items: Items, states: Mapping[str, ItemState], ids: Sequence[str]) -> list[dict]:
    by_id = items if isinstance(items, Mapping) else {i.id: i for i in items}
    return [{**item_row(by_id[i], states[i]), "persons": persons(config, by_id[i]),
             "leader": leader_of(config, by_id[i]) or NOT_NAMED, "owner": by_id[i].owner or NOT_NAMED}
            for i in sorted(ids) if i in by_id]


def _base(config: Config, unit: str, as_of: date, title: str, number_text: str, number: int | None) -> dict:
    return {**contexts.common(config, as_of, None), "unit": unit, "title": title, "notice_number": number_text,
            "number": number or 0}


def reminder_context(config: Config, unit: str, items: Items, states: Mapping[str, ItemState],
                     ids: Sequence[str], as_of: date, *, number: int | None = None) -> dict:
    rows = _rows(config, items, states, ids)
    context = {**_base(config, unit, as_of, "临期提醒单", doc_number(REMIND_PREFIX, as_of.year, number), number),
               "items": rows, "count": len(rows), "due_soon_workdays": config.rules.due_soon_workdays,
               "report_workdays": config.rules.report_within_workdays}
    context["provisional"] = contexts.prints_provisional(context)
    return context


def _reason(item_id: str, history: Mapping[str, list[Notice]]) -> str:
    unanswered = [n for n in history.get(item_id, []) if n.answered is False]
    if unanswered:
        return f"{unanswered[0].number or LEVEL_DOCUMENTS[unanswered[0].level]}逾期未回复"
    return "督办后仍未整改到位"


def warning_context(config: Config, unit: str, items: Items, states: Mapping[str, ItemState],
                    ids: Sequence[str], history: Mapping[str, list[Notice]], as_of: date, reply_by: date, *,
                    reply_by_provisional: bool = False, number: int | None = None) -> dict:
    rows = [{**r, "reason": _reason(r["id"], history)} for r in _rows(config, items, states, ids)]
    context = {**_base(config, unit, as_of, "督办告诫单", doc_number(WARN_PREFIX, as_of.year, number), number),
               "items": rows, "count": len(rows), "leader": config.leader_of(unit),
               "reply_by": cn_date(reply_by, reply_by_provisional),
               "accountability_workdays": config.rules.accountability_after_workdays}
    context["provisional"] = contexts.prints_provisional(context)
    return context


def history_text(notices: Sequence[Notice], year: int) -> str:
    """督办〔2026〕1号（11月2日，未回复）；告诫〔2026〕1号（11月16日）"""
    parts = []
    for n in notices:
        said = "" if n.answered is None else "已回复" if n.answered else "未回复"
        when = table_date(n.on, year)
        parts.append(f"{n.number or LEVEL_DOCUMENTS[n.level]}（{when}{'，' + said if said else ''}）")
    return "；".join(parts)


def accountability_context(config: Config, items: Items, states: Mapping[str, ItemState],
                           ids: Sequence[str], history: Mapping[str, list[Notice]], as_of: date, *,
                           number: int | None = None) -> dict:
    rows = [{**r, "history": history_text(history.get(r["id"], []), as_of.year)}
            for r in _rows(config, items, states, ids)]
    rows.sort(key=lambda r: (r["unit"], r["id"]))
    context = {**_base(config, "", as_of, "问责建议清单", doc_number(ACCOUNT_PREFIX, as_of.year, number), number),
               "addressee": f"{config.leaders_title}：", "leaders_title": config.leaders_title,
               "items": rows, "count": len(rows), "units_count": len({r["unit"] for r in rows}),
               "warn_workdays": config.rules.accountability_after_workdays}
    context["provisional"] = contexts.prints_provisional(context)
    return context


def escalations_context(config: Config, items: Sequence[Item], states: Mapping[str, ItemState],
                        escalations: Mapping[str, tuple[date, str, str]], as_of: date) -> dict:
    """The items in 待上级协调 on `as_of`; `escalations`: item → (day, to whom, reason) the
    office reported it upward (items not in it are still to be reported)."""
    waiting = [i for i in items if states[i.id].state == STATE_NEEDS_HELP]
    rows = []
    for r in _rows(config, waiting, states, [i.id for i in waiting]):
        item = next(i for i in waiting if i.id == r["id"])
        up = escalations.get(item.id)
        own = " ".join(t for t in (item.progress, item.remark) if t)
        rows.append({**r, "reason": (up[2] if up and up[2] else own) or "—",
                     "escalated": f"已报{up[1]}（{table_date(up[0], as_of.year)}）" if up else "待上报"})
    rows.sort(key=lambda r: (r["unit"], r["id"]))
    context = {**contexts.common(config, as_of, None), "title": "需上级协调事项清单",
               "addressee": f"{config.leaders_title}：", "leaders_title": config.leaders_title,
               "items": rows, "count": len(rows), "units_count": len({r["unit"] for r in rows})}
    context["provisional"] = contexts.prints_provisional(context)
    return context




def score_context(config: Config, card: ScoreCard, owners: Mapping[str, Item], as_of: date, *,
                  number: int | None = None) -> dict:
    """考核结果通报 of a period: the ranking, the best units commended (`[scoring] commend_top`
    above the base), the units below `criticise_below` criticised with their lost points and,
    where `[rules] name_persons`, the 责任人 of the items that lost them. `owners`: item → item."""
    points = config.scoring
    units = [{"rank": u.rank, "unit": u.unit, "score": _shown(u.score),
              **{rule: u.count(rule) for rule in ("done_on_time", "overdue", "report_missing", "report_late",
                                                  "notice_unanswered", "warning", "accountability")}}
             for u in card.units]
    commended = [u.unit for u in card.units if u.score > card.base][:points.commend_top]
    criticised: list[dict] = []
    for u in (u for u in card.units if u.score < points.criticise_below):
        lost = [line for line in u.lines if line.points < 0]
        counts: dict[str, int] = {}
        for line in lost:
            counts[line.rule] = counts.get(line.rule, 0) + 1
        reason = "、".join(f"{RULES[rule]}{n}次" for rule, n in counts.items())
        named = (persons(config, owners[line.item]) for line in lost if line.item is not None and line.item in owners)
        people = list(dict.fromkeys(p for p in named if p))
        criticised.append({"no": len(criticised) + 1, "unit": u.unit, "score": _shown(u.score), "reason": reason,
                           "persons_text": f"（{'；'.join(people)}）" if people else ""})
    average = sum(u.score for u in card.units) / len(card.units) if card.units else 0.0
    masthead = f"{config.office_name}文件"
    context = {
        **contexts.common(config, as_of, None),
        "masthead": masthead, "masthead_pt": wording.masthead_pt(masthead),
        "doc_number": doc_number(config.doc_prefix or config.office_name, as_of.year, number),
        "number": number or 0,
        "title": wording.break_title(f"关于{card.period.title}“三查三单”整改落实考核结果的通报"),
        "addressee": "各乡镇、街道，区直各单位：",
        "period_title": card.period.title, "period_from": cn_date(card.period.start),
        "period_to": cn_date(card.period.end), "base": _shown(card.base), "count": len(card.units),
        "average": _shown(round(average, 1)), "units": units, "commended": "、".join(commended),
        "criticised": criticised, "criticise_below": _shown(points.criticise_below),
        "reply_workdays": config.rules.notice_reply_workdays,
    }
    context["provisional"] = contexts.prints_provisional(context)
    return context


def _shown(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:g}"
