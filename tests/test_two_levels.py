"""两级联动 (issue 21): a district and one of its townships, each with its own sancha, for a month.

The district (大观区) has 海口镇 among its units (`runs_sancha = true`); 海口镇 runs sancha with
four villages and `[upstream]` naming the district. Work comes down in the district's weekly
下发包, the township assigns it to its villages, the villages report, the township exports up,
the district ingests. After each exchange the ids, states and figures agree at both levels; a
stale township export never overwrites a newer district change; and the city's list goes
through the district and back in the city's own columns.
"""

from __future__ import annotations

import io
import json
import shutil
from datetime import date, datetime

import openpyxl
import pytest
from builders import HEADER, data_row, make_workspace, sancha_toml, submission_rows, xlsx_bytes

from pipeline.cli import main
from pipeline.ledger.actions import escalate, extend, reassign
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.standing import load_standing
from pipeline.output.dashboard import write_dashboard
from pipeline.service.web.app import create_app

D = date
DISTRICT_UNITS = [("区财政局", ["财政局"]), ("区住房城乡建设局", ["区住建局"]), ("海口镇", ["海口镇人民政府"])]
VILLAGES = ["海口村", "新河村", "长风社区", "太平村"]
CITY = "市政府督查室"
CITY_LIST = f"""
[[upstream_lists]]
name = "{CITY}"
columns = {{"序号" = "upstream_id", "督办事项" = "problem", "责任单位" = "unit", "办理时限" = "deadline"}}
report_columns = {{"序号" = "upstream_id", "督办事项" = "problem", "责任单位" = "unit", "办理时限" = "deadline", \
"办理进展" = "progress", "办理状态" = "status", "完成日期" = "done_on"}}
"""
TOWNSHIP_TOML = "\n".join([
    "[office]", 'name = "海口镇人民政府"', 'aliases = ["海口镇党政办"]', "",
    *(f'[[units]]\nname = "{v}"\n' for v in VILLAGES),
    "[upstream]", 'name = "大观区人民政府办公室"', 'as_unit = "海口镇"', 'report = "all"',
    "[calendar]", 'holidays = ["2027-01-01"]', ""])


class Level:
    """One level's clerk at the command line, and the files its units drop."""

    def __init__(self, ws, capsys):
        self.ws, self.capsys = ws, capsys

    def run(self, *args, expect=0) -> str:
        self.capsys.readouterr()
        code = main(["-C", str(self.ws.root), *map(str, args)])
        out, err = self.capsys.readouterr()
        assert code == expect, (args, out, err)
        return out

    def drop(self, folder: str | None, name: str, data: bytes) -> None:
        target = self.ws.inbox / folder if folder else self.ws.inbox
        target.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(data)

    def ingest(self, day: date) -> list[dict]:
        return json.loads(self.run("ingest", "--json", "--as-of", day))["files"]

    def status(self, day: date) -> dict:
        return json.loads(self.run("status", "--json", "--as-of", day))

    def items(self, day: date) -> dict[str, dict]:
        return {i["id"]: i for i in json.loads(self.run("export", "--format", "json", "--as-of", day))}


def unit_form(unit: str, rows: list, day: date) -> bytes:
    return xlsx_bytes(submission_rows(*rows, unit=unit, report_date=f"{day:%Y年%-m月%-d日}"))


@pytest.fixture
def levels(tmp_path, capsys):
    toml = sancha_toml(DISTRICT_UNITS).replace('name = "海口镇"\n', 'name = "海口镇"\nruns_sancha = true\n') + CITY_LIST
    district = Level(make_workspace(tmp_path / "district", toml), capsys)
    township = Level(make_workspace(tmp_path / "township", TOWNSHIP_TOML), capsys)
    district.run("templates")
    township.run("templates")
    return district, township


def send_down(district: Level, township: Level, day: date) -> list[dict]:
    """The district's weekly batch, its 下发包 for 海口镇 carried to the township's inbox."""
    district.run("weekly", "--as-of", day)
    (package,) = sorted((district.ws.outbox / "海口镇").glob(f"{day:%G-W%V}_下发包*.xlsx"))
    shutil.copy(package, township.ws.inbox / package.name)
    return township.ingest(day)


