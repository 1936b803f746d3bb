"""The ledger's items and their states as of a day, for commands and scripts:

    standing = load_standing(Workspace(root), date(2026, 11, 30))
    standing.items, standing.states["2026-0001"].state, standing.summaries
"""

from __future__ import annotations

from datetime import date

from pipeline.deadlines.states import Standing, standing
from pipeline.ledger.ledger import Ledger, refuse_if_lost
from pipeline.workspace import Workspace


def load_standing(ws: Workspace, as_of: date, *, unit: str | None = None, source: str | None = None) -> Standing:
    """All items, or one lead unit's, or those of one source (问题来源), with their states as of
    `as_of`. A workspace without a ledger yet has no items; none is created to find that out."""
    items = []
    if ws.db_path.exists():
        with Ledger.open(ws.db_path) as ledger:
            items = ledger.items(unit)
    else:
        refuse_if_lost(ws.db_path)  # none yet is fine; one lost is not
    if source is not None:
        items = [i for i in items if (i.source or "") == source]
    return standing(ws.config, items, as_of)
