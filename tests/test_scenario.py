"""A quarter of a small district, week by week, as the office and its units would play it
(issue 16): files dropped in the inbox and ingested on their day, the office's commands on
theirs, the weekly batch every Monday. Each week's `status --json`, the 督办通知单's report
column and the circular's commended and criticised units are asserted; then every earlier week
is computed again at the end of the quarter and must give the same figures.

The cases, by item:
  F1 区财政局 政府采购项目验收不及时 (deadline 9-18): reported on its deadline day (推进中) —
     it counts; done 9-28 (late)
  F2 区财政局 非税收入缴库不及时 (10-30): a file with F2's 编号 and F3's problem is refused
     (mistyped 编号); reported on time later
  H1 区住建局 老旧小区改造项目推进缓慢 (9-30): done 9-29, closed 10-12; its week-38 反馈表 sent
     again on 10-13 brings no old value back (stale form); 回头看 反弹 on 11-2: reopened, deadline
     11-27
  L1 菱湖街道 背街小巷环境卫生整治不彻底 (9-25): no report until 10-13 — missing, criticised,
     then the late report clears it from its day
  L2 菱湖街道 网格员培训不到位 (10-23): reassigned to 区民政局 on 10-19
  A1 区审计局 审计整改台账不全 (10-16): extended on 10-12 (before its deadline) to 11-13
  D1 区发展改革委 重点项目前期工作滞后 (10-9): silent — missing, criticised — extended late on
     10-21 to 11-30; the unit renamed 区发展和改革委员会 on 11-3 (old name an alias) reports under
     the new name
  M1 区民政局 养老服务设施建设滞后 (11-27); M2, the same problem reworded (similar-problem),
     voided by the office on 9-22
"""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import openpyxl
import pytest
from builders import data_row, make_workspace, sancha_toml, submission_rows, xlsx_bytes
from docx import Document

from pipeline.cli import main

D = date
UNITS = [("区财政局", ["财政局"]), ("区住房城乡建设局", ["区住建局"]), ("菱湖街道", []), ("区审计局", []),
         ("区发展改革委", ["区发改委"]), ("区民政局", [])]
RENAMED = [(n, a) if n != "区发展改革委" else ("区发展和改革委员会", ["区发改委", "区发展改革委"]) for n, a in UNITS]
MONDAYS = [D(2026, 9, 7) + timedelta(weeks=k) for k in range(13)]  # 9-7 … 11-30


class Office:
    """The clerk at the command line (and the units dropping files)."""

    def __init__(self, ws, capsys, monkeypatch):
        self.ws, self.capsys = ws, capsys
        monkeypatch.setenv("LOGNAME", "clerk")
        monkeypatch.setenv("COLUMNS", "200")

    def run(self, *args, expect=0) -> str:
        self.capsys.readouterr()
        code = main(["-C", str(self.ws.root), *map(str, args)])
        out, err = self.capsys.readouterr()
        assert code == expect, (args, out, err)
        return out

    def drop(self, unit: str, name: str, rows: list, day: date, *, filled_on: date | None = None) -> dict:
        folder = self.ws.inbox / unit
        folder.mkdir(parents=True, exist_ok=True)
        filled = f"{filled_on or day:%Y年%-m月%-d日}"
        (folder / name).write_bytes(xlsx_bytes(submission_rows(*rows, unit=unit, report_date=filled)))
        return self.ingest(day)

    def ingest(self, day: date, expect: int = 0) -> dict:
        (f,) = json.loads(self.run("ingest", "--json", "--as-of", day, expect=expect))["files"]
        return f

    def status(self, day: date) -> dict:
        return json.loads(self.run("status", "--json", "--as-of", day))

    def weekly(self, day: date) -> dict:
        out = self.run("weekly", "--as-of", day)
        line = next(x for x in out.splitlines() if x.startswith("督查通报："))
        praised, blamed = line.split("表扬 ", 1)[1].split("；批评 ", 1)
        week = f"{day:%G-W%V}"
        notices = {}
        for path in sorted(self.ws.outbox.glob(f"*/{week}_督办通知单*.docx")):
            rows = [[c.text for c in r.cells] for r in Document(path).tables[0].rows][1:]
            notices[path.parent.name] = {r[0]: r[3] for r in rows}
        return {"commended": [] if praised == "无" else praised.split("、"),
                "criticised": [] if blamed == "无" else blamed.split("、"), "notices": notices}