def send_up(township: Level, district: Level, made: date, received: date) -> dict:
    """`upstream export` as of `made`, dropped in the district's inbox/海口镇/ and ingested on `received`."""
    path = township.ws.root / f"up-{made}.xlsx"
    township.run("upstream", "export", "--as-of", made, "-o", path)
    district.drop("海口镇", path.name, path.read_bytes())
    (result,) = district.ingest(received)
    assert result["accepted"], result
    return result


def assert_levels_agree(district: Level, township: Level, day: date) -> None:
    """Every township item the district assigned has the district's id as upstream_id, and the
    same problem, measures, progress, status, done date and state on both sides; the district's
    figures for 海口镇 are the township's own, and its roll-up says so."""
    t_items, d_items = township.items(day), district.items(day)
    assigned = {i["upstream_id"]: i for i in t_items.values() if i["upstream"] == "大观区人民政府办公室"}
    d_township = {k: v for k, v in d_items.items() if v["unit"] == "海口镇"}
    assert set(assigned) <= set(d_township)
    for district_id, t in assigned.items():
        d = d_items[district_id]
        for key in ("problem", "measures", "progress", "status", "done_on", "deadline", "state", "overdue_workdays"):
            assert t[key] == d[key], (district_id, key, t[key], d[key])
    t_status, d_status = township.status(day), district.status(day)
    total = {k: sum(u[k] for u in t_status["units"]) for k in ("items", "done", "overdue")}
    d_unit = next(u for u in d_status["units"] if u["unit"] == "海口镇")
    assert {k: d_unit[k] for k in total} == total
    (level,) = d_status["levels"]
    assert {k: level[k] for k in total} == total and level["unit"] == "海口镇"


