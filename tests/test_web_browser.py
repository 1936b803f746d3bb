"""The web desk in a real Chromium, served by `sancha serve` itself on a loopback address other
than 127.0.0.1 (127.0.0.2), where accounts are required: log in, search, open an item, page,
filter, read it on a 390-px phone; and the safety rules with plain HTTP requests against the
running server (a forged POST, a 领导's POST, five wrong passwords, every GET changing nothing)."""

from __future__ import annotations

import http.cookiejar
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

import pytest
from browser import as_phone, chromium_driver, console_errors, pytestmark, quit_driver, scroll_width  # noqa: F401
from builders import data_row, submission_rows, xlsx_bytes
from web_fixtures import PASSWORD, RECEIVED, build_workspace, state_dump

from pipeline.ledger.ingest import ingest_inbox
from pipeline.service.web.accounts import ROLE_LEADER, ROLE_OFFICE, add_account

HOST = "127.0.0.2"
EXTRA = 110  # items of a third unit, so that the 台帐 has three pages


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    ws = build_workspace(tmp_path_factory.mktemp("served") / "ws", weekly=True)
    rows = [data_row(i, problem=f"第{i}项：重大项目前期工作推进缓慢", lead_unit="区发改委", deadline="2027-06-30")
            for i in range(1, EXTRA + 1)]
    (ws.inbox / "区发改委.xlsx").write_bytes(xlsx_bytes(submission_rows(*rows, unit="区发改委",
                                                                         report_date="2026年11月1日")))
    assert [r.verdict for r in ingest_inbox(ws, received=RECEIVED)] == ["accepted"]
    add_account(ws, "zhang", ROLE_OFFICE, PASSWORD)
    add_account(ws, "leader", ROLE_LEADER, PASSWORD)
    proc = subprocess.Popen([sys.executable, "-u", "-m", "pipeline.cli", "-C", str(ws.root), "serve", "--host", HOST,
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8")
    line = proc.stdout.readline()
    m = re.search(r"(http://\S+/)", line)
    if not m:
        proc.kill()
        pytest.fail(f"sancha serve did not start: {line}{proc.stderr.read()}")
    yield ws, m.group(1)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    assert not (ws.data / "serve.json").exists()  # the marker goes with the server


@pytest.fixture(scope="module")
def driver():
    d = chromium_driver()
    yield d
    quit_driver(d)


def log_in(driver, url: str, name: str = "zhang") -> None:
    from selenium.webdriver.common.by import By

    driver.get(url + "items")
    assert "/login" in driver.current_url
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    navigating(driver, driver.find_element(By.ID, "login-button").click)


def navigating(driver, action) -> None:
    """Do `action` (a click, a choice) and wait until the next page has replaced this one.

    The old page is marked with a script variable and the wait polls for a loaded page without
    it. Asking chromedriver about an element of a page being torn down (``staleness_of``) can
    fail with "Node with given id does not belong to the document" instead of reporting it stale,
    so no element of the old page is touched after the action.
    """
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("window.__sanchaOldPage = true;")
    action()

    def replaced(d) -> bool:
        return bool(d.execute_script("return window.__sanchaOldPage !== true && document.readyState === 'complete'"))

    WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,)).until(replaced)


