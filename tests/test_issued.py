"""Issued documents: numbers in yearly series, re-runs that never replace a document sent out or
edited, previews that take no number, a batch whose documents fail or are held open one by one."""

from __future__ import annotations

import os
import sqlite3
from datetime import date, datetime, timedelta

import pytest
from builders import data_row, submission_rows, xlsx_bytes
from docx import Document

from pipeline.ledger import issued
from pipeline.ledger.ledger import MIGRATIONS, Ledger
from pipeline.output.documents.templates import CIRCULAR, NOTICE, write_default_templates
from pipeline.service import publish

CIRCULAR_1 = "2026-W49_督查通报（观政办〔2026〕1号）.docx"


@pytest.fixture(autouse=True)
def after_the_dates(monkeypatch):
    monkeypatch.setattr(publish, "today", lambda: date(2027, 1, 31))


@pytest.fixture
def ready(workspace):
    """Templates, and two units each with an overdue item waiting in the inbox."""
    write_default_templates(workspace.templates)
    fin = submission_rows(data_row(1, problem="非税收入缴库不及时", deadline="2026-10-15", source="审计"))
    (workspace.inbox / "财政局.xlsx").write_bytes(xlsx_bytes(fin))
    build = submission_rows(data_row(1, problem="老旧小区改造滞后", deadline="2026-11-05", lead_unit="区住建局",
                                     source="审计"), unit="区住建局")
    (workspace.inbox / "住建局.xlsx").write_bytes(xlsx_bytes(build))
    return workspace


def age(ws, name: str, hours: float) -> None:
    """Make the record of a document sancha wrote `hours` older (as if written then)."""
    with sqlite3.connect(ws.db_path) as con:
        (written_at,) = con.execute("SELECT written_at FROM issued_documents WHERE path LIKE ?", (f"%{name}",)).fetchone()
        old = datetime.fromisoformat(written_at) - timedelta(hours=hours)
        con.execute("UPDATE issued_documents SET written_at = ? WHERE path LIKE ?", (old.isoformat(), f"%{name}"))


def text(path) -> str:
    return "\n".join(p.text for p in Document(path).paragraphs)


def test_circular_and_notices_take_yearly_numbers_kept_on_a_rerun(ready, cli):
    code, out, _ = cli("weekly", "--as-of", "2026-11-30")
    assert code == 0 and "观政办〔2026〕1号（2026年第1期）" in out
    notices = {u: text(ready.unit_outbox(u) / "2026-W49_督办通知单.docx") for u in ("区财政局", "区住房城乡建设局")}
    assert "督办〔2026〕1号" in notices["区财政局"] and "督办〔2026〕2号" in notices["区住房城乡建设局"]
    assert "（2026年第1期）" in text(ready.week_outbox("2026-W49") / CIRCULAR_1)
    assert cli("weekly", "--as-of", "2026-12-02")[0] == 0  # the same week: the same numbers
    assert "督办〔2026〕2号" in text(ready.unit_outbox("区住房城乡建设局") / "2026-W49_督办通知单.docx")
    code, out, _ = cli("weekly", "--as-of", "2026-12-07")
    assert code == 0 and "观政办〔2026〕2号（2026年第2期）" in out
    assert "督办〔2026〕3号" in text(ready.unit_outbox("区财政局") / "2026-W50_督办通知单.docx")
    with Ledger.open(ready.db_path) as led:
        assert [n for n, _ in issued.numbers(led, issued.SERIES_NOTICE, 2026)] == [1, 2, 3, 4]


def test_a_circular_edited_since_is_kept_and_the_new_one_written_beside_it(ready, cli):
    assert cli("weekly", "--as-of", "2026-11-30")[0] == 0
    original = ready.week_outbox("2026-W49") / CIRCULAR_1
    doc = Document(original)
    doc.add_paragraph("（办公室手工补充的一段）")
    doc.save(original)
    edited = original.read_bytes()

    code, out, _ = cli("weekly", "--as-of", "2026-12-01")
    beside = ready.week_outbox("2026-W49") / "2026-W49_督查通报（观政办〔2026〕1号）（重新生成）.docx"
    assert code == 0 and original.read_bytes() == edited and beside.exists()
    assert f"保留：{original.name} 已印发或已修改，未覆盖；新生成的文件另存为 {beside.name}" in out
    assert "手工补充" not in text(beside) and "观政办〔2026〕1号" in text(beside)
    # the copy beside it is a draft of its own: a third run replaces it, no （重新生成2）
    assert cli("weekly", "--as-of", "2026-12-02")[0] == 0
    assert not (ready.week_outbox("2026-W49") / "2026-W49_督查通报（观政办〔2026〕1号）（重新生成2）.docx").exists()
    assert original.read_bytes() == edited


