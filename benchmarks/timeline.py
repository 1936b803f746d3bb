"""States as of any day on a ledger of 50,000 items with ten events each (issue 16: under 2 s).

    python -m benchmarks.timeline                     # build the ledger (cached), time 3 runs per day
    python -m benchmarks.timeline --items 5000 --repeat 1

The ledger is the weekly benchmark's 300 units and 50,000 items, each registered as a plain
open item and then given nine more events spread between its registration and AS_OF —
reports, progress and status changes, extensions (some late), closings, a few reopenings and
look-backs — stored through `Ledger.append_events` and projected once by `Ledger.reproject`.
Each run is, in a fresh subprocess, `ledger.view.standing_on` (read the projection's state
fields, replay the items with an event after the day from the events their states depend on,
compute every state) for one day: AS_OF (nothing replayed),
a month and three months before, and the first day of the ledger (nearly everything replayed).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from .ingest import DEFAULT_WORKDIR, Timer
from .weekly import AS_OF, _items, new_workspace

EVENTS_PER_ITEM = 10


def _events(item, rng: random.Random) -> list:
    """Nine events after the register, as a unit's weekly files and the office make them: each
    file a report with a change of its progress (and now and then of its status), the office's
    extensions (some late), closings, reopenings and look-backs."""
    from pipeline.ledger.timeline import Event

    span = max((AS_OF - item.created_on).days, 1)
    days = sorted(item.created_on + timedelta(days=rng.randint(1, span)) for _ in range(EVENTS_PER_ITEM - 1))
    at = f"{AS_OF.isoformat()}T09:00:00"
    out: list[Event] = []
    deadline, done, closed = item.deadline, False, False
    for n, day in enumerate(days):
        left = EVENTS_PER_ITEM - 1 - len(out)
        if left <= 0:
            break
        roll = rng.random()
        if done and not closed and roll < 0.3:
            out.append(Event(item.id, "close", day, at, command="close", operator="bench"))
            closed = True
        elif closed and roll < 0.4:
            out.append(Event(item.id, "lookback", day, at, command="lookback", data={"result": "通过"}))
        elif done and roll < 0.45:
            new = day + timedelta(days=30)
            out.append(Event(item.id, "reopen", day, at, command="reopen", field="deadline", old=deadline, new=new,
                             note="回头看反弹"))
            deadline, done, closed = new, False, False
        elif deadline and not done and roll < 0.1:
            new = max(deadline, day) + timedelta(days=rng.randint(10, 60))
            out.append(Event(item.id, "extend", day, at, command="extend", field="deadline", old=deadline, new=new,
                             note="区政府批准延期", data={"late": True} if deadline < day else {}))
            deadline = new
        elif not done and left >= 3 and roll < 0.3:  # a file reporting it done
            out.append(Event(item.id, "change", day, at, field="status", old="推进中", new="已完成"))
            out.append(Event(item.id, "change", day, at, field="done_on", old=None, new=day))
            out.append(Event(item.id, "report", day, at))
            done = True
        elif left >= 2:  # a file reporting progress
            progress = f"第{n + 1}次报送：按计划推进"
            out.append(Event(item.id, "change", day, at, field="progress", old=None, new=progress))
            out.append(Event(item.id, "report", day, at))
        else:
            out.append(Event(item.id, "report", day, at))
    while len(out) < EVENTS_PER_ITEM - 1:
        out.append(Event(item.id, "report", days[-1], at))
    return out


def build(workdir: Path, units: int, items: int, seed: int) -> Path:
    from pipeline.ledger.ledger import Ledger

    root = workdir / f"timeline2-{units}u-{items}i-s{seed}"
    if (root / ".complete").exists():
        return root
    started = time.perf_counter()
    ws, gen_units = new_workspace(root, units, seed, templates=False)
    rng = random.Random(f"timeline-{seed}")
    with Ledger.open(ws.db_path) as ledger, ledger.transaction():
        batch, events = [], []
        for item, key in _items(gen_units, items, 0.4, seed):
            deadline = item.deadline or (None if item.ongoing else AS_OF)
            plain = replace(item, status="推进中" if not item.ongoing else item.status, done_on=None, closed_on=None,
                            deadline=deadline, last_report_on=item.created_on)
            batch.append((plain, key))
            events += _events(plain, rng)
            if len(batch) == 5000:
                ledger.insert_items(batch)
                ledger.append_events(events)
                batch, events = [], []
        ledger.insert_items(batch)
        ledger.append_events(events)
        ids = [r[0] for r in ledger.conn.execute("SELECT id FROM items")]
        ledger.reproject(ids)
    count = Ledger.open(ws.db_path).conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    (root / ".complete").write_text("ok")
    print(f"built {root.name}: {items} items, {count} events in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return root


def _child(ws_root: str, day: str) -> None:
    from pipeline.ledger.ledger import Ledger
    from pipeline.ledger.view import standing_on
    from pipeline.workspace import Workspace

    ws = Workspace(Path(ws_root))
    config = ws.config
    with Timer() as t, Ledger.open(ws.db_path) as ledger:
        replayed = len(ledger.changed_after(date.fromisoformat(day)))
        items, _states = standing_on(ledger, config, date.fromisoformat(day))
    print(json.dumps({"wall": t.wall, "cpu": t.main_cpu, "items": len(items), "replayed": replayed}))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    p.add_argument("--units", type=int, default=300)
    p.add_argument("--items", type=int, default=50_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    root = build(args.workdir, args.units, args.items, args.seed)
    from pipeline.ledger.ledger import Ledger

    with Ledger.open(root / "data" / "ledger.sqlite") as ledger:
        first = date.fromisoformat(ledger.conn.execute("SELECT MIN(on_day) FROM events").fetchone()[0])
    days = {"AS_OF": AS_OF, "a month before": AS_OF - timedelta(days=30),
            "three months before": AS_OF - timedelta(days=91), "the first day": first}
    print(f"{'day':<22}{'date':<12}{'replayed':>9}{'items':>8}{'wall s':>9}{'cpu s':>8}")
    for label, day in days.items():
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run([sys.executable, "-m", "benchmarks.timeline", "--child", str(root), day.isoformat()],
                                 capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        wall = statistics.median(r["wall"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        print(f"{label:<22}{day.isoformat():<12}{runs[0]['replayed']:>9}{runs[0]['items']:>8}{wall:>9.2f}{cpu:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
