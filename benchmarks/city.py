"""A city office's ledger of a few years: 300 units, 200,000 items, ten events each (issue 20).

    python -m benchmarks.city /tmp/city                      # 300 units, 200,000 items (cached, then copied)
    python -m benchmarks.city /tmp/city --items 50000        # smaller, for development
    sancha -C /tmp/city status                               # then time any command on it

One command builds the workspace the 200,000-item targets are measured on: `sancha.toml`
(units with aliases), the default templates and a ledger of `--items` items over `--units` units
(benchmarks.weekly's items: 40 % of the units with overdue items, ongoing, done and closed ones),
each with benchmarks.timeline's ten events — registered, reports, progress and status changes,
extensions (some late), closings, reopenings, look-backs — stored through `Ledger.append_events`
and projected by `Ledger.reproject`, as the timeline stores them. When the ledger has tables for
them (inspections, notices: issues 17 and 18), they are filled too (`_extras`). The workspace is
built once under --workdir and copied to DEST; the same arguments give the same ledger.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

from .ingest import DEFAULT_WORKDIR
from .timeline import _events
from .weekly import AS_OF, _items, new_workspace

BATCH = 5000


def _extras(ledger, rng: random.Random) -> None:
    """Inspections and notices, once the ledger stores them (issues 17, 18): nothing to do before."""
    tables = {r[0] for r in ledger.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "inspections" in tables or "notices" in tables:
        print("note: the ledger has inspection/notice tables the generator does not fill yet", file=sys.stderr)


def build(workdir: Path, units: int = 300, items: int = 200_000, seed: int = 1, overdue_share: float = 0.4) -> Path:
    """The city workspace for these parameters, built once and then reused."""
    from pipeline.ledger.ledger import Ledger

    root = workdir / f"city-{units}u-{items}i-s{seed}"
    if (root / ".complete").exists():
        return root
    started = time.perf_counter()
    ws, gen_units = new_workspace(root, units, seed)
    rng = random.Random(f"city-{seed}")
    with Ledger.open(ws.db_path) as ledger:
        batch: list = []
        events: list = []

        def flush() -> None:
            with ledger.transaction():
                ledger.insert_items(batch)
                ledger.append_events(events)
                ledger.reproject([i.id for i, _ in batch])
            batch.clear()
            events.clear()

        for item, key in _items(gen_units, items, overdue_share, seed):
            deadline = item.deadline or (None if item.ongoing else AS_OF)
            plain = replace(item, status="推进中" if not item.ongoing else item.status, done_on=None, closed_on=None,
                            deadline=deadline, last_report_on=item.created_on)
            batch.append((plain, key))
            events += _events(plain, rng)
            if len(batch) == BATCH:
                flush()
                print(f"  {ledger.conn.execute('SELECT COUNT(*) FROM items').fetchone()[0]} items …",
                      file=sys.stderr, flush=True)
        if batch:
            flush()
        with ledger.transaction():
            _extras(ledger, rng)
        ledger.conn.execute("ANALYZE")
        count = ledger.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    (root / ".complete").write_text("ok")
    print(f"built {root.name}: {items} items, {count} events in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return root


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.city", description=__doc__.split("\n\n")[0])
    ap.add_argument("dest", type=Path, help="where the workspace is copied (must not exist)")
    ap.add_argument("--units", type=int, default=300)
    ap.add_argument("--items", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="the built workspace is cached here")
    args = ap.parse_args(argv)
    if args.dest.exists():
        ap.error(f"{args.dest} exists")
    root = build(args.workdir, args.units, args.items, args.seed)
    shutil.copytree(root, args.dest, ignore=shutil.ignore_patterns(".complete"))
    print(f"{args.dest}: {args.items} items over {args.units} units, as of {AS_OF.isoformat()} "
          f"(sancha -C {args.dest} status --as-of {AS_OF.isoformat()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
