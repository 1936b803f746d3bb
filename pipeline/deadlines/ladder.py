"""The reminder ladder (提醒 → 督办 → 告诫 → 问责): who gets which step on a day, and every notice
sent with whether it was answered — pure, over items, their states and their `notice` and
`report` events.

Each step a weekly batch takes is a `notice` event on each item it names, with its `level`
(one of `LEVELS`), the document, its number and the date to answer by (`reply_by`); events of
before the ladder have no level and are 督办 notices. The rules, as of a day D:

- **提醒** (临期提醒单): the unit's items 临期 on D (due within `due_soon_workdays`, not yet due).
- **督办** (督办通知单): the unit's red items on D — overdue, or report missing — as before.
- **告诫** (督办告诫单): a red item that a 督办 notice named, when that notice went unanswered
  (no submission touched any of its items after it and by its `reply_by`, which has passed),
  or when the item is still red `rules.warn_after_workdays` working days after its first
  督办 notice. Once per item: an item warned before is not warned again.
- **问责** (问责建议清单): a red item still red `rules.accountability_after_workdays` working days
  after its 告诫单. Once per item.
- **Ongoing items** (长期坚持, no deadline) are red when their periodic report is missing
  (`deadlines.states.ongoing_report`), and climb one step per further report missed, not by
  the clock: 督办 while a report is missing; 告诫 when the next period's report was due after
  the first 督办 and nothing came; 问责 when a further one was due after the 告诫 and nothing
  came. Any report touching the item (it answers the notice when it comes by its reply date)
  ends that ladder: the next report missed starts at 督办 again.
- **A new deadline starts the ladder again** (`ladder_start`): after an approved extension (延期,
  late or not), a reopening (重开, 回头看反弹), the higher level's answer with a new deadline or the
  unit's measures, the item's notices of before are history — they stay listed and scored, but
  no step counts them: no longer red, the item gets nothing; red again under the new deadline,
  it starts at 督办, and is warned and accounted for again only on that deadline's notices.
- **answered**: a notice is answered when a submission touched one of its items after the
  notice (a later day, or the same day recorded after it) and on or before its `reply_by`;
  unanswered when its `reply_by` has passed without one; not yet known (None) before.
  A 提醒 owes no answer (None).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from pipeline.config import Rules
from pipeline.deadlines.states import ongoing_owed
from pipeline.deadlines.workdays import WorkCalendar
from pipeline.ledger.timeline import Event
from pipeline.model import STATE_DUE_SOON, STATE_OVERDUE, Item, ItemState, field_day

LEVEL_REMIND = "提醒"
LEVEL_NOTICE = "督办"
LEVEL_WARN = "告诫"
LEVEL_ACCOUNT = "问责"
LEVELS = (LEVEL_REMIND, LEVEL_NOTICE, LEVEL_WARN, LEVEL_ACCOUNT)
# The document each level is, and the word its file name carries.
LEVEL_DOCUMENTS = {LEVEL_REMIND: "临期提醒单", LEVEL_NOTICE: "督办通知单", LEVEL_WARN: "督办告诫单",
                   LEVEL_ACCOUNT: "问责建议清单"}


def level_of(event: Event) -> str:
    """A notice event's level (督办 for the notices of before the ladder)."""
    return str(event.data.get("level") or LEVEL_NOTICE)


@dataclass(frozen=True)
class Notice:
    """One notice document sent: its number, unit, level, the items it named, the day it was
    issued and the day to answer by, and whether it was answered (None: not known yet / none owed)."""

    number: str
    unit: str
    level: str
    on: date
    reply_by: date | None
    document: str
    items: tuple[str, ...]
    answered: bool | None
    events: tuple[int, ...] = ()  # the notice events (one per item)
    answered_on: date | None = None

    def as_json(self) -> dict:
        return {"number": self.number, "unit": self.unit, "level": self.level, "on": self.on.isoformat(),
                "reply_by": self.reply_by.isoformat() if self.reply_by else None, "document": self.document,
                "items": list(self.items), "answered": self.answered,
                "answered_on": self.answered_on.isoformat() if self.answered_on else None}


def reply_by_of(event: Event, cal: WorkCalendar, rules: Rules) -> date | None:
    """The day a notice event's document must be answered by (recorded, else the rule's); None for a 提醒."""
    if level_of(event) == LEVEL_REMIND:
        return None
    recorded = event.data.get("reply_by")
    return date.fromisoformat(recorded) if recorded else cal.add_workdays(event.on, rules.notice_reply_workdays)


def _after(report: Event, notice: Event) -> bool:
    return report.on > notice.on or (report.on == notice.on and report.id > notice.id)


