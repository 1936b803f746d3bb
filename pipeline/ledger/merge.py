"""Merge a checked submission into the ledger — pure: existing items in, a plan out.

Rules (what a supervision office expects):
- a row with 编号 updates that item; the 编号 must exist and belong to the submitting unit
  (the office itself may update anyone's item), and the row's problem text must be the
  item's, more or less: a text that is clearly another problem's (`similarity` below
  `ID_MISMATCH_BELOW`) is an `id-mismatch` error — a mistyped 编号 must not overwrite another
  item;
- a row without 编号 updates the unit's item with the same normalised problem text, else it is
  a new item with the next id of the year (``2026-0001``); a new problem very close to an open
  item of the unit (`SIMILAR_PROBLEM_FROM`) is a `similar-problem` warning naming it;
- a row naming an item the office moved to another unit after the file was made is left out
  (`stale-value`, form moved) — from a unit running its own sancha (a township's report up)
  whenever the file was made: it keeps the item until it voids it;
- a blank cell never erases what was reported before;
- stale values never overwrite newer ones: a file made on day M (sancha's own workbooks say
  so; else its 填报日期; else the day received) does not change a field whose value is newer
  than M — set by a file made after M, or by the office after M (`stale-value` warning naming
  the cell, with both values); a unit's change event keeps its file's made-on day in its data;
- a unit's row that would turn a done (or closed) item back to not done is not applied
  (`status-regression`: the office reopens instead);
- a 完成日期 after the 填报日期 or the day received is an error (`done-in-future`);
- a unit cannot move its own deadline: that is an extension (延期) the office approves with
  ``sancha extend``; a changed 整改时限 from a unit is ignored with a warning. The office's own
  file may: a new deadline becomes an `extend` event (its 备注 the note), a new lead unit a
  `reassign` event;
- units are compared by identity: an item stored under a unit's old name (now one of its
  aliases) is that unit's (`canonical`);
- every item touched gets a `report` event on the day received, every changed field a
  `change` event (old → new);
- a row from the level above (a 下发包 from the district, a list from the city: `upstream`
  given, the row's 上级编号 filled) names its item by that id: an item with it is updated in
  what the level above owns (problem, source, 整改建议, 检查名称, 责任领导, the deadline as an
  extension), never reassigned
  (we assign the work to our own units); an item of ours with the row's problem and no id from
  above yet is that item (one we reported up ourselves): it is linked to the id, nothing else
  changes; else the row is a new item keeping the id as `upstream_id`. An item we voided
  stays voided: the level above's later lists leave it out;
- such a row's 上级答复 (`answer`, given on `answer_on`) answers an item of ours waiting for the
  level above (需上级协调): an `answer` event on the day received, its new deadline the row's
  (no extension then), the item 推进中 again — once: an item answered is no longer waiting, an
  answer given before the item asked again (its 需上级协调 is newer) or one it already had
  (`answered`: the texts of its answers, by id) answers nothing.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date

from rapidfuzz import fuzz, process

from pipeline.intake.findings import (
    DEADLINE_CHANGE_IGNORED,
    DONE_IN_FUTURE,
    DUPLICATE_ID,
    FOREIGN_ID,
    ID_MISMATCH,
    NO_OWNER,
    NOT_CO_UNIT,
    SIMILAR_PROBLEM,
    STALE_VALUE,
    STATUS_REGRESSION,
    UNKNOWN_ID,
    VOIDED_ID,
    Code,
)
from pipeline.intake.header import COOPERATION_SHEET
from pipeline.ledger.timeline import Event
from pipeline.model import (
    ERROR,
    FIELD_TITLES,
    STATUS_DONE,
    STATUS_IN_PROGRESS,
    STATUS_NEEDS_HELP,
    Finding,
    Item,
    Milestone,
    Row,
    Submission,
    awaits_measures,
    field_day,
    format_id,
    problem_key,
    set_on,
    split_id,
    tuple_text,
)

# Fields a unit's resubmission may change, in ledger order.
UNIT_FIELDS = ("co_units", "source", "problem", "measures", "owner", "progress", "status", "done_on", "remark",
               "inspection", "suggestion", "target", "leader", "phone", "milestones", "source_category",
               "evidence_text")
# Only the office moves deadlines or reassigns the lead unit.
OFFICE_FIELDS = ("unit", "deadline", "deadline_text", "ongoing")
# What the level above owns of an item it assigned (besides its deadline): the rest is ours.
UPSTREAM_FIELDS = ("source", "source_category", "problem", "suggestion", "inspection", "leader")

# Problem texts are compared after `problem_key` (no spaces or punctuation), by rapidfuzz on a
# 0–100 scale. A row's text and its 编号's item's text: the better of the plain ratio (an edit)
# and the partial ratio (one text inside the other: a problem worded shorter or longer); below
# 50 the row is about another problem. A new problem and an open item of the unit: the plain
# ratio from 85 on is the same problem reworded (…不到位 and …不到位的问题: 91).
ID_MISMATCH_BELOW = 50
SIMILAR_PROBLEM_FROM = 85



# A reworded problem keeps one of its ends (…不到位 / …不到位的问题, 关于… / …): a new problem is
# compared with the open items whose keys begin or end with the same two characters and whose
# lengths allow the ratio at all (SIMILAR_PROBLEM_FROM of 100 needs the shorter at least 74 % of
# the longer) — a few dozen of a unit's hundreds, so a first import of 30,000 rows stays fast.
_END = 2
_LENGTH_BAND = SIMILAR_PROBLEM_FROM / (200 - SIMILAR_PROBLEM_FROM)


class OpenProblems:
    """The open items of one unit (id, problem key, problem text), indexed for similar-problem:
    by each end of their keys, each end's items in order of key length (the band is a slice);
    kept up to date by the caller between files (`add`, `discard`)."""

    def __init__(self, entries: Iterable[tuple[str, str, str]] = ()):
        self._entries: dict[str, tuple[str, str]] = {}  # id → (key, text)
        self._ends: dict[str, list[tuple[int, str]]] = {}  # "h:"/"t:" + two characters → (length, id), sorted
        for item_id, key, text in entries:
            self.add(item_id, key, text)

    def __bool__(self) -> bool:
        return bool(self._entries)

    def add(self, item_id: str, key: str, text: str) -> None:
        self.discard(item_id)
        self._entries[item_id] = (key, text)
        for end in self._end_keys(key):
            insort(self._ends.setdefault(end, []), (len(key), item_id))

    def discard(self, item_id: str) -> None:
        old = self._entries.pop(item_id, None)
        if old is not None:
            for end in self._end_keys(old[0]):
                self._ends[end].remove((len(old[0]), item_id))

    @staticmethod
    def _end_keys(key: str) -> tuple[str, str]:
        return "h:" + key[:_END], "t:" + key[-_END:]

    def closest(self, key: str) -> tuple[str, str] | None:
        """(id, text) of the open item most like `key` from SIMILAR_PROBLEM_FROM on, else None."""
        low, high = (_LENGTH_BAND * len(key), ""), (len(key) / _LENGTH_BAND, "\uffff")
        ids: list[str] = []
        for end in self._end_keys(key):
            ranked = self._ends.get(end)
            if ranked:
                ids += [item_id for _, item_id in ranked[bisect_left(ranked, low):bisect_right(ranked, high)]]
        if not ids:
            return None
        entries = self._entries
        found = process.extractOne(key, [entries[i][0] for i in ids], scorer=fuzz.ratio,
                                   score_cutoff=SIMILAR_PROBLEM_FROM)
        return (ids[found[2]], entries[ids[found[2]]][1]) if found else None


def similarity(a: str, b: str) -> float:
    """How alike two problem keys are for `id-mismatch` (0–100)."""
    return max(fuzz.ratio(a, b), fuzz.partial_ratio(a, b))


@dataclass(frozen=True)
class MergePlan:
    added: tuple[Item, ...]
    updated: tuple[Item, ...]  # the new state of items that changed
    events: tuple[Event, ...]  # what happened to the items that were in the ledger before (their registers aside)
    reported: tuple[str, ...]  # every item id the submission touched (added, changed or unchanged)
    keys: dict[str, str]  # item id -> problem key, for added and updated items
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)

    @property
    def replayed(self) -> list[str]:
        """Items whose projection is replayed from their events after storing them: a new
        deadline or unit from the office changes more than the fields written here (which
        reports count, the first deadline kept)."""
        return sorted({e.item_id for e in self.events if e.kind in ("extend", "reassign", "measures", "answer")})


def _finding(code: Code, row: Row, field: str, *, form: str = "", **values) -> Finding:
    """At the row's `field` cell (its problem cell without one), the message led by `Sheet!F5：`."""
    cell = row.cells.get(field) or row.cells.get("problem")
    return code.at(row.sheet, cell, form=form, where=f"{row.sheet}!{row.cells.get(field, '')}", **values)


