"""批处理 from the web desk: the weekly batch in a background thread, one at a time, with its
progress for the page to poll. The batch's own file lock (service/weekly.py) still decides
between this desk, `sancha weekly` in a console and a scheduled task."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from pipeline.workspace import Workspace

log = logging.getLogger("sancha.web")

IDLE, RUNNING, DONE, FAILED = "idle", "running", "done", "failed"


@dataclass(frozen=True)
class BatchStatus:
    state: str = IDLE
    as_of: date | None = None
    operator: str | None = None
    description: str = ""
    completed: int = 0
    total: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    summary: str = ""
    error: str = ""
    files: list[str] = field(default_factory=list)  # documents written, relative to outbox/

    def as_json(self) -> dict:
        return {"state": self.state, "as_of": self.as_of.isoformat() if self.as_of else None,
                "operator": self.operator, "description": self.description, "completed": self.completed,
                "total": self.total, "summary": self.summary, "error": self.error,
                "started_at": self.started_at.isoformat(timespec="seconds") if self.started_at else None,
                "finished_at": self.finished_at.isoformat(timespec="seconds") if self.finished_at else None}


class _Progress:
    """The part of rich.progress.Progress that run_weekly calls, reporting into the runner."""

    def __init__(self, runner: BatchRunner):
        self.runner = runner

    def add_task(self, description: str, total: int | None = None, **_) -> int:
        self.runner._update(description=description, total=total, completed=0)
        return 0

    def update(self, task: int, *, description: str | None = None, total: int | None = None,
               completed: int | None = None, **_) -> None:
        changes: dict = {}
        if description is not None:
            changes["description"] = description
        if total is not None:
            changes["total"] = total
        if completed is not None:
            changes["completed"] = completed
        self.runner._update(**changes)

    def advance(self, task: int, n: int = 1) -> None:
        with self.runner._lock:
            self.runner._status = replace(self.runner._status, completed=self.runner._status.completed + n)


class BatchRunner:
    def __init__(self, ws: Workspace, workers: int | None = None):
        self.ws = ws
        self.workers = workers
        self._lock = threading.Lock()
        self._status = BatchStatus()
        self._thread: threading.Thread | None = None

    @property
    def status(self) -> BatchStatus:
        with self._lock:
            return self._status

    def _update(self, **changes) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)

    def start(self, as_of: date, operator: str | None) -> bool:
        """Start a batch; False when one started here is still running."""
        with self._lock:
            if self._status.state == RUNNING:
                return False
            self._status = BatchStatus(RUNNING, as_of, operator, "准备", started_at=datetime.now())
            self._thread = threading.Thread(target=self._run, args=(as_of, operator), name="sancha-weekly", daemon=True)
            self._thread.start()
        return True

    def wait(self, timeout: float | None = None) -> BatchStatus:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status

    def _run(self, as_of: date, operator: str | None) -> None:
        from pipeline.output.documents import render
        from pipeline.service.weekly import BatchRunning, run_weekly

        log.info("每周批处理开始（截至 %s，操作人 %s，来自网页）", as_of.isoformat(), operator)
        try:
            result = run_weekly(self.ws, as_of, progress=_Progress(self), workers=self.workers)
        except (BatchRunning, render.DocumentError) as e:
            self._update(state=FAILED, error=str(e), finished_at=datetime.now())
            log.warning("每周批处理未完成：%s", e)
            return
        except Exception as e:
            log.exception("每周批处理出错")
            self._update(state=FAILED, error=f"批处理出错：{type(e).__name__}: {e}。详细信息见 data/logs/。",
                         finished_at=datetime.now())
            return
        outbox = self.ws.outbox.resolve()
        files = [p.resolve().relative_to(outbox).as_posix() for p in result.files
                 if p.resolve().is_relative_to(outbox)]
        self._update(state=DONE, summary=result.summary_text, finished_at=datetime.now(), description="完成",
                     files=files)
        log.info("每周批处理完成（%s，操作人 %s）", result.week_key, operator)
