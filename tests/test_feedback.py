"""The pre-filled 反馈表: its form, and the round trip through the inbox back into the ledger."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
from builders import data_row, make_config, submission_rows, xlsx_bytes
from docfixtures import AS_OF, FORMULA, NASTY, ledger, with_problem

from pipeline.intake.parse import parse_submission
from pipeline.ledger.ledger import Ledger
from pipeline.model import STATUSES
from pipeline.output.documents.feedback_xlsx import FORM_SHEET, HEADERS, feedback_workbook, open_items
from pipeline.output.documents.templates import write_default_templates


def form_for(unit: str) -> bytes:
    items, states, _ = ledger()
    return feedback_workbook(make_config(), unit, open_items(unit, items, states), AS_OF)


def test_form_layout():
    wb = openpyxl.load_workbook(io.BytesIO(form_for("区住房城乡建设局")))
    ws = wb[FORM_SHEET]
    assert ws["A2"].value == "填报单位：区住房城乡建设局"
    assert [c.value for c in ws[3]] == HEADERS
    assert [ws.cell(r, 1).value for r in (4, 5)] == ["2026-0003", "2026-0004"]
    assert ws["B4"].value == f"老旧小区改造{NASTY}" and ws["F4"].value == "菱湖街道"
    assert ws["D4"].is_date and ws["D4"].number_format == "yyyy-mm-dd"
    assert ws.protection.sheet
    assert ws["A4"].protection.locked and ws["B4"].protection.locked
    assert not ws["C4"].protection.locked and not ws["I4"].protection.locked and not ws["J4"].protection.locked
    assert ws["A6"].protection.locked and not ws["B6"].protection.locked  # blank row: a new problem, no 编号
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert lists[0].formula1 == '"' + ",".join(STATUSES) + '"' and "I4" in lists[0].sqref


def test_only_open_items_and_text_stays_text():
    items, states, _ = ledger()
    assert open_items("区财政局", items, states) == []  # done and closed items are not asked again
    assert [i.id for i in open_items("菱湖街道", items, states)] == ["2026-0005", "2026-0006", "2026-0007"]
    ws = openpyxl.load_workbook(io.BytesIO(form_for("菱湖街道")))[FORM_SHEET]
    assert ws["D6"].value == "长期坚持"
    items = with_problem(items, "2026-0005", FORMULA)
    data = feedback_workbook(make_config(), "菱湖街道", open_items("菱湖街道", items, states), AS_OF)
    cell = openpyxl.load_workbook(io.BytesIO(data))[FORM_SHEET]["B4"]
    assert cell.value == FORMULA and cell.data_type == "s" and cell.quotePrefix


def test_unfilled_form_parses_as_the_units_update():
    sub = parse_submission(form_for("区住房城乡建设局"), "反馈表.xlsx", make_config(), received=AS_OF)
    assert sub.ok, sub.findings
    assert sub.unit == "区住房城乡建设局"
    assert [r.item_id for r in sub.rows] == ["2026-0003", "2026-0004"]
    assert sub.rows[0].problem == f"老旧小区改造{NASTY}" and sub.rows[0].deadline == date(2026, 10, 15)


def test_round_trip_through_the_inbox(workspace, cli):
    write_default_templates(workspace.templates)
    rows = submission_rows(
        data_row(1, problem="政府采购验收不及时 A&B<二期>", deadline="2026-10-15"),
        data_row(2, problem="非税收入缴库不及时", deadline="2026-12-31"),
    )
    (workspace.inbox / "财政局.xlsx").write_bytes(xlsx_bytes(rows))
    code, out, err = cli("weekly", "--as-of", "2026-11-30")
    assert code == 0, err
    form = workspace.unit_outbox("区财政局") / "2026-W49_反馈表.xlsx"

    # The unit fills the form in Excel as it would by hand, and drops it back into the inbox.
    wb = openpyxl.load_workbook(form)
    ws = wb[FORM_SHEET]
    assert ws["B4"].value == "政府采购验收不及时 A&B<二期>"
    first_id = ws["A4"].value
    ws["H4"] = "已完成验收，整改到位"
    ws["I4"] = "已完成"
    ws["J4"] = date(2026, 11, 27)
    ws["H5"] = "正在推进"
    ws["B6"], ws["C6"], ws["D6"], ws["E6"] = "新发现：票据管理不规范", "专项清理", "2026年12月底", "区财政局"
    filled = workspace.inbox / "区财政局反馈.xlsx"
    wb.save(filled)

    code, out, err = cli("ingest", "--as-of", "2026-12-01")
    assert code == 0, out + err
    with Ledger.open(workspace.db_path) as led:
        items = {i.id: i for i in led.items()}
    assert len(items) == 3
    done = items[first_id]
    assert (done.status, done.done_on, done.progress) == ("已完成", date(2026, 11, 27), "已完成验收，整改到位")
    assert done.problem == "政府采购验收不及时 A&B<二期>" and done.deadline == date(2026, 10, 15)
    new = next(i for i in items.values() if i.problem.startswith("新发现"))
    assert new.deadline == date(2026, 12, 31) and new.unit == "区财政局"

    code, _, err = cli("weekly", "--as-of", "2026-12-07")
    assert code == 0, err
    ws = openpyxl.load_workbook(workspace.unit_outbox("区财政局") / "2026-W50_反馈表.xlsx")[FORM_SHEET]
    ids = [ws.cell(r, 1).value for r in range(4, 7)]
    assert first_id not in ids and new.id in ids
