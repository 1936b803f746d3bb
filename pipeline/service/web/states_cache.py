"""Every item and its state as of a day, computed once and kept until the ledger changes.

The 台帐 page filters and sorts by state (逾期, 未按时报送, …) and 总览 counts every unit's items,
which needs the state of every item: at 50,000 items about 1 s to read and compute. The desk
keeps the last result for (day, ledger version, configuration) and recomputes only when another
connection has committed a change — SQLite's `PRAGMA data_version` on the cache's own
connection says so, without reading a table — or sancha.toml was reread. The states come
from `deadlines.states.compute_states`, the one place of the rules.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from pipeline.deadlines.states import compute_states
from pipeline.deadlines.workdays import WorkCalendar
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.view import items_on
from pipeline.model import Item, ItemState
from pipeline.workspace import Workspace


@dataclass(frozen=True)
class Snapshot:
    as_of: date
    items: list[Item]
    states: dict[str, ItemState]


class StateCache:
    def __init__(self, ws: Workspace, calendar: Callable[[], WorkCalendar]):
        self.ws = ws
        self.calendar = calendar
        self._lock = threading.Lock()
        self._ledger: Ledger | None = None
        self._key: tuple | None = None
        self._snapshot: Snapshot | None = None

    def snapshot(self, as_of: date) -> Snapshot:
        with self._lock:
            if self._ledger is None:
                self._ledger = Ledger.open(self.ws.db_path)
            version = self._ledger.conn.execute("PRAGMA data_version").fetchone()[0]
            key = (as_of, version, self.ws.config)  # sancha.toml reread: units, rules and calendar anew
            if key != self._key or self._snapshot is None:
                items = items_on(self._ledger, self.ws.config, as_of)  # the ledger as it stood that day
                states = compute_states(items, as_of, self.calendar(), self.ws.config.rules)
                self._snapshot = Snapshot(as_of, items, states)
                self._key = key
            return self._snapshot

    @property
    def version(self) -> tuple | None:
        """What the last snapshot is of: (day, the ledger's data_version, the configuration);
        pages computed from it can be kept while it stays the same (`Desk.memo`)."""
        return self._key

    def close(self) -> None:
        with self._lock:
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None
