"""The offline 看板 stays bounded (issue 19 point 5): at 300 units and 50,000 items it is under
2 MB, lists the red list's first 200 rows instead of every item, tells the units apart by
severity band, opens in under 2 s in Chromium and fits a 390-px phone."""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest
from browser import as_phone, chromium_driver, console_errors, quit_driver, scroll_width
from browser import pytestmark as needs_browser
from dashboard_fixtures import parse_html

from benchmarks import generate
from benchmarks.weekly import AS_OF, _items
from pipeline.config import Config, Unit
from pipeline.deadlines.states import compute_states
from pipeline.deadlines.workdays import WorkCalendar
from pipeline.output.dashboard import FULL_LIST_MAX, KEY_LIMIT, dashboard_context, render_dashboard

UNITS, ITEMS = 300, 50_000
MAX_BYTES = 2 * 1024 * 1024
OPEN_SECONDS = 2.0


@pytest.fixture(scope="module")
def big_page(tmp_path_factory):
    units = generate.make_units(UNITS, 1)
    items = [item for item, _ in _items(units, ITEMS, 0.4, 1)]
    config = Config(office_name="大观区人民政府办公室", doc_prefix="观政办", cc=(), units=tuple(Unit(u.name) for u in units))
    states = compute_states(items, AS_OF, WorkCalendar(), config.rules)
    ctx = dashboard_context(config, items, states, AS_OF, [], desk_url="http://127.0.0.1:8765/")
    html = render_dashboard(ctx)
    path = tmp_path_factory.mktemp("big") / "看板.html"
    path.write_text(html, encoding="utf-8")
    return ctx, html, path


def test_fifty_thousand_items_make_a_page_under_two_megabytes(big_page):
    ctx, html, _ = big_page
    assert len(html.encode("utf-8")) < MAX_BYTES
    doc = parse_html(html)
    assert doc.find_all("table", id="item-table") == []  # not every item: the red list only
    assert f"台帐共 {ITEMS} 项" in doc.by_id("item-table-note").text()
    key_rows = [tr for tr in doc.by_id("key-table").body_rows() if "data-unit" in tr.attrs]
    assert len(key_rows) == KEY_LIMIT < ctx["key_total"]
    assert f"共 {ctx['key_total']} 项，按逾期工作日列出前 {KEY_LIMIT} 项" in doc.by_id("key-table").text()
    assert len(doc.by_id("unit-table").body_rows()) == UNITS


def test_the_red_list_keeps_the_most_overdue_first(big_page):
    ctx, _, _ = big_page
    days = [r["overdue_workdays"] for r in ctx["key_supervision"]]
    assert days == sorted(days, reverse=True)


def test_units_with_overdue_items_spread_over_severity_bands(big_page):
    ctx, _, _ = big_page
    bands = Counter(u["band"] for u in ctx["units"])
    red = [u for u in ctx["units"] if u["light"] == "red"]
    assert len(red) > UNITS // 3  # many units have something red …
    assert {u["band"] for u in red} == {1, 2, 3, 4}  # … and the bands still tell them apart
    assert bands[4] < bands[3] < bands[2] < bands[1]  # the worst band is the smallest
    by_share = sorted(red, key=lambda u: u["overdue"] / u["items"])
    assert [u["band"] for u in by_share] == sorted(u["band"] for u in by_share)  # worse share, never a lower band
    assert all(re.fullmatch(r"逾期\d+%", u["light_word"]) for u in red if u["overdue"])


def test_the_page_links_to_the_running_desk(big_page):
    _, html, _ = big_page
    doc = parse_html(html)
    assert doc.by_id("desk-link").attrs["href"] == "http://127.0.0.1:8765/"


def test_a_small_ledger_still_lists_every_item():
    from dashboard_fixtures import context

    ctx = context()
    assert ctx["full_list"] and len(ctx["items"]) == 8 <= FULL_LIST_MAX


@needs_browser
def test_it_opens_in_under_two_seconds_and_fits_a_phone(big_page):
    _, _, path = big_page
    driver = chromium_driver()
    try:
        driver.get(path.as_uri())  # a first load warms the browser up
        started = time.perf_counter()
        driver.get(path.as_uri() + "#")
        driver.refresh()
        wall = time.perf_counter() - started
        timing = driver.execute_script(
            "var t = performance.getEntriesByType('navigation')[0]; return [t.domContentLoadedEventEnd, t.loadEventEnd];")
        assert timing[1] / 1000 < OPEN_SECONDS, (timing, wall)
        assert console_errors(driver) == []
        assert driver.execute_script("return document.getElementById('js-errors').hidden") is True
        as_phone(driver)
        driver.get(path.as_uri())
        assert scroll_width(driver) <= 390
    finally:
        quit_driver(driver)


@needs_browser
def test_the_small_dashboard_fits_a_phone_too(tmp_path):
    from dashboard_fixtures import context

    path = tmp_path / "看板.html"
    path.write_text(render_dashboard(context()), encoding="utf-8")
    driver = chromium_driver()
    try:
        as_phone(driver)
        driver.get(path.as_uri())
        assert scroll_width(driver) <= 390
    finally:
        quit_driver(driver)