def _shown(field: str, value) -> str:
    if value is None or value == "" or value == ():
        return "（空）"
    if isinstance(value, tuple):
        return tuple_text(value)
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def kept_done(old: tuple[Milestone, ...], new: tuple[Milestone, ...]) -> tuple[Milestone, ...]:
    """The milestones a row brings, each keeping the 完成 day the ledger knew when the row does
    not say it (a form sent back lists the steps again without their days)."""
    done = {(m.due, m.text): m.done_on for m in old if m.done_on is not None}
    return tuple(m if m.done_on is not None or (m.due, m.text) not in done
                 else replace(m, done_on=done[(m.due, m.text)]) for m in new)


def cooperation_events(sub: Submission, items: dict[str, Item], *, received: date, now: str,
                       file_id: int | None = None) -> tuple[list[Event], list[Finding]]:
    """A 反馈表's 配合事项 rows (`sub.cooperation`) as `cooperate` events of their items: the
    submitting unit must be among the item's 配合责任单位 (`items`: those the rows name), else
    warning `not-co-unit` and the row is left out."""
    events, found = [], []
    for item_id, text, cell in sub.cooperation:
        item = items.get(item_id)
        where = f"{_COOPERATION}!{cell}"
        if item is None or item.voided_on is not None:
            found.append(NOT_CO_UNIT.at(_COOPERATION, cell, form="unknown", where=where, item_id=item_id))
        elif sub.unit not in item.co_units:
            found.append(NOT_CO_UNIT.at(_COOPERATION, cell, where=where, item_id=item_id, unit=sub.unit))
        else:
            events.append(Event(item_id, "cooperate", received, now, file_id, note=text, data={"unit": sub.unit}))
    return events, found


