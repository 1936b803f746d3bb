"""Ingest end to end: verdicts, archive, receipts, duplicates, resubmission with ids, crash safety."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from builders import data_row, make_workspace, sample_bytes, submission_rows, xlsx_bytes

from pipeline.ledger.ledger import Ledger
from pipeline.output import receipts

JSON_FILE_KEYS = {"path", "unit", "accepted", "duplicate", "added", "updated", "evidence", "issues"}
JSON_ISSUE_KEYS = {"code", "severity", "sheet", "cell", "message", "hint"}


def drop(ws, name: str, data: bytes, folder: str | None = None) -> Path:
    target = ws.inbox / folder if folder else ws.inbox
    target.mkdir(parents=True, exist_ok=True)
    path = target / name
    path.write_bytes(data)
    return path


def item_count(ws) -> int:
    with Ledger.open(ws.db_path) as led:
        return len(led.items())


def test_init_makes_a_workspace(tmp_path, capsys):
    from pipeline.cli import main

    assert main(["init", str(tmp_path / "新工作区")]) == 0
    root = tmp_path / "新工作区"
    for name in ("sancha.toml", "inbox", "outbox", "templates", "data"):
        assert (root / name).exists(), name
    assert main(["-C", str(root), "export"]) == 0


def test_accepted_file_enters_ledger_is_archived_and_answered(workspace, cli):
    data = sample_bytes("区财政局_三单_2026年第四季度督查.xlsx")
    drop(workspace, "区财政局_三单.xlsx", data)
    result = cli.json("ingest", "--json", "--as-of", "2026-11-20")
    (f,) = result["files"]
    assert set(f) == JSON_FILE_KEYS
    assert (f["unit"], f["accepted"], f["duplicate"]) == ("区财政局", True, False)
    assert f["added"] == ["2026-0001", "2026-0002", "2026-0003", "2026-0004"] and f["updated"] == []
    assert not list(workspace.inbox.iterdir())
    archived = list(workspace.archive.rglob("*.xlsx"))
    assert [hashlib.sha256(p.read_bytes()).digest() for p in archived] == [hashlib.sha256(data).digest()]
    (receipt,) = (workspace.outbox / "区财政局").glob("回执_*.txt")
    text = receipt.read_text(encoding="utf-8-sig")
    assert "已接收" in text and "2026-0004" in text and "非税收入收缴不及时" in text


def test_rejected_file_leaves_ledger_untouched_and_returns_marked_sheet(workspace, cli):
    rows = submission_rows(data_row(1), data_row(2, deadline="2026.13.01", co_units="区财政厅"))
    drop(workspace, "区财政局_三单.xlsx", xlsx_bytes(rows, sheet="三单"))
    code, out, _ = cli("ingest", "--json")
    assert code == 1
    import json

    (f,) = json.loads(out)["files"]
    assert not f["accepted"] and f["added"] == []
    assert all(set(i) == JSON_ISSUE_KEYS for i in f["issues"])
    assert {(i["code"], i["sheet"], i["cell"]) for i in f["issues"]} >= {
        ("bad-deadline", "三单", "F5"), ("unknown-unit", "三单", "H5")}
    assert "区财政局" in next(i["hint"] for i in f["issues"] if i["code"] == "unknown-unit")
    assert item_count(workspace) == 0
    (marked,) = (workspace.outbox / "区财政局").glob("退回标注_*.xlsx")
    ws = openpyxl.load_workbook(marked)["三单"]
    assert ws["F5"].fill.fgColor.rgb.endswith("FF9999") and "不是有效日期" in ws["F5"].comment.text
    (receipt,) = (workspace.outbox / "区财政局").glob("回执_*.txt")
    assert "三单!F5" in receipt.read_text(encoding="utf-8-sig")


def test_same_bytes_under_another_name_is_a_duplicate(workspace, cli):
    data = xlsx_bytes(submission_rows(data_row(1)))
    drop(workspace, "a.xlsx", data)
    cli("ingest", "--as-of", "2026-11-20")
    drop(workspace, "副本 a.xlsx", data)
    result = cli.json("ingest", "--json", "--as-of", "2026-11-21")
    (f,) = result["files"]
    assert f["duplicate"] and not f["accepted"] and [i["code"] for i in f["issues"]] == ["duplicate-file"]
    assert item_count(workspace) == 1
    assert not list(workspace.inbox.iterdir())


def test_resubmission_with_ids_updates_and_keeps_every_change_as_an_event(workspace, cli):
    drop(workspace, "first.xlsx", xlsx_bytes(submission_rows(data_row(1), data_row(2))))
    cli("ingest", "--as-of", "2026-11-20")
    update = submission_rows(data_row(1, item_id="2026-0001", progress="已验收12个项目", status="已完成",
                                      done_on="2026-12-01"), report_date="2026年12月2日")
    drop(workspace, "second.xlsx", xlsx_bytes(update))
    (f,) = cli.json("ingest", "--json", "--as-of", "2026-12-02")["files"]
    assert f["accepted"] and f["updated"] == ["2026-0001"] and f["added"] == []
    items = {i["id"]: i for i in cli.json("export", "--format", "json", "--as-of", "2026-12-02")}
    assert items["2026-0001"]["status"] == "已完成" and items["2026-0001"]["done_on"] == "2026-12-01"
    assert items["2026-0002"]["status"] == "推进中"
    with Ledger.open(workspace.db_path) as led:
        events = [(e.kind, e.field, e.old, e.new, e.source, e.on.isoformat()) for e in led.events("2026-0001")]
    assert events[0] == ("register", None, None, None, "first.xlsx", "2026-11-20")
    assert ("change", "status", "推进中", "已完成", "second.xlsx", "2026-12-02") in events
    assert ("change", "done_on", None, date(2026, 12, 1), "second.xlsx", "2026-12-02") in events
    assert events[-1] == ("report", None, None, None, "second.xlsx", "2026-12-02")
    receipt = next(workspace.outbox.rglob("回执_20261202_second_*.txt")).read_text(encoding="utf-8-sig")
    assert "完成情况：推进中 → 已完成" in receipt and "完成日期：（空） → 2026年12月1日" in receipt


def test_row_without_id_updates_the_same_problem_instead_of_duplicating(workspace, cli):
    drop(workspace, "first.xlsx", xlsx_bytes(submission_rows(data_row(1))))
    cli("ingest", "--as-of", "2026-11-20")
    drop(workspace, "again.xlsx", xlsx_bytes(submission_rows(data_row(1, progress="新进展"))))
    (f,) = cli.json("ingest", "--json", "--as-of", "2026-11-27")["files"]
    assert f["updated"] == ["2026-0001"] and f["added"] == []
    assert item_count(workspace) == 1


def test_unit_folder_must_agree_with_the_submitting_unit(workspace, cli):
    drop(workspace, "x.xlsx", xlsx_bytes(submission_rows(data_row(1), unit="区财政局")), folder="菱湖街道")
    (f,) = cli.json("ingest", "--json")["files"]
    assert not f["accepted"] and "submitter-mismatch" in {i["code"] for i in f["issues"]}


def test_rows_for_another_unit_are_rejected_unless_the_office_submits(workspace, cli):
    row = data_row(1, lead_unit="菱湖街道")
    drop(workspace, "x.xlsx", xlsx_bytes(submission_rows(row, unit="区财政局")))
    (f,) = cli.json("ingest", "--json")["files"]
    assert "lead-unit-mismatch" in {i["code"] for i in f["issues"]}
    drop(workspace, "y.xlsx", xlsx_bytes(submission_rows(row, unit="督查室")))
    (f,) = cli.json("ingest", "--json")["files"]
    assert f["accepted"] and f["unit"] == "大观区人民政府办公室"
    assert cli.json("export")[0]["unit"] == "菱湖街道"


def test_owner_temp_and_hidden_files_are_left_alone(workspace, cli):
    for name in ("~$区财政局.xlsx", ".hidden.xlsx", "下载中.xlsx.crdownload", "x.tmp"):
        drop(workspace, name, b"junk")
    result = cli.json("ingest", "--json")
    assert result == {"files": []}
    assert len(list(workspace.inbox.iterdir())) == 4
    assert not list(workspace.outbox.rglob("回执_*"))


def test_not_a_spreadsheet_is_rejected_with_a_receipt_not_a_crash(workspace, cli):
    drop(workspace, "报表.xlsx", b"this is not a workbook")
    drop(workspace, "说明.txt", "随便写的".encode())
    code, out, err = cli("ingest", "--json")
    assert code == 1 and "Traceback" not in err
    import json

    codes = {f["path"].split("/")[-1]: [i["code"] for i in f["issues"]] for f in json.loads(out)["files"]}
    assert codes == {"报表.xlsx": ["unreadable-file"], "说明.txt": ["unsupported-format"]}
    assert len(list(workspace.outbox.rglob("回执_*.txt"))) == 2


def test_text_is_kept_verbatim_into_ledger_and_exports(workspace, cli, tmp_path):
    tricky = data_row(1, problem="A&B<二期>工地围挡破损", measures='=HYPERLINK("http://x","整改")',
                      progress="完成８０％，“已验收”；下一步：复查", remark="@备注 -1 +2")
    drop(workspace, "x.xlsx", xlsx_bytes(submission_rows(tricky)))
    cli("ingest")
    (rec,) = cli.json("export", "--format", "json")
    assert rec["problem"] == "A&B<二期>工地围挡破损"
    assert rec["measures"] == '=HYPERLINK("http://x","整改")'
    assert rec["progress"] == "完成８０％，“已验收”；下一步：复查" and rec["remark"] == "@备注 -1 +2"
    out = tmp_path / "台帐.xlsx"
    assert cli("export", "--format", "xlsx", "-o", out)[0] == 0
    values = {c.value for row in openpyxl.load_workbook(out).worksheets[0].iter_rows() for c in row}
    assert '=HYPERLINK("http://x","整改")' in values and "A&B<二期>工地围挡破损" in values
    cells = [c for ws in openpyxl.load_workbook(out).worksheets for row in ws.iter_rows() for c in row
             if c.value == '=HYPERLINK("http://x","整改")']
    assert cells and all(c.data_type == "s" for c in cells)
    csv_text = (tmp_path / "x.csv")
    assert cli("export", "--format", "csv", "-o", csv_text)[0] == 0
    assert "A&B<二期>" in csv_text.read_text(encoding="utf-8-sig")


def test_check_reads_and_reports_without_touching_the_ledger(workspace, cli, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx_bytes(submission_rows(data_row(1, deadline="明年"))))
    code, out, _ = cli("check", bad, "--json")
    assert code == 1 and '"bad-deadline"' in out
    assert not workspace.db_path.exists() or item_count(workspace) == 0


def test_crash_after_commit_is_finished_once_on_the_next_run(workspace, cli, monkeypatch):
    drop(workspace, "x.xlsx", xlsx_bytes(submission_rows(data_row(1), data_row(2))))
    real = receipts.write_receipt

    def crash(*a, **k):
        raise SystemExit("power cut")

    monkeypatch.setattr(receipts, "write_receipt", crash)
    with pytest.raises(SystemExit):
        from pipeline.ledger.ingest import ingest_inbox

        ingest_inbox(workspace)
    assert list(workspace.inbox.iterdir())  # the file is still there, journalled as 'recorded'
    monkeypatch.setattr(receipts, "write_receipt", real)
    cli("ingest")
    con = sqlite3.connect(workspace.db_path)
    assert con.execute("SELECT verdict, state FROM files").fetchall() == [("accepted", "done")]
    assert item_count(workspace) == 2
    assert not list(workspace.inbox.iterdir())
    assert len(list(workspace.outbox.rglob("回执_*.txt"))) == 1


def test_a_recorded_file_whose_archive_copy_was_lost_is_archived_again_before_it_leaves_the_inbox(
        workspace, cli, monkeypatch):
    # Journal rows are committed without an fsync and the archive copies are synced with the
    # group: a power cut may keep the row and lose the copy. The next run restores the copy
    # from the inbox bytes before it removes them.
    data = xlsx_bytes(submission_rows(data_row(1)))
    drop(workspace, "x.xlsx", data)

    def crash(*a, **k):
        raise SystemExit("power cut")

    monkeypatch.setattr(receipts, "write_receipt", crash)
    with pytest.raises(SystemExit):
        from pipeline.ledger.ingest import ingest_inbox

        ingest_inbox(workspace)
    monkeypatch.undo()
    (copy,) = [p for p in workspace.archive.rglob("*") if p.is_file()]
    copy.write_bytes(data[:100])  # what a power cut can leave of an unsynced copy
    assert cli("ingest")[0] == 0
    assert copy.read_bytes() == data
    assert not list(workspace.inbox.iterdir())
    con = sqlite3.connect(workspace.db_path)
    assert con.execute("SELECT verdict, state FROM files").fetchall() == [("accepted", "done")]


def _while_answering(monkeypatch, action):
    """Run `action` once, after the file is journalled and before it leaves the inbox."""
    real = receipts.write_receipt
    done: list = []

    def write_receipt(*a, **k):
        if not done:
            done.append(action())
        return real(*a, **k)

    monkeypatch.setattr(receipts, "write_receipt", write_receipt)


@pytest.mark.parametrize("how", ["saved again", "copied over in place"])
def test_a_file_put_under_the_same_name_while_it_is_answered_stays_for_the_next_run(workspace, cli, monkeypatch, how):
    # Nothing is lost: a unit that saves its corrected file again (a new file renamed over the
    # name, as Excel and WPS save) or copies it over the old one in place, just as the old one is
    # being answered, must not see the new one removed unread with the old.
    first = xlsx_bytes(submission_rows(data_row(1)))
    second = xlsx_bytes(submission_rows(data_row(1), data_row(2, problem="问题2：新增的整改问题")))
    path = drop(workspace, "区财政局_三单.xlsx", first)

    def put_second():
        if how == "saved again":
            tmp = path.with_name("~tmp_save.xlsx")
            tmp.write_bytes(second)
            os.replace(tmp, path)
        else:
            with open(path, "r+b") as fh:
                fh.truncate(0)
                fh.write(second)

    _while_answering(monkeypatch, put_second)
    (f,) = cli.json("ingest", "--json", "--as-of", "2026-11-20")["files"]
    assert f["accepted"] and f["added"] == ["2026-0001"]
    assert path.read_bytes() == second  # still waiting
    monkeypatch.undo()
    (f,) = cli.json("ingest", "--json", "--as-of", "2026-11-20")["files"]
    assert f["accepted"] and not f["duplicate"] and f["added"] == ["2026-0002"]
    assert not list(workspace.inbox.iterdir())
    archived = sorted(p.read_bytes() for p in workspace.archive.rglob("*.xlsx"))
    assert archived == sorted([first, second])
    con = sqlite3.connect(workspace.db_path)
    assert con.execute("SELECT verdict, state FROM files ORDER BY id").fetchall() == [("accepted", "done")] * 2


def test_a_file_rewritten_in_place_at_the_same_size_and_time_while_it_is_answered_stays(workspace, cli, monkeypatch):
    # Size, inode and modification time all unchanged: only the bytes tell it is another file.
    first = xlsx_bytes(submission_rows(data_row(1)))
    second = first[:-30] + bytes(b ^ 0xFF for b in first[-30:-22]) + first[-22:]  # as long, other bytes
    path = drop(workspace, "区财政局_三单.xlsx", first)
    st = os.stat(path)

    def rewrite():
        with open(path, "r+b") as fh:
            fh.write(second)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))

    _while_answering(monkeypatch, rewrite)
    (f,) = cli.json("ingest", "--json", "--as-of", "2026-11-20")["files"]
    assert f["accepted"]
    assert path.read_bytes() == second and os.stat(path).st_mtime_ns == st.st_mtime_ns
    monkeypatch.undo()
    (f,) = cli.json("ingest", "--json", "--as-of", "2026-11-20")["files"]
    assert not f["duplicate"]  # answered as the new file it is
    assert not list(workspace.inbox.iterdir())


def test_a_file_only_touched_while_it_is_answered_still_leaves_the_inbox(workspace, cli, monkeypatch):
    # The same bytes with a new modification time (a backup tool, a sync client) are the file read.
    path = drop(workspace, "区财政局_三单.xlsx", xlsx_bytes(submission_rows(data_row(1))))
    _while_answering(monkeypatch, lambda: os.utime(path, (1_700_000_000, 1_700_000_000)))
    (f,) = cli.json("ingest", "--json", "--as-of", "2026-11-20")["files"]
    assert f["accepted"]
    assert not list(workspace.inbox.iterdir())


def test_a_batch_larger_than_one_group_answers_every_file_once(workspace, cli, monkeypatch):
    from pipeline.ledger import inbox, ingest

    monkeypatch.setattr(ingest, "GROUP_FILES", 3)  # 8 files: groups of 3, 3 and 2
    files = [xlsx_bytes(submission_rows(data_row(1, problem=f"问题{n}：采购验收不及时"))) for n in range(8)]
    for n, data in enumerate(files):
        drop(workspace, f"f{n}.xlsx", data)
    drop(workspace, "again.xlsx", files[0])  # the same bytes under another name
    ticks: list = []
    with Ledger.open(workspace.db_path) as ledger:
        results = ingest.Ingestor(workspace, ledger).ingest_many(
            ((p, None) for p in inbox.waiting_files(workspace)), progress=ticks.append)
    assert len(ticks) == len(results) == 9
    assert [r.verdict for r in results].count("duplicate") == 1
    con = sqlite3.connect(workspace.db_path)
    assert con.execute("SELECT COUNT(*), MIN(state), MAX(state) FROM files").fetchone() == (9, "done", "done")
    assert item_count(workspace) == 8
    assert not list(workspace.inbox.iterdir())
    assert len(list(workspace.outbox.rglob("回执_*.txt"))) == 9


def test_a_file_failing_inside_a_group_is_rolled_back_alone_and_the_files_before_it_are_answered(
        workspace, cli, monkeypatch):
    import errno

    from pipeline.ledger import inbox, ingest

    files = [xlsx_bytes(submission_rows(data_row(1, problem=f"问题{n}：采购验收不及时"),
                                        data_row(2, problem=f"问题{n}：台账不全"))) for n in range(4)]
    for n, data in enumerate(files):
        drop(workspace, f"f{n}.xlsx", data)
        os.utime(workspace.inbox / f"f{n}.xlsx", (1_000_000 + n, 1_000_000 + n))  # f0 is the oldest
    real, calls = Ledger.insert_items, []

    def full_on_the_third_file(self, items, **kw):
        calls.append(1)
        if len(calls) == 3:  # f2's journal row is written, its items are not: a half-written file
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, items, **kw)

    monkeypatch.setattr(Ledger, "insert_items", full_on_the_third_file)
    with Ledger.open(workspace.db_path) as ledger, pytest.raises(OSError):
        ingest.Ingestor(workspace, ledger).ingest_many((p, None) for p in inbox.waiting_files(workspace))
    con = sqlite3.connect(workspace.db_path)
    assert con.execute("SELECT name, state FROM files ORDER BY id").fetchall() == [("f0.xlsx", "done"),
                                                                                 ("f1.xlsx", "done")]
    assert con.execute("SELECT COUNT(*) FROM items").fetchone() == (4,)  # nothing of f2
    assert sorted(p.name for p in workspace.inbox.iterdir()) == ["f2.xlsx", "f3.xlsx"]
    assert len(list(workspace.outbox.rglob("回执_*.txt"))) == 2
    monkeypatch.undo()
    assert cli("ingest")[0] == 0
    assert con.execute("SELECT COUNT(*), MIN(state) FROM files WHERE verdict = 'accepted'").fetchone() == (4, "done")
    assert con.execute("SELECT COUNT(*) FROM items").fetchone() == (8,)
    assert not list(workspace.inbox.iterdir())


def test_office_actions_are_events_of_the_item(workspace, cli):
    drop(workspace, "x.xlsx", xlsx_bytes(submission_rows(data_row(1), data_row(2))))
    cli("ingest", "--as-of", "2026-11-20")
    assert cli("extend", "2026-0001", "--to", "2027-01-29", "--note", "区政府批准", "--on", "2026-11-25")[0] == 0
    code, _, err = cli("close", "2026-0002", "--note", "现场核实", "--on", "2026-11-26")
    assert code == 1 and "尚未报送完成" in err and "--force" in err  # closing needs a report of done
    assert cli("close", "2026-0002", "--note", "现场核实", "--force", "--on", "2026-11-26")[0] == 0
    assert cli("lookback", "2026-0002", "--result", "通过", "--note", "未反弹", "--on", "2026-11-27")[0] == 0
    code, _, err = cli("close", "2026-0099")
    assert code == 1 and "2026-0099" in err
    assert cli("reopen", "2026-0002", "--to", "2026-12-31", "--note", "复查未到位", "--on", "2026-11-30")[0] == 0
    with Ledger.open(workspace.db_path) as led:
        one, two = led.item("2026-0001"), led.item("2026-0002")
        kinds = [e.kind for e in led.events("2026-0002")]
        ext = [(e.field, e.old, e.new, e.note, e.on) for e in led.events("2026-0001") if e.kind == "extend"]
    assert one.deadline.isoformat() == "2027-01-29" and one.original_deadline.isoformat() == "2026-12-31"
    assert ext == [("deadline", date(2026, 12, 31), date(2027, 1, 29), "区政府批准", date(2026, 11, 25))]
    assert two.closed_on is None and two.status == "推进中" and kinds == ["register", "close", "lookback", "reopen"]
    code, out, _ = cli("show", "2026-0001")
    assert code == 0 and "延期" in out


def test_usage_and_configuration_errors_exit_2(workspace, cli):
    assert cli("ingest", "--as-of", "2026-13-01")[0] == 2
    assert cli("export", "--format", "pdf")[0] == 2
    workspace.config_path.write_text("[office]\nname = ''\n", encoding="utf-8")
    code, _, err = cli("ingest")
    assert code == 2 and "sancha.toml" in err


def test_a_folder_that_is_no_unit_is_a_warning_and_the_fill_in_line_decides(workspace, cli):
    drop(workspace, "x.xlsx", xlsx_bytes(submission_rows(data_row(1))), folder="临时文件夹")
    (f,) = cli.json("ingest", "--json")["files"]
    assert f["accepted"] and f["unit"] == "区财政局"
    assert [(i["code"], i["severity"]) for i in f["issues"]] == [("unknown-folder", "warning")]


def test_the_offices_folder_is_the_office_written_with_spaces_too(workspace, cli):
    """The same rule as the 填报单位 line (督　查　室 is 督查室): the office submits for any unit."""
    drop(workspace, "x.xlsx", xlsx_bytes(submission_rows(data_row(1))), folder="督　查　室")
    (f,) = cli.json("ingest", "--json")["files"]
    assert f["accepted"] and f["unit"] == "区财政局" and f["issues"] == []


def test_a_full_disk_while_answering_is_a_clear_error_and_the_next_run_finishes(workspace, cli, monkeypatch):
    import errno

    drop(workspace, "x.xlsx", xlsx_bytes(submission_rows(data_row(1))))
    real = receipts.write_atomic

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(receipts, "write_atomic", full)
    code, _, err = cli("ingest")
    assert code == 1 and "磁盘空间已满" in err and "Traceback" not in err
    monkeypatch.setattr(receipts, "write_atomic", real)
    assert cli("ingest")[0] == 0
    assert item_count(workspace) == 1 and len(list(workspace.outbox.rglob("回执_*.txt"))) == 1


def test_usage_errors_from_the_command_line_parser_exit_2_without_a_traceback(cli):
    for args in (("no-such-command",), ("ingest", "--no-such-flag"), ("extend", "2026-0001")):
        code, out, err = cli(*args)
        assert code == 2 and "Traceback" not in out + err, args


def test_an_unexpected_error_is_one_line_and_the_traceback_goes_to_the_log(workspace, cli, monkeypatch):
    from pipeline.output import export

    def boom(*a, **k):
        raise RuntimeError("意外")

    monkeypatch.setattr(export, "records", boom)
    code, _out, err = cli("export")
    assert code == 3 and "Traceback" not in err and "内部错误" in err
    assert "RuntimeError: 意外" in (workspace.logs / "sancha-errors.log").read_text(encoding="utf-8")


def _outcome(ws, results) -> list:
    receipts_text = sorted((p.relative_to(ws.outbox).as_posix(), p.read_text(encoding="utf-8-sig"))
                           for p in ws.outbox.rglob("*.txt"))
    return [(r.path, r.verdict, r.added, r.updated, [f.as_dict() for f in r.findings]) for r in results] + receipts_text


def test_parsing_ahead_in_worker_processes_gives_the_serial_outcome(tmp_path):
    from pipeline.ledger.ahead import PARALLEL_MIN_FILES
    from pipeline.ledger.inbox import waiting_files
    from pipeline.ledger.ingest import ingest_inbox, ingest_paths

    files = {f"区财政局_{k:02d}.xlsx": xlsx_bytes(submission_rows(data_row(1, problem=f"问题{k}：验收不及时"), data_row(2)))
             for k in range(PARALLEL_MIN_FILES + 4)}
    files["区财政局_坏.xlsx"] = xlsx_bytes(submission_rows(data_row(1, deadline="2026.13.01")))
    files["区财政局_重复.xlsx"] = files["区财政局_03.xlsx"]
    outcomes = []
    for workers in (0, 1):
        ws = make_workspace(tmp_path / f"ws{workers}")
        for k, (name, data) in enumerate(files.items()):
            path = drop(ws, name, data, "区财政局" if k % 2 else None)
            os.utime(path, (1_700_000_000 + k, 1_700_000_000 + k))  # the same order in both
        paths = waiting_files(ws)
        results = ingest_paths(ws, paths, date(2026, 11, 20), workers=workers)
        assert not ingest_inbox(ws, date(2026, 11, 20))
        outcomes.append(_outcome(ws, results))
    assert outcomes[0] == outcomes[1]
    assert {r[1] for r in outcomes[0][:len(files)]} == {"accepted", "rejected", "duplicate"}


def test_a_file_that_changed_after_a_worker_parsed_it_is_parsed_again(workspace):
    from pipeline.intake.parse import parse_submission
    from pipeline.ledger.ahead import Parsed
    from pipeline.ledger.ingest import Ingestor

    day = date(2026, 11, 20)
    old = xlsx_bytes(submission_rows(data_row(1, problem="旧的问题")))
    path = drop(workspace, "区财政局_三单.xlsx", xlsx_bytes(submission_rows(data_row(1, problem="新的问题"))))
    stale = Parsed(hashlib.sha256(old).hexdigest(), None, day, parse_submission(old, path.name, workspace.config, received=day))
    with Ledger.open(workspace.db_path) as ledger:
        result = Ingestor(workspace, ledger).ingest(path, day, ahead=lambda: stale)
        assert result.verdict == "accepted"
        assert [i.problem for i in ledger.items()] == ["新的问题"]


def test_workers_stage_archive_copies_that_end_up_exactly_where_serial_ingest_puts_them(tmp_path):
    from pipeline.ledger.ahead import PARALLEL_MIN_FILES, STAGING_MIN_WORKERS
    from pipeline.ledger.archive import staging_folder
    from pipeline.ledger.inbox import waiting_files
    from pipeline.ledger.ingest import ingest_paths

    files = {f"f{k:02d}.xlsx": xlsx_bytes(submission_rows(data_row(1, problem=f"问题{k}：验收不及时")))
             for k in range(PARALLEL_MIN_FILES + 2)}
    files["again.xlsx"] = files["f03.xlsx"]  # a duplicate: no archive copy of its own
    files["bad.xlsx"] = xlsx_bytes(submission_rows(data_row(1, deadline="2026.13.01")))  # rejected: archived
    archives = []
    for workers in (0, 1, STAGING_MIN_WORKERS):
        ws = make_workspace(tmp_path / f"ws{workers}")
        for k, (name, data) in enumerate(files.items()):
            os.utime(drop(ws, name, data), (1_700_000_000 + k, 1_700_000_000 + k))
        ingest_paths(ws, waiting_files(ws), date(2026, 11, 20), workers=workers)
        archives.append(sorted((p.relative_to(ws.archive).as_posix(), hashlib.sha256(p.read_bytes()).hexdigest())
                               for p in ws.archive.rglob("*") if p.is_file()))
        assert not list(staging_folder(ws).glob("*"))
        assert staging_folder(ws).is_dir() == (workers >= STAGING_MIN_WORKERS)  # the workers staged copies
    assert archives[0] == archives[1] == archives[2]
    assert len(archives[0]) == len(files) - 1 and not any("again" in name for name, _ in archives[0])


def test_a_copy_staged_from_bytes_that_changed_since_is_dropped_and_the_new_bytes_archived(workspace):
    from pipeline.intake.parse import parse_submission
    from pipeline.ledger.ahead import Parsed
    from pipeline.ledger.archive import staging_folder
    from pipeline.ledger.ingest import Ingestor

    day = date(2026, 11, 20)
    old, new = (xlsx_bytes(submission_rows(data_row(1, problem=text))) for text in ("旧的问题", "新的问题"))
    path = drop(workspace, "区财政局_三单.xlsx", new)
    staged = staging_folder(workspace) / "old-copy"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(old)
    stale = Parsed(hashlib.sha256(old).hexdigest(), None, day,
                   parse_submission(old, path.name, workspace.config, received=day), staged)
    with Ledger.open(workspace.db_path) as ledger:
        assert Ingestor(workspace, ledger).ingest(path, day, ahead=lambda: stale).verdict == "accepted"
    assert not staged.exists()
    assert [p.read_bytes() for p in workspace.archive.rglob("*") if p.is_file()] == [new]


def _dying_worker(*args):  # a parse worker that dies as it starts (module level: workers import it)
    os._exit(1)


def test_a_pool_whose_workers_die_is_said_once_and_every_file_is_parsed_here(tmp_path, monkeypatch, caplog):
    from pipeline.ledger import ahead, archive, inbox, ingest

    monkeypatch.setattr(ahead, "_start_worker", _dying_worker)
    ws = make_workspace(tmp_path / "ws")
    count = ahead.PARALLEL_MIN_FILES + 12
    for k in range(count):
        drop(ws, f"f{k:02d}.xlsx", xlsx_bytes(submission_rows(data_row(1, problem=f"问题{k}：验收不及时"))))
    with caplog.at_level("WARNING", logger="sancha.ingest"):
        results = ingest.ingest_paths(ws, inbox.waiting_files(ws), date(2026, 11, 20), workers=1)
    assert [r.verdict for r in results] == ["accepted"] * count
    assert len([r for r in caplog.records if "后台解析" in r.getMessage()]) == 1
    assert not list(archive.staging_folder(ws).glob("*"))


def test_the_workspace_option_goes_before_or_after_the_command(workspace, capsys):
    from pipeline.cli import main

    drop(workspace, "x.xlsx", xlsx_bytes(submission_rows(data_row(1))))
    assert main(["ingest", "-C", str(workspace.root), "--as-of", "2026-11-20"]) == 0
    assert main(["export", f"--workspace={workspace.root}"]) == 0
    assert main(["--workspace", str(workspace.root), "status", "--as-of", "2026-11-20"]) == 0
    assert item_count(workspace) == 1
