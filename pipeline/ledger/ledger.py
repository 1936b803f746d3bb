"""The ledger (三单工作台帐) in SQLite: items, their history, the files journal, office
actions and weekly runs. WAL mode; every change happens inside one transaction.

The shell around the functional core: it loads plain `Item`s for the core and applies the
plans the core returns.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Protocol

from pipeline.deadlines.cndate import cn_date
from pipeline.errors import LedgerLost, Refused
from pipeline.model import Item, split_id

# Named migrations, applied in order and recorded in `migrations`.
MIGRATIONS: list[tuple[str, str]] = [
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
    ),
]

ITEM_COLUMNS = (
    "id", "unit", "co_units", "source", "problem", "measures", "deadline", "deadline_text", "ongoing",
    "owner", "progress", "status", "done_on", "remark", "created_on", "updated_at", "closed_on",
    "last_report_on", "lookback_on", "original_deadline",
)


def now_iso() -> str:
    return datetime.now().isoformat(timespec="seconds")


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def item_from_row(r: sqlite3.Row | tuple) -> Item:
    (id_, unit, co_units, source, problem, measures, deadline, deadline_text, ongoing, owner, progress,
     status, done_on, remark, created_on, updated_at, closed_on, last_report_on, lookback_on,
     original_deadline) = tuple(r)
    return Item(
        id=id_, unit=unit, co_units=tuple(json.loads(co_units)), source=source, problem=problem,
        measures=measures, deadline=_d(deadline), deadline_text=deadline_text, ongoing=bool(ongoing),
        owner=owner, progress=progress, status=status, done_on=_d(done_on), remark=remark,
        created_on=date.fromisoformat(created_on), updated_at=updated_at, closed_on=_d(closed_on),
        last_report_on=_d(last_report_on), lookback_on=_d(lookback_on),
        original_deadline=_d(original_deadline),
    )


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
        _iso(item.last_report_on), _iso(item.lookback_on), _iso(item.original_deadline),
    )


def history_value(value) -> str | None:
    """How a field value is written into history (text; lists as JSON; dates ISO)."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value), ensure_ascii=False)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


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


@dataclass(frozen=True)
class HistoryEntry:
    item_id: str
    at: str
    action: str
    field: str | None
    old: str | None
    new: str | None
    file_name: str | None
    note: str | None


class FieldChange(Protocol):
    """A field of an item changed by a file (`merge.Change`)."""

    @property
    def item_id(self) -> str: ...
    @property
    def field(self) -> str: ...
    @property
    def old(self) -> object: ...
    @property
    def new(self) -> object: ...


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
    conn.execute("PRAGMA busy_timeout=60000")
    conn.execute("PRAGMA cache_size=-32768")  # 32 MB of pages (default 2 MB): a batch re-reads the same index pages
    conn.execute("PRAGMA temp_store=MEMORY")  # savepoints' journals (ingest: a file each) need no temp files
    conn.execute("PRAGMA wal_autocheckpoint=8192")  # pages; hot index pages are copied back once, not 8 times
    return conn


