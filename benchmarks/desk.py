"""The web desk and the bounded 看板 at city scale: 300 units, 50,000 items (benchmarks.weekly's ledger).

    python -m benchmarks.desk                      # server time of the 台帐 pages, 看板 size and open time
    python -m benchmarks.desk --repeat 20 --no-browser

Server time is measured inside the process through Flask's test client (the whole request: routing,
security checks, the ledger queries, the template; no network), median and worst of `--repeat`
requests after one warm-up. "cold" rows are the first request after the ledger changed (the state
cache recomputes every item's state). The 看板 is written by `write_dashboard` for the same
ledger and opened in headless Chromium (selenium on /usr/bin/chromedriver): its size, and the
navigation timing's loadEventEnd.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from .ingest import DEFAULT_WORKDIR
from .weekly import AS_OF, build

PAGES = [
    ("台帐 first page", "/items"),
    ("台帐 page 500", "/items?page=500"),
    ("台帐 text search", "/items?q=%E9%81%93%E8%B7%AF"),  # 道路
    ("台帐 id search", "/items?q=2026-25000"),
    ("台帐 unit filter", "/items?unit={unit}"),
    ("台帐 source + sort by deadline", "/items?source=%E5%AE%A1%E8%AE%A1&sort=deadline"),
    ("台帐 state 逾期 (states cached)", "/items?state=%E9%80%BE%E6%9C%9F"),
    ("台帐 report missing, by overdue days (cached)", "/items?missing=1&sort=overdue"),
    ("事项", "/items/2026-25000"),
    ("总览 (states cached)", "/"),
    ("单位", "/units/{unit}"),
]


def _time(client, url: str, repeat: int) -> tuple[float, float]:
    client.get(url)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        r = client.get(url)
        times.append(time.perf_counter() - started)
        assert r.status_code == 200, (url, r.status_code)
    return statistics.median(times), max(times)


def _cold(app, url: str, repeat: int) -> tuple[float, float]:
    """The first request after a change: the state cache is dropped before each one."""
    desk = app.extensions["sancha"]
    client = app.test_client()
    times = []
    for _ in range(repeat):
        desk.states._key = None
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def desk_figures(root: Path, repeat: int) -> list[dict]:
    from pipeline.service.web.app import create_app
    from pipeline.workspace import Workspace

    ws = Workspace(root)
    app = create_app(ws, today=lambda: AS_OF)
    client = app.test_client()
    unit = ws.config.unit_names[0]
    out = []
    for label, url in PAGES:
        url = url.format(unit=unit)
        median, worst = _time(client, url, repeat)
        out.append({"figure": label, "url": url, "median_ms": median * 1000, "max_ms": worst * 1000})
    for label, url in (("台帐 state 逾期, cold", "/items?state=%E9%80%BE%E6%9C%9F"), ("总览, cold", "/")):
        median, worst = _cold(app, url, max(3, repeat // 4))
        out.append({"figure": label, "url": url, "median_ms": median * 1000, "max_ms": worst * 1000})
    return out


def dashboard_figures(root: Path, browser: bool) -> dict:
    from pipeline.output.dashboard import write_dashboard
    from pipeline.workspace import Workspace

    started = time.perf_counter()
    path = write_dashboard(Workspace(root), AS_OF, root / "看板-bench.html")
    figures = {"write_s": time.perf_counter() - started, "bytes": path.stat().st_size}
    if browser:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from browser import chromium_driver, quit_driver

        driver = chromium_driver()
        try:
            loads = []
            driver.get(path.as_uri())
            for _ in range(5):
                driver.refresh()
                loads.append(driver.execute_script(
                    "return performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000)
            figures["open_s_median"] = statistics.median(loads)
            figures["open_s_max"] = max(loads)
        finally:
            quit_driver(driver)
    return figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.desk", description=__doc__.split("\n\n")[0])
    ap.add_argument("--units", type=int, default=300)
    ap.add_argument("--items", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    ap.add_argument("--no-browser", action="store_true", help="skip the 看板's open time in Chromium")
    ap.add_argument("--json", metavar="FILE", type=Path)
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    root = build(args.workdir, args.units, args.items, 0.4, args.seed)
    pages = desk_figures(root, args.repeat)
    print(f"web desk, {args.items} items, {args.units} units (server time per request)")
    for p in pages:
        print(f"  {p['figure']:<48} median {p['median_ms']:7.1f} ms   max {p['max_ms']:7.1f} ms")
    dash = dashboard_figures(root, not args.no_browser)
    print(f"看板.html: {dash['bytes'] / 2**20:.2f} MB, written in {dash['write_s']:.1f} s"
          + (f", opens in {dash['open_s_median']:.2f} s (max {dash['open_s_max']:.2f} s)" if "open_s_median" in dash
             else ""))
    if args.json:
        args.json.write_text(json.dumps({"pages": pages, "dashboard": dash}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
