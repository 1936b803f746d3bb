"""Merge a checked submission into the ledger — pure: existing items in, a plan out.

Rules (what a supervision office expects):
- a row with 编号 updates that item; the 编号 must exist and belong to the submitting unit
  (the office itself may update anyone's item);
- a row without 编号 updates the unit's item with the same normalised problem text, else it is
  a new item with the next id of the year (``2026-0001``);
- a blank cell never erases what was reported before;
- a unit cannot move its own deadline: that is an extension (延期) the office approves with
  ``sancha extend``; a changed 整改时限 from a unit is ignored with a warning;
- every touched item records the day of the report (for "report missing" after the deadline);
  every changed field becomes a history entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

from pipeline.intake.findings import DEADLINE_CHANGE_IGNORED, DUPLICATE_ID, FOREIGN_ID, UNKNOWN_ID, Code
from pipeline.model import (
    ERROR,
    STATUS_DONE,
    Finding,
    Item,
    Row,
    Submission,
    format_id,
    problem_key,
    split_id,
)

# Fields a unit's resubmission may change, in ledger order.
UNIT_FIELDS = ("co_units", "source", "problem", "measures", "owner", "progress", "status", "done_on", "remark")


@dataclass(frozen=True)
class Change:
    item_id: str
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class MergePlan:
    added: tuple[Item, ...]
    updated: tuple[Item, ...]  # the new state of items that changed
    changes: tuple[Change, ...]
    reported: tuple[str, ...]  # every item id the submission touched (added, changed or unchanged)
    keys: dict[str, str]  # item id -> problem key, for added and updated items
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)


def _finding(code: Code, row: Row, field: str, **values) -> Finding:
    """At the row's `field` cell (its problem cell without one), the message led by `Sheet!F5：`."""
    cell = row.cells.get(field) or row.cells.get("problem")
    return code.at(row.sheet, cell, where=f"{row.sheet}!{row.cells.get(field, '')}", **values)


def _new_item(row: Row, item_id: str, received: date, now: str) -> Item:
    done_on = row.done_on or (received if row.status == STATUS_DONE else None)
    return Item(
        id=item_id, unit=row.lead_unit, co_units=row.co_units, source=row.source, problem=row.problem,
        measures=row.measures, deadline=row.deadline, deadline_text=row.deadline_text, ongoing=row.ongoing,
        owner=row.owner, progress=row.progress, status=row.status, done_on=done_on, remark=row.remark,
        created_on=received, updated_at=now, last_report_on=received,
    )


def _updated(item: Item, row: Row, *, by_office: bool, received: date) -> tuple[dict, list[Finding]]:
    """Field changes a row brings to an existing item (blank never erases)."""
    findings: list[Finding] = []
    values = {f: getattr(row, f) for f in UNIT_FIELDS}
    if values["status"] == STATUS_DONE and values["done_on"] is None and item.done_on is None:
        values["done_on"] = received
    changes = {}
    for field, new in values.items():
        if new in (None, "", ()):
            continue
        if new != getattr(item, field):
            changes[field] = new
    deadline_moved = (row.deadline, row.ongoing) != (item.deadline, item.ongoing)
    if by_office:
        if row.lead_unit != item.unit:
            changes["unit"] = row.lead_unit
        if deadline_moved:
            changes.update(deadline=row.deadline, deadline_text=row.deadline_text, ongoing=row.ongoing)
    elif deadline_moved and row.deadline_text:
        findings.append(_finding(DEADLINE_CHANGE_IGNORED, row, "deadline", item_id=item.id, old=item.deadline_text,
                                 new=row.deadline_text))
    return changes, findings


def plan_merge(sub: Submission, existing: list[Item], *, received: date, now: str, year: int,
               next_seq: int, by_office: bool) -> MergePlan:
    """What applying `sub` to the ledger would change. `existing` holds at least the items
    named by the rows' 编号 and the items of the rows' lead units."""
    merger = Merger(sub.unit, received=received, now=now, year=year, next_seq=next_seq, by_office=by_office)
    added = merger.add(sub.rows, existing)
    return merger.plan(added)


