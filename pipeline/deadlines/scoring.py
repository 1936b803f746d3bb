"""The evaluation (考核): each unit's score over a period, every point a line traced to the event
or document that recorded it — pure, over the items' events and the circulars issued.

    card = score(config, events_by_item, circulars, Period(date(2026, 10, 1), date(2026, 12, 31)))

Only what took effect by the period's last day counts (events with `on` ≤ it), so a period
scored at any later time gives the same result. The score is `[scoring] base` plus the sum of
the unit's lines, exactly (a cap is a line of its own). The rules, for each line's day in the
period (points in `[scoring]`; + added, − deducted):

- `done_on_time` (+): an item became done (已完成, or closed) on a day by its deadline in effect
  then; an ongoing item has no deadline and scores no such point. Ref: the event that made it done.
- `overdue` (−): an item still open (not done, not closed, not 待上级协调) on its report_due day
  (整改时限届满后N个工作日). Ref: the event that set that deadline.
- `report_late` (−): the report came the day after report_due, on its day; `report_missing`
  (−): on the day after report_due no counting report had come; if one comes later (for the
  same deadline), `report_made_up` on its day gives back the difference (report_missing −
  report_late), so a report made up costs what a late one does. Ongoing items: the same for
  their periodic report (`[rules] ongoing_report_every`, due the period's 5th working day;
  missing from that day). Ref: the report event (late, made up) or the deadline's event (missing).
- `measures_missing` (−): a problem list's item (待报措施) without its unit's measures by their
  due day (`[rules] measures_within_workdays`), the day after it. Ref: its registration.
- `notice_unanswered` (−): a 督办通知单 or 督办告诫单 not answered by its reply date, the day after
  it; `warning` (−): a 督办告诫单, its day; `accountability` (−): an item on a 问责建议清单, its
  day. Ref: the document's number.
- `commended` (+) / `criticised` (−): each circular issued in the period that commended or
  criticised the unit — as the circular recorded them when it was written (issued_documents'
  verdict), else as of its day by `deadlines.states` (circulars written before it was recorded).
  Ref: its 文号.
- A co-unit (配合责任单位) gets `co_unit_weight` of the item's `done_on_time` and `overdue`.
- An item voided (作废) scores nothing from the day it was voided; its lines before stand.
- `cap`: when a unit's deductions exceed `max_deduction` (or its gains `max_bonus`), one line
  on the period's last day gives the excess back; its ref says the total and the cap.

**Periods agree.** Every line but a cap depends only on what happened by its own day, so the
lines of a year are exactly the lines of its four quarters (each in the quarter of its day) and
the year's score before caps is the base plus the sum of the quarters' lines. Caps are of the
period scored — a year's on the year's lines — so with caps the year's score is that sum plus
the year's own cap lines, not the quarters' (`before_cap` in the JSON is each unit's score
without its cap lines).

Units are ranked by score (equal scores share a rank), then by name.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from pipeline.config import Config
from pipeline.deadlines.ladder import LEVEL_ACCOUNT, LEVEL_NOTICE, LEVEL_WARN, notices
from pipeline.deadlines.states import ONGOING_REPORT_WORKDAY, item_state, period_start, standing
from pipeline.deadlines.workdays import WorkCalendar
from pipeline.ledger import timeline
from pipeline.ledger.timeline import Event
from pipeline.model import STATE_OVERDUE, STATUS_DONE, Item, awaits_measures

# The rules, in the order the 汇总 sheet counts them, with what a clerk reads.
RULES = {
    "done_on_time": "按期完成", "commended": "通报表扬", "overdue": "逾期未完成", "report_missing": "逾期未报送",
    "report_late": "报送迟报", "report_made_up": "逾期补报（改按迟报计）", "measures_missing": "未按时报送整改措施",
    "notice_unanswered": "督办未按期回复",
    "warning": "督办告诫",
    "accountability": "问责建议", "criticised": "通报批评", "cap": "封顶调整",
}
BONUSES = ("done_on_time", "commended")


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @classmethod
    def of(cls, year: int, quarter: int | None = None, month: int | None = None) -> Period:
        if month is not None:
            nxt = date(year + month // 12, month % 12 + 1, 1)
            return cls(date(year, month, 1), nxt - timedelta(days=1))
        if quarter is not None:
            first = date(year, 3 * quarter - 2, 1)
            nxt = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
            return cls(first, nxt - timedelta(days=1))
        return cls(date(year, 1, 1), date(year, 12, 31))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def title(self) -> str:
        if self.start.month == 1 and self.end == date(self.start.year, 12, 31):
            return f"{self.start.year}年度"
        if self.start.day == 1 and self.end.month - self.start.month == 2:
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        if self.start.day == 1 and self.end.month == self.start.month:
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.isoformat()}至{self.end.isoformat()}"


@dataclass(frozen=True)
class Line:
    unit: str
    item: str | None
    on: date
    rule: str
    points: float
    ref: str  # the document or event that recorded it, as a clerk reads it
    event: int | None = None  # the event's id, when one recorded it

    def as_json(self) -> dict:
        return {"item": self.item, "on": self.on.isoformat(), "rule": self.rule, "points": _number(self.points),
                "ref": self.ref, "event": self.event}


@dataclass(frozen=True)
class UnitScore:
    unit: str
    score: float
    rank: int
    lines: tuple[Line, ...]

    def count(self, rule: str) -> int:
        return sum(1 for line in self.lines if line.rule == rule)

    def points(self, rule: str) -> float:
        return sum(line.points for line in self.lines if line.rule == rule)


@dataclass(frozen=True)
class ScoreCard:
    period: Period
    base: float
    units: list[UnitScore] = field(default_factory=list)

    def as_json(self) -> dict:
        """The pinned shape of `sancha score --json`."""
        return {"period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
                "base": _number(self.base),
                "units": [{"unit": u.unit, "score": _number(u.score), "rank": u.rank,
                           "before_cap": _number(self.base + sum(x.points for x in u.lines if x.rule != "cap")),
                           "lines": [line.as_json() for line in u.lines]} for u in self.units]}


def _number(x: float) -> float | int:
    x = round(x, 4)
    return int(x) if x == int(x) else x


def _ref(event: Event | None) -> str:
    if event is None:
        return ""
    what = timeline.kind_label(event.kind)
    where = f"，{event.source}" if event.source else ""
    return f"事件#{event.id}（{what}{where}）"


class _Scorer:
    def __init__(self, config: Config, period: Period):
        self.config, self.period = config, period
        self.rules, self.points = config.rules, config.scoring
        self.cal = WorkCalendar.from_config(config)
        self.lines: list[Line] = []
        self._as_of = _AsOf([], [])  # the item being scored, on any day
        self._voided: date | None = None  # the day it was voided (作废), if by the period's end
        self.circular_days: list[date] = []  # the days of the period's circulars
        self.on_circular: dict[date, list[Item]] = {}  # the items as they stood on each of those days

    def add(self, unit: str, item: str | None, on: date, rule: str, ref: str, event: int | None = None,
            weight: float = 1.0) -> None:
        if on not in self.period or not self.config.is_registered(unit):
            return
        if rule == "report_made_up":  # gives back what a missing report costs more than a late one
            value = -(self.points.report_missing - self.points.report_late) * weight
        else:
            value = float(getattr(self.points, rule)) * weight
        self.lines.append(Line(self.config.canonical_unit(unit), item, on, rule,
                               value if rule in BONUSES else -value, ref, event))

    def add_item(self, item: Item, on: date, rule: str, event: Event | None) -> None:
        """A line for the item's unit, and its weighted share for each co-unit (done_on_time, overdue);
        none from the day the item was voided (作废) on."""
        if self._voided is not None and on >= self._voided:
            return
        self.add(item.unit, item.id, on, rule, _ref(event), event.id if event else None)
        if rule in ("done_on_time", "overdue") and self.points.co_unit_weight:
            for co in item.co_units:
                if self.config.is_registered(co) and self.config.canonical_unit(co) != self.config.canonical_unit(
                        item.unit):
                    self.add(co, item.id, on, rule, _ref(event) + "（配合单位）", event.id if event else None,
                             self.points.co_unit_weight)

    # -- one item ------------------------------------------------------------------------------

    def item(self, events: list[Event]) -> Item | None:
        """The item's lines; returns the item at the period's end (None: not registered by then)."""
        end = self.period.end
        events = [e for e in timeline.ordered(events) if e.on <= end]
        days, items = timeline.replay_days(events)
        final = items[-1] if items else None
        if final is None:
            return final
        self._voided = final.voided_on if final.voided_on is not None and final.voided_on <= end else None
        self._at_circulars(days, items)
        at = dict(zip(days, items, strict=True))
        self._as_of = _AsOf(days, items)
        self._done(events, days, at)
        self._reports(events, days, at)
        self._measures(events)
        return final

    def _at_circulars(self, days: list[date], items: list[Item | None]) -> None:
        """The item as it stood on each circular's day (not voided by then), its unit canonical:
        what the circular's standing is computed on (`circulars`)."""
        copies: dict[int, Item] = {}
        for day in self.circular_days:
            k = bisect_right(days, day)
            item = items[k - 1] if k else None
            if item is None or (item.voided_on is not None and item.voided_on <= day):
                continue
            if id(item) not in copies:
                unit = self.config.canonical_unit(item.unit)
                copies[id(item)] = item if unit == item.unit else replace(item, unit=unit)
            self.on_circular[day].append(copies[id(item)])

    def _measures(self, events: list[Event]) -> None:
        """A problem list's item (待报措施) whose measures had not come by their due day."""
        first = self._as_of(events[0].on) if events else None
        if first is None or not awaits_measures(first):
            return  # only an item awaiting measures has them due
        st = item_state(first, first.created_on, self.cal, self.rules)
        if st.measures_due is None:
            return
        after = st.measures_due + timedelta(days=1)
        then = self._as_of(st.measures_due)
        if then is not None and item_state(then, after, self.cal, self.rules).measures_missing:
            self.add_item(then, after, "measures_missing", events[0])

    def _done(self, events: list[Event], days: list[date], at: Mapping[date, Item | None]) -> None:
        was = False
        for day in days:
            item = at[day]
            if item is None:
                continue
            now = (item.status == STATUS_DONE and (item.done_on is None or item.done_on <= day)) or (
                item.closed_on is not None and item.closed_on <= day)
            if now and not was and item.deadline is not None:
                finished = item.done_on or day
                if finished <= item.deadline:
                    cause = [e for e in events if e.on == day and e.kind not in ("notice", "report")] or \
                            [e for e in events if e.on == day]
                    self.add_item(item, day, "done_on_time", cause[-1] if cause else None)
            was = now

    def _deadline_event(self, events: list[Event], deadline: date) -> Event | None:
        for e in reversed(events):
            if (e.kind == "register" and e.data.get("deadline") == deadline.isoformat()) or (
                    e.field == "deadline" and e.new == deadline):
                return e
        return events[0] if events else None

    def _reports(self, events: list[Event], days: list[date], at: Mapping[date, Item | None]) -> None:
        deadlines = sorted({i.deadline for i in at.values() if i is not None and i.deadline is not None})
        for deadline in deadlines:
            due = self.cal.add_workdays(deadline, self.rules.report_within_workdays)
            self._report_owed(events, deadline, due, self._deadline_event(events, deadline))
        self._ongoing(events)

    def _report_owed(self, events: list[Event], deadline: date, due: date, origin: Event | None) -> None:
        end = self.period.end
        if due > end:
            return
        on_due = self._as_of(due)
        if on_due is None or on_due.deadline != deadline:
            return  # extended (or reopened) before: this deadline was not in effect then
        st = item_state(on_due, due, self.cal, self.rules)
        if st.state == STATE_OVERDUE:
            self.add_item(on_due, due, "overdue", origin)
        after = due + timedelta(days=1)
        if after > end or not item_state(on_due, after, self.cal, self.rules).report_missing:
            return  # nothing received by report_due, as the day after it sees it
        self._late_or_missing(events, on_due, after, deadline, origin)

    def _late_or_missing(self, events: list[Event], item: Item, missing_from: date, deadline: date | None,
                         origin: Event | None) -> None:
        """The report owed, missing from `missing_from`: received that very day, it is late;
        else it is missing from that day, and the first submission touching the item after it
        (for the same deadline) makes it up on its own day. Each line depends only on what
        happened by its day, so a period's lines are the lines of its days whatever the period."""
        made_up = None
        for e in events:
            if e.kind == "report" and e.on >= missing_from:
                then = self._as_of(e.on)
                if then is not None and then.deadline == deadline:
                    made_up = (then, e)
                break
        if made_up is not None and made_up[1].on == missing_from:
            self.add_item(made_up[0], missing_from, "report_late", made_up[1])
            return
        self.add_item(item, missing_from, "report_missing", origin)
        if made_up is not None:
            self.add_item(made_up[0], made_up[1].on, "report_made_up", made_up[1])

    def _ongoing(self, events: list[Event]) -> None:
        """An ongoing item's periodic report: checked on each report's due day since the item
        was registered (a report missing before the period may be made up within it)."""
        if not events or all(i is None or i.deadline is not None for i in self._as_of.items):
            return  # never without a deadline by the period's end: no periodic report owed
        every = self.rules.ongoing_report_every
        day = period_start(events[0].on, every)
        while day <= self.period.end:
            due = self.cal.add_workdays(day - timedelta(days=1), ONGOING_REPORT_WORKDAY)
            if due <= self.period.end:
                item = self._as_of(due)
                if item is not None and item.deadline is None and item_state(item, due, self.cal,
                                                                             self.rules).report_missing:
                    self._late_or_missing(events, item, due, None, events[0] if events else None)
            day = _next_period(day, every)

    # -- notices and circulars ------------------------------------------------------------------

    def notices(self, events: Iterable[Event], units: Mapping[str, str]) -> None:
        end = self.period.end
        for n in notices(events, units, end, self.cal, self.rules):
            event = n.events[0] if n.events else None
            ref = n.number or n.document
            if n.level in (LEVEL_NOTICE, LEVEL_WARN) and n.answered is False and n.reply_by is not None:
                self.add(n.unit, None, n.reply_by + timedelta(days=1), "notice_unanswered", ref, event)
            if n.level == LEVEL_WARN:
                self.add(n.unit, None, n.on, "warning", ref, event)
            if n.level == LEVEL_ACCOUNT:
                for item_id, eid in zip(n.items, n.events, strict=False):
                    self.add(units.get(item_id, n.unit), item_id, n.on, "accountability", ref, eid)

    def circulars(self, circulars: Sequence[Circular]) -> None:
        """Each circular's commended and criticised units: as it recorded them, else from the
        items as they stood on its day (gathered by `item` for `circular_days`)."""
        for day, number, *recorded in sorted(circulars, key=lambda c: (c[0], c[1])):
            if day not in self.period:
                continue
            verdict = recorded[0] if recorded else None
            if verdict is not None:
                commended, criticised = list(verdict.get("commended", ())), list(verdict.get("criticised", ()))
            else:
                s = standing(self.config, self.on_circular.get(day, []), day)
                commended, criticised = s.commended, [c.unit for c in s.criticised]
            for unit in commended:
                self.add(unit, None, day, "commended", number)
            for unit in criticised:
                self.add(unit, None, day, "criticised", number)


