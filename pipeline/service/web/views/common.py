"""What the views share: the desk, the request's ledger connection, reading query arguments."""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, g, request

from pipeline.deadlines.states import compute_states
from pipeline.ledger.ledger import Ledger
from pipeline.model import Item, ItemState
from pipeline.service.web.app import Desk


def desk() -> Desk:
    return current_app.extensions["sancha"]


def ledger() -> Ledger:
    """A connection for this request (closed when it ends)."""
    if "ledger" not in g:
        g.ledger = Ledger.open(desk().ws.db_path)
    return g.ledger


def day_arg(name: str = "as_of", default: date | None = None) -> date:
    return parse_day(request.args.get(name) or "", default or desk().today())


def parse_day(value: str, default: date) -> date:
    value = value.strip()
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(400, f"日期 “{value}” 无法识别，请写成 2026-11-30 这样的格式。")


def int_arg(name: str, default: int = 1) -> int:
    try:
        return max(1, int(request.args.get(name, default)))
    except ValueError:
        return default


def states_of(items: list[Item], as_of: date) -> dict[str, ItemState]:
    """States of a page's items (a few dozen: computed directly, not from the cache)."""
    d = desk()
    return compute_states(items, as_of, d.calendar, d.ws.config.rules)


def page_args(**changes) -> dict:
    """The current page's arguments (path and query) with some changed, for paging links."""
    args: dict = {**request.args.to_dict(flat=False), **(request.view_args or {})}
    args.update(changes)
    return {k: v for k, v in args.items() if v not in (None, "", [], [""])}
