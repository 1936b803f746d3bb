"""No file stops a batch: each is read in a worker process with a memory and a CPU-time limit;
a worker that dies gives its file a verdict and the next file a fresh worker; a file that kills
sancha's own process twice (read without a worker) is quarantined; workers die with their
parent. Real processes, real limits."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import hostile
import pytest
from builders import CONFIG_TOML, data_row, make_workspace, submission_rows, xlsx_bytes

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX limits, /proc")


def big_sheet(rows: int = 1_000_000) -> bytes:
    """A1 and E<rows>: within max_sheet_cells (5 million cells), a few hundred MB to read whole."""
    return hostile._with_sheet_data(xlsx_bytes(submission_rows(data_row(1))), (
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        b'<row r="%d"><c r="E%d" t="inlineStr"><is><t>y</t></is></c></row></sheetData>' % (rows, rows)))


def workspace_with(tmp_path, limits: str):
    return make_workspace(tmp_path / "ws", CONFIG_TOML + f"\n[limits]\n{limits}\n")


def sancha(ws, *args: str, cap: int | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    def limit():
        if cap:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = {**os.environ, "RUST_BACKTRACE": "0"}  # a backtrace printed out of memory can hang the process
    return subprocess.run([sys.executable, "-m", "pipeline.cli", "-C", str(ws.root), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=limit)


def good(ws, name: str = "区财政局_正常.xlsx") -> None:
    (ws.inbox / name).write_bytes(xlsx_bytes(submission_rows(data_row(1, problem=f"{name}：验收不及时"))))


def verdicts(done: subprocess.CompletedProcess) -> dict[str, dict]:
    assert "Traceback" not in done.stderr and "内部错误" not in done.stderr, done.stderr
    return {Path(r["path"]).name: r for r in json.loads(done.stdout)["files"]}


def codes(result: dict) -> set[str]:
    return {i["code"] for i in result["issues"] if i["severity"] == "error"}


def test_a_file_whose_reading_exceeds_the_workers_memory_is_rejected_and_the_batch_goes_on(tmp_path):
    ws = workspace_with(tmp_path, "max_worker_memory_mb = 256")
    (ws.inbox / "区财政局_大.xlsx").write_bytes(big_sheet())
    good(ws)
    good(ws, "区财政局_正常2.xlsx")
    done = sancha(ws, "ingest", "--json")
    results = verdicts(done)
    assert done.returncode == 1
    assert codes(results["区财政局_大.xlsx"]) == {"file-too-large"}
    (issue,) = results["区财政局_大.xlsx"]["issues"]
    assert "内存" in issue["message"] and "256 MB" in issue["message"]
    assert results["区财政局_正常.xlsx"]["accepted"] and results["区财政局_正常2.xlsx"]["accepted"]
    assert not list(ws.inbox.iterdir()) and len(list(ws.outbox.rglob("回执_*.txt"))) == 3


def test_a_file_whose_reading_exceeds_the_cpu_time_is_rejected(tmp_path):
    ws = workspace_with(tmp_path, "max_worker_seconds = 1\nmax_sheet_cells = 20000000\nmax_workbook_cells = 20000000")
    (ws.inbox / "区财政局_慢.xlsx").write_bytes(big_sheet(4_000_000))  # ≈ 10 s of CPU to read whole
    good(ws)
    results = verdicts(sancha(ws, "ingest", "--json"))
    (issue,) = results["区财政局_慢.xlsx"]["issues"]
    assert issue["code"] == "file-too-large" and "1 秒" in issue["message"]
    assert results["区财政局_正常.xlsx"]["accepted"]


def test_check_has_the_same_protection(tmp_path):
    ws = workspace_with(tmp_path, "max_worker_memory_mb = 256")
    big = tmp_path / "区财政局_大.xlsx"
    big.write_bytes(big_sheet())
    fine = tmp_path / "区财政局_正常.xlsx"
    fine.write_bytes(xlsx_bytes(submission_rows(data_row(1))))
    done = sancha(ws, "check", "--json", str(big), str(fine))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    files = {Path(f["path"]).name: f for f in json.loads(done.stdout)["files"]}
    assert {i["code"] for i in files[big.name]["issues"]} == {"file-too-large"}
    assert files[fine.name]["ok"]


def test_a_file_that_kills_sanchas_own_process_twice_is_quarantined(tmp_path):
    ws = workspace_with(tmp_path, "max_worker_memory_mb = 0\nmax_sheet_cells = 20000000\nmax_workbook_cells = 20000000")
    data = big_sheet(4_000_000)  # ≈ 1.2 GB to read whole: no worker to die for it
    (ws.inbox / "区财政局_大.xlsx").write_bytes(data)
    cap = 900 << 20
    for _ in range(2):
        died = sancha(ws, "ingest", "--json", cap=cap)
        assert died.returncode != 0 and (ws.inbox / "区财政局_大.xlsx").exists()
    good(ws)
    done = sancha(ws, "ingest", "--json", cap=cap)
    results = verdicts(done)
    assert codes(results["区财政局_大.xlsx"]) == {"file-quarantined"}
    assert results["区财政局_正常.xlsx"]["accepted"]
    (kept,) = (ws.data / "quarantine").glob("*/*区财政局_大.xlsx")
    assert kept.read_bytes() == data
    assert not list(ws.inbox.iterdir())
    assert any("隔离" in p.read_text(encoding="utf-8-sig") for p in ws.outbox.rglob("回执_*.txt"))
    again = sancha(ws, "ingest", "--json", cap=cap)
    assert json.loads(again.stdout)["files"] == []  # never retried


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                out.append(int(entry))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_die_with_a_killed_ingest(tmp_path):
    ws = workspace_with(tmp_path, "max_worker_seconds = 60")
    for k in range(3):
        (ws.inbox / f"区财政局_大{k}.xlsx").write_bytes(big_sheet())
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "-C", str(ws.root), "ingest"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    workers: list[int] = []
    while not workers and time.monotonic() < deadline:
        time.sleep(0.1)
        workers = [c for c in children(proc.pid) if b"pipeline.intake.worker" in Path(f"/proc/{c}/cmdline").read_bytes()]
    assert workers, "no worker started"
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 5
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(w) for w in workers), "orphaned parse workers"
