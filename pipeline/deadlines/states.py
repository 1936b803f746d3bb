"""Each item's standing as of a day, the units' ranking, who is commended and who is
criticised — computed purely from the items as they stood that day.

The item given is the item at the end of the as-of day (`pipeline.ledger.view`, replayed from
its events by `pipeline.ledger.timeline`): its status, deadline in effect, unit, closing and
reports are that day's, so a past day shows what the ledger knew then. These are the rules —
written here once; README repeats them for readers:

- **Ongoing items report periodically** (`rules.ongoing_report_every`, month or quarter): an
  open 长期坚持 item's report_due is the current period's 5th working day; from that day on, an
  item nothing touched (a report, or its registration) since the period began is report_missing
  (with every consequence of a missing report) until a report comes; before that day the
  previous period's report is what is owed.
- **Due.** An item is due when its deadline (the one in effect that day) is *before* the
  as-of day. An item due today is not due yet: it never blocks a commendation on its
  deadline day. Ongoing items (长期坚持) have no deadline and are never due.
- **State**, the first that applies: 已销号 (closed on or before the as-of day); 已完成
  (reported done, its 完成日期 not after the as-of day); 逾期 (due); 滞后 (a milestone — 时间节点,
  or a dated part of a staged deadline — before the as-of day and not reported done by then:
  `missed`); 长期坚持 (no deadline); 临期 (the deadline at most `rules.due_soon_workdays`
  working days ahead — the deadline day itself is 临期); 正常推进. Whatever an overdue item
  reports — 未启动, 推进中 — the deadline has passed. The deadline is taken as
  written even on a non-working day.
- **待上级协调.** An open item whose 完成情况 is 需上级协调 (the unit wrote it with its reason,
  or the office recorded `escalate`) is in state 待上级协调 from that day, before the deadline
  or after it: not due, not overdue, no report owed, never 重点督查 or criticised — its clock
  is paused. The answer from above (`escalate --answer`) gives a new deadline (the clock starts
  again, state as any item's) or closes it.
- **待报措施** (issue 17) comes first for an open item of a problem list — no measures, no
  deadline, not ongoing: its unit owes the measures by the `rules.measures_within_workdays`-th
  working day after the day it was assigned (registered, or reopened): `measures_due`; after
  that day `measures_missing` (未报送整改措施): a red item (notices), 重点督查, a reason to
  criticise and no commendation. Once the unit sends measures and a deadline, the ordinary rules.
- **report_due** (整改时限届满后3个工作日内): the `rules.report_within_workdays`-th working day
  strictly after the deadline.
- **A report counts** for an item if it was received on or after its deadline day, or if it
  reported the item done (`Item.report_on`: the first such report since the item was
  registered or last reopened; a report before an extension's new deadline does not count for
  it). Items built without a timeline fall back to their latest report.
- **report_missing**: an open item (not done, not closed), the as-of day after its report_due,
  and no counting report received by that day. A report after report_due clears it from the
  day it is received; the lateness stays recorded (`report_late`). Done and closed items owe
  no report.
- **overdue_workdays**: working days after the deadline up to and including the as-of day,
  for 逾期 items (0 on the non-working days right after a deadline, still 逾期).
- **key_supervision** (重点督查): report missing, or more than `rules.key_overdue_workdays`
  working days overdue.
- **done_on_time**: for done items, the 完成日期 (else the latest report) on or before the
  deadline; for an item closed without being reported done, the closing day stands in; True
  without a deadline; None when unknown or not finished.
- **lookback_due** (回头看): a done or closed item finished (as above) at least
  `rules.lookback_days` calendar days before the as-of day, with no 回头看 recorded since.
- **provisional**: the deadline, report_due or the as-of day (when counted against the
  deadline) lies in, or a count runs through, a year the calendar only knows provisionally.
- **Ranking.** 完成率 = done ÷ (due or done): the items done (已完成 or 已销号) over the items
  that are due or done. Ties by 按期完成率 (done on time over the same), then fewer overdue, then
  fewer missing reports; units equal in all four share a rank (并列), listed by name. A unit
  with nothing due and nothing done is listed last, unranked (rank None, shown “—”). The
  circular, `status`, the dashboard and the ledger workbook all use this ranking.
- **Commended** (表扬): a ranked unit with at least `rules.commend_min_due` items due or done,
  every one of them done on time, and no report missing (a unit that finished early is
  commended; one with an item overdue is not). **Criticised** (批评): a unit with a missing
  report or an item overdue more than `rules.key_overdue_workdays` working days. A commended
  unit's rates are 100 % with nothing overdue or missing, a criticised unit's are not, so a
  commended unit never ranks below a criticised one.
- **The report column** of notices and lists: 已报送（M月D日） (the counting report's day) /
  待报送（M月D日前） (report_due not passed yet) / 逾期未报送 (report missing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from functools import cached_property

from pipeline.config import Config, Rules
from pipeline.deadlines.workdays import WorkCalendar
from pipeline.model import (
    STATE_AWAITING_MEASURES,
    STATE_BEHIND,
    STATE_CLOSED,
    STATE_DONE,
    STATE_DUE_SOON,
    STATE_NEEDS_HELP,
    STATE_ON_TRACK,
    STATE_ONGOING,
    STATE_OVERDUE,
    STATUS_DONE,
    STATUS_NEEDS_HELP,
    Item,
    ItemState,
    Milestone,
    awaits_measures,
)

FINISHED_STATES = (STATE_DONE, STATE_CLOSED)


def is_due(item: Item, as_of: date) -> bool:
    """Due: the deadline in effect is before the as-of day (an item due today is not); an item
    reported upward (需上级协调) is not due while it waits for the answer."""
    return item.deadline is not None and item.deadline < as_of and item.status != STATUS_NEEDS_HELP


def counted_report(item: Item, as_of: date) -> date | None:
    """The day of the first report that counts for the item's deadline, if one came by `as_of`."""
    day = item.report_on
    if day is None and item.last_report_on is not None and (item.deadline is None
                                                            or item.last_report_on >= item.deadline):
        day = item.last_report_on  # an item built without its timeline
    return day if day is not None and day <= as_of else None