def names(status: dict, key: str = "unit") -> list:
    return [u[key] for u in status["units"]]


def unit(status: dict, name: str) -> dict:
    return next(u for u in status["units"] if u["unit"] == name)


@pytest.fixture
def office(tmp_path, capsys, monkeypatch):
    ws = make_workspace(tmp_path / "ws", sancha_toml(UNITS))
    off = Office(ws, capsys, monkeypatch)
    off.run("templates")
    return off


def test_a_quarter_week_by_week_and_every_week_again_at_its_end(office):
    o = office
    weeks: dict[date, tuple[dict, dict]] = {}

    def monday(day: date) -> tuple[dict, dict]:
        weeks[day] = (o.status(day), o.weekly(day))
        return weeks[day]

    # -- 9-1: the units' lists --------------------------------------------------------------------
    o.drop("区财政局", "三单.xlsx", [
        data_row(1, problem="政府采购项目验收不及时", deadline="2026-09-18"),
        data_row(2, problem="非税收入缴库不及时", deadline="2026-10-30"),
        data_row(3, problem="预算执行进度偏慢", deadline="2026-11-20")], D(2026, 9, 1))
    o.drop("区住房城乡建设局", "三单.xlsx", [
        data_row(1, problem="老旧小区改造项目推进缓慢", deadline="2026-09-30", lead_unit="区住房城乡建设局"),
        data_row(2, problem="建筑工地扬尘管控措施落实不到位", deadline="2026-11-13", lead_unit="区住房城乡建设局")],
        D(2026, 9, 1))
    o.drop("菱湖街道", "三单.xlsx", [
        data_row(1, problem="背街小巷环境卫生整治不彻底", deadline="2026-09-25", lead_unit="菱湖街道"),
        data_row(2, problem="网格员培训不到位", deadline="2026-10-23", lead_unit="菱湖街道")], D(2026, 9, 1))
    o.drop("区审计局", "三单.xlsx", [
        data_row(1, problem="审计整改台账不全", deadline="2026-10-16", lead_unit="区审计局")], D(2026, 9, 1))
    o.drop("区发展改革委", "三单.xlsx", [
        data_row(1, problem="重点项目前期工作滞后", deadline="2026-10-09", lead_unit="区发展改革委")], D(2026, 9, 1))
    o.drop("区民政局", "三单.xlsx", [
        data_row(1, problem="养老服务设施建设滞后", deadline="2026-11-27", lead_unit="区民政局")], D(2026, 9, 1))
    ids = {"F1": "2026-0001", "F2": "2026-0002", "F3": "2026-0003", "H1": "2026-0004", "H2": "2026-0005",
           "L1": "2026-0006", "L2": "2026-0007", "A1": "2026-0008", "D1": "2026-0009", "M1": "2026-0010"}
    status, week = monday(MONDAYS[0])  # 9-7: nothing due, nothing done: every unit unranked
    assert all(u["rank"] is None for u in status["units"]) and status["commended"] == []
    assert week == {"commended": [], "criticised": [], "notices": {}}

    status, week = monday(MONDAYS[1])  # 9-14
    assert status["criticised"] == [] and week["notices"] == {}

    # 9-16: 区住建局 fills in its week-38 反馈表 (made 9-14) and sends it
    form = o.ws.unit_outbox("区住房城乡建设局") / "2026-W38_反馈表.xlsx"
    wb = openpyxl.load_workbook(form)
    sheet = wb["反馈表"]
    row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == ids["H1"])
    cols = {c.value: c.column for c in sheet[3] if c.value}
    sheet.cell(row, cols["整改进展"]).value = "已完成3个小区开工"
    week38 = io.BytesIO()
    wb.save(week38)
    (o.ws.inbox / "区住房城乡建设局" / "反馈表.xlsx").write_bytes(week38.getvalue())
    assert o.ingest(D(2026, 9, 16))["accepted"]

    # 9-18: 区财政局 reports F1 on its deadline day, still 推进中 (a 需上级协调 would pause it: test_escalate)
    f = o.drop("区财政局", "进展.xlsx", [data_row(1, item_id=ids["F1"], problem="政府采购项目验收不及时",
                                               deadline="2026-09-18", status="推进中",
                                               progress="涉及市级平台改造，正在调试")], D(2026, 9, 18))
    assert f["accepted"]

    # 9-21: 区民政局 sends the same problem reworded: a new item, with a warning naming M1
    f = o.drop("区民政局", "补报.xlsx", [data_row(1, problem="养老服务设施建设滞后的问题", deadline="2026-11-27",
                                               lead_unit="区民政局")], D(2026, 9, 21))
    assert f["accepted"] and f["added"] == ["2026-0011"]
    assert [(i["code"], ids["M1"] in i["message"]) for i in f["issues"]] == [("similar-problem", True)]
    status, week = monday(MONDAYS[2])  # 9-21: F1 is due (9-18), reported on its day: not missing
    assert unit(status, "区财政局")["report_missing"] == 0 and unit(status, "区财政局")["overdue"] == 1
    assert week["notices"] == {"区财政局": {ids["F1"]: "9月22日前\n已报送（9月18日）"}}
    assert unit(status, "区民政局")["items"] == 2

    # 9-22: the office voids the duplicate
    out = o.run("void", "2026-0011", "--note", "与2026-0010重复登记", "--on", "2026-09-22")
    assert "已作废" in out

    # 9-28: F1 done (late); 9-29: H1 done (on time)
    o.drop("区财政局", "进展2.xlsx", [data_row(1, item_id=ids["F1"], problem="政府采购项目验收不及时",
                                                deadline="2026-09-18", status="已完成", done_on="2026-09-28",
                                                progress="已全部验收")], D(2026, 9, 28))
    o.drop("区住房城乡建设局", "进展.xlsx", [data_row(1, item_id=ids["H1"], problem="老旧小区改造项目推进缓慢",
                                                      deadline="2026-09-30", lead_unit="区住房城乡建设局",
                                                      status="已完成", done_on="2026-09-29", progress="全部开工")],
           D(2026, 9, 29))
    status, week = monday(MONDAYS[3])  # 9-28 — before H1's report of 9-29
    assert unit(status, "区民政局")["items"] == 1  # the voided duplicate is out of every count
    assert unit(status, "区财政局")["done"] == 1 and unit(status, "区财政局")["done_on_time"] == 0
    assert week["notices"] == {"菱湖街道": {ids["L1"]: "待报送（9月30日前）"}}

    status, week = monday(MONDAYS[4])  # 10-5, in the National Day holiday
    assert unit(status, "菱湖街道")["report_missing"] == 1  # L1's report was due 9-30
    assert "菱湖街道" in names({"units": status["criticised"]})
    assert week["notices"]["菱湖街道"] == {ids["L1"]: "9月30日前\n逾期未报送"}

    # 10-12: the office closes H1, and extends A1 before its deadline (10-16)
    o.run("close", ids["H1"], "--note", "现场核实", "--on", "2026-10-12")
    out = o.run("extend", ids["A1"], "--to", "2026-11-13", "--note", "区政府批准", "--on", "2026-10-12")
    assert "整改时限：2026年10月16日 → 2026年11月13日" in out
    status, week = monday(MONDAYS[5])  # 10-12
    assert unit(status, "区发展改革委")["overdue"] == 1 and unit(status, "区发展改革委")["report_missing"] == 0
    assert unit(status, "区住房城乡建设局")["done"] == 1

    # 10-13: L1's late report; 区住建局's week-38 form sent again (stale); a mistyped 编号
    o.drop("菱湖街道", "进展.xlsx", [data_row(1, item_id=ids["L1"], problem="背街小巷环境卫生整治不彻底",
                                              deadline="2026-09-25", lead_unit="菱湖街道", progress="已清理8处")],
           D(2026, 10, 13))
    wb = openpyxl.load_workbook(io.BytesIO(week38.getvalue()))
    wb["反馈表"].cell(row, cols["整改进展"]).value = "已完成3个小区开工（再次报送）"
    again = io.BytesIO()
    wb.save(again)
    (o.ws.inbox / "区住房城乡建设局" / "反馈表（旧）.xlsx").write_bytes(again.getvalue())
    f = o.ingest(D(2026, 10, 13))
    assert f["accepted"] and {i["code"] for i in f["issues"]} == {"stale-value"}
    assert json.loads(o.run("show", ids["H1"], "--json", "--as-of", "2026-10-13"))["status"] == "已完成"
    (o.ws.inbox / "区财政局" / "错号.xlsx").write_bytes(xlsx_bytes(submission_rows(
        data_row(1, item_id=ids["F2"], problem="预算执行进度偏慢", deadline="2026-10-30", status="已完成",
                 done_on="2026-10-12"), report_date="2026年10月13日")))
    f = o.ingest(D(2026, 10, 13), expect=1)
    assert not f["accepted"] and [i["code"] for i in f["issues"]] == ["id-mismatch"]
    assert "非税收入缴库不及时" in f["issues"][0]["hint"]

    # 10-19: L2 moves to 区民政局
    o.run("reassign", ids["L2"], "--to", "区民政局", "--note", "职能调整", "--on", "2026-10-19")
    status, week = monday(MONDAYS[6])  # 10-19: D1's report was due 10-13
    assert unit(status, "菱湖街道")["report_missing"] == 0 and unit(status, "菱湖街道")["items"] == 1
    assert unit(status, "区民政局")["items"] == 2
    assert "区发展改革委" in [c["unit"] for c in status["criticised"]]
    assert week["notices"]["区发展改革委"] == {ids["D1"]: "10月13日前\n逾期未报送"}

    # 10-21: D1's extension, approved after its deadline: --late
    o.run("extend", ids["D1"], "--to", "2026-11-30", "--note", "区政府批准", "--on", "2026-10-21", expect=1)
    o.run("extend", ids["D1"], "--to", "2026-11-30", "--note", "区政府批准", "--on", "2026-10-21", "--late")
    # 10-30: F2 reported done on its deadline day
    o.drop("区财政局", "进展3.xlsx", [data_row(2, item_id=ids["F2"], problem="非税收入缴库不及时",
                                                deadline="2026-10-30", status="已完成", done_on="2026-10-30")],
           D(2026, 10, 30))
    status, week = monday(MONDAYS[7])  # 10-26
    assert "区发展改革委" not in [c["unit"] for c in status["criticised"]]
    assert "区发展改革委" not in week["notices"]

    # 11-2: 回头看 of H1 fails: reopened with a new deadline
    o.run("lookback", ids["H1"], "--result", "反弹", "--to", "2026-11-27", "--note", "复查发现2个小区停工",
          "--on", "2026-11-02")
    status, week = monday(MONDAYS[8])  # 11-2
    assert unit(status, "区住房城乡建设局")["done"] == 0  # reopened: not done from 11-2
    form = o.ws.unit_outbox("区住房城乡建设局") / "2026-W45_反馈表.xlsx"
    assert ids["H1"] in [c.value for c in openpyxl.load_workbook(form)["反馈表"]["A"]]  # back in its form

    # 11-3: 机构改革 — 区发展改革委 becomes 区发展和改革委员会, its old name an alias; it reports under
    # the new name on 11-4 (its item is its own, not another unit's)
    o.ws.config_path.write_text(sancha_toml(RENAMED), encoding="utf-8")
    f = o.drop("区发展和改革委员会", "进展.xlsx", [data_row(1, item_id=ids["D1"], problem="重点项目前期工作滞后",
                                                       deadline="2026-11-30", lead_unit="区发展和改革委员会",
                                                       progress="已完成立项")], D(2026, 11, 4))
    assert f["accepted"] and f["unit"] == "区发展和改革委员会" and f["updated"] == [ids["D1"]]

    for day in MONDAYS[9:]:
        status, week = monday(day)
    assert "区发展和改革委员会" in names(status) and "区发展改革委" not in names(status)

    # -- every week: the ranking, the circular's commended and criticised, the notices' column -----
    for day, (status, week) in weeks.items():
        ranking, commended, criticised, notices = EXPECTED[day]
        assert [(u["unit"], u["rank"], u["due"], u["done"], u["overdue"], u["report_missing"])
                for u in status["units"]] == ranking, day
        assert (status["commended"], [c["unit"] for c in status["criticised"]]) == (commended, criticised), day
        assert (week["commended"], week["criticised"]) == (commended, criticised), day  # the circular says so
        assert week["notices"] == notices, day
        for praised in commended:  # a commended unit never ranks below a criticised one
            assert all(unit(status, praised)["rank"] < unit(status, c)["rank"] for c in criticised)

    # -- the quarter again: every week's figures as they were when the week was run --------------
    # (区发展改革委 is 区发展和改革委员会 now: the weeks before 11-3 name it so, the figures the same)
    for day, (status, week) in weeks.items():
        again_status, again_week = o.status(day), o.weekly(day)
        if day < D(2026, 11, 3):
            assert canonical(again_status) == canonical(renamed(status)), day
            assert canonical(again_week) == canonical(renamed(week)), day
        else:
            assert (again_status, again_week) == (status, week), day


