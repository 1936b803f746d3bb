"""Issue 17, point 1: inspections with their report deadlines (5 working days after the end),
the items they found (meta line, 检查名称 column, inbox/督查室/<检查名称>/ folder), and the
commands as pinned."""

from __future__ import annotations

from datetime import date

import openpyxl
from builders import data_row, submission_rows, xlsx_bytes

from pipeline.deadlines.workdays import WorkCalendar
from pipeline.ledger.ingest import ingest_paths
from pipeline.ledger.inspections import Inspection, report_due, report_line
from pipeline.ledger.ledger import Ledger
from pipeline.output.documents.ledger_xlsx import HEADERS, LEDGER_SHEET

NAME = "2026年第四季度重点工作巡查"


def add(cli, *extra: str, name: str = NAME, kind: str = "巡查", start: str = "2026-11-02", end: str = "2026-11-13"):
    code, out, err = cli("inspection", "add", "--kind", kind, "--name", name, "--start", start, "--end", end, *extra)
    assert code == 0, err
    return out.splitlines()[0]


def drop(workspace, rows, name="a.xlsx", folder=None, day=date(2026, 11, 20)):
    where = workspace.inbox / folder if folder else workspace.inbox
    where.mkdir(parents=True, exist_ok=True)
    (where / name).write_bytes(xlsx_bytes(rows))
    return ingest_paths(workspace, [where / name], day, workers=0)[0]


def with_meta(rows: list[list], line: str) -> list[list]:
    return [rows[0], rows[1] + ["", line], *rows[2:]]


def test_add_prints_the_new_id_and_the_report_due_five_working_days_after_the_end(cli):
    assert add(cli, "--leader", "王副区长", "--group", "第一巡查组", "--units", "区财政局,住建局") == "JC2026-01"
    [record] = cli.json("inspection", "list", "--json", "--as-of", "2026-11-16")
    assert record == {
        "id": "JC2026-01", "kind": "巡查", "form": None, "name": NAME, "leader": "王副区长", "group": "第一巡查组",
        "start": "2026-11-02", "end": "2026-11-13", "report_due": "2026-11-20", "report_on": None,
        "report_late": False, "units": ["区财政局", "区住房城乡建设局"], "items": 0, "open_items": 0,
        "provisional": False}
    assert add(cli, "--form", "专项督查", kind="督查", name="专项督查一") == "JC2026-02"


def test_the_report_due_counts_working_days_over_holidays_and_marks_a_provisional_year():
    cal = WorkCalendar([], [])
    national_day = Inspection("JC2026-03", "督查", None, "国庆前督查", None, None, date(2026, 9, 21), date(2026, 9, 30))
    assert report_due(national_day, cal) == date(2026, 10, 13)  # 10-10 is a make-up Saturday
    late_year = Inspection("JC2027-01", "巡查", None, "明年巡查", None, None, date(2027, 12, 20), date(2027, 12, 24))
    assert "（暂定）" in (report_line(late_year, date(2027, 12, 30), cal) or "")


def test_wrong_kinds_forms_and_dates_are_refused_in_chinese(cli):
    code, _, err = cli("inspection", "add", "--kind", "检查", "--name", "x", "--start", "2026-11-02", "--end", "2026-11-03")
    assert code == 1 and "巡查、督查、考察、第三方评估、审计、其他" in err
    code, _, err = cli("inspection", "add", "--kind", "巡查", "--form", "专项督查", "--name", "x", "--start",
                       "2026-11-02", "--end", "2026-11-03")
    assert code == 1 and "只用于督查" in err
    code, _, err = cli("inspection", "add", "--kind", "督查", "--name", "x", "--start", "2026-11-05", "--end", "2026-11-03")
    assert code == 1 and "早于" in err
    add(cli)
    code, _, err = cli("inspection", "add", "--kind", "督查", "--name", NAME, "--start", "2026-11-02", "--end", "2026-11-03")
    assert code == 1 and "已登记为 JC2026-01" in err


