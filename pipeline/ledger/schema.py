"""The ledger's schema: named migrations, applied in order and recorded in `migrations`.

A migration is SQL, and may have a Python step run after it in the same transaction (one that
needs the rows it moves, as 0003 does: the history table into events).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from pipeline.ledger import timeline
from pipeline.ledger.timeline import Event

if TYPE_CHECKING:
    from pipeline.ledger.ledger import Ledger

# Named migrations, applied in order and recorded in `migrations`.
SQL_MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_initial",
        """
        CREATE TABLE files (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL,
            name TEXT NOT NULL,            -- original file name
            source_path TEXT NOT NULL,     -- where it was found, relative to the workspace when inside it
            unit TEXT,                     -- canonical submitting unit, if known
            received_on TEXT NOT NULL,     -- the day the submission counts from
            processed_at TEXT NOT NULL,
            verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'rejected', 'duplicate')),
            duplicate_of INTEGER REFERENCES files(id),
            archive_path TEXT,             -- relative to data/archive
            added TEXT NOT NULL DEFAULT '[]',
            updated TEXT NOT NULL DEFAULT '[]',
            findings TEXT NOT NULL DEFAULT '[]',
            receipt_path TEXT,
            state TEXT NOT NULL CHECK (state IN ('recorded', 'done'))  -- 'recorded': receipt/cleanup pending
        );
        CREATE INDEX files_sha ON files(sha256);
        CREATE INDEX files_state ON files(state);

        CREATE TABLE items (
            id TEXT PRIMARY KEY,
            year INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            unit TEXT NOT NULL,
            co_units TEXT NOT NULL DEFAULT '[]',
            source TEXT,
            problem TEXT NOT NULL,
            problem_key TEXT NOT NULL,
            measures TEXT NOT NULL,
            deadline TEXT,
            deadline_text TEXT NOT NULL DEFAULT '',
            ongoing INTEGER NOT NULL DEFAULT 0,
            owner TEXT,
            progress TEXT,
            status TEXT,
            done_on TEXT,
            remark TEXT,
            created_on TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            closed_on TEXT,
            last_report_on TEXT,
            lookback_on TEXT,
            original_deadline TEXT,
            UNIQUE (year, seq)
        );
        CREATE INDEX items_unit_key ON items(unit, problem_key);

        CREATE TABLE history (
            id INTEGER PRIMARY KEY,
            item_id TEXT NOT NULL REFERENCES items(id),
            at TEXT NOT NULL,
            action TEXT NOT NULL,          -- add / update / report / close / reopen / lookback / extend
            field TEXT,
            old TEXT,
            new TEXT,
            file_id INTEGER REFERENCES files(id),
            note TEXT
        );
        CREATE INDEX history_item ON history(item_id);

        CREATE TABLE circulars (
            year INTEGER NOT NULL,
            week_key TEXT NOT NULL,
            number INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (year, week_key),
            UNIQUE (year, number)
        );

        CREATE TABLE snapshots (
            week_key TEXT PRIMARY KEY,
            as_of TEXT NOT NULL,
            figures TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """,
    ),
    (
        "0002_meta",
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    ),
]


EVENTS_SQL = """
CREATE TABLE events (
    id INTEGER PRIMARY KEY,        -- recording order
    item_id TEXT NOT NULL REFERENCES items(id),
    kind TEXT NOT NULL,            -- a kind declared in timeline.KINDS (register, report, change, extend, …)
    on_day TEXT NOT NULL,          -- the day it takes effect ("on")
    at TEXT NOT NULL,              -- when it was recorded
    file_id INTEGER REFERENCES files(id),  -- how: the file it came from,
    command TEXT,                  -- or the command that recorded it,
    operator TEXT,                 -- and who ran that command
    field TEXT,                    -- a change of one field:
    old TEXT,                      -- its value before (JSON)
    new TEXT,                      -- and after (JSON)
    note TEXT,
    data TEXT                      -- JSON: what the kind carries besides
);
CREATE INDEX events_item ON events(item_id, on_day, kind, field);  -- replays read their events from it alone
ALTER TABLE items ADD COLUMN voided_on TEXT;
ALTER TABLE items ADD COLUMN reopened_on TEXT;
ALTER TABLE items ADD COLUMN report_on TEXT;
ALTER TABLE items ADD COLUMN field_days TEXT NOT NULL DEFAULT '{}'
"""

# history.action → event kind, for the entries recorded before events (0003).
_HISTORY_KINDS = {"update": "change", "report": "report", "close": "close", "reopen": "reopen",
                  "lookback": "lookback", "extend": "extend"}


# Item columns added after 0003 (the item fields of issues 17 and 23), with their declarations.
# 0003's step reads and writes items as `Item` has them now, so it adds them all first; each
# migration that brings some (0005, 0007) adds those still missing.
LATER_ITEM_COLUMNS = {
    "inspection": "TEXT",  # the inspection's id
    "suggestion": "TEXT",  # 整改建议
    "target": "TEXT",  # 整改目标
    "leader": "TEXT",  # 责任领导
    "phone": "TEXT",  # 联系电话
    "milestones": "TEXT NOT NULL DEFAULT '[]'",  # [{"due", "text", "done_on"}]
    "source_category": "TEXT",  # 问题来源 as a category
    "evidence_text": "TEXT",  # 0007: 佐证材料 as the rows say it
    "evidence_count": "INTEGER NOT NULL DEFAULT 0",  # 0007: files received
    "upstream_id": "TEXT",  # 0008: the item's id at the level above
    "upstream": "TEXT",  # 0008: which level above that is
}


THREE_LISTS_COLUMNS = ("inspection", "suggestion", "target", "leader", "phone", "milestones", "source_category")


def add_item_columns(ledger: Ledger, names: tuple[str, ...] | None = None, *, index: bool = False) -> None:
    """Add those of `names` (default: every one of `LATER_ITEM_COLUMNS`) the items table lacks
    (and, for 0005, the inspection index)."""
    conn = ledger.conn
    have = {r[1] for r in conn.execute("PRAGMA table_info(items)")}
    for name in names or tuple(LATER_ITEM_COLUMNS):
        if name not in have:
            conn.execute(f"ALTER TABLE items ADD COLUMN {name} {LATER_ITEM_COLUMNS[name]}")
    if index:
        conn.execute("CREATE INDEX IF NOT EXISTS items_inspection ON items(inspection)")


def history_into_events(ledger: Ledger) -> None:
    """0003: every history entry becomes an event (its id kept in `data.history_id`), every
    item gets its register, then every item is projected from its events again. The history
    table stays as it was, no longer written."""
    add_item_columns(ledger)  # today's code reads and writes every item column
    conn = ledger.conn
    received = {file_id: date.fromisoformat(day) for file_id, day in conn.execute("SELECT id, received_on FROM files")}
    entries: dict[str, list[tuple]] = {}
    for row in conn.execute("SELECT id, item_id, at, action, field, old, new, file_id, note FROM history ORDER BY id"):
        entries.setdefault(row[1], []).append(row)
    items = ledger.items()
    ledger.append_events(e for item in items for e in _migrated(item, entries.get(item.id, []), received))
    ledger.reproject([i.id for i in items])


def _history_value(field: str | None, text: str | None):
    """A value as history wrote it (dates ISO, co_units JSON, booleans "1"/"0", else text)."""
    if text is None:
        return () if field == "co_units" else None
    if field == "co_units":
        return tuple(json.loads(text))
    if field == "ongoing":
        return text == "1"
    return timeline.typed(field, text) if field in timeline.DATE_FIELDS else text


def _migrated(item, rows: list[tuple], received: dict[int, date]) -> list[Event]:
    """The events of one item from its history entries (in the order recorded)."""
    first = {name: getattr(item, name) for name in timeline.REGISTER_FIELDS}
    for _, _, _, _, field, old, _, _, _ in reversed(rows):  # undo every change, newest first
        if field in first:
            first[field] = _history_value(field, old)
    add = next((r for r in rows if r[3] == "add"), None)
    if add is not None and add[7] is not None:
        first["last_report_on"] = item.created_on  # a file's new row: that file reported it
    events = [Event(item.id, "register", item.created_on, add[2] if add else item.updated_at,
                    file_id=add[7] if add else None,
                    data={**timeline.register_data(first), **({"history_id": add[0]} if add else {})})]
    last_on: dict[str | None, date] = {}
    rest = [r for r in rows if r[3] != "add"]
    i = 0
    while i < len(rest):
        hid, _, at, action, field, old, new, file_id, note = rest[i]
        group = [rest[i]]
        if action == "extend":  # one extension was recorded as several fields at the same time
            while i + len(group) < len(rest) and rest[i + len(group)][3] == "extend" and rest[i + len(group)][2] == at:
                group.append(rest[i + len(group)])
        i += len(group)
        if file_id is not None and file_id in received:
            day = received[file_id]
        elif action in ("close", "lookback") and new:
            day = date.fromisoformat(new)
        else:
            day = date.fromisoformat(at[:10])
        day = max(day, item.created_on, last_on.get(field, item.created_on))  # a field's changes stay in order
        last_on[field] = day
        kind = _HISTORY_KINDS.get(action, "change")
        data: dict = {"history_id": hid}
        if kind == "extend":
            by_field = {r[4]: r for r in group}
            deadline = by_field.get("deadline", group[0])
            field, old, new = "deadline", deadline[5], deadline[6]
            if "deadline_text" in by_field:
                data["deadline_text"] = by_field["deadline_text"][6]
            data["history_ids"] = [r[0] for r in group]
        elif kind in ("reopen", "lookback"):
            data["legacy"] = True
        if kind in ("change", "extend"):
            events.append(Event(item.id, kind, day, at, file_id=file_id, field=field, old=_history_value(field, old),
                                new=_history_value(field, new), note=note, data=data))
        else:
            events.append(Event(item.id, kind, day, at, file_id=file_id, note=note, data=data))
        following = rest[i] if i < len(rest) else None
        if action == "update" and file_id is not None and (following is None or following[7] != file_id):
            # history wrote a 'report' only for a file that changed nothing: one that changed
            # fields reported the item too
            events.append(Event(item.id, "report", day, at, file_id=file_id, data={"implied": True}))
    return events


def upstream(ledger: Ledger) -> None:
    """0008: the items' upstream_id and upstream columns (unless there already) and their index."""
    add_item_columns(ledger, ("upstream_id", "upstream"))
    ledger.conn.execute("CREATE INDEX IF NOT EXISTS items_upstream ON items(upstream, upstream_id)")


def evidence(ledger: Ledger) -> None:
    """0007: the item columns of 佐证材料, and the files journal's verdict 'evidence'."""
    add_item_columns(ledger, ("evidence_text", "evidence_count"))
    evidence_verdict(ledger)


def evidence_verdict(ledger: Ledger) -> None:
    """0007: the files journal takes the verdict 'evidence' (a 佐证材料 file attached to an item).
    The CHECK of 0001 is widened in place, as SQLite documents for loosening a constraint
    (writable_schema, then a new schema version): every stored row satisfies the wider check,
    and no table is rebuilt (the events refer to the files by id)."""
    conn = ledger.conn
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'files'").fetchone()
    old = "CHECK (verdict IN ('accepted', 'rejected', 'duplicate'))"
    if old not in sql:
        return  # widened already
    version = conn.execute("PRAGMA schema_version").fetchone()[0]
    conn.execute("PRAGMA writable_schema = ON")
    try:
        conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'files'",
                     (sql.replace(old, "CHECK (verdict IN ('accepted', 'rejected', 'duplicate', 'evidence'))"),))
        conn.execute(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        conn.execute("PRAGMA writable_schema = OFF")


EVIDENCE_SQL = "CREATE INDEX events_evidence ON events(item_id, id) WHERE kind = 'evidence'"

# 0009 (issue 20): storage that fits a city's ledger of 200,000 items and 2,000,000 events.
# - items(unit, problem_key) is indexed by a 64-bit hash of the key (`key_hash`, written with
#   every item; the long keys made the index large and every insert into it slow); the merge
#   looks items up by the hash and still compares the keys themselves.
# - events(on_day, item_id): the last event's day and the items changed after a day (every
#   past day's standing) without scanning the whole table; the week's notices by their week.
# - day_figures: the figures of the trend's past days, kept while no event taking effect by
#   that day is recorded (Ledger.day_figures).
# - ANALYZE, so that SQLite's planner knows the tables' sizes (`Ledger.refresh_statistics`, again
#   after every ingest when the ledger has grown twofold).
SPEED_SQL = """
ALTER TABLE items ADD COLUMN key_hash INTEGER;
DROP INDEX IF EXISTS items_unit_key;
CREATE INDEX events_day ON events(on_day, item_id);
CREATE INDEX events_notice_week ON events(json_extract(data, '$.week')) WHERE kind = 'notice';
CREATE TABLE day_figures (
    day TEXT PRIMARY KEY,          -- a past day of the dashboard's trend
    key TEXT NOT NULL,             -- what else they depend on: version, rules, sancha.toml's hash
    after_event INTEGER NOT NULL,  -- the last event recorded when they were computed
    figures TEXT NOT NULL          -- JSON, as a weekly snapshot stores them
)
"""


def hash_problem_keys(ledger: Ledger) -> None:
    """0009: every item's `key_hash`, then its index, then the statistics (if it is large)."""
    from pipeline.ledger.ledger import key_hash

    conn = ledger.conn
    rows = conn.execute("SELECT id, problem_key FROM items").fetchall()
    conn.executemany("UPDATE items SET key_hash = ? WHERE id = ?", ((key_hash(k), i) for i, k in rows))
    conn.execute("CREATE INDEX items_unit_hash ON items(unit, key_hash)")
    from pipeline.ledger.ledger import STATS_MIN_ITEMS

    ledger.refresh_statistics(force=len(rows) >= STATS_MIN_ITEMS)  # the new indexes' statistics too


# (name, SQL, a Python step run after the SQL in the same transaction, or None)
MIGRATIONS: list[tuple[str, str, Callable[[Ledger], None] | None]] = [
    *((name, sql, None) for name, sql in SQL_MIGRATIONS),
    ("0003_events", EVENTS_SQL, history_into_events),
    (
        # Document numbers in yearly series (ledger/issued.py), and every document sancha wrote with
        # its hash, so an issued document is never replaced behind the office's back. The circulars'
        # numbers move over: each was both the 发文字号's number and the 期.
        "0004_issued_documents",
        """
        CREATE TABLE doc_numbers (
            series TEXT NOT NULL,          -- doc 发文字号 / issue 通报期数 / notice 督办 number
            year INTEGER NOT NULL,
            number INTEGER NOT NULL,
            key TEXT NOT NULL,             -- its holder: circular 2026-W49, notice 2026-W49 <unit>, …
            taken_at TEXT NOT NULL,
            PRIMARY KEY (series, year, key),
            UNIQUE (series, year, number)
        );
        INSERT INTO doc_numbers SELECT 'doc', year, number, 'circular ' || week_key, created_at FROM circulars;
        INSERT INTO doc_numbers SELECT 'issue', year, number, 'circular ' || week_key, created_at FROM circulars;
        DROP TABLE circulars;

        CREATE TABLE issued_documents (
            path TEXT PRIMARY KEY,         -- relative to the workspace, with /
            kind TEXT NOT NULL,            -- circular / notice / report / report-feedback
            key TEXT NOT NULL,
            doc_number TEXT NOT NULL,      -- empty for a preview (a future --as-of takes no number)
            sha256 TEXT NOT NULL,          -- of the bytes written
            as_of TEXT NOT NULL,
            written_at TEXT NOT NULL       -- local time, ISO
        );
        """,
        None,
    ),
    (
        # Issue 17: the three lists complete (the items' new fields) and the inspections (三查)
        # with their report deadlines; ledger/inspections.py reads and writes them.
        "0005_inspections",
        """
        CREATE TABLE inspections (
            id TEXT PRIMARY KEY,           -- JC2026-01: the year it started and its number in it
            kind TEXT NOT NULL,            -- 巡查 / 督查 / 考察 / 第三方评估 / 审计 / 其他
            form TEXT,                     -- 督查 only: 现场督办 / 跟踪督查 / 调研督查 / 专项督查 / 回访复核
            name TEXT NOT NULL UNIQUE,     -- 检查名称
            leader TEXT,                   -- 带队领导
            grp TEXT,                      -- 检查组
            start_on TEXT NOT NULL,
            end_on TEXT NOT NULL,
            units TEXT NOT NULL DEFAULT '[]',   -- the units inspected
            aliases TEXT NOT NULL DEFAULT '[]', -- other names files use for it
            report_on TEXT,                -- the day the group's report was received
            report_file TEXT,              -- its archive copy, relative to data/archive
            created_at TEXT NOT NULL,
            operator TEXT
        );
        """,
        lambda ledger: add_item_columns(ledger, THREE_LISTS_COLUMNS, index=True),
    ),
    # 佐证材料 (issue 23): the 佐证材料 column's text and the count of files received on every item,
    # the evidence events found fast, and the files journal's verdict 'evidence'.
    ("0007_evidence", EVIDENCE_SQL, evidence),
    (
        # 两级联动 (issue 21): an item's id at the level above (the district's for a township's
        # item, the city's number for a task from its list) and which level that is; the figures
        # a township running sancha reported with its last upstream export (the roll-up).
        "0008_upstream",
        """
        CREATE TABLE level_reports (
            file_id INTEGER PRIMARY KEY,   -- the upstream export it came with (files journal)
            unit TEXT NOT NULL,            -- the township, a unit of this ledger
            reported_on TEXT NOT NULL,     -- the day the township's figures are as of
            figures TEXT NOT NULL          -- JSON: items, done, overdue, rate, states
        );
        CREATE INDEX level_reports_unit ON level_reports(unit, reported_on);
        """,
        upstream,
    ),
    ("0009_speed", SPEED_SQL, hash_problem_keys),
    (
        # Issue 18: the units a circular commended and criticised, as it printed them (JSON
        # {"commended": [...], "criticised": [...]}; NULL for other documents and for circulars
        # written before): what `sancha score` counts for it, without recomputing its standing.
        "0012_ladder2",
        "ALTER TABLE issued_documents ADD COLUMN verdict TEXT;",
        None,
    ),
    # Issue 19: who registered an inspection group's report and when (the web desk's 报告收到 and
    # `sancha inspection report`), as the inspection's creation already records.
    ("0014_inspection_report_by",
     "ALTER TABLE inspections ADD COLUMN report_operator TEXT; ALTER TABLE inspections ADD COLUMN report_at TEXT;",
     None),
    # Issue 20: what `sancha status` shows of a day, kept while no event taking effect by that
    # day is recorded (Ledger.kept_status); a few days' worth, the oldest dropped.
    ("0015_status_cache", """
        CREATE TABLE status_cache (
            day TEXT NOT NULL,             -- the as-of day
            key TEXT NOT NULL,             -- version, rules, sancha.toml's hash, the unit asked for
            after_event INTEGER NOT NULL,  -- the last event recorded when it was computed
            made TEXT NOT NULL,            -- local time, ISO
            data TEXT NOT NULL,            -- JSON: StatusFigures.to_data
            PRIMARY KEY (day, key)
        );
        """, None),
]
