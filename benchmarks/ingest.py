"""Ingest speed against the reading limit, on the same generated files.

    python -m benchmarks.ingest                       # 600 files × 50 rows, 3 repeats
    python -m benchmarks.ingest --files 100 --repeat 5
    python -m benchmarks.ingest --workers 0           # sancha parsing serially, in its own process
    python -m benchmarks.ingest --ledger-items 200000 # onto a ledger that already holds 200,000 items
    python -m benchmarks.ingest --memory              # one sheet of 200,000 rows: peak RSS
    python -m benchmarks.ingest --profile prof.html   # one sancha run under pyinstrument

Each repeat measures, in turn (so background load hits all three alike):
  (a) raw read  — python-calamine, every cell of every sheet of every file (the floor);
  (b) pandas    — `pandas.read_excel(path, sheet_name=None, engine="openpyxl")` per file, what an
                  office script would do (every sheet, like the two others);
  (c) sancha    — `pipeline.ledger.ingest.ingest_inbox` on a fresh copy of the workspace: hashing,
                  reading, checking, merging into the ledger, archive, receipts, inbox cleanup.
Times are wall clock and CPU seconds (of all processes: sancha's parse workers count); medians over
the repeats; targets: sancha ≤ 3× raw read and ≤ 1/4 of the pandas loop. Generated workspaces are
cached under --workdir.

No mass deletion right before a timed run (issue 20): each repeat ingests its own copy
(`run-1`, `run-2`, …) and the copies are removed only after the last repeat — on ext4 without a
journal, creating files right after thousands of deletions costs the kernel ~14× more, which
measured the machine, not sancha. Copies a killed run left behind are removed at the start,
before anything is timed, followed by a sync and a pause. The machine, its load and the
filesystem's journal state are printed with the figures (`benchmarks.machine`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

from . import generate, machine
from .cpu import descendants_cpu

DEFAULT_WORKDIR = Path("/tmp/sancha-bench")


def pristine(workdir: Path, units: int, files: int, rows: int, seed: int, big_rows: int = 0) -> Path:
    """The generated workspace for these parameters, generated once and then reused."""
    # -g2: files of the generator since 需上级协调 rows say why (the cached -s1 ones had 30 sent back)
    name = f"big-{big_rows}-s{seed}" if big_rows else f"ws-{units}u-{files}f-{rows}r-s{seed}-g2"
    root = workdir / name
    if (root / ".complete").exists():
        return root
    if root.exists():
        shutil.rmtree(root)
    started = time.perf_counter()
    print(f"generating {name} …", file=sys.stderr, flush=True)
    if big_rows:
        generate.generate_big(root, big_rows, seed)
    else:
        generate.generate(root, units, files, rows, seed)
    (root / ".complete").write_text("ok")
    print(f"  generated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return root


def inbox_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "inbox").rglob("*.xlsx"))


class Runs:
    """Fresh copies of a workspace for timed runs, removed together at the end (never between
    runs: see the module docstring). Leftovers of an earlier, killed invocation are removed on
    entry, then written out and given a moment before anything is timed."""

    def __init__(self, workdir: Path, prefix: str):
        self.base = workdir / f"{prefix}-runs"
        self.made: list[Path] = []

    def __enter__(self) -> Runs:
        if self.base.exists():
            shutil.rmtree(self.base)
            settle()
            time.sleep(2)
        self.base.mkdir(parents=True)
        return self

    def copy(self, root: Path) -> Path:
        dest = fresh_copy(root, self.base / f"run-{len(self.made) + 1}")
        self.made.append(dest)
        return dest

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


def fresh_copy(root: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(root, dest, ignore=shutil.ignore_patterns(".complete"))  # copy2 keeps mtimes
    return dest


def settle() -> None:
    """The fresh copy written out before timing: its 9 MB would otherwise be flushed by the
    kernel's writeback threads during sancha's run, on the same two cores, which the raw read
    and the pandas loop (they only read) never pay."""
    if hasattr(os, "sync"):
        os.sync()


class Timer:
    """Wall time, CPU time of this process (`main_cpu`) and of it with its descendants (`cpu`)."""

    def __enter__(self):
        self.wall, self.main_cpu, self._others = time.perf_counter(), time.process_time(), descendants_cpu()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.main_cpu = time.process_time() - self.main_cpu
        self.cpu = self.main_cpu + descendants_cpu() - self._others


class PeakRSS:
    """Samples the resident memory of this process and of all its children every 50 ms
    (ru_maxrss is no use in a child process: Linux carries it over from the parent across exec)."""

    def __init__(self):
        import psutil

        self.me, self.error = psutil.Process(), psutil.Error
        self.own = self.worker = self.total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            try:
                own = self.me.memory_info().rss
                workers = [c.memory_info().rss for c in self.me.children(recursive=True)]
            except self.error:
                workers, own = [], 0
            self.own, self.worker = max(self.own, own), max(self.worker, *workers, 0)
            self.total = max(self.total, own + sum(workers))
            if self._stop.wait(0.05):
                return

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------------------------- the three runs

def raw_read(files: list[Path]) -> int:
    """Every cell of every sheet through python-calamine; returns the number of non-empty cells."""
    from python_calamine import CalamineWorkbook

    n = 0
    for path in files:
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False):
                for v in row:
                    if v != "":
                        n += 1
    return n


def pandas_loop(files: list[Path]) -> int:
    import pandas as pd

    n = 0
    for path in files:
        for df in pd.read_excel(path, sheet_name=None, engine="openpyxl").values():
            n += int(df.notna().to_numpy().sum())
    return n


def sancha_ingest(ws_root: Path, as_of: date, workers: int | None = None) -> dict:
    from pipeline.ledger.inbox import waiting_files
    from pipeline.ledger.ingest import ingest_paths
    from pipeline.workspace import Workspace

    ws = Workspace(ws_root)
    ws.ensure()
    results = ingest_paths(ws, waiting_files(ws), as_of, workers=workers)
    verdicts: dict[str, int] = {}
    for r in results:
        verdicts[r.verdict] = verdicts.get(r.verdict, 0) + 1
    return {"files": len(results), "verdicts": verdicts,
            "added": sum(len(r.added) for r in results), "updated": sum(len(r.updated) for r in results)}


# ---------------------------------------------------------------------------------- reporting

def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def _fmt(xs: list[float]) -> str:
    return " ".join(f"{x:6.2f}" for x in xs)


def run_speed(args) -> dict:
    root = pristine(args.workdir, args.units, args.files, args.rows, args.seed)
    files = inbox_files(root)
    import pandas  # noqa: F401 - import cost is not part of the loop
    import python_calamine  # noqa: F401

    import pipeline.ledger.ingest  # noqa: F401

    times: dict[str, dict[str, list[float]]] = {k: {"wall": [], "cpu": []} for k in ("raw", "pandas", "sancha")}
    info = {}
    main_cpu: list[float] = []
    base_ledger = None
    if args.ledger_items:  # the files land on a city's ledger (benchmarks.city) instead of an empty one
        from .city import build as city_build

        base_ledger = city_build(args.workdir, 300, args.ledger_items, args.seed) / "data" / "ledger.sqlite"
    with Runs(args.workdir, "ingest") as runs:  # the copies are removed after the last timed run
        about = machine.describe(args.workdir)
        for k in range(args.repeat):
            with Timer() as t:
                cells = raw_read(files)
            times["raw"]["wall"].append(t.wall)
            times["raw"]["cpu"].append(t.cpu)
            if not args.skip_pandas:
                with Timer() as t:
                    pandas_loop(files)
                times["pandas"]["wall"].append(t.wall)
                times["pandas"]["cpu"].append(t.cpu)
            run = runs.copy(root)
            if base_ledger:
                (run / "data").mkdir(exist_ok=True)
                shutil.copy2(base_ledger, run / "data" / "ledger.sqlite")
            settle()
            with Timer() as t:
                info = sancha_ingest(run, generate.DEFAULT_AS_OF, args.workers)
            times["sancha"]["wall"].append(t.wall)
            times["sancha"]["cpu"].append(t.cpu)
            main_cpu.append(t.main_cpu)
            print(f"repeat {k + 1}/{args.repeat}: raw {times['raw']['wall'][-1]:.2f} s, "
                  + (f"pandas {times['pandas']['wall'][-1]:.2f} s, " if not args.skip_pandas else "")
                  + f"sancha {times['sancha']['wall'][-1]:.2f} s", file=sys.stderr, flush=True)

    med = {k: {m: _median(v[m]) for m in ("wall", "cpu")} for k, v in times.items()}
    print(f"\n{machine.line(about)}")
    print(f"{len(files)} files × {args.rows} rows ({cells} non-empty cells), {args.units} units; "
          f"sancha: {info['verdicts']}, {info['added']} items added, {info['updated']} updated")
    print(f"{'':8} {'median wall':>12} {'median cpu':>11}   {'ms/file':>8}   runs (wall s)")
    for name in ("raw", "pandas", "sancha"):
        if times[name]["wall"]:
            print(f"{name:8} {med[name]['wall']:10.2f} s {med[name]['cpu']:9.2f} s   "
                  f"{med[name]['wall'] / len(files) * 1000:8.1f}   {_fmt(times[name]['wall'])}")
    print(f"(cpu: all processes, sancha's parse workers included; sancha's own process alone: "
          f"{_median(main_cpu):.2f} s)")
    ratios = {}
    for m in ("wall", "cpu"):
        ratios[f"sancha/raw ({m})"] = (med["sancha"][m] / med["raw"][m], 3.0, "≤")
        if times["pandas"][m]:
            ratios[f"sancha/pandas ({m})"] = (med["sancha"][m] / med["pandas"][m], 0.25, "≤")
    print()
    for name, (value, target, _) in ratios.items():
        print(f"{name:22} {value:6.2f}   target ≤ {target:g}   {'OK' if value <= target else 'MISSED'}")
    return {"files": len(files), "rows": args.rows, "cells": cells, "info": info, "times": times,
            "sancha_main_cpu": main_cpu, "median": med, "ratios": {k: v[0] for k, v in ratios.items()},
            "machine": about}


# ---------------------------------------------------------------------------------- memory

def _child_big(ws_src: str, dest: str) -> None:
    """Runs in a subprocess: ingest the big workspace, print JSON with peak RSS."""
    import psutil

    import pipeline.ledger.ingest  # noqa: F401

    base = psutil.Process().memory_info().rss
    run = fresh_copy(Path(ws_src), Path(dest))  # removed by the parent after the last run
    settle()
    with Timer() as t, PeakRSS() as peak:
        info = sancha_ingest(run, generate.DEFAULT_AS_OF)
    print(json.dumps({"wall": t.wall, "cpu": t.cpu, "peak_rss_mb": peak.total / 2**20, "after_imports_mb": base / 2**20,
                      **info}))


def run_memory(args) -> dict:
    root = pristine(args.workdir, 0, 0, 0, args.seed, big_rows=args.big_rows)
    size = sum(p.stat().st_size for p in inbox_files(root)) / 1e6
    runs = []
    with Runs(args.workdir, "memory") as copies:
        about = machine.describe(args.workdir)
        for k in range(args.memory_repeat):
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.ingest", "--_child-big", str(root),
                 str(copies.base / f"run-{k + 1}")],
                check=True, capture_output=True, text=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"memory run {k + 1}: {runs[-1]['wall']:.1f} s, peak RSS {runs[-1]['peak_rss_mb']:.0f} MB",
                  file=sys.stderr, flush=True)
    print(f"\n{machine.line(about)}")
    peak = _median([r["peak_rss_mb"] for r in runs])
    wall = _median([r["wall"] for r in runs])
    print(f"one sheet of {args.big_rows} rows ({size:.1f} MB xlsx): {runs[-1]['verdicts']}, "
          f"{runs[-1]['added']} items added")
    print(f"ingest {wall:.1f} s wall (median of {len(runs)}), peak RSS {peak:.0f} MB "
          f"(after imports {runs[-1]['after_imports_mb']:.0f} MB)   target < 400 MB   "
          f"{'OK' if peak < 400 else 'MISSED'}")
    return {"rows": args.big_rows, "xlsx_mb": size, "runs": runs, "median_peak_rss_mb": peak, "median_wall": wall,
            "machine": about}


# ---------------------------------------------------------------------------------- profile

def run_profile(args) -> None:
    from pyinstrument import Profiler

    root = pristine(args.workdir, args.units, args.files, args.rows, args.seed)
    run = fresh_copy(root, args.workdir / "run-profile")
    import pipeline.ledger.ingest  # noqa: F401

    profiler = Profiler(interval=0.001)
    profiler.start()
    sancha_ingest(run, generate.DEFAULT_AS_OF)
    profiler.stop()
    shutil.rmtree(run)
    out = Path(args.profile)
    if out.suffix == ".html":
        out.write_text(profiler.output_html(), encoding="utf-8")
    else:
        out.write_text(profiler.output_text(unicode=True, show_all=False), encoding="utf-8")
    print(profiler.output_text(unicode=True))
    print(f"profile written to {out}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.ingest", description=__doc__.split("\n\n")[0])
    ap.add_argument("--units", type=int, default=60)
    ap.add_argument("--files", type=int, default=600)
    ap.add_argument("--rows", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="generated workspaces are cached here")
    ap.add_argument("--skip-pandas", action="store_true", help="leave out the (slow) pandas loop")
    ap.add_argument("--workers", type=int, default=None,
                    help="sancha's parse worker processes (default: as `sancha ingest` chooses; 0: parse serially)")
    ap.add_argument("--ledger-items", type=int, default=0,
                    help="ingest onto benchmarks.city's ledger of this many items (e.g. 200000), not an empty one")
    ap.add_argument("--memory", action="store_true", help="instead: peak RSS ingesting one big sheet")
    ap.add_argument("--big-rows", type=int, default=200_000)
    ap.add_argument("--memory-repeat", type=int, default=1)
    ap.add_argument("--profile", metavar="FILE", help="instead: profile one sancha run (.html or .txt)")
    ap.add_argument("--json", metavar="FILE", type=Path, help="also write the figures as JSON")
    ap.add_argument("--_child-big", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._child_big:
        _child_big(*args._child_big)
        return 0
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.profile:
        run_profile(args)
        return 0
    result = run_memory(args) if args.memory else run_speed(args)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
