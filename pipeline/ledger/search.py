"""Read queries over the ledger for pages that show a slice of it: items found by text, id and
filters, sorted and paged; files received, newest first. Nothing here writes.

The SQL does what SQL does cheaply (text, unit, source, sorting by stored columns, LIMIT/OFFSET),
so the first page of 50,000 items costs a few milliseconds. Filters on an item's *state* (逾期,
未按时报送, …) need the states of every candidate; the caller passes them in (`states`, e.g. a
cache kept by the web desk) and the ids are filtered and sorted in Python, the page's items read
afterwards. The state rules stay in `deadlines/states.py`; nothing here repeats them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from pipeline.ledger.ledger import ITEM_COLUMNS, FileRecord, Ledger, item_from_row
from pipeline.model import SOURCE_CATEGORIES, STATE_OVERDUE, Item, ItemState

LEVEL_OWN, LEVEL_ABOVE = "own", "above"  # ItemQuery.level
NO_SOURCE = "未填"  # the source filter's value for items without 问题来源 (as the dashboard says)
PER_PAGE = 50
MAX_PER_PAGE = 200

# Sort keys: name -> SQL ORDER BY (ascending); "overdue" needs states and is sorted in Python.
SORTS = {
    "id": "year, seq",
    "unit": "unit, year, seq",
    "deadline": "deadline IS NULL, deadline, year, seq",
    "updated": "updated_at, year, seq",
    "created": "created_on, year, seq",
}
STATE_SORTS = ("overdue",)

_AWAITING_CLOSE = "(status = '已完成' AND closed_on IS NULL)"
_ID = re.compile(r"^(\d{4})-(\d{1,6})$")


@dataclass(frozen=True)
class ItemQuery:
    """What the 台帐 page asks for. Every field is optional; empty means no filter."""

    text: str = ""  # words of 整改问题/措施/进展/责任人/备注, or an id (2026-7 = 2026-0007)
    unit: str | None = None
    source: str | None = None  # NO_SOURCE for items without one
    category: str | None = None  # 问题来源类别 (model.SOURCE_CATEGORIES); NO_SOURCE for items without one
    inspection: str | None = None  # the inspection's id (JC2026-01): the items it found
    level: str | None = None  # LEVEL_OWN: this level's own items; LEVEL_ABOVE: those with a 上级编号
    states: frozenset[str] = frozenset()  # any of these item states (model.ITEM_STATES)
    overdue: bool = False  # 逾期 only
    report_missing: bool = False  # 未按时报送 only
    key_supervision: bool = False  # 重点督查 only
    awaiting_close: bool = False  # reported 已完成, not closed (销号) yet
    sort: str = "id"
    descending: bool = False
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def needs_states(self) -> bool:
        return bool(self.states or self.overdue or self.report_missing or self.key_supervision
                    or self.sort in STATE_SORTS)


@dataclass(frozen=True)
class ItemPage:
    items: list[Item]
    total: int  # items matching, on every page
    page: int  # 1-based, clamped to the last page
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_TEXT_COLUMNS = ("id", "problem", "measures", "progress", "owner", "remark", "deadline_text")


def _where(q: ItemQuery) -> tuple[str, list]:
    clauses, args = [], []
    for term in q.text.split():
        m = _ID.match(term)
        if m:  # an id as people type it: 2026-7, 2026-0007
            clauses.append("(id = ? OR id LIKE ? ESCAPE '\\')")
            args += [f"{m.group(1)}-{int(m.group(2)):04d}", _like(term)]
            continue
        clauses.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in _TEXT_COLUMNS) + ")")
        args += [_like(term)] * len(_TEXT_COLUMNS)
    if q.awaiting_close:
        clauses.append(_AWAITING_CLOSE)
    # a column equal to the value; NO_SOURCE stands for blank in the two source columns
    for column, value in (("unit", q.unit), ("inspection", q.inspection), ("source", q.source),
                          ("source_category", q.category)):
        if value == NO_SOURCE and column.startswith("source"):
            clauses.append(f"({column} IS NULL OR {column} = '')")
        elif value:
            clauses.append(f"{column} = ?")
            args.append(value)
    if q.level == LEVEL_OWN:
        clauses.append("(upstream_id IS NULL OR upstream_id = '')")
    elif q.level == LEVEL_ABOVE:
        clauses.append("(upstream_id IS NOT NULL AND upstream_id <> '')")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def _order(q: ItemQuery) -> str:
    order = SORTS.get(q.sort, SORTS["id"])
    if q.descending:
        order = ", ".join(f"{part} DESC" for part in order.split(", "))
    return order


def _state_matches(q: ItemQuery, st: ItemState) -> bool:
    if q.states and st.state not in q.states:
        return False
    if q.overdue and st.state != STATE_OVERDUE:
        return False
    if q.key_supervision and not st.key_supervision:
        return False
    return not (q.report_missing and not st.report_missing)


def search_items(ledger: Ledger, q: ItemQuery,
                 states: Callable[[], Mapping[str, ItemState]] | None = None) -> ItemPage:
    """One page of the items matching `q`. `states` (called only when the query filters or sorts
    by state) gives every item's state as of the page's day."""
    per_page = max(1, min(q.per_page, MAX_PER_PAGE))
    where, args = _where(q)
    select = "SELECT " + ", ".join(ITEM_COLUMNS) + " FROM items"
    if (not q.needs_states or states is None) and q.text.split():
        # words to look for: one scan for the matching ids, in order (counting them and then
        # reading a page scanned every text twice: 0.8 s at 200,000 items), then the page by id
        ids = [r[0] for r in ledger.conn.execute(f"SELECT id FROM items{where} ORDER BY {_order(q)}", args)]
        page = _clamp(q.page, len(ids), per_page)
        chosen = ids[(page - 1) * per_page: page * per_page]
        found = ledger.items_by_id(chosen)
        return ItemPage([found[i] for i in chosen if i in found], len(ids), page, per_page)
    if not q.needs_states or states is None:
        total = ledger.conn.execute("SELECT COUNT(*) FROM items" + where, args).fetchone()[0]
        page = _clamp(q.page, total, per_page)
        rows = ledger.conn.execute(f"{select}{where} ORDER BY {_order(q)} LIMIT ? OFFSET ?",
                                   [*args, per_page, (page - 1) * per_page])
        return ItemPage([item_from_row(r) for r in rows], total, page, per_page)

    by_state = states()
    ids = [r[0] for r in ledger.conn.execute(f"SELECT id FROM items{where} ORDER BY {_order(q)}", args)]
    ids = [i for i in ids if i in by_state and _state_matches(q, by_state[i])]
    if q.sort == "overdue":  # most working days overdue first (stable: the id order breaks ties)
        ids.sort(key=lambda i: by_state[i].overdue_workdays, reverse=not q.descending)
    page = _clamp(q.page, len(ids), per_page)
    chosen = ids[(page - 1) * per_page: page * per_page]
    found = ledger.items_by_id(chosen)
    return ItemPage([found[i] for i in chosen if i in found], len(ids), page, per_page)


def _clamp(page: int, total: int, per_page: int) -> int:
    return max(1, min(page, max(1, -(-total // per_page))))


def sources(ledger: Ledger) -> list[str]:
    """The 问题来源 values in the ledger (NO_SOURCE for items without one), for a filter list."""
    rows = ledger.conn.execute("SELECT DISTINCT COALESCE(NULLIF(source, ''), ?) FROM items", (NO_SOURCE,))
    return sorted(r[0] for r in rows)


def categories(ledger: Ledger) -> list[str]:
    """The 问题来源类别 values in the ledger (NO_SOURCE for items without one), in the catalogue's order."""
    found = {r[0] for r in ledger.conn.execute(
        "SELECT DISTINCT COALESCE(NULLIF(source_category, ''), ?) FROM items", (NO_SOURCE,))}
    order = {c: n for n, c in enumerate((*SOURCE_CATEGORIES, NO_SOURCE))}
    return sorted(found, key=lambda c: (order.get(c, len(order)), c))


