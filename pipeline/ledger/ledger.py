"""The ledger (三单工作台帐) in SQLite: items and their events, the files journal, weekly
circular numbers and snapshots. WAL mode; every change happens inside one transaction.

The shell around the functional core: it loads plain `Item`s and `Event`s for the core and
stores what the core decides. Every change to an item is appended to `events`; the `items`
table is their projection (`timeline.replay` of each item's events), written in the same
transaction — by the caller from a plan (ingest), or by `reproject` from the events.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from pipeline.errors import LedgerLost, Refused
from pipeline.ledger import timeline
from pipeline.ledger.schema import MIGRATIONS
from pipeline.ledger.timeline import Event
from pipeline.model import ITEM_FIELDS, Item, new_item, problem_key, split_id

ITEM_COLUMNS = ITEM_FIELDS  # a column per field, in the same order
_DATE_COLUMNS = frozenset(timeline.DATE_FIELDS)


def now_iso() -> str:
    return datetime.now().isoformat(timespec="seconds")


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


@lru_cache(maxsize=4096)
def _units_from(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text)) if text != "[]" else ()


log = logging.getLogger("sancha.ledger")

BUSY_TIMEOUT_MS = 60_000  # what a reader or writer waits for another writer
STATS_MIN_ITEMS = 1000  # smaller ledgers are read whole in milliseconds whatever the plan
ANALYSIS_LIMIT = 2000  # rows ANALYZE samples per index: enough for the planner, milliseconds


def key_hash(key: str) -> int:
    """A problem key's 64-bit hash (signed, as SQLite stores integers): what items(unit,
    key_hash) indexes instead of the long key itself (migration 0009_speed)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def item_from_row(r: sqlite3.Row | tuple) -> Item:
    """An items row (ITEM_COLUMNS) as an Item: one call per column kind, nothing generic (a
    reader of 50,000 items calls it 50,000 times)."""
    (id_, unit, co_units, source, problem, measures, deadline, deadline_text, ongoing, owner, progress, status,
     done_on, remark, created_on, updated_at, closed_on, last_report_on, lookback_on, original_deadline,
     voided_on, reopened_on, report_on, field_days, inspection, suggestion, target, leader, phone, milestones,
     source_category, evidence_text, evidence_count, upstream_id, upstream) = r
    d = date.fromisoformat
    return new_item(
        id_, unit, _units_from(co_units), source, problem, measures, deadline and d(deadline), deadline_text,
        bool(ongoing), owner, progress, status, done_on and d(done_on), remark, d(created_on), updated_at,
        closed_on and d(closed_on), last_report_on and d(last_report_on), lookback_on and d(lookback_on),
        original_deadline and d(original_deadline), voided_on and d(voided_on), reopened_on and d(reopened_on),
        report_on and d(report_on), field_days, inspection, suggestion, target, leader, phone,
        _milestones_from(milestones), source_category, evidence_text, evidence_count, upstream_id, upstream,
    )


@lru_cache(maxsize=1024)
def _milestones_from(text: str) -> tuple:
    return timeline.typed("milestones", json.loads(text)) if text != "[]" else ()


_json_text = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(…, ensure_ascii=False), one encoder


@lru_cache(maxsize=4096)
def _units_json(units: tuple[str, ...]) -> str:
    return _json_text(list(units))  # the same few lists of co-units, again and again


def item_values(item: Item) -> tuple:
    """Column values of an item, in ITEM_COLUMNS order (dates as ISO text)."""
    return (
        item.id, item.unit, _units_json(item.co_units), item.source, item.problem, item.measures,
        _iso(item.deadline), item.deadline_text, int(item.ongoing), item.owner, item.progress, item.status,
        _iso(item.done_on), item.remark, _iso(item.created_on), item.updated_at, _iso(item.closed_on),
        _iso(item.last_report_on), _iso(item.lookback_on), _iso(item.original_deadline), _iso(item.voided_on),
        _iso(item.reopened_on), _iso(item.report_on), item.field_days, item.inspection, item.suggestion, item.target,
        item.leader, item.phone, _json_text(timeline.plain(item.milestones)) if item.milestones else "[]",
        item.source_category, item.evidence_text, item.evidence_count, item.upstream_id, item.upstream,
    )


def _register_json() -> str:
    """SQL building a register event's data (timeline.REGISTER_FIELDS) from an items row."""
    parts = []
    for name in timeline.REGISTER_FIELDS:
        if name in ("co_units", "milestones"):
            value = f"json({name})"
        elif name == "ongoing":
            value = "json(CASE WHEN ongoing THEN 'true' ELSE 'false' END)"
        else:
            value = name
        parts.append(f"'{name}', {value}")
    return "json_object(" + ", ".join(parts) + ")"


_REGISTER_SQL = (
    "INSERT INTO events (item_id, kind, on_day, at, file_id, command, operator, data) "
    f"SELECT id, 'register', created_on, updated_at, ?, ?, ?, {_register_json()} FROM items "
    "WHERE rowid > ? ORDER BY rowid"
)
_EVENT_COLUMNS = "item_id, kind, on_day, at, file_id, command, operator, field, old, new, note, data"