def notices(events: Iterable[Event], units: Mapping[str, str], as_of: date, cal: WorkCalendar,
            rules: Rules) -> list[Notice]:
    """Every notice issued by `as_of` from the items' `notice` and `report` events (others are
    ignored), one per document, in the order issued. `units`: item id → the unit it was sent to
    (the item's unit; a notice event may also say it)."""
    by_doc: dict[tuple, list[Event]] = {}
    reports: dict[str, list[Event]] = {}
    for e in events:
        if e.on > as_of:
            continue
        if e.kind == "notice":
            key = (e.data.get("number") or e.data.get("document") or f"{e.data.get('week')} {e.item_id}",
                   level_of(e), e.data.get("week"))
            by_doc.setdefault(key, []).append(e)
        elif e.kind == "report":
            reports.setdefault(e.item_id, []).append(e)
    out = []
    for (number, level, _), group in by_doc.items():
        first = min(group, key=lambda e: (e.on, e.id))
        reply_by = reply_by_of(first, cal, rules)
        answered: bool | None = None
        answered_on = None
        if reply_by is not None:
            days = [r.on for e in group for r in reports.get(e.item_id, ()) if _after(r, e) and r.on <= reply_by
                    and r.on <= as_of]
            if days:
                answered, answered_on = True, min(days)
            elif as_of > reply_by:
                answered = False
        unit = str(first.data.get("unit") or units.get(first.item_id, ""))
        out.append(Notice(str(number) if number else "", unit, level, first.on, reply_by,
                          str(first.data.get("document") or ""), tuple(sorted({e.item_id for e in group})), answered,
                          tuple(sorted(e.id for e in group)), answered_on))
    out.sort(key=lambda n: (n.on, n.events[:1]))
    return out


@dataclass
class Steps:
    """One unit's steps of the ladder on a day: the items each document names."""

    remind: list[str] = field(default_factory=list)
    notice: list[str] = field(default_factory=list)
    warn: list[str] = field(default_factory=list)
    account: list[str] = field(default_factory=list)


def _red(st: ItemState) -> bool:
    return st.state == STATE_OVERDUE or st.report_missing


def ladder_start(item: Item, as_of: date) -> date | None:
    """The day the item's current ladder began — its deadline in effect set by an event after
    registration (延期, measures, the higher level's answer, 重开, 回头看反弹), its reopening, or
    for an ongoing item its latest report — or None (the ladder of its registration). Notices
    on or before that day are history."""
    days = [d for d in (field_day(item, "deadline"), item.reopened_on) if d is not None and d <= as_of]
    if item.deadline is None and item.last_report_on is not None and item.last_report_on <= as_of:
        days.append(item.last_report_on)  # an ongoing item's report ends the ladder of the report missed
    return max(days, default=None)


def current(history: Sequence[Notice], start: date | None) -> list[Notice]:
    """The notices of the item's current ladder: issued after `start` (`ladder_start`)."""
    return list(history) if start is None else [n for n in history if n.on > start]


def ladder_steps(items: Sequence[Item], states: Mapping[str, ItemState], sent: Sequence[Notice], as_of: date,
                 cal: WorkCalendar, rules: Rules) -> dict[str, Steps]:
    """What each unit gets on `as_of` (units with nothing are left out), given the notices
    `sent` before (`notices(...)` as of the day before, or of this day without this day's own)."""
    by_item: dict[str, list[Notice]] = {}
    for n in sent:
        if n.on <= as_of:
            for item_id in n.items:
                by_item.setdefault(item_id, []).append(n)
    out: dict[str, Steps] = {}
    for item in sorted(items, key=lambda i: i.id):
        st = states[item.id]
        steps = out.setdefault(item.unit, Steps())
        if st.state == STATE_DUE_SOON:
            steps.remind.append(item.id)
        if not _red(st):
            continue
        steps.notice.append(item.id)
        had = current(by_item.get(item.id, []), ladder_start(item, as_of))
        notices_ = [n for n in had if n.level == LEVEL_NOTICE and n.on < as_of]
        warned = [n for n in had if n.level == LEVEL_WARN and n.on < as_of]
        accounted = any(n.level == LEVEL_ACCOUNT for n in had)
        if item.deadline is None:  # ongoing: one step per further periodic report missed
            _, due = ongoing_owed(as_of, cal, rules)
            if not warned and notices_ and due > min(n.on for n in notices_):
                steps.warn.append(item.id)
            elif warned and not accounted and due > min(n.on for n in warned):
                steps.account.append(item.id)
        elif not warned and notices_:
            first = min(n.on for n in notices_)
            if (any(n.answered is False for n in notices_)
                    or cal.workdays_between(first, as_of) >= rules.warn_after_workdays):
                steps.warn.append(item.id)
        elif (warned and not accounted
              and cal.workdays_between(min(n.on for n in warned), as_of) >= rules.accountability_after_workdays):
            steps.account.append(item.id)
    return {unit: s for unit, s in out.items() if s.remind or s.notice or s.warn or s.account}
