"""The dashboard page, read back with html.parser: structure, figures, rows, escaping, offline."""

import re
from datetime import date

from dashboard_fixtures import (
    AS_OF,
    CONFIG,
    CONFIG_TOML,
    HOSTILE,
    HOSTILE_SOURCE,
    ITEMS,
    TREND,
    context,
    item,
    parse_html,
    row_cells,
)

from pipeline.cli import main
from pipeline.deadlines.states import compute_states
from pipeline.deadlines.workdays import WorkCalendar
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.timeline import REGISTER_FIELDS, Event, register_data, replay
from pipeline.ledger.view import standing_on
from pipeline.output.dashboard import DASHBOARD_NAME, rebuilt_trend, render_dashboard, write_dashboard
from pipeline.workspace import Workspace

D = date


def page(**kw):
    html = render_dashboard(context(**kw))
    return html, parse_html(html)


def ids(table):
    return [row_cells(tr)[0] for tr in table.body_rows() if "data-unit" in tr.attrs]


def figures(doc):
    out = {}
    for card in doc.find_all("div", class_="card"):
        value = card.find_all("dd", class_="value")[0].text().strip()
        delta = next(dd for dd in card.find_all("dd") if "delta" in dd.attrs.get("class", "")).text().strip()
        out[card.attrs["data-figure"]] = (value, delta)
    return out


def test_page_structure_is_real_tables_with_captions_and_scopes():
    html, doc = page()
    assert html.startswith("<!DOCTYPE html>")
    assert doc.find_all("html")[0].attrs["lang"] == "zh-CN"
    assert doc.find_all("meta", charset="utf-8")
    for table_id in ("unit-table", "trend-table", "key-table", "item-table"):
        table = doc.by_id(table_id)
        assert table.find_all("caption")[0].text().strip()
        head = table.find_all("thead")[0].find_all("th")
        assert head and all(th.attrs.get("scope") == "col" for th in head)
    assert len(doc.find_all("svg")) == 2
    assert all(svg.attrs.get("role") == "img" and svg.find_all("title") for svg in doc.find_all("svg"))
    style = doc.find_all("style")[0].text()
    for font in ('"Microsoft YaHei"', '"PingFang SC"', '"Noto Sans CJK SC"', '"WenQuanYi Micro Hei"', "SimSun"):
        assert font in style
    assert "@media print" in style and "size: A4" in style


def test_headline_figures_with_change_since_last_week():
    _, doc = page()
    assert figures(doc) == {
        "items": ("8", "较上周 ▲ +1"),
        "done": ("2", "较上周 ▲ +1"),
        "done_on_time": ("1", "较上周 ■ 持平"),
        "overdue": ("2", "较上周 ▲ +1"),
        "report_missing": ("1", "较上周 ▲ +1"),
        # 完成率 = done ÷ (due or done), issue 16: 2 of 0001, 0002, 0006, 0008 (it was 2 of all 8)
        "completion_rate": ("50.0%", "较上周 ▲ +35.7 个百分点"),
    }
    # a rise in overdue items is bad news, a rise in the completion rate good news, more items neither
    tones = {card.attrs["data-figure"]: card.find_all("dd")[1].attrs["class"] for card in doc.find_all("div", class_="card")}
    assert tones == {
        "items": "delta neutral", "done": "delta good", "done_on_time": "delta neutral",
        "overdue": "delta bad", "report_missing": "delta bad", "completion_rate": "delta good",
    }
    assert "变化与上周（2026-11-23）相比" in doc.find_all("header")[0].text()


def test_a_skipped_week_names_the_date_compared_with():
    ctx = context(trend=TREND[:1])
    assert (ctx["previous_as_of"], ctx["compare_label"]) == ("2026-11-16", "11月16日")
    doc = parse_html(render_dashboard(ctx))
    assert figures(doc)["overdue"] == ("2", "较11月16日 ▲ +2")


