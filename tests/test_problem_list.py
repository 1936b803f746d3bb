"""Issue 17, point 2 — how it is checked: a 巡查 with its problem list dropped by the office for
five units, the 交办单 and 措施清单 read back, some 措施清单 filled as units would (staged
deadlines, both people), one unit silent past the 5 working days; states, notices, the
inspection list and the ledger columns."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from builders import xlsx_bytes
from docx import Document

from pipeline.ledger.ingest import ingest_paths
from pipeline.ledger.ledger import Ledger
from pipeline.model import STATE_AWAITING_MEASURES, STATE_BEHIND, STATE_ON_TRACK
from pipeline.output.documents.ledger_xlsx import HEADERS, LEDGER_SHEET
from pipeline.output.documents.measures_xlsx import HEADERS as MEASURES_HEADERS
from pipeline.output.documents.measures_xlsx import MEASURES_SHEET
from pipeline.output.documents.templates import write_default_templates

NAME = "2026年第四季度重点工作巡查"
UNITS = ["区财政局", "区住房城乡建设局", "菱湖街道", "区审计局", "区发展改革委"]
DROPPED = date(2026, 11, 16)  # a Monday: measures due 2026-11-23 (5 working days)
PROBLEMS = {unit: f"{unit}专项资金使用不规范" for unit in UNITS}


def problem_list() -> bytes:
    rows: list[list] = [["2026年第四季度重点工作巡查发现问题清单"], ["填报单位：督查室", "", "", f"检查名称：{NAME}"],
            ["序号", "整改问题", "整改建议", "牵头责任单位", "配合责任单位", "责任领导"]]
    for n, unit in enumerate(UNITS, 1):
        rows.append([n, PROBLEMS[unit], f"建议{n}：建立台账，逐笔核查", unit, "区审计局" if n == 1 else "",
                     "王副区长" if n == 2 else ""])
    return xlsx_bytes(rows)


def ingest(ws, day):
    return ingest_paths(ws, sorted(p for p in ws.inbox.rglob("*.xlsx")), day, workers=0)


@pytest.fixture
def assigned(workspace, cli, monkeypatch):
    import pipeline.service.publish as publish

    monkeypatch.setattr(publish, "today", lambda: date(2026, 12, 31))
    write_default_templates(workspace.templates)
    code, _, err = cli("inspection", "add", "--kind", "巡查", "--name", NAME, "--start", "2026-11-02", "--end",
                         "2026-11-13", "--units", ",".join(UNITS))
    assert code == 0, err
    (workspace.inbox / "督查室").mkdir()
    (workspace.inbox / "督查室" / "巡查问题清单.xlsx").write_bytes(problem_list())
    [result] = ingest(workspace, DROPPED)
    assert result.verdict == "accepted", [f.message for f in result.findings]
    return workspace


def outbox_file(ws, unit: str, word: str):
    [path] = [p for p in ws.unit_outbox(unit).iterdir() if word in p.name]
    return path


def test_the_problem_list_registers_items_awaiting_measures(assigned, cli):
    exported = cli.json("export", "--format", "json", "--as-of", "2026-11-16")
    assert len(exported) == 5
    assert {r["state"] for r in exported} == {STATE_AWAITING_MEASURES}
    first = exported[0]
    assert (first["measures"], first["deadline"], first["deadline_text"]) == ("", None, "")
    assert first["suggestion"] == "建议1：建立台账，逐笔核查" and first["inspection"] == "JC2026-01"
    assert first["co_units"] == ["区审计局"] and exported[1]["leader"] == "王副区长"


def test_each_lead_unit_gets_a_numbered_assignment_and_a_measures_form(assigned):
    numbers = []
    for unit in UNITS:
        doc = Document(str(outbox_file(assigned, unit, "交办单")))
        text = "\n".join(p.text for p in doc.paragraphs)
        assert "问题交办单" in text and f"{unit}：" in text and NAME in text
        assert "2026年11月23日前" in text  # the 5th working day after the day it was dropped
        cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
        assert PROBLEMS[unit] in cells and not any(PROBLEMS[u] in cells for u in UNITS if u != unit)
        numbers.append(next(p.text for p in doc.paragraphs if p.text.startswith("交办〔2026〕")))
    assert numbers == [f"交办〔2026〕{n}号" for n in range(1, 6)]


def test_the_measures_form_is_prefilled_locked_and_validated(assigned):
    wb = openpyxl.load_workbook(io.BytesIO(outbox_file(assigned, "区财政局", "措施清单").read_bytes()))
    ws = wb[MEASURES_SHEET]
    assert [c.value for c in ws[3]] == MEASURES_HEADERS
    row = {h: c for h, c in zip(MEASURES_HEADERS, ws[4], strict=True)}
    assert (row["编号"].value, row["整改问题"].value) == ("2026-0001", PROBLEMS["区财政局"])
    assert row["编号"].protection.locked and row["整改问题"].protection.locked
    assert not row["整改措施"].protection.locked and not row["责任人"].protection.locked
    assert ws.protection.sheet
    kinds = {(dv.type, str(dv.sqref)) for dv in ws.data_validations.dataValidation}
    assert {("date", "F4"), ("date", "G4"), ("list", "H4"), ("textLength", "E4")} <= kinds
    assert wb["单位名单"].sheet_state == "hidden" and wb["单位名单"]["A1"].value == "区财政局"


def fill(ws, unit: str, day: date, measures: str, deadline: str, **extra) -> None:
    """The unit fills its 措施清单 and drops it back into its inbox folder."""
    path = outbox_file(ws, unit, "措施清单")
    wb = openpyxl.load_workbook(path)
    sheet = wb[MEASURES_SHEET]
    col = {h: n + 1 for n, h in enumerate(MEASURES_HEADERS)}
    sheet.cell(4, col["整改措施"], measures)
    sheet.cell(4, col["整改时限"], deadline)
    for header, value in extra.items():
        sheet.cell(4, col[header], value)
    folder = ws.inbox / unit
    folder.mkdir(exist_ok=True)
    out = io.BytesIO()
    wb.save(out)
    (folder / f"{unit}_措施清单.xlsx").write_bytes(out.getvalue())
    [result] = ingest(ws, day)
    assert result.verdict == "accepted", [f.message for f in result.findings]


def test_units_send_their_measures_and_one_stays_silent(assigned, cli):
    fill(assigned, "区财政局", date(2026, 11, 19), "逐笔核查专项资金，建立整改台账",
         "2026年12月15日前完成核查，2027年3月底前全面完成", 责任领导="李局长", 责任人="张明", 联系电话="0556-5501234",
         整改目标="资金使用全部规范")
    fill(assigned, "区住房城乡建设局", date(2026, 11, 20), "完善资金审批制度", "2026-12-31", 责任人="赵强",
         时间节点="2026年11月30日前修订制度")
    fill(assigned, "菱湖街道", date(2026, 11, 23), "整改到位", "立行立改并长期坚持", 责任人="陈芳")
    fill(assigned, "区审计局", date(2026, 11, 23), "开展专项审计", "2026年12月底前", 责任人="周红")
    # 区发展改革委 stays silent past 2026-11-23
    now = {r["unit"]: r for r in cli.json("export", "--format", "json", "--as-of", "2026-12-01")}
    finance = now["区财政局"]
    assert finance["deadline"] == "2027-03-31" and finance["measures"] == "逐笔核查专项资金，建立整改台账"
    assert finance["milestones"] == [{"due": "2026-12-15", "text": "2026年12月15日前完成核查", "done_on": None}]
    assert (finance["leader"], finance["owner"], finance["phone"], finance["target"]) == (
        "李局长", "张明", "0556-5501234", "资金使用全部规范")
    assert finance["state"] == STATE_ON_TRACK
    assert now["区住房城乡建设局"]["state"] == STATE_BEHIND  # its 时间节点 of 11-30 passed, not done
    assert now["菱湖街道"]["ongoing"] is True
    silent = now["区发展改革委"]
    assert silent["state"] == STATE_AWAITING_MEASURES and silent["report_missing"] is False
    assert silent["key_supervision"] is True
    on_due = {r["unit"]: r for r in cli.json("export", "--format", "json", "--as-of", "2026-11-23")}
    assert on_due["区发展改革委"]["key_supervision"] is False  # due today is not late

    with Ledger.open(assigned.db_path) as ledger:
        kinds = [e.kind for e in ledger.events(finance["id"])]
    assert "measures" in kinds and "extend" not in kinds  # the first deadline, not an extension

    code, _, err = cli("weekly", "--as-of", "2026-12-01")
    assert code == 0, err
    notice = Document(str(next(assigned.unit_outbox("区发展改革委").glob("*督办通知单*.docx"))))
    cells = [c.text for t in notice.tables for r in t.rows for c in r.cells]
    assert f"{PROBLEMS['区发展改革委']}\n（责任人未明确）" in cells  # no 责任人 sent either
    assert "待报措施" in cells and "11月23日前\n未报送整改措施" in cells
    circular = Document(str(next(assigned.outbox.glob("*督查通报*.docx"))))
    body = "\n".join(p.text for p in circular.paragraphs)
    assert "未报送整改措施1个" in body and "区发展改革委" in body
    assert not list(assigned.unit_outbox("区财政局").glob("*督办通知单*"))

    [inspection] = cli.json("inspection", "list", "--json", "--as-of", "2026-12-01")
    assert (inspection["report_due"], inspection["report_on"], inspection["report_late"]) == (
        "2026-11-20", None, True)
    assert (inspection["items"], inspection["open_items"]) == (5, 5)

    out_path = assigned.root / "l.xlsx"
    assert cli("export", "--format", "xlsx", "--as-of", "2026-12-01", "-o", str(out_path))[0] == 0
    sheet = openpyxl.load_workbook(out_path)[LEDGER_SHEET]
    rows = {r[HEADERS.index("牵头责任单位")].value: {h: c.value for h, c in zip(HEADERS, r, strict=False)}
            for r in sheet.iter_rows(min_row=3)}
    assert rows["区财政局"]["检查名称"] == NAME and rows["区财政局"]["整改建议"] == "建议1：建立台账，逐笔核查"
    assert rows["区财政局"]["责任领导"] == "李局长" and rows["区财政局"]["时间节点"] == "2026年12月15日前完成核查"
    assert rows["区发展改革委"]["状态"] == STATE_AWAITING_MEASURES


def test_a_unit_problem_list_without_measures_is_still_rejected(workspace):
    rows: list[list] = [["填报单位：区财政局"], ["序号", "整改问题", "牵头责任单位"], [1, "问题", "区财政局"]]
    (workspace.inbox / "a.xlsx").write_bytes(xlsx_bytes(rows))
    [result] = ingest(workspace, DROPPED)
    assert result.verdict == "rejected"
    assert {f.code for f in result.findings} >= {"missing-column"}


def test_export_says_when_the_measures_are_due_and_whether_they_are_missing(assigned, cli):
    before = cli.json("export", "--format", "json", "--as-of", "2026-11-23")[0]
    after = cli.json("export", "--format", "json", "--as-of", "2026-11-24")[0]
    assert (before["measures_due"], before["measures_missing"]) == ("2026-11-23", False)
    assert (after["measures_due"], after["measures_missing"]) == ("2026-11-23", True)