def test_a_month_of_two_levels_keeps_ids_states_and_figures_in_step(levels):
    district, township = levels
    # 11-2: the district's office registers work for 海口镇 (and one item for 区财政局).
    office_rows = [data_row(1, problem="河道沿线垃圾清理不及时", lead_unit="海口镇", deadline="2026-11-20",
                            measures="组织清理，建立长效保洁机制", status="未启动"),
                   data_row(2, problem="农村危房改造进度滞后", lead_unit="海口镇", deadline="2026-11-27",
                            measures="逐户核查，倒排工期", status="未启动"),
                   data_row(3, problem="集镇占道经营整治不彻底", lead_unit="海口镇", deadline="2026-12-18",
                            measures="划定摊区，常态巡查", status="未启动"),
                   data_row(4, problem="政府采购项目验收不及时", lead_unit="区财政局", deadline="2026-12-31")]
    # the district's requirements on 0001 (issue 17's fields), in two more columns of the office's file
    office_rows = [[*row, *(("建立河长巡河制度", "王副镇长") if n == 0 else ("", ""))] for n, row in enumerate(office_rows)]
    district.drop(None, "督查室交办.xlsx", xlsx_bytes(submission_rows(
        *office_rows, unit="督查室", report_date="2026年11月2日", header=[*HEADER, "整改建议", "责任领导"])))
    (registered,) = district.ingest(D(2026, 11, 2))
    assert registered["added"] == ["2026-0001", "2026-0002", "2026-0003", "2026-0004"]

    # 11-2: the weekly batch writes 海口镇 a 下发包; the township's ingest registers the three items.
    (down,) = send_down(district, township, D(2026, 11, 2))
    assert down["accepted"] and len(down["added"]) == 3
    t_items = township.items(D(2026, 11, 2))
    assert {i["upstream_id"]: (i["unit"], i["source"], i["problem"]) for i in t_items.values()} == {
        "2026-0001": ("海口镇", "大观区人民政府办公室", "河道沿线垃圾清理不及时"),
        "2026-0002": ("海口镇", "大观区人民政府办公室", "农村危房改造进度滞后"),
        "2026-0003": ("海口镇", "大观区人民政府办公室", "集镇占道经营整治不彻底")}
    by_upstream = {i["upstream_id"]: i["id"] for i in t_items.values()}
    first = t_items[by_upstream["2026-0001"]]
    assert (first["suggestion"], first["leader"]) == ("建立河长巡河制度", "王副镇长")
    # not reported by anyone yet: the 下发包 is work given, not a report
    assert all(i["report_on"] is None for i in t_items.values())

    # 11-3: the township assigns them to its villages.
    with Ledger.open(township.ws.db_path) as ledger:
        for district_id, village in (("2026-0001", "海口村"), ("2026-0002", "新河村"), ("2026-0003", "长风社区")):
            reassign(ledger, township.ws.config, by_upstream[district_id], to=village, note="镇督查室交办",
                     on=D(2026, 11, 3), today=D(2026, 11, 3))
    # 11-5: 太平村 finds a problem of its own.
    township.drop("太平村", "太平村.xlsx", unit_form("太平村", [
        data_row(1, problem="村级活动场所消防设施缺失", lead_unit="太平村", deadline="2026-11-30",
                 measures="配齐灭火器，开展消防演练")], D(2026, 11, 5)))
    (own,) = township.ingest(D(2026, 11, 5))
    own_id = own["added"][0]

    # 11-10: villages report; the township exports up the same day; the district ingests it.
    township.drop("海口村", "海口村.xlsx", unit_form("海口村", [
        data_row(1, item_id=by_upstream["2026-0001"], problem="河道沿线垃圾清理不及时", lead_unit="海口村",
                 deadline="2026-11-20", measures="组织清理，建立长效保洁机制", progress="已清理河道12公里",
                 status="已完成", done_on="2026-11-9")], D(2026, 11, 10)))
    township.drop("新河村", "新河村.xlsx", unit_form("新河村", [
        data_row(1, item_id=by_upstream["2026-0002"], problem="农村危房改造进度滞后", lead_unit="新河村",
                 deadline="2026-11-27", measures="逐户核查，倒排工期", progress="已完成核查30户",
                 status="推进中")], D(2026, 11, 10)))
    assert all(f["accepted"] for f in township.ingest(D(2026, 11, 10)))
    up = send_up(township, district, D(2026, 11, 10), D(2026, 11, 10))
    # every assigned item reported (0003 unchanged but reported by the township); its own item new
    assert sorted(up["updated"]) == ["2026-0001", "2026-0002", "2026-0003"]
    assert len(up["added"]) == 1
    own_in_district = up["added"][0]
    assert district.items(D(2026, 11, 10))[own_in_district]["problem"] == "村级活动场所消防设施缺失"
    assert_levels_agree(district, township, D(2026, 11, 10))
    level = district.status(D(2026, 11, 10))["levels"][0]
    assert level["reported_on"] == "2026-11-10"

    # 11-12 新河村 reports again; the township's export is made on 11-13 but reaches the district
    # only on 11-17, after the district's office corrected 0002's progress on 11-16: the stale
    # value does not overwrite it (stale-value), the rest of the export is taken.
    township.drop("新河村", "新河村2.xlsx", unit_form("新河村", [
        data_row(1, item_id=by_upstream["2026-0002"], problem="农村危房改造进度滞后", lead_unit="新河村",
                 deadline="2026-11-27", measures="逐户核查，倒排工期", progress="已完成核查45户，改造10户",
                 status="推进中")], D(2026, 11, 12)))
    township.ingest(D(2026, 11, 12))
    export_13 = township.ws.root / "up-13.xlsx"
    township.run("upstream", "export", "--as-of", D(2026, 11, 13), "-o", export_13)
    district.drop(None, "督查室更正.xlsx", unit_form("督查室", [
        data_row(1, item_id="2026-0002", problem="农村危房改造进度滞后", lead_unit="海口镇", deadline="2026-11-27",
                 measures="逐户核查，倒排工期", progress="经区住建局核实：已改造12户", status="推进中")],
        D(2026, 11, 16)))
    district.ingest(D(2026, 11, 16))
    district.drop("海口镇", export_13.name, export_13.read_bytes())
    (late,) = district.ingest(D(2026, 11, 17))
    assert late["accepted"]
    stale = [f for f in late["issues"] if f["code"] == "stale-value"]
    assert len(stale) == 1 and "整改进展" in stale[0]["message"]
    assert district.items(D(2026, 11, 17))["2026-0002"]["progress"] == "经区住建局核实：已改造12户"
    assert district.status(D(2026, 11, 17))["levels"][0]["reported_on"] == "2026-11-13"

    # 11-20: the district extends 0003; the next 下发包 (11-23) brings the new deadline down as
    # an extension and keeps the item with 长风社区; the township's own item comes down with the
    # district's id, and the township's item of that problem is linked to it (nothing new).
    with Ledger.open(district.ws.db_path) as ledger:
        extend(ledger, "2026-0003", to=D(2027, 1, 15), note="涉及拆迁，经区政府同意延期", on=D(2026, 11, 20),
               today=D(2026, 11, 20))
    (down2,) = send_down(district, township, D(2026, 11, 23))
    assert down2["accepted"] and down2["added"] == []
    package = openpyxl.load_workbook(sorted((district.ws.outbox / "海口镇").glob("2026-W48_下发包*.xlsx"))[0])
    sent = [r[0] for r in package["下发包"].iter_rows(min_row=4, values_only=True)]
    assert sent == ["2026-0002", "2026-0003", own_in_district]  # the open items of 海口镇
    t3 = township.items(D(2026, 11, 23))[by_upstream["2026-0003"]]
    assert (t3["unit"], t3["deadline"]) == ("长风社区", "2027-01-15")
    t_own = township.items(D(2026, 11, 23))[own_id]
    assert (t_own["upstream_id"], t_own["unit"], t_own["source"]) == (own_in_district, "太平村", "督查")
    assert (t_own["progress"], t_own["status"]) == (None, "推进中")  # linked, nothing else changed

    # 11-30: 长风社区 and 太平村 report; the township exports up; both levels agree.
    township.drop("长风社区", "长风社区.xlsx", unit_form("长风社区", [
        data_row(1, item_id=by_upstream["2026-0003"], problem="集镇占道经营整治不彻底", lead_unit="长风社区",
                 deadline="2027-01-15", measures="划定摊区，常态巡查", progress="已划定摊区3处",
                 status="推进中")], D(2026, 11, 30)))
    township.drop("太平村", "太平村2.xlsx", unit_form("太平村", [
        data_row(1, item_id=own_id, problem="村级活动场所消防设施缺失", lead_unit="太平村", deadline="2026-11-30",
                 measures="配齐灭火器，开展消防演练", progress="已配齐", status="已完成", done_on="2026-11-28")],
        D(2026, 11, 30)))
    township.ingest(D(2026, 11, 30))
    final = send_up(township, district, D(2026, 11, 30), D(2026, 11, 30))
    assert final["added"] == [] and own_in_district in final["updated"]  # the own item named by its id now
    assert_levels_agree(district, township, D(2026, 11, 30))
    assert district.items(D(2026, 11, 30))[own_in_district]["status"] == "已完成"
    # 0002 is overdue on both sides (deadline 11-27), its progress the township's newer one now
    assert district.items(D(2026, 11, 30))["2026-0002"]["state"] == "逾期"
    level = district.status(D(2026, 11, 30))["levels"][0]
    t_total = load_standing(township.ws, D(2026, 11, 30))
    assert level == {"unit": "海口镇", "reported_on": "2026-11-30", "items": 4, "done": 2,
                     "overdue": 1, "rate": round(2 / 3, 4)}
    assert len(t_total.items) == 4

    # the district's 看板 and its web desk show the township's own figures, marked with the day
    page = write_dashboard(district.ws, D(2026, 11, 30)).read_text(encoding="utf-8")
    assert "下级台帐" in page and 'data-level="海口镇"' in page and "2026年11月30日" in page
    app = create_app(district.ws, local=True, today=lambda: D(2026, 11, 30), batch_workers=1)
    app.testing = True
    overview = app.test_client().get("/").get_data(as_text=True)
    row = overview[overview.index('data-level="海口镇"'):].split("</tr>")[0]
    assert "2026年11月30日" in row and ">4<" in row and "66.7%" in row
    # the township's desk shows each item's district id
    town_desk = create_app(township.ws, local=True, today=lambda: D(2026, 11, 30), batch_workers=1)
    town_desk.testing = True
    page = town_desk.test_client().get(f"/items/{by_upstream['2026-0001']}").get_data(as_text=True)
    assert '<dd data-field="upstream_id">2026-0001</dd>' in page
    assert '<dd data-field="upstream">大观区人民政府办公室</dd>' in page


