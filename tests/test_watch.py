"""The folder watcher with a real watchdog observer (native and polling) on real folders.

Settle and rescan times are shortened through [watch] in each test's sancha.toml; every wait
polls for the expected state with a deadline.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from builders import CONFIG_TOML, data_row, make_workspace, submission_rows, xlsx_bytes

from pipeline.config import WatchSettings
from pipeline.ledger import ingest as ingest_module
from pipeline.ledger.ingest import Ingestor, ingest_inbox
from pipeline.ledger.ledger import Ledger
from pipeline.service import watch as watch_module
from pipeline.service.watch import Watcher, looks_complete, watch
from pipeline.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]
FAST = {"settle_seconds": 0.3, "interval": 0.2, "rescan_seconds": 2}


def fast_workspace(root: Path, **watch_settings) -> Workspace:
    settings = {**FAST, **watch_settings}
    lines = "".join(f"{k} = {str(v).lower() if isinstance(v, bool) else v}\n" for k, v in settings.items())
    return make_workspace(root, CONFIG_TOML + "\n[watch]\n" + lines)


def submission(n: int, rows: int = 2) -> bytes:
    """A valid 区财政局 file whose `rows` items are new and belong to file `n` only."""
    return xlsx_bytes(submission_rows(*(data_row(k, problem=f"文件{n}的问题{k}：采购验收不及时") for k in range(1, rows + 1))))


def wait_for(condition, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def journal(ws: Workspace):
    if not ws.db_path.exists():
        return []
    with Ledger.open(ws.db_path) as ledger:
        return ledger.files()


def item_count(ws: Workspace) -> int:
    with Ledger.open(ws.db_path) as ledger:
        return len(ledger.items())


def receipts(ws: Workspace) -> list[Path]:
    return sorted(ws.outbox.rglob("回执_*.txt"))


def done(ws: Workspace, n: int):
    return lambda: len([f for f in journal(ws) if f.state == "done"]) >= n


@contextmanager
def watching(ws: Workspace, **kwargs):
    """`watch()` in a thread; stopping it must take no more than a few seconds."""
    stop = threading.Event()
    results: list = []
    thread = threading.Thread(target=watch, args=(ws,), daemon=True,
                              kwargs={"stop_event": stop, "on_result": results.append, **kwargs})
    thread.start()
    try:
        yield results
    finally:
        stop.set()
        thread.join(timeout=5)
        assert not thread.is_alive(), "the watcher did not stop within 5 s"


def staged(tmp_path: Path, count: int, prefix: str = "f") -> list[Path]:
    """`count` distinct submissions written outside the inbox, ready to be moved or copied in."""
    staging = tmp_path / "staging"
    staging.mkdir()
    for n in range(count):
        (staging / f"{prefix}{n:02d}.xlsx").write_bytes(submission(n))
    return sorted(staging.iterdir())


def assert_each_answered_once(ws: Workspace, count: int) -> None:
    """One journal row, one receipt and two items per file: none lost, none doubled."""
    records = journal(ws)
    assert len(records) == count and len({r.sha256 for r in records}) == count
    assert {r.verdict for r in records} == {"accepted"} and {r.state for r in records} == {"done"}
    assert item_count(ws) == 2 * count and len(receipts(ws)) == count
    assert not any(ws.inbox.iterdir())
    with Ledger.open(ws.db_path) as ledger:
        assert ledger.integrity_problems() == []


def write_in_chunks(path: Path, data: bytes, chunks: int, pause: float) -> None:
    size = -(-len(data) // chunks)
    with open(path, "wb") as fh:
        for start in range(0, len(data), size):
            fh.write(data[start:start + size])
            fh.flush()
            time.sleep(pause)


# -- completeness ----------------------------------------------------------------------------
def test_a_truncated_or_empty_workbook_is_not_complete(tmp_path):
    data = submission(1)
    whole, cut, empty = tmp_path / "a.xlsx", tmp_path / "b.xlsx", tmp_path / "c.xlsx"
    whole.write_bytes(data)
    cut.write_bytes(data[: len(data) - 30])  # the central directory is written last
    empty.write_bytes(b"")
    assert looks_complete(whole)
    assert not looks_complete(cut)
    assert not looks_complete(empty)
    assert not looks_complete(tmp_path / "missing.xlsx")


def test_content_that_is_not_a_zip_is_left_to_ingest(tmp_path):
    ole = tmp_path / "encrypted.xlsx"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    csv = tmp_path / "a.csv"
    csv.write_bytes("序号,整改问题\n".encode("gbk"))
    assert looks_complete(ole) and looks_complete(csv)


# -- mechanics with a stub in place of the Ingestor ------------------------------------------
@contextmanager
def stub_watcher(tmp_path: Path, process, give_up_seconds=None, **settings):
    ws = Workspace(tmp_path)
    ws.inbox.mkdir(parents=True, exist_ok=True)
    watcher = Watcher(ws, WatchSettings(**{**FAST, **settings}), process, give_up_seconds=give_up_seconds)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        yield ws, watcher
    finally:
        watcher.stop_event.set()
        thread.join(timeout=8)
        assert not thread.is_alive()


def test_a_crashing_process_never_stops_the_watcher_and_the_file_is_retried(tmp_path):
    calls: list[str] = []

    def process(path: Path):
        calls.append(path.name)
        if path.name == "bad.xlsx" and calls.count("bad.xlsx") == 1:
            raise RuntimeError("disk full")
        path.unlink()

    with stub_watcher(tmp_path, process, rescan_seconds=0.5) as (ws, watcher):
        (ws.inbox / "bad.xlsx").write_bytes(submission(1))
        wait_for(lambda: "bad.xlsx" in calls, what="first attempt")
        (ws.inbox / "good.xlsx").write_bytes(submission(2))
        wait_for(lambda: "good.xlsx" in calls, what="the next file")
        wait_for(lambda: calls.count("bad.xlsx") == 2, what="the retry at the next rescan")
        assert watcher.errors == 1
        assert not any(ws.inbox.iterdir())


def test_a_copy_that_never_completes_is_handed_over_after_the_grace_period(tmp_path):
    calls: list[float] = []
    def hand_over(path):
        calls.append(time.monotonic())
        path.unlink()

    with stub_watcher(tmp_path, hand_over, give_up_seconds=1.0) as (ws, _):
        t0 = time.monotonic()
        (ws.inbox / "aborted.xlsx").write_bytes(submission(1)[:2000])  # an aborted copy: never a whole zip
        wait_for(lambda: calls, what="the hand-over")
    assert calls[0] - t0 >= 1.0


def test_repeated_events_for_one_file_process_it_once(tmp_path):
    calls: list[bytes] = []

    def process(path: Path):
        calls.append(path.read_bytes())
        path.unlink()

    data = submission(1)
    with stub_watcher(tmp_path, process) as (ws, _):
        target = ws.inbox / "a.xlsx"
        write_in_chunks(target, data, chunks=8, pause=0.05)
        for _ in range(5):  # an editor touching the file again and again
            os.utime(target)
            time.sleep(0.02)
        wait_for(lambda: calls, what="processing")
        time.sleep(0.5)
    assert calls == [data]


def test_stopping_abandons_a_file_in_hand_within_a_few_seconds(tmp_path, monkeypatch):
    monkeypatch.setattr(watch_module, "STOP_GRACE_SECONDS", 0.5)
    started = threading.Event()

    def slow(path: Path):
        started.set()
        time.sleep(30)

    with stub_watcher(tmp_path, slow) as (ws, watcher):
        (ws.inbox / "a.xlsx").write_bytes(submission(1))
        wait_for(started.is_set, what="processing to start")
        t0 = time.monotonic()
        watcher.stop_event.set()
    assert time.monotonic() - t0 < 3
    assert not watcher.stopped_cleanly
    assert (ws.inbox / "a.xlsx").exists()  # the file in hand stays for the next start


def test_an_observer_that_goes_silent_is_rebuilt(tmp_path, monkeypatch):
    def process(path: Path):
        path.unlink()

    with stub_watcher(tmp_path, process, settle_seconds=0.1, interval=0.1, rescan_seconds=3) as (ws, watcher):
        wait_for(lambda: watcher.observer and watcher.queue.empty(), what="the scan at start")
        monkeypatch.setattr(watch_module._Enqueue, "on_any_event", lambda self, event: None)  # alive, mute
        (ws.inbox / "a.xlsx").write_bytes(submission(1))
        wait_for(lambda: watcher.rebuilds >= 1, what="the rebuild")
        wait_for(lambda: not (ws.inbox / "a.xlsx").exists(), what="the rescan")


# -- the real thing: watch() + Ingestor + ledger ---------------------------------------------
def test_a_file_written_in_chunks_is_processed_once_after_the_copy_completes(tmp_path):
    ws = fast_workspace(tmp_path)
    data = submission(1, rows=3)
    with watching(ws) as results:
        # pauses longer than the settle time: only the incomplete zip says the copy goes on
        write_in_chunks(ws.inbox / "区财政局_三单.xlsx", data, chunks=4, pause=0.5)
        wait_for(done(ws, 1), what="the file to be answered")
        time.sleep(0.3)
    [record] = journal(ws)
    assert record.verdict == "accepted" and len(record.added) == 3
    assert record.received_on == date.today()
    assert (ws.archive / record.archive_path).read_bytes() == data
    assert [r.verdict for r in results] == ["accepted"]
    assert len(receipts(ws)) == 1 and not any(ws.inbox.iterdir())


def test_thirty_files_at_once(tmp_path):
    ws = fast_workspace(tmp_path)
    files = staged(tmp_path, 30, prefix="单位文件")
    with watching(ws):
        for f in files:
            (ws.inbox / f.name).write_bytes(f.read_bytes())
        wait_for(done(ws, 30), timeout=20, what="30 answered files")
    assert_each_answered_once(ws, 30)


def test_owner_temp_and_hidden_files_are_ignored(tmp_path):
    ws = fast_workspace(tmp_path, rescan_seconds=0.3)
    ignored = ["~$区财政局_三单.xlsx", ".~区财政局_三单.xlsx", "下载中.xlsx.crdownload", ".hidden.xlsx", "abc.tmp"]
    with watching(ws):
        for name in ignored:
            (ws.inbox / name).write_bytes(b"owner")
        (ws.inbox / "区财政局_三单.xlsx").write_bytes(submission(1))
        wait_for(done(ws, 1), what="the real file")
        time.sleep(1)  # several rescans
    assert [r.name for r in journal(ws)] == ["区财政局_三单.xlsx"]
    assert sorted(p.name for p in ws.inbox.iterdir()) == sorted(ignored)
    assert len(receipts(ws)) == 1


def test_files_moved_in_from_elsewhere_and_saved_through_a_temp_file(tmp_path):
    ws = fast_workspace(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.xlsx").write_bytes(submission(1))
    unit_folder = ws.inbox / "区财政局"
    with watching(ws):
        os.replace(elsewhere / "a.xlsx", ws.inbox / "a.xlsx")
        unit_folder.mkdir()
        temp = unit_folder / "~WRL0001.tmp"  # an editor's save: write a temp file, rename it
        temp.write_bytes(submission(2))
        os.replace(temp, unit_folder / "b.xlsx")
        wait_for(done(ws, 2), what="both files")
    records = {r.name: r for r in journal(ws)}
    assert set(records) == {"a.xlsx", "b.xlsx"}
    assert records["b.xlsx"].source_path == "inbox/区财政局/b.xlsx"
    assert all(r.verdict == "accepted" for r in records.values())


def test_a_unit_folder_moved_in_with_files_inside(tmp_path):
    ws = fast_workspace(tmp_path, rescan_seconds=60)
    folder = tmp_path / "区财政局"
    folder.mkdir()
    (folder / "a.xlsx").write_bytes(submission(1))
    with watching(ws):
        os.replace(folder, ws.inbox / "区财政局")
        wait_for(done(ws, 1), what="the file inside the folder")


@pytest.mark.parametrize("polling", [False, True], ids=["native", "polling"])
def test_an_inbox_that_vanishes_and_comes_back_is_watched_again(tmp_path, polling):
    ws = fast_workspace(tmp_path, rescan_seconds=60, polling=polling)  # only a rebuilt observer helps
    with watching(ws) as results:
        (ws.inbox / "a.xlsx").write_bytes(submission(1))
        wait_for(done(ws, 1), what="the first file")
        os.rename(ws.inbox, tmp_path / "inbox-gone")  # a share outage, seen from here
        time.sleep(0.5)
        ws.inbox.mkdir()
        (ws.inbox / "b.xlsx").write_bytes(submission(2))
        wait_for(done(ws, 2), what="a file in the inbox that came back")
    assert [r.name for r in results] == ["a.xlsx", "b.xlsx"]


def power_cut(*args, **kwargs):
    raise OSError("power cut")


def test_a_file_a_crash_left_half_answered_is_finished_at_start(tmp_path, monkeypatch):
    ws = fast_workspace(tmp_path)
    (ws.inbox / "a.xlsx").write_bytes(submission(1))
    with monkeypatch.context() as m:
        m.setattr(ingest_module.receipts, "write_receipt", power_cut)
        with pytest.raises(OSError), Ledger.open(ws.db_path) as ledger:
            Ingestor(ws, ledger).ingest(ws.inbox / "a.xlsx")
    [record] = journal(ws)
    assert record.state == "recorded" and not receipts(ws)
    (ws.inbox / "a.xlsx").unlink()  # only the journal knows about it now
    with watching(ws) as results:
        wait_for(done(ws, 1), what="recovery")
    assert [r.name for r in results] == ["a.xlsx"] and len(journal(ws)) == 1 and len(receipts(ws)) == 1


def test_a_corrected_file_under_the_name_of_a_half_answered_one_is_not_lost(tmp_path, monkeypatch):
    ws = fast_workspace(tmp_path)
    path = ws.inbox / "区财政局_三单.xlsx"
    path.write_bytes(submission(1))
    with monkeypatch.context() as m:
        m.setattr(ingest_module.receipts, "write_receipt", power_cut)
        with pytest.raises(OSError), Ledger.open(ws.db_path) as ledger:
            Ingestor(ws, ledger).ingest(path)
    path.write_bytes(submission(2))  # no receipt came, so the unit sends a corrected file, same name
    with watching(ws):
        wait_for(done(ws, 2), what="the crashed file and the corrected one")
    assert [len(r.added) for r in journal(ws)] == [2, 2] and item_count(ws) == 4


def test_polling_mode_processes_files_and_files_waiting_at_start(tmp_path):
    ws = fast_workspace(tmp_path, polling=True)
    (ws.inbox / "early.xlsx").write_bytes(submission(1))
    with watching(ws) as results:
        wait_for(done(ws, 1), what="the file waiting at start")
        (ws.inbox / "late.xlsx").write_bytes(submission(2))
        wait_for(done(ws, 2), what="the file dropped while polling")
    assert sorted(r.name for r in results) == ["early.xlsx", "late.xlsx"]
    assert item_count(ws) == 4


def test_a_file_that_is_not_a_workbook_is_rejected_with_a_receipt(tmp_path):
    ws = fast_workspace(tmp_path)
    with watching(ws) as results:
        (ws.inbox / "区财政局_三单.xlsx").write_text("这不是表格", encoding="utf-8")
        wait_for(done(ws, 1), what="the verdict")
    assert [r.verdict for r in results] == ["rejected"]
    assert len(receipts(ws)) == 1 and not any(ws.inbox.iterdir())


def test_the_same_content_twice_is_a_duplicate_with_a_receipt(tmp_path):
    ws = fast_workspace(tmp_path)
    data = submission(1)
    with watching(ws):
        (ws.inbox / "a.xlsx").write_bytes(data)
        wait_for(done(ws, 1), what="the first copy")
        (ws.inbox / "a（再次报送）.xlsx").write_bytes(data)
        wait_for(done(ws, 2), what="the second copy")
    assert [r.verdict for r in journal(ws)] == ["accepted", "duplicate"]
    assert item_count(ws) == 2 and len(receipts(ws)) == 2


def test_sancha_ingest_beside_the_watcher_never_doubles_a_file(tmp_path):
    ws = fast_workspace(tmp_path, settle_seconds=0.1, interval=0.1)
    with watching(ws):
        for f in staged(tmp_path, 20):
            os.replace(f, ws.inbox / f.name)
            ingest_inbox(ws)  # a batch racing the watcher for the same files
        wait_for(done(ws, 20), what="every file")
    assert_each_answered_once(ws, 20)


# -- the command in a process of its own: signals, kill -9, logs ----------------------------
def start_cli(ws: Workspace, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", "-C", str(ws.root), "watch", *args],
                            cwd=ws.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_command_stops_cleanly_on_a_signal(tmp_path, signum):
    ws = fast_workspace(tmp_path)
    proc = start_cli(ws, "--polling", "--interval", "0.2")
    try:
        (ws.inbox / "a.xlsx").write_bytes(submission(1))
        wait_for(done(ws, 1), what="the file")
        proc.send_signal(signum)
        assert proc.wait(timeout=5) == 0
    finally:
        proc.kill()
    err = proc.stderr.read().decode("utf-8")
    assert "轮询" in err and "accepted a.xlsx 单位=区财政局 新增=2 更新=0" in err
    log = (ws.logs / "sancha.log").read_text(encoding="utf-8")
    assert "accepted a.xlsx 单位=区财政局 新增=2 更新=0" in log and "监视已停止" in log


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_kill_9_mid_burst_then_restart_processes_every_file_exactly_once(tmp_path):
    ws = fast_workspace(tmp_path, settle_seconds=0.1, interval=0.1)
    files = staged(tmp_path, 30)
    proc = start_cli(ws)
    waiting_at_kill = []
    try:
        for f in files:
            os.replace(f, ws.inbox / f.name)
        for kill_after in (1, 8):  # kill twice, somewhere inside the burst
            wait_for(lambda n=kill_after: len(journal(ws)) >= n, timeout=15, what=f"{kill_after} journal rows")
            proc.kill()
            proc.wait(timeout=5)
            waiting_at_kill.append(len(list(ws.inbox.iterdir())))
            proc = start_cli(ws)
        wait_for(lambda: not any(ws.inbox.iterdir()) and done(ws, 30)(), timeout=20, what="every file answered")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)
    assert waiting_at_kill[0] > 0, "the first kill came after the burst"
    assert_each_answered_once(ws, 30)


# -- sancha.toml changes while watching (issue 19 point 8) ---------------------------------------


def test_a_unit_added_to_sancha_toml_while_watching_is_known_to_its_first_file(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="sancha")
    ws = fast_workspace(tmp_path / "ws")
    good = ws.config_path.read_text(encoding="utf-8")

    def drop(name: str, problem: str):
        folder = ws.inbox / "区数据资源局"
        folder.mkdir(exist_ok=True)
        (folder / name).write_bytes(xlsx_bytes(submission_rows(
            data_row(1, problem=problem, lead_unit="区数据资源局"), unit="区数据资源局")))

    with watching(ws) as results:
        time.sleep(0.5)
        ws.config_path.write_text(good + '\n[[units]]\nname = "区数据资源局"\n', encoding="utf-8")
        wait_for(lambda: "已重新读取 sancha.toml" in caplog.text, what="the reload")
        drop("a.xlsx", "政务数据共享不及时")
        wait_for(lambda: len(results) == 1, what="the first file of the new unit")
        assert (results[0].unit, results[0].verdict) == ("区数据资源局", "accepted"), results[0].findings

        ws.config_path.write_text(good + '\n[[units]\nname = "区数据资源局"\n', encoding="utf-8")  # broken
        wait_for(lambda: "sancha.toml 修改后无法使用，继续使用上次的配置" in caplog.text, what="the broken edit")
        drop("b.xlsx", "数据目录未及时更新")
        wait_for(lambda: len(results) == 2, what="a file under the last good configuration")
        assert (results[1].unit, results[1].verdict) == ("区数据资源局", "accepted"), results[1].findings
    assert caplog.text.count("sancha.toml 修改后无法使用") == 1  # said once, not at every check


def test_a_changed_watch_section_takes_effect_without_a_restart(tmp_path, caplog):
    """[watch] edited while watching: the new settle time applies to the next file, and a switch
    to polling rebuilds the observer (issue 19 point 8: the watcher rereads sancha.toml)."""
    caplog.set_level(logging.INFO, logger="sancha")
    ws = fast_workspace(tmp_path / "ws")
    text = ws.config_path.read_text(encoding="utf-8")
    assert "settle_seconds = 0.3" in text
    with watching(ws) as results:
        time.sleep(0.5)
        ws.config_path.write_text(text.replace("settle_seconds = 0.3", "settle_seconds = 1.5")
                                  + "polling = true\n", encoding="utf-8")
        wait_for(lambda: "监视设置已更新：轮询" in caplog.text, what="the new [watch]")
        wait_for(lambda: "按新的监视设置重新启动监视器" in caplog.text, what="the observer rebuilt")
        assert "文件稳定 1.5 秒后处理" in caplog.text
        started = time.monotonic()
        (ws.inbox / "区财政局.xlsx").write_bytes(submission(1))
        wait_for(lambda: len(results) == 1, what="the file under the new settings")
        assert time.monotonic() - started >= 1.5  # waited the new settle time, not the old 0.3 s
        assert results[0].verdict == "accepted", results[0].findings
    assert "监视器失效" not in caplog.text
