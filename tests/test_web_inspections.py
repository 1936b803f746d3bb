"""检查 in the web desk (issue 19 with issue 17's inspections): the list and one inspection with
the items it found, 登记检查 and 报告收到 as forms checked and confirmed like an item's actions,
the 台帐 filters by 来源类别, 检查 and 层级, the 待办 line for a late report, and the footer's
office name following sancha.toml without a restart."""

from __future__ import annotations

import json

import pytest
from test_web_actions import accounts, confirmation, log_in, post  # noqa: F401 - a fixture
from test_web_desk import csrf_of, desk, get, item_ids, page
from web_fixtures import INSPECTION, build_workspace, copy_workspace, state_dump

from pipeline.cli import main
from pipeline.ledger.inspections import load_inspections, registered_by
from pipeline.ledger.ledger import Ledger
from pipeline.workspace import Workspace


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Workspace:
    return build_workspace(tmp_path_factory.mktemp("inspections") / "ws", weekly=False)


@pytest.fixture
def ws(built, tmp_path) -> Workspace:
    return copy_workspace(built, tmp_path / "ws")


@pytest.fixture
def client(ws):
    return desk(ws).test_client()


def post_report(client, url: str, **data):
    """A POST of the report form, with the token of the inspection's page (the form is on it)."""
    return client.post(url, data={"csrf_token": csrf_of(client, url.rsplit("/", 1)[0]), **data})


def inspections(ws) -> dict:
    with Ledger.open(ws.db_path) as led:
        return {i.id: i for i in load_inspections(led)}


def test_the_list_shows_the_report_deadline_and_the_items_found(client):
    p = page(client, "/inspections")
    row = " ".join(p.text)
    assert "JC2026-01" in p.text and INSPECTION in p.text
    assert "督查·专项督查" in p.text and "2026-10-30" in p.text and "未报送，已逾期" in p.text
    assert "/items?inspection=JC2026-01" in p.links and "登记检查" in row
    one = page(client, "/inspections/JC2026-01")
    assert item_ids(one) == ["2026-0005", "2026-0006"]
    assert "区住房城乡建设局" in one.plain and "尚未报送，已逾期" in one.plain and "测试员" in one.plain
    assert get(client, "/inspections/JC2026-09", 404)
    todo = page(client, "/todo")
    assert "检查报告待报送" in todo.plain and f"JC2026-01 {INSPECTION}" in todo.plain
    assert "报告应于 2026-10-30 前报送，已逾期" in todo.plain


def test_registering_an_inspection_is_checked_then_confirmed_with_the_operator(ws, client):
    before = state_dump(ws)
    assert page(client, "/inspections/new").forms
    r = post(client, "/inspections/new", name="", start="2026-11-31")
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "请选择检查类别" in text and "请填写检查名称" in text
    assert "开始日期“2026-11-31”不是日期" in text and "请填写结束日期" in text
    r = post(client, "/inspections/new", kind="巡查", name="第三轮巡查", start="2026-11-2", end="2026-11-13",
             units="区财政, 没有的局")
    assert r.status_code == 422 and "“没有的局”不是已登记的单位" in r.get_data(as_text=True)
    r = post(client, "/inspections/new", kind="巡查", form="现场督办", name="第三轮巡查", start="2026-11-2",
             end="2026-11-13")
    assert r.status_code == 422 and "督查方式 只用于督查" in r.get_data(as_text=True)
    r = post(client, "/inspections/new", kind="督查", name=INSPECTION, start="2026-11-2", end="2026-11-13")
    assert r.status_code == 422 and "已登记为 JC2026-01" in r.get_data(as_text=True)
    url = "/inspections/new"
    fields = {"kind": "巡查", "name": "2026年第三轮巡查 A&B<二期>", "start": "2026年11月2日", "end": "2026-11-13",
              "leader": "王副区长", "group": "第一巡查组", "units": "区财政局、区住房城乡建设局"}
    preview = post(client, url, **fields)
    assert "JC2026-02" in preview.get_data(as_text=True) and "2026-11-20 前报送" in preview.get_data(as_text=True)
    assert "A&amp;B&lt;二期&gt;" in preview.get_data(as_text=True)
    assert state_dump(ws) == before  # checked and shown, nothing written
    r = client.post(url, data=confirmation(preview, url))
    assert r.status_code == 303 and r.headers["Location"].endswith("/inspections/JC2026-02")
    added = inspections(ws)["JC2026-02"]
    assert added.name == "2026年第三轮巡查 A&B<二期>" and added.leader == "王副区长"
    assert added.units == ("区财政局", "区住房城乡建设局")
    with Ledger.open(ws.db_path) as led:
        assert registered_by(led, "JC2026-02")["operator"]  # the desk's operator (the OS user here)
    p = page(client, "/inspections/JC2026-02")
    assert "已登记巡查“2026年第三轮巡查 A&B<二期>”，编号 JC2026-02" in p.plain