def event_values(e: Event) -> tuple:
    return (e.item_id, e.kind, e.on.isoformat(), e.at, e.file_id, e.command, e.operator, e.field,
            timeline.encode(e.old), timeline.encode(e.new), e.note, timeline.encode_data(e.data))


def event_from_row(r: tuple) -> Event:
    (id_, item_id, kind, on_day, at, file_id, command, operator, field, old, new, note, data, source) = r
    return Event(item_id, kind, date.fromisoformat(on_day), at, file_id, command, operator, field,
                 timeline.decode(field, old), timeline.decode(field, new), note, timeline.decode_data(data),
                 id_, source)


def _outcome(added: list[str], updated: list[str], findings: list[dict]) -> tuple[str, str, str]:
    return json.dumps(added), json.dumps(updated), json.dumps(findings, ensure_ascii=False)


@dataclass(frozen=True)
class FileRecord:
    id: int
    sha256: str
    name: str
    source_path: str
    unit: str | None
    received_on: date
    processed_at: str
    verdict: str
    duplicate_of: int | None
    archive_path: str | None
    added: list[str]
    updated: list[str]
    findings: list[dict]
    receipt_path: str | None
    state: str


class LedgerError(Refused):
    """A ledger operation the user asked for cannot be done (unknown id, wrong state)."""


def _set_wal(conn: sqlite3.Connection, seconds: float = 60.0) -> None:
    """WAL mode. Two processes creating the database at once (two `sancha ingest`) make the
    loser's switch fail with "database is locked" at once, without waiting for the busy
    timeout, so it is retried here. Once the file is in WAL mode, the switch is a no-op."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


BACKUPS = "backups"  # data/backups/: where `sancha backup` puts its copies by default


def earlier_ledger(data: Path) -> str | None:
    """What in data/ shows that a ledger was kept here before (a file archived, a backup made),
    in words; None for a workspace that never had one. (Not a write-ahead log: another process
    creating the ledger at this moment has one before its tables are committed.)"""
    for _, folders, files in os.walk(data / "archive"):
        folders[:] = [f for f in folders if not f.startswith(".")]
        if any(not f.startswith(".") for f in files):
            return "data/archive/ 中已归档的文件"
    if latest_backup(data):
        return "data/backups/ 中的备份"
    return None


def latest_backup(data: Path) -> Path | None:
    try:
        found = sorted((p for p in (data / BACKUPS).iterdir() if p.suffix == ".sqlite"),
                       key=lambda p: p.stat().st_mtime)
    except OSError:
        return None
    return found[-1] if found else None


def lost_message(path: Path, what: str) -> str:
    """The Chinese message of a lost ledger: what is wrong, and what to restore."""
    backup = latest_backup(path.parent)
    source = f"最近的备份 {backup}" if backup else "最近的备份（sancha backup 生成的 .sqlite 文件）"
    return (f"台帐数据库 {path} {what}。为免发文编号、回执编号和事项编号重复使用，sancha 不会另建新台帐。"
            f"请停止所有 sancha 程序，把{source}复制为 {path.name} 放回 {path.parent}，再重新运行")


def refuse_if_lost(path: Path) -> None:
    """`LedgerLost` when the ledger at `path` is missing or empty but data/ shows there was one."""
    evidence = earlier_ledger(path.parent)
    if evidence is not None:
        raise LedgerLost(lost_message(path, f"不存在或为空，但 {evidence}表明此前已有台帐"))


def _has_schema(path: Path) -> bool:
    """Whether the SQLite file at `path` holds the ledger's tables (read only: nothing changes)."""
    probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
    try:
        return probe.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'migrations'").fetchone()[0] > 0
    finally:
        probe.close()


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=60, isolation_level=None, check_same_thread=False)
    _set_wal(conn)
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA cache_size=-32768")  # 32 MB of pages (default 2 MB): a batch re-reads the same index pages
    conn.execute("PRAGMA temp_store=MEMORY")  # savepoints' journals (ingest: a file each) need no temp files
    conn.execute("PRAGMA wal_autocheckpoint=8192")  # pages; hot index pages are copied back once, not 8 times
    return conn


