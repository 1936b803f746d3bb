"""Every item's life as dated events, and the item as it stood on any day — pure.

The ledger's source of truth is an append-only log of events per item (the `events` table);
the `items` table is their projection — the item at the end of its timeline — written in the
same transaction, so that reading today's figures never replays anything. Nothing is edited
or deleted: a correction is a new event (`undo` takes back one earlier event).

Each event takes effect on a day (`on`) and was recorded at a time (`at`), by a file (its
journal id), a command or an operator; `field`/`old`/`new` hold a change of one field, `note`
the reason given, `data` what the kind carries besides. The kinds are declared once, below
(`KINDS`; later issues add theirs with `@event_kind`):

- `register` — the item entered the ledger (a file's new row); data: every field of the new item;
- `report` — a unit's submission touched the item, dated the day it counts from;
- `change` — one field changed (a unit's or the office's file): field, old → new;
- `extend` — 延期 approved on `on`: field `deadline`, old → new; data `late` (approved after the
  deadline had passed), `deadline_text`;
- `close` — 销号; data `forced` (closed though never reported done);
- `lookback` — 回头看; data `result` 通过 / 反弹 (反弹 reopens: field `deadline`, the new one);
- `reopen` — back to 推进中 with a new deadline (field `deadline`), a new cycle; data `legacy`
  for a reopen recorded before events existed (it only undid the closing);
- `void` — 作废: out of every count and document from `on`;
- `reassign` — 移交: field `unit`, old → new; the item is the new unit's from `on`;
- `notice` — a notice of the ladder named the item; data `week`, `document`, `number`, `level`
  (提醒, 督办, 告诫, 问责; none: 督办) and `reply_by` (deadlines.ladder);
- `measures` — 报送措施: a problem list's item (待报措施) gets its first deadline from its unit's
  措施清单: field `deadline`; data `deadline_text`, `ongoing`;
- `cooperate` — 配合情况: a 配合责任单位's account of its part (its 反馈表's 配合事项); note the
  text, data `unit`; changes no field;
- `undo` — takes back one earlier event from `on`; data `event` (its id);
- `evidence` — a 佐证材料 file received from the unit (issue 23): data `name`, `size`, `sha256`,
  `unit` (who sent it), `archive_path`, and `via` for a file a township's report up carried
  (the report's name); the item counts it (`evidence_count`);
- `escalate` — 上报上级协调: the office reported the item upward on `on`; data `to` (to whom),
  `reason`; the item's status becomes 需上级协调 (state 待上级协调, its clock paused);
- `answer` — 上级答复 of an escalated item: data `answer` and `close`; with a new deadline
  (field `deadline`) the item is 推进中 again and the clock restarts, with `close` it is closed.
  One that came from above in a file (a 下发包, a city list: `file_id` set) also has data `from`
  (the level above) and, when the file said it, `answered_on` (the day it was given there).

Replay order: by `on`, then by recording order (`id`); the item as of day D is the replay of
its events with `on` ≤ D (an item registered after D did not exist yet), so whatever is
recorded with a later `on` — an extension approved on the 10th — leaves the days before it
as they were. The rules that turn an item into its state (due, overdue, report missing…) are
in `pipeline.deadlines.states`.

A *cycle* starts at the register and at every reopen: the reports of the cycle are the ones
that can count for the deadline in effect; `report_on` is the first of them received on or
after that deadline's day, or that left the item reported done (what the states call "a
report that counts").
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from pipeline.deadlines.cndate import cn_date
from pipeline.model import (
    ITEM_FIELDS,
    STATUS_DONE,
    STATUS_IN_PROGRESS,
    STATUS_NEEDS_HELP,
    Item,
    Milestone,
    new_item,
    slot_maker,
)

# Item fields holding dates (stored as ISO text, JSON strings in events).
DATE_FIELDS = frozenset({"deadline", "done_on", "created_on", "closed_on", "last_report_on", "lookback_on",
                         "original_deadline", "voided_on", "reopened_on", "report_on"})
# What a register event's data holds: the new item's every field but those the replay derives
# (`id`, `created_on` = on, `updated_at` = at, `report_on`, `field_days`).
REGISTER_FIELDS = tuple(f for f in ITEM_FIELDS if f not in ("id", "created_on", "updated_at", "report_on",
                                                               "field_days", "evidence_count"))

_REGISTER_DATES = tuple(f for f in REGISTER_FIELDS if f in DATE_FIELDS)

LOOKBACK_PASSED = "通过"
LOOKBACK_FAILED = "反弹"
LOOKBACK_RESULTS = (LOOKBACK_PASSED, LOOKBACK_FAILED)


@dataclass(frozen=True, slots=True)
class Event:
    """One dated event of one item. `old` / `new` are field values (dates as `date`)."""

    item_id: str
    kind: str
    on: date  # the day it takes effect
    at: str = ""  # when it was recorded (ISO timestamp)
    file_id: int | None = None  # the file (files journal) it came from
    command: str | None = None  # or the command that recorded it (extend, close, …)
    operator: str | None = None  # who ran that command
    field: str | None = None
    old: object = None
    new: object = None
    note: str | None = None
    data: Mapping = dataclasses.field(default_factory=dict)
    id: int = 0  # recording order; 0 before it is stored
    source: str | None = None  # the file's name, when read back from the ledger


new_event = slot_maker(Event)  # Event(*every field), fast


# -- values in events: JSON text ----------------------------------------------------------------

_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def encode(value) -> str | None:
    """A field value as event text (JSON; dates ISO, tuples lists, milestones objects); None stays NULL."""
    if value is None:
        return None
    if isinstance(value, date):
        return _json(value.isoformat())
    if isinstance(value, tuple):
        return _json(plain(value))
    return _json(value)


# Item fields that are tuples: () when absent.
_TUPLE_FIELDS = frozenset({"co_units", "milestones"})


def decode(field: str | None, text: str | None):
    """The value `encode` wrote for `field`."""
    if text is None:
        return () if field in _TUPLE_FIELDS else None
    return typed(field, json.loads(text))


def typed(field: str | None, value):
    """A JSON value as the item field's Python value."""
    if value is None:
        return () if field in _TUPLE_FIELDS else None
    if field in DATE_FIELDS:
        return date.fromisoformat(value)
    if field == "co_units":
        return tuple(value)
    if field == "milestones":
        return tuple(Milestone.from_dict(m) for m in value)
    return value


