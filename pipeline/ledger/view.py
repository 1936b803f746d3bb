"""The ledger as it stood at the end of a day — what `status`, `export`, `weekly`, the dashboard
and every document read.

- Items with no event taking effect after the day are their projection (the `items` table):
  reading today's figures replays nothing.
- Items with one are replayed from their events up to the day (`timeline.replay`); only
  those are loaded.
- Items registered after the day did not exist yet; items voided on or before it are out of
  every count and document (`show` still has them).
- Each item's unit is the registered unit it stands for now (`Config.canonical_unit`): a unit
  renamed in 机构改革, its old name among the new name's aliases, owns its items everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from pipeline.config import Config
from pipeline.deadlines.states import compute_states
from pipeline.deadlines.workdays import WorkCalendar
from pipeline.ledger import timeline
from pipeline.ledger.ledger import Ledger
from pipeline.model import Item, ItemState


def items_on(ledger: Ledger, config: Config, day: date, *, unit: str | None = None,
             voided: bool = False) -> list[Item]:
    """The items as they stood at the end of `day`, by 编号 (`unit`: only that unit's;
    `voided`: keep voided items)."""
    return items_on_days(ledger, config, [day], unit=unit, voided=voided)[day]


def items_on_days(ledger: Ledger, config: Config, days: Iterable[date], *, unit: str | None = None,
                  voided: bool = False) -> dict[date, list[Item]]:
    """`items_on` for several days, the ledger read once (the dashboard's past weeks)."""
    days = sorted(set(days))
    projection = ledger.items()
    last = ledger.last_event_day()
    timelines: dict[str, list] = {}
    if days and last is not None and last > days[0]:
        timelines = dict(timeline.by_item(ledger.events_of(ledger.changed_after(days[0]))))
    out = {}
    for day in days:
        items: Iterable[Item | None] = projection
        if timelines and last is not None and last > day:
            later = {item_id for item_id, events in timelines.items() if events[-1].on > day}
            items = (timeline.replay(timelines[i.id], day) if i.id in later else i for i in projection)
        out[day] = _standing(items, config, day, unit, voided)
    return out


def _standing(items: Iterable[Item | None], config: Config, day: date, unit: str | None, voided: bool) -> list[Item]:
    out = []
    for item in items:
        if item is None or item.created_on > day or (not voided and item.voided_on is not None
                                                     and item.voided_on <= day):
            continue
        name = config.canonical_unit(item.unit)
        if name != item.unit:
            item = replace(item, unit=name)
        if unit is None or item.unit == unit:
            out.append(item)
    return out


def item_on(ledger: Ledger, config: Config, item_id: str, day: date) -> Item | None:
    """One item as it stood at the end of `day` (voided or not); None before it existed."""
    item = timeline.replay(ledger.events(item_id), day)
    if item is None:
        stored = ledger.item(item_id)  # an item stored without events (tests build such ledgers)
        item = stored if stored is not None and stored.created_on <= day else None
    if item is not None and config.canonical_unit(item.unit) != item.unit:
        item = replace(item, unit=config.canonical_unit(item.unit))
    return item


def states_on(ledger: Ledger, config: Config, day: date, *, unit: str | None = None
              ) -> tuple[list[Item], dict[str, ItemState]]:
    """The items as they stood on `day` and their states as of that day."""
    items = items_on(ledger, config, day, unit=unit)
    return items, compute_states(items, day, WorkCalendar.from_config(config), config.rules)