def test_without_history_there_is_no_change_and_one_trend_point():
    ctx = context(trend=[])
    assert ctx["previous_as_of"] is None
    assert all(f["delta"] is None for f in ctx["headline"])
    assert [p["as_of"] for p in ctx["trend"]] == ["2026-11-30"]
    doc = parse_html(render_dashboard(ctx))
    assert {delta for _, delta in figures(doc).values()} == {"较上周 —"}
    assert "尚无上周数据" in doc.find_all("header")[0].text()


def test_trend_takes_the_latest_snapshot_of_each_earlier_week_only():
    trend = [
        *TREND,
        ("2026-W47-rerun", date(2026, 11, 24), {"items": 7, "done": 2, "completion_rate": 2 / 7}),
        ("2026-W48", date(2026, 11, 30), {"items": 99, "done": 0, "completion_rate": 0.0}),  # this week: replaced
    ]
    ctx = context(trend=trend)
    assert [(p["as_of"], p["items"]) for p in ctx["trend"]] == [("2026-11-16", 6), ("2026-11-24", 7), ("2026-11-30", 8)]
    assert ctx["previous_as_of"] == "2026-11-24"
    rows = parse_html(render_dashboard(ctx)).by_id("trend-table").body_rows()
    assert [row_cells(tr) for tr in rows][1] == ["2026-11-24", "7", "2", "—", "—", "28.6%"]


def test_units_ranked_with_light_and_word():
    # issue 19: a red unit's word says its share of items overdue, its band (colour) how it ranks
    # among the red units
    _, doc = page()
    rows = [row_cells(tr) for tr in doc.by_id("unit-table").body_rows()]
    # The one ranking (issue 16): done ÷ (due or done); units with nothing due or done last, unranked.
    assert rows == [
        ["1", "菱湖街道", "正常", "2", "1", "0", "0", "0", "0", "100.0%"],
        ["2", "区财政局", "逾期50%", "2", "1", "1", "1", "0", "1", "50.0%"],
        ["3", "区教育局", "逾期100%", "1", "0", "0", "1", "0", "0", "0.0%"],
        ["—", "区住房城乡建设局", "临期", "2", "0", "0", "0", "1", "0", "—"],
        ["—", "区审计局", "正常", "1", "0", "0", "0", "0", "0", "—"],
    ]
    body = doc.by_id("unit-table").body_rows()
    classes = [tr.find_all("span")[0].attrs["class"] for tr in body]
    assert classes == ["light light-green", "light light-red", "light light-red", "light light-yellow", "light light-green"]
    assert [tr.attrs["data-band"] for tr in body] == ["0", "1", "4", "0", "0"]


def test_unit_chart_has_one_bar_per_unit_with_value_and_word():
    _, doc = page()
    chart = doc.find_all("svg")[0]
    assert len(chart.find_all("rect")) == 5
    labels = [t.text() for t in chart.find_all("text", class_="value")]
    assert labels == ["100.0% 正常", "50.0% 逾期50%", "0.0% 逾期100%", "— 临期", "— 正常"]


def test_trend_chart_plots_every_week():
    _, doc = page()
    chart = doc.find_all("svg")[1]
    assert len(chart.find_all("circle")) == 3
    assert [t.text() for t in chart.find_all("text", class_="value")] == ["16.7%", "14.3%", "50.0%"]
    assert len(chart.find_all("polyline")) == 1


def test_key_supervision_list_with_working_days_overdue():
    _, doc = page()
    rows = [row_cells(tr) for tr in doc.by_id("key-table").body_rows() if "data-unit" in tr.attrs]
    assert rows == [[
        "2026-0001", "区财政局", "审计", HOSTILE, "2026-10-30", "21 个工作日",
        "逾期超过 10 个工作日；整改时限届满后未按时报送整改情况",
    ]]