def plain(value):
    """A field value as plain JSON data (dates ISO, tuples lists, milestones {"due", "text", "done_on"})."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [m.as_dict() if isinstance(m, Milestone) else m for m in value]
    return value


def register_data(values: Mapping) -> dict:
    """What a register event carries: the new item's `REGISTER_FIELDS` as plain data."""
    return {name: plain(values[name]) for name in REGISTER_FIELDS}


def encode_data(data: Mapping | None) -> str | None:
    return _json(dict(data)) if data else None


def decode_data(text: str | None) -> Mapping:
    return json.loads(text) if text else MappingProxyType({})


# -- the item being replayed ----------------------------------------------------------------------

class Draft:
    """An item's values while its events are replayed (mutable; `item()` freezes it)."""

    __slots__ = ("field_days", "reports", "values")

    def __init__(self, values: dict):
        self.values = values
        self.reports: list[tuple[date, bool]] = []  # this cycle's reports: (day, left the item done)
        self.field_days: dict[str, date] = {}

    @classmethod
    def register(cls, event: Event) -> Draft:
        data = event.data
        values = {name: data.get(name) for name in REGISTER_FIELDS}
        for name in _REGISTER_DATES:
            day = values[name]
            if day is not None:
                values[name] = date.fromisoformat(day)
        values.update(id=event.item_id, created_on=event.on, updated_at=event.at, ongoing=bool(values["ongoing"]),
                      co_units=tuple(values["co_units"] or ()), milestones=typed("milestones", values["milestones"]),
                      evidence_count=0)
        draft = cls(values)
        if values["last_report_on"] is not None:  # a new row of a file: the file reported it
            draft.reports.append((values["last_report_on"], values["status"] == STATUS_DONE))
        return draft

    def set(self, field: str, value, on: date) -> None:
        self.values[field] = value
        self.field_days[field] = on

    def report(self, on: date) -> None:
        values = self.values
        self.reports.append((on, values["status"] == STATUS_DONE))
        if values["last_report_on"] is None or on > values["last_report_on"]:
            values["last_report_on"] = on

    def new_cycle(self, on: date, deadline: date | None) -> None:
        """Reopened: 推进中 again, not done, not closed, a new deadline; reports count anew."""
        self.set("status", STATUS_IN_PROGRESS, on)
        self.set("done_on", None, on)
        self.set("closed_on", None, on)
        if deadline is not None:
            self._new_deadline(deadline, f"{cn_date(deadline)}（重开）", on)
        self.values["reopened_on"] = on
        self.reports = []

    def _new_deadline(self, deadline: date, text: str, on: date) -> None:
        values = self.values
        if values["original_deadline"] is None and values["deadline"] is not None and deadline != values["deadline"]:
            values["original_deadline"] = values["deadline"]
        self.set("deadline", deadline, on)
        self.set("deadline_text", text, on)
        self.set("ongoing", False, on)

    def item(self) -> Item:
        values = self.values
        deadline = values["deadline"]
        values["report_on"] = next((day for day, done in self.reports
                                    if done or deadline is None or day >= deadline), None)
        days = self.field_days
        values["field_days"] = ("{" + ", ".join(f'"{k}": "{days[k].isoformat()}"' for k in sorted(days)) + "}"
                                if days else "{}")  # as model.field_days_text writes it (names ASCII, days ISO)
        return new_item(*map(values.__getitem__, ITEM_FIELDS))


