"""The ledger as it stood on an earlier day, rebuilt from item history — pure.

Used for the dashboard's trend (逐周走势) in weeks for which no weekly batch saved a snapshot:
every change an item went through is in its history with the old value, so undoing the
changes made after a day gives the items as they were on that day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, timedelta

from pipeline.model import Item

_DATE_FIELDS = {"deadline", "done_on", "closed_on", "lookback_on", "original_deadline"}


@dataclass(frozen=True)
class Change:
    """One recorded change: on `day` the item's `field` went from `old` (history text) to the new value."""

    item_id: str
    day: date  # when it took effect: the day the file was received, or the office's action
    field: str | None  # None for a report that changed nothing
    old: str | None
    reported: bool  # a unit's submission touched the item on `day`


def _decode(field: str, text: str | None):
    if text is None:
        return () if field == "co_units" else None
    if field in _DATE_FIELDS:
        return date.fromisoformat(text)
    if field == "co_units":
        return tuple(json.loads(text))
    if field == "ongoing":
        return text == "1"
    return text


def items_as_of(items: list[Item], changes: list[Change], day: date) -> list[Item]:
    """The items that existed on `day`, with the values they had at its end."""
    later: dict[str, list[Change]] = {}
    reports: dict[str, date] = {}
    for c in changes:
        if c.day > day:
            later.setdefault(c.item_id, []).append(c)
        elif c.reported:
            reports[c.item_id] = max(c.day, reports.get(c.item_id, c.day))
    out = []
    for item in items:
        if item.created_on > day:
            continue
        undo = {}
        for c in reversed(later.get(item.id, ())):  # newest first, so the oldest old value wins
            if c.field:
                undo[c.field] = _decode(c.field, c.old)
        last_report = reports.get(item.id)
        out.append(replace(item, **undo, last_report_on=last_report)
                   if undo or last_report != item.last_report_on else item)
    return out


def past_days(as_of: date, weeks: int, since: date | None) -> list[date]:
    """The same weekday in each of the `weeks` weeks before `as_of`, oldest first, not before `since`."""
    days = [as_of - timedelta(weeks=k) for k in range(weeks, 0, -1)]
    return [d for d in days if since is None or d >= since]
