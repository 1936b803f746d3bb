"""Each item's standing as of a date, and per-unit summaries — computed purely from the ledger.

`item_state` decides, in this order (the first that applies wins):

1. 已销号 (closed): `closed_on` is set and on or before the as-of date.
2. 已完成 (done): the unit reports 已完成 and its done date (`done_on`, else the receipt date
   of its latest report `last_report_on`) is not after the as-of date; with neither date the
   ledger's status is taken as it stands. Done after the deadline is still 已完成, with
   `done_on_time` False.
3. 长期坚持 (ongoing): no deadline. Nothing can be overdue or reported late.
4. 逾期 (overdue): the as-of date is after the deadline. Whatever the unit reports —
   未启动, 推进中, 需上级协调 (to be solved upward) — the deadline has passed.
5. 临期 (due soon): the deadline is at most `rules.due_soon_workdays` working days after the
   as-of date (the as-of date itself counts as 0: a deadline today is due soon).
6. 正常推进 (on track).

The deadline is taken as written even when it falls on a non-working day. Working-day counts:
- `report_due` (整改时限届满后3个工作日内): the `rules.report_within_workdays`-th working day
  strictly after the deadline; None without a deadline.
- `overdue_workdays`: working days after the deadline up to and including the as-of date, for
  逾期 items only; it is 0 on the non-working days right after a deadline (still 逾期).
- `report_missing`: an open (not done, not closed) item whose report_due is before the as-of
  date and which no submission touched after its deadline (`last_report_on` None or on or
  before the deadline). A done or closed item owes no report.
- `key_supervision` (重点督查): report missing, or more than `rules.key_overdue_workdays`
  working days overdue.
- `lookback_due` (回头看): a done or closed item whose done date is at least
  `rules.lookback_days` calendar days before the as-of date, with no 回头看 recorded on or
  after that done date (one recorded after the as-of date does not count yet).
- `provisional`: the deadline, report_due or the as-of date (when it is counted against the
  deadline) lies in, or a count runs through, a year the calendar only knows provisionally.
- `done_on_time`: for done and closed items, done date on or before the deadline (True
  without a deadline; for closed items the closing date stands in for a missing done date);
  None when the date is unknown or the item is not finished.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, timedelta
from functools import cached_property

from pipeline.config import Config, Rules
from pipeline.deadlines.workdays import WorkCalendar
from pipeline.model import (
    STATE_CLOSED,
    STATE_DONE,
    STATE_DUE_SOON,
    STATE_ON_TRACK,
    STATE_ONGOING,
    STATE_OVERDUE,
    STATUS_DONE,
    Item,
    ItemState,
)

FINISHED_STATES = (STATE_DONE, STATE_CLOSED)


def item_state(item: Item, as_of: date, cal: WorkCalendar, rules: Rules) -> ItemState:
    closed = item.closed_on is not None and item.closed_on <= as_of
    done_date = item.done_on or item.last_report_on
    done = item.status == STATUS_DONE and (done_date is None or done_date <= as_of)
    deadline = item.deadline

    report_due = cal.add_workdays(deadline, rules.report_within_workdays) if deadline else None
    overdue_workdays = 0
    report_missing = False
    done_on_time = None
    span: list[date] = [deadline, report_due] if deadline and report_due else []

    if closed or done:
        state = STATE_CLOSED if closed else STATE_DONE
        finished = done_date if done else (done_date or item.closed_on)
        if deadline is None:
            done_on_time = True
        elif finished is not None:
            done_on_time = finished <= deadline
    elif deadline is None:
        state = STATE_ONGOING
    else:
        assert report_due is not None  # made with the deadline
        span.append(as_of)
        if as_of > deadline:
            state = STATE_OVERDUE
            overdue_workdays = cal.workdays_between(deadline, as_of)
        elif deadline <= cal.add_workdays(as_of, rules.due_soon_workdays):
            state = STATE_DUE_SOON
        else:
            state = STATE_ON_TRACK
        report_missing = as_of > report_due and (item.last_report_on is None or item.last_report_on <= deadline)

    lookback_due = False
    if (closed or done) and done_date is not None and done_date <= as_of - timedelta(days=rules.lookback_days):
        looked = item.lookback_on if item.lookback_on is not None and item.lookback_on <= as_of else None
        lookback_due = looked is None or looked < done_date

    return ItemState(
        item_id=item.id,
        as_of=as_of,
        state=state,
        report_due=report_due,
        overdue_workdays=overdue_workdays,
        report_missing=report_missing,
        key_supervision=report_missing or overdue_workdays > rules.key_overdue_workdays,
        lookback_due=lookback_due,
        provisional=bool(span) and cal.spans_provisional(min(span), max(span)),
        done_on_time=done_on_time,
    )


def compute_states(items: Iterable[Item], as_of: date, cal: WorkCalendar, rules: Rules) -> dict[str, ItemState]:
    """States of many items as of one date, keyed by item id."""
    return {item.id: item_state(item, as_of, cal, rules) for item in items}


@dataclass(frozen=True)
class UnitSummary:
    """One lead unit's (牵头责任单位) counts as of a date, as the circular and `sancha status` show them."""

    rank: int  # 1-based position in the ranking (completion rate desc, overdue asc, name)
    unit: str
    items: int  # all its items
    due: int  # items whose deadline is on or before the as-of date (ongoing items excluded)
    done: int  # 已完成 or 已销号
    done_on_time: int  # of those, done on or before the deadline
    closed: int  # 已销号
    ongoing: int  # 长期坚持
    overdue: int  # 逾期
    due_soon: int  # 临期
    report_missing: int  # 报告缺失
    key_supervision: int  # 重点督查
    lookback_due: int  # 回头看
    completion_rate: float  # done / items, 0.0–1.0

    @property
    def completion_percent(self) -> str:
        return percent(self.completion_rate)