def test_report_is_recorded_with_its_file_archived_and_its_lateness(cli, workspace, tmp_path):
    add(cli)
    report = tmp_path / "巡查报告.docx"
    report.write_bytes(b"report bytes")
    code, out, err = cli("inspection", "report", "JC2026-01", "--on", "2026-11-23", "--file", str(report))
    assert code == 0, err
    assert "逾期报送" in out
    [record] = cli.json("inspection", "list", "--json", "--as-of", "2026-11-30")
    assert (record["report_on"], record["report_late"]) == ("2026-11-23", True)
    archived = list(workspace.archive.rglob("*巡查报告.docx"))
    assert len(archived) == 1 and archived[0].read_bytes() == b"report bytes"
    [before] = cli.json("inspection", "list", "--json", "--as-of", "2026-11-20")  # as it stood: not yet received
    assert (before["report_on"], before["report_late"]) == (None, False)


def test_an_unreported_inspection_is_late_after_its_due_day(cli):
    add(cli)
    [on_due] = cli.json("inspection", "list", "--json", "--as-of", "2026-11-20")
    [after] = cli.json("inspection", "list", "--json", "--as-of", "2026-11-23")
    assert (on_due["report_late"], after["report_late"]) == (False, True)


def test_items_carry_their_inspection_from_the_meta_line_a_column_or_the_folder(cli, workspace):
    add(cli)
    add(cli, name="2026年第四季度专项督查", kind="督查", start="2026-11-09", end="2026-11-13")
    drop(workspace, with_meta(submission_rows(data_row(source="")), f"检查名称：{NAME}"))
    column = [["填报单位：区财政局"], ["序号", "检查名称", "整改问题", "整改措施", "整改时限", "牵头责任单位", "责任人"],
              [1, "2026年第四季度专项督查", "问题乙", "措施乙", "2026-12-31", "区财政局", "张明"]]
    drop(workspace, column, name="b.xlsx")
    office = [["填报单位：督查室"], ["序号", "整改问题", "整改措施", "整改时限", "牵头责任单位", "责任人"],
              [1, "问题丙", "措施丙", "2026-12-31", "区财政局", "张明"]]
    drop(workspace, office, name="c.xlsx", folder=f"督查室/{NAME}")
    exported = {r["problem"]: r for r in cli.json("export", "--format", "json", "--as-of", "2026-11-20")}
    assert exported["问题1：政府采购项目验收不及时"]["inspection"] == "JC2026-01"
    assert exported["问题1：政府采购项目验收不及时"]["source_category"] == "巡查"  # no 问题来源: the inspection's kind
    assert exported["问题乙"]["inspection"] == "JC2026-02"
    assert exported["问题丙"]["inspection"] == "JC2026-01"
    listed = {r["id"]: r for r in cli.json("inspection", "list", "--json", "--as-of", "2026-11-20")}
    assert (listed["JC2026-01"]["items"], listed["JC2026-01"]["open_items"]) == (2, 2)
    out = workspace.root / "l.xlsx"
    assert cli("export", "--format", "xlsx", "--as-of", "2026-11-20", "-o", str(out))[0] == 0
    sheet = openpyxl.load_workbook(out)[LEDGER_SHEET]
    names = {row[HEADERS.index("整改问题")].value: row[HEADERS.index("检查名称")].value
             for row in sheet.iter_rows(min_row=3)}
    assert names["问题乙"] == "2026年第四季度专项督查" and names["问题丙"] == NAME


def test_an_unknown_inspection_name_creates_nothing_and_names_the_closest(cli, workspace):
    add(cli)
    result = drop(workspace, with_meta(submission_rows(), "检查名称：2026年四季度重点工作巡查"))
    assert result.verdict == "accepted"
    [warning] = [f for f in result.findings if f.code == "unknown-inspection"]
    assert warning.severity == "warning" and NAME in (warning.hint or "")
    with Ledger.open(workspace.db_path) as ledger:
        assert ledger.item("2026-0001").inspection is None  # type: ignore[union-attr]
        assert ledger.conn.execute("SELECT COUNT(*) FROM inspections").fetchone()[0] == 1


def test_an_alias_names_the_inspection(cli, workspace):
    add(cli, "--alias", "四季度巡查")
    drop(workspace, with_meta(submission_rows(), "检查名称：四季度巡查"))
    assert cli.json("show", "2026-0001", "--json", "--as-of", "2026-11-20")["inspection"] == "JC2026-01"