# -- the kinds ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventKind:
    name: str  # pinned JSON value
    label: str  # what a clerk reads (show, the web desk)
    apply: Callable[[Draft, Event], None]
    changes: bool = True  # the item changed (its updated_at moves); a report or a notice does not


KINDS: dict[str, EventKind] = {}


def event_kind(name: str, label: str, *, changes: bool = True):
    """Declare an event kind with the function that applies it to a draft during replay."""
    def declare(apply: Callable[[Draft, Event], None]):
        if name in KINDS:
            raise ValueError(f"event kind {name!r} declared twice")
        KINDS[name] = EventKind(name, label, apply, changes)
        return apply
    return declare


def _unknown(draft: Draft, event: Event) -> None:
    raise ValueError(f"event kind {event.kind!r} is not declared")


@event_kind("register", "登记")
def _register(draft: Draft, event: Event) -> None:
    raise ValueError(f"{event.item_id} registered twice")  # the replay starts from the first register


@event_kind("report", "报送", changes=False)
def _report(draft: Draft, event: Event) -> None:
    draft.report(event.on)


def _day(value: object) -> date | None:
    return value if isinstance(value, date) else None


@event_kind("change", "修改")
def _change(draft: Draft, event: Event) -> None:
    """data: {"made_on": day} when the file that brought the value was made before the day it
    was received — the value is as new as the file (what `stale-value` compares), not as the
    day it arrived."""
    if event.field is not None:
        made_on = event.data.get("made_on")
        draft.set(event.field, event.new, date.fromisoformat(made_on) if made_on else event.on)


@event_kind("extend", "延期")
def _extend(draft: Draft, event: Event) -> None:
    deadline = _day(event.new)
    if deadline is not None:
        draft._new_deadline(deadline, event.data.get("deadline_text") or f"{cn_date(deadline)}（延期）", event.on)


@event_kind("measures", "报送措施")
def _measures(draft: Draft, event: Event) -> None:
    """A problem list's item gets its first deadline from its unit's measures (issue 17): field
    `deadline` (None when ongoing); data `deadline_text`, `ongoing`."""
    draft.set("deadline", _day(event.new), event.on)
    draft.set("deadline_text", event.data.get("deadline_text") or "", event.on)
    draft.set("ongoing", bool(event.data.get("ongoing")), event.on)


@event_kind("close", "销号")
def _close(draft: Draft, event: Event) -> None:
    draft.set("closed_on", event.on, event.on)


@event_kind("lookback", "回头看")
def _lookback(draft: Draft, event: Event) -> None:
    draft.set("lookback_on", event.on, event.on)
    if event.data.get("result") == LOOKBACK_FAILED:
        draft.new_cycle(event.on, _day(event.new))


@event_kind("reopen", "重新打开")
def _reopen(draft: Draft, event: Event) -> None:
    if event.data.get("legacy"):  # sancha before events: reopen only undid the closing
        draft.set("closed_on", None, event.on)
    else:
        draft.new_cycle(event.on, _day(event.new))


@event_kind("void", "作废")
def _void(draft: Draft, event: Event) -> None:
    draft.set("voided_on", event.on, event.on)


@event_kind("reassign", "移交")
def _reassign(draft: Draft, event: Event) -> None:
    draft.set("unit", event.new, event.on)


@event_kind("notice", "督办通知", changes=False)
def _notice(draft: Draft, event: Event) -> None:
    pass


@event_kind("escalate", "上报上级协调")
def _escalate(draft: Draft, event: Event) -> None:
    draft.set("status", STATUS_NEEDS_HELP, event.on)


@event_kind("answer", "上级协调答复")
def _answer(draft: Draft, event: Event) -> None:
    if event.data.get("close"):
        draft.set("closed_on", event.on, event.on)
        return
    draft.set("status", STATUS_IN_PROGRESS, event.on)
    deadline = _day(event.new)
    if deadline is not None:
        draft._new_deadline(deadline, f"{cn_date(deadline)}（上级协调后）", event.on)


@event_kind("cooperate", "配合情况", changes=False)
def _cooperate(draft: Draft, event: Event) -> None:
    """A co-unit's 配合情况 (issue 17): note the text, data `unit`; the item's fields stay."""