def test_a_report_received_is_confirmed_then_recorded_and_the_cli_sees_it(ws, client, capsys):
    url = "/inspections/JC2026-01/report"
    before = state_dump(ws)
    r = post_report(client, url, on="2026-12-31")
    assert r.status_code == 422 and "是将来的日期" in r.get_data(as_text=True)
    r = post_report(client, url, on="2026-10-01")
    assert r.status_code == 422 and "早于检查开始日期" in r.get_data(as_text=True)
    r = post_report(client, url, on="12月1日")
    assert r.status_code == 422 and "不是日期" in r.get_data(as_text=True)
    preview = post_report(client, url, on="2026年12月2日")
    text = preview.get_data(as_text=True)
    assert "2026-12-02" in text and "逾期报送" in text and "确认登记" in text
    assert state_dump(ws) == before
    r = client.post(url, data=confirmation(preview, url))
    assert r.status_code == 303
    found = inspections(ws)["JC2026-01"]
    assert found.report_on.isoformat() == "2026-12-02"
    with Ledger.open(ws.db_path) as led:
        by = registered_by(led, "JC2026-01")
    assert by["report_operator"] and by["report_at"]
    p = page(client, "/inspections/JC2026-01")
    assert "2026-12-02 收到（逾期报送）" in p.plain and "已登记 JC2026-01" in p.plain
    assert "检查报告待报送" not in page(client, "/todo").plain
    assert main(["-C", str(ws.root), "inspection", "list", "--json", "--as-of", "2026-12-07"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["report_on"] == "2026-12-02" and listed[0]["report_late"] is True


def test_a_leader_sees_inspections_but_cannot_register(accounts):  # noqa: F811 - the fixture
    leader = desk(accounts, local=False).test_client()
    log_in(leader, "leader")
    p = page(leader, "/inspections/JC2026-01")
    assert "只读账户不能登记" in p.plain and "登记检查" not in page(leader, "/inspections").plain
    before = state_dump(accounts)
    token = next(f for f in p.forms if f["method"] == "post")["fields"]["csrf_token"]  # the logout form's
    for url, data in (("/inspections/JC2026-01/report", {"on": "2026-12-02"}),
                      ("/inspections/new", {"kind": "巡查", "name": "x", "start": "2026-11-2", "end": "2026-11-3"})):
        r = leader.post(url, data={"csrf_token": token, "confirmed": "1", **data})
        assert r.status_code == 403, url
    assert state_dump(accounts) == before


def test_the_ledger_filters_by_category_inspection_and_level(client):
    assert item_ids(page(client, "/items?inspection=JC2026-01")) == ["2026-0005", "2026-0006"]
    assert item_ids(page(client, "/items?inspection=jc2026-01")) == ["2026-0005", "2026-0006"]  # as people type it
    assert "共 0 项" in page(client, "/items?inspection=第三轮").plain  # not an id: nothing, not everything
    assert item_ids(page(client, "/items?category=审计整改")) == ["2026-0001"]
    assert "2026-0004" in item_ids(page(client, "/items?category=未填"))
    assert len(item_ids(page(client, "/items?level=own"))) == 6
    assert "共 0 项" in page(client, "/items?level=above").plain
    p = page(client, "/items")
    assert {"来源类别", "检查", "层级", "上级交办（有上级编号）", f"JC2026-01 {INSPECTION}"} <= set(p.text)


def test_the_footer_follows_a_renamed_office_without_a_restart(ws, client):
    assert "大观区人民政府办公室 · sancha 督查台帐" in page(client, "/").plain
    toml = ws.config_path.read_text(encoding="utf-8").replace("大观区人民政府办公室", "迎江区人民政府办公室")
    ws.config_path.write_text(toml + "\n", encoding="utf-8")  # a different size: seen as changed at once
    assert "迎江区人民政府办公室 · sancha 督查台帐" in page(client, "/units").plain