def city_file(rows: list[list]) -> bytes:
    return xlsx_bytes([["市政府督查室督办事项清单"], ["序号", "督办事项", "责任单位", "办理时限", "备注"], *rows])


def test_the_city_round_trip_reproduces_its_cells_in_its_own_columns(levels, tmp_path):
    district, township = levels
    tasks: list[list] = [["1", "推进老旧小区加装电梯", "区住房城乡建设局", D(2026, 12, 31), "市长交办"],
             ["2", "规范财政暂付款管理", "财政局", "长期坚持", ""],
             ["3", "做好冬季河道保洁", "海口镇", D(2026, 12, 15), ""]]
    path = tmp_path / "市督办清单.xlsx"
    path.write_bytes(city_file(tasks))
    out = district.run("upstream", "import", path, "--from", CITY, "--as-of", D(2026, 11, 2))
    assert "新增 3 项" in out
    items = district.items(D(2026, 11, 2))
    assert {i["upstream_id"]: (i["unit"], i["source"], i["upstream"]) for i in items.values()} == {
        "1": ("区住房城乡建设局", CITY, CITY), "2": ("区财政局", CITY, CITY), "3": ("海口镇", CITY, CITY)}
    assert {i["source_category"] for i in items.values()} == {"上级交办"}  # the category of a level above's list
    # imported again: nothing new, nothing changed
    assert "新增 0 项，更新 0 项" in district.run("upstream", "import", path, "--from", CITY, "--as-of",
                                               D(2026, 11, 3))
    by_city = {i["upstream_id"]: i["id"] for i in items.values()}
    # 区住建局 reports on its task; the city's task for 海口镇 goes down in the 下发包 like any other
    district.drop("区住房城乡建设局", "住建.xlsx", unit_form("区住房城乡建设局", [
        data_row(1, item_id=by_city["1"], problem="推进老旧小区加装电梯", lead_unit="区住房城乡建设局",
                 deadline="2026-12-31", measures="摸排需求，分批实施", progress="已完工8部", status="已完成",
                 done_on="2026-11-20")], D(2026, 11, 23)))
    district.ingest(D(2026, 11, 23))
    send_down(district, township, D(2026, 11, 23))
    assert [i["upstream_id"] for i in township.items(D(2026, 11, 23)).values()] == [by_city["3"]]

    report = tmp_path / "反馈.xlsx"
    district.run("upstream", "report", "--to", CITY, "--as-of", D(2026, 11, 30), "-o", report)
    sheet = openpyxl.load_workbook(report).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header_at = next(n for n, r in enumerate(rows) if r[0] == "序号")
    assert rows[header_at] == ["序号", "督办事项", "责任单位", "办理时限", "办理进展", "办理状态", "完成日期"]
    body = rows[header_at + 1:]
    expected = [["1", "推进老旧小区加装电梯", "区住房城乡建设局", D(2026, 12, 31), "已完工8部", "已完成",
                 D(2026, 11, 20)],
                ["2", "规范财政暂付款管理", "区财政局", "长期坚持", None, None, None],
                ["3", "做好冬季河道保洁", "海口镇", D(2026, 12, 15), None, None, None]]
    got = [[c.date() if isinstance(c, datetime) else c for c in r] for r in body]
    assert got == expected
    # the city's own cells come back as it wrote them (its unit names canonical: 财政局 → 区财政局)
    sent = [[c.date() if isinstance(c, datetime) else c for c in r[:4]]
            for r in openpyxl.load_workbook(path).active.iter_rows(min_row=3, values_only=True)]
    assert [r[:4] for r in got] == [[*r[:2], "区财政局" if r[2] == "财政局" else r[2], r[3]] for r in sent]


