"""The dashboard in a real browser: headless Chromium opens the file from disk (file://, no
server), runs its script without console errors, the filters hide and show rows, and a
screenshot and an A4 PDF are kept as artefacts.

Chromium is driven from its command line only (`--dump-dom`, `--screenshot`, `--print-to-pdf`),
so no Python dependency is needed. The page reads filter values from the address
(`看板.html#unit=区财政局&state=逾期`) through the same code the drop-downs use, which is how the
filtered DOM is observed. Console messages reach stderr through `--enable-logging=stderr`.
"""

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from dashboard_fixtures import HOSTILE_SOURCE, context, parse_html, row_cells

from pipeline.output.dashboard import render_dashboard

ARTIFACTS = Path(__file__).parent / "artifacts"
TIMEOUT = 60  # seconds per Chromium run; one run takes about one second


def find_chromium() -> str | None:
    for name in (os.environ.get("SANCHA_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not found (install the Debian package `chromium`, as .ci/run does, "
    "or set SANCHA_CHROMIUM); the dashboard's browser test is skipped",
)


@pytest.fixture(scope="module")
def page_url(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("dashboard") / "看板.html"
    path.write_text(render_dashboard(context()), encoding="utf-8")
    return path.as_uri()


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    assert CHROMIUM is not None  # the module is skipped without it
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
        f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def open_page(tmp_path: Path, url: str):
    """The page's DOM after its script ran, and what it wrote to the console."""
    run = chromium(tmp_path, "--virtual-time-budget=2000", "--dump-dom", url)
    assert run.returncode == 0, run.stderr[-2000:]
    return parse_html(run.stdout), console_messages(run.stderr)


def visible_items(doc, table_id="item-table") -> list[str]:
    rows = doc.by_id(table_id).body_rows()
    return [row_cells(tr)[0] for tr in rows if "data-unit" in tr.attrs and "hidden" not in tr.attrs]


def test_page_opens_from_disk_without_errors(tmp_path, page_url):
    doc, console = open_page(tmp_path, page_url)
    assert console == []
    errors = doc.by_id("js-errors")
    assert "hidden" in errors.attrs and errors.text() == ""
    assert "hidden" not in doc.by_id("filters").attrs  # the script ran and showed the filters
    assert doc.by_id("item-count").text() == "共 8 项"
    assert len(visible_items(doc)) == 8


@pytest.mark.parametrize(
    ("filters", "expected", "count"),
    [
        ({"unit": "区财政局"}, ["2026-0001", "2026-0002"], "筛选（单位：区财政局）后显示 2 项，共 8 项"),
        ({"state": "逾期"}, ["2026-0001", "2026-0008"], "筛选（状态：逾期）后显示 2 项，共 8 项"),
        ({"source": HOSTILE_SOURCE}, ["2026-0008"], f"筛选（问题来源：{HOSTILE_SOURCE}）后显示 1 项，共 8 项"),
        ({"unit": "区财政局", "state": "已完成"}, ["2026-0002"], "筛选（单位：区财政局；状态：已完成）后显示 1 项，共 8 项"),
    ],
)
def test_filters_change_what_is_visible(tmp_path, page_url, filters, expected, count):
    fragment = "&".join(f"{k}={quote(v, safe='')}" for k, v in filters.items())
    doc, console = open_page(tmp_path, f"{page_url}#{fragment}")
    assert console == []
    assert visible_items(doc) == expected
    assert doc.by_id("item-count").text() == count
    assert doc.find_all("body")[0].attrs["data-filtered"] == "yes"


def test_filters_reach_the_red_list_and_say_when_nothing_matches(tmp_path, page_url):
    doc, _ = open_page(tmp_path, f"{page_url}#unit={quote('区教育局')}")
    assert visible_items(doc, "key-table") == []
    empty = doc.by_id("key-table").find_all("tr", class_="empty-filter")[0]
    assert "hidden" not in empty.attrs
    doc, _ = open_page(tmp_path, f"{page_url}#unit={quote('区财政局')}")
    assert visible_items(doc, "key-table") == ["2026-0001"]


def test_screenshot_and_a4_pdf_for_the_artefacts(tmp_path, page_url):
    shot, pdf = tmp_path / "看板.png", tmp_path / "看板.pdf"
    run = chromium(tmp_path, "--hide-scrollbars", "--window-size=1280,2000", f"--screenshot={shot}", page_url)
    assert run.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", run.stderr[-2000:]
    run = chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page_url)
    assert run.returncode == 0 and pdf.read_bytes()[:5] == b"%PDF-", run.stderr[-2000:]
    ARTIFACTS.mkdir(exist_ok=True)
    for f in (shot, pdf):
        shutil.copy(f, ARTIFACTS / f.name)