def awaiting_close(ledger: Ledger, limit: int = 200) -> tuple[int, list[Item]]:
    """Items a unit reported 已完成 that the office has not closed (销号) yet: how many, and the
    oldest reports first."""
    where = " WHERE " + _AWAITING_CLOSE
    total = ledger.conn.execute("SELECT COUNT(*) FROM items" + where).fetchone()[0]
    rows = ledger.conn.execute("SELECT " + ", ".join(ITEM_COLUMNS) + " FROM items" + where +
                               " ORDER BY COALESCE(done_on, last_report_on, created_on), year, seq LIMIT ?", (limit,))
    return total, [item_from_row(r) for r in rows]


# -- files -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FileQuery:
    unit: str | None = None
    verdict: str | None = None  # accepted / rejected / duplicate
    since: date | None = None  # received on or after
    text: str = ""  # part of the file name
    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class FilePage:
    files: list[FileRecord] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_files(ledger: Ledger, q: FileQuery) -> FilePage:
    """Files received, newest first."""
    clauses, args = [], []
    if q.unit:
        clauses.append("unit = ?")
        args.append(q.unit)
    if q.verdict:
        clauses.append("verdict = ?")
        args.append(q.verdict)
    if q.since:
        clauses.append("received_on >= ?")
        args.append(q.since.isoformat())
    if q.text.strip():
        clauses.append("name LIKE ? ESCAPE '\\'")
        args.append(_like(q.text.strip()))
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    per_page = max(1, min(q.per_page, MAX_PER_PAGE))
    total = ledger.conn.execute("SELECT COUNT(*) FROM files" + where, args).fetchone()[0]
    page = _clamp(q.page, total, per_page)
    rows = ledger.conn.execute(f"SELECT {Ledger._FILE_COLS} FROM files{where} ORDER BY id DESC LIMIT ? OFFSET ?",
                               [*args, per_page, (page - 1) * per_page])
    return FilePage([ledger._file(r) for r in rows], total, page, per_page)


def file_record(ledger: Ledger, file_id: int) -> FileRecord | None:
    r = ledger.conn.execute(f"SELECT {Ledger._FILE_COLS} FROM files WHERE id = ?", (file_id,)).fetchone()
    return ledger._file(r) if r else None


def files_touching(ledger: Ledger, item_id: str) -> list[FileRecord]:
    """The files whose rows added, updated or reported this item (from its events), oldest first."""
    rows = ledger.conn.execute(
        f"SELECT {Ledger._FILE_COLS} FROM files WHERE id IN "
        "(SELECT DISTINCT file_id FROM events WHERE item_id = ? AND file_id IS NOT NULL) ORDER BY id", (item_id,))
    return [ledger._file(r) for r in rows]