@event_kind("evidence", "佐证材料", changes=False)
def _evidence(draft: Draft, event: Event) -> None:
    """A 佐证材料 file received (issue 23); data: name, size, sha256, unit (who sent it),
    archive_path. The item's fields stay; it counts one more file."""
    draft.values["evidence_count"] += 1


@event_kind("undo", "撤销")
def _undo(draft: Draft, event: Event) -> None:
    pass  # the event it takes back is skipped by `replay` (from the undo's day on)


def kind_label(kind: str) -> str:
    found = KINDS.get(kind)
    return found.label if found else kind


# -- replay ---------------------------------------------------------------------------------------

def ordered(events: Iterable[Event]) -> list[Event]:
    """Events in replay order: by the day they take effect, then as recorded."""
    return sorted(events, key=lambda e: (e.on, e.id))


def undone_ids(events: Iterable[Event], day: date | None = None) -> set:
    """The ids of the events taken back by an `undo` dated by `day` (None: any)."""
    return {e.data.get("event") for e in events if e.kind == "undo" and (day is None or e.on <= day)}


def replay(events: Iterable[Event], day: date | None = None) -> Item | None:
    """The item at the end of `day` (None: after all its events) from its events in replay
    order (`ordered`); None when it was not registered by then."""
    events = list(events)
    undone = undone_ids(events, day)
    draft: Draft | None = None
    for event in events:
        if day is not None and event.on > day:
            break
        if undone and event.id in undone:
            continue
        if draft is None:
            if event.kind == "register":
                draft = Draft.register(event)
            continue  # nothing happens to an item before it is registered
        kind = KINDS.get(event.kind) or EventKind(event.kind, event.kind, _unknown)
        kind.apply(draft, event)
        if kind.changes:
            draft.values["updated_at"] = event.at
    return draft.item() if draft else None


def replay_days(events: Sequence[Event]) -> tuple[list[date], list[Item | None]]:
    """`replay(events, day)` for every day an event takes effect, in one pass: (the days in
    order, the item at the end of each). Events in replay order (`ordered`). The item on any
    other day is the one of the latest of these days before it (None before the first)."""
    days = sorted({e.on for e in events})
    if any(e.kind == "undo" for e in events):  # an undo changes the days before it: each day anew
        return days, [replay(events, day) for day in days]
    out: list[Item | None] = []
    draft: Draft | None = None
    n = len(events)
    for k, event in enumerate(events):
        if draft is None:
            if event.kind == "register":
                draft = Draft.register(event)
        else:
            kind = KINDS.get(event.kind) or EventKind(event.kind, event.kind, _unknown)
            kind.apply(draft, event)
            if kind.changes:
                draft.values["updated_at"] = event.at
        if k + 1 == n or events[k + 1].on != event.on:  # the day's last event: the item at its end
            out.append(draft.item() if draft else None)
    return days, out


# Item fields no state depends on (see pipeline.deadlines.states): a replay for states alone
# leaves out the changes of these.
TEXT_FIELDS = ("co_units", "source", "problem", "measures", "owner", "progress", "remark",
               "inspection", "suggestion", "target", "leader", "phone", "source_category",
               "evidence_text")


def replay_rows(rows: Iterable[tuple], day: date | None = None) -> Iterator[Item]:
    """`replay` of many items at once, from event rows (item_id, id, kind, on, at, field, new,
    data) as the ledger stores them (dates ISO, values and data JSON), sorted by item and then
    in replay order. The fast path of the ledger's readers: `old`, notes and sources are not
    read."""
    batch: list[Event] = []
    current = None
    for item_id, id_, kind, on, at, field, new, data in rows:
        if item_id != current:
            if batch:
                item = replay(batch, day)
                if item is not None:
                    yield item
            current, batch = item_id, []
        batch.append(new_event(item_id, kind, date.fromisoformat(on), at, None, None, None, field, None,
                               decode(field, new), None, json.loads(data) if data else _NO_DATA, id_, None))
    if batch:
        item = replay(batch, day)
        if item is not None:
            yield item


_NO_DATA: Mapping = MappingProxyType({})
NO_DATA = _NO_DATA  # an event's empty data (shared, read-only)


def by_item(events: Iterable[Event]) -> Iterator[tuple[str, list[Event]]]:
    """Consecutive events of the same item (events sorted by item, then in replay order)."""
    current: str | None = None
    batch: list[Event] = []
    for event in events:
        if event.item_id != current:
            if batch:
                yield current, batch  # type: ignore[misc]
            current, batch = event.item_id, []
        batch.append(event)
    if batch:
        yield current, batch  # type: ignore[misc]


def last_event(events: Iterable[Event]) -> Event | None:
    """The event recorded last (what `undo` may take back)."""
    return max(events, key=lambda e: e.id, default=None)