class Merger:
    """`plan_merge` fed a chunk of rows at a time, for a file too big to hold whole: the new
    items of each chunk can be stored at once (`add` returns them), while what carries over —
    the next id, the 编号 already seen, the items changed so far with their changes, every item
    reported — stays here until `plan`. Each chunk brings the ledger items its rows can touch,
    as the ledger stood before the file, plus the file's own new items of earlier chunks: the
    plan is the one `plan_merge` makes of all the rows at once."""

    def __init__(self, unit: str | None, *, received: date, now: str, year: int, next_seq: int, by_office: bool):
        self.unit, self.received, self.now, self.year, self.by_office = unit, received, now, year, by_office
        self.first_seq = self.seq = next_seq
        self.findings: list[Finding] = []
        self.updated: dict[str, Item] = {}
        self.changes: list[Change] = []
        self.reported: dict[str, bool] = {}  # in order, once each: id → whether the file added it
        self.keys: dict[str, str] = {}  # item id -> problem key, of the items changed
        self.added_keys: dict[str, str] = {}  # of the chunk's new items, until stored
        self._seen_ids: dict[str, int] = {}  # 编号 -> the row it was first given in

    def add(self, rows, existing: list[Item]) -> tuple[Item, ...]:
        """Merge a chunk of rows; returns its new items (their problem keys in `added_keys`)."""
        by_id = {i.id: i for i in existing if not self.is_new(i.id)}  # 编号 name items as they were before the file
        by_key: dict[tuple[str, str], Item] = {}
        for item in sorted(existing, key=lambda i: (i.closed_on is None, i.id)):  # open items win
            by_key[(item.unit, problem_key(item.problem))] = item
        added: list[Item] = []
        self.added_keys = {}
        for row in rows:
            key = row.key
            target: Item | None = None
            if row.item_id:
                target = by_id.get(row.item_id)
                if row.item_id in self._seen_ids:
                    self.findings.append(_finding(DUPLICATE_ID, row, "item_id", item_id=row.item_id,
                                                  first_row=self._seen_ids[row.item_id]))
                    continue
                self._seen_ids[row.item_id] = row.row
                if target is None:
                    self.findings.append(_finding(UNKNOWN_ID, row, "item_id", item_id=row.item_id))
                    continue
                if target.unit != self.unit and not self.by_office:
                    self.findings.append(_finding(FOREIGN_ID, row, "item_id", item_id=row.item_id, owner=target.unit,
                                                  unit=self.unit))
                    continue
            else:
                target = by_key.get((row.lead_unit, key))

            if target is None:
                item = _new_item(row, format_id(self.year, self.seq), self.received, self.now)
                self.seq += 1
                added.append(item)
                by_key[(item.unit, key)] = item
                self.added_keys[item.id] = key
                self.reported[item.id] = True
                continue

            current = self.updated.get(target.id, target)
            field_changes, notes = _updated(current, row, by_office=self.by_office, received=self.received)
            self.findings.extend(notes)
            new = replace(current, last_report_on=max(filter(None, (current.last_report_on, self.received))))
            if field_changes:
                new = replace(new, updated_at=self.now, **field_changes)
                self.changes.extend(Change(target.id, f, getattr(current, f), v) for f, v in field_changes.items())
            if new != target:
                self.updated[target.id] = new
            if target.id in self.added_keys:  # a new item of this chunk, changed again by a later row
                self.added_keys[target.id] = key if new.problem == row.problem else problem_key(new.problem)
            else:
                self.keys[target.id] = key if new.problem == row.problem else problem_key(new.problem)
            self.reported.setdefault(target.id, False)
        return tuple(added)

    def plan(self, added: tuple[Item, ...] = ()) -> MergePlan:
        """Everything merged so far (`added`: the new items, when the caller kept them)."""
        keys = {**{i.id: self.added_keys.get(i.id, "") for i in added}, **self.keys}
        return MergePlan(
            added=added, updated=tuple(self.updated.values()), changes=tuple(self.changes),
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
