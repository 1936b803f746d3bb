"""The web desk through Flask's test client: every page in Chinese, search, filters, paging, the
state as of a day, files and documents, offline, and the safety rules of issue 19 point 2
(CSRF, 领导 read-only, login limits, sessions, no change on GET, headers)."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from web_fixtures import EVIDENCE_PDF, HOSTILE, PASSWORD, TODAY, build_workspace, state_dump

from pipeline.cli import main
from pipeline.service.web.accounts import ROLE_LEADER, ROLE_OFFICE, add_account, load_accounts
from pipeline.service.web.app import create_app
from pipeline.service.web.security import LoginLimiter
from pipeline.workspace import Workspace


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Workspace:
    return build_workspace(tmp_path_factory.mktemp("desk") / "ws")


@pytest.fixture
def ws(built, tmp_path) -> Workspace:
    """A private copy of the built workspace (tests may change it)."""
    root = tmp_path / "desk-ws"
    shutil.copytree(built.root, root)
    return Workspace(root)


def desk(ws: Workspace, *, local: bool = True, **kw):
    app = create_app(ws, local=local, today=lambda: TODAY, batch_workers=1, **kw)
    app.testing = True
    return app


@pytest.fixture
def client(ws):
    return desk(ws).test_client()


class Page(HTMLParser):
    """Links, scripts, forms and text of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[str] = []
        self.scripts: list[dict] = []
        self.inline_scripts = 0
        self.style_attrs = 0
        self.handlers = 0
        self.forms: list[dict] = []
        self.text: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("href", "src", "action"):
            if a.get(key):
                self.links.append(a[key])
        if tag == "script":
            self.scripts.append(a)
            self._in_script = "src" not in a
        if "style" in a:
            self.style_attrs += 1
        self.handlers += sum(1 for k in a if k.startswith("on"))
        if tag == "form":
            self.forms.append({"method": a.get("method", "get").lower(), "action": a.get("action"), "fields": {}})
        if tag == "input" and self.forms:
            self.forms[-1]["fields"][a.get("name")] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1
        if data.strip():
            self.text.append(data.strip())

    @property
    def plain(self) -> str:
        return " ".join(self.text)


def get(client, url: str, status: int = 200):
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True)[:500])
    return r


def page(client, url: str) -> Page:
    return Page(get(client, url).get_data(as_text=True))


def csrf_of(client, url: str = "/batch") -> str:
    forms = [f for f in page(client, url).forms if f["method"] == "post"]
    return forms[0]["fields"]["csrf_token"]


def item_ids(p: Page) -> list[str]:
    return re.findall(r"\b20\d\d-\d{4}\b", " ".join(t for t in p.text if re.fullmatch(r"20\d\d-\d{4}", t)))


# -- the pages -------------------------------------------------------------------------------------


def sample_urls(ws: Workspace, client) -> dict[str, str]:
    """One URL for every GET route of the desk (a new route without one fails the test below)."""
    rel = next(p for p in ws.outbox.rglob("*督查通报*.docx")).relative_to(ws.outbox).as_posix()
    return {
        "overview.index": "/", "overview.todo": "/todo", "items.index": "/items?q=采购&state=逾期&sort=overdue",
        "items.detail": "/items/2026-0001?as_of=2026-11-01", "units.index": "/units",
        "units.detail": "/units/区财政局", "files.index": "/files?verdict=rejected", "files.detail": "/files/1",
        "files.archive": "/files/1/archive", "documents.documents_index": "/documents",
        "documents.document_open": f"/documents/open/{rel}", "documents.document_download": f"/documents/download/{rel}",
        "batch.index": "/batch", "batch.status": "/batch/status.json", "auth.login": "/login",
        "static": "/static/desk.css", "items.evidence": "/items/2026-0003/evidence/1",
        "actions.action_form": "/items/2026-0002/actions/extend",
        "inspections.index": "/inspections", "inspections.detail": "/inspections/JC2026-01",
        "inspections.new_form": "/inspections/new",
    }


