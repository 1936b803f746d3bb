"""The evaluation over a quarter: every point a line with its item, day, rule and the event or
document that recorded it; the lines add up to the score; scoring the quarter again after
more has happened gives the same JSON; `sancha score` writes the 考核得分表 and 考核结果通报."""

from __future__ import annotations

import json
from datetime import date

import openpyxl
import pytest
from builders import data_row, drop_file, make_workspace, sancha_toml
from docx import Document

from pipeline.cli import main
from pipeline.output.documents.templates import write_default_templates
from pipeline.service.weekly import run_weekly

D = date
TOML = sancha_toml().replace('name = "区财政局"\n', 'name = "区财政局"\nleader = "张副区长"\n')
FIN, HOU, LH, AUD, CIV = "区财政局", "区住房城乡建设局", "菱湖街道", "区审计局", "区民政局"


@pytest.fixture(autouse=True)
def _past(monkeypatch):
    from pipeline.service import publish

    monkeypatch.setattr(publish, "today", lambda: D(2027, 3, 31))


@pytest.fixture
def quarter(tmp_path):
    """区财政局 silent (deadline 11-04); 区住建局 done a day after its report was due; 菱湖街道 done
    early; 区审计局 需上级协调 before its deadline; 区民政局's ongoing item never reports."""
    ws = make_workspace(tmp_path / "ws", TOML)
    write_default_templates(ws.templates)
    drop_file(ws, FIN, "a.xlsx", [data_row(1, problem="政府采购项目验收不及时", deadline="2026-11-04", owner="李明")],
              D(2026, 10, 30))
    drop_file(ws, HOU, "b.xlsx", [data_row(1, problem="老旧小区改造滞后", deadline="2026-11-04", lead_unit=HOU,
                                           co_units=LH)], D(2026, 10, 30))
    drop_file(ws, LH, "c.xlsx", [data_row(1, problem="背街小巷整治不彻底", deadline="2026-11-20", lead_unit=LH)],
              D(2026, 10, 30))
    drop_file(ws, AUD, "d.xlsx", [data_row(1, problem="审计整改台账不全", deadline="2026-11-06", lead_unit=AUD)],
              D(2026, 10, 30))
    drop_file(ws, CIV, "e.xlsx", [data_row(1, problem="养老机构消防检查", deadline="长期坚持", status="长期坚持",
                                           lead_unit=CIV)], D(2026, 10, 30))
    drop_file(ws, AUD, "d2.xlsx", [data_row(1, item_id="2026-0004", problem="审计整改台账不全", deadline="2026-11-06",
                                            lead_unit=AUD, status="需上级协调", progress="涉及市级系统权限，已请示")],
              D(2026, 11, 5))
    run_weekly(ws, D(2026, 11, 2), workers=1)
    run_weekly(ws, D(2026, 11, 9), workers=1)
    drop_file(ws, HOU, "b2.xlsx", [data_row(1, item_id="2026-0002", problem="老旧小区改造滞后", deadline="2026-11-04",
                                            lead_unit=HOU, status="已完成", done_on="2026-11-10")], D(2026, 11, 10))
    drop_file(ws, LH, "c2.xlsx", [data_row(1, item_id="2026-0003", problem="背街小巷整治不彻底", deadline="2026-11-20",
                                           lead_unit=LH, status="已完成", done_on="2026-11-18")], D(2026, 11, 18))
    for day in (D(2026, 11, 16), D(2026, 11, 23), D(2026, 11, 30)):
        run_weekly(ws, day, workers=1)
    return ws


def score_json(ws, *args) -> dict:
    import io
    from contextlib import redirect_stdout

    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["-C", str(ws.root), "score", "--year", "2026", "--quarter", "4", "--json", *args]) == 0
    return json.loads(buf.getvalue())


def rules(unit: dict) -> list[tuple]:
    return [(line["item"], line["on"], line["rule"], line["points"]) for line in unit["lines"]]