def item_state(item: Item, as_of: date, cal: WorkCalendar, rules: Rules) -> ItemState:
    closed = item.closed_on is not None and item.closed_on <= as_of
    done = item.status == STATUS_DONE and (item.done_on is None or item.done_on <= as_of)
    deadline = item.deadline
    if not (closed or done) and awaits_measures(item):
        return _awaiting_measures(item, as_of, cal, rules)

    report_due = cal.add_workdays(deadline, rules.report_within_workdays) if deadline else None
    report_on = counted_report(item, as_of)
    overdue_workdays = 0
    report_missing = False
    done_on_time = None
    finished = (item.done_on or item.last_report_on) if done else item.closed_on if closed else None
    span: list[date] = [deadline, report_due] if deadline and report_due else []
    missed = missed_milestones(item, as_of) if not (closed or done) else ()

    if closed or done:
        state = STATE_CLOSED if closed else STATE_DONE
        if deadline is None:
            done_on_time = True
        elif finished is not None:
            done_on_time = finished <= deadline
    elif item.status == STATUS_NEEDS_HELP:  # reported upward: the clock is paused, nothing is owed
        state = STATE_NEEDS_HELP
        report_due = None
        span = []
    elif deadline is None:
        state = STATE_BEHIND if missed else STATE_ONGOING
        report_due, report_missing, report_on, late = ongoing_report(item, as_of, cal, rules)
        span = [report_due, as_of]
    else:
        assert report_due is not None  # made with the deadline
        span.append(as_of)
        if as_of > deadline:
            state = STATE_OVERDUE
            overdue_workdays = cal.workdays_between(deadline, as_of)
        elif missed:
            state = STATE_BEHIND
        elif deadline <= cal.add_workdays(as_of, rules.due_soon_workdays):
            state = STATE_DUE_SOON
        else:
            state = STATE_ON_TRACK
        report_missing = report_due is not None and as_of > report_due and report_on is None

    if deadline is not None or item.status == STATUS_NEEDS_HELP or closed or done:  # ongoing: said above
        late = report_on is not None and report_due is not None and report_on > report_due
    lookback_due = False
    if finished is not None and finished <= as_of - timedelta(days=rules.lookback_days):
        looked = item.lookback_on if item.lookback_on is not None and item.lookback_on <= as_of else None
        lookback_due = looked is None or looked < finished

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
        report_on=report_on,
        report_late=late,
        missed=missed if state == STATE_BEHIND else (),
    )