def test_a_circular_older_than_reissue_hours_is_kept_unless_replace(ready, cli):
    assert cli("weekly", "--as-of", "2026-11-30")[0] == 0
    original = ready.week_outbox("2026-W49") / CIRCULAR_1
    before = original.read_bytes()
    age(ready, CIRCULAR_1, 25)
    code, out, _ = cli("weekly", "--as-of", "2026-12-01")
    assert code == 0 and original.read_bytes() == before and "（重新生成）.docx" in out
    code, out, _ = cli("weekly", "--as-of", "2026-12-01", "--replace")
    assert code == 0 and original.read_bytes() != before and "保留" not in out


def test_a_notice_sent_out_stays_when_its_unit_has_caught_up(ready, cli):
    assert cli("weekly", "--as-of", "2026-11-30")[0] == 0
    notice = ready.unit_outbox("区住房城乡建设局") / "2026-W49_督办通知单.docx"
    age(ready, notice.name, 48)
    with Ledger.open(ready.db_path) as led:
        item = led.items(unit="区住房城乡建设局")[0]
    fix = submission_rows(data_row(1, item_id=item.id, problem=item.problem, deadline="2026-11-05", source="审计",
                                   lead_unit="区住房城乡建设局", status="已完成", done_on="2026-11-04"),
                          unit="区住房城乡建设局")
    (ready.inbox / "更新.xlsx").write_bytes(xlsx_bytes(fix))
    code, out, _ = cli("weekly", "--as-of", "2026-12-02")
    assert code == 0 and notice.exists() and f"保留：{notice.name} 已印发或已修改，不再删除" in out


def test_a_future_as_of_is_a_preview_that_takes_no_number(ready, cli, monkeypatch):
    monkeypatch.setattr(publish, "today", lambda: date(2026, 11, 30))
    code, out, _ = cli("weekly", "--as-of", "2026-12-07")
    assert code == 0 and "预览稿，未编号" in out
    preview = ready.week_outbox("2026-W50") / "2026-W50_督查通报（预览）.docx"
    assert preview.exists() and "观政办〔2026〕　　号" in text(preview)
    assert "督办〔2026〕　　号" in text(ready.unit_outbox("区财政局") / "2026-W50_督办通知单（预览）.docx")
    with Ledger.open(ready.db_path) as led:
        assert issued.numbers(led, issued.SERIES_DOC, 2026) == [] and led.snapshots() == []
    # once the day has come, the real run takes 1号 and the preview goes
    monkeypatch.setattr(publish, "today", lambda: date(2026, 12, 7))
    code, out, _ = cli("weekly", "--as-of", "2026-12-07")
    assert code == 0 and "观政办〔2026〕1号" in out and not preview.exists()


def test_the_year_boundary_numbers_by_the_circulars_own_date(ready, cli):
    assert "观政办〔2026〕1号" in cli("weekly", "--as-of", "2026-12-31")[1]
    first = ready.week_outbox("2026-W53") / "2026-W53_督查通报（观政办〔2026〕1号）.docx"
    age(ready, first.name, 30)  # sent out on the 31st
    code, out, _ = cli("weekly", "--as-of", "2027-01-01")  # still ISO week 2026-W53
    second = ready.week_outbox("2026-W53") / "2026-W53_督查通报（观政办〔2027〕1号）.docx"
    assert code == 0 and "观政办〔2027〕1号（2027年第1期）" in out
    assert first.exists() and "（2027年第1期）" in text(second) and "2027年1月1日" in text(second)


def test_a_document_held_open_is_named_and_the_others_are_all_written(ready, cli, monkeypatch):
    assert cli("weekly", "--as-of", "2026-11-30")[0] == 0
    ledger_file = ready.week_outbox("2026-W49") / "2026-W49_三单工作台帐.xlsx"
    before = {p: p.read_bytes() for p in ready.outbox.rglob("2026-W49_*")}
    real = os.replace

    def held_open(src, dst):  # what Windows does while Excel has the workbook open
        if os.fspath(dst) == os.fspath(ledger_file):
            raise PermissionError(13, "Permission denied", os.fspath(dst))
        return real(src, dst)

    monkeypatch.setattr(publish.os, "replace", held_open)
    (ready.inbox / "新.xlsx").write_bytes(xlsx_bytes(submission_rows(data_row(2, problem="新问题", deadline="2026-11-01"))))
    code, out, err = cli("weekly", "--as-of", "2026-12-01")
    assert code == 1 and f"未生成：无法替换 {ledger_file.name}" in out and "Word/WPS/Excel 中打开" in out
    assert "未生成或未替换" in err and "内部错误" not in err
    assert ledger_file.read_bytes() == before[ledger_file]  # wholly the old version
    forms = [p for p in before if p.name.endswith("反馈表.xlsx")]
    assert all(p.read_bytes() != before[p] for p in forms if p.parent.name == "区财政局")  # the others are new
    assert "新问题" in "".join(c.text for t in Document(ready.week_outbox("2026-W49") / CIRCULAR_1).tables for r in t.rows
                              for c in r.cells)
    assert not list(ready.outbox.rglob(".*.tmp"))