class Ledger:
    """A connection to the ledger database. Use as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None = None):
        self.conn = conn
        self.path = path

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
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                for statement in sql.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute("INSERT INTO migrations VALUES (?, ?)", (name, now_iso()))

    def _migrated(self) -> bool:
        try:
            done = {r[0] for r in self.conn.execute("SELECT name FROM migrations")}
        except sqlite3.OperationalError:  # a new database: no migrations table yet
            return False
        return all(name in done for name, _ in MIGRATIONS)

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
            "SELECT sha256, COUNT(*) FROM files WHERE verdict = 'accepted' GROUP BY sha256 HAVING COUNT(*) > 1"
        ):
            problems.append(f"同一文件（{sha[:12]}）被接收了 {n} 次")
        return problems

    # -- items ----------------------------------------------------------------------------
    _SELECT = "SELECT " + ", ".join(ITEM_COLUMNS) + " FROM items"

    def items(self, unit: str | None = None) -> list[Item]:
        if unit is None:
            rows = self.conn.execute(self._SELECT + " ORDER BY year, seq")
        else:
            rows = self.conn.execute(self._SELECT + " WHERE unit = ? ORDER BY year, seq", (unit,))
        return [item_from_row(r) for r in rows]

    def item(self, item_id: str) -> Item | None:
        r = self.conn.execute(self._SELECT + " WHERE id = ?", (item_id,)).fetchone()
        return item_from_row(r) if r else None

    def items_by_id(self, ids: Iterable[str]) -> dict[str, Item]:
        """The items with these ids (unknown ids are left out), in a few queries."""
        ids = sorted(set(ids))
        found: dict[str, Item] = {}
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start:chunk_start + 500]
            q = self._SELECT + f" WHERE id IN ({','.join('?' * len(chunk))})"
            found.update((i.id, i) for i in map(item_from_row, self.conn.execute(q, chunk)))
        return found

    def items_for_merge(self, ids: Iterable[str], units: Iterable[str],
                        keys: Iterable[tuple[str, str]] | None = None) -> list[Item]:
        """The items a submission may touch: those it names by id and those of its lead units.

        With `keys` ((lead unit, problem key) of the rows without an id), only the lead units'
        items with those problem keys are loaded (through the (unit, problem_key) index): all
        that `merge.plan_merge` can match, without reading a unit's whole history per file.
        """
        found = self.items_by_id(ids)
        if keys is None:
            for unit in sorted(set(units)):
                found.update((i.id, i) for i in self.items(unit))
            return list(found.values())
        by_unit: dict[str, set[str]] = {}
        for unit, key in keys:
            by_unit.setdefault(unit, set()).add(key)
        for unit, unit_keys in sorted(by_unit.items()):
            wanted = sorted(unit_keys)
            for chunk_start in range(0, len(wanted), 500):
                chunk = wanted[chunk_start:chunk_start + 500]
                q = self._SELECT + f" WHERE unit = ? AND problem_key IN ({','.join('?' * len(chunk))})"
                found.update((i.id, i) for i in map(item_from_row, self.conn.execute(q, [unit, *chunk])))
        return list(found.values())

    def next_seq(self, year: int) -> int:
        r = self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM items WHERE year = ?", (year,)).fetchone()
        return r[0] + 1

    def insert_items(self, items: Iterable[tuple[Item, str]]) -> None:
        """Insert new items with their problem keys; inside a transaction."""
        cols = (*ITEM_COLUMNS, "year", "seq", "problem_key")
        sql = f"INSERT INTO items ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        self.conn.executemany(sql, (item_values(i) + split_id(i.id) + (key,) for i, key in items))

    def last_item_rowid(self) -> int:
        """Where the next items inserted begin (rowids only grow): for `add_history_since`."""
        return self.conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM items").fetchone()[0]

    def add_history_since(self, rowid: int, at: str, file_id: int) -> None:
        """The 'add' history entry of every item inserted after `rowid`, in the order inserted —
        made by SQLite from the rows just stored, not bound value by value from Python."""
        self.conn.execute("INSERT INTO history (item_id, at, action, file_id) "
                          "SELECT id, ?, 'add', ? FROM items WHERE rowid > ? ORDER BY rowid", (at, file_id, rowid))

    def add_items(self, items: Iterable[tuple[Item, str]], at: str, file_id: int) -> None:
        """New items from a file, with their problem keys, and each one's 'add' history entry."""
        since = self.last_item_rowid()
        self.insert_items(items)
        self.add_history_since(since, at, file_id)

    def update_items(self, items: Iterable[tuple[Item, str]], changes: Iterable[FieldChange],
                     reported: Iterable[str], at: str, file_id: int) -> None:
        """What a file changed in existing items: their new state (with problem keys), an
        'update' history entry per changed field, a 'report' entry for each item reported and
        not changed. Streamed into SQLite, no second copy of them."""
        self.replace_items(items)
        changes = list(changes)
        changed = {c.item_id for c in changes}
        self.add_history(chain(
            ((c.item_id, at, "update", c.field, history_value(c.old), history_value(c.new), file_id, None)
             for c in changes),
            ((i, at, "report", None, None, None, file_id, None) for i in reported if i not in changed),
        ))

    def replace_items(self, items: Iterable[tuple[Item, str]]) -> None:
        """Write the new state of existing items; inside a transaction."""
        cols = (*ITEM_COLUMNS[1:], "problem_key")
        sql = f"UPDATE items SET {', '.join(c + ' = ?' for c in cols)} WHERE id = ?"
        self.conn.executemany(sql, ((*item_values(i)[1:], key, i.id) for i, key in items))

    def add_history(self, entries: Iterable[tuple]) -> None:
        """Entries are (item_id, at, action, field, old, new, file_id, note)."""
        self.conn.executemany(
            "INSERT INTO history (item_id, at, action, field, old, new, file_id, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            entries,
        )

    def history(self, item_id: str) -> list[HistoryEntry]:
        rows = self.conn.execute(
            "SELECT h.item_id, h.at, h.action, h.field, h.old, h.new, f.name, h.note FROM history h "
            "LEFT JOIN files f ON f.id = h.file_id WHERE h.item_id = ? ORDER BY h.id",
            (item_id,),
        )
        return [HistoryEntry(*r) for r in rows]

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
        """The file these bytes were accepted as, if ever: the same bytes again are its duplicate.
        Bytes only ever rejected are processed again (the office may have fixed sancha.toml)."""
        r = self.conn.execute(
            f"SELECT {self._FILE_COLS} FROM files WHERE sha256 = ? AND verdict = 'accepted' ORDER BY id LIMIT 1",
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
        assert cur.lastrowid is not None  # an INSERT's
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

    def snapshots(self) -> list[tuple[str, date, dict]]:
        rows = self.conn.execute("SELECT week_key, as_of, figures FROM snapshots ORDER BY as_of")
        return [(k, date.fromisoformat(a), json.loads(f)) for k, a, f in rows]

    # -- office actions (销号, 重新打开, 回头看, 延期) ------------------------------------------
    def _require(self, item_id: str) -> Item:
        item = self.item(item_id)
        if item is None:
            raise LedgerError(f"台帐中没有编号 {item_id}")
        return item

    def _set(self, item: Item, action: str, note: str | None, **fields) -> None:
        at = now_iso()
        sets = ", ".join(f"{k} = ?" for k in fields)
        values = [_iso(v) if isinstance(v, date) else v for v in fields.values()]
        self.conn.execute(f"UPDATE items SET {sets}, updated_at = ? WHERE id = ?", (*values, at, item.id))
        entries: list[tuple] = [(item.id, at, action, k, history_value(getattr(item, k)), history_value(v), None, note)
                                for k, v in fields.items()] or [(item.id, at, action, None, None, None, None, note)]
        self.add_history(entries)

    def close_items(self, ids: list[str], on: date, note: str | None = None) -> None:
        """销号: the office confirms the fix; all or nothing."""
        with self.transaction():
            for item_id in ids:
                item = self._require(item_id)
                if item.closed_on:
                    raise LedgerError(f"{item_id} 已于 {item.closed_on} 销号")
                self._set(item, "close", note, closed_on=on)

    def reopen_item(self, item_id: str, on: date, note: str | None = None) -> None:
        with self.transaction():
            item = self._require(item_id)
            if not item.closed_on:
                raise LedgerError(f"{item_id} 尚未销号，无需重新打开")
            self._set(item, "reopen", note, closed_on=None)

    def record_lookbacks(self, ids: list[str], on: date, note: str | None = None) -> None:
        """回头看 recorded on these items; all or nothing."""
        with self.transaction():
            for item_id in ids:
                self._set(self._require(item_id), "lookback", note, lookback_on=on)

    def extend_deadline(self, item_id: str, to: date, on: date, note: str | None = None) -> Item:
        """延期 approved by the office; the first deadline is kept in original_deadline."""
        with self.transaction():
            item = self._require(item_id)
            if item.ongoing or item.deadline is None:
                raise LedgerError(f"{item_id} 为长期坚持事项，没有整改时限可延")
            if to <= item.deadline:
                raise LedgerError(f"新时限 {to} 应晚于现时限 {item.deadline}")
            fields = dict(deadline=to, deadline_text=f"{cn_date(to)}（延期）")
            if item.original_deadline is None:
                fields["original_deadline"] = item.deadline
            self._set(item, "extend", note, **fields)
        return self._require(item_id)

    def changes(self) -> list:
        """Every item change with the day it took effect (for `history.items_as_of`)."""
        from pipeline.ledger.history import Change

        rows = self.conn.execute(
            "SELECT h.item_id, f.received_on, h.at, h.action, h.field, h.old, h.new FROM history h "
            "LEFT JOIN files f ON f.id = h.file_id ORDER BY h.id"
        )
        out = []
        for item_id, received_on, at, _action, field_, old, new in rows:
            if received_on:
                day = date.fromisoformat(received_on)
            elif field_ in ("closed_on", "lookback_on") and new:
                day = date.fromisoformat(new)  # 销号 / 回头看 dated by the office
            else:
                day = date.fromisoformat(at[:10])
            out.append(Change(item_id, day, field_, old, reported=received_on is not None))
        return out
