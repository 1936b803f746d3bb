"""The office's actions in the web desk through Flask's test client: a form per action, a
confirmation that shows the item's problem text and what will change, validation in Chinese,
the action done through the ledger's library functions with the logged-in operator, and 撤销
of the item's last action."""

from __future__ import annotations

from datetime import date

import pytest
from test_web_desk import Page, csrf_of, desk, get, page
from web_fixtures import PASSWORD, build_workspace, copy_workspace, state_dump

from pipeline.ledger.ledger import Ledger
from pipeline.service.web.accounts import ROLE_LEADER, ROLE_OFFICE, add_account
from pipeline.service.web.views.actions import FORMS
from pipeline.workspace import Workspace


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Workspace:
    return build_workspace(tmp_path_factory.mktemp("actions") / "ws", weekly=False)


@pytest.fixture
def ws(built, tmp_path) -> Workspace:
    return copy_workspace(built, tmp_path / "ws")


@pytest.fixture
def client(ws):
    return desk(ws).test_client()


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_of(client, url), **data})


def confirmation(response, url: str) -> dict:
    """The fields of the confirmation form a POST answered with."""
    assert response.status_code == 200, Page(response.get_data(as_text=True)).plain
    p = Page(response.get_data(as_text=True))
    return next(f for f in p.forms if f["method"] == "post" and f["action"] == url)["fields"]


def events(ws, item_id: str):
    with Ledger.open(ws.db_path) as led:
        return led.events(item_id)


def test_every_action_has_a_form_showing_the_items_problem_and_a_get_changes_nothing(ws, client):
    before = state_dump(ws)
    for name, form in FORMS.items():
        p = page(client, f"/items/2026-0002/actions/{name}")
        assert "非税收入缴库不及时" in p.plain and form.label in p.plain, name
        assert [f for f in p.forms if f["method"] == "post"], name
    assert state_dump(ws) == before
    item = page(client, "/items/2026-0002")
    assert {"销号", "延期", "回头看", "重开", "作废", "移交"} <= set(item.text)
    assert get(client, "/items/2026-0002/actions/delete", 404)
    assert get(client, "/items/2099-0001/actions/close", 404)


def test_an_extension_is_confirmed_with_the_problem_text_then_done_by_the_operator(ws, client):
    url = "/items/2026-0002/actions/extend"
    r = post(client, url, to="2027年4月30日", on="2026-12-7", note="项目调整，经批准延期")
    assert r.status_code == 200
    confirm = Page(r.get_data(as_text=True))
    assert "请确认" in confirm.plain and "非税收入缴库不及时" in confirm.plain
    assert "整改时限：2027年3月31日 → 2027年4月30日" in confirm.plain
    assert [e.kind for e in events(ws, "2026-0002")][-1] != "extend"  # nothing recorded yet
    fields = confirmation(r, url)
    assert fields["confirmed"] == "1" and fields["to"] == "2027年4月30日"
    r = client.post(url, data=fields)
    assert r.status_code == 303 and r.headers["Location"].endswith("/items/2026-0002")
    last = events(ws, "2026-0002")[-1]
    assert (last.kind, last.new, last.on, last.note) == ("extend", date(2027, 4, 30), date(2026, 12, 7),
                                                         "项目调整，经批准延期")
    assert last.operator  # the OS user on a local bind
    shown = page(client, "/items/2026-0002")
    assert "已延期" in shown.plain and "2027-04-30" in shown.plain  # the flash, the timeline


def test_validation_errors_are_chinese_on_the_form_and_nothing_is_recorded(ws, client):
    before = state_dump(ws)
    url = "/items/2026-0002/actions/extend"
    r = post(client, url, to="明年", on="", note="")
    assert r.status_code == 422
    p = Page(r.get_data(as_text=True))
    assert "新时限“明年”不是日期，请写成 2027-01-31 或 2027年1月31日" in p.plain and "请填写理由" in p.plain
    r = post(client, url, to="2027-01-31", note="x")  # earlier than the deadline: the library refuses
    assert r.status_code == 422 and "应晚于现时限" in r.get_data(as_text=True)
    r = post(client, "/items/2026-0001/actions/extend", to="2027-01-31", note="x")  # its deadline has passed
    text = Page(r.get_data(as_text=True)).plain
    assert r.status_code == 422 and "请勾选“逾期后批准”" in text and "--late" not in text
    r = post(client, "/items/2026-0002/actions/close", on="2026-12-08")  # a future day
    assert r.status_code == 422 and "将来的日期" in r.get_data(as_text=True)
    r = post(client, "/items/2026-0002/actions/reassign", unit="", note="x")
    assert r.status_code == 422 and "请填写接收单位" in r.get_data(as_text=True)
    assert state_dump(ws) == before


@pytest.mark.parametrize(("item_id", "name", "data", "kind"), [
    ("2026-0003", "close", {"note": "现场核实"}, "close"),
    ("2026-0003", "lookback", {"result": "反弹", "to": "2027-2-26", "note": "复查反弹"}, "lookback"),
    ("2026-0003", "reopen", {"to": "2027-2-26", "note": "重新整改"}, "reopen"),
    ("2026-0002", "void", {"note": "重复登记"}, "void"),
    ("2026-0002", "reassign", {"unit": "区审计局", "note": "职能调整"}, "reassign"),
    ("2026-0001", "close", {"force": "1", "note": "另案处理"}, "close"),
])
def test_each_action_goes_through_its_library_function(ws, client, item_id, name, data, kind):
    url = f"/items/{item_id}/actions/{name}"
    assert client.post(url, data=confirmation(post(client, url, **data), url)).status_code == 303
    assert events(ws, item_id)[-1].kind == kind