def test_a_broken_template_fails_alone_and_says_where(ready, cli):
    doc = Document(ready.templates / CIRCULAR)
    doc.paragraphs[0].runs[0].text = "{{ mastehad }}"
    doc.save(ready.templates / CIRCULAR)
    doc = Document(ready.templates / NOTICE)
    doc.add_paragraph("截至{{ as_of }，请办理")
    doc.save(ready.templates / NOTICE)
    code, out, err = cli("weekly", "--as-of", "2026-11-30")
    assert code == 1 and "内部错误" not in err
    assert "未生成：模板 督查通报.docx 中的 {{ mastehad }} 有误：没有名为“mastehad”的字段，是否应为“masthead”？" in out
    assert "未生成：模板 督办通知单.docx 有语法错误（所在段落：“截至{{ as_of }，请办理”）" in out and "（共 2 份文件）" in out
    assert not list(ready.outbox.rglob("*督查通报*")) and not list(ready.outbox.rglob("*督办通知单*"))
    assert (ready.week_outbox("2026-W49") / "2026-W49_三单工作台帐.xlsx").exists()
    assert (ready.unit_outbox("区财政局") / "2026-W49_反馈表.xlsx").exists()


def test_an_old_ledger_keeps_its_circular_numbers(workspace, cli):
    """A ledger from before 0004_issued_documents: its circulars table moves into the series."""
    workspace.data.mkdir(exist_ok=True)
    con = sqlite3.connect(workspace.db_path)
    con.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, sql, _step in MIGRATIONS[:2]:
        con.executescript(sql)
        con.execute("INSERT INTO migrations VALUES (?, '2026-11-01T00:00:00')", (name,))
    con.execute("INSERT INTO circulars VALUES (2026, '2026-W45', 1, '2026-11-02T09:00:00')")
    con.commit()
    con.close()
    write_default_templates(workspace.templates)
    code, out, _ = cli("weekly", "--as-of", "2026-11-30")
    assert code == 0 and "观政办〔2026〕2号（2026年第2期）" in out


def test_special_report_shares_the_offices_series_and_feeds_back_to_each_unit(ready, cli):
    assert cli("weekly", "--as-of", "2026-11-30")[0] == 0  # the circular took 观政办〔2026〕1号
    code, out, _ = cli("report", "--source", "审计", "--as-of", "2026-11-30")
    report = ready.outbox / "专题报告_审计_2026-11-30.docx"
    assert code == 0 and "观政办〔2026〕2号" in out and "已向 2 个单位反馈" in out
    body = text(report)
    assert "区人民政府：" in body and "特此报告。" in body and "观政办〔2026〕2号" in body
    for unit, own, other in (("区财政局", "非税收入缴库不及时", "老旧小区改造滞后"),
                             ("区住房城乡建设局", "老旧小区改造滞后", "非税收入缴库不及时")):
        feedback = ready.unit_outbox(unit) / "专题报告反馈_审计_2026-11-30.docx"
        cells = "".join(c.text for t in Document(feedback).tables for r in t.rows for c in r.cells)
        assert own in cells and other not in cells and f"{unit}：" in text(feedback)
    # a re-run keeps the number; after a day the report counts as sent: the new one goes beside it
    age(ready, report.name, 25)
    code, out, _ = cli("report", "--source", "审计", "--as-of", "2026-11-30")
    assert code == 0 and "观政办〔2026〕2号" in out and "专题报告_审计_2026-11-30（重新生成）.docx" in out


def test_doctor_names_a_misspelt_nested_field_and_its_nearest_name(ready):
    from pipeline.service import doctor

    doc = Document(ready.templates / CIRCULAR)
    doc.add_paragraph("共{{ overview.totl }}个")
    doc.save(ready.templates / CIRCULAR)
    found = {f.code: f for f in doctor.check_workspace(ready, date(2026, 11, 30))}
    assert "“totl”" in found["template-unknown-variable"].message
    assert "是否应为“total”" in found["template-unknown-variable"].message