def test_every_get_route_has_a_page_in_chinese_without_inline_script(ws, client):
    app = client.application
    urls = sample_urls(ws, client)
    routes = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    assert routes == set(urls), "a route without a sample URL: add it to sample_urls"
    for endpoint, url in urls.items():
        r = client.get(url)
        assert r.status_code in (200, 302), (url, r.status_code)
        if r.status_code == 200 and r.mimetype == "text/html" and endpoint != "documents.document_open":
            p = Page(r.get_data(as_text=True))
            assert p.inline_scripts == 0 and p.style_attrs == 0 and p.handlers == 0, url
            assert re.search(r"[\u4e00-\u9fff]", p.plain), url
            assert "Traceback" not in p.plain and "None" not in p.text and "False" not in p.text, url


def test_overview_shows_the_dashboard_figures_and_the_ranking(client):
    p = page(client, "/")
    assert "整改事项" in p.plain and "完成率" in p.plain and "各单位排名" in p.plain
    assert "区财政局" in p.plain and "区住房城乡建设局" in p.plain
    assert "逾期25%" in p.text and "逾期50%" in p.text  # 1 of 4 and 1 of 2 items overdue
    assert "2026-0001" in p.text  # overdue since 2026-11-10 with no report since: 重点督查


def test_pages_kept_between_requests_follow_a_change_of_the_ledger(ws, client):
    """总览, 单位 and the 台帐's filter choices are kept between requests (issue 20) until the
    ledger changes: an item voided and a file with a new 问题来源 show at the next request."""
    def finance_items() -> str:  # the 事项 cell of 区财政局's row on 单位
        texts = page(client, "/units").text
        return texts[texts.index("区财政局") + 1]

    assert "逾期25%" in page(client, "/").text and finance_items() == "4"
    assert "人大代表建议" not in page(client, "/items").text
    from pipeline.ledger import actions
    from pipeline.ledger.ledger import Ledger

    with Ledger.open(ws.db_path) as led:
        actions.void(led, "2026-0002", note="重复登记", on=TODAY, operator="测试", today=TODAY)
    assert "逾期33%" in page(client, "/").text and finance_items() == "3"  # 1 of 3 overdue now
    from builders import data_row, submission_rows, xlsx_bytes

    from pipeline.ledger.ingest import ingest_inbox

    (ws.inbox / "区财政局_新增.xlsx").write_bytes(xlsx_bytes(submission_rows(
        data_row(1, problem="代表建议办理不及时", deadline="2027-03-31", source="人大代表建议"),
        report_date="2026年12月7日")))
    assert [r.verdict for r in ingest_inbox(ws, received=TODAY)] == ["accepted"]
    assert "人大代表建议" in page(client, "/items").text and "人大建议" in page(client, "/items").text


def test_todo_lists_the_rejected_file_the_circular_and_items_awaiting_close(client):
    p = page(client, "/todo")
    assert "近两周退回的文件" in p.plain and "区审计局_有错误.xlsx" in p.plain
    assert "本周督查通报待签发" in p.plain and any("督查通报" in t and t.endswith(".docx") for t in p.text)
    assert "待销号核查" in p.plain and "专项资金拨付滞后" in p.plain
    assert "1 份" in p.text  # 专项资金拨付滞后's 佐证材料 (the fixture's, issue 23)


def test_search_by_text_and_by_id_as_people_type_it(client):
    assert item_ids(page(client, "/items?q=拨付")) == ["2026-0003"]
    assert item_ids(page(client, "/items?q=2026-3")) == ["2026-0003"]
    assert item_ids(page(client, "/items?q=不及时+采购")) == ["2026-0001"]
    assert "共 0 项" in page(client, "/items?q=没有这样的问题").plain
    p = page(client, "/items?q=" + "%25_")  # LIKE wildcards are text, not patterns
    assert "共 0 项" in p.plain


def test_filters_by_unit_state_source_overdue_and_report_missing(client):
    assert item_ids(page(client, "/items?unit=区住房城乡建设局")) == ["2026-0005", "2026-0006"]
    assert item_ids(page(client, "/items?overdue=1")) == ["2026-0001", "2026-0006"]
    assert item_ids(page(client, "/items?state=已完成")) == ["2026-0003"]
    assert item_ids(page(client, "/items?state=临期&state=长期坚持")) == ["2026-0004", "2026-0005"]
    assert item_ids(page(client, "/items?source=审计")) == ["2026-0001"]
    assert item_ids(page(client, "/items?source=未填")) == ["2026-0004"]
    # 0006 was reported after its deadline; 0004 (长期坚持) owes December's report from 12-07, its 5th working day
    assert item_ids(page(client, "/items?missing=1")) == ["2026-0001", "2026-0004"]
    assert item_ids(page(client, "/items?awaiting=1")) == ["2026-0003"]
    assert item_ids(page(client, "/items?unit=区财政局&overdue=1")) == ["2026-0001"]


