"""A ledger written by main before item events (tests/data/main_ledger, made by
tests/data/make_main_ledger.py) opens with today's code: its history becomes events without
loss, its items stay what they were, and every earlier day reads as that code read it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from builders import DATA, make_config

from pipeline.ledger import timeline
from pipeline.ledger.ledger import ITEM_COLUMNS, Ledger, item_values
from pipeline.ledger.view import items_on

MAIN = DATA / "main_ledger"
EXPECTED = json.loads((MAIN / "expected.json").read_text(encoding="utf-8"))
OLD_COLUMNS = [c for c in EXPECTED["tables"]["items"][0] if c in ITEM_COLUMNS]


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    db = tmp_path / "ledger.sqlite"
    shutil.copy(MAIN / "ledger.sqlite", db)
    with Ledger.open(db):
        pass
    return db


def test_the_old_ledger_has_no_events_until_it_is_opened():
    con = sqlite3.connect(MAIN / "ledger.sqlite")
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "history" in tables and "events" not in tables
    assert [r[0] for r in con.execute("SELECT name FROM migrations ORDER BY name")] == ["0001_initial", "0002_meta"]


def test_every_history_entry_becomes_an_event_and_every_item_a_register(migrated):
    con = sqlite3.connect(migrated)
    assert "0003_events" in {r[0] for r in con.execute("SELECT name FROM migrations")}
    events = con.execute("SELECT item_id, kind, on_day, at, file_id, field, old, new, note, data FROM events ORDER BY id")
    rows = [dict(zip(("item_id", "kind", "on", "at", "file_id", "field", "old", "new", "note", "data"), r, strict=True))
            for r in events]
    for r in rows:
        r["data"] = json.loads(r["data"]) if r["data"] else {}
    covered = {r["data"]["history_id"] for r in rows if "history_id" in r["data"]}
    covered |= {h for r in rows for h in r["data"].get("history_ids", ())}
    history = EXPECTED["tables"]["history"]
    assert covered == {h["id"] for h in history}  # nothing lost
    by_history = {r["data"]["history_id"]: r for r in rows if "history_id" in r["data"]}
    for h in history:
        event = by_history.get(h["id"])
        if event is None:
            continue  # a second field of an extension, folded into its event
        assert (event["item_id"], event["at"], event["file_id"], event["note"]) == (
            h["item_id"], h["at"], h["file_id"], h["note"])
    assert [r["kind"] for r in rows if r["kind"] == "register"] == ["register"] * len(EXPECTED["tables"]["items"])
    kinds = [(r["item_id"], r["kind"]) for r in rows if r["kind"] != "register"]
    assert ("2026-0001", "close") in kinds and ("2026-0001", "lookback") in kinds
    assert ("2026-0002", "extend") in kinds and ("2026-0004", "reopen") in kinds and ("2026-0005", "report") in kinds
    extend = next(r for r in rows if r["kind"] == "extend")
    assert (json.loads(extend["old"]), json.loads(extend["new"]), extend["data"]["deadline_text"]) == (
        "2026-12-31", "2027-01-29", "2027年1月29日（延期）")
    change = next(r for r in rows if r["kind"] == "change" and r["field"] == "status")
    assert (change["item_id"], change["on"], json.loads(change["old"]), json.loads(change["new"])) == (
        "2026-0001", "2026-11-09", "推进中", "已完成")  # dated the day its file was received


def test_the_items_are_what_they_were_and_what_their_events_replay_to(migrated):
    con = sqlite3.connect(migrated)
    cur = con.execute(f"SELECT {', '.join(OLD_COLUMNS)} FROM items ORDER BY rowid")
    now = [dict(zip(OLD_COLUMNS, r, strict=True)) for r in cur]
    assert now == [{c: old[c] for c in OLD_COLUMNS} for old in EXPECTED["tables"]["items"]]
    with Ledger.open(migrated) as ledger:
        for item in ledger.items():
            replayed = timeline.replay(ledger.events(item.id))
            assert replayed is not None and item_values(replayed) == item_values(item)


@pytest.mark.parametrize("day", EXPECTED["items_as_of"])
def test_every_earlier_day_reads_as_the_old_code_read_it(migrated, day):
    """The old code's `history.items_as_of` on each day, field for field (its own semantics:
    an old reopen only undid the closing)."""
    with Ledger.open(migrated) as ledger:
        items = items_on(ledger, make_config(), date.fromisoformat(day))
    got = [{c: _plain(getattr(i, c)) for c in OLD_COLUMNS if c != "updated_at"} for i in items]
    expected = [{c: old[c] for c in OLD_COLUMNS if c != "updated_at"} for old in EXPECTED["items_as_of"][day]]
    assert got == expected


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def test_0009_hashes_every_problem_key_and_indexes_items_by_unit_and_hash(migrated):
    from pipeline.ledger.ledger import key_hash

    con = sqlite3.connect(migrated)
    rows = con.execute("SELECT problem_key, key_hash FROM items").fetchall()
    assert rows and all(h == key_hash(k) for k, h in rows)
    indexes = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"items_unit_hash", "events_day", "events_notice_week"} <= indexes
    assert "items_unit_key" not in indexes


def test_a_large_ledger_gets_statistics_and_the_merge_and_day_queries_use_the_new_indexes(tmp_path):
    from builders import make_item

    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        assert not ledger.refresh_statistics()  # empty: nothing to learn
        with ledger.transaction():
            ledger.insert_items((make_item(f"2026-{n:04d}", f"单位{n % 30}", problem=f"问题{n}"), f"问题{n}")
                                for n in range(1, 1501))
        assert ledger.refresh_statistics()
        assert not ledger.refresh_statistics()  # until it has grown twofold again
        con = ledger.conn
        assert con.execute("SELECT COUNT(*) FROM sqlite_stat1").fetchone()[0] > 0
        plan = " ".join(r[3] for r in con.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM items WHERE unit IN ('单位1', '单位2') AND key_hash IN (1, 2) "
            "AND problem_key IN ('x', 'y')"))
        assert "items_unit_hash" in plan
        assert "events_day" in " ".join(r[3] for r in con.execute(  # the last event's day: no scan
            "EXPLAIN QUERY PLAN SELECT MAX(on_day) FROM events"))


def test_items_written_after_0009_carry_their_key_hash_and_are_found_by_it(tmp_path):
    from builders import make_item

    from pipeline.ledger.ledger import key_hash

    with Ledger.open(tmp_path / "l.sqlite") as ledger, ledger.transaction():
        ledger.insert_items([(make_item("2026-0001", problem="甲"), "甲"), (make_item("2026-0002", problem="乙"), "乙")])
        ledger.replace_items([(make_item("2026-0002", problem="丙"), "丙")])
        assert dict(ledger.conn.execute("SELECT id, key_hash FROM items")) == \
            {"2026-0001": key_hash("甲"), "2026-0002": key_hash("丙")}
        found = ledger.items_for_merge([], ["区财政局"], keys=[("区财政局", "丙"), ("区财政局", "丁")])
        assert [i.id for i in found] == ["2026-0002"]
