"""The archive two ways, on the generated submissions: files (as sancha keeps them) or blobs in a
separate SQLite database (issue 20's alternative), with the same durability.

    python -m benchmarks.archive                   # 600 files, in groups of 64, 5 repeats

(a) files — `pipeline.ledger.archive.archive_copy` for each file (through a temporary file,
    renamed), then the group's copies fsynced together (`Syncer.fsync_all`), as ingest does;
(b) blobs — each file's bytes inserted into `archive.sqlite` (WAL, synchronous=FULL: the commit
    is the fsync), one transaction per group.
Wall and CPU seconds of this process, medians; each repeat in a folder of its own, all removed
after the last (never a mass deletion right before a timed run: benchmarks.ingest's docstring).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from . import machine
from .ingest import DEFAULT_WORKDIR, pristine, settle

GROUP = 64


def _files_way(root: Path, files: list[tuple[str, bytes, str]]) -> None:
    from pipeline.ledger.archive import Syncer, archive_copy
    from pipeline.workspace import Workspace

    root.mkdir(parents=True)
    ws = Workspace(root)
    ws.archive.mkdir(parents=True)
    syncer = Syncer()
    try:
        for n in range(0, len(files), GROUP):
            copies = [archive_copy(ws, data, sha, name, date(2026, 11, 25))[1]
                      for name, data, sha in files[n:n + GROUP]]
            syncer.fsync_all(copies)
    finally:
        syncer.close()


def _blob_way(root: Path, files: list[tuple[str, bytes, str]]) -> None:
    root.mkdir(parents=True)
    db = sqlite3.connect(root / "archive.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS blobs (sha256 TEXT PRIMARY KEY, name TEXT, received TEXT, data BLOB)")
    for n in range(0, len(files), GROUP):
        db.execute("BEGIN")
        db.executemany("INSERT OR IGNORE INTO blobs VALUES (?, ?, ?, ?)",
                       [(sha, name, "2026-11-25", data) for name, data, sha in files[n:n + GROUP]])
        db.execute("COMMIT")
    db.close()


def main(argv: list[str] | None = None) -> int:
    import hashlib

    ap = argparse.ArgumentParser(prog="python -m benchmarks.archive", description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    source = pristine(args.workdir, 60, 600, 50, args.seed)
    files = [(p.name, p.read_bytes(), "") for p in sorted((source / "inbox").rglob("*")) if p.is_file()]
    files = [(name, data, hashlib.sha256(data).hexdigest()) for name, data, _ in files]
    base = args.workdir / "archive-runs"
    shutil.rmtree(base, ignore_errors=True)
    settle()
    about = machine.describe(args.workdir)
    times: dict[str, dict[str, list[float]]] = {"files": {"wall": [], "cpu": []}, "blobs": {"wall": [], "cpu": []}}
    try:
        for k in range(args.repeat):
            for way, run in (("files", _files_way), ("blobs", _blob_way)):
                root = base / f"{way}-{k + 1}"
                wall, cpu = time.perf_counter(), time.process_time()
                run(root, files)
                times[way]["wall"].append(time.perf_counter() - wall)
                times[way]["cpu"].append(time.process_time() - cpu)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    size = sum(len(d) for _, d, _ in files)
    print(f"\n{machine.line(about)}")
    print(f"{len(files)} files, {size / 2**20:.1f} MB, groups of {GROUP}, {args.repeat} repeats (medians):")
    for way in ("files", "blobs"):
        t = times[way]
        print(f"{way:6s} wall {statistics.median(t['wall']):.3f} s   cpu {statistics.median(t['cpu']):.3f} s   "
              f"runs: {' '.join(format(w, '.3f') for w in t['wall'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