def test_a_late_report_is_named_in_weekly_summary_the_circular_and_the_dashboard(cli, workspace, monkeypatch):
    from docx import Document

    import pipeline.service.publish as publish
    from pipeline.output.documents.templates import write_default_templates

    monkeypatch.setattr(publish, "today", lambda: date(2026, 11, 30))
    write_default_templates(workspace.templates)
    add(cli)
    drop(workspace, with_meta(submission_rows(), f"检查名称：{NAME}"))
    code, out, err = cli("weekly", "--as-of", "2026-11-30")
    assert code == 0, err
    line = f"{NAME}：报告应于11月20日前报送，尚未报送，已逾期"
    assert f"检查报告：{line}" in out
    circular = next(workspace.outbox.glob("*/*督查通报*.docx"))  # in the week's folder (issue 19)
    assert any(line in p.text for p in Document(str(circular)).paragraphs)
    assert line in (workspace.outbox / "看板.html").read_text(encoding="utf-8")


def test_report_inspection_writes_the_special_report_of_its_items(cli, workspace, monkeypatch):
    from docx import Document

    import pipeline.service.publish as publish
    from pipeline.output.documents.templates import write_default_templates

    monkeypatch.setattr(publish, "today", lambda: date(2026, 11, 30))
    write_default_templates(workspace.templates)
    add(cli)
    drop(workspace, with_meta(submission_rows(data_row(), data_row(seq=2)), f"检查名称：{NAME}"))
    drop(workspace, submission_rows(data_row(seq=3, problem="别的问题")), name="b.xlsx")
    code, out, err = cli("report", "--inspection", "JC2026-01", "--as-of", "2026-11-30")
    assert code == 0, err
    assert "2 项" in out
    [path] = workspace.outbox.glob(f"专题报告_{NAME}_*.docx")
    doc = Document(str(path))
    assert any(f"关于{NAME}发现问题" in p.text for p in doc.paragraphs)
    cells = {c.text for t in doc.tables for r in t.rows for c in r.cells}
    assert "别的问题" not in cells
    assert cli("report", "--as-of", "2026-11-30")[0] == 2  # neither --source nor --inspection


def test_report_lines_name_an_inspection_due_soon_or_late_and_nothing_else():
    cal = WorkCalendar([], [])
    patrol = Inspection("JC2026-01", "巡查", None, NAME, None, None, date(2026, 11, 2), date(2026, 11, 13))
    assert report_line(patrol, date(2026, 11, 13), cal) is None  # due 11-20: more than 3 working days ahead
    assert report_line(patrol, date(2026, 11, 17), cal) == f"{NAME}：报告应于11月20日前报送"
    assert report_line(patrol, date(2026, 11, 23), cal) == f"{NAME}：报告应于11月20日前报送，尚未报送，已逾期"
    on_time = Inspection(**{**patrol.__dict__, "report_on": date(2026, 11, 19)})
    assert report_line(on_time, date(2026, 11, 23), cal) is None
    late = Inspection(**{**patrol.__dict__, "report_on": date(2026, 11, 24)})
    assert report_line(late, date(2026, 11, 30), cal) == f"{NAME}：报告应于11月20日前报送，11月24日报送，逾期报送"


def test_the_list_kept_for_a_day_follows_every_change(cli, workspace):
    """`inspection list` is kept in the ledger for the day (issue 20); a new inspection, a report
    received and an item found afterwards all show at once."""
    add(cli)
    [first] = cli.json("inspection", "list", "--json", "--as-of", "2026-11-30")
    assert (first["report_on"], first["items"]) == (None, 0)
    assert cli.json("inspection", "list", "--json", "--as-of", "2026-11-30") == [first]  # kept: the same
    assert cli("inspection", "report", "JC2026-01", "--on", "2026-11-23")[0] == 0  # no event: the table changed
    [reported] = cli.json("inspection", "list", "--json", "--as-of", "2026-11-30")
    assert reported["report_on"] == "2026-11-23"
    add(cli, name="2026年第四季度专项督查", kind="督查", start="2026-11-09", end="2026-11-13")
    assert len(cli.json("inspection", "list", "--json", "--as-of", "2026-11-30")) == 2
    drop(workspace, with_meta(submission_rows(data_row(source="")), f"检查名称：{NAME}"))  # an event by the day
    listed = {r["id"]: r for r in cli.json("inspection", "list", "--json", "--as-of", "2026-11-30")}
    assert (listed["JC2026-01"]["items"], listed["JC2026-01"]["open_items"]) == (1, 1)