_COOPERATION = COOPERATION_SHEET


def _counts(day: date, deadline: date | None, done: bool) -> bool:
    """Whether a report on `day` counts for `deadline` (the states' rule)."""
    return done or deadline is None or day >= deadline


def _new_item(row: Row, item_id: str, received: date, now: str) -> Item:
    done_on = row.done_on or (received if row.status == STATUS_DONE else None)
    return Item(
        id=item_id, unit=row.lead_unit, co_units=row.co_units, source=row.source, problem=row.problem,
        measures=row.measures, deadline=row.deadline, deadline_text=row.deadline_text, ongoing=row.ongoing,
        owner=row.owner, progress=row.progress, status=row.status, done_on=done_on, remark=row.remark,
        evidence_text=row.evidence_text, created_on=received, updated_at=now, last_report_on=received,
        report_on=received if _counts(received, row.deadline, row.status == STATUS_DONE) else None,
        inspection=row.inspection, suggestion=row.suggestion, target=row.target, leader=row.leader, phone=row.phone,
        milestones=row.milestones, source_category=row.source_category,
    )


def plan_merge(sub: Submission, existing: list[Item], *, received: date, now: str, year: int,
               next_seq: int, by_office: bool, made_on: date | None = None,
               canonical: Callable[[str], str] | None = None,
               open_problems: Iterable[tuple[str, str, str]] = ()) -> MergePlan:
    """What applying `sub` to the ledger would change. `existing` holds at least the items
    named by the rows' 编号 and the items of the rows' lead units with the rows' problem keys;
    `open_problems` (id, key, text) the open items of the submitting unit."""
    merger = Merger(sub.unit, received=received, now=now, year=year, next_seq=next_seq, by_office=by_office,
                    made_on=made_on or sub.made_on, report_date=sub.report_date, canonical=canonical)
    added = merger.add(sub.rows, existing, OpenProblems(open_problems))
    return merger.plan(added)


