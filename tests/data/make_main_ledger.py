"""Make tests/data/main_ledger/: a ledger written by sancha's main before item events existed
(commit 3a3f5fc, schema 0001_initial + 0002_meta, a `history` table), and what that code said
about it. tests/test_migration.py opens a copy with today's code and checks that the history
migrates into events without loss.

Run it with the OLD code first on the path (it imports `pipeline` from there):

    git worktree add /tmp/sancha-3a3f5fc 3a3f5fc
    cd /tmp/sancha-3a3f5fc && python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]'
    PYTHONPATH=/tmp/sancha-3a3f5fc:/tmp/sancha-3a3f5fc/tests \
        .venv/bin/python /path/to/this/tests/data/make_main_ledger.py /path/to/this/tests/data/main_ledger

It writes ledger.sqlite (the database, checkpointed into one file) and expected.json: every
item row, every history row, and `history.items_as_of` of the old code on a few days.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
import tempfile
from dataclasses import asdict
from datetime import date
from pathlib import Path

from builders import CONFIG_TOML, data_row, submission_rows, xlsx_bytes

from pipeline.cli import main
from pipeline.ledger.history import items_as_of
from pipeline.ledger.ledger import Ledger

DAYS = ("2026-11-01", "2026-11-02", "2026-11-06", "2026-11-09", "2026-11-16", "2026-11-20", "2026-11-23",
        "2026-11-30", "2026-12-03", "2026-12-31")


def run(ws: Path, *args: str) -> None:
    code = main(["-C", str(ws), *args])
    if code not in (0, 1):
        raise SystemExit(f"sancha {' '.join(args)} exited {code}")


def drop(ws: Path, name: str, rows: list, folder: str | None = None) -> None:
    target = ws / "inbox" / folder if folder else ws / "inbox"
    target.mkdir(parents=True, exist_ok=True)
    (target / name).write_bytes(xlsx_bytes(rows))


def build(ws: Path) -> None:
    ws.mkdir(parents=True)
    (ws / "sancha.toml").write_text(CONFIG_TOML, encoding="utf-8")
    drop(ws, "区财政局_三单.xlsx", submission_rows(
        data_row(1, problem="政府采购项目验收不及时", deadline="2026-11-20"),
        data_row(2, problem="非税收入缴库不及时", deadline="2026-12-31", co_units="区审计局"),
        data_row(3, problem="财政专户清理不彻底", deadline="长期坚持", status="长期坚持"),
        report_date="2026年11月2日"))
    run(ws, "ingest", "--as-of", "2026-11-02")
    drop(ws, "菱湖街道_三单.xlsx", submission_rows(
        data_row(1, problem="背街小巷环境卫生整治不彻底", deadline="2026-11-13", lead_unit="菱湖街道"),
        data_row(2, problem="老旧小区雨污分流改造滞后", deadline="2027-01-31", lead_unit="菱湖街道"),
        unit="菱湖街道", report_date="2026年11月6日"))
    run(ws, "ingest", "--as-of", "2026-11-06")
    drop(ws, "区财政局_进展.xlsx", submission_rows(
        data_row(1, item_id="2026-0001", problem="政府采购项目验收不及时", deadline="2026-11-20",
                 progress="已验收12个项目", status="已完成", done_on="2026-11-08"),
        data_row(2, item_id="2026-0002", problem="非税收入缴库不及时", deadline="2026-12-31",
                 progress="已督促缴库", owner="王芳", co_units="区审计局"),
        report_date="2026年11月9日"))
    run(ws, "ingest", "--as-of", "2026-11-09")
    drop(ws, "区财政局_有错.xlsx", submission_rows(data_row(1, item_id="2026-0099")))
    run(ws, "ingest", "--as-of", "2026-11-10")
    drop(ws, "菱湖街道_三单_副本.xlsx", submission_rows(  # the same bytes as before: a duplicate
        data_row(1, problem="背街小巷环境卫生整治不彻底", deadline="2026-11-13", lead_unit="菱湖街道"),
        data_row(2, problem="老旧小区雨污分流改造滞后", deadline="2027-01-31", lead_unit="菱湖街道"),
        unit="菱湖街道", report_date="2026年11月6日"))
    run(ws, "ingest", "--as-of", "2026-11-11")
    drop(ws, "督查室_调整.xlsx", submission_rows(  # the office moves a deadline and a lead unit
        data_row(1, item_id="2026-0005", problem="老旧小区雨污分流改造滞后", deadline="2027-02-26",
                 lead_unit="菱湖街道", remark="经区政府同意延期"),
        data_row(2, item_id="2026-0003", problem="财政专户清理不彻底", deadline="长期坚持", status="长期坚持",
                 lead_unit="区审计局"),
        unit="督查室", report_date="2026年11月16日"), folder="督查室")
    run(ws, "ingest", "--as-of", "2026-11-16")
    drop(ws, "菱湖街道_进展.xlsx", submission_rows(
        data_row(1, item_id="2026-0004", problem="背街小巷环境卫生整治不彻底", deadline="2026-11-13",
                 lead_unit="菱湖街道", progress="已清理垃圾死角8处"),
        data_row(2, item_id="2026-0005", problem="老旧小区雨污分流改造滞后", deadline="2027-02-26",
                 lead_unit="菱湖街道"),  # nothing new: a report only
        unit="菱湖街道", report_date="2026年11月23日"))
    run(ws, "ingest", "--as-of", "2026-11-23")
    run(ws, "close", "2026-0001", "--on", "2026-11-20", "--note", "现场核实")
    run(ws, "lookback", "2026-0001", "--on", "2026-11-30", "--note", "未反弹")
    run(ws, "extend", "2026-0002", "--to", "2027-01-29", "--note", "区政府批准延期")
    run(ws, "close", "2026-0004", "--on", "2026-11-30")
    run(ws, "reopen", "2026-0004", "--note", "复查未整改到位")


def dump(ws: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with Ledger.open(ws / "data" / "ledger.sqlite") as ledger:
        items, changes = ledger.items(), ledger.changes()  # type: ignore[attr-defined]  # the old code's
        ledger.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn = ledger.conn
        tables = {}
        for table in ("items", "history", "files"):
            cur = conn.execute(f"SELECT * FROM {table} ORDER BY rowid")
            names = [d[0] for d in cur.description]
            tables[table] = [dict(zip(names, row, strict=True)) for row in cur]
    as_of = {day: [_plain(asdict(i)) for i in items_as_of(items, changes, date.fromisoformat(day))]
             for day in DAYS}
    db = out / "ledger.sqlite"
    db.unlink(missing_ok=True)
    source = sqlite3.connect(ws / "data" / "ledger.sqlite")
    target = sqlite3.connect(db)
    source.backup(target)
    target.execute("PRAGMA journal_mode=DELETE")
    target.execute("VACUUM")
    target.close()
    source.close()
    (out / "expected.json").write_text(
        json.dumps({"tables": tables, "items_as_of": as_of}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _plain(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else list(v) if isinstance(v, tuple) else v)
            for k, v in values.items()}


if __name__ == "__main__":
    target = Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        build(ws)
        dump(ws, target)
        shutil.rmtree(ws)
    print(f"written {target}")
