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

from dataclasses import dataclass, replace
from datetime import date

from .model import ERROR, STATUS_DONE, WARNING, Finding, Item, Row, Submission
from .normalize import problem_key
from .store import format_id

# Fields a unit's resubmission may change, in ledger order.
UNIT_FIELDS = ("co_units", "source", "problem", "measures", "owner", "progress", "status", "done_on", "remark")
# Only the office moves deadlines or reassigns the lead unit.
OFFICE_FIELDS = ("unit", "deadline", "deadline_text", "ongoing")


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


def _finding(code: str, severity: str, row: Row, field: str, message: str, hint: str | None = None) -> Finding:
    return Finding(code, severity, row.sheet, row.cells.get(field) or row.cells.get("problem"), message, hint)


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
        findings.append(_finding(
            "deadline-change-ignored", WARNING, row, "deadline",
            f"{row.sheet}!{row.cells.get('deadline', '')}：编号 {item.id} 的整改时限由“{item.deadline_text}”改为"
            f"“{row.deadline_text}”未被采纳，台帐仍按原时限计算",
            "延期须在时限届满前书面申请，经督查室批准后由督查室登记（sancha extend）",
        ))
    return changes, findings


def plan_merge(sub: Submission, existing: list[Item], *, received: date, now: str, year: int,
               next_seq: int, by_office: bool) -> MergePlan:
    """What applying `sub` to the ledger would change. `existing` holds at least the items
    named by the rows' 编号 and the items of the rows' lead units."""
    by_id = {i.id: i for i in existing}
    by_key: dict[tuple[str, str], Item] = {}
    for item in sorted(existing, key=lambda i: (i.closed_on is None, i.id)):  # open items win
        by_key[(item.unit, problem_key(item.problem))] = item

    findings: list[Finding] = []
    added: list[Item] = []
    updated: dict[str, Item] = {}
    changes: list[Change] = []
    reported: list[str] = []
    keys: dict[str, str] = {}
    seen_ids: dict[str, Row] = {}
    seq = next_seq

    for row in sub.rows:
        key = row.key
        target: Item | None = None
        if row.item_id:
            target = by_id.get(row.item_id)
            if row.item_id in seen_ids:
                first = seen_ids[row.item_id]
                findings.append(_finding(
                    "duplicate-id", ERROR, row, "item_id",
                    f"{row.sheet}!{row.cells.get('item_id', '')}：编号 {row.item_id} 在本表中出现两次"
                    f"（另见第 {first.row} 行）", "每个编号只填一行",
                ))
                continue
            seen_ids[row.item_id] = row
            if target is None:
                findings.append(_finding(
                    "unknown-id", ERROR, row, "item_id",
                    f"{row.sheet}!{row.cells.get('item_id', '')}：台帐中没有编号 {row.item_id}",
                    "新问题请留空编号；已有问题请照抄反馈表中的编号",
                ))
                continue
            if target.unit != sub.unit and not by_office:
                findings.append(_finding(
                    "foreign-id", ERROR, row, "item_id",
                    f"{row.sheet}!{row.cells.get('item_id', '')}：编号 {row.item_id} 属于 {target.unit}，"
                    f"不是 {sub.unit} 的事项",
                    "请核对编号；只能报送本单位牵头的事项",
                ))
                continue
        else:
            target = by_key.get((row.lead_unit, key))

        if target is None:
            item = _new_item(row, format_id(year, seq), received, now)
            seq += 1
            added.append(item)
            by_key[(item.unit, key)] = item
            keys[item.id] = key
            reported.append(item.id)
            continue

        current = updated.get(target.id, target)
        field_changes, notes = _updated(current, row, by_office=by_office, received=received)
        findings.extend(notes)
        new = replace(current, last_report_on=max(filter(None, (current.last_report_on, received))))
        if field_changes:
            new = replace(new, updated_at=now, **field_changes)
            changes.extend(Change(target.id, f, getattr(current, f), v) for f, v in field_changes.items())
        if new != target:
            updated[target.id] = new
        keys[target.id] = key if new.problem == row.problem else problem_key(new.problem)
        reported.append(target.id)

    return MergePlan(
        added=tuple(added), updated=tuple(updated.values()), changes=tuple(changes),
        reported=tuple(dict.fromkeys(reported)), keys=keys, findings=tuple(findings),
    )
