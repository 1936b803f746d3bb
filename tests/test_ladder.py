"""The reminder ladder over a month: 临期提醒单 before the deadline, 督办通知单 after it, 督办告诫单
when a notice goes unanswered, 问责建议清单 when the item stays red after it — for a unit that
never answers; a unit that answers stops at the 督办通知单. Every step is a notice event with its
level; `sancha notices` lists them with `answered`; 待发短信.csv holds one message per notice."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from builders import data_row, drop_file, make_workspace, sancha_toml
from docx import Document

from pipeline.ledger.ledger import Ledger
from pipeline.output.documents.templates import write_default_templates
from pipeline.service.weekly import run_weekly

D = date
TOML = sancha_toml().replace('name = "区财政局"\n', 'name = "区财政局"\nleader = "张副区长"\ncontact = "王芳"\n'
                             'phone = "13800000001"\n')


@pytest.fixture(autouse=True)
def _past(monkeypatch):
    from pipeline.service import publish

    monkeypatch.setattr(publish, "today", lambda: D(2026, 12, 31))


def doc_text(path) -> str:
    doc = Document(path)
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


@pytest.fixture
def month(tmp_path):
    """区财政局 (F1) never answers; 区住建局 (H1) reports done after its 督办通知单. Both due 11-04."""
    ws = make_workspace(tmp_path / "ws", TOML)
    write_default_templates(ws.templates)
    drop_file(ws, "区财政局", "a.xlsx", [data_row(1, problem="政府采购项目验收不及时", deadline="2026-11-04", owner="李明")],
         D(2026, 10, 30))
    drop_file(ws, "区住房城乡建设局", "b.xlsx", [data_row(1, problem="老旧小区改造滞后", deadline="2026-11-04",
                                                  lead_unit="区住房城乡建设局")], D(2026, 10, 30))
    weeks = {D(2026, 11, 2): run_weekly(ws, D(2026, 11, 2), workers=1),
             D(2026, 11, 9): run_weekly(ws, D(2026, 11, 9), workers=1)}
    drop_file(ws, "区住房城乡建设局", "c.xlsx", [data_row(1, item_id="2026-0002", problem="老旧小区改造滞后",
                                                  deadline="2026-11-04", lead_unit="区住房城乡建设局", status="已完成",
                                                  done_on="2026-11-10", progress="已全部完成")], D(2026, 11, 10))
    for day in (D(2026, 11, 16), D(2026, 11, 23), D(2026, 11, 30)):
        weeks[day] = run_weekly(ws, day, workers=1)
    return ws, weeks


def names(result) -> set[str]:
    outbox = result.ledger.parent.parent  # the ledger workbook is in outbox/<week>/ (issue 19)
    return {p.relative_to(outbox).as_posix() for p in (*result.notices, *result.ladder)}


def test_the_ladder_climbs_for_a_silent_unit_and_stops_at_the_notice_for_one_that_answers(month):
    ws, weeks = month
    assert names(weeks[D(2026, 11, 2)]) == {"区财政局/2026-W45_临期提醒单.docx", "区住房城乡建设局/2026-W45_临期提醒单.docx"}
    assert names(weeks[D(2026, 11, 9)]) == {"区财政局/2026-W46_督办通知单.docx", "区住房城乡建设局/2026-W46_督办通知单.docx"}
    assert names(weeks[D(2026, 11, 16)]) == {"区财政局/2026-W47_督办通知单.docx", "区财政局/2026-W47_督办告诫单.docx"}
    assert names(weeks[D(2026, 11, 23)]) == {"区财政局/2026-W48_督办通知单.docx"}
    assert names(weeks[D(2026, 11, 30)]) == {"区财政局/2026-W49_督办通知单.docx", "2026-W49/2026-W49_问责建议清单.docx"}

    reminder = doc_text(ws.unit_outbox("区财政局") / "2026-W45_临期提醒单.docx")
    assert "提醒〔2026〕1号" in reminder and "将在3个工作日内到期" in reminder and "政府采购项目验收不及时" in reminder
    warning = doc_text(ws.unit_outbox("区财政局") / "2026-W47_督办告诫单.docx")
    assert "告诫〔2026〕1号" in warning and "督办〔2026〕1号逾期未回复" in warning
    assert "签收回执" in warning and "加盖单位公章" in warning and "抄送：张副区长。" in warning
    account = doc_text(ws.outbox / "2026-W49" / "2026-W49_问责建议清单.docx")
    assert "问责〔2026〕1号" in account and "区人民政府：" in account
    assert "张副区长" in account and "李明" in account  # 责任领导 (the unit's, until items carry one) and 责任人
    assert "督办〔2026〕1号（11月9日，未回复）" in account and "告诫〔2026〕1号（11月16日，未回复）" in account
    assert "问责建议清单：1 项" in weeks[D(2026, 11, 30)].summary_text


def test_notices_lists_every_step_with_its_level_and_whether_it_was_answered(month, capsys):
    from pipeline.cli import main

    ws, _ = month
    capsys.readouterr()
    assert main(["-C", str(ws.root), "notices", "--json", "--as-of", "2026-11-30"]) == 0
    import json

    found = json.loads(capsys.readouterr().out)
    by = {(n["unit"], n["level"], n["on"]): n for n in found}
    assert by[("区财政局", "提醒", "2026-11-02")]["answered"] is None  # a reminder owes no answer
    first = by[("区财政局", "督办", "2026-11-09")]
    assert (first["number"], first["items"], first["reply_by"], first["answered"]) == (
        "督办〔2026〕1号", ["2026-0001"], "2026-11-12", False)
    answered = by[("区住房城乡建设局", "督办", "2026-11-09")]
    assert (answered["answered"], answered["answered_on"]) == (True, "2026-11-10")
    assert by[("区财政局", "告诫", "2026-11-16")]["answered"] is False
    assert by[("区财政局", "督办", "2026-11-30")]["answered"] is None  # its reply date has not come
    assert by[("区财政局", "问责", "2026-11-30")]["items"] == ["2026-0001"]
    assert not [n for n in found if n["unit"] == "区住房城乡建设局" and n["level"] in ("告诫", "问责")]
    with Ledger.open(ws.db_path) as ledger:
        levels = [e.data.get("level") for e in ledger.events("2026-0001") if e.kind == "notice"]
    assert levels == ["提醒", "督办", "告诫", "督办", "督办", "问责", "督办"]  # week by week
    assert main(["-C", str(ws.root), "notices", "--as-of", "2026-11-10"]) == 0
    assert "已回复" in capsys.readouterr().out


def test_each_week_has_its_text_messages_for_the_sms_platform(month):
    _, weeks = month
    sms = weeks[D(2026, 11, 16)].sms
    assert sms is not None and sms.name == "2026-W47_待发短信.csv"
    rows = list(csv.reader(io.StringIO(sms.read_bytes().decode("utf-8-sig"))))
    assert rows[0] == ["单位", "联系人", "联系电话", "文书", "编号", "短信内容"]
    assert [r[:5] for r in rows[1:]] == [["区财政局", "王芳", "13800000001", "督办告诫单", "告诫〔2026〕1号"],
                                         ["区财政局", "王芳", "13800000001", "督办通知单", "督办〔2026〕3号"]]
    assert all(len(r[5]) <= 70 for r in rows[1:]) and "11月19日前书面回复" in rows[1][5]
    later = weeks[D(2026, 11, 23)].sms
    assert later is not None and later.name == "2026-W48_待发短信.csv"


def test_running_a_week_again_records_no_step_twice(month):
    ws, _ = month
    with Ledger.open(ws.db_path) as ledger:
        before = len([e for e in ledger.events("2026-0001") if e.kind == "notice"])
    again = run_weekly(ws, D(2026, 11, 30), workers=1)
    assert "2026-W49/2026-W49_问责建议清单.docx" in names(again)
    with Ledger.open(ws.db_path) as ledger:
        assert len([e for e in ledger.events("2026-0001") if e.kind == "notice"]) == before


def test_show_names_each_step_of_the_ladder(month, capsys):
    from pipeline.cli import main

    ws, _ = month
    capsys.readouterr()
    assert main(["-C", str(ws.root), "show", "2026-0001", "--as-of", "2026-11-30"]) == 0
    out = capsys.readouterr().out
    assert "（提醒：提醒〔2026〕1号）" in out and "（告诫：告诫〔2026〕1号）" in out and "（问责：问责〔2026〕1号）" in out


def test_a_new_deadline_starts_the_ladder_again(tmp_path, capsys):
    """区财政局 (F1) is warned, then gets an extension (late); 区住建局 (H1) answered, finished and
    is reopened. Neither is escalated on the old notices: both are reminded before the new
    deadline, get a 督办通知单 when red again, and a 告诫单 only when that one goes unanswered."""
    import json

    from pipeline.cli import main

    ws = make_workspace(tmp_path / "ws", TOML)
    write_default_templates(ws.templates)
    drop_file(ws, "区财政局", "a.xlsx", [data_row(1, problem="政府采购项目验收不及时", deadline="2026-11-04")],
              D(2026, 10, 30))
    drop_file(ws, "区住房城乡建设局", "b.xlsx", [data_row(1, problem="老旧小区改造滞后", deadline="2026-11-04",
                                                  lead_unit="区住房城乡建设局")], D(2026, 10, 30))
    run_weekly(ws, D(2026, 11, 9), workers=1)
    drop_file(ws, "区住房城乡建设局", "c.xlsx", [data_row(1, item_id="2026-0002", problem="老旧小区改造滞后",
                                                  deadline="2026-11-04", lead_unit="区住房城乡建设局", status="已完成",
                                                  done_on="2026-11-10", progress="已全部完成")], D(2026, 11, 10))
    assert names(run_weekly(ws, D(2026, 11, 16), workers=1)) == {"区财政局/2026-W47_督办通知单.docx",
                                                                 "区财政局/2026-W47_督办告诫单.docx"}
    root = str(ws.root)
    assert main(["-C", root, "extend", "2026-0001", "--to", "2026-11-25", "--note", "区政府批准",
                 "--on", "2026-11-17", "--late", "--yes"]) == 0
    assert main(["-C", root, "reopen", "2026-0002", "--to", "2026-11-25", "--note", "回访发现问题反弹",
                 "--on", "2026-11-17", "--yes"]) == 0
    # before the new deadline: a reminder, as for any item — nothing of the old ladder
    assert names(run_weekly(ws, D(2026, 11, 23), workers=1)) == {"区财政局/2026-W48_临期提醒单.docx",
                                                                 "区住房城乡建设局/2026-W48_临期提醒单.docx"}
    # red again: the ladder starts at 督办 (not 问责 for F1, warned on the old deadline; not 告诫 for H1)
    assert names(run_weekly(ws, D(2026, 11, 30), workers=1)) == {"区财政局/2026-W49_督办通知单.docx",
                                                                 "区住房城乡建设局/2026-W49_督办通知单.docx"}
    # that notice unanswered by its reply date: 告诫 again, citing the new ladder's notice
    assert names(run_weekly(ws, D(2026, 12, 7), workers=1)) == {
        "区财政局/2026-W50_督办通知单.docx", "区财政局/2026-W50_督办告诫单.docx",
        "区住房城乡建设局/2026-W50_督办通知单.docx", "区住房城乡建设局/2026-W50_督办告诫单.docx"}
    capsys.readouterr()
    assert main(["-C", root, "notices", "--json", "--as-of", "2026-12-07"]) == 0
    found = json.loads(capsys.readouterr().out)
    by = {(n["unit"], n["level"], n["on"]): n for n in found}
    assert by[("区财政局", "告诫", "2026-11-16")]["answered"] is False  # the old ladder stays listed
    again = by[("区财政局", "督办", "2026-11-30")]
    warning = doc_text(ws.unit_outbox("区财政局") / "2026-W50_督办告诫单.docx")
    assert f"{again['number']}逾期未回复" in warning and "督办〔2026〕1号逾期未回复" not in warning
    assert not [n for n in found if n["level"] == "问责"]


def test_an_ongoing_item_steps_up_only_when_a_further_monthly_report_is_missed(tmp_path, capsys, monkeypatch):
    """Two 长期坚持 items owe a report by each month's 5th working day (11-06, 12-07, 2027-01-08).
    区民政局 never reports: 督办 for November's, 告诫 when December's is missed too, 问责 at January's.
    区财政局 reports a few days late each month, answering its 督办通知单: a 督办 each month, never more."""
    import json

    from pipeline.cli import main
    from pipeline.service import publish

    monkeypatch.setattr(publish, "today", lambda: D(2027, 1, 31))
    ws = make_workspace(tmp_path / "ws", TOML)
    write_default_templates(ws.templates)
    drop_file(ws, "区民政局", "a.xlsx", [data_row(1, problem="养老机构消防检查", deadline="长期坚持", status="长期坚持",
                                              lead_unit="区民政局")], D(2026, 10, 30))
    drop_file(ws, "区财政局", "b.xlsx", [data_row(1, problem="预算执行常态化监督", deadline="长期坚持", status="长期坚持")],
              D(2026, 10, 30))

    def report(day):
        drop_file(ws, "区财政局", f"r{day.isoformat()}.xlsx", [data_row(1, item_id="2026-0002", problem="预算执行常态化监督",
                                                                   deadline="长期坚持", status="长期坚持",
                                                                   progress=f"{day.month}月已开展监督")], day)

    assert names(run_weekly(ws, D(2026, 11, 9), workers=1)) == {"区民政局/2026-W46_督办通知单.docx",
                                                                "区财政局/2026-W46_督办通知单.docx"}
    report(D(2026, 11, 10))
    # 区民政局's notice went unanswered, but no further report was due yet: no 告诫 for that
    assert names(run_weekly(ws, D(2026, 11, 16), workers=1)) == {"区民政局/2026-W47_督办通知单.docx"}
    # December's report missed too: 区民政局 is warned; 区财政局 (it answered in November) starts at 督办
    assert names(run_weekly(ws, D(2026, 12, 7), workers=1)) == {
        "区民政局/2026-W50_督办通知单.docx", "区民政局/2026-W50_督办告诫单.docx", "区财政局/2026-W50_督办通知单.docx"}
    report(D(2026, 12, 9))
    assert names(run_weekly(ws, D(2026, 12, 14), workers=1)) == {"区民政局/2026-W51_督办通知单.docx"}
    # January's missed as well: 区民政局 goes on the 问责建议清单; 区财政局 again a 督办 only
    assert names(run_weekly(ws, D(2027, 1, 11), workers=1)) == {
        "区民政局/2027-W02_督办通知单.docx", "2027-W02/2027-W02_问责建议清单.docx", "区财政局/2027-W02_督办通知单.docx"}
    capsys.readouterr()
    assert main(["-C", str(ws.root), "notices", "--json", "--as-of", "2027-01-11"]) == 0
    found = json.loads(capsys.readouterr().out)
    fin = [(n["level"], n["on"], n["answered"]) for n in found if n["unit"] == "区财政局"]
    assert fin == [("督办", "2026-11-09", True), ("督办", "2026-12-07", True), ("督办", "2027-01-11", None)]
    civ = [(n["level"], n["on"]) for n in found if "2026-0001" in n["items"] and n["level"] != "督办"]
    assert civ == [("告诫", "2026-12-07"), ("问责", "2027-01-11")]


def _notices_out(ws, capsys) -> str:
    from pipeline.cli import main

    capsys.readouterr()
    assert main(["-C", str(ws.root), "notices", "--as-of", "2026-12-31"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("count", [5, 205])
def test_notices_lists_every_notice_as_a_table_or_over_200_a_line_each(tmp_path, capsys, count):
    """Issue 18 pins that `sancha notices` lists every notice; a city's 3,500 drawn as one table
    took seconds (issue 20), so over TABLE_ROWS they are lines with the same columns."""
    from pipeline.cli.ladder import COLUMNS, TABLE_ROWS

    ws = make_workspace(tmp_path, TOML)
    drop_file(ws, "区财政局", "财政局.xlsx", [data_row(1, deadline="2026-10-15")], D(2026, 10, 1))
    with Ledger.open(ws.db_path) as ledger:
        for n in range(count):
            day = D(2026, 10, 16) + timedelta(days=n % 60)
            ledger.record_notices([("2026-0001", f"督办{n + 1}.docx", f"督办〔2026〕{n + 1}号")], day, f"W{n}",
                                  reply_by=day)
    out = _notices_out(ws, capsys)
    assert f"督办文书（共 {count} 份）" in out
    if count <= TABLE_ROWS:
        assert out.count("│ 督办 ") == count  # one table row a document (its 级别 cell)
    else:
        lines = out.splitlines()
        assert lines[1] == "  ".join(COLUMNS)
        assert len(lines) == count + 2
        assert lines[2].split("  ")[:4] == ["督办〔2026〕1号", "区财政局", "督办", "2026-10-16"]
        assert all(f"督办〔2026〕{n + 1}号" in out for n in range(count))


def test_notices_kept_for_a_day_follow_a_new_notice_and_a_report(tmp_path, capsys):
    """`sancha notices` is kept in the ledger for the day (issue 20: a city's 27,000 notice events and
    their reports read at every call); a notice recorded or a report received by that day shows
    at once."""
    import json

    from pipeline.cli import main

    ws = make_workspace(tmp_path, TOML)
    drop_file(ws, "区财政局", "财政局.xlsx", [data_row(1, deadline="2026-10-15")], D(2026, 10, 1))
    with Ledger.open(ws.db_path) as ledger:
        ledger.record_notices([("2026-0001", "督办.docx", "督办〔2026〕1号")], D(2026, 10, 16), "2026-W42",
                              reply_by=D(2026, 10, 23))

    def listed() -> list[dict]:
        capsys.readouterr()
        assert main(["-C", str(ws.root), "notices", "--json", "--as-of", "2026-10-30"]) == 0
        return json.loads(capsys.readouterr().out)

    first = listed()
    assert [(n["number"], n["answered"]) for n in first] == [("督办〔2026〕1号", False)]
    assert listed() == first  # kept: the same
    with Ledger.open(ws.db_path) as ledger:
        ledger.record_notices([("2026-0001", "督办2.docx", "督办〔2026〕2号")], D(2026, 10, 23), "2026-W43",
                              reply_by=D(2026, 10, 30))
    assert [n["number"] for n in listed()] == ["督办〔2026〕1号", "督办〔2026〕2号"]
    drop_file(ws, "区财政局", "财政局2.xlsx", [data_row(1, deadline="2026-10-15", progress="已完成一半")],
              D(2026, 10, 27))
    assert [(n["number"], n["answered"]) for n in listed()] == [("督办〔2026〕1号", False), ("督办〔2026〕2号", True)]
