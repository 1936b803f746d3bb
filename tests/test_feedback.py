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


def test_a_form_sent_again_after_the_ledger_moved_on_does_not_bring_its_old_values_back(workspace, cli):
    """Week 1's form (made 11-23) is filled and sent; in week 2 the unit sends its week-1 form
    again with other words: what changed since the form was made stays, the rest applies."""
    from pipeline.output.documents.feedback_xlsx import feedback_workbook

    (workspace.inbox / "a.xlsx").write_bytes(xlsx_bytes(submission_rows(data_row(1), report_date="2026年11月20日")))
    assert cli("ingest", "--as-of", "2026-11-20")[0] == 0
    with Ledger.open(workspace.db_path) as ledger:
        week1 = feedback_workbook(workspace.config, "区财政局", ledger.items(), date(2026, 11, 23))
    wb = openpyxl.load_workbook(io.BytesIO(week1))
    ws = wb[FORM_SHEET]
    col = {h: n + 1 for n, h in enumerate(HEADERS)}
    ws.cell(4, col["整改进展"]).value = "第一周：已完成验收8个"
    filled = io.BytesIO()
    wb.save(filled)
    (workspace.inbox / "区财政局" ).mkdir(exist_ok=True)
    (workspace.inbox / "区财政局" / "反馈表.xlsx").write_bytes(filled.getvalue())
    assert cli("ingest", "--as-of", "2026-11-24")[0] == 0
    (workspace.inbox / "b.xlsx").write_bytes(xlsx_bytes(submission_rows(
        data_row(1, item_id="2026-0001", progress="第二周：已全部验收", status="已完成", done_on="2026-11-30"),
        report_date="2026年11月30日")))
    assert cli("ingest", "--as-of", "2026-11-30")[0] == 0
    ws.cell(4, col["整改进展"]).value = "第一周：已完成验收8个（再次报送）"
    ws.cell(4, col["责任人"]).value = "李华"
    again = io.BytesIO()
    wb.save(again)
    (workspace.inbox / "区财政局" / "反馈表（再次）.xlsx").write_bytes(again.getvalue())
    (f,) = cli.json("ingest", "--json", "--as-of", "2026-12-01")["files"]
    assert f["accepted"] and [i["code"] for i in f["issues"]] == ["stale-value", "stale-value"]
    assert "第二周：已全部验收" in f["issues"][0]["message"]  # both values named
    (item,) = cli.json("export", "--as-of", "2026-12-01")
    assert (item["progress"], item["status"], item["owner"]) == ("第二周：已全部验收", "已完成", "李华")


def test_the_day_a_form_was_made_is_read_from_its_property_else_from_its_line():
    import zipfile

    from pipeline.intake.parse import parse_submission

    data = feedback_workbook(make_config(), "区财政局", [], date(2026, 11, 23))
    assert parse_submission(data, "反馈表.xlsx", make_config(), received=date(2026, 12, 1)).made_on == date(2026, 11, 23)
    stripped = io.BytesIO()  # a program that drops custom properties: the 制表日期 line still says it
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(stripped, "w") as dst:
        for info in src.infolist():
            if info.filename != "docProps/custom.xml":
                dst.writestr(info, src.read(info).replace(b'<Override PartName="/docProps/custom.xml"', b'<Override x'))
    sub = parse_submission(stripped.getvalue(), "反馈表.xlsx", make_config(), received=date(2026, 12, 1))
    assert sub.made_on == date(2026, 11, 23)
    plain = parse_submission(xlsx_bytes(submission_rows(data_row(1))), "a.xlsx", make_config(), received=date(2026, 12, 1))
    assert plain.made_on is None


def test_hostile_text_comes_back_from_the_form_as_it_went_out():
    """The form is written by XlsxWriter (issue 20): text framed like rich-text XML, control
    characters, a literal _xHHHH_, a formula and full-width punctuation read back unchanged —
    by openpyxl, and by sancha's own reader when the unit sends the form back."""
    items, states, _ = ledger()
    texts = {"2026-0005": "<r><t>伪造</t></r>", "2026-0006": "行一\n行二 _x000B_ 竖\x0b线 A&B<二期>（全角，。）",
             "2026-0007": '=HYPERLINK("http://x")'}
    for item_id, text in texts.items():
        items = with_problem(items, item_id, text)
    data = feedback_workbook(make_config(), "菱湖街道", open_items("菱湖街道", items, states), AS_OF)
    ws = openpyxl.load_workbook(io.BytesIO(data))[FORM_SHEET]
    assert ws["B4"].value == "<r><t>伪造</t></r>"
    assert ws["B6"].data_type == "s" and ws["B6"].quotePrefix and ws["B6"].value == texts["2026-0007"]
    sub = parse_submission(data, "反馈表.xlsx", make_config(), received=AS_OF)
    assert {r.item_id: r.problem for r in sub.rows} == texts
