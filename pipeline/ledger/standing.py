"""The ledger's items and their states as of a day, for commands and scripts:

    standing = load_standing(Workspace(root), date(2026, 11, 30))
    standing.items, standing.states["2026-0001"].state, standing.summaries, standing.as_json()
    shown = load_item(Workspace(root), "2026-0001", date(2026, 11, 30))

The items are the ledger as it stood at the end of that day (`ledger.view`): a past day shows
what the ledger knew then; voided items are left out, units are the registered units.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date

from pipeline.deadlines.states import Standing, StatusFigures, item_state, standing, status_figures
from pipeline.deadlines.workdays import WorkCalendar
from pipeline.errors import Refused
from pipeline.intake.sources import sources_of
from pipeline.ledger.evidence import EvidenceFile, evidence_on
from pipeline.ledger.ledger import Ledger, refuse_if_lost
from pipeline.ledger.timeline import Event
from pipeline.ledger.view import item_on, items_by_id_on, items_on, standing_on
from pipeline.model import Item, ItemState
from pipeline.upstream.levels import latest as latest_levels
from pipeline.workspace import Workspace


def load_standing(ws: Workspace, as_of: date, *, unit: str | None = None, source: str | None = None) -> Standing:
    """All items, or one lead unit's, or those of one source (问题来源), with their states as of
    `as_of`, and their 佐证材料 received by then (`Standing.evidence`). A workspace without a ledger
    yet has no items; none is created to find that out."""
    items: list[Item] = []
    evidence: dict[str, list[EvidenceFile]] = {}
    levels: list[dict] = []
    if ws.db_path.exists():
        with Ledger.open(ws.db_path) as ledger:
            items = items_on(ledger, ws.config, as_of, unit=unit)
            evidence = evidence_on(ledger, as_of)
            levels = latest_levels(ledger, as_of)
    else:
        refuse_if_lost(ws.db_path)  # none yet is fine; one lost is not
    if source is not None:
        items = [i for i in items if of_source(i, source, ws.config.sources)]
    if unit is not None:
        levels = [level for level in levels if level["unit"] == unit]
    return replace(standing(ws.config, items, as_of), evidence=evidence, levels=tuple(levels))


# bump when the states' rules change, or the shape of what `load_status`, `load_notice_records`
# or `load_inspection_records` keep: what the ledger kept is then made anew
FIGURES_VERSION = "2"


def figures_key(ws: Workspace) -> str:
    """What the figures of a day depend on besides the ledger's events: sancha's and the official
    calendar package's versions, the rules' version, the configuration (sancha.toml's bytes)."""
    import hashlib
    from importlib import metadata

    from pipeline import __version__

    try:
        holidays = metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:
        holidays = "-"
    digest = hashlib.sha256(ws.config_path.read_bytes()).hexdigest()[:16]
    return f"{__version__}/{holidays}/{FIGURES_VERSION}/{digest}"


def load_status(ws: Workspace, as_of: date, *, unit: str | None = None
                ) -> tuple[StatusFigures, Callable[[Iterable[str]], dict[str, Item]]]:
    """What `sancha status` shows as of `as_of` (all units, or one lead unit's items), kept in the
    ledger for the day until an event taking effect by then is recorded (`Ledger.kept_status`);
    the townships' figures (levels) read afresh. With it a function giving some items whole, by
    id, as of `as_of` (for the rows a screen lists)."""
    if not ws.db_path.exists():
        refuse_if_lost(ws.db_path)
        return status_figures(standing(ws.config, [], as_of)), lambda ids: {}
    with Ledger.open(ws.db_path) as ledger:
        def compute() -> dict:
            items, states = standing_on(ledger, ws.config, as_of, unit=unit)
            return status_figures(standing(ws.config, items, as_of, states)).to_data()

        figures = StatusFigures.from_data(ledger.kept_status(as_of, f"{figures_key(ws)}|{unit or ''}", compute))
        levels = tuple(lv for lv in latest_levels(ledger, as_of) if unit is None or lv["unit"] == unit)

    def whole(ids: Iterable[str]) -> dict[str, Item]:
        with Ledger.open(ws.db_path) as ledger:
            return items_by_id_on(ledger, ws.config, ids, as_of)

    return replace(figures, levels=levels), whole


def load_notice_records(ws: Workspace, as_of: date) -> list[dict]:
    """Every notice of the ladder as of `as_of` (`Notice.as_json`: `sancha notices`), kept in the
    ledger for the day as `load_status` keeps its figures, until an event taking effect by then
    is recorded (issue 20: a city's 27,000 notice events and their reports read at every call)."""
    from pipeline.ledger.notices import load_notices

    if not ws.db_path.exists():
        refuse_if_lost(ws.db_path)
        return []
    with Ledger.open(ws.db_path) as ledger:
        def compute() -> dict:
            return {"notices": [n.as_json() for n in load_notices(ledger, ws.config, as_of)]}

        return ledger.kept_status(as_of, f"{figures_key(ws)}|notices", compute)["notices"]


def load_inspection_records(ws: Workspace, as_of: date) -> list[dict]:
    """`inspections.inspection_records` as of `as_of` (`sancha inspection list`), kept for the
    day like `load_notice_records`, and while the inspections registered stay as they are."""
    from pipeline.ledger.inspections import inspection_records, inspections_fingerprint

    if not ws.db_path.exists():
        refuse_if_lost(ws.db_path)  # none yet is fine; one lost is not
        return []
    with Ledger.open(ws.db_path) as ledger:
        key = f"{figures_key(ws)}|inspections|{inspections_fingerprint(ledger)}"
        return ledger.kept_status(as_of, key, lambda: {"inspections": inspection_records(ledger, ws.config, as_of)}
                                  )["inspections"]


def of_source(item: Item, source: str, extra: Iterable[tuple[str, tuple[str, ...]]] = ()) -> bool:
    """Whether the item is of `source` (report --source): its category is the source's, or,
    for a source no category knows, its 问题来源 is that text. An item registered before
    categories existed is categorised from its source as it is."""
    directory = sources_of(extra)
    wanted, known = directory.category(source)
    if not known:
        return (item.source or "") == source.strip()
    return (item.source_category or directory.category(item.source)[0]) == wanted


@dataclass(frozen=True)
class ItemShown:
    """One item for `sancha show`: as it stood on `as_of` with its state then (None before it
    was registered), as it is now, and every event of its life in replay order."""

    item_id: str
    as_of: date
    now: Item
    then: Item | None
    state: ItemState | None
    events: list[Event]


def load_item(ws: Workspace, item_id: str, as_of: date) -> ItemShown:
    """The item `item_id` for `sancha show`; Refused when the ledger has no such item."""
    found = None
    if ws.db_path.exists():
        with Ledger.open(ws.db_path) as ledger:
            now = ledger.item(item_id)
            if now is not None:
                then = item_on(ledger, ws.config, item_id, as_of)
                state = item_state(then, as_of, WorkCalendar.from_config(ws.config), ws.config.rules) if then else None
                found = ItemShown(item_id, as_of, now, then, state, ledger.events(item_id))
    if found is None:
        raise Refused(f"台帐中没有编号 {item_id}")
    return found