def test_every_point_is_a_line_with_its_event_and_the_lines_add_up(quarter):
    card = score_json(quarter)
    assert card["period"] == {"from": "2026-10-01", "to": "2026-12-31"}
    units = {u["unit"]: u for u in card["units"]}
    for u in card["units"]:
        assert u["score"] == card["base"] + sum(line["points"] for line in u["lines"])
    fin = rules(units[FIN])
    assert ("2026-0001", "2026-11-09", "overdue", -1) in fin  # still open on its report_due day
    assert ("2026-0001", "2026-11-10", "report_missing", -2) in fin  # and no report, ever
    assert (None, "2026-11-13", "notice_unanswered", -1) in fin  # 督办〔2026〕1号, reply by 11-12
    assert (None, "2026-11-16", "warning", -2) in fin
    assert ("2026-0001", "2026-11-30", "accountability", -5) in fin
    assert [r for r in fin if r[2] == "criticised"] == [(None, d, "criticised", -2)
                                                       for d in ("2026-11-16", "2026-11-23", "2026-11-30")]
    first = next(line for line in units[FIN]["lines"] if line["rule"] == "notice_unanswered")
    assert first["ref"] == "督办〔2026〕1号" and isinstance(first["event"], int)
    missing = next(line for line in units[FIN]["lines"] if line["rule"] == "report_missing")
    assert missing["ref"].startswith("事件#") and "登记" in missing["ref"]  # the event that set the deadline
    hou = rules(units[HOU])
    assert ("2026-0002", "2026-11-09", "overdue", -1) in hou and ("2026-0002", "2026-11-10", "report_late", -1) in hou
    assert not [r for r in hou if r[2] in ("warning", "accountability", "report_missing")]
    lh = rules(units[LH])
    assert ("2026-0003", "2026-11-18", "done_on_time", 1) in lh
    assert ("2026-0002", "2026-11-09", "overdue", -0.5) in lh  # its share as 配合责任单位
    assert (None, "2026-11-23", "commended", 2) in lh
    assert units[AUD]["lines"] == [] and units[AUD]["score"] == 100  # 待上级协调: nothing counts against it
    civ = rules(units[CIV])  # its ongoing item owes a report each month and never sends one
    assert [r[1:] for r in civ if r[2] == "report_missing"] == [("2026-11-06", "report_missing", -2),
                                                                ("2026-12-07", "report_missing", -2)]
    assert (None, "2026-11-09", "criticised", -2) in civ  # with every consequence of a missing report
    assert not [r for r in civ if r[2] in ("warning", "accountability")]  # one missed report after its 督办
    ranks = [(u["unit"], u["rank"]) for u in card["units"]]
    assert ranks[0] == (LH, 1) and [u for u, _ in ranks[-3:]] == [HOU, CIV, FIN]
    assert units[LH]["score"] == 104.5  # done on time, commended twice, half an overdue as co-unit


def test_scoring_the_quarter_again_later_gives_the_same_result(quarter):
    before = score_json(quarter)
    drop_file(quarter, FIN, "late.xlsx", [data_row(1, item_id="2026-0001", problem="政府采购项目验收不及时",
                                                   deadline="2026-11-04", status="已完成", done_on="2027-01-05")],
              D(2027, 1, 6))
    run_weekly(quarter, D(2027, 1, 11), workers=1)
    assert score_json(quarter) == before


def test_a_cap_gives_back_what_exceeds_the_most_a_unit_may_lose(quarter):
    toml = quarter.config_path.read_text(encoding="utf-8") + "\n[scoring]\nmax_deduction = 10\n"
    quarter.config_path.write_text(toml, encoding="utf-8")
    fin = next(u for u in score_json(quarter)["units"] if u["unit"] == FIN)
    cap = [line for line in fin["lines"] if line["rule"] == "cap"]
    assert len(cap) == 1 and cap[0]["on"] == "2026-12-31" and fin["score"] == 90
    assert fin["score"] == 100 + sum(line["points"] for line in fin["lines"])