def test_sorting_and_paging(ws, client):
    assert item_ids(page(client, "/items?sort=deadline")) == ["2026-0006", "2026-0001", "2026-0003", "2026-0005",
                                                               "2026-0002", "2026-0004"]
    assert item_ids(page(client, "/items?sort=id&desc=1"))[0] == "2026-0006"
    assert item_ids(page(client, "/items?sort=overdue"))[:2] == ["2026-0006", "2026-0001"]
    from pipeline.ledger.ledger import Ledger
    from pipeline.ledger.search import ItemQuery, search_items

    with Ledger.open(ws.db_path) as ledger:
        first = search_items(ledger, ItemQuery(per_page=4))
        second = search_items(ledger, ItemQuery(per_page=4, page=2))
        past_end = search_items(ledger, ItemQuery(per_page=4, page=99))
    assert (first.total, first.pages, [i.id for i in first.items]) == (6, 2, ["2026-0001", "2026-0002", "2026-0003",
                                                                            "2026-0004"])
    assert [i.id for i in second.items] == ["2026-0005", "2026-0006"]
    assert past_end.page == 2  # clamped to the last page


def test_item_page_has_every_field_the_state_as_of_a_day_and_the_history(client):
    p = page(client, "/items/2026-0001")
    assert "政府采购项目验收不及时" in p.plain and "逾期" in p.text and "审计" in p.text
    assert "牵头责任单位" in p.plain and "报送截止" in p.plain and "台帐记录" in p.plain and "登记" in p.text
    before = page(client, "/items/2026-0001?as_of=2026-11-05")
    assert "正常推进" in before.text or "临期" in before.text
    assert "逾期" not in before.text
    early = page(client, "/items/2026-0001?as_of=2026-10-31")
    assert "该事项尚未登记" in early.plain
    assert get(client, "/items/2026-0001?as_of=2026-13-01", 400)
    assert "台帐中没有编号 2099-0001" in get(client, "/items/2099-0001", 404).get_data(as_text=True)


def test_user_text_is_escaped_everywhere(client):
    for url in ("/items/2026-0001", "/items?q=采购", "/", "/units/区财政局"):
        html = get(client, url).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "A&amp;B&lt;二期&gt;" in html, url
        assert HOSTILE in Page(html).plain


def test_unit_page_lists_its_items_and_files(client):
    p = page(client, "/units/区财政局")
    assert item_ids(p) == ["2026-0001", "2026-0002", "2026-0003", "2026-0004"]
    assert "区财政局_三单.xlsx" in p.text
    assert get(client, "/units/不存在的单位", 404)


def test_file_pages_show_verdict_findings_receipt_and_the_archive_copy(ws, client):
    listing = page(client, "/files?verdict=rejected")
    assert "区审计局_有错误.xlsx" in listing.text and "区财政局_三单.xlsx" not in listing.text
    rejected = next(int(link.rsplit("/", 1)[1]) for link in listing.links if re.fullmatch(r"/files/\d+", link))
    p = page(client, f"/files/{rejected}")
    assert "退回" in p.text and "2026.13.01" in p.plain and "bad-deadline" in p.text
    assert "回执" in p.plain and any("退回" in t for t in p.text)
    accepted = page(client, "/files?verdict=accepted")
    file_id = next(int(link.rsplit("/", 1)[1]) for link in accepted.links if re.fullmatch(r"/files/\d+", link))
    r = get(client, f"/files/{file_id}/archive")
    assert "attachment" in r.headers["Content-Disposition"]
    names = {p.name: p for p in ws.archive.rglob("*.xlsx")}
    assert any(r.data == p.read_bytes() for p in names.values())