def test_a_city_list_naming_an_unknown_unit_is_refused_naming_the_cell(levels, tmp_path):
    district, _ = levels
    path = tmp_path / "市督办清单.xlsx"
    path.write_bytes(city_file([["1", "推进老旧小区加装电梯", "区住建委", D(2026, 12, 31), ""]]))
    out = district.run("upstream", "import", path, "--from", CITY, "--as-of", D(2026, 11, 2), expect=1)
    assert "unknown-unit" in out and "C3" in out and "未导入" in out
    assert district.items(D(2026, 11, 2)) == {}


def test_upstream_export_without_an_upstream_section_says_what_to_write(levels, capsys):
    district, _ = levels
    capsys.readouterr()
    assert main(["-C", str(district.ws.root), "upstream", "export"]) == 1
    err = capsys.readouterr().err
    assert "[upstream]" in err and "as_unit" in err and "Traceback" not in err


def test_a_township_with_nothing_to_report_exports_an_empty_form(levels, tmp_path):
    _, township = levels
    path = tmp_path / "up.xlsx"
    assert "0 项" in township.run("upstream", "export", "--as-of", D(2026, 11, 4), "-o", path)
    form = openpyxl.load_workbook(path)["反馈表"]
    assert form["A3"].value == "编号" and form["A4"].value is None


