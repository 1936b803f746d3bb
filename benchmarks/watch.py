"""How soon a unit gets its receipt after its file lands, with `sancha watch` running.

    python -m benchmarks.watch                     # 40 files, one every 1.5 s, settle_seconds 2.0
    python -m benchmarks.watch --settle 0.3 --files 60

`sancha watch` runs as the office runs it (a subprocess on a workspace of benchmarks.ingest's
generated units, with `[watch] settle_seconds` set); the files are benchmarks.ingest's generated
submissions, dropped one at a time into `inbox/<unit>/` the way a copy lands (written, then
closed). The latency of each is from the moment its bytes are written and closed to the moment
its receipt exists in `outbox/<unit>/` (polled every 10 ms). Target (issue 20): p95 ≤
settle_seconds + 1 s. A file is read only once unchanged for `settle_seconds`, so that much of
each latency is by design.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from . import machine
from .ingest import DEFAULT_WORKDIR, pristine, settle


def _workspace(root: Path, source: Path, settle_seconds: float) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    text = (source / "sancha.toml").read_text(encoding="utf-8")
    (root / "sancha.toml").write_text(text + f"\n[watch]\nsettle_seconds = {settle_seconds}\n", encoding="utf-8")


def _receipt(outbox: Path, stem: str) -> bool:
    """A receipt for the file is in its unit's folder (named by the unit's registered name, which
    may differ from the inbox folder's alias)."""
    return any(True for _ in outbox.glob(f"*/回执*{stem}*"))


def _wait_ready(ws: Path, timeout: float = 60) -> None:
    """Until the watcher has made the workspace (its inbox and ledger)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if (ws / "data" / "ledger.sqlite").exists() and (ws / "inbox").is_dir():
            time.sleep(1.0)  # the observer started after the first scan
            return
        time.sleep(0.05)
    raise SystemExit("sancha watch did not start")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.watch", description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--gap", type=float, default=1.5, help="seconds between two drops")
    ap.add_argument("--settle", type=float, default=2.0, help="[watch] settle_seconds")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    ap.add_argument("--timeout", type=float, default=60, help="seconds to wait for one receipt")
    ap.add_argument("--json", metavar="FILE", type=Path, help="also write the figures as JSON")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    source = pristine(args.workdir, 60, 600, 50, args.seed)
    files = sorted(p for p in (source / "inbox").rglob("*.xlsx") if p.parent != source / "inbox")[:args.files]
    ws = args.workdir / "watch-run"
    _workspace(ws, source, args.settle)
    init = subprocess.run([sys.executable, "-m", "pipeline.cli", "init", str(ws)], capture_output=True,
                          text=True)
    if init.returncode != 0:
        raise SystemExit(init.stderr)
    settle()
    about = machine.describe(args.workdir)
    watcher = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "-C", str(ws), "watch"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    latencies: list[float] = []
    try:
        _wait_ready(ws)
        for n, src in enumerate(files, 1):
            unit = src.parent.name
            target = ws / "inbox" / unit / src.name
            target.parent.mkdir(parents=True, exist_ok=True)
            data = src.read_bytes()
            with open(target, "wb") as fh:  # a copy landing: written, then closed
                fh.write(data)
            landed = time.perf_counter()
            while not _receipt(ws / "outbox", src.stem):
                if time.perf_counter() - landed > args.timeout:
                    raise SystemExit(f"no receipt for {src.name} after {args.timeout:.0f} s")
                if watcher.poll() is not None:
                    raise SystemExit(f"sancha watch stopped: {watcher.stderr.read() if watcher.stderr else ''}")
                time.sleep(0.01)
            latencies.append(time.perf_counter() - landed)
            print(f"file {n}/{len(files)}: {latencies[-1]:.2f} s", file=sys.stderr, flush=True)
            time.sleep(args.gap)
    finally:
        watcher.terminate()
        try:
            watcher.wait(timeout=30)
        except subprocess.TimeoutExpired:
            watcher.kill()
        shutil.rmtree(ws, ignore_errors=True)
    ordered = sorted(latencies)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    target = args.settle + 1
    print(f"\n{machine.line(about)}")
    print(f"receipt after a file lands, {len(ordered)} files one at a time, settle_seconds {args.settle}:")
    print(f"median {statistics.median(ordered):.2f} s   p95 {p95:.2f} s   max {ordered[-1]:.2f} s   "
          f"target p95 ≤ {target:.1f} s   {'OK' if p95 <= target else 'MISSED'}")
    if args.json:
        args.json.write_text(json.dumps({"latencies": latencies, "p95": p95, "settle": args.settle,
                                         "machine": about}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