def test_undo_takes_back_the_last_action_and_the_timeline_shows_both(ws, client):
    url = "/items/2026-0002/actions/extend"
    client.post(url, data=confirmation(post(client, url, to="2027-04-30", note="批准"), url))
    item = page(client, "/items/2026-0002")
    assert any("撤销" in t and "延期" in t for t in item.text)  # the undo button names what it takes back
    undo = page(client, "/items/2026-0002/actions/undo")
    assert "将撤销：2026-12-07 的延期" in undo.plain
    r = post(client, "/items/2026-0002/actions/undo", note="录错了")
    confirm = Page(r.get_data(as_text=True))
    assert "整改时限：2027年4月30日 → 2027年3月31日" in confirm.plain
    fields = confirmation(r, "/items/2026-0002/actions/undo")
    assert client.post("/items/2026-0002/actions/undo", data=fields).status_code == 303
    assert [e.kind for e in events(ws, "2026-0002")][-2:] == ["extend", "undo"]
    item = page(client, "/items/2026-0002")
    assert "延期（已撤销）" in item.text and "撤销 2026-12-07 的延期：录错了" in item.text
    assert "2027-03-31" in item.plain
    assert not any(t.startswith("撤销 20") for t in item.text if "的" in t and "：" not in t)  # no second undo
    r = post(client, "/items/2026-0002/actions/undo")
    assert r.status_code == 422 and "已是一次撤销" in r.get_data(as_text=True)


@pytest.fixture
def accounts(ws):
    add_account(ws, "zhang", ROLE_OFFICE, PASSWORD)
    add_account(ws, "leader", ROLE_LEADER, PASSWORD)
    return ws


def log_in(client, name: str):
    token = csrf_of(client, "/login")
    assert client.post("/login", data={"csrf_token": token, "name": name, "password": PASSWORD}).status_code == 303


def test_with_accounts_the_operator_is_the_logged_in_clerk_and_a_leader_is_refused(accounts):
    client = desk(accounts, local=False).test_client()
    log_in(client, "zhang")
    url = "/items/2026-0002/actions/void"
    assert client.post(url, data=confirmation(post(client, url, note="重复登记"), url)).status_code == 303
    assert events(accounts, "2026-0002")[-1].operator == "zhang"

    leader = desk(accounts, local=False).test_client()
    log_in(leader, "leader")
    assert "办理" not in page(leader, "/items/2026-0003").plain
    before = state_dump(accounts)
    token = csrf_of(leader, "/items/2026-0003")  # the logout form's token: valid, and still refused
    r = leader.post("/items/2026-0003/actions/close", data={"csrf_token": token, "note": "x", "confirmed": "1"})
    assert r.status_code == 403 and "领导账号只能查看" in r.get_data(as_text=True)
    r = client.post("/items/2026-0003/actions/close", data={"note": "x", "confirmed": "1"})  # no token
    assert r.status_code == 403
    assert state_dump(accounts) == before


def test_a_unit_added_to_sancha_toml_while_the_desk_runs_is_on_its_pages(ws, client):
    assert "区数据资源局" not in page(client, "/units").plain
    good = ws.config_path.read_text(encoding="utf-8")
    ws.config_path.write_text(good + '\n[[units]]\nname = "区数据资源局"\n', encoding="utf-8")
    assert "区数据资源局" in page(client, "/units").plain
    assert "区数据资源局" in page(client, "/items/2026-0002/actions/reassign").text
    ws.config_path.write_text(good + "\n[[units]\n", encoding="utf-8")  # broken: the last good one stays
    assert "区数据资源局" in page(client, "/units").plain


def test_closing_from_the_desk_follows_close_requires_evidence(ws, client):
    ws.config_path.write_text(ws.config_path.read_text(encoding="utf-8") + "\n[rules]\nclose_requires_evidence = true\n",
                              encoding="utf-8")
    url = "/items/2026-0001/actions/close"  # not reported done, no 佐证材料: forced, with a reason
    r = post(client, url, force="1")
    text = Page(r.get_data(as_text=True)).plain
    assert r.status_code == 422 and "无佐证材料销号须写明理由" in text and "--note" not in text
    assert client.post(url, data=confirmation(post(client, url, note="另案核实", force="1"), url)).status_code == 303
    last = events(ws, "2026-0001")[-1]
    assert last.kind == "close" and last.data.get("no_evidence") is True


def test_an_item_is_reported_upward_and_its_answer_recorded_from_the_desk(ws, client):
    url = "/items/2026-0002/actions/escalate"
    r = post(client, url, to="区人民政府")  # no reason: the unit did not flag it 需上级协调
    assert r.status_code == 422 and "须写明需协调的问题和原因" in r.get_data(as_text=True)
    assert "--note" not in r.get_data(as_text=True)
    fields = confirmation(post(client, url, to="区人民政府", reason="涉及跨区用地，需区政府协调"), url)
    assert client.post(url, data=fields).status_code == 303
    [escalated] = [e for e in events(ws, "2026-0002") if e.kind == "escalate"]
    assert escalated.data == {"to": "区人民政府", "reason": "涉及跨区用地，需区政府协调"}
    answer = "/items/2026-0002/actions/answer"
    r = post(client, answer, answer="同意")  # neither a new deadline nor 办结
    assert r.status_code == 422 and "二者选一" in r.get_data(as_text=True) and "--to-date" not in r.get_data(as_text=True)
    fields = confirmation(post(client, answer, answer="由区自然资源局牵头", to_date="2027-1-29"), answer)
    assert client.post(answer, data=fields).status_code == 303
    last = events(ws, "2026-0002")[-1]
    assert (last.kind, last.new, last.data["answer"]) == ("answer", date(2027, 1, 29), "由区自然资源局牵头")