def test_the_report_up_carries_a_signature_sheet_and_the_districts_ids(levels, tmp_path):
    district, township = levels
    district.drop(None, "交办.xlsx", unit_form("督查室", [
        data_row(1, problem="河道沿线垃圾清理不及时", lead_unit="海口镇", deadline="2026-11-20")], D(2026, 11, 2)))
    district.ingest(D(2026, 11, 2))
    send_down(district, township, D(2026, 11, 2))
    path = tmp_path / "up.xlsx"
    township.run("upstream", "export", "--as-of", D(2026, 11, 4), "-o", path)
    wb = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    lines = [r[0] for r in wb["签章页"].iter_rows(values_only=True)]
    assert "填报单位：海口镇" in lines and "填报日期：2026年11月4日" in lines
    form = wb["反馈表"]
    assert form["A4"].value == "2026-0001" and form["E4"].value == "海口镇"


def test_report_assigned_sends_up_only_the_districts_items(levels, tmp_path):
    district, township = levels
    township.ws.config_path.write_text(TOWNSHIP_TOML.replace('report = "all"', 'report = "assigned"'),
                                       encoding="utf-8")
    township = Level(type(township.ws)(township.ws.root), township.capsys)  # the config read again
    district.drop(None, "交办.xlsx", unit_form("督查室", [
        data_row(1, problem="河道沿线垃圾清理不及时", lead_unit="海口镇", deadline="2026-11-20")], D(2026, 11, 2)))
    district.ingest(D(2026, 11, 2))
    send_down(district, township, D(2026, 11, 2))
    township.drop("太平村", "太平村.xlsx", unit_form("太平村", [
        data_row(1, problem="村级活动场所消防设施缺失", lead_unit="太平村", deadline="2026-11-30")], D(2026, 11, 5)))
    township.ingest(D(2026, 11, 5))
    path = tmp_path / "up.xlsx"
    assert "1 项" in township.run("upstream", "export", "--as-of", D(2026, 11, 5), "-o", path)
    form = openpyxl.load_workbook(path)["反馈表"]
    assert [r[0] for r in form.iter_rows(min_row=4, values_only=True)] == ["2026-0001"]
    # its figures are still the whole township's
    level = json.loads(openpyxl.load_workbook(path).custom_doc_props["sancha_level"].value)
    assert (level["unit"], level["items"]) == ("海口镇", 2)


