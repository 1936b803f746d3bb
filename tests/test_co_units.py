"""Issue 17, point 7: each 配合责任单位's 反馈表 lists the items it cooperates on with a 配合情况
column that comes back into the item's timeline; [[partners]] are co-units that report nothing."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from builders import data_row, make_config, sancha_toml, submission_rows, xlsx_bytes

from pipeline.config import ConfigError, parse_config
from pipeline.intake.parse import parse_submission
from pipeline.ledger.ingest import ingest_paths
from pipeline.ledger.ledger import Ledger
from pipeline.output.documents.feedback_xlsx import COOPERATION_HEADERS, COOPERATION_SHEET, FORM_SHEET
from pipeline.output.documents.templates import write_default_templates

PARTNERS = '\n[[partners]]\nname = "区公安分局"\naliases = ["公安分局"]\n'


def test_a_partner_is_a_co_unit_without_being_a_unit():
    config = parse_config(sancha_toml() + PARTNERS)
    rows = submission_rows(data_row(co_units="公安分局、区审计局"))
    sub = parse_submission(xlsx_bytes(rows), "a.xlsx", config, received=date(2026, 11, 20))
    assert sub.ok and sub.rows[0].co_units == ("区公安分局", "区审计局")
    as_lead = parse_submission(xlsx_bytes(submission_rows(data_row(lead_unit="区公安分局"), unit="区公安分局")),
                               "b.xlsx", config, received=date(2026, 11, 20))
    assert not as_lead.ok  # a partner never leads nor submits
    assert not parse_submission(xlsx_bytes(rows), "a.xlsx", make_config(), received=date(2026, 11, 20)).ok
    with pytest.raises(ConfigError, match="同时属于"):
        parse_config(sancha_toml() + '\n[[partners]]\nname = "区审计局"\n')


@pytest.fixture
def weekly_done(workspace, cli, monkeypatch):
    import pipeline.service.publish as publish

    monkeypatch.setattr(publish, "today", lambda: date(2026, 12, 31))
    write_default_templates(workspace.templates)
    rows = submission_rows(data_row(problem="问题甲：采购验收不及时", co_units="区审计局、菱湖街道"),
                           data_row(seq=2, problem="问题乙：资金拨付滞后"))
    (workspace.inbox / "a.xlsx").write_bytes(xlsx_bytes(rows))
    ingest_paths(workspace, list(workspace.inbox.iterdir()), date(2026, 11, 20), workers=0)
    code, _, err = cli("weekly", "--as-of", "2026-11-30")
    assert code == 0, err
    return workspace


def form_of(ws, unit: str):
    [path] = ws.unit_outbox(unit).glob("*反馈表*.xlsx")
    return path


def test_a_co_unit_form_lists_the_items_it_cooperates_on(weekly_done):
    wb = openpyxl.load_workbook(io.BytesIO(form_of(weekly_done, "区审计局").read_bytes()))
    sheet = wb[COOPERATION_SHEET]
    assert [c.value for c in sheet[2]] == COOPERATION_HEADERS
    assert [c.value for c in sheet[3]][:3] == ["2026-0001", "问题甲：采购验收不及时", "区财政局"]
    assert sheet.max_row == 3  # 问题乙 has no co-unit
    assert sheet["A3"].protection.locked and not sheet["E3"].protection.locked
    lead = openpyxl.load_workbook(io.BytesIO(form_of(weekly_done, "区财政局").read_bytes()))
    assert COOPERATION_SHEET not in lead.sheetnames and FORM_SHEET in lead.sheetnames


def send_back(ws, unit: str, rows: dict[int, str], day=date(2026, 12, 2)):
    path = form_of(ws, unit)
    wb = openpyxl.load_workbook(path)
    sheet = wb[COOPERATION_SHEET]
    for r, text in rows.items():
        sheet.cell(r, 5, text)
    out = io.BytesIO()
    wb.save(out)
    (ws.inbox / unit).mkdir(exist_ok=True)
    (ws.inbox / unit / path.name).write_bytes(out.getvalue())
    [result] = ingest_paths(ws, list((ws.inbox / unit).iterdir()), day, workers=0)
    return result


def test_the_cooperation_comes_back_into_the_items_timeline(weekly_done, cli):
    result = send_back(weekly_done, "区审计局", {3: "已派员参与验收，提供审计意见"})
    assert result.verdict == "accepted", [f.message for f in result.findings]
    with Ledger.open(weekly_done.db_path) as ledger:
        [event] = [e for e in ledger.events("2026-0001") if e.kind == "cooperate"]
        item = ledger.item("2026-0001")
    assert (event.note, event.data["unit"], event.on) == ("已派员参与验收，提供审计意见", "区审计局", date(2026, 12, 2))
    assert item is not None and item.progress is None  # the lead unit's fields are its own
    _, out, _ = cli("show", "2026-0001", "--as-of", "2026-12-02")
    assert "配合情况" in out and "已派员参与验收，提供审计意见" in out and "配合单位：区审计局" in out


def test_a_row_for_an_item_the_unit_does_not_cooperate_on_is_left_out(weekly_done):
    path = form_of(weekly_done, "区审计局")
    wb = openpyxl.load_workbook(path)
    sheet = wb[COOPERATION_SHEET]
    sheet.protection.sheet = False
    sheet.cell(4, 1, "2026-0002")
    sheet.cell(4, 5, "也配合了")
    sheet.cell(5, 1, "2026-0099")
    sheet.cell(5, 5, "不存在")
    out = io.BytesIO()
    wb.save(out)
    (weekly_done.inbox / "b.xlsx").write_bytes(out.getvalue())
    [result] = ingest_paths(weekly_done, [weekly_done.inbox / "b.xlsx"], date(2026, 12, 2), workers=0)
    assert result.verdict == "accepted"
    warnings = [(f.code, f.cell) for f in result.findings if f.code == "not-co-unit"]
    assert warnings == [("not-co-unit", "E4"), ("not-co-unit", "E5")]
    with Ledger.open(weekly_done.db_path) as ledger:
        assert not [e for e in ledger.events("2026-0002") if e.kind == "cooperate"]
