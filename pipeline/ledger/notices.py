"""Reading the ladder's events from the ledger: notices with their answers, and the office's
upward reports (上报上级协调), as of a day.

    sent = load_notices(ledger, config, date(2026, 12, 7))   # deadlines.ladder.Notice, in order

The rules (what a step is, when a notice counts as answered) are in `pipeline.deadlines.ladder`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pipeline.config import Config
from pipeline.deadlines.ladder import Notice, notices
from pipeline.deadlines.workdays import WorkCalendar
from pipeline.ledger.ledger import Ledger, event_from_row
from pipeline.ledger.timeline import Event

LADDER_KINDS = ("notice", "report", "escalate", "answer")


def ladder_events(ledger: Ledger, day: date, kinds: Iterable[str] = LADDER_KINDS) -> list[Event]:
    """Events of `kinds` taking effect by `day`, in recording order."""
    wanted = tuple(kinds)
    q = (Ledger._EVENTS + f" WHERE e.kind IN ({','.join('?' * len(wanted))}) AND e.on_day <= ? ORDER BY e.id")
    return [event_from_row(r) for r in ledger.conn.execute(q, (*wanted, day.isoformat()))]


def reports_of(ledger: Ledger, ids: Iterable[str], day: date, since: date | None = None) -> list[Event]:
    """The `report` events of these items taking effect by `day` (and from `since` on: a notice
    is answered only by a report after it, so the reports before the first notice never count —
    issue 20: a city's year of reports), looked up by item."""
    wanted = sorted(set(ids))
    out: list[Event] = []
    first = (since or date.min).isoformat()
    for n in range(0, len(wanted), 500):
        chunk = wanted[n:n + 500]
        q = (Ledger._EVENTS + f" WHERE e.item_id IN ({','.join('?' * len(chunk))}) AND e.kind = 'report' "
             "AND e.on_day <= ? AND e.on_day >= ?")
        out += [event_from_row(r) for r in ledger.conn.execute(q, (*chunk, day.isoformat(), first))]
    return out


def item_units(ledger: Ledger, ids: Iterable[str] | None = None) -> dict[str, str]:
    """Every item's unit now, or these items' (a notice's unit when the notice does not say it)."""
    if ids is None:
        return dict(ledger.conn.execute("SELECT id, unit FROM items"))
    wanted = sorted(set(ids))
    out: dict[str, str] = {}
    for n in range(0, len(wanted), 500):
        chunk = wanted[n:n + 500]
        out.update(ledger.conn.execute(f"SELECT id, unit FROM items WHERE id IN ({','.join('?' * len(chunk))})",
                                       chunk))
    return out


def load_notices(ledger: Ledger, config: Config, day: date, *, events: list[Event] | None = None,
                 skip_week: str | None = None) -> list[Notice]:
    """Every notice issued by `day` with its answer as of that day; `skip_week`: leave out the
    notices of that weekly batch (the batch computing its own steps again)."""
    if events is None:  # the notices, and the reports of their items only (issue 20: not a city's every report)
        sent = ladder_events(ledger, day, ("notice",))
        since = min((e.on for e in sent), default=None)
        events = sorted(sent + reports_of(ledger, {e.item_id for e in sent}, day, since), key=lambda e: e.id)
    if skip_week is not None:
        events = [e for e in events if not (e.kind == "notice" and e.data.get("week") == skip_week)]
    noticed = {e.item_id for e in events if e.kind == "notice"}
    units = {k: config.canonical_unit(v) for k, v in item_units(ledger, noticed).items()}
    return notices(events, units, day, WorkCalendar.from_config(config), config.rules)


def escalations(events: Iterable[Event]) -> dict[str, tuple[date, str, str]]:
    """Item → (day, to whom, reason) of its latest upward report not answered since."""
    out: dict[str, tuple[date, str, str]] = {}
    for e in sorted(events, key=lambda e: (e.on, e.id)):
        if e.kind == "escalate":
            out[e.item_id] = (e.on, str(e.data.get("to") or ""), str(e.data.get("reason") or ""))
        elif e.kind == "answer":
            out.pop(e.item_id, None)
    return out
