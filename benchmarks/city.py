"""A city office's ledger of a few years: 300 units, 200,000 items, ten events each (issue 20).

    python -m benchmarks.city /tmp/city                      # 300 units, 200,000 items (cached, then copied)
    python -m benchmarks.city /tmp/city --items 50000        # smaller, for development
    sancha -C /tmp/city status                               # then time any command on it

One command builds the workspace the 200,000-item targets are measured on: `sancha.toml`
(units with aliases), the default templates and a ledger of `--items` items over `--units` units
(benchmarks.weekly's items: 40 % of the units with overdue items, ongoing, done and closed ones),
each with benchmarks.timeline's ten events — registered, reports, progress and status changes,
extensions (some late), closings, reopenings, look-backs — stored through `Ledger.append_events`
and projected by `Ledger.reproject`, as the timeline stores them; 48 inspections of the year
(registered through `add_inspection`, most with their report received), a third of the items
found by one of them; the 督办 and 提醒 notices of the eight weekly batches before the day
(`Ledger.record_notices`). The workspace is built once under --workdir and copied to DEST; the
same arguments give the same ledger.
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


INSPECTIONS = 48  # a city office's year: about one a week
NOTICE_WEEKS = 8  # the weekly batches before AS_OF whose 督办/提醒 notices are in the ledger
NOTICED_SHARE = 0.05  # of the items past their deadline by such a day, noticed that week


def _inspections(ledger, rng: random.Random) -> list:
    """The year's inspections (巡查, 督查, 考察 …) through `add_inspection`, as the office registers
    them; most with their group's report received (some late), the last ones still due."""
    from datetime import timedelta

    from pipeline.ledger.inspections import FORMS, KINDS, add_inspection, record_report

    made = []
    for n in range(INSPECTIONS):
        start = AS_OF - timedelta(days=330 - n * 7 + rng.randint(0, 3))
        end = start + timedelta(days=rng.randint(3, 14))
        kind = rng.choice(KINDS[:3])
        topic = rng.choice(("民生实事", "营商环境", "重点项目", "安全生产"))
        inspection = add_inspection(
            ledger, kind=kind, name=f"{start.year}年第{n + 1}轮{kind}（{topic}）",
            start=start, end=end, form=rng.choice(FORMS) if kind == "督查" else None, leader="张副区长",
            group=f"第{rng.randint(1, 6)}督查组", operator="bench")
        report_on = end + timedelta(days=rng.randint(3, 12))
        if report_on <= AS_OF and rng.random() < 0.9:
            record_report(ledger, inspection.id, on=report_on, operator="bench")
        made.append(inspection)
    return made


def _found_by(inspections: list, created, rng: random.Random) -> str | None:
    """An inspection that ended before the item was registered (a third of the items), else None."""
    if rng.random() >= 0.33:
        return None
    done = [i for i in inspections if i.end <= created]
    return rng.choice(done[-6:]).id if done else None


def _notices(ledger, rng: random.Random) -> int:
    """The 督办 and 提醒 notices of the weekly batches of the NOTICE_WEEKS weeks before AS_OF,
    through `Ledger.record_notices` as the batch records them: each week a share of the items past
    their deadline that day (督办) and of those due within a week (提醒). How many were recorded."""
    from datetime import timedelta

    recorded = 0
    numbers = {"督办": 0, "提醒": 0}  # one document a unit a week, numbered through the year
    rows = ledger.conn.execute("SELECT id, deadline, unit FROM items WHERE deadline IS NOT NULL ORDER BY id").fetchall()
    for k in range(NOTICE_WEEKS, 0, -1):
        day = AS_OF - timedelta(weeks=k)
        week = f"{day:%G-W%V}"
        late = [(i, u) for i, d, u in rows if d < day.isoformat() and rng.random() < NOTICED_SHARE]
        soon = [(i, u) for i, d, u in rows if day.isoformat() <= d <= (day + timedelta(days=7)).isoformat()
                and rng.random() < NOTICED_SHARE]
        for level, picked in (("督办", late), ("提醒", soon)):
            by_unit: dict[str, list[str]] = {}
            for item_id, unit in picked:
                by_unit.setdefault(unit, []).append(item_id)
            for unit, ids in sorted(by_unit.items()):
                numbers[level] += 1
                number = f"{level}〔{day.year}〕{numbers[level]}号"
                recorded += ledger.record_notices(((i, f"{week}_{level}_{unit}.docx", number) for i in ids), day,
                                                  week, level=level,
                                                  reply_by=day + timedelta(days=7) if level == "督办" else None)
    return recorded


def build(workdir: Path, units: int = 300, items: int = 200_000, seed: int = 1, overdue_share: float = 0.4) -> Path:
    """The city workspace for these parameters, built once and then reused."""
    from pipeline.ledger.ledger import Ledger

    # -v2: inspections and notices included (issue 20); the older caches had neither
    root = workdir / f"city-{units}u-{items}i-s{seed}-v2"
    if (root / ".complete").exists():
        return root
    started = time.perf_counter()
    ws, gen_units = new_workspace(root, units, seed)
    rng = random.Random(f"city-{seed}")
    with Ledger.open(ws.db_path) as ledger:
        inspections = _inspections(ledger, random.Random(f"city-inspections-{seed}"))
        found = random.Random(f"city-found-{seed}")
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
                            deadline=deadline, last_report_on=item.created_on,
                            inspection=_found_by(inspections, item.created_on, found))
            batch.append((plain, key))
            events += _events(plain, rng)
            if len(batch) == BATCH:
                flush()
                print(f"  {ledger.conn.execute('SELECT COUNT(*) FROM items').fetchone()[0]} items …",
                      file=sys.stderr, flush=True)
        if batch:
            flush()
        noticed = _notices(ledger, random.Random(f"city-notices-{seed}"))
        ledger.conn.execute("ANALYZE")
        count = ledger.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    (root / ".complete").write_text("ok")
    print(f"built {root.name}: {items} items, {count} events ({noticed} notices), {len(inspections)} inspections "
          f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
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
