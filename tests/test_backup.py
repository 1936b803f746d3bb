"""The ledger is never silently begun anew, and `sancha backup` copies it while others write.

A ledger missing, empty or unreadable beside the archive it kept stops every command (exit 2,
one Chinese line saying what to restore); `doctor` says the same. A backup taken while a
watcher ingests is a consistent ledger that, restored, lets work go on.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from builders import CONFIG_TOML, data_row, make_workspace, submission_rows, xlsx_bytes

from pipeline.ledger.ledger import Ledger

REPO = Path(__file__).resolve().parents[1]


def accepted(ws, cli, n: int = 1) -> None:
    assert cli("templates")[0] == 0
    for k in range(n):
        (ws.inbox / f"f{k}.xlsx").write_bytes(xlsx_bytes(submission_rows(data_row(1, problem=f"问题{k}：验收不及时"))))
    assert cli("ingest", "--as-of", "2026-11-20")[0] == 0


def lose(ws, how: str) -> None:
    for suffix in ("-wal", "-shm"):
        Path(str(ws.db_path) + suffix).unlink(missing_ok=True)
    if how == "missing":
        ws.db_path.unlink()
    elif how == "empty":
        ws.db_path.write_bytes(b"")
    elif how == "tables gone":
        ws.db_path.unlink()
        sqlite3.connect(ws.db_path).execute("CREATE TABLE x (y)").connection.close()
    else:  # overwritten by something else
        ws.db_path.write_bytes(b"PK\x03\x04 this is not a database at all" * 200)


@pytest.mark.parametrize("how", ["missing", "empty", "tables gone", "garbage"])
@pytest.mark.parametrize("command", [("ingest",), ("status",), ("export",), ("weekly", "--as-of", "2026-11-30"),
                                     ("backup",), ("close", "2026-0001")])
def test_a_lost_ledger_stops_every_command_with_what_to_restore(workspace, cli, how, command):
    accepted(workspace, cli)
    lose(workspace, how)
    before = workspace.db_path.read_bytes() if workspace.db_path.exists() else None
    code, out, err = cli(*command)
    assert code == 2, (out, err)
    assert "内部错误" not in err and "Traceback" not in err
    assert "台帐数据库" in err and "备份" in err and "ledger.sqlite" in err
    assert (workspace.db_path.read_bytes() if workspace.db_path.exists() else None) == before  # nothing begun anew


def test_doctor_says_the_same(workspace, cli):
    accepted(workspace, cli)
    lose(workspace, "missing")
    code, out, _ = cli("doctor")
    assert code == 2 and "ledger-lost" in out and "不存在或为空" in out and "备份" in out
    assert not workspace.db_path.exists()


def test_a_new_workspace_still_begins_its_ledger(workspace, cli):
    accepted(workspace, cli)
    assert workspace.db_path.stat().st_size > 0


def test_a_backup_is_a_consistent_copy_that_restores(workspace, cli, tmp_path):
    accepted(workspace, cli, 3)
    code, out, _ = cli("backup", "-o", tmp_path / "b.sqlite")
    assert code == 0 and "3 个事项" in out
    copy = sqlite3.connect(tmp_path / "b.sqlite")
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert copy.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 3
    copy.close()
    lose(workspace, "garbage")
    assert cli("status", "--as-of", "2026-11-20")[0] == 2
    shutil.copy(tmp_path / "b.sqlite", workspace.db_path)
    assert cli("status", "--as-of", "2026-11-20")[0] == 0
    assert len(cli.json("export")) == 3


def test_the_default_backup_lands_in_data_backups_and_is_named_in_the_message(workspace, cli):
    accepted(workspace, cli)
    assert cli("backup")[0] == 0
    (backup,) = (workspace.data / "backups").glob("ledger-*.sqlite")
    lose(workspace, "missing")
    _, _, err = cli("status")
    assert backup.name in err


def test_a_backup_taken_while_the_watcher_ingests_is_consistent(tmp_path):
    ws = make_workspace(tmp_path / "ws", CONFIG_TOML + "\n[watch]\nsettle_seconds = 0.1\ninterval = 0.1\n")
    watcher = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "-C", str(ws.root), "watch", "--polling"],
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        backups = []
        for k in range(12):
            (ws.inbox / f"f{k}.xlsx").write_bytes(xlsx_bytes(submission_rows(data_row(1, problem=f"问题{k}"))))
            dest = tmp_path / f"b{k}.sqlite"
            done = subprocess.run([sys.executable, "-m", "pipeline.cli", "-C", str(ws.root), "backup", "-o", str(dest)],
                                  cwd=REPO, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            backups.append(dest)
            time.sleep(0.05)
    finally:
        watcher.terminate()
        watcher.wait(timeout=20)
    counts = []
    for dest in backups:
        with Ledger.open(dest) as copy:
            assert copy.integrity_problems() == []
            items = len(copy.items())
            files = len(copy.files())
            assert items == sum(len(f.added) for f in copy.files()) and items <= files
            counts.append(files)
    assert counts == sorted(counts)