def test_documents_by_week_open_and_download_only_from_the_outbox(ws, client):
    p = page(client, "/documents")
    assert "2026-W50" in p.text
    links = [unquote(link) for link in p.links if link.startswith("/documents/download/")]
    assert any("督查通报" in link for link in links) and any("反馈表" in link for link in links)
    summary = next(link for link in p.links if link.startswith("/documents/open/") and "%E6%9C%AC%E5%91%A8" in link)
    r = get(client, summary)
    assert r.mimetype == "text/plain" and "督查批处理" in r.get_data(as_text=True)
    (ws.root / "secret.txt").write_text("不该被读到", encoding="utf-8")
    for bad in ("../sancha.toml", "..%2Fsancha.toml", "%2E%2E/secret.txt", "/etc/passwd", "..\\sancha.toml",
                "C:/Windows/win.ini", ".hidden", "2026-W50/../../secret.txt", "区财政局/../../data/users.json"):
        for kind in ("open", "download"):
            r = client.get(f"/documents/{kind}/{bad}", follow_redirects=True)
            assert r.status_code == 404, (bad, r.status_code)
            assert "不该被读到" not in r.get_data(as_text=True)
    link = ws.outbox / "外链.txt"
    link.symlink_to(ws.root / "secret.txt")
    assert client.get("/documents/open/外链.txt").status_code == 404


def test_the_dashboard_opens_sandboxed_from_documents(client):
    r = get(client, "/documents/open/看板.html")
    assert r.headers["Content-Security-Policy"].startswith("sandbox")


def test_nothing_served_refers_to_another_host(ws, client):
    """Crawl every page and asset the desk links to: no http(s) URL naming another host, no
    external script, style or font."""
    seen, todo, bodies = set(), ["/", *sample_urls(ws, client).values(), "/static/desk.js"], []
    while todo:
        url = todo.pop()
        path = urlsplit(url).path
        if url in seen or not path.startswith("/") or "/download/" in path or path.endswith("/archive"):
            continue
        seen.add(url)
        r = client.get(url)
        if r.status_code != 200:
            continue
        body = r.get_data(as_text=True) if r.mimetype.startswith("text/") or r.mimetype.endswith("json") else ""
        bodies.append((url, body))
        if r.mimetype == "text/html":
            todo += [link for link in Page(body).links if link.startswith("/") and link not in seen]
    assert len(seen) > 20
    for url, body in bodies:
        for ref in re.findall(r"https?://[^\s\"'<>)]+", body):
            assert urlsplit(ref).hostname in ("127.0.0.1", "localhost"), (url, ref)
        assert not re.search(r"@import|url\((?!data:)", body), url


# -- safety ----------------------------------------------------------------------------------------


def test_local_bind_without_accounts_needs_no_login_and_the_operator_is_the_os_user(client):
    from pipeline.service.web.app import os_user

    p = page(client, "/")
    assert os_user() in p.text and "督查室" in p.plain


def test_a_local_desk_answers_only_its_own_host_name(client):
    assert client.get("/", headers={"Host": "127.0.0.1:8765"}).status_code == 200
    r = client.get("/", headers={"Host": "evil.example:8765"})
    assert r.status_code == 403 and "本机模式" in r.get_data(as_text=True)


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(ws, client):
    before = state_dump(ws)
    for data in ({}, {"csrf_token": "forged"}, {"csrf_token": ""}):
        r = client.post("/batch/run", data={"as_of": "2026-12-07", **data})
        assert r.status_code == 403 and "校验码" in r.get_data(as_text=True)
    assert client.application.extensions["sancha"].batch.status.state == "idle"
    assert state_dump(ws) == before


def test_every_post_route_checks_the_token(ws, client):
    posts = [r.rule for r in client.application.url_map.iter_rules() if "POST" in r.methods]
    assert sorted(posts) == ["/batch/run", "/inspections/<inspection_id>/report", "/inspections/new",
                             "/items/<item_id>/actions/<name>", "/login", "/logout"]
    for rule in posts:
        assert client.post(rule, data={}).status_code == 403, rule


def test_the_batch_runs_from_the_page_once_at_a_time_with_its_summary(ws, client):
    token = csrf_of(client)
    r = client.post("/batch/run", data={"csrf_token": token, "as_of": "2026-12-14"})
    assert r.status_code == 303
    runner = client.application.extensions["sancha"].batch
    status = runner.wait(120)
    assert status.state == "done", status.error
    assert status.operator and "2026年第51周督查批处理" in status.summary
    assert any("2026-W51" in f for f in status.files)
    p = page(client, "/batch")
    assert "2026年第51周督查批处理" in p.plain and "已完成" in p.plain
    assert get(client, "/batch/status.json").json["state"] == "done"


def test_no_get_route_changes_anything(ws):
    app = desk(ws)
    client = app.test_client()
    urls = list(sample_urls(ws, client).values())
    before = state_dump(ws)
    for url in urls:
        client.get(url)
        client.head(url)
    assert state_dump(ws) == before


