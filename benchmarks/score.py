"""The year's evaluation on a city-scale ledger: `sancha score --year 2026` at 50,000 items.

    python -m benchmarks.score                       # 300 units, 50,000 items (cached), 3 runs
    python -m benchmarks.score --items 5000 --repeat 1

The ledger is benchmarks.city's (every item with ten events: registered, reports, changes,
extensions, closings, reopenings, look-backs), plus a weekly circular recorded for every Monday
of the year up to the ledger's day, as `sancha weekly` records them — with the units each
commended and criticised, which the score counts. `--old-circulars`: circulars written before
those were recorded, whose standing the score recomputes (the whole ledger on each one's day).
Each run is `sancha score --year 2026` (the 考核得分表 and the 考核结果通报 written) in a fresh
subprocess on a fresh copy of the workspace. Target: under 20 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from . import machine
from .ingest import DEFAULT_WORKDIR, PeakRSS, Runs, Timer, settle
from .weekly import AS_OF

TARGET = 20.0  # seconds


def add_circulars(root: Path, verdicts: bool) -> int:
    """A numbered weekly circular on every Monday from 5 January to the ledger's day; with
    `verdicts`, each with the units it commended and criticised as `sancha weekly` records them
    (from the standing of its day), else as a circular written before they were recorded."""
    from pipeline.deadlines.states import standing
    from pipeline.ledger import issued
    from pipeline.ledger.ledger import Ledger
    from pipeline.ledger.view import standing_on
    from pipeline.workspace import Workspace

    ws = Workspace(root)
    docs = []
    day, n = date(2026, 1, 5), 0
    with Ledger.open(ws.db_path) as ledger:
        while day <= AS_OF:
            n += 1
            week = f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}"
            verdict = None
            if verdicts:
                items, states = standing_on(ledger, ws.config, day)
                s = standing(ws.config, items, day, states)
                verdict = json.dumps({"commended": s.commended, "criticised": [c.unit for c in s.criticised]},
                                     ensure_ascii=False)
            docs.append(issued.WrittenDocument(f"outbox/{week}/{week}_督查通报.docx", "circular", f"circular {week}",
                                               f"观政办〔2026〕{n}号", "0" * 64, day, datetime(2026, 1, 1), verdict))
            day += timedelta(days=7)
        issued.record_written(ledger, docs)
    return n


def build(workdir: Path, units: int, items: int, seed: int, verdicts: bool = True) -> Path:
    """benchmarks.city's workspace with the year's circulars, built once and then reused."""
    import shutil

    from .city import build as city_build

    root = workdir / f"score-{units}u-{items}i-s{seed}{'' if verdicts else '-old'}"
    if (root / ".complete").exists():
        return root
    city = city_build(workdir, units, items, seed)
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(city, root, ignore=shutil.ignore_patterns(".complete"))
    count = add_circulars(root, verdicts)
    what = "with the units each named" if verdicts else "written before they recorded whom they named"
    (root / ".complete").write_text(f"{count} weekly circulars {what}")
    return root


def _child(ws_root: str) -> None:
    """In a fresh process: `sancha score --year 2026`; JSON figures on the last line."""
    from pipeline.cli import main

    with Timer() as t, PeakRSS() as peak:
        code = main(["-C", ws_root, "score", "--year", "2026"])
    assert code in (0, None), code
    sheet = next(Path(ws_root, "outbox").glob("*考核得分表.xlsx"))
    print(json.dumps({"wall": t.wall, "cpu_main": t.cpu, "peak_rss_main_mb": peak.own / 2**20,
                      "sheet_mb": sheet.stat().st_size / 2**20}))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.score", description=__doc__.split("\n\n")[0])
    ap.add_argument("--units", type=int, default=300)
    ap.add_argument("--items", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    ap.add_argument("--old-circulars", action="store_true",
                    help="circulars without their recorded verdicts (each one's standing recomputed)")
    ap.add_argument("--json", metavar="FILE", type=Path, help="also write the figures as JSON")
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._child:
        _child(args._child)
        return 0
    args.workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    root = build(args.workdir, args.units, args.items, args.seed, verdicts=not args.old_circulars)
    print(f"workspace {root.name} ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    runs = []
    with Runs(args.workdir, "score") as copies:  # removed after the last run, never between runs
        about = machine.describe(args.workdir)
        for k in range(args.repeat):
            run = copies.copy(root)
            settle()
            began = time.perf_counter()
            out = subprocess.run([sys.executable, "-m", "benchmarks.score", "--_child", str(run)],
                                 check=True, stdout=subprocess.PIPE, text=True)
            runs.append({**json.loads(out.stdout.strip().splitlines()[-1]), "process": time.perf_counter() - began})
            print(f"run {k + 1}/{args.repeat}: {runs[-1]['wall']:.1f} s", file=sys.stderr, flush=True)
    print(f"\n{machine.line(about)}")
    med = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    verdict = "OK" if med["wall"] < TARGET else "MISSED"
    print(f"sancha score --year 2026: {args.units} units, {args.items} items, "
          f"{(root / '.complete').read_text()}")
    print(f"time (median of {len(runs)}): {med['wall']:.1f} s (CPU {med['cpu_main']:.1f} s)   target < {TARGET:.0f} s"
          f"   {verdict}   runs: {' '.join(format(r['wall'], '.1f') for r in runs)}")
    print(f"the whole process (start-up and imports included): {med['process']:.1f} s")
    print(f"peak RSS {med['peak_rss_main_mb']:.0f} MB; 考核得分表 {med['sheet_mb']:.1f} MB")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "median": med, "machine": about}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