class Ledger:
    """A connection to the ledger database. Use as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None = None):
        self.conn = conn
        self.path = path
        self._has_key_hash: bool | None = None

    @classmethod
    def open(cls, path: Path | str) -> Ledger:
        """The ledger at `path`, made if there is none yet — unless data/ shows there was one
        (`LedgerLost`, exit 2: restore it from a backup). An unreadable file is `LedgerLost` too."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if not path.exists() or path.stat().st_size == 0 or not _has_schema(path):
                refuse_if_lost(path)  # new, or an SQLite file without its tables: as good as missing
            ledger = cls(_connect(path), path)
            ledger._migrate()
        except sqlite3.DatabaseError as e:
            if isinstance(e, sqlite3.OperationalError):  # locked, disk full, no permission: not damage
                raise
            raise LedgerLost(lost_message(path, f"已损坏，无法读取（{e}）")) from None
        return ledger

    def backup(self, dest: Path) -> None:
        """A consistent copy of the ledger at `dest`, taken while other processes go on writing
        (SQLite's online backup: one read transaction, a snapshot of one moment), checked, in
        rollback-journal mode (one self-contained file), written under a temporary name and
        renamed into place."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp")
        tmp.unlink(missing_ok=True)
        target = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            self.conn.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
            check = target.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise LedgerError(f"备份副本检查未通过：{check}")
        except BaseException:
            target.close()
            tmp.unlink(missing_ok=True)
            raise
        target.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------
    def _migrate(self) -> None:
        if self._migrated():
            return  # the usual case: opened without taking the write lock (an ingest may hold it)
        with self.transaction():
            self.conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            done = {r[0] for r in self.conn.execute("SELECT name FROM migrations")}
            for name, sql, step in MIGRATIONS:
                if name in done:
                    continue
                for statement in sql.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                self._has_key_hash = None  # a migration may add it
                if step is not None:
                    step(self)
                self.conn.execute("INSERT INTO migrations VALUES (?, ?)", (name, now_iso()))

    def refresh_statistics(self, force: bool = False) -> bool:
        """ANALYZE (sampled: `analysis_limit`) when there are no statistics yet for a ledger of
        STATS_MIN_ITEMS items or more, or the items have grown or shrunk twofold since: the
        planner then knows a city's ledger from a new one. Milliseconds; whether it ran."""
        count = self.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        try:
            row = self.conn.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'items' LIMIT 1").fetchone()
        except sqlite3.OperationalError:  # no statistics table before the first ANALYZE
            row = None
        known = int(row[0].split()[0]) if row else 0
        due = force or (count >= STATS_MIN_ITEMS and not (known / 2 <= count <= known * 2))
        if due:
            self.conn.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
            try:
                self.conn.execute("ANALYZE")
            except sqlite3.OperationalError as e:  # another writer held on past the busy timeout: next time
                log.warning("ANALYZE skipped: %s", e)
                return False
        return due

    def _hashed(self) -> bool:
        """Whether items has its key_hash column (0009_speed applied, or applying)."""
        if self._has_key_hash is None:
            self._has_key_hash = any(r[1] == "key_hash" for r in self.conn.execute("PRAGMA table_info(items)"))
        return self._has_key_hash

    def _migrated(self) -> bool:
        try:
            done = {r[0] for r in self.conn.execute("SELECT name FROM migrations")}
        except sqlite3.OperationalError:  # a new database: no migrations table yet
            return False
        return all(name in done for name, _, _ in MIGRATIONS)

    @contextmanager
    def transaction(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT; rolled back on any exception.

        `durable=False`: the commit is atomic and survives a crash of this process, but is not
        fsynced (WAL with synchronous=NORMAL): a power cut may take it back, never half of it,
        and never a later commit without the earlier ones. `sync()` makes it durable."""
        if not durable:
            self.conn.execute("PRAGMA synchronous=NORMAL")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.rollback()
                raise
            self.conn.execute("COMMIT")
        finally:
            if not durable:
                self.conn.execute("PRAGMA synchronous=FULL")

    # A group of changes, each all or nothing, committed together: `begin()`, a `savepoint()` for
    # each, `commit()`. SQLite calls a savepoint a nested transaction; one that fails is rolled
    # back to its start and the others stay. Used by ingest: a file per savepoint, a group of
    # files per commit, so the pages they share are written to the log once, not once per file.
    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        """Commit what `begin()` started, durably (the log is fsynced: synchronous=FULL)."""
        self._note_synced()
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        """Roll the open transaction back, if SQLite has not already (it does itself on some
        errors, a full disk among them)."""
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    @contextmanager
    def savepoint(self) -> Iterator[sqlite3.Connection]:
        """All or nothing inside the open transaction: released into it, or on any exception
        rolled back to where it started (the transaction's earlier changes stay)."""
        self.conn.execute("SAVEPOINT change")
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK TO change")
                self.conn.execute("RELEASE change")
            raise
        self.conn.execute("RELEASE change")

    def sync(self) -> None:
        """Make every commit so far durable, this connection's and other processes' alike: one
        commit with synchronous=FULL fsyncs the write-ahead log, and with it every frame before."""
        with self.transaction():
            self._note_synced()

    def _note_synced(self) -> None:
        self.conn.execute("INSERT INTO meta (key, value) VALUES ('synced_at', ?) "
                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (now_iso(),))

    def integrity_problems(self) -> list[str]:
        """Empty when the database is sound (SQLite's own check plus the ledger's invariants)."""
        problems = [r[0] for r in self.conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        problems += [f"外键错误：{r}" for r in self.conn.execute("PRAGMA foreign_key_check")]
        for (sha, n) in self.conn.execute(
            "SELECT sha256, COUNT(*) FROM files WHERE verdict IN ('accepted', 'evidence') GROUP BY sha256 "
            "HAVING COUNT(*) > 1"
        ):
            problems.append(f"同一文件（{sha[:12]}）被接收了 {n} 次")
        return problems

    # -- items ----------------------------------------------------------------------------
    _SELECT = "SELECT " + ", ".join(ITEM_COLUMNS) + " FROM items"

    def items(self, unit: str | None = None) -> list[Item]:
        """The projection: every item at the end of its timeline (voided ones too), by 编号."""
        if unit is None:
            rows = self.conn.execute(self._SELECT + " ORDER BY year, seq")
        else:
            rows = self.conn.execute(self._SELECT + " WHERE unit = ? ORDER BY year, seq", (unit,))
        return [item_from_row(r) for r in rows]

    def item(self, item_id: str) -> Item | None:
        r = self.conn.execute(self._SELECT + " WHERE id = ?", (item_id,)).fetchone()
        return item_from_row(r) if r else None

    def _items_where(self, where: str, values: Iterable[str], *before: str) -> dict[str, Item]:
        """The items for which `where` holds, its `IN (…)` taking `values` a chunk at a time
        (after the parameters `before`), by id."""
        found: dict[str, Item] = {}
        for chunk in _chunks(sorted(set(values))):
            q = self._SELECT + " WHERE " + where.replace("(…)", f"({','.join('?' * len(chunk))})")
            found.update((i.id, i) for i in map(item_from_row, self.conn.execute(q, [*before, *chunk])))
        return found

    def items_by_id(self, ids: Iterable[str]) -> dict[str, Item]:
        """The items with these ids (unknown ids are left out), in a few queries."""
        return self._items_where("id IN (…)", ids)

    def items_by_upstream(self, upstream: str, upstream_ids: Iterable[str]) -> dict[str, Item]:
        """The items the level above `upstream` knows by these ids, by id (voided ones too)."""
        return self._items_where("upstream = ? AND upstream_id IN (…)", upstream_ids, upstream)

    def unlinked_items(self, keys: Iterable[str]) -> dict[str, Item]:
        """The items with these problem keys that no level above knows by an id yet, by id."""
        return self._items_where("upstream_id IS NULL AND problem_key IN (…)", keys)

    def items_for_merge(self, ids: Iterable[str], units: Iterable[str],
                        keys: Iterable[tuple[str, str]] | None = None,
                        spellings: Callable[[str], Iterable[str]] | None = None) -> list[Item]:
        """The items a submission may touch: those it names by id and those of its lead units.

        With `keys` ((lead unit, problem key) of the rows without an id), only the lead units'
        items with those problem keys are loaded (through the (unit, problem_key) index): all
        that `merge.plan_merge` can match, without reading a unit's whole history per file.
        `spellings(unit)`: every name the unit's items may be stored under (its old names,
        now its aliases); default the name alone.
        """
        names = spellings or (lambda unit: (unit,))
        found = self.items_by_id(ids)
        if keys is None:
            for unit in sorted(set(units)):
                for name in names(unit):
                    found.update((i.id, i) for i in self.items(name))
            return list(found.values())
        by_unit: dict[str, set[str]] = {}
        for unit, key in keys:
            by_unit.setdefault(unit, set()).add(key)
        for unit, unit_keys in sorted(by_unit.items()):
            stored = list(names(unit))
            for chunk in _chunks(sorted(unit_keys)):
                marks = ",".join("?" * len(chunk))
                q = (self._SELECT + f" WHERE unit IN ({','.join('?' * len(stored))})"
                     f" AND key_hash IN ({marks}) AND problem_key IN ({marks})")  # the index, then the keys
                params = [*stored, *map(key_hash, chunk), *chunk]
                found.update((i.id, i) for i in map(item_from_row, self.conn.execute(q, params)))
        return list(found.values())

    def open_problems(self, names: Iterable[str]) -> list[tuple[str, str, str]]:
        """(id, problem key, problem) of the open items (not done, closed or voided) stored under
        these unit names: what a new problem is compared with (similar-problem)."""
        names = list(names)
        q = (f"SELECT id, problem_key, problem FROM items WHERE unit IN ({','.join('?' * len(names))}) "
             "AND closed_on IS NULL AND voided_on IS NULL AND COALESCE(status, '') != '已完成' ORDER BY year, seq")
        return list(self.conn.execute(q, names))

    def next_seq(self, year: int) -> int:
        r = self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM items WHERE year = ?", (year,)).fetchone()
        return r[0] + 1

    def insert_items(self, items: Iterable[tuple[Item, str]], *, file_id: int | None = None,
                     command: str | None = None, operator: str | None = None) -> None:
        """Insert new items with their problem keys, and their register events (made by SQLite
        from the rows just stored, not bound value by value from Python); inside a transaction."""
        since = self.conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM items").fetchone()[0]  # rowids only grow
        cols: tuple[str, ...]
        if self._hashed():
            cols = (*ITEM_COLUMNS, "year", "seq", "problem_key", "key_hash")
            values = (item_values(i) + split_id(i.id) + (key, key_hash(key)) for i, key in items)
        else:  # a migration before 0009 writing items
            cols = (*ITEM_COLUMNS, "year", "seq", "problem_key")
            values = (item_values(i) + split_id(i.id) + (key,) for i, key in items)
        sql = f"INSERT INTO items ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        self.conn.executemany(sql, values)
        self.conn.execute(_REGISTER_SQL, (file_id, command, operator, since))

    def add_items(self, items: Iterable[tuple[Item, str]], file_id: int) -> None:
        """New items from a file, with their problem keys, and each one's register event."""
        self.insert_items(items, file_id=file_id)

    def update_items(self, items: Iterable[tuple[Item, str]], events: Iterable[Event],
                     replayed: Iterable[str] = ()) -> None:
        """What a file changed in existing items: their new state (with problem keys), then its
        events; `replayed` items are projected again from their events afterwards (the office
        moved their deadline or unit). Streamed into SQLite, no second copy of them."""
        self.replace_items(items)
        self.append_events(events)
        replayed = list(replayed)
        if replayed:
            self.reproject(replayed)

    def replace_items(self, items: Iterable[tuple[Item, str]]) -> None:
        """Write the new state of existing items; inside a transaction."""
        cols: tuple[str, ...]
        if self._hashed():
            cols = (*ITEM_COLUMNS[1:], "problem_key", "key_hash")
            values = ((*item_values(i)[1:], key, key_hash(key), i.id) for i, key in items)
        else:  # a migration before 0009 writing items
            cols = (*ITEM_COLUMNS[1:], "problem_key")
            values = ((*item_values(i)[1:], key, i.id) for i, key in items)
        sql = f"UPDATE items SET {', '.join(c + ' = ?' for c in cols)} WHERE id = ?"
        self.conn.executemany(sql, values)

    # -- events ---------------------------------------------------------------------------
    _EVENTS = (f"SELECT e.id, {', '.join('e.' + c for c in _EVENT_COLUMNS.split(', '))}, f.name FROM events e "
               "LEFT JOIN files f ON f.id = e.file_id")

    def append_events(self, events: Iterable[Event]) -> None:
        """Append events (in order); inside a transaction. The caller keeps the projection in step."""
        self.conn.executemany(f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES ({', '.join('?' * 12)})",
                              map(event_values, events))

    def events(self, item_id: str) -> list[Event]:
        """One item's events in replay order (by day, then as recorded)."""
        rows = self.conn.execute(self._EVENTS + " WHERE e.item_id = ? ORDER BY e.on_day, e.id", (item_id,))
        return [event_from_row(r) for r in rows]

    def events_of(self, ids: Iterable[str]) -> Iterator[Event]:
        """The events of these items, by item and in replay order."""
        for chunk in _chunks(sorted(set(ids))):
            q = self._EVENTS + f" WHERE e.item_id IN ({','.join('?' * len(chunk))}) ORDER BY e.item_id, e.on_day, e.id"
            yield from map(event_from_row, self.conn.execute(q, chunk))

    def answer_texts(self, ids: Iterable[str]) -> dict[str, set[str]]:
        """The texts of the 上级答复 each of these items was given (answers an undo took back
        left out), by id: what an answer from above is not recorded again for."""
        by_item: dict[str, list[Event]] = {}
        for event in self.events_of(ids):
            if event.kind in ("answer", "undo"):
                by_item.setdefault(event.item_id, []).append(event)
        out: dict[str, set[str]] = {}
        for item_id, events in by_item.items():
            undone = timeline.undone_ids(events)
            texts = {str(e.data.get("answer")) for e in events if e.kind == "answer" and e.id not in undone}
            if texts:
                out[item_id] = texts
        return out

    def events_until(self, day: date, *, keep: Iterable[str] = ()) -> Iterator[Event]:
        """Every event taking effect by `day`, by item and in replay order — a whole period's
        reading (`sancha score`), so the fast path: without `old`, notes, command or operator
        (None), with the file's name as `source`, and without the texts no state reads
        (`timeline.TEXT_FIELDS` but those in `keep`: their changes left out, a register's
        data without them) — the items replayed from them carry None there."""
        texts = [f for f in timeline.TEXT_FIELDS if f not in set(keep)]
        names = ", ".join(f"'{f}'" for f in texts)  # item field names: plain identifiers
        paths = ", ".join(f"'$.{f}'" for f in texts)
        data, without = "e.data", ""
        if texts:
            data = f"CASE e.kind WHEN 'register' THEN json_remove(e.data, {paths}) ELSE e.data END"
            without = f"AND NOT (e.kind = 'change' AND e.field IN ({names})) "
        q = (f"SELECT e.item_id, e.kind, e.on_day, e.at, e.file_id, e.field, e.new, {data}, e.id, f.name "
             f"FROM events e LEFT JOIN files f ON f.id = e.file_id WHERE e.on_day <= ? {without}"
             "ORDER BY e.item_id, e.on_day, e.id")
        days: dict[str, date] = {}
        make, decode, loads, no_data = timeline.new_event, timeline.decode, json.loads, timeline.NO_DATA
        for item_id, kind, on, at, file_id, field, new, data, id_, source in self.conn.execute(q, (day.isoformat(),)):
            on_day = days.get(on)
            if on_day is None:
                on_day = days[on] = date.fromisoformat(on)
            yield make(item_id, kind, on_day, at, file_id, None, None, field, None,
                       decode(field, new) if field is not None or new is not None else None, None,
                       loads(data) if data else no_data, id_, source)

    _REPLAY = "SELECT e.item_id, e.id, e.kind, e.on_day, e.at, e.field, e.new, e.data FROM events e"

    def replay_rows(self, day: date, *, states_only: bool = False, ids: Iterable[str] | None = None) -> list[tuple]:
        """Event rows (`timeline.replay_rows`) up to `day` of the items with an event after it
        (or of `ids`), by item and in replay order. `states_only`: without the changes of
        texts no state reads, nor notices."""
        where = ["e.on_day <= :day"]
        params: dict = {"day": day.isoformat()}
        source = self._REPLAY
        if ids is None:  # the items with a later event, found once (DISTINCT) and then read by item
            source = ("WITH later AS (SELECT DISTINCT item_id FROM events WHERE on_day > :day) "
                      f"{self._REPLAY} JOIN later ON later.item_id = e.item_id")
        else:
            wanted = sorted(set(ids))
            params.update((f"i{n}", v) for n, v in enumerate(wanted))
            where.append(f"e.item_id IN ({', '.join(f':i{n}' for n in range(len(wanted)))})")
        if states_only:
            params.update((f"t{n}", f) for n, f in enumerate(timeline.TEXT_FIELDS))
            texts = ", ".join(f":t{n}" for n in range(len(timeline.TEXT_FIELDS)))
            where.append(f"e.kind != 'notice' AND NOT (e.kind = 'change' AND e.field IN ({texts}))")
            # a register's texts left out by SQLite: less JSON to read
            paths = ", ".join(f"'$.{f}'" for f in timeline.TEXT_FIELDS)
            source = source.replace("e.data FROM", f"CASE e.kind WHEN 'register' THEN json_remove(e.data, {paths}) "
                                                   "ELSE e.data END FROM", 1)
        rows = self.conn.execute(f"{source} WHERE {' AND '.join(where)}", params).fetchall()
        rows.sort(key=_replay_order)
        return rows

    _STANDING = ("SELECT id, unit, deadline, ongoing, status, done_on, created_on, closed_on, last_report_on, "
                 "lookback_on, voided_on, report_on, milestones, evidence_count FROM items WHERE created_on <= ? "
                 "ORDER BY year, seq")

    def standing(self, day: date) -> list[Item]:
        """The items registered by `day` with the fields their states read (unit, deadline,
        status, dates, reports) and none of their texts: what the figures of a day need, read
        fast (50,000 items). Never for a document."""
        d = date.fromisoformat
        return [new_item(id_, unit, (), None, "", "", deadline and d(deadline), "", bool(ongoing), None, None, status,
                         done_on and d(done_on), None, d(created_on), "", closed_on and d(closed_on),
                         last_report_on and d(last_report_on), lookback_on and d(lookback_on), None,
                         voided_on and d(voided_on), None, report_on and d(report_on), "{}",
                         None, None, None, None, None, _milestones_from(milestones), None,  # 滞后 reads milestones
                         None, evidence_count, None, None)
                for (id_, unit, deadline, ongoing, status, done_on, created_on, closed_on, last_report_on, lookback_on,
                     voided_on, report_on, milestones, evidence_count)
                in self.conn.execute(self._STANDING, (day.isoformat(),))]

    def record_notices(self, named: Iterable[tuple[str, str, str]], on: date, week: str, *, level: str = "督办",
                       reply_by: date | None = None) -> int:
        """A `notice` event for each (item, document, notice number) a notice of `level` (督办,
        提醒, 告诫, 问责: deadlines.ladder) of `week` named, unless the week's notice of that
        level for that item is recorded already (a batch run again); how many were new."""
        return self.record_notice_documents([(named, level, reply_by)], on, week)

    def record_notice_documents(self, documents: Iterable[tuple[Iterable[tuple[str, str, str]], str, date | None]],
                                on: date, week: str) -> int:
        """`record_notices` for many documents — (named, level, reply_by) each — in one
        transaction, the week's recorded notices read once (issue 20: a city's batch records
        hundreds of documents; read again and committed, fsynced, for each, they took seconds)."""
        with self.transaction():
            known = self.week_notices(week)
            at = now_iso()
            new: list[Event] = []
            for named, level, reply_by in documents:
                extra = {"level": level} | ({"reply_by": reply_by.isoformat()} if reply_by else {})
                mine = [Event(item_id, "notice", on, at, command="weekly",
                              data={"week": week, "document": document, "number": number, **extra})
                        for item_id, document, number in named if (item_id, level) not in known]
                known.update((e.item_id, level) for e in mine)
                new += mine
            self.append_events(new)  # a notice changes nothing of the item: its projection stays
        return len(new)

    def week_notices(self, week: str) -> set[tuple[str, str]]:
        """(item, level) of every notice event of `week`."""
        return set(self.conn.execute(
            "SELECT item_id, COALESCE(json_extract(data, '$.level'), '督办') FROM events "
            "WHERE kind = 'notice' AND json_extract(data, '$.week') = ?", (week,)))

    def changed_after(self, day: date, ids: Iterable[str] | None = None) -> set[str]:
        """Items with an event taking effect after `day`: the ones the day must replay (of `ids`
        only, when given: looked up by item, not by scanning every later event)."""
        if ids is None:
            return {r[0] for r in self.conn.execute("SELECT DISTINCT item_id FROM events WHERE on_day > ?",
                                                    (day.isoformat(),))}
        out: set[str] = set()
        wanted = sorted(set(ids))
        for n in range(0, len(wanted), 500):
            chunk = wanted[n:n + 500]
            out.update(r[0] for r in self.conn.execute(
                f"SELECT DISTINCT item_id FROM events INDEXED BY events_item WHERE item_id IN "
                f"({','.join('?' * len(chunk))}) AND on_day > ?", (*chunk, day.isoformat())))
        return out

    def last_event_id(self) -> int:
        """The id of the last event recorded (0 for none): changes with every change of the ledger."""
        return self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]

    def last_event_day(self) -> date | None:
        r = self.conn.execute("SELECT MAX(on_day) FROM events").fetchone()
        return _d(r[0])

    def file_changes(self, file_id: int) -> dict[str, list[Event]]:
        """The field changes a file made, by item, as recorded (for its receipt)."""
        rows = self.conn.execute(self._EVENTS + " WHERE e.file_id = ? AND e.field IS NOT NULL ORDER BY e.id",
                                 (file_id,))
        out: dict[str, list[Event]] = {}
        for event in map(event_from_row, rows):
            out.setdefault(event.item_id, []).append(event)
        return out

    def reproject(self, ids: Iterable[str]) -> dict[str, Item]:
        """Project these items from their events again and store them; inside a transaction.
        Returns the items as stored (an item without events is left as it is)."""
        out: dict[str, Item] = {}
        for item_id, events in timeline.by_item(self.events_of(ids)):
            item = timeline.replay(events)
            if item is not None:
                out[item_id] = item
        self.replace_items((i, problem_key(i.problem)) for i in out.values())
        return out

    # -- files journal --------------------------------------------------------------------
    _FILE_COLS = ("id, sha256, name, source_path, unit, received_on, processed_at, verdict, duplicate_of, "
                  "archive_path, added, updated, findings, receipt_path, state")

    def _file(self, r) -> FileRecord:
        (id_, sha, name, source_path, unit, received_on, processed_at, verdict, duplicate_of, archive_path,
         added, updated, findings, receipt_path, state) = r
        return FileRecord(id_, sha, name, source_path, unit, date.fromisoformat(received_on), processed_at,
                          verdict, duplicate_of, archive_path, json.loads(added), json.loads(updated),
                          json.loads(findings), receipt_path, state)

    def files(self, state: str | None = None) -> list[FileRecord]:
        if state:
            rows = self.conn.execute(f"SELECT {self._FILE_COLS} FROM files WHERE state = ? ORDER BY id", (state,))
        else:
            rows = self.conn.execute(f"SELECT {self._FILE_COLS} FROM files ORDER BY id")
        return [self._file(r) for r in rows]

    def first_with_hash(self, sha256: str) -> FileRecord | None:
        """The file these bytes were accepted as (or as 佐证材料), if ever: the same bytes again are its duplicate.
        Bytes only ever rejected are processed again (the office may have fixed sancha.toml)."""
        r = self.conn.execute(
            f"SELECT {self._FILE_COLS} FROM files WHERE sha256 = ? AND verdict IN ('accepted', 'evidence') "
            "ORDER BY id LIMIT 1",
            (sha256,),
        ).fetchone()
        return self._file(r) if r else None

    def pending_for(self, sha256: str, source_path: str) -> FileRecord | None:
        """A file recorded but not yet answered and cleaned up (a crash in between)."""
        r = self.conn.execute(
            f"SELECT {self._FILE_COLS} FROM files WHERE sha256 = ? AND source_path = ? AND state = 'recorded' "
            "ORDER BY id DESC LIMIT 1",
            (sha256, source_path),
        ).fetchone()
        return self._file(r) if r else None

    def record_file(self, *, sha256: str, name: str, source_path: str, unit: str | None, received_on: date,
                    verdict: str, duplicate_of: int | None, archive_path: str | None, added: list[str],
                    updated: list[str], findings: list[dict]) -> FileRecord:
        processed_at = now_iso()
        cur = self.conn.execute(
            "INSERT INTO files (sha256, name, source_path, unit, received_on, processed_at, verdict, duplicate_of, "
            "archive_path, added, updated, findings, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'recorded')",
            (sha256, name, source_path, unit, received_on.isoformat(), processed_at, verdict, duplicate_of,
             archive_path, *_outcome(added, updated, findings)),
        )
        assert cur.lastrowid is not None
        return FileRecord(cur.lastrowid, sha256, name, source_path, unit, received_on, processed_at, verdict,
                          duplicate_of, archive_path, list(added), list(updated), findings, None, "recorded")

    def mark_files_done(self, done: Iterable[tuple[int, str | None]]) -> None:
        """(file id, receipt path) of answered files, in one commit without an fsync of its own:
        should a power cut lose it, the journal still says 'recorded' and the next run rewrites
        the same receipts, as after a crash."""
        with self.transaction(durable=False):
            self.conn.executemany("UPDATE files SET state = 'done', receipt_path = ? WHERE id = ?",
                                  ((receipt, file_id) for file_id, receipt in done))

    def settle_file(self, record: FileRecord, *, unit: str | None, verdict: str, added: list[str],
                    updated: list[str], findings: list[dict]) -> FileRecord:
        """The outcome of a file recorded before its rows were all read; inside the same transaction."""
        self.conn.execute("UPDATE files SET unit = ?, verdict = ?, added = ?, updated = ?, findings = ? WHERE id = ?",
                          (unit, verdict, *_outcome(added, updated, findings), record.id))
        return replace(record, unit=unit, verdict=verdict, added=list(added), updated=list(updated), findings=findings)

    # -- weekly snapshots -----------------------------------------------------------------
    def save_snapshot(self, week_key: str, as_of: date, figures: dict) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO snapshots VALUES (?, ?, ?, ?) ON CONFLICT(week_key) DO UPDATE SET "
                "as_of = excluded.as_of, figures = excluded.figures, created_at = excluded.created_at",
                (week_key, as_of.isoformat(), json.dumps(figures, ensure_ascii=False), now_iso()),
            )

    def day_figures(self, day: date, key: str, compute: Callable[[], dict]) -> dict:
        """The headline figures of the ledger as it stood on `day` (the dashboard's trend), kept
        from an earlier `compute()` under the same `key` (configuration and rules) while no event
        taking effect by `day` has been recorded since; else computed and kept (best effort: a
        ledger another process is writing is not waited for). Issue 20: the trend's past weeks
        were replayed on every run."""
        return self._kept_for_day(
            "SELECT after_event, figures FROM day_figures WHERE day = ? AND key = ?",
            "INSERT INTO day_figures VALUES (?, ?, ?, ?) ON CONFLICT(day) DO UPDATE SET "
            "key = excluded.key, after_event = excluded.after_event, figures = excluded.figures",
            (), day, key, compute)

    STATUS_KEPT = 48  # days × keys of `kept_status` (status, notices, inspections); the oldest go

    def kept_status(self, day: date, key: str, compute: Callable[[], dict]) -> dict:
        """What `sancha status` shows of `day` (`StatusFigures.to_data`), kept as `day_figures`
        are: valid while no event taking effect by `day` has been recorded since (issue 20: a
        city's 200,000 items are read and their states computed once, not at every call)."""
        return self._kept_for_day(
            "SELECT after_event, data FROM status_cache WHERE day = ? AND key = ?",
            "INSERT INTO status_cache VALUES (?, ?, ?, ?, ?) ON CONFLICT(day, key) DO UPDATE SET "
            "after_event = excluded.after_event, made = excluded.made, data = excluded.data",
            (now_iso(),), day, key, compute,
            prune=f"DELETE FROM status_cache WHERE rowid NOT IN "
                  f"(SELECT rowid FROM status_cache ORDER BY made DESC LIMIT {self.STATUS_KEPT})")

    def _kept_for_day(self, select: str, upsert: str, extra: tuple, day: date, key: str,
                      compute: Callable[[], dict], prune: str | None = None) -> dict:
        row = self.conn.execute(select, (day.isoformat(), key)).fetchone()
        # by the events recorded since (a range of the rowid, usually short), not by every event of
        # the days up to `day` (+on_day: the day index is not used here)
        if row is not None and self.conn.execute("SELECT 1 FROM events WHERE id > ? AND +on_day <= ? LIMIT 1",
                                                 (row[0], day.isoformat())).fetchone() is None:
            return json.loads(row[1])
        after = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
        data = compute()
        try:
            self.conn.execute("PRAGMA busy_timeout = 0")
            with self.transaction():
                self.conn.execute(upsert, (day.isoformat(), key, after, *extra, json.dumps(data, ensure_ascii=False)))
                if prune:
                    self.conn.execute(prune)
        except sqlite3.OperationalError as e:  # busy, read-only: computed again next time
            log.info("figures of %s not kept: %s", day, e)
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return data

    def snapshots(self) -> list[tuple[str, date, dict]]:
        rows = self.conn.execute("SELECT week_key, as_of, figures FROM snapshots ORDER BY as_of")
        return [(k, date.fromisoformat(a), json.loads(f)) for k, a, f in rows]


def _replay_order(row: tuple) -> tuple:
    return row[0], row[3], row[1]  # item, day, recorded


def _chunks(values: list, size: int = 500) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