@pytest.fixture
def accounts(ws):
    add_account(ws, "zhang", ROLE_OFFICE, PASSWORD)
    add_account(ws, "李领导", ROLE_LEADER, PASSWORD)
    return ws


def login(client, name: str, password: str = PASSWORD):
    token = csrf_of(client, "/login")
    return client.post("/login", data={"csrf_token": token, "name": name, "password": password, "next": "/items"})


def test_with_accounts_every_page_needs_a_login(accounts):
    client = desk(accounts, local=False).test_client()
    for url in ("/", "/items", "/items/2026-0001", "/files/1/archive", "/batch/status.json", "/documents"):
        r = client.get(url)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login"), url
    assert client.get("/static/desk.css").status_code == 200
    r = login(client, "zhang")
    assert r.status_code == 303 and r.headers["Location"] == "/items"
    p = page(client, "/")
    assert "zhang" in p.text


def test_session_cookie_is_signed_httponly_samesite_strict_and_expires(accounts):
    client = desk(accounts, local=False).test_client()
    r = login(client, "zhang")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Expires=" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    client.set_cookie("sancha_session", value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    assert client.get("/").status_code == 302  # a tampered cookie is no session


def test_a_wrong_password_is_refused_in_chinese(accounts):
    client = desk(accounts, local=False).test_client()
    r = login(client, "zhang", "wrong-password")
    assert r.status_code == 401 and "用户名或密码不正确" in r.get_data(as_text=True)
    r = login(client, "nobody", "wrong-password")
    assert r.status_code == 401 and "用户名或密码不正确" in r.get_data(as_text=True)


def test_five_wrong_passwords_lock_the_name_and_the_address_for_a_while(accounts):
    app = desk(accounts, local=False, limiter=LoginLimiter(lockout=300))
    client = app.test_client()
    for _ in range(5):
        assert login(client, "zhang", "wrong-password").status_code == 401
    r = login(client, "zhang")  # the right password, but locked
    assert r.status_code == 429 and "登录失败次数过多" in r.get_data(as_text=True) and "分钟后再试" in r.get_data(as_text=True)
    other = app.test_client()
    assert login(other, "李领导").status_code == 429  # the same address is locked too
    assert other.get("/").status_code == 302


def test_the_lock_ends_after_its_time(accounts):
    client = desk(accounts, local=False, limiter=LoginLimiter(lockout=0.2)).test_client()
    for _ in range(5):
        login(client, "zhang", "wrong-password")
    assert login(client, "zhang").status_code == 429
    import time

    time.sleep(0.3)
    assert login(client, "zhang").status_code == 303


def test_a_leader_reads_everything_and_can_do_nothing(accounts):
    client = desk(accounts, local=False).test_client()
    assert login(client, "李领导").status_code == 303
    for url in ("/", "/items", "/items/2026-0001", "/documents", "/batch"):
        assert get(client, url)
    p = page(client, "/batch")
    assert "只读" in p.plain and not any(f["action"] == "/batch/run" for f in p.forms)
    token = csrf_of(client, "/items")  # the logout form's token: valid, and still refused
    before = state_dump(accounts)
    r = client.post("/batch/run", data={"csrf_token": token, "as_of": "2026-12-07"})
    assert r.status_code == 403 and "领导账号只能查看" in r.get_data(as_text=True)
    assert client.application.extensions["sancha"].batch.status.state == "idle"
    assert state_dump(accounts) == before
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303  # logging out is allowed


def test_removing_or_re_adding_an_account_ends_its_sessions(accounts):
    from pipeline.service.web.accounts import remove_account

    client = desk(accounts, local=False).test_client()
    login(client, "zhang")
    assert client.get("/").status_code == 200
    add_account(accounts, "zhang", ROLE_OFFICE, "a-new-password-1")
    assert client.get("/").status_code == 302
    login(client, "zhang", "a-new-password-1")
    assert client.get("/").status_code == 200
    remove_account(accounts, "zhang")
    assert client.get("/").status_code == 302


def test_logging_in_gives_a_new_csrf_token_and_next_stays_on_the_desk(accounts):
    client = desk(accounts, local=False).test_client()
    before = csrf_of(client, "/login")
    token = before
    r = client.post("/login", data={"csrf_token": token, "name": "zhang", "password": PASSWORD,
                                    "next": "//evil.example/x"})
    assert r.headers["Location"] == "/"
    assert csrf_of(client, "/batch") != before