def test_the_score_command_writes_the_sheet_and_the_circular(quarter, capsys):
    capsys.readouterr()
    assert main(["-C", str(quarter.root), "score", "--year", "2026", "--quarter", "4"]) == 0
    out = capsys.readouterr().out
    sheet = quarter.outbox / "2026年第4季度“三查三单”考核得分表.xlsx"
    circular = quarter.outbox / "2026年第4季度“三查三单”考核结果通报.docx"
    assert sheet.exists() and "考核得分表" in out and "菱湖街道" in out
    wb = openpyxl.load_workbook(sheet)
    summary = [list(r) for r in wb["汇总"].iter_rows(values_only=True)]
    assert summary[0][:4] == ["排名", "单位", "得分", "按期完成"]
    assert summary[1][:3] == [1, LH, 104.5]
    detail = [list(r) for r in wb["明细"].iter_rows(values_only=True)]
    card = score_json(quarter)
    assert len(detail) - 1 == sum(len(u["lines"]) for u in card["units"])
    assert [detail[i][c] for i in range(1, len(detail)) if detail[i][3] == "督办告诫"
                                    for c in (0, 1, 3)][:3] == [FIN, None, "督办告诫"]
    doc = Document(circular)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "2026年第4季度" in text and "观政办〔2026〕" in text
    assert "菱湖街道得分位居前列，予以通报表扬" in text
    assert "区财政局（" in text and "责任领导：张副区长，责任人：李明" in text
    ranking = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    assert ranking[1][:3] == ["1", LH, "104.5"]


def test_a_quarter_s_circular_is_numbered_in_the_weekly_series_with_the_quarter_s_figures(quarter, capsys):
    capsys.readouterr()
    assert main(["-C", str(quarter.root), "circular", "--quarter", "2026-Q4"]) == 0
    out = capsys.readouterr().out
    assert "观政办〔2026〕6号" in out  # the five weekly circulars took 1–5
    path = quarter.outbox / "2026年第4季度_督查通报（观政办〔2026〕6号）.docx"
    text = "\n".join(p.text for p in Document(path).paragraphs)
    assert "关于2026年第4季度“三查三单”整改落实情况的通报" in text.replace("\n", "") and "2026年第6期" in text
    assert "截至2026年12月31日" in text
    assert "2026年第4季度，新登记整改问题5个，办结2个（其中按期办结1个）" in text
    # 区财政局 climbed the whole ladder; 区民政局's silent ongoing item only got 督办通知单: its next
    # monthly report (due 12-07) was not missed yet by the last weekly batch (11-30)
    assert "发出临期提醒单2份、督办通知单9份、督办告诫单1份，1个问题列入问责建议清单" in text
    assert "另有1个整改问题超出单位职责、需上级协调解决（区审计局）" in text
    assert main(["-C", str(quarter.root), "circular", "--quarter", "2026-Q4"]) == 0  # again: the same number
    assert "观政办〔2026〕6号" in capsys.readouterr().out
    assert main(["-C", str(quarter.root), "circular", "--month", "2026-11"]) == 0
    month = quarter.outbox / "2026年11月_督查通报（观政办〔2026〕7号）.docx"
    assert "2026年11月，新登记整改问题0个，办结2个" in "\n".join(p.text for p in Document(month).paragraphs)
    assert main(["-C", str(quarter.root), "circular", "--month", "2026-13"]) == 2


def test_the_leaders_list_names_what_waits_for_the_higher_level_and_the_circular_never_criticises_it(quarter):
    listed = quarter.outbox / "2026-W49" / "2026-W49_需上级协调事项清单.docx"
    doc = Document(listed)
    text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    assert "区人民政府：" in text and "1个单位的1个整改问题超出本单位职责" in text
    assert AUD in text and "审计整改台账不全" in text and "涉及市级系统权限，已请示" in text and "待上报" in text
    circular = "\n".join(p.text for p in Document(quarter.week_outbox("2026-W49") / "2026-W49_督查通报（观政办〔2026〕5号）.docx").paragraphs)
    assert "需上级协调解决（区审计局）" in circular
    criticised = circular[circular.index("（二）通报批评"):circular.index("另有1个整改问题")]
    assert AUD not in criticised and FIN in criticised and "责任人：李明" in criticised