# Per Monday: the ranking (unit, rank, due, done, overdue, missing), commended, criticised, and
# each notice's report column (报送期限 over 报送情况, or 待报送 with its date).
FIN, HOU, LH, AUD, DEV, DEV2, CIV = "区财政局", "区住房城乡建设局", "菱湖街道", "区审计局", "区发展改革委", \
    "区发展和改革委员会", "区民政局"
EXPECTED = {
    D(2026, 9, 7): ([(HOU, None, 0, 0, 0, 0), (DEV, None, 0, 0, 0, 0), (AUD, None, 0, 0, 0, 0), (CIV, None, 0, 0, 0, 0),
                     (FIN, None, 0, 0, 0, 0), (LH, None, 0, 0, 0, 0)], [], [], {}),
    D(2026, 9, 14): ([(HOU, None, 0, 0, 0, 0), (DEV, None, 0, 0, 0, 0), (AUD, None, 0, 0, 0, 0),
                      (CIV, None, 0, 0, 0, 0), (FIN, None, 0, 0, 0, 0), (LH, None, 0, 0, 0, 0)], [], [], {}),
    # F1 due 9-18, reported that day: overdue, its report counts
    D(2026, 9, 21): ([(FIN, 1, 1, 0, 1, 0), (HOU, None, 0, 0, 0, 0), (DEV, None, 0, 0, 0, 0), (AUD, None, 0, 0, 0, 0),
                      (CIV, None, 0, 0, 0, 0), (LH, None, 0, 0, 0, 0)], [], [],
                     {FIN: {"2026-0001": "9月22日前\n已报送（9月18日）"}}),
    # F1 done late; L1 overdue, its report not due before 9-30
    D(2026, 9, 28): ([(FIN, 1, 1, 1, 0, 0), (LH, 2, 1, 0, 1, 0), (HOU, None, 0, 0, 0, 0), (DEV, None, 0, 0, 0, 0),
                      (AUD, None, 0, 0, 0, 0), (CIV, None, 0, 0, 0, 0)], [], [],
                     {LH: {"2026-0006": "待报送（9月30日前）"}}),
    # H1 done on time: 区住建局 commended above 区财政局 (done, late); L1's report missing
    D(2026, 10, 5): ([(HOU, 1, 1, 1, 0, 0), (FIN, 2, 1, 1, 0, 0), (LH, 3, 1, 0, 1, 1), (DEV, None, 0, 0, 0, 0),
                      (AUD, None, 0, 0, 0, 0), (CIV, None, 0, 0, 0, 0)], [HOU], [LH],
                     {LH: {"2026-0006": "9月30日前\n逾期未报送"}}),
    D(2026, 10, 12): ([(HOU, 1, 1, 1, 0, 0), (FIN, 2, 1, 1, 0, 0), (DEV, 3, 1, 0, 1, 0), (LH, 4, 1, 0, 1, 1),
                       (AUD, None, 0, 0, 0, 0), (CIV, None, 0, 0, 0, 0)], [HOU], [LH],
                      {DEV: {"2026-0009": "待报送（10月13日前）"}, LH: {"2026-0006": "9月30日前\n逾期未报送"}}),
    # L1's late report counts from 10-13 (still overdue, more than 10 working days); L2 now 区民政局's
    D(2026, 10, 19): ([(HOU, 1, 1, 1, 0, 0), (FIN, 2, 1, 1, 0, 0), (LH, 3, 1, 0, 1, 0), (DEV, 4, 1, 0, 1, 1),
                       (AUD, None, 0, 0, 0, 0), (CIV, None, 0, 0, 0, 0)], [HOU], [LH, DEV],
                      {DEV: {"2026-0009": "10月13日前\n逾期未报送"}, LH: {"2026-0006": "9月30日前\n已报送（10月13日）"}}),
    # D1 extended (late) on 10-21: nothing of 区发展改革委 is due any more
    D(2026, 10, 26): ([(HOU, 1, 1, 1, 0, 0), (FIN, 2, 1, 1, 0, 0), (CIV, 3, 1, 0, 1, 0), (LH, 3, 1, 0, 1, 0),
                       (DEV, None, 0, 0, 0, 0), (AUD, None, 0, 0, 0, 0)], [HOU], [LH],
                      {CIV: {"2026-0007": "待报送（10月28日前）"}, LH: {"2026-0006": "9月30日前\n已报送（10月13日）"}}),
    # H1 reopened on 11-2 (回头看 反弹): 区住建局 has nothing due or done; F2 done on its deadline day
    D(2026, 11, 2): ([(FIN, 1, 2, 2, 0, 0), (LH, 2, 1, 0, 1, 0), (CIV, 3, 1, 0, 1, 1), (HOU, None, 0, 0, 0, 0),
                      (DEV, None, 0, 0, 0, 0), (AUD, None, 0, 0, 0, 0)], [], [LH, CIV],
                     {CIV: {"2026-0007": "10月28日前\n逾期未报送"}, LH: {"2026-0006": "9月30日前\n已报送（10月13日）"}}),
    D(2026, 11, 9): ([(FIN, 1, 2, 2, 0, 0), (LH, 2, 1, 0, 1, 0), (CIV, 3, 1, 0, 1, 1), (HOU, None, 0, 0, 0, 0),
                      (DEV2, None, 0, 0, 0, 0), (AUD, None, 0, 0, 0, 0)], [], [LH, CIV],
                     {CIV: {"2026-0007": "10月28日前\n逾期未报送"}, LH: {"2026-0006": "9月30日前\n已报送（10月13日）"}}),
    # three units equal in every figure share the 2nd place; the next is 5th
    D(2026, 11, 16): ([(FIN, 1, 2, 2, 0, 0), (HOU, 2, 1, 0, 1, 0), (AUD, 2, 1, 0, 1, 0), (LH, 2, 1, 0, 1, 0),
                       (CIV, 5, 1, 0, 1, 1), (DEV2, None, 0, 0, 0, 0)], [], [LH, CIV],
                      {HOU: {"2026-0005": "待报送（11月18日前）"}, AUD: {"2026-0008": "待报送（11月18日前）"},
                       CIV: {"2026-0007": "10月28日前\n逾期未报送"}, LH: {"2026-0006": "9月30日前\n已报送（10月13日）"}}),
    D(2026, 11, 23): ([(FIN, 1, 3, 2, 1, 0), (LH, 2, 1, 0, 1, 0), (HOU, 3, 1, 0, 1, 1), (AUD, 3, 1, 0, 1, 1),
                       (CIV, 3, 1, 0, 1, 1), (DEV2, None, 0, 0, 0, 0)], [], [LH, HOU, AUD, CIV],
                      {HOU: {"2026-0005": "11月18日前\n逾期未报送"}, AUD: {"2026-0008": "11月18日前\n逾期未报送"},
                       CIV: {"2026-0007": "10月28日前\n逾期未报送"}, FIN: {"2026-0003": "待报送（11月25日前）"},
                       LH: {"2026-0006": "9月30日前\n已报送（10月13日）"}}),
    # D1's deadline is today: not due, it blocks nothing
    D(2026, 11, 30): ([(FIN, 1, 3, 2, 1, 1), (LH, 2, 1, 0, 1, 0), (AUD, 3, 1, 0, 1, 1), (HOU, 4, 2, 0, 2, 1),
                       (CIV, 4, 2, 0, 2, 1), (DEV2, None, 0, 0, 0, 0)], [], [FIN, LH, AUD, HOU, CIV],
                      {HOU: {"2026-0004": "待报送（12月2日前）", "2026-0005": "11月18日前\n逾期未报送"},
                       AUD: {"2026-0008": "11月18日前\n逾期未报送"},
                       CIV: {"2026-0007": "10月28日前\n逾期未报送", "2026-0010": "待报送（12月2日前）"},
                       FIN: {"2026-0003": "11月25日前\n逾期未报送"}, LH: {"2026-0006": "9月30日前\n已报送（10月13日）"}}),
}


def renamed(record: dict) -> dict:
    return json.loads(json.dumps(record, ensure_ascii=False).replace("区发展改革委", "区发展和改革委员会"))


def canonical(record: dict) -> dict:
    """Lists whose order among equals follows the units' names, in one order."""
    out = dict(record)
    for key in ("units", "commended", "criticised"):
        if key in out:
            out[key] = sorted(out[key], key=lambda v: json.dumps(v, ensure_ascii=False))
    return out