def test_an_item_the_district_moved_away_is_left_out_of_the_townships_report(levels, tmp_path):
    district, township = levels
    district.drop(None, "交办.xlsx", unit_form("督查室", [
        data_row(1, problem="河道沿线垃圾清理不及时", lead_unit="海口镇", deadline="2026-11-20"),
        data_row(2, problem="农村危房改造进度滞后", lead_unit="海口镇", deadline="2026-11-27")], D(2026, 11, 2)))
    district.ingest(D(2026, 11, 2))
    send_down(district, township, D(2026, 11, 2))
    with Ledger.open(district.ws.db_path) as ledger:
        reassign(ledger, district.ws.config, "2026-0002", to="区住房城乡建设局", note="属住建职责",
                 on=D(2026, 11, 3), today=D(2026, 11, 3))
    result = send_up(township, district, D(2026, 11, 5), D(2026, 11, 5))  # made after the move: still taken
    (kept,) = [f for f in result["issues"] if f["code"] == "stale-value"]
    assert kept["cell"].startswith("E") and "已于 2026年11月3日 移交 区住房城乡建设局" in kept["message"]
    assert "sancha void" in kept["hint"]
    assert result["updated"] == ["2026-0001"]


def test_an_item_the_township_voided_is_not_brought_back_by_the_next_package(levels):
    district, township = levels
    district.drop(None, "交办.xlsx", unit_form("督查室", [
        data_row(1, problem="河道沿线垃圾清理不及时", lead_unit="海口镇", deadline="2026-11-20")], D(2026, 11, 2)))
    district.ingest(D(2026, 11, 2))
    (first,) = send_down(district, township, D(2026, 11, 2))
    township.run("void", first["added"][0], "--note", "与区里核对后不属本镇", "--on", D(2026, 11, 4))
    (again,) = send_down(district, township, D(2026, 11, 9))
    assert again["accepted"] and again["added"] == [] and again["updated"] == []
    assert township.items(D(2026, 11, 9)) == {}


def test_an_item_waiting_for_the_level_above_in_the_township_arrives_as_needing_help(levels):
    district, township = levels
    district.drop(None, "交办.xlsx", unit_form("督查室", [
        data_row(1, problem="河道沿线垃圾清理不及时", lead_unit="海口镇", deadline="2026-11-20"),
        data_row(2, problem="农村危房改造进度滞后", lead_unit="海口镇", deadline="2026-11-27")], D(2026, 11, 2)))
    district.ingest(D(2026, 11, 2))
    send_down(district, township, D(2026, 11, 2))
    by_upstream = {i["upstream_id"]: i["id"] for i in township.items(D(2026, 11, 2)).values()}
    # a village reports 需上级协调 with its reason; the township's office escalates the other itself
    township.drop("海口镇", "镇.xlsx", unit_form("海口镇", [
        data_row(1, item_id=by_upstream["2026-0001"], problem="河道沿线垃圾清理不及时", lead_unit="海口镇",
                 deadline="2026-11-20", status="需上级协调", progress="河道跨区界，需区水利局统一协调")],
        D(2026, 11, 9)))
    assert township.ingest(D(2026, 11, 9))[0]["accepted"]
    with Ledger.open(township.ws.db_path) as ledger:
        escalate(ledger, by_upstream["2026-0002"], to="大观区人民政府办公室", reason="资金缺口需区财政安排",
                 on=D(2026, 11, 9), today=D(2026, 11, 9))
    t_items = township.items(D(2026, 11, 10))
    assert {t_items[by_upstream[k]]["state"] for k in ("2026-0001", "2026-0002")} == {"待上级协调"}
    up = send_up(township, district, D(2026, 11, 10), D(2026, 11, 10))
    assert not [f for f in up["issues"] if f["severity"] == "error"]
    d_items = district.items(D(2026, 11, 10))
    assert (d_items["2026-0001"]["status"], d_items["2026-0001"]["state"]) == ("需上级协调", "待上级协调")
    assert d_items["2026-0001"]["progress"] == "河道跨区界，需区水利局统一协调"
    assert (d_items["2026-0002"]["status"], d_items["2026-0002"]["state"]) == ("需上级协调", "待上级协调")
    assert d_items["2026-0002"]["remark"] == "需上级协调：资金缺口需区财政安排"  # its own source note left out