def test_a_problem_list_item_without_measures_in_time_loses_a_point():
    from builders import make_config, make_item

    from pipeline.deadlines.scoring import Period, score
    from pipeline.ledger.timeline import Event, register_data

    def registered(item_id, day):
        item = make_item(item_id, FIN, None, None, ongoing=False, deadline_text="", created_on=day)
        values = {f: getattr(item, f) for f in item.__slots__}
        return Event(item_id, "register", day, "2026-11-02T09:00:00", data=register_data(values), id=1)

    late = registered("2026-0001", D(2026, 11, 2))  # measures due 11-09, never sent
    sent = registered("2026-0002", D(2026, 11, 2))
    measures = Event("2026-0002", "measures", D(2026, 11, 6), "2026-11-06T09:00:00", field="deadline",
                     new=D(2026, 12, 31), data={"deadline_text": "2026年12月31日"}, id=2)
    card = score(make_config(), {"2026-0001": [late], "2026-0002": [sent, measures]}, [], Period.of(2026, 4))
    fin = next(u for u in card.units if u.unit == FIN)
    assert [(line.item, line.on, line.rule, line.points) for line in fin.lines] == [
        ("2026-0001", D(2026, 11, 10), "measures_missing", -1.0)]


@pytest.fixture
def year(tmp_path, monkeypatch):
    """A year's life across quarters: 区财政局's report missing in September, made up in October;
    区住建局's item overdue in September, its report missing from October 1 and then voided;
    区民政局's ongoing item silent in September, reporting in mid-October; a weekly batch in
    late September whose 督办通知单 is due to be answered in October."""
    monkeypatch.setattr(__import__("pipeline.service.publish", fromlist=["today"]), "today", lambda: D(2027, 3, 31))
    ws = make_workspace(tmp_path / "ws", TOML)
    write_default_templates(ws.templates)
    drop_file(ws, FIN, "a.xlsx", [data_row(1, problem="政府采购项目验收不及时", deadline="2026-09-15", owner="李明")],
              D(2026, 8, 3))
    drop_file(ws, HOU, "b.xlsx", [data_row(1, problem="老旧小区改造滞后", deadline="2026-09-25", lead_unit=HOU,
                                           co_units=LH)], D(2026, 8, 3))
    drop_file(ws, CIV, "c.xlsx", [data_row(1, problem="养老机构消防检查", deadline="长期坚持", status="长期坚持",
                                           lead_unit=CIV)], D(2026, 8, 3))
    run_weekly(ws, D(2026, 9, 28), workers=1)
    drop_file(ws, FIN, "a2.xlsx", [data_row(1, item_id="2026-0001", problem="政府采购项目验收不及时",
                                            deadline="2026-09-15", status="已完成", done_on="2026-10-12")],
              D(2026, 10, 12))
    drop_file(ws, CIV, "c2.xlsx", [data_row(1, item_id="2026-0003", problem="养老机构消防检查", deadline="长期坚持",
                                            status="长期坚持", lead_unit=CIV, progress="已完成10月检查")],
              D(2026, 10, 15))
    assert main(["-C", str(ws.root), "void", "2026-0002", "--note", "重复登记", "--on", "2026-10-20", "--yes"]) == 0
    return ws


def period_json(ws, *args) -> dict:
    import io
    from contextlib import redirect_stdout

    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["-C", str(ws.root), "score", "--year", "2026", "--json", *args]) == 0
    return json.loads(buf.getvalue())