def test_security_headers_on_every_response(ws, client):
    for url in sample_urls(ws, client).values():
        h = client.get(url).headers
        assert h["X-Frame-Options"] == "DENY" and h["X-Content-Type-Options"] == "nosniff", url
        csp = h["Content-Security-Policy"]
        assert "unsafe-inline" not in csp or csp.startswith("sandbox"), url
        if not url.startswith("/static/"):
            assert h["Cache-Control"] == "no-store", url
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp


# -- the commands ----------------------------------------------------------------------------------


def test_user_add_list_remove_keep_hashed_passwords_in_data_not_in_the_config(ws, capsys, monkeypatch):
    import io

    def cli(*args):
        capsys.readouterr()
        code = main(["-C", str(ws.root), *args])
        out, err = capsys.readouterr()
        return code, out, err

    toml = ws.config_path.read_text(encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, err = cli("user", "add", "wang", "--role", "督查室")
    assert code == 0, err
    assert "已添加账号 wang（督查室）" in out
    stored = (ws.data / "users.json").read_text(encoding="utf-8")
    assert PASSWORD not in stored and "scrypt$" in stored
    assert ws.config_path.read_text(encoding="utf-8") == toml
    assert load_accounts(ws)["wang"].role == "督查室"
    code, out, _ = cli("user", "list")
    assert code == 0 and re.search(r"wang\s+督查室", out)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, _, err = cli("user", "add", "wang", "--role", "局长")
    assert code == 2 and "角色 “局长” 不存在" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = cli("user", "add", "zhao", "--role", "领导")
    assert code == 2 and "密码太短" in err
    code, _, err = cli("user", "remove", "wang")
    assert code == 0 and "已删除账号 wang" in err
    code, _, err = cli("user", "remove", "wang")
    assert code == 1 and "没有用户 “wang”" in err


def test_serve_refuses_another_address_without_accounts(ws, capsys):
    code = main(["-C", str(ws.root), "serve", "--host", "0.0.0.0", "--port", "0"])
    err = capsys.readouterr().err
    assert code == 2 and "需要先添加账号" in err and "sancha user add" in err


def test_a_port_in_use_is_a_clear_message(ws, capsys):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    try:
        code = main(["-C", str(ws.root), "serve", "--port", str(s.getsockname()[1])])
    finally:
        s.close()
    assert code == 2 and "无法在 127.0.0.1" in capsys.readouterr().err


def test_pages_are_templates_shipped_in_the_package():
    import pipeline.service.web as web

    root = Path(web.__file__).parent
    assert (root / "templates" / "base.html").is_file() and (root / "static" / "desk.js").is_file()
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"pipeline.service.web" = ["templates/*", "static/*"]' in pyproject


def test_item_page_lists_its_evidence_and_serves_the_archived_bytes_as_a_download(ws):
    # issue 23: a photo of 2026-0001 from 区财政局's folder; 'GET only, the archived bytes'
    photo = b"\xff\xd8\xff\xe0" + bytes(range(256)) + b"\xff\xd9"
    (ws.inbox / "区财政局").mkdir(parents=True, exist_ok=True)
    (ws.inbox / "区财政局" / "2026-0001_整改照片<1>.jpg").write_bytes(photo)
    assert main(["-C", str(ws.root), "ingest", "--as-of", "2026-12-02"]) == 0
    client = desk(ws).test_client()
    p = page(client, "/items/2026-0001")
    assert "佐证材料" in p.plain and "2026-0001_整改照片<1>.jpg" in p.plain
    # the list; the history's evidence event (its file, and its source); the files touching the item
    assert p.plain.count("2026-0001_整改照片<1>.jpg") == 4
    link = next(a for a in p.links if "/evidence/" in a)
    assert link == "/items/2026-0001/evidence/1"
    r = get(client, link)
    assert r.data == photo and r.mimetype == "application/octet-stream"
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert client.post(link).status_code in (400, 403, 405)  # nothing but GET
    get(client, "/items/2026-0001/evidence/2", 404)
    assert "尚未收到佐证材料" in page(client, "/items/2026-0002").plain
    assert get(client, "/items/2026-0003/evidence/1").data == EVIDENCE_PDF  # the fixture's, from 区财政局
