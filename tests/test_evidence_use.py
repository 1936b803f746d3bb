"""佐证材料 in use (issue 23): the 佐证材料 column as text, `sancha evidence` and `show`, the export
key and the ledger workbook, `close` under `[rules] close_requires_evidence`, and the 督办通知单
and the circular's 回头看 list marking items reported done without evidence."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from builders import CONFIG_TOML, data_row, make_workspace, submission_rows, xlsx_bytes
from docx import Document

from pipeline.cli import main
from pipeline.ledger.ledger import Ledger
from pipeline.output.documents.templates import write_default_templates

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe1" + bytes(range(200)) + b"\xff\xd9"
REQUIRED = "\n[rules]\nclose_requires_evidence = true\nlookback_days = 1\n"


class Run:
    """`sancha -C <ws> …` in-process: (exit code, stdout, stderr)."""

    def __init__(self, ws, capsys):
        self.ws, self.capsys = ws, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["-C", str(self.ws.root), *args])
        out, err = self.capsys.readouterr()
        return code, out, err


def make(tmp_path: Path, capsys, extra: str = "") -> Run:
    """区财政局: 2026-0001 overdue since 11-10, 2026-0002 reported done (佐证材料 column filled),
    2026-0003 reported done; then a photo for 2026-0002 on 11-23."""
    ws = make_workspace(tmp_path / "ws", CONFIG_TOML + extra)
    rows = submission_rows(
        data_row(1, problem="政府采购项目验收不及时", deadline="2026-11-10"),
        data_row(2, problem="非税收入收缴不及时", status="已完成", done_on="2026-11-18"),
        data_row(3, problem="国有资产台账不全", status="已完成", done_on="2026-11-18"))
    book = xlsx_bytes([*rows[:2], [*rows[2], "佐证材料"], [*rows[3], ""], [*rows[4], "见附件1、附件2"],
                       [*rows[5], ""], *rows[6:]])
    (ws.inbox / "区财政局").mkdir(parents=True)
    (ws.inbox / "区财政局" / "区财政局_三单.xlsx").write_bytes(book)
    run = Run(ws, capsys)
    assert run("ingest", "--as-of", "2026-11-20")[0] == 0
    (ws.inbox / "区财政局" / "2026-0002_验收照片.jpg").write_bytes(JPEG)
    assert run("ingest", "--as-of", "2026-11-23")[0] == 0
    return run


def test_the_evidence_column_is_kept_as_text_beside_the_files_received(tmp_path, capsys):
    run = make(tmp_path, capsys)
    code, out, _ = run("show", "2026-0002", "--as-of", "2026-11-30")
    assert code == 0
    assert "佐证材料：1 份（报送表中填写：见附件1、附件2）" in out
    assert "1. 2026-0002_验收照片.jpg（2026年11月23日收到" in out and "区财政局报送" in out
    shown = json.loads(run("show", "2026-0002", "--json")[1])
    assert shown["evidence_text"] == "见附件1、附件2"
    assert shown["evidence"] == [{"name": "2026-0002_验收照片.jpg", "received_on": "2026-11-23",
                                  "sha256": hashlib.sha256(JPEG).hexdigest()}]
    assert [e["kind"] for e in shown["events"]][-1] == "evidence"
    assert "佐证材料" not in run("show", "2026-0001")[1]  # none, and the row said nothing

    # a resubmission changes the text like any other field (a change event)
    rows = submission_rows(data_row(1, item_id="2026-0003", problem="国有资产台账不全", status="已完成",
                                    done_on="2026-11-18"))
    book = xlsx_bytes([*rows[:2], [*rows[2], "佐证资料"], [*rows[3], "盘点表扫描件"], *rows[4:]])
    (run.ws.inbox / "区财政局" / "补报.xlsx").write_bytes(book)
    assert run("ingest", "--as-of", "2026-11-24")[0] == 0
    with Ledger.open(run.ws.db_path) as led:
        item = led.item("2026-0003")
        assert item is not None and item.evidence_text == "盘点表扫描件"
        (change,) = [e for e in led.events("2026-0003") if e.kind == "change"]
        assert (change.field, change.old, change.new) == ("evidence_text", None, "盘点表扫描件")


def test_sancha_evidence_lists_an_items_files_and_writes_one_back_byte_for_byte(tmp_path, capsys):
    run = make(tmp_path, capsys)
    (run.ws.inbox / "区财政局" / "佐证" / "2026-0002").mkdir(parents=True)
    (run.ws.inbox / "区财政局" / "佐证" / "2026-0002" / "验收报告.pdf").write_bytes(PDF)
    assert run("ingest", "--as-of", "2026-11-24")[0] == 0
    code, out, _ = run("evidence", "2026-0002")
    assert code == 0 and "佐证材料：2 份" in out
    assert out.index("2026-0002_验收照片.jpg") < out.index("2. 验收报告.pdf")
    listed = json.loads(run("evidence", "2026-0002", "--json")[1])
    assert [(f["name"], f["size"], f["unit"]) for f in listed] == [
        ("2026-0002_验收照片.jpg", len(JPEG), "区财政局"), ("验收报告.pdf", len(PDF), "区财政局")]
    out_path = tmp_path / "取出" / "报告.pdf"
    code, out, _ = run("evidence", "2026-0002", "--get", "2", "-o", str(out_path))
    assert code == 0 and out_path.read_bytes() == PDF
    code, _, err = run("evidence", "2026-0002", "--get", "3", "-o", str(out_path))
    assert code == 1 and "只有 2 份佐证材料，没有第 3 份" in err
    code, _, err = run("evidence", "2026-0099")
    assert code == 1 and "台帐中没有编号 2026-0099" in err
    code, _, err = run("evidence", "2026-0002", "--get", "1")
    assert code != 0 and "-o" in err


def test_the_export_lists_each_items_evidence_under_the_pinned_key(tmp_path, capsys):
    run = make(tmp_path, capsys)
    records = {r["id"]: r for r in json.loads(run("export", "--as-of", "2026-11-30")[1])}
    sha = hashlib.sha256(JPEG).hexdigest()
    assert records["2026-0002"]["evidence"] == [{"name": "2026-0002_验收照片.jpg", "received_on": "2026-11-23",
                                                 "sha256": sha}]
    assert records["2026-0001"]["evidence"] == [] and records["2026-0002"]["evidence_text"] == "见附件1、附件2"
    before = {r["id"]: r for r in json.loads(run("export", "--as-of", "2026-11-22")[1])}
    assert before["2026-0002"]["evidence"] == []  # the day before it arrived
    rows = list(csv.DictReader(io.StringIO(run("export", "--format", "csv", "--as-of", "2026-11-30")[1])))
    assert {r["id"]: r["evidence"] for r in rows}["2026-0002"] == "2026-0002_验收照片.jpg"
    xlsx = tmp_path / "台帐.xlsx"
    assert run("export", "--format", "xlsx", "--as-of", "2026-11-30", "-o", str(xlsx))[0] == 0
    sheet = openpyxl.load_workbook(xlsx)["三单工作台帐"]
    header = [c.value for c in sheet[2]]
    row = {r[0].value: [c.value for c in r] for r in sheet.iter_rows(min_row=3)}["2026-0002"]
    assert row[header.index("佐证材料情况")] == "报送表：见附件1、附件2\n已收 1 份：2026-0002_验收照片.jpg"


def test_close_requires_evidence_when_the_office_says_so_unless_forced_with_a_note(tmp_path, capsys):
    run = make(tmp_path, capsys, REQUIRED)
    code, _, err = run("close", "2026-0003", "--on", "2026-11-25")
    assert code == 1 and "尚未收到佐证材料" in err and "--force" in err
    code, _, err = run("close", "2026-0003", "--on", "2026-11-25", "--force")
    assert code == 1 and "理由" in err
    code, out, _ = run("close", "2026-0003", "--on", "2026-11-25", "--force", "--note", "现场核查属实")
    assert code == 0 and "无佐证材料销号" in out
    code, out, _ = run("close", "2026-0002", "--on", "2026-11-25")  # it has a photo
    assert code == 0 and "无佐证材料" not in out
    with Ledger.open(run.ws.db_path) as led:
        closing = [e for e in led.events("2026-0003") if e.kind == "close"]
        assert [dict(e.data) for e in closing] == [{"no_evidence": True}]
    assert "无佐证材料" in run("show", "2026-0003")[1]


def test_a_closing_dated_before_the_evidence_arrived_has_none(tmp_path, capsys):
    run = make(tmp_path, capsys, REQUIRED)
    code, _, err = run("close", "2026-0002", "--on", "2026-11-22")  # the photo came on 11-23
    assert code == 1 and "尚未收到佐证材料" in err


def test_without_the_rule_close_needs_no_evidence(tmp_path, capsys):
    run = make(tmp_path, capsys)
    assert run("close", "2026-0003", "--on", "2026-11-25")[0] == 0


@pytest.fixture
def after_the_dates(monkeypatch):
    from pipeline.service import publish

    monkeypatch.setattr(publish, "today", lambda: date(2026, 12, 31))


def _texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells]


@pytest.mark.usefixtures("after_the_dates")
def test_notice_and_lookback_list_mark_items_done_without_evidence_when_required(tmp_path, capsys):
    run = make(tmp_path, capsys, REQUIRED)
    write_default_templates(run.ws.templates)
    code, _, err = run("weekly", "--as-of", "2026-11-30")
    assert code == 0, err
    notice = _texts(Document(run.ws.unit_outbox("区财政局") / "2026-W49_督办通知单.docx"))
    assert any("另有1个问题报送已完成但未附佐证材料" in t for t in notice)
    joined = "\n".join(notice)
    assert "国有资产台账不全" in notice and "11月18日\n报送已完成但未附佐证材料" in joined
    assert "非税收入收缴不及时" not in joined  # it has its photo
    circular = next(run.ws.outbox.glob("2026-W49_督查通报*.docx"))
    cells = _texts(Document(circular))
    marked = [t for t in cells if "报送已完成但未附佐证材料" in t]
    assert len(marked) == 1  # 2026-0003 in the 回头看 list; 2026-0002 has its photo


@pytest.mark.usefixtures("after_the_dates")
def test_without_the_rule_nothing_is_marked(tmp_path, capsys):
    run = make(tmp_path, capsys, "\n[rules]\nlookback_days = 1\n")
    write_default_templates(run.ws.templates)
    assert run("weekly", "--as-of", "2026-11-30")[0] == 0
    notice = _texts(Document(run.ws.unit_outbox("区财政局") / "2026-W49_督办通知单.docx"))
    circular = _texts(Document(next(run.ws.outbox.glob("2026-W49_督查通报*.docx"))))
    assert not any("佐证材料" in t for t in notice + circular)


def test_the_feedback_form_carries_the_evidence_column_there_and_back(tmp_path, capsys):
    from pipeline.output.documents.feedback_xlsx import FORM_SHEET, HEADERS, feedback_workbook

    run = make(tmp_path, capsys)
    with Ledger.open(run.ws.db_path) as led:
        items = [i for i in led.items() if i.id in ("2026-0001", "2026-0002")]
    book = openpyxl.load_workbook(io.BytesIO(feedback_workbook(run.ws.config, "区财政局", items, date(2026, 11, 30))))
    sheet = book[FORM_SHEET]
    col = HEADERS.index("佐证材料") + 1
    assert [sheet.cell(r, col).value for r in (4, 5)] == [None, "见附件1、附件2"]
    sheet.cell(4, col).value = "验收单扫描件"
    buf = io.BytesIO()
    book.save(buf)
    (run.ws.inbox / "区财政局" / "反馈表.xlsx").write_bytes(buf.getvalue())
    assert run("ingest", "--as-of", "2026-12-01")[0] == 0
    with Ledger.open(run.ws.db_path) as led:
        texts = [led.item(i) for i in ("2026-0001", "2026-0002")]
        assert [i.evidence_text if i else None for i in texts] == ["验收单扫描件", "见附件1、附件2"]