def test_the_year_is_its_four_quarters_line_by_line(year):
    whole = period_json(year)
    quarters = [period_json(year, "--quarter", str(q)) for q in (1, 2, 3, 4)]
    base = whole["base"]

    def lines(card: dict) -> dict[str, list[str]]:
        return {u["unit"]: sorted(json.dumps(line, sort_keys=True, ensure_ascii=False) for line in u["lines"]
                                  if line["rule"] != "cap") for u in card["units"]}

    by_year = lines(whole)
    by_quarter = [lines(q) for q in quarters]
    for n, card in enumerate(quarters):  # every quarter's line lies in that quarter
        first, last = card["period"]["from"], card["period"]["to"]
        assert all(first <= line["on"] <= last for u in card["units"] for line in u["lines"]), n + 1
    for unit, year_lines in by_year.items():  # the year's lines are the quarters' lines, each once
        assert year_lines == sorted(x for q in by_quarter for x in q.get(unit, [])), unit
    for u in whole["units"]:  # and the year's score the base plus all of them (no cap reached)
        assert u["score"] == base + sum(x["points"] for q in quarters for v in q["units"] if v["unit"] == u["unit"]
                                        for x in v["lines"]), u["unit"]
        assert u["before_cap"] == u["score"]
    fin = [(x["item"], x["on"], x["rule"], x["points"]) for x in next(u for u in whole["units"]
                                                                      if u["unit"] == FIN)["lines"]]
    assert ("2026-0001", "2026-09-19", "report_missing", -2) in fin  # the day after its report_due (09-18)
    assert ("2026-0001", "2026-10-12", "report_made_up", 1) in fin  # made up: it costs what a late one does
    hou = [(x["on"], x["rule"]) for x in next(u for u in whole["units"] if u["unit"] == HOU)["lines"]]
    assert ("2026-09-30", "overdue") in hou and ("2026-10-01", "report_missing") in hou  # before it was voided
    assert not [d for d, _ in hou if d >= "2026-10-20"]
    civ = [(x["on"], x["rule"]) for x in next(u for u in whole["units"] if u["unit"] == CIV)["lines"]]
    assert ("2026-09-07", "report_missing") in civ and ("2026-10-15", "report_made_up") in civ


def test_caps_are_of_the_period_scored_and_say_so(year):
    toml = year.config_path.read_text(encoding="utf-8") + "\n[scoring]\nmax_deduction = 3\n"
    year.config_path.write_text(toml, encoding="utf-8")
    whole = period_json(year)
    fin = next(u for u in whole["units"] if u["unit"] == FIN)
    cap = [line for line in fin["lines"] if line["rule"] == "cap"]
    assert len(cap) == 1 and cap[0]["on"] == "2026-12-31"
    lost = -sum(line["points"] for line in fin["lines"] if line["rule"] not in ("cap", "done_on_time", "commended"))
    assert cap[0]["ref"] == f"2026年度扣分共{lost:g}分，超过上限3分，按3分计" and cap[0]["points"] == lost - 3
    assert fin["before_cap"] == 100 - lost and fin["score"] == 97 == 100 + sum(x["points"] for x in fin["lines"])
    for q in (3, 4):  # each quarter capped on its own lines
        unit = next(u for u in period_json(year, "--quarter", str(q))["units"] if u["unit"] == FIN)
        assert unit["score"] == max(unit["before_cap"], 97)


def test_a_circular_counts_as_it_was_printed_even_after_a_backdated_change(quarter):
    """Each circular records whom it commended and criticised; the score counts that (its 文号
    is the ref) rather than recomputing its standing — so an extension recorded later with an
    earlier --on does not undo a criticism already printed. A circular written before the
    record (verdict NULL) is recomputed as of its day."""
    from pipeline.ledger.ledger import Ledger

    with Ledger.open(quarter.db_path) as ledger:
        verdicts = [r[0] for r in ledger.conn.execute(
            "SELECT verdict FROM issued_documents WHERE kind = 'circular' ORDER BY as_of")]
    assert len(verdicts) == 5 and all(v is not None for v in verdicts)
    assert json.loads(verdicts[-1])["criticised"][:1] == [FIN]
    assert main(["-C", str(quarter.root), "extend", "2026-0001", "--to", "2026-12-31", "--note", "区政府批准",
                 "--on", "2026-11-02", "--yes"]) == 0
    fin = next(u for u in score_json(quarter)["units"] if u["unit"] == FIN)
    assert [line["on"] for line in fin["lines"] if line["rule"] == "criticised"] == ["2026-11-16", "2026-11-23",
                                                                                  "2026-11-30"]
    with Ledger.open(quarter.db_path) as ledger, ledger.transaction():
        ledger.conn.execute("UPDATE issued_documents SET verdict = NULL")  # as written before the record
    fin = next(u for u in score_json(quarter)["units"] if u["unit"] == FIN)
    assert not [line for line in fin["lines"] if line["rule"] == "criticised"]  # recomputed: not overdue then