def test_item_rows_carry_unit_source_state_for_the_filters():
    _, doc = page()
    table = doc.by_id("item-table")
    rows = {row_cells(tr)[0]: tr.attrs for tr in table.body_rows() if "data-unit" in tr.attrs}
    assert list(rows) == [  # overdue first (most days first), then due soon, on track, ongoing, done, closed
        "2026-0001", "2026-0008", "2026-0003", "2026-0004", "2026-0007", "2026-0005", "2026-0002", "2026-0006",
    ]
    assert (rows["2026-0008"]["data-unit"], rows["2026-0008"]["data-source"], rows["2026-0008"]["data-state"]) == (
        "区教育局", HOSTILE_SOURCE, "逾期")
    assert rows["2026-0007"]["data-source"] == "未填"
    options = {
        sel.attrs["data-filter"]: [o.attrs["value"] for o in sel.find_all("option")][1:]
        for sel in doc.by_id("filters").find_all("select")
    }
    assert options == {
        "unit": ["菱湖街道", "区财政局", "区教育局", "区住房城乡建设局", "区审计局"],  # in ranking order
        "source": ["巡查", "督查", "审计", "领导批示", HOSTILE_SOURCE, "未填"],
        "state": ["逾期", "临期", "正常推进", "长期坚持", "已完成", "已销号"],
    }
    # without JavaScript every row shows and the filter bar stays out of the way
    assert "hidden" in doc.by_id("filters").attrs
    assert not any("hidden" in tr.attrs for tr in table.body_rows() if "data-unit" in tr.attrs)


def test_provisional_dates_are_marked():
    ctx = context()
    by_id = {r["id"]: r for r in ctx["items"]}
    assert by_id["2026-0007"]["report_due"] == "2027-01-20（暂定）"
    assert by_id["2026-0001"]["report_due"] == "2026-11-04"
    _, doc = page()
    assert "（暂定）" in doc.find_all("p", class_="notice")[0].text()
    settled = [i for i in ITEMS if i.deadline and i.deadline < date(2026, 12, 1)]
    _, doc = page(items=settled)
    assert not doc.find_all("p", class_="notice")


def test_user_text_survives_verbatim_and_never_becomes_markup():
    html, doc = page()
    assert "<script>alert(1)" not in html and "<二期>" not in html
    assert "A&amp;B&lt;二期&gt;" in html
    assert len(doc.find_all("script")) == 2  # the page's own two
    cells = [c.text() for c in doc.iter() if c.tag in ("td", "th", "option")]
    assert HOSTILE in cells and HOSTILE_SOURCE in cells


def test_nothing_is_fetched_from_anywhere():
    html, doc = page()
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"@import|url\(|<link|<iframe|<img", html)
    assert not [n for n in doc.iter() if "src" in n.attrs or "href" in n.attrs]


def test_empty_ledger_still_renders():
    ctx = context(items=[], trend=[])
    assert ctx["headline"][-1]["display"] == "—"
    doc = parse_html(render_dashboard(ctx))
    assert "台帐中暂无事项" in doc.by_id("item-table").text()
    assert "本期无重点督查事项" in doc.by_id("key-table").text()


def workspace_with_ledger(tmp_path) -> Workspace:
    (tmp_path / "sancha.toml").write_text(CONFIG_TOML, encoding="utf-8")
    ws = Workspace(tmp_path)
    with Ledger.open(ws.db_path) as ledger:
        with ledger.transaction():
            ledger.insert_items([(item, item.problem) for item in ITEMS])
        for week_key, day, figs in TREND:
            ledger.save_snapshot(week_key, day, figs)
    return ws


def test_write_dashboard_reads_the_ledger_and_its_snapshots(tmp_path):
    ws = workspace_with_ledger(tmp_path)
    path = write_dashboard(ws, AS_OF)
    assert path == ws.outbox / DASHBOARD_NAME
    html = path.read_text(encoding="utf-8")
    with Ledger.open(ws.db_path) as ledger:
        trend = rebuilt_trend(TREND, AS_OF, D(2026, 9, 1), lambda day: standing_on(ledger, ws.config, day))
    assert html == render_dashboard(context(trend=trend))
    assert not list(ws.outbox.glob(".*tmp"))