# A circular issued: (day, 文号) or (day, 文号, the units it commended and criticised, or None).
Circular = tuple[date, str] | tuple[date, str, Mapping | None]


class _AsOf:
    """The item as it stood at the end of any day, from the items at the end of its event days
    (`timeline.replay_days`): that of the latest event day on or before it — what
    `timeline.replay(events, day)` gives, without replaying again."""

    __slots__ = ("days", "items")

    def __init__(self, days: list[date], items: list[Item | None]):
        self.days, self.items = days, items

    def __call__(self, day: date) -> Item | None:
        k = bisect_right(self.days, day)
        return self.items[k - 1] if k else None


def _next_period(start: date, every: str) -> date:
    months = 3 if every == "quarter" else 1
    n = start.year * 12 + start.month - 1 + months
    return date(n // 12, n % 12 + 1, 1)


def score(config: Config, events_by_item: Mapping[str, list[Event]], circulars: Sequence[Circular],
          period: Period) -> ScoreCard:
    """Every registered unit's score over `period` (see the module's rules). `events_by_item`:
    each item's events (any recorded later than the period's end are ignored); `circulars`:
    (day, 文号) of each circular issued, or (day, 文号, {"commended": [...], "criticised": [...]})
    with the units it named as it recorded them (None: not recorded)."""
    s = _Scorer(config, period)
    s.circular_days = sorted({c[0] for c in circulars if c[0] in period and (len(c) < 3 or c[2] is None)})
    s.on_circular = {day: [] for day in s.circular_days}
    units: dict[str, str] = {}
    for item_id, events in events_by_item.items():
        final = s.item(events)
        if final is not None:
            units[item_id] = config.canonical_unit(final.unit)
    s.notices((e for events in events_by_item.values() for e in events if e.on <= period.end), units)
    s.circulars(circulars)
    by_unit: dict[str, list[Line]] = {u: [] for u in config.unit_names}
    for line in s.lines:
        by_unit.setdefault(line.unit, []).append(line)
    totals = []
    for unit, lines in by_unit.items():
        lines.sort(key=lambda line: (line.on, line.item or "", line.rule))
        lines += _caps(unit, lines, config, period)
        totals.append((unit, config.scoring.base + sum(line.points for line in lines), tuple(lines)))
    totals.sort(key=lambda t: (-round(t[1], 4), t[0]))
    out, previous, rank = [], None, 0
    for n, (unit, total, kept) in enumerate(totals, 1):
        if round(total, 4) != previous:
            previous, rank = round(total, 4), n
        out.append(UnitScore(unit, round(total, 4), rank, kept))
    return ScoreCard(period, config.scoring.base, out)


def _caps(unit: str, lines: list[Line], config: Config, period: Period) -> list[Line]:
    """The period's caps: the deductions (every line not a bonus; a made-up report gives back
    part of one) and the bonuses of the period's lines, each beyond its cap given back by one
    line on the period's last day. A cap is of the period scored: a year's is computed on the
    year's lines, not summed from its quarters'."""
    points = config.scoring
    lost = -sum(line.points for line in lines if line.rule not in BONUSES)
    gained = sum(line.points for line in lines if line.rule in BONUSES)
    title = period.title
    out = []
    if points.max_deduction and lost > points.max_deduction:
        out.append(Line(unit, None, period.end, "cap", lost - points.max_deduction,
                        f"{title}扣分共{_number(lost)}分，超过上限{_number(points.max_deduction)}分，"
                        f"按{_number(points.max_deduction)}分计"))
    if points.max_bonus and gained > points.max_bonus:
        out.append(Line(unit, None, period.end, "cap", points.max_bonus - gained,
                        f"{title}加分共{_number(gained)}分，超过上限{_number(points.max_bonus)}分，"
                        f"按{_number(points.max_bonus)}分计"))
    return out
