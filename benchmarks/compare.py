"""This tree against an earlier commit, interleaved: the fair comparison on a machine whose speed
drifts (a shared virtual machine's can move by 30 % within minutes, more than most changes gain).

    python -m benchmarks.compare HEAD~3                 # 8 pairs, 600 files × 50 rows
    python -m benchmarks.compare cfc7931 --pairs 12 --workers 0

The other commit is checked out once into a git worktree beside the generated workspaces. Each
pair runs both trees one after the other (the order alternating), each in a fresh process on a
fresh copy of the same generated files, written out to disk before the clock starts: an
`ingest_paths` of the whole inbox, as `sancha ingest` does. Reported: medians of wall time, of
CPU (the ingesting process, its user and system time apart, and with its parse workers), and the
median of the pair-by-pair differences with how many pairs went each way.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from . import machine
from .ingest import DEFAULT_WORKDIR, Runs, pristine

# Runs in the tree under test, with only its `pipeline` (an older tree has no benchmarks of ours).
_CHILD = r"""
import importlib.util, json, os, resource, shutil, sys, time
from datetime import date
from pathlib import Path
tree, source, dest, workers = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
sys.path.insert(0, tree)
from pipeline.ledger.ingest import ingest_paths
try:
    from pipeline.ledger.inbox import waiting_files
except ImportError:  # a tree from before the inbox had a module of its own
    from pipeline.ledger.ingest import waiting_files
from pipeline.workspace import Workspace
spec = importlib.util.spec_from_file_location("_sancha_bench_cpu", sys.argv[6])
cpu = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cpu)

shutil.copytree(source, dest, ignore=shutil.ignore_patterns(".complete"))
os.sync()
ws = Workspace(dest)
ws.ensure()
paths = waiting_files(ws)
before, r0, o0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF), cpu.descendants_cpu()
results = ingest_paths(ws, paths, date.fromisoformat(sys.argv[5]), workers=None if workers == "auto" else int(workers))
wall, r1 = time.perf_counter() - before, resource.getrusage(resource.RUSAGE_SELF)
user, system = r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime
print(json.dumps({"wall": wall, "cpu": user + system + cpu.descendants_cpu() - o0, "main_user": user,
                  "main_sys": system, "files": len(results)}))
"""  # the copy stays until the parent removes all copies after the last pair (benchmarks.ingest.Runs)

_FIGURES = ("wall", "cpu", "main_user", "main_sys")


def worktree(rev: str, workdir: Path) -> Path:
    """The commit `rev` checked out (once) under `workdir`."""
    repo = Path(__file__).resolve().parent.parent
    sha = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=repo, check=True,
                         capture_output=True, text=True).stdout.strip()
    tree = workdir / f"tree-{sha[:12]}"
    if not (tree / "pipeline").is_dir():
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), sha], cwd=repo, check=True,
                       capture_output=True)
    return tree


def run_once(tree: Path, source: Path, dest: Path, workers: str, as_of: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(tree), str(source), str(dest), workers, as_of,
                          str(Path(__file__).with_name("cpu.py"))],
                         cwd=tree, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the run in {tree} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    from . import generate

    ap = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__.split("\n\n")[0])
    ap.add_argument("rev", help="the commit to compare this tree against (HEAD~1, a tag, a hash)")
    ap.add_argument("--pairs", type=int, default=8)
    ap.add_argument("--workers", default="auto", help="parse workers: auto (as sancha chooses) or a number, 0 serial")
    ap.add_argument("--units", type=int, default=60)
    ap.add_argument("--files", type=int, default=600)
    ap.add_argument("--rows", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    source = pristine(args.workdir, args.units, args.files, args.rows, args.seed)
    trees = {args.rev: worktree(args.rev, args.workdir), "this tree": Path(__file__).resolve().parent.parent}
    as_of = generate.DEFAULT_AS_OF.isoformat()
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    with Runs(args.workdir, "compare") as copies:  # removed after the last pair, never between runs
        about = machine.describe(args.workdir)
        for k in range(args.pairs):
            for name in (list(trees) if k % 2 == 0 else list(trees)[::-1]):
                dest = copies.base / f"run-{k + 1}-{'this' if name == 'this tree' else 'other'}"
                runs[name].append(run_once(trees[name], source, dest, args.workers, as_of))
            print(f"pair {k + 1}/{args.pairs}: " + ", ".join(f"{n} {r[-1]['wall']:.2f} s" for n, r in runs.items()),
                  file=sys.stderr, flush=True)
    print(f"\n{machine.line(about)}")
    print(f"{args.files} files × {args.rows} rows, workers {args.workers}, {args.pairs} pairs (medians, seconds)")
    print(f"{'':12}" + "".join(f"{f:>11}" for f in _FIGURES))
    for name, rs in runs.items():
        print(f"{name:12}" + "".join(f"{statistics.median(r[f] for r in rs):11.3f}" for f in _FIGURES))
    old, new = runs[args.rev], runs["this tree"]
    diffs = {f: [b[f] - a[f] for a, b in zip(old, new, strict=False)] for f in _FIGURES}
    print(f"{'difference':12}" + "".join(f"{statistics.median(d):+11.3f}" for d in diffs.values()))
    faster = sum(d < 0 for d in diffs["wall"])
    print(f"this tree was faster in {faster} of {args.pairs} pairs "
          f"(median wall {statistics.median(diffs['wall']) / statistics.median(r['wall'] for r in old):+.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
