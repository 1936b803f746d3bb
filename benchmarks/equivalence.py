"""Same input, same outcome: dump what an ingest run produced, without its timestamps.

    python -m benchmarks.equivalence WORKSPACE OUT.json [--files 60 --rows 50]
    python -m benchmarks.equivalence WORKSPACE OUT.json --big-rows 200000 [--whole]

Generates (or reuses) a workspace, ingests a fresh copy of it with whatever `pipeline` is first
on sys.path, and writes the ledger (items, their events — or, for code before events, the history
table — and the files journal), every receipt and the outbox
listing as JSON with clock times blanked. Run it with the code before and after an optimisation
(PYTHONPATH=old-tree) and diff the two files: they must be identical. With --big-rows, the one
huge sheet of `benchmarks.ingest --memory`: streamed as sancha reads it, or with --whole read
whole as an ordinary file is, to diff the two readings.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
from pathlib import Path

from . import generate
from .ingest import fresh_copy, pristine, sancha_ingest

_CLOCK_COLUMNS = {"updated_at", "processed_at", "at", "created_at", "applied_at"}
_DERIVED_COLUMNS = {"key_hash"}  # items.key_hash (0009_speed): a hash of problem_key, left out so
#                                  dumps of code before and after it compare


def dump(root: Path) -> dict:
    conn = sqlite3.connect(str(root / "data" / "ledger.sqlite"))
    out: dict = {}
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    changes = "events" if "events" in tables else "history"
    for table, order in (("items", "id"), (changes, "id"), ("files", "id")):
        cur = conn.execute(f"SELECT * FROM {table} ORDER BY {order}")
        cols = [d[0] for d in cur.description]
        out[table] = [{c: (None if c in _CLOCK_COLUMNS else v) for c, v in zip(cols, row, strict=False)
                       if c not in _DERIVED_COLUMNS} for row in cur]
    conn.close()
    outbox = root / "outbox"
    out["outbox"] = {p.relative_to(outbox).as_posix(): (p.read_text(encoding="utf-8-sig") if p.suffix == ".txt"
                                                        else p.stat().st_size > 0)
                     for p in sorted(outbox.rglob("*")) if p.is_file()}
    out["inbox_left"] = sorted(p.relative_to(root).as_posix() for p in (root / "inbox").rglob("*") if p.is_file())
    out["archive"] = sorted(p.relative_to(root).as_posix() for p in (root / "data" / "archive").rglob("*")
                            if p.is_file())
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.equivalence", description=__doc__.split("\n\n")[0])
    ap.add_argument("workdir", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--units", type=int, default=20)
    ap.add_argument("--files", type=int, default=60)
    ap.add_argument("--rows", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--twice", action="store_true", help="ingest the same files again (duplicates) afterwards")
    ap.add_argument("--workers", type=int, default=None, help="parse worker processes (0: serially, to diff against)")
    ap.add_argument("--big-rows", type=int, default=0, help="instead: the one sheet of this many rows (--memory's)")
    ap.add_argument("--whole", action="store_true",
                    help="read every sheet whole, a huge one too (to diff the streamed reading against)")
    args = ap.parse_args(argv)
    if args.whole:
        from pipeline.intake import read

        read.STREAM_MIN_BYTES = sys.maxsize  # no sheet is that large: every one is read whole
    root = pristine(args.workdir, args.units, args.files, args.rows, args.seed, big_rows=args.big_rows)
    run = fresh_copy(root, args.workdir / "run-equivalence")
    info = sancha_ingest(run, generate.DEFAULT_AS_OF, args.workers)
    if args.twice:
        shutil.rmtree(run / "inbox")
        shutil.copytree(root / "inbox", run / "inbox")
        info["again"] = sancha_ingest(run, generate.DEFAULT_AS_OF, args.workers)
    result = dump(run)
    result["info"] = info
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    shutil.rmtree(run)
    print(f"{info} -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