def test_weeks_without_a_snapshot_are_rebuilt_from_the_items_events():
    before = item("2026-0009", "区财政局", "督查", date(2026, 12, 31), created_on=date(2026, 11, 2))
    events = [
        Event("2026-0009", "register", D(2026, 11, 2), "2026-11-02T09:00:00", id=1,
              data=register_data({f: getattr(before, f) for f in REGISTER_FIELDS})),
        Event("2026-0009", "change", D(2026, 11, 20), "2026-11-20T09:00:00", field="status", old="推进中",
              new="已完成", id=2),
        Event("2026-0009", "change", D(2026, 11, 20), "2026-11-20T09:00:00", field="done_on", new=D(2026, 11, 20),
              id=3),
    ]

    def standing(day):
        items = [i for i in [replay(events, day)] if i is not None]
        return items, compute_states(items, day, WorkCalendar(), CONFIG.rules)

    trend = rebuilt_trend([], AS_OF, D(2026, 11, 2), standing, weeks=5)
    by_day = {day: figs for _, day, figs in trend}
    assert sorted(by_day) == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]
    assert by_day[date(2026, 11, 16)]["done"] == 0 and by_day[date(2026, 11, 23)]["done"] == 1
    assert all(figs["items"] == 1 for figs in by_day.values())


def test_cli_writes_the_page(tmp_path, capsys):
    ws = workspace_with_ledger(tmp_path)
    assert main(["-C", str(ws.root), "dashboard", "--as-of", "2026-11-30"]) == 0
    assert (ws.outbox / DASHBOARD_NAME).exists()
    assert "看板" in capsys.readouterr().out
    target = tmp_path / "给领导" / "本周看板.html"
    assert main(["-C", str(ws.root), "dashboard", "--as-of", "2026-11-30", "-o", str(target)]) == 0
    assert "区财政局" in target.read_text(encoding="utf-8")
    assert main(["-C", str(ws.root), "dashboard", "--as-of", "30/11/2026"]) == 2


def test_the_trend_s_rebuilt_days_are_kept_until_an_event_taking_effect_by_that_day_is_recorded(tmp_path):
    ws = workspace_with_ledger(tmp_path)
    day = D(2026, 11, 2)
    calls: list[str] = []

    def compute(n: int):
        def figures() -> dict:
            calls.append("x")
            return {"total": n}
        return figures

    with Ledger.open(ws.db_path) as ledger:
        assert ledger.day_figures(day, "k", compute(1)) == {"total": 1}
        assert ledger.day_figures(day, "k", compute(2)) == {"total": 1} and len(calls) == 1  # kept
        with ledger.transaction():  # an event after the day: the day's figures still hold
            ledger.append_events([Event("2026-0001", "report", D(2026, 11, 20), "2026-11-20T09:00:00")])
        assert ledger.day_figures(day, "k", compute(3)) == {"total": 1} and len(calls) == 1
        assert ledger.day_figures(day, "other rules", compute(4)) == {"total": 4}  # another configuration
        with ledger.transaction():  # a late entry taking effect before the day: computed again
            ledger.append_events([Event("2026-0001", "report", D(2026, 10, 30), "2026-11-20T10:00:00")])
        assert ledger.day_figures(day, "other rules", compute(5)) == {"total": 5} and len(calls) == 3


def test_the_page_is_the_same_with_the_kept_figures_as_with_the_replayed_ones(tmp_path):
    ws = workspace_with_ledger(tmp_path)
    first = write_dashboard(ws, AS_OF).read_bytes()
    with Ledger.open(ws.db_path) as ledger:
        assert ledger.conn.execute("SELECT COUNT(*) FROM day_figures").fetchone()[0] > 0
    assert write_dashboard(ws, AS_OF).read_bytes() == first