def period_start(day: date, every: str) -> date:
    """The first day of `day`'s month, or of its quarter (`every` = "quarter")."""
    month = day.month if every != "quarter" else (day.month - 1) // 3 * 3 + 1
    return date(day.year, month, 1)


def _previous_period(start: date, every: str) -> date:
    months = 3 if every == "quarter" else 1
    n = start.year * 12 + start.month - 1 - months
    return date(n // 12, n % 12 + 1, 1)


ONGOING_REPORT_WORKDAY = 5  # an ongoing item reports by the period's 5th working day


def ongoing_owed(as_of: date, cal: WorkCalendar, rules: Rules) -> tuple[date, date]:
    """(first day, due day) of the latest period whose periodic report was due by `as_of` (an
    ongoing item's report owed on that day: `ongoing_report`)."""
    every = rules.ongoing_report_every
    start = period_start(as_of, every)
    due = cal.add_workdays(start - timedelta(days=1), ONGOING_REPORT_WORKDAY)
    if as_of >= due:
        return start, due
    prev = _previous_period(start, every)
    return prev, cal.add_workdays(prev - timedelta(days=1), ONGOING_REPORT_WORKDAY)


def ongoing_report(item: Item, as_of: date, cal: WorkCalendar,
                   rules: Rules) -> tuple[date, bool, date | None, bool]:
    """An ongoing item's periodic report (`rules.ongoing_report_every`): (the day the current
    period's report is due — its 5th working day —, report missing, the report that counts,
    whether it came late). The report owed is that of the latest period whose due day has come:
    missing when nothing touched the item (a report, or its registration) since that period
    began."""
    start = period_start(as_of, rules.ongoing_report_every)
    due = cal.add_workdays(start - timedelta(days=1), ONGOING_REPORT_WORKDAY)
    owed, owed_due = ongoing_owed(as_of, cal, rules)
    last = item.last_report_on if item.last_report_on is not None and item.last_report_on <= as_of else None
    touched = max(d for d in (last, item.created_on) if d is not None) if (last or item.created_on) else None
    missing = as_of >= owed_due and (touched is None or touched < owed)
    counted = last if last is not None and last >= owed else None
    return due, missing, counted, counted is not None and counted > owed_due




def _awaiting_measures(item: Item, as_of: date, cal: WorkCalendar, rules: Rules) -> ItemState:
    """待报措施: the unit owes its measures by the `measures_within_workdays`-th working day after
    the day the problem was assigned (交办: registered, or reopened)."""
    assigned = item.reopened_on or item.created_on
    due = cal.add_workdays(assigned, rules.measures_within_workdays)
    missing = as_of > due
    return ItemState(item_id=item.id, as_of=as_of, state=STATE_AWAITING_MEASURES, report_due=None,
                     overdue_workdays=0, report_missing=False, key_supervision=missing, lookback_due=False,
                     provisional=cal.spans_provisional(assigned, max(due, as_of)), measures_due=due,
                     measures_missing=missing)


def missed_milestones(item: Item, as_of: date) -> tuple[Milestone, ...]:
    """The item's milestones due before `as_of` and not reported done by then."""
    if not item.milestones:
        return ()
    return tuple(m for m in item.milestones
                 if m.due is not None and m.due < as_of and (m.done_on is None or m.done_on > as_of))


def compute_states(items: Iterable[Item], as_of: date, cal: WorkCalendar, rules: Rules) -> dict[str, ItemState]:
    """States of many items as of one date, keyed by item id."""
    return {item.id: item_state(item, as_of, cal, rules) for item in items}


def report_text(st: ItemState) -> str:
    """The report column: 已报送（M月D日） / 待报送（M月D日前） / 逾期未报送 ('—' when no report is
    owed: done, closed, ongoing)."""
    if st.measures_missing:
        return "未报送整改措施"
    if st.state == STATE_AWAITING_MEASURES and st.measures_due is not None:
        return f"待报措施（{st.measures_due.month}月{st.measures_due.day}日前）"
    if st.report_missing:
        return "逾期未报送"
    if st.report_on is not None:
        return f"已报送（{st.report_on.month}月{st.report_on.day}日）"
    if st.report_due is None or st.state in FINISHED_STATES:
        return "—"
    if st.report_due >= st.as_of:
        return f"待报送（{st.report_due.month}月{st.report_due.day}日前）"
    return "已报送"  # a state built by hand, without the report's day


@dataclass(frozen=True)
class UnitSummary:
    """One lead unit's (牵头责任单位) counts as of a date, as the circular and `sancha status` show them."""

    rank: int | None  # 1-based place in the ranking (equal figures share it); None: nothing due or done
    unit: str
    items: int  # all its items
    due: int  # items whose deadline is before the as-of day (ongoing items excluded)
    done: int  # 已完成 or 已销号
    done_on_time: int  # of those, done on or before the deadline
    closed: int  # 已销号
    ongoing: int  # 长期坚持
    overdue: int  # 逾期
    due_soon: int  # 临期
    report_missing: int  # 报告缺失
    key_supervision: int  # 重点督查
    lookback_due: int  # 回头看
    due_or_done: int  # items due or done: what the rates are of
    completion_rate: float | None  # 完成率: done / due_or_done, 0.0–1.0; None when there is none
    on_time_rate: float | None = None  # 按期完成率: done_on_time / due_or_done
    needs_help: int = 0  # 待上级协调
    behind: int = 0  # 滞后 (issue 17)
    awaiting_measures: int = 0  # 待报措施
    measures_missing: int = 0  # 未报送整改措施: 待报措施 past its measures_due

    @property
    def completion_percent(self) -> str:
        return percent(self.completion_rate)


def percent(rate: float | None) -> str:
    """A rate (fraction 0..1) as 85.7%; a dash when there is none (nothing due or done)."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _rates(c: Mapping[str, int]) -> tuple[float | None, float | None]:
    n = c["due_or_done"]
    return (c["done"] / n, c["done_on_time"] / n) if n else (None, None)


def unit_summary(items: Iterable[Item], states: Mapping[str, ItemState]) -> list[UnitSummary]:
    """Per-unit counts over `items` (by lead unit), in ranking order (see the module's rules).
    Every item must have a state in `states`."""
    counts: dict[str, dict[str, int]] = {}
    for item in items:
        st = states[item.id]
        c = counts.setdefault(item.unit, dict.fromkeys(COUNT_FIELDS, 0))
        finished = st.state in FINISHED_STATES
        due = is_due(item, st.as_of)
        c["items"] += 1
        c["due"] += due
        c["due_or_done"] += due or finished
        c["done"] += finished
        c["done_on_time"] += finished and st.done_on_time is True
        c["closed"] += st.state == STATE_CLOSED
        c["ongoing"] += st.state == STATE_ONGOING
        c["overdue"] += st.state == STATE_OVERDUE
        c["due_soon"] += st.state == STATE_DUE_SOON
        c["behind"] += st.state == STATE_BEHIND
        c["awaiting_measures"] += st.state == STATE_AWAITING_MEASURES
        c["measures_missing"] += st.measures_missing
        c["report_missing"] += st.report_missing
        c["key_supervision"] += st.key_supervision
        c["lookback_due"] += st.lookback_due
        c["needs_help"] += st.state == STATE_NEEDS_HELP

    def order(kv: tuple[str, dict[str, int]]) -> tuple:
        return _rank_key(kv[1]), kv[0]

    out: list[UnitSummary] = []
    previous, rank = None, 0
    for n, (unit, c) in enumerate(sorted(counts.items(), key=order), 1):
        rate, on_time = _rates(c)
        if rate is not None and _rank_key(c) != previous:
            previous, rank = _rank_key(c), n
        out.append(UnitSummary(rank=rank if rate is not None else None, unit=unit, completion_rate=rate,
                               on_time_rate=on_time, **c))
    return out


def _rank_key(c: Mapping[str, int]) -> tuple:
    """Better first: the rates down, then overdue and missing reports up; unranked units last."""
    rate, on_time = _rates(c)
    if rate is None or on_time is None:
        return (1,)
    return 0, -rate, -on_time, c["overdue"], c["report_missing"]


def total_summary(summaries: Iterable[UnitSummary], unit: str = "合计") -> UnitSummary:
    """The totals row over unit summaries (rank None; rates None when nothing is due or done)."""
    c = dict.fromkeys(COUNT_FIELDS, 0)
    for s in summaries:
        for key in COUNT_FIELDS:
            c[key] += getattr(s, key)
    rate, on_time = _rates(c)
    return UnitSummary(rank=None, unit=unit, completion_rate=rate, on_time_rate=on_time, **c)


# The integer counts of a UnitSummary (everything but rank, unit and the rates).
COUNT_FIELDS = tuple(f.name for f in fields(UnitSummary) if f.type == "int")


# -- commended and criticised ----------------------------------------------------------------------

@dataclass(frozen=True)
class AppraisalRules:
    """Who is commended (表扬) and who is criticised (批评); see the module's rules."""

    commend_min_due: int = 1
    criticise_overdue_workdays: int = 10
    criticise_report_missing: bool = True

    @classmethod
    def from_rules(cls, rules: Rules) -> AppraisalRules:
        return cls(commend_min_due=rules.commend_min_due, criticise_overdue_workdays=rules.key_overdue_workdays)


@dataclass(frozen=True)
class Criticism:
    unit: str
    reasons: tuple[str, ...]


def appraise(items: Iterable[Item], states: Mapping[str, ItemState], summaries: Sequence[UnitSummary],
             rules: AppraisalRules) -> tuple[list[str], list[Criticism]]:
    """Units commended and units criticised (with their reasons), in ranking order."""
    by_unit: dict[str, list[tuple[Item, ItemState]]] = {}
    for item in items:
        by_unit.setdefault(item.unit, []).append((item, states[item.id]))
    commended: list[str] = []
    criticised: list[Criticism] = []
    for s in summaries:
        pairs = by_unit.get(s.unit, [])
        counted = [st for i, st in pairs if is_due(i, st.as_of) or st.state in FINISHED_STATES]
        missing = sum(1 for _, st in pairs if st.report_missing)
        no_measures = sum(1 for _, st in pairs if st.measures_missing)
        if (s.rank is not None and len(counted) >= rules.commend_min_due and not missing and not no_measures
                and all(st.state in FINISHED_STATES and st.done_on_time for st in counted)):
            commended.append(s.unit)
        late = sum(1 for _, st in pairs if st.overdue_workdays > rules.criticise_overdue_workdays)
        missing = missing if rules.criticise_report_missing else 0
        reasons = []
        if late:
            reasons.append(f"{late}项整改问题逾期超过{rules.criticise_overdue_workdays}个工作日仍未完成")
        if missing:
            reasons.append(f"{missing}项整改问题逾期未报送整改情况")
        if no_measures:
            reasons.append(f"{no_measures}项问题未报送整改措施")
        if reasons:
            criticised.append(Criticism(s.unit, tuple(reasons)))
    return commended, criticised


@dataclass(frozen=True)
class Standing:
    """The ledger's items as of one day: each item's state, the calendar they were counted on,
    and (on first use) the per-unit summaries in ranking order and the units commended and
    criticised: the figures of the circular and of `sancha status --json`."""

    as_of: date
    items: list[Item]
    states: dict[str, ItemState]
    calendar: WorkCalendar
    rules: Rules = field(default_factory=Rules)
    # 佐证材料 received by the day, by item (`ledger.evidence.EvidenceFile`s): set by
    # `ledger.standing.load_standing`; None when not read (the export then has no "evidence")
    evidence: Mapping[str, Sequence] | None = None
    # The townships' own figures from their last reports up (pipeline.upstream.levels), by unit.
    levels: tuple[dict, ...] = ()

    @cached_property
    def summaries(self) -> list[UnitSummary]:
        return unit_summary(self.items, self.states)

    @cached_property
    def appraisal(self) -> tuple[list[str], list[Criticism]]:
        """(units commended, units criticised with their reasons), in ranking order."""
        return appraise(self.items, self.states, self.summaries, AppraisalRules.from_rules(self.rules))

    @property
    def commended(self) -> list[str]:
        return self.appraisal[0]

    @property
    def criticised(self) -> list[Criticism]:
        return self.appraisal[1]

    def as_json(self) -> dict:
        """The pinned shape of `sancha status --json`."""
        return _status_json(self.as_of, self.summaries, self.commended, self.criticised, self.levels)


def _status_json(as_of: date, summaries: Iterable[UnitSummary], commended: Iterable[str],
                 criticised: Iterable[Criticism], levels: Iterable[dict]) -> dict:
    return {
        "as_of": as_of.isoformat(),
        "units": [{"unit": s.unit, "rank": s.rank, "items": s.items, "due": s.due, "done": s.done,
                   "done_on_time": s.done_on_time, "overdue": s.overdue, "report_missing": s.report_missing,
                   "rate": None if s.completion_rate is None else round(s.completion_rate, 4)}
                  for s in summaries],
        "commended": list(commended),
        "criticised": [{"unit": c.unit, "reasons": list(c.reasons)} for c in criticised],
        "levels": [{k: level[k] for k in ("unit", "reported_on", "items", "done", "overdue", "rate")}
                   for level in levels],
    }


@dataclass(frozen=True)
class RedEntry:
    """An item of the red list (逾期 or 重点督查) with what `sancha status` shows of its state."""

    id: str
    unit: str
    key_supervision: bool
    overdue_workdays: int
    report_missing: bool
    provisional: bool


@dataclass(frozen=True)
class StatusFigures:
    """What `sancha status` shows of a Standing, as plain data that can be kept and read back
    (issue 20: the ledger keeps it for a day until an event taking effect by then is recorded).
    `red` is in the status order: 重点督查 first, then the most working days overdue, unit, id."""

    as_of: date
    total: int  # items
    summaries: tuple[UnitSummary, ...]
    commended: tuple[str, ...]
    criticised: tuple[Criticism, ...]
    red: tuple[RedEntry, ...]
    levels: tuple[dict, ...] = ()

    def as_json(self) -> dict:
        """The pinned shape of `sancha status --json`, as `Standing.as_json` gives it."""
        return _status_json(self.as_of, self.summaries, self.commended, self.criticised, self.levels)

    def to_data(self) -> dict:
        """JSON-ready; `from_data` gives it back equal (levels are not kept: they are read live)."""
        return {"as_of": self.as_of.isoformat(), "total": self.total,
                "summaries": [{f.name: getattr(s, f.name) for f in fields(UnitSummary)} for s in self.summaries],
                "commended": list(self.commended),
                "criticised": [[c.unit, list(c.reasons)] for c in self.criticised],
                "red": [[r.id, r.unit, r.key_supervision, r.overdue_workdays, r.report_missing, r.provisional]
                        for r in self.red]}

    @classmethod
    def from_data(cls, data: dict) -> StatusFigures:
        return cls(date.fromisoformat(data["as_of"]), data["total"],
                   tuple(UnitSummary(**s) for s in data["summaries"]), tuple(data["commended"]),
                   tuple(Criticism(u, tuple(r)) for u, r in data["criticised"]),
                   tuple(RedEntry(*r) for r in data["red"]))


def status_figures(now: Standing) -> StatusFigures:
    """The figures `sancha status` shows of `now` (pure)."""
    st = now.states
    red = sorted((i for i in now.items if st[i.id].state == STATE_OVERDUE or st[i.id].key_supervision),
                 key=lambda i: (not st[i.id].key_supervision, -st[i.id].overdue_workdays, i.unit, i.id))
    return StatusFigures(now.as_of, len(now.items), tuple(now.summaries), tuple(now.commended),
                         tuple(now.criticised),
                         tuple(RedEntry(i.id, i.unit, st[i.id].key_supervision, st[i.id].overdue_workdays,
                                        st[i.id].report_missing, st[i.id].provisional) for i in red),
                         now.levels)


def standing(config: Config, items: list[Item], as_of: date, states: dict[str, ItemState] | None = None) -> Standing:
    """The items' states as of `as_of`, on the workspace's working-day calendar and rules
    (`states`: computed already)."""
    cal = WorkCalendar.from_config(config)
    return Standing(as_of, items, states if states is not None else compute_states(items, as_of, cal, config.rules),
                    cal, config.rules)