def percent(rate: float | None) -> str:
    """A rate (fraction 0..1) as 85.7%; a dash when there is none (nothing due)."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def unit_summary(items: Iterable[Item], states: dict[str, ItemState]) -> list[UnitSummary]:
    """Per-unit counts over `items` (by lead unit), ranked: completion rate desc, then overdue
    asc, then unit name. Every item must have a state in `states`."""
    counts: dict[str, dict[str, int]] = {}
    for item in items:
        st = states[item.id]
        c = counts.setdefault(item.unit, dict.fromkeys(COUNT_FIELDS, 0))
        finished = st.state in FINISHED_STATES
        c["items"] += 1
        c["due"] += item.deadline is not None and item.deadline <= st.as_of
        c["done"] += finished
        c["done_on_time"] += finished and st.done_on_time is True
        c["closed"] += st.state == STATE_CLOSED
        c["ongoing"] += st.state == STATE_ONGOING
        c["overdue"] += st.state == STATE_OVERDUE
        c["due_soon"] += st.state == STATE_DUE_SOON
        c["report_missing"] += st.report_missing
        c["key_supervision"] += st.key_supervision
        c["lookback_due"] += st.lookback_due
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1]["done"] / kv[1]["items"], kv[1]["overdue"], kv[0]))
    return [
        UnitSummary(rank=i, unit=unit, completion_rate=c["done"] / c["items"], **c)
        for i, (unit, c) in enumerate(ranked, 1)
    ]


def total_summary(summaries: Iterable[UnitSummary], unit: str = "合计") -> UnitSummary:
    """The totals row over unit summaries (rank 0; completion rate 0.0 when there are no items)."""
    c = dict.fromkeys(COUNT_FIELDS, 0)
    for s in summaries:
        for key in COUNT_FIELDS:
            c[key] += getattr(s, key)
    return UnitSummary(rank=0, unit=unit, completion_rate=c["done"] / c["items"] if c["items"] else 0.0, **c)


# The integer counts of a UnitSummary (everything but rank, unit and the rate).
COUNT_FIELDS = tuple(f.name for f in fields(UnitSummary) if f.type == "int" and f.name != "rank")


@dataclass(frozen=True)
class Standing:
    """The ledger's items as of one day: each item's state, the calendar they were counted on,
    and (on first use) the per-unit summaries."""

    as_of: date
    items: list[Item]
    states: dict[str, ItemState]
    calendar: WorkCalendar

    @cached_property
    def summaries(self) -> list[UnitSummary]:
        return unit_summary(self.items, self.states)


def standing(config: Config, items: list[Item], as_of: date) -> Standing:
    """The items' states as of `as_of`, on the workspace's working-day calendar and rules."""
    cal = WorkCalendar.from_config(config)
    return Standing(as_of, items, compute_states(items, as_of, cal, config.rules), cal)
