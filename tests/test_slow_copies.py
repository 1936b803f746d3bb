"""Slow copies lose nothing: a file still held open by its writer is not taken (however long the
writer pauses), and a file that changes between its reading and its removal stays for the next
run. Real writers in subprocesses; short settle times."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from builders import CONFIG_TOML, csv_bytes, data_row, make_workspace, submission_rows, xlsx_bytes

from pipeline.ledger.ledger import Ledger

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc tells who writes")

WRITER = """
import sys, time
path, data, pieces, pause = sys.argv[1], open(sys.argv[2], "rb").read(), int(sys.argv[3]), float(sys.argv[4])
step = len(data) // pieces + 1
with open(path, "wb") as fh:
    for k in range(0, len(data), step):
        fh.write(data[k:k + step]); fh.flush()
        time.sleep(pause)
"""


def ws_fast(tmp_path):
    return make_workspace(tmp_path / "ws", CONFIG_TOML + "\n[watch]\nsettle_seconds = 0.2\ninterval = 0.1\n"
                                                         "rescan_seconds = 1\n")


def slow_write(tmp_path, dest: Path, data: bytes, pieces: int = 4, pause: float = 0.6) -> subprocess.Popen:
    source = tmp_path / f"src_{dest.name}"
    source.write_bytes(data)
    return subprocess.Popen([sys.executable, "-c", WRITER, str(dest), str(source), str(pieces), str(pause)])


def sancha(ws, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", "-C", str(ws.root), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("kind", ["csv", "xls-like"])
def test_ingest_leaves_a_file_its_writer_still_holds_then_takes_it_whole(tmp_path, kind):
    ws = ws_fast(tmp_path)
    rows = submission_rows(*(data_row(k, problem=f"问题{k}：验收不及时") for k in range(1, 41)))
    data = csv_bytes(rows, "utf-8-sig") if kind == "csv" else xlsx_bytes(rows)
    dest = ws.inbox / ("区财政局_慢.csv" if kind == "csv" else "区财政局_慢.xlsx")
    writer = slow_write(tmp_path, dest, data)
    taken = []
    while writer.poll() is None:
        done = sancha(ws, "ingest", "--json")
        taken += json.loads(done.stdout)["files"]
        time.sleep(0.3)
    taken += json.loads(sancha(ws, "ingest", "--json").stdout)["files"]
    (result,) = taken  # never taken half-written, though each pause outlasts settle_seconds
    assert result["accepted"] and len(result["added"]) == 40


def test_the_watcher_waits_for_a_writer_that_pauses_longer_than_the_settle_time(tmp_path):
    ws = ws_fast(tmp_path)
    rows = submission_rows(*(data_row(k, problem=f"问题{k}：验收不及时") for k in range(1, 41)))
    watcher = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "-C", str(ws.root), "watch", "--polling"],
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        writer = slow_write(tmp_path, ws.inbox / "区财政局_慢.csv", csv_bytes(rows, "utf-8-sig"), pieces=5, pause=0.8)
        writer.wait(timeout=60)
        deadline = time.monotonic() + 30
        while list(ws.inbox.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        watcher.terminate()
        watcher.wait(timeout=20)
    with Ledger.open(ws.db_path) as ledger:
        (record,) = ledger.files()
        assert record.verdict == "accepted" and len(record.added) == 40


def test_fifty_saves_in_place_as_excel_does_lose_nothing(tmp_path):
    """Excel and WPS save by writing a temporary file and renaming it over the original; the watcher
    runs meanwhile. Every version removed from the inbox was answered, the last one is in the ledger."""
    ws = ws_fast(tmp_path)
    watcher = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "-C", str(ws.root), "watch", "--polling"],
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = ws.inbox / "区财政局_三单.xlsx"
    try:
        for n in range(1, 51):
            tmp = ws.inbox / f"~WRL{n:04d}.tmp"
            tmp.write_bytes(xlsx_bytes(submission_rows(data_row(1, problem="采购验收不及时", progress=f"第{n}次保存"))))
            tmp.replace(target)
            time.sleep(0.05 + (n % 7) * 0.05)
        deadline = time.monotonic() + 60
        while target.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        watcher.terminate()
        watcher.wait(timeout=20)
    assert not target.exists()
    with Ledger.open(ws.db_path) as ledger:
        (item,) = ledger.items()
        assert item.progress == "第50次保存"  # the final version is never lost
        assert all(f.state == "done" for f in ledger.files())
