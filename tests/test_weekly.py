"""The weekly batch end to end through the CLI: files, names, numbers, re-runs, the lock."""

from __future__ import annotations

import io
from datetime import date

import pytest
from builders import data_row, submission_rows, xlsx_bytes
from docx import Document
from filelock import FileLock

from pipeline.ledger.ledger import Ledger
from pipeline.output.documents.templates import write_default_templates
from pipeline.service.weekly import BatchRunning, run_weekly


@pytest.fixture(autouse=True)
def after_the_dates(monkeypatch):
    """The batches below run on dates that have passed (a date after today would be a preview)."""
    from pipeline.service import publish

    monkeypatch.setattr(publish, "today", lambda: date(2026, 12, 31))


@pytest.fixture
def ready(workspace):
    """A workspace with templates and two units' submissions waiting in the inbox."""
    write_default_templates(workspace.templates)
    fin = submission_rows(
        data_row(1, problem="=HYPERLINK(\"x\") 采购 A&B<二期>", deadline="2026-10-15", source="审计"),
        data_row(2, problem="非税收入缴库不及时", deadline="2026-12-31"),
    )
    (workspace.inbox / "财政局.xlsx").write_bytes(xlsx_bytes(fin))
    build = submission_rows(data_row(1, problem="老旧小区改造滞后", deadline="2026-11-05", lead_unit="区住建局"),
                            unit="区住建局")
    (workspace.inbox / "住建局.xlsx").write_bytes(xlsx_bytes(build))
    return workspace


def weekly_files(ws) -> set[str]:
    return {p.relative_to(ws.outbox).as_posix() for p in ws.outbox.rglob("2026-W*") if p.is_file()}


def test_weekly_writes_every_document(ready, cli):
    code, out, err = cli("weekly", "--as-of", "2026-11-30")
    assert code == 0, err
    ws = ready
    files = weekly_files(ws)
    assert "2026-W49_督查通报（观政办〔2026〕1号）.docx" in files
    assert "2026-W49_三单工作台帐.xlsx" in files and "2026-W49_本周摘要.txt" in files
    assert {"区财政局/2026-W49_督办通知单.docx", "区住房城乡建设局/2026-W49_督办通知单.docx"} <= files
    assert {f for f in files if "督办" in f and not f.startswith(("区财政局/", "区住房城乡建设局/"))} == set()
    forms = {f.split("/")[0] for f in files if f.endswith("反馈表.xlsx")}
    assert forms == set(ws.config.unit_names)
    assert "观政办〔2026〕1号" in out and "督办通知单：2 个单位" in out

    circular = Document(ws.outbox / "2026-W49_督查通报（观政办〔2026〕1号）.docx")
    text = "\n".join(p.text for p in circular.paragraphs)
    assert "共登记整改问题3个" in text
    cells = [c.text for t in circular.tables for r in t.rows for c in r.cells]
    # the 重点督查 list names the 责任人 after the problem (issue 18), the text verbatim
    assert '=HYPERLINK("x") 采购 A&B<二期>（责任人：张明）' in cells and "区住房城乡建设局" in cells
    notice = Document(ws.unit_outbox("区住房城乡建设局") / "2026-W49_督办通知单.docx")
    assert "老旧小区改造滞后" in [c.text for r in notice.tables[0].rows for c in r.cells]


