"""The roll-up of a township's own figures into the district's ledger.

A township's report up (`report_up`) carries, in a document property, the figures of its own
ledger as of the day it was made: items, done, overdue, the completion rate and the count of
each state. When the district accepts such a file from a unit, the figures are kept with the
file (`level_reports`); `latest` gives each township's last report as of a day — what
`sancha status --json` shows as "levels" and the 看板 as 下级台帐.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

from pipeline.deadlines.states import Standing, total_summary
from pipeline.intake.read import custom_property
from pipeline.ledger.ledger import Ledger

LEVEL_PROPERTY = "sancha_level"  # the document property of a report up: JSON of `figures`
LEVEL_KEYS = ("unit", "reported_on", "items", "done", "overdue", "rate")  # pinned: status --json "levels"


def figures(unit: str, now: Standing) -> dict:
    """A ledger's own figures as of `now.as_of`, reported up as `unit` (pure)."""
    total = total_summary(now.summaries)
    states = Counter(s.state for s in now.states.values())
    rate = None if total.completion_rate is None else round(total.completion_rate, 4)
    return {"unit": unit, "reported_on": now.as_of.isoformat(), "items": total.items, "done": total.done,
            "overdue": total.overdue, "rate": rate, "states": dict(sorted(states.items()))}


def read_figures(data: bytes) -> dict | None:
    """The figures a report up carries, if the file is one (checked: a dict with the keys)."""
    text = custom_property(data, LEVEL_PROPERTY)
    if text is None:
        return None
    try:
        found = json.loads(text)
        date.fromisoformat(found["reported_on"])
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(found, dict) or not all(k in found for k in LEVEL_KEYS):
        return None
    return found


def keep(ledger: Ledger, file_id: int, unit: str, found: dict) -> None:
    """Keep the figures a unit's accepted file brought (inside the file's transaction)."""
    ledger.conn.execute("INSERT OR REPLACE INTO level_reports VALUES (?, ?, ?, ?)",
                        (file_id, unit, found["reported_on"], json.dumps({**found, "unit": unit}, ensure_ascii=False)))


def latest(ledger: Ledger, as_of: date) -> list[dict]:
    """Each township's last reported figures as of `as_of` (reported on or before it, by a file
    received by then), by unit: the `LEVEL_KEYS` and `states`."""
    rows = ledger.conn.execute(
        "SELECT l.unit, l.figures FROM level_reports l JOIN files f ON f.id = l.file_id "
        "WHERE l.reported_on <= ? AND f.received_on <= ? ORDER BY l.unit, l.reported_on, l.file_id",
        (as_of.isoformat(), as_of.isoformat()))
    last: dict[str, dict] = {}
    for unit, text in rows:
        last[unit] = json.loads(text)
    return [{**{k: last[u].get(k) for k in LEVEL_KEYS}, "states": last[u].get("states", {})} for u in sorted(last)]