class Merger:
    """`plan_merge` fed a chunk of rows at a time, for a file too big to hold whole: the new
    items of each chunk can be stored at once (`add` returns them), while what carries over —
    the next id, the 编号 already seen, the items changed so far with their events, every item
    reported — stays here until `plan`. Each chunk brings the ledger items its rows can touch,
    as the ledger stood before the file, plus the file's own new items of earlier chunks: the
    plan is the one `plan_merge` makes of all the rows at once."""

    def __init__(self, unit: str | None, *, received: date, now: str, year: int, next_seq: int, by_office: bool,
                 made_on: date | None = None, report_date: date | None = None,
                 canonical: Callable[[str], str] | None = None, file_id: int | None = None,
                 upstream: str | None = None, keeps_moved: bool = False):
        self.upstream = upstream  # the level above whose ids the rows' 上级编号 are, if any
        # The unit runs its own sancha: an item the office moved away stays in its ledger (nothing
        # is recalled), so its report naming it is stale whenever made (the row is left out).
        self.keeps_moved = keeps_moved
        self.unit, self.received, self.now, self.year, self.by_office = unit, received, now, year, by_office
        # The day the file's values are from: what sancha wrote in its own workbook, else the
        # 填报日期, never after the day received.
        self.made_on = min(made_on or report_date or received, received)
        self.done_limit = min(report_date or received, received)  # no 完成日期 after this
        self.canonical = canonical or (lambda name: name)
        self.file_id = file_id
        self.first_seq = self.seq = next_seq
        self.findings: list[Finding] = []
        self.updated: dict[str, Item] = {}
        self.events: list[Event] = []
        self.reported: dict[str, bool] = {}  # in order, once each: id → whether the file added it
        self.keys: dict[str, str] = {}  # item id -> problem key, of the items changed
        self.added_keys: dict[str, str] = {}  # of the chunk's new items, until stored
        self._seen_ids: dict[str, int] = {}  # 编号 -> the row it was first given in
        self.answered: dict[str, set[str]] = {}  # item id -> its answers' texts (rows from above: the caller's)

    def add(self, rows, existing: list[Item], open_problems: OpenProblems | None = None) -> tuple[Item, ...]:
        """Merge a chunk of rows; returns its new items (their problem keys in `added_keys`)."""
        by_id = {i.id: i for i in existing if not self.is_new(i.id)}  # 编号 name items as they were before the file
        if self.upstream is not None:
            voided_last = sorted(existing, key=lambda i: i.voided_on is None)  # a voided one only when no other
            by_id.update((self._upstream_key(i.upstream_id), i) for i in voided_last
                         if i.upstream == self.upstream and i.upstream_id)
            # our own items the level above knows under its id once we reported them up: the same
            # problem, not yet linked to any id of the level above
            by_id.update((self._free_key(problem_key(i.problem)), i) for i in existing
                         if i.upstream_id is None and i.voided_on is None and not self.is_new(i.id))
        by_key: dict[tuple[str, str], Item] = {}
        for item in sorted(existing, key=lambda i: (i.voided_on is None, i.closed_on is None, i.id)):  # open items win
            by_key[(self.canonical(item.unit), problem_key(item.problem))] = item
        added: list[Item] = []
        self.added_keys = {}
        for row in rows:
            if row.done_on is not None and row.done_on > self.done_limit:
                limit = (f"填报日期 {_shown('done_on', self.done_limit)}" if self.done_limit != self.received
                         else f"收到日期 {_shown('done_on', self.received)}")
                self.findings.append(_finding(DONE_IN_FUTURE, row, "done_on", done_on=_shown("done_on", row.done_on),
                                              limit=limit))
                continue
            target = self._target(row, by_id, by_key)
            if target is False or target is True:
                continue
            if target is None:
                item = _new_item(row, format_id(self.year, self.seq), self.received, self.now)
                if self._from_above(row):
                    item = replace(item, upstream_id=row.upstream_id, upstream=self.upstream, last_report_on=None,
                                   report_on=None)  # work given from above: not reported by anyone yet
                    by_id[self._upstream_key(row.upstream_id)] = item
                self.seq += 1
                self._similar(row, item, open_problems)
                if item.owner is None and item.leader is None and row.measures:  # a problem list has no people yet
                    self.findings.append(_finding(NO_OWNER, row, "owner"))
                added.append(item)
                by_key[(item.unit, row.key)] = item
                self.added_keys[item.id] = row.key
                self.reported[item.id] = True
                continue
            self._update(row, target)
        return tuple(added)

    def _target(self, row: Row, by_id: dict[str, Item], by_key: dict[tuple[str, str], Item]) -> Item | bool | None:
        """The item a row updates, None for a new item, False when the row is left out."""
        if self._from_above(row) and not row.item_id:
            found = by_id.get(self._upstream_key(row.upstream_id)) or by_id.get(self._free_key(row.key))
            return False if found is not None and found.voided_on is not None else found  # voided here: stays so
        if not row.item_id:
            return by_key.get((row.lead_unit, row.key))
        if row.item_id in self._seen_ids:
            self.findings.append(_finding(DUPLICATE_ID, row, "item_id", item_id=row.item_id,
                                          first_row=self._seen_ids[row.item_id]))
            return False
        self._seen_ids[row.item_id] = row.row
        target = by_id.get(row.item_id)
        if target is None:
            self.findings.append(_finding(UNKNOWN_ID, row, "item_id", item_id=row.item_id))
            return False
        if target.voided_on is not None:
            self.findings.append(_finding(VOIDED_ID, row, "item_id", item_id=row.item_id,
                                          voided_on=_shown("", target.voided_on)))
            return False
        owner = self.canonical(target.unit)
        if owner != self.unit and not self.by_office:
            moved = field_day(target, "unit")
            if moved is not None and moved > self.made_on:  # a form made before the item was moved on
                self.findings.append(_finding(STALE_VALUE, row, "lead_unit", form="moved", unit=self.unit,
                                              item_id=row.item_id, changed_on=_shown("", moved), owner=owner,
                                              made_on=_shown("", self.made_on)))
                return False
            if moved is not None and self.keeps_moved:
                self.findings.append(_finding(STALE_VALUE, row, "lead_unit", form="kept", unit=self.unit,
                                              item_id=row.item_id, changed_on=_shown("", moved), owner=owner))
                return False
            self.findings.append(_finding(FOREIGN_ID, row, "item_id", item_id=row.item_id, owner=owner,
                                          unit=self.unit))
            return False
        current = self.updated.get(target.id, target)
        key = problem_key(current.problem)
        if row.key != key and similarity(row.key, key) < ID_MISMATCH_BELOW:
            self.findings.append(_finding(ID_MISMATCH, row, "problem", item_id=row.item_id, problem=row.problem,
                                          item_problem=current.problem))
            return False
        return target

    def _answers(self, item: Item, row: Row) -> bool:
        """Whether the row's 上级答复 answers the item: waiting for the level above since on or
        before the answer's day, and not answered with it already."""
        if not row.answer or item.status != STATUS_NEEDS_HELP or item.closed_on is not None:
            return False
        if row.answer in self.answered.get(item.id, ()):
            return False
        asked = field_day(item, "status")
        return row.answer_on is None or asked is None or row.answer_on >= asked

    def _from_above(self, row: Row) -> bool:
        return self.upstream is not None and bool(row.upstream_id)

    @staticmethod
    def _upstream_key(upstream_id) -> str:
        return "上级:" + str(upstream_id)  # never a ledger id

    @staticmethod
    def _free_key(key: str) -> str:
        return "未关联:" + key

    def _similar(self, row: Row, item: Item, open_problems: OpenProblems | None) -> None:
        found = open_problems.closest(row.key) if open_problems else None
        if found is None:
            return
        other_id, other_text = found
        self.findings.append(_finding(SIMILAR_PROBLEM, row, "problem", problem=row.problem, other_id=other_id,
                                      other=other_text, item_id=item.id))

    def _update(self, row: Row, target: Item) -> None:
        current = self.updated.get(target.id, target)
        changes, events = self._changes(current, row)
        self.events.extend(events)
        new = current
        if changes:
            # A unit's values are as new as its file (made_on); the office's extension or
            # reassignment from the day received (as the replay of their events has it).
            days = set_on(new.field_days, [f for f in changes if f not in OFFICE_FIELDS], self.made_on)
            office = [f for f in changes if f in OFFICE_FIELDS]
            new = replace(new, updated_at=self.now, field_days=set_on(days, office, self.received) if office else days,
                          **changes)
        if not self._from_above(row):  # the level above's list is work given, not a report of it
            last = max(filter(None, (new.last_report_on, self.received)))
            counts = _counts(self.received, new.deadline, new.status == STATUS_DONE)
            report_on = min(new.report_on, self.received) if counts and new.report_on else (
                new.report_on or (self.received if counts else None))
            new = replace(new, last_report_on=last, report_on=report_on)
            if not self.is_new(target.id):
                self.events.append(Event(target.id, "report", self.received, self.now, self.file_id))
        if new != target:
            self.updated[target.id] = new
        key = row.key if new.problem == row.problem else problem_key(new.problem)
        if target.id in self.added_keys:  # a new item of this chunk, changed again by a later row
            self.added_keys[target.id] = key
        else:
            self.keys[target.id] = key
        self.reported.setdefault(target.id, False)

    def _changes(self, item: Item, row: Row) -> tuple[dict, list[Event]]:
        """Field changes a row brings to an item (blank never erases, stale never overwrites),
        and the events recording them."""
        above = self._from_above(row)
        made = {"made_on": self.made_on.isoformat()} if self.made_on < self.received else {}
        if above and item.upstream_id is None:  # our own item, reported up: linked to its id there, no more
            link = {"upstream_id": row.upstream_id, "upstream": self.upstream}
            return link, [Event(item.id, "change", self.received, self.now, self.file_id, field=f, old=None, new=v,
                                data=dict(made)) for f, v in link.items()]
        values = {f: getattr(row, f) for f in (UPSTREAM_FIELDS if above else UNIT_FIELDS)}
        changes = {}
        if values.get("milestones"):
            values["milestones"] = kept_done(item.milestones, values["milestones"])
        for field, new in values.items():
            if new in (None, "", ()) or new == getattr(item, field):
                continue
            changed_on = field_day(item, field)
            if changed_on is not None and changed_on > self.made_on:
                self.findings.append(_finding(STALE_VALUE, row, field, title=FIELD_TITLES[field],
                                              new=_shown(field, new), changed_on=_shown("", changed_on),
                                              current=_shown(field, getattr(item, field)),
                                              made_on=_shown("", self.made_on)))
                continue
            changes[field] = new
        if changes.get("status") == STATUS_DONE and "done_on" not in changes and item.done_on is None:
            changes["done_on"] = self.received  # reported done without a date: done the day received
        done = item.status == STATUS_DONE or item.closed_on is not None
        if done and changes.get("status") not in (None, STATUS_DONE):
            self.findings.append(_finding(STATUS_REGRESSION, row, "status", item_id=item.id,
                                          done="销号" if item.closed_on else "报送完成", status=changes["status"]))
            return {}, []
        events = [Event(item.id, "change", self.received, self.now, self.file_id, field=f, old=getattr(item, f), new=v,
                        data=dict(made)) for f, v in changes.items()]
        # a blank 整改时限 (a problem list sent again) never erases the deadline
        deadline_moved = bool(row.deadline_text) and (row.deadline, row.ongoing) != (item.deadline, item.ongoing)
        if above and self._answers(item, row):
            assert row.answer is not None
            moved = deadline_moved and row.deadline is not None
            changes["status"] = STATUS_IN_PROGRESS
            if moved:
                changes.update(deadline=row.deadline, deadline_text=row.deadline_text, ongoing=False)
            data = {"answer": row.answer, "close": False, "from": self.upstream,
                    **({"answered_on": row.answer_on.isoformat()} if row.answer_on else {})}
            events.append(Event(item.id, "answer", self.received, self.now, self.file_id,
                                field="deadline" if moved else None, old=item.deadline if moved else None,
                                new=row.deadline if moved else None, data=data))
            self.answered.setdefault(item.id, set()).add(row.answer)
        elif self.by_office:
            note = row.remark or None
            if row.lead_unit != self.canonical(item.unit) and not above:
                changes["unit"] = row.lead_unit
                events.append(Event(item.id, "reassign", self.received, self.now, self.file_id, field="unit",
                                    old=item.unit, new=row.lead_unit, note=note))
            if deadline_moved and row.deadline is not None:
                late = item.deadline is not None and item.deadline < self.received
                changes.update(deadline=row.deadline, deadline_text=row.deadline_text, ongoing=False)
                events.append(Event(item.id, "extend", self.received, self.now, self.file_id, field="deadline",
                                    old=item.deadline, new=row.deadline, note=note,
                                    data={"deadline_text": row.deadline_text, **({"late": True} if late else {})}))
            elif deadline_moved:  # the office made it ongoing (长期坚持)
                for field, value in (("deadline", None), ("deadline_text", row.deadline_text), ("ongoing", True)):
                    if getattr(item, field) != value:
                        changes[field] = value
                        events.append(Event(item.id, "change", self.received, self.now, self.file_id, field=field,
                                            old=getattr(item, field), new=value, note=note))
        elif deadline_moved and row.deadline_text and awaits_measures(item):
            # 待报措施: the unit's measures bring the item's first deadline (not an extension)
            changes.update(deadline=row.deadline, deadline_text=row.deadline_text, ongoing=row.ongoing)
            events.append(Event(item.id, "measures", self.received, self.now, self.file_id, field="deadline",
                                old=None, new=row.deadline,
                                data={"deadline_text": row.deadline_text, "ongoing": row.ongoing}))
        elif deadline_moved and row.deadline_text:
            self.findings.append(_finding(DEADLINE_CHANGE_IGNORED, row, "deadline", item_id=item.id,
                                          old=item.deadline_text, new=row.deadline_text))
        return changes, events

    def plan(self, added: tuple[Item, ...] = ()) -> MergePlan:
        """Everything merged so far (`added`: the new items, when the caller kept them)."""
        keys = {**{i.id: self.added_keys.get(i.id, "") for i in added}, **self.keys}
        return MergePlan(
            added=added, updated=tuple(self.updated.values()), events=tuple(self.events),
            reported=tuple(self.reported), keys=keys, findings=tuple(self.findings),
        )

    def added_ids(self) -> list[str]:
        """The ids of every new item, in order."""
        return [item_id for item_id, new in self.reported.items() if new]

    def reports(self) -> Iterator[str]:
        """The items reported that were in the ledger before the file, in order."""
        return (item_id for item_id, new in self.reported.items() if not new)

    def is_new(self, item_id: str) -> bool:
        """Whether the id is one this file's rows were given."""
        year, seq = split_id(item_id)
        return year == self.year and self.first_seq <= seq < self.seq
