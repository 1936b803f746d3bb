"""ingest called where it must not start parse workers of its own (issue 20): from the module
level of an unguarded script (forkserver and spawn import it again in every worker), and from
inside a worker process of a caller's pool. Neither waits forever on the ingest lock."""

from __future__ import annotations

import logging
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

from builders import data_row, make_workspace, submission_rows, xlsx_bytes

from pipeline.ledger.ahead import PARALLEL_MIN_FILES, pool_context
from pipeline.ledger.ledger import Ledger

ROOT = Path(__file__).resolve().parents[1]


def _inbox(tmp_path: Path, count: int = PARALLEL_MIN_FILES + 4):
    ws = make_workspace(tmp_path / "ws")
    for k in range(count):
        (ws.inbox / f"区财政局_{k:02d}.xlsx").write_bytes(
            xlsx_bytes(submission_rows(data_row(1, problem=f"问题{k}：验收不及时"), data_row(2, problem=f"另{k}"))))
    return ws


def _items(ws) -> int:
    with Ledger.open(ws.db_path) as ledger:
        return ledger.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]


def test_an_unguarded_script_ingests_every_file_serially_instead_of_deadlocking(tmp_path):
    ws = _inbox(tmp_path)
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import logging, sys\n"
        "logging.basicConfig(level=logging.WARNING, stream=sys.stderr)\n"
        "from datetime import date\n"
        "from pathlib import Path\n"
        "from pipeline.ledger.ingest import ingest_inbox\n"
        "from pipeline.workspace import Workspace\n"
        f"results = ingest_inbox(Workspace(Path({str(ws.root)!r})), date(2026, 11, 20))\n"
        "print('answered', len(results), sorted({r.verdict for r in results}))\n", encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=240,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"answered {PARALLEL_MIN_FILES + 4} ['accepted']" in out.stdout
    assert "脚本在模块顶层调用了 ingest" in out.stderr  # the worker's refusal, logged
    assert "逐个解析" in out.stderr  # and the parent's serial fallback
    assert _items(ws) == 2 * (PARALLEL_MIN_FILES + 4)


def _ingest_in_a_worker(root: str) -> tuple[int, list[str]]:
    """Runs in a worker process of the test's own pool."""
    from pipeline.ledger.ingest import ingest_inbox
    from pipeline.workspace import Workspace

    messages: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    logging.getLogger("sancha").addHandler(Keep())
    results = ingest_inbox(Workspace(Path(root)), date(2026, 11, 20))
    return len([r for r in results if r.verdict == "accepted"]), messages


def test_ingest_inside_a_pool_worker_parses_serially_and_says_so(tmp_path):
    ws = _inbox(tmp_path)
    with ProcessPoolExecutor(max_workers=1, mp_context=pool_context()) as pool:
        accepted, messages = pool.submit(_ingest_in_a_worker, str(ws.root)).result(timeout=240)
    assert accepted == PARALLEL_MIN_FILES + 4
    assert any("在子进程中运行：逐个解析" in m for m in messages)
    assert _items(ws) == 2 * (PARALLEL_MIN_FILES + 4)