def row_ids(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [tr.get_attribute("data-item") for tr in driver.find_elements(By.CSS_SELECTOR, "#item-table tbody tr[data-item]")]


def test_log_in_search_open_page_and_filter(served, driver):
    from selenium.webdriver.common.by import By

    _ws, url = served
    log_in(driver, url)
    assert driver.current_url == url + "items"  # back where the login began
    assert driver.find_element(By.ID, "operator").text == "zhang"
    assert driver.find_element(By.ID, "result-count").text.startswith(f"共 {6 + EXTRA} 项")

    box = driver.find_element(By.ID, "q")
    box.send_keys("拨付")
    navigating(driver, driver.find_element(By.ID, "search-button").click)
    assert row_ids(driver) == ["2026-0003"]
    navigating(driver, driver.find_element(By.LINK_TEXT, "2026-0003").click)
    assert driver.find_element(By.ID, "item-id").text == "2026-0003"
    assert "专项资金拨付滞后" in driver.find_element(By.ID, "item-problem").text

    driver.get(url + "items")
    first = row_ids(driver)
    assert len(first) == 50 and "第 1 / 3 页" in driver.find_element(By.ID, "result-count").text
    navigating(driver, driver.find_element(By.ID, "next-page").click)
    second = row_ids(driver)
    assert len(second) == 50 and not set(first) & set(second)
    assert "第 2 / 3 页" in driver.find_element(By.ID, "result-count").text

    # choosing a unit applies at once (desk.js); chosen as a user's change event does it, since
    # selenium's Select reads the element back after the click, when the next page is loading
    unit = driver.find_element(By.ID, "filter-unit")
    navigating(driver, lambda: driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'))", unit, "区住房城乡建设局"))
    assert "unit=" in driver.current_url
    assert row_ids(driver) == ["2026-0005", "2026-0006"]
    assert console_errors(driver) == []


def test_desk_pages_fit_a_phone_without_sideways_scrolling(served, driver):
    _ws, url = served
    driver.get(url)
    if "/login" in driver.current_url:
        log_in(driver, url)
    as_phone(driver)
    try:
        for path in ("", "todo", "items", "items/2026-0001", "items/2026-0001/actions/reassign", "units",
                     "units/区财政局", "files", "files/1", "inspections", "inspections/JC2026-01",
                     "inspections/new", "documents", "batch"):
            driver.get(url + path)
            assert scroll_width(driver) <= 390, path
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_log_in_search_open_an_item_extend_it_see_the_timeline_and_undo(served):
    from selenium.webdriver.common.by import By

    _ws, url = served
    driver = chromium_driver()  # a browser of its own: logged in afresh on the non-local bind
    try:
        log_in(driver, url)
        driver.find_element(By.ID, "q").send_keys("非税收入")
        navigating(driver, driver.find_element(By.ID, "search-button").click)
        assert row_ids(driver) == ["2026-0002"]
        navigating(driver, driver.find_element(By.LINK_TEXT, "2026-0002").click)
        navigating(driver, driver.find_element(By.ID, "act-extend").click)
        assert "非税收入缴库不及时" in driver.find_element(By.ID, "item-problem").text
        driver.find_element(By.ID, "f-to").send_keys("2027年4月30日")
        driver.find_element(By.ID, "f-note").send_keys("项目调整，经批准延期")
        navigating(driver, driver.find_element(By.ID, "action-next").click)
        preview = driver.find_element(By.ID, "preview").text
        assert "2026-0002（非税收入缴库不及时）" in preview and "2027年3月31日 → 2027年4月30日" in preview
        navigating(driver, driver.find_element(By.ID, "confirm-button").click)
        assert driver.current_url.endswith("/items/2026-0002")
        history = driver.find_element(By.ID, "history").text
        assert "延期" in history and "2027-04-30" in history and "督查室（zhang）" in history
        assert driver.find_element(By.CSS_SELECTOR, '[data-field="deadline"]').text == "2027-04-30"

        navigating(driver, driver.find_element(By.ID, "act-undo").click)
        assert "将撤销：" in driver.find_element(By.ID, "undo-target").text
        navigating(driver, driver.find_element(By.ID, "action-next").click)
        navigating(driver, driver.find_element(By.ID, "confirm-button").click)
        history = driver.find_element(By.ID, "history").text
        assert "延期（已撤销）" in history and "撤销" in history
        assert driver.find_element(By.CSS_SELECTOR, '[data-field="deadline"]').text == "2027-03-31"
        assert not driver.find_elements(By.ID, "act-undo")  # an undo is not undone
        assert console_errors(driver) == []
    finally:
        quit_driver(driver)


def test_open_the_inspections_and_register_a_late_report(served):
    from selenium.webdriver.common.by import By

    _ws, url = served
    driver = chromium_driver()
    try:
        log_in(driver, url)
        navigating(driver, driver.find_element(By.LINK_TEXT, "检查").click)
        assert "未报送，已逾期" in driver.find_element(By.ID, "inspection-table").text
        navigating(driver, driver.find_element(By.LINK_TEXT, "JC2026-01").click)
        assert row_ids(driver) == ["2026-0005", "2026-0006"]
        box = driver.find_element(By.ID, "f-on")
        box.clear()
        box.send_keys("2026年12月2日")
        navigating(driver, driver.find_element(By.ID, "report-next").click)
        assert "逾期报送" in driver.find_element(By.ID, "confirm").text
        navigating(driver, driver.find_element(By.ID, "confirm-button").click)
        assert driver.find_element(By.ID, "report-standing").text == "2026-12-02 收到（逾期报送），登记人 zhang"
        assert console_errors(driver) == []
    finally:
        quit_driver(driver)


# -- safety against the running server, with plain HTTP -----------------------------------------------


class _Forms(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.tokens, self.links = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") == "csrf_token":
            self.tokens.append(a.get("value"))
        if tag == "a" and (a.get("href") or "").startswith("/"):
            self.links.append(a["href"])


class Http:
    """A client with its own cookies that does not follow redirects."""

    def __init__(self, base: str):
        self.base = base
        jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kw):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path.lstrip("/"), body, timeout=30) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def token(self, path: str = "login") -> str:
        return _Forms(self.request(path)[1]).tokens[0]

    def log_in(self, name: str, password: str = PASSWORD) -> int:
        return self.request("login", {"csrf_token": self.token(), "name": name, "password": password})[0]


def test_a_forged_post_is_refused_by_the_server(served):
    ws, url = served
    c = Http(url)
    assert c.log_in("zhang") == 303
    before = state_dump(ws)
    status, body = c.request("batch/run", {"as_of": "2026-12-07"})
    assert status == 403 and "校验码" in body
    status, _ = Http(url).request("batch/run", {"as_of": "2026-12-07", "csrf_token": c.token("batch")})
    assert status == 403  # another client's token: no session, no token of its own
    assert state_dump(ws) == before


def test_a_leader_is_refused_every_action_by_the_server(served):
    _ws, url = served
    c = Http(url)
    assert c.log_in("leader") == 303
    assert c.request("items")[0] == 200
    status, body = c.request("batch/run", {"as_of": "2026-12-07", "csrf_token": c.token("items")})
    assert status == 403 and "领导账号只能查看" in body


def test_no_get_on_the_running_server_changes_anything(served):
    ws, url = served
    c = Http(url)
    assert c.log_in("zhang") == 303
    before = state_dump(ws)
    seen: set[str] = set()
    todo = ["/", "/todo", "/items", "/units", "/files", "/documents", "/batch", "/batch/status.json"]
    while todo and len(seen) < 150:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        status, body = c.request(path)
        assert status in (200, 302), (path, status)
        if body.lstrip()[:15].lower().startswith("<!doctype html"):  # not a downloaded .docx/.xlsx
            todo += [link for link in _Forms(body).links if link not in seen]
    assert len(seen) > 40
    assert state_dump(ws) == before


def test_five_wrong_passwords_are_slowed_down_by_the_server(served):
    """Last in this file: the address is locked afterwards, for every name."""
    ws, url = served
    c = Http(url)
    add_account(ws, "wu", ROLE_OFFICE, PASSWORD)
    codes = [c.log_in("wu", "not-the-password") for _ in range(5)]
    assert codes == [401] * 5
    status = c.log_in("wu")
    assert status == 429
