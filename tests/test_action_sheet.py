"""The office's action sheet 督查室操作: in every weekly ledger workbook, filled in by the office
and dropped into inbox/督查室/, each row applied through the office-action functions with the
same checks, each row named in the receipt, failing rows listed and the others applied."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from builders import data_row, submission_rows, xlsx_bytes
from web_fixtures import TODAY, build_workspace, copy_workspace

from pipeline.intake.action_sheet import COLUMNS, OPERATIONS, SHEET, find_action_sheet
from pipeline.intake.read import Sheet
from pipeline.ledger.ingest import ingest_inbox
from pipeline.ledger.ledger import Ledger
from pipeline.workspace import Workspace

RECEIVED = date(2026, 12, 7)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Workspace:
    return build_workspace(tmp_path_factory.mktemp("sheet") / "ws", weekly=True)


@pytest.fixture
def ws(built, tmp_path) -> Workspace:
    return copy_workspace(built, tmp_path / "ws")


def weekly_workbook(ws: Workspace) -> Path:
    return next(ws.outbox.rglob("*三单工作台帐*.xlsx"))


def filled(ws: Workspace, rows: list[tuple]) -> bytes:
    """The weekly ledger workbook with these rows written into its 督查室操作 sheet, as the clerk would."""
    wb = openpyxl.load_workbook(weekly_workbook(ws))
    sheet = wb[SHEET]
    for n, row in enumerate(rows, 3):
        for c, value in enumerate(row, 1):
            sheet.cell(n, c, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def drop(ws: Workspace, data: bytes, folder: str = "督查室", name: str = "督查室操作_1207.xlsx"):
    (ws.inbox / folder).mkdir(parents=True, exist_ok=True)
    (ws.inbox / folder / name).write_bytes(data)
    [result] = ingest_inbox(ws, received=RECEIVED)
    return result


def events(ws: Workspace, item_id: str):
    with Ledger.open(ws.db_path) as led:
        return led.events(item_id)


def test_the_weekly_ledger_workbook_has_the_action_sheet_with_its_dropdown(ws):
    wb = openpyxl.load_workbook(weekly_workbook(ws))
    assert wb.sheetnames[-1] == SHEET
    sheet = wb[SHEET]
    assert [c.value for c in sheet[2]] == list(COLUMNS)
    assert "inbox/督查室/" in sheet["A1"].value
    [dropdown] = sheet.data_validations.dataValidation
    assert dropdown.type == "list" and dropdown.formula1 == '"' + ",".join(OPERATIONS) + '"'
    assert str(dropdown.sqref).startswith("B3:")
    assert OPERATIONS == ("销号", "延期", "回头看通过", "回头看反弹", "重开", "作废", "移交")


def test_an_empty_action_sheet_is_no_action_file_and_a_filled_one_is_read_as_cells_are():
    header = [["每行一项办理"], list(COLUMNS)]
    assert find_action_sheet([Sheet(SHEET, header)]) is None
    assert find_action_sheet([Sheet("三单", [*header, ["2026-0001", "销号"]])]) is None
    found = find_action_sheet([Sheet(SHEET, [*header, ["２０２６－０００１", "延期", "2026年12月1日", "2027-1-31", "", "批准"],
                                             ["", "", "", "", "", ""], ["2026-1", "改期", "明天", "", "", ""]])])
    assert found is not None and len(found.rows) == 2
    good, bad = found.rows
    assert (good.row, good.item_id, good.operation, good.on, good.to, good.note, good.error) == (
        3, "2026-0001", "延期", date(2026, 12, 1), date(2027, 1, 31), "批准", None)
    assert bad.row == 5 and bad.error is not None
    assert "督查室操作!B5 操作“改期”无法识别" in bad.error and "督查室操作!C5 日期“明天”不是日期" in bad.error


def test_rows_are_applied_through_the_actions_each_named_in_the_receipt_and_failing_ones_listed(ws):
    result = drop(ws, filled(ws, [
        ("2026-0002", "延期", "", "2027年4月30日", "", "项目调整，区政府批准"),
        ("2026-0003", "销号", "2026-12-04", "", "", "现场核实"),
        ("2026-0001", "销号", "", "", "", ""),  # not reported done: refused, as on the command line
        ("2099-0001", "作废", "", "", "", "重复"),
        ("2026-0005", "移交", "", "", "区财政局", "职能调整"),
        ("2026-0006", "改期", "", "", "", ""),
    ]))
    assert result.verdict == "accepted" and result.unit == "大观区人民政府办公室"
    assert result.updated == ["2026-0002", "2026-0003", "2026-0005"]
    extend = events(ws, "2026-0002")[-1]
    assert (extend.kind, extend.new, extend.on, extend.note) == ("extend", date(2027, 4, 30), RECEIVED,
                                                                 "项目调整，区政府批准")
    assert extend.operator == "操作表 督查室操作_1207.xlsx" and extend.file_id is None
    assert events(ws, "2026-0003")[-1].kind == "close" and events(ws, "2026-0003")[-1].on == date(2026, 12, 4)
    assert events(ws, "2026-0005")[-1].new == "区财政局"
    assert events(ws, "2026-0001")[-1].kind != "close"

    text = result.receipt.read_text(encoding="utf-8-sig")
    assert result.receipt.parent == ws.unit_outbox("大观区人民政府办公室")
    assert "督查室操作表：办理 3 行，未办理 3 行。" in text
    assert "督查室操作!A3：第 3 行 延期：2026-0002（非税收入缴库不及时）已延期" in text
    assert "整改时限：2027年3月31日 → 2027年4月30日" in text
    assert "第 4 行 销号：2026-0003" in text and "第 7 行 移交：2026-0005" in text
    assert "督查室操作!A5：第 5 行 2026-0001 销号未办理：2026-0001 尚未报送完成" in text
    assert "请在督查台帐网页中勾选“强制销号”或用 sancha close --force 登记" in text and "请加 --force" not in text
    assert "第 6 行 2099-0001 作废未办理：台帐中没有编号 2099-0001" in text
    assert "第 8 行 2026-0006 改期未办理：督查室操作!B8 操作“改期”无法识别" in text
    assert not any((ws.inbox / "督查室").iterdir())  # answered: it left the inbox


def test_a_sheet_whose_rows_all_fail_is_returned_and_changes_nothing(ws):
    before = {i: events(ws, i) for i in ("2026-0001", "2026-0002")}
    result = drop(ws, filled(ws, [("2026-0001", "销号"), ("2026-0002", "延期", "", "", "", "")]))
    assert result.verdict == "rejected" and result.updated == []
    assert {i: events(ws, i) for i in before} == before
    text = result.receipt.read_text(encoding="utf-8-sig")
    assert "办理 0 行，未办理 2 行" in text and "督查室操作!D4 延期须填写新时限" in text


def test_a_units_file_with_an_action_sheet_performs_no_action(ws):
    before = events(ws, "2026-0002")
    result = drop(ws, filled(ws, [("2026-0002", "延期", "", "2027-04-30", "", "自己延期")]), folder="区财政局",
                  name="区财政局_三单.xlsx")
    assert not any(f.code.startswith("action-") for f in result.findings)
    assert [e for e in events(ws, "2026-0002") if e.kind == "extend"] == [e for e in before if e.kind == "extend"]


def test_the_day_received_is_today_for_the_checks(ws):
    result = drop(ws, filled(ws, [("2026-0002", "作废", TODAY.replace(day=8).isoformat(), "", "", "重复")]))
    assert result.verdict == "rejected"
    assert "将来的日期" in result.receipt.read_text(encoding="utf-8-sig")


def test_a_broken_file_in_the_offices_folder_is_answered_as_any_file(ws):
    result = drop(ws, b"PK\x03\x04 not really a workbook", name="操作表.xlsx")
    assert result.verdict == "rejected" and [f.code for f in result.findings] == ["unreadable-file"]


def test_the_sheets_close_follows_close_requires_evidence(ws):
    ws.config_path.write_text(ws.config_path.read_text(encoding="utf-8") + "\n[rules]\nclose_requires_evidence = true\n",
                              encoding="utf-8")
    done = submission_rows(data_row(2, item_id="2026-0002", problem="非税收入缴库不及时", deadline="2027-03-31",
                                    status="已完成", done_on="2026-12-01"), report_date="2026年12月2日")
    (ws.inbox / "区财政局_更新.xlsx").write_bytes(xlsx_bytes(done))
    assert [r.verdict for r in ingest_inbox(ws, received=date(2026, 12, 2))] == ["accepted"]
    result = drop(ws, filled(ws, [("2026-0003", "销号", "", "", "", "现场核实"),  # it has its 佐证材料
                                  ("2026-0002", "销号", "", "", "", "现场核实")]))  # reported done, none
    text = result.receipt.read_text(encoding="utf-8-sig")
    assert result.verdict == "accepted" and result.updated == ["2026-0003"]
    assert "第 4 行 2026-0002 销号未办理：2026-0002 尚未收到佐证材料" in text and "--note" not in text