def test_same_week_rerun_replaces_and_next_week_takes_the_next_number(ready, cli):
    ws = ready
    assert cli("weekly", "--as-of", "2026-11-30")[0] == 0
    first = weekly_files(ws)
    assert cli("weekly", "--as-of", "2026-12-02")[0] == 0  # same ISO week
    assert weekly_files(ws) == first
    with Ledger.open(ws.db_path) as led:
        assert len(led.snapshots()) == 1

    # 住建局 catches up before the next run of that week: its notice goes, nothing else changes.
    with Ledger.open(ws.db_path) as led:
        item = led.items(unit="区住房城乡建设局")[0]
    fix = submission_rows(data_row(1, item_id=item.id, problem=item.problem, deadline="2026-11-05",
                                   lead_unit="区住房城乡建设局", status="已完成", done_on="2026-11-04"),
                          unit="区住房城乡建设局")
    (ws.inbox / "住建局更新.xlsx").write_bytes(xlsx_bytes(fix))
    assert cli("weekly", "--as-of", "2026-12-03")[0] == 0
    assert weekly_files(ws) == first - {"区住房城乡建设局/2026-W49_督办通知单.docx"}

    code, out, _ = cli("weekly", "--as-of", "2026-12-07")
    assert code == 0 and "观政办〔2026〕2号" in out
    assert "2026-W50_督查通报（观政办〔2026〕2号）.docx" in weekly_files(ws)
    assert "2026-W49_督查通报（观政办〔2026〕1号）.docx" in weekly_files(ws)  # last week's stays


def test_one_batch_at_a_time(ready, cli):
    with FileLock(str(ready.locks / "weekly.lock")):
        with pytest.raises(BatchRunning):
            run_weekly(ready, date(2026, 11, 30))
        code, _, err = cli("weekly", "--as-of", "2026-11-30")
    assert code == 1 and "另一个每周批处理正在运行" in err


def test_pdf_is_optional(ready, cli, monkeypatch):
    from pipeline.output.documents import render

    monkeypatch.setattr(render, "soffice", lambda: None)
    code, out, _ = cli("weekly", "--as-of", "2026-11-30", "--pdf")
    assert code == 0 and "未找到 LibreOffice" in out


def test_missing_templates_say_how_to_fix(workspace, cli):
    code, _, err = cli("weekly", "--as-of", "2026-11-30")
    assert code == 2 and "sancha templates" in err


def test_process_pool_gives_the_same_documents(ready):
    serial = run_weekly(ready, date(2026, 11, 30), workers=1)
    ready.inbox.mkdir(exist_ok=True)
    pooled = run_weekly(ready, date(2026, 11, 30), workers=2)
    assert sorted(pooled.files) == sorted(serial.files)
    doc = Document(io.BytesIO(pooled.notices[0].read_bytes()))
    assert doc.tables[0].rows[1].cells[0].text.startswith("2026-")


def test_special_report_command(ready, cli):
    assert cli("ingest", "--as-of", "2026-11-30")[0] == 0
    out_path = ready.root / "审计报告.docx"
    code, out, _ = cli("report", "--source", "审计", "--as-of", "2026-11-30", "-o", str(out_path))
    assert code == 0 and "1 项" in out
    cells = [c.text for t in Document(out_path).tables for r in t.rows for c in r.cells]
    assert '=HYPERLINK("x") 采购 A&B<二期>' in cells
    code, _, err = cli("report", "--source", "政协提案", "--as-of", "2026-11-30")
    assert code == 1 and "政协提案" in err


def test_each_item_a_notice_names_gets_a_notice_event_once_per_week(ready, cli):
    assert cli("weekly", "--as-of", "2026-11-30")[0] == 0
    assert cli("weekly", "--as-of", "2026-11-30")[0] == 0  # the same week again: nothing new
    with Ledger.open(ready.db_path) as led:
        notices = [(e.item_id, e.on, e.data["week"], e.data["document"]) for i in led.items()
                   for e in led.events(i.id) if e.kind == "notice"]
        before = {i.id: i for i in led.items()}
    assert sorted(notices) == [("2026-0001", date(2026, 11, 30), "2026-W49", "2026-W49_督办通知单.docx"),
                               ("2026-0003", date(2026, 11, 30), "2026-W49", "2026-W49_督办通知单.docx")]
    with Ledger.open(ready.db_path) as led:
        assert {i.id: i for i in led.items()} == before  # a notice changes nothing of the item
