"""Parsing ahead: worker processes parse the next files while the ingesting process merges,
writes and answers the current one.

Who parses which file — decided here, and nowhere else:
- A batch of fewer than PARALLEL_MIN_FILES files, `workers=0`, a machine with one core, the
  watcher and single files: the ingesting process parses every file (`Ahead.start` gives None).
- Otherwise the first files (HEAD_FILES, at most a quarter of the batch) are the ingesting
  process's too: a worker needs ≈ 0.25 s to start before its first result.
- Every later file goes to a worker, CHUNK_FILES to a task, a window of 2 × workers + 1 tasks
  ahead of the ingesting process — except a file whose sheet would be streamed (`read.streams`:
  a huge sheet is never held, nor pickled, whole): the worker hands it back unparsed.
- A worker's parse counts only if the bytes (sha256), the folder's unit and the day are the
  ones the ingesting process sees under the lock (`Parsed.fits`); else, when a worker failed,
  or once the pool broke (a worker died: logged once), the ingesting process has the file read
  again by its own worker (isolation.Reader), where a second death is the file's verdict.
So the outcome is the serial one. Workers start by forkserver (spawn where there is none), with
the limits of every parse worker (address space, CPU time per file, dying with their parent).

With STAGING_MIN_WORKERS workers or more, the workers also stage each file's archive copy
(`archive.stage`) for the ingesting process to rename into place.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import stat
import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date
from multiprocessing.context import BaseContext
from pathlib import Path
from types import FrameType
from typing import NamedTuple

from pipeline.config import Config
from pipeline.errors import Refused
from pipeline.intake.evidence import evidence_target
from pipeline.intake.parse import parse_submission
from pipeline.intake.read import streams
from pipeline.intake.units import directory
from pipeline.ledger.archive import discard, stage, staging_folder
from pipeline.ledger.inbox import Resolver, folder_unit, is_candidate
from pipeline.model import Submission
from pipeline.osguard import cpu_budget, limit_this_process
from pipeline.workspace import Workspace, readable_name

log = logging.getLogger("sancha.ingest")

PARALLEL_MIN_FILES = 20  # fewer files are done before worker processes would have started
CHUNK_FILES = 4  # files per task sent to a worker: fewer messages, results still come early
# The first files of a batch are parsed by the ingesting process itself: a worker needs ≈ 0.25 s
# to start (a process, its imports) before its first result, time enough for ≈ 30 files here.
HEAD_FILES = 24
STAGING_MIN_WORKERS = 2
_MB = 1024 * 1024


class UnguardedScript(Refused):
    """ingest was called from the module level of a script that a worker process is importing
    again (forkserver and spawn do): going on would wait for the ingest lock its parent holds."""


def from_reimported_main() -> bool:
    """Whether this call comes from the module level of the main script as a worker process (or
    the forkserver) imports it again, as `__mp_main__`: an unguarded script."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == "__mp_main__":
            return True
        frame = frame.f_back
    return False


def workers_here(workers: int | None) -> int | None:
    """The parse workers a batch may start in this process: none inside a worker process (one
    of a caller's pool, say) — no pool within a pool; the files are parsed serially, logged. An
    unguarded script imported again by a worker is refused (`UnguardedScript`, logged): the
    worker fails to start, the parent's pool breaks and the parent parses serially, as logged
    there — instead of both waiting for each other on the ingest lock (issue 20)."""
    if from_reimported_main():
        log.error("脚本在模块顶层调用了 ingest：后台解析进程导入脚本时不再重复入帐（请把调用放在 "
                  "if __name__ == \"__main__\": 之下，或传 workers=0）")
        raise UnguardedScript("脚本在模块顶层调用了 ingest_inbox / ingest_paths；后台解析进程会再次导入脚本。"
                              "请把调用放在 if __name__ == \"__main__\": 之下，或传 workers=0。")
    if multiprocessing.parent_process() is not None and workers != 0:
        log.warning("ingest 在子进程中运行：逐个解析文件，不再启动后台解析进程")
        return 0
    return workers


class Parsed(NamedTuple):
    """What a worker made of a file: the result counts only if the bytes and the inputs are the
    ones the ingesting process sees under the lock."""

    sha256: str
    folder_unit: str | None
    received: date
    submission: Submission
    staged: Path | None = None  # a copy of the bytes, for the archive: the ingesting process renames it
    #                      into place, or removes it when the file turns out a duplicate or changed

    def fits(self, sha256: str, folder_unit: str | None, received: date) -> bool:
        """Whether this parse is of the file the ingesting process read, as it reads it."""
        return (self.sha256, self.folder_unit, self.received) == (sha256, folder_unit, received)


# -- in the worker process -----------------------------------------------------------------------

@dataclass
class _Worker:
    """What a worker process knows, set once by the pool's initializer."""

    config: Config
    staging: Path | None  # where to stage archive copies, if the workers do
    staged: int = 0  # copies staged so far (their names must differ)


# A task function sees only its arguments and its module: this one holder, set by the pool's
# initializer in each worker process (and never in the ingesting process), is how a task finds
# the configuration without pickling it into every task.
_worker: _Worker | None = None


def _start_worker(config: Config, staging: Path | None = None) -> None:
    global _worker
    _worker = _Worker(config, staging)
    if config.limits.max_worker_memory_mb:  # the limits every parse worker has (intake/isolation.py)
        limit_this_process(config.limits.max_worker_memory_mb, os.getppid())


def _parse_chunk(jobs: list[tuple[Path, str | None]], received: date) -> list[Parsed | None]:
    return [_parse_ahead(path, unit, received) for path, unit in jobs]


def _parse_ahead(path: Path, unit: str | None, received: date) -> Parsed | None:
    assert _worker is not None, "a parse worker's initializer sets it"
    cpu_budget(_worker.config.limits.max_worker_seconds)
    if evidence_target(path.parent.parts[-2:], readable_name(path.name)) is not None:
        return None  # 佐证材料 (or so it seems from here): never parsed; the ingesting process answers it
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1 or st.st_size > _worker.config.limits.max_file_mb * _MB:
            return None  # a link, a FIFO, a file too large: the ingesting process answers it without reading it
        data = path.read_bytes()
    except (OSError, MemoryError):
        return None  # the ingesting process reads it again and says why
    if streams(data):
        return None  # a huge sheet: the ingesting process streams it, never holding (or pickling) it whole
    try:
        sub = parse_submission(data, readable_name(path.name), _worker.config, folder_unit=unit, received=received)
    except MemoryError:
        return None  # read again by the ingesting process's own worker, where it gets its verdict
    sha = hashlib.sha256(data).hexdigest()
    staged = None
    if _worker.staging is not None:
        _worker.staged += 1
        staged = stage(_worker.staging, data, f"{sha[:16]}.{os.getpid()}.{_worker.staged}")
    return Parsed(sha, unit, received, sub, staged)


# -- in the ingesting process ----------------------------------------------------------------------

def pool_context() -> BaseContext:
    """Never fork: the parent may hold a SQLite connection (a forked child closing inherited
    descriptors drops the parent's locks) or run a progress-bar thread. forkserver where it exists."""
    if sys.platform != "win32" and "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


class Ahead:
    """Worker processes parse the next few files while the caller merges, writes and answers
    the current one; a bounded window, so results do not pile up in memory."""

    @classmethod
    def start(cls, ws: Workspace, paths: list[Path], received: date | None, workers: int | None) -> Ahead | None:
        """Workers for this batch, or None when the ingesting process parses every file:
        `workers` None means one per core but one (at most 4)."""
        if len(paths) < PARALLEL_MIN_FILES:
            return None
        if workers is None:
            workers = min((os.cpu_count() or 1) - 1, 4)
        return cls(ws, paths, received, workers) if workers > 0 else None

    def __init__(self, ws: Workspace, paths: list[Path], received: date | None, workers: int):
        self.inbox, self.units = ws.inbox.resolve(), directory(ws.config)
        self.resolve = Resolver()
        self.received = received or date.today()
        candidates = [p for p in paths if is_candidate(p)]
        self.todo = iter(candidates[min(HEAD_FILES, len(candidates) // 4):])  # the head: parsed by the caller
        self.window: dict[Path, tuple[Future, int]] = {}  # path → (its chunk's future, index in the chunk)
        self.chunks = 0  # chunks in the window with a file not taken yet
        self.depth = 2 * workers + 1
        self.broken = False
        # Archive copies are written by the side with time to spare. With one worker (two cores)
        # the worker is the busier side: the ingesting process writes them (measured: staging
        # them in the worker is no faster there). With more workers the ingesting process is the
        # floor, so the workers stage them and it only renames each into place.
        self.staging = staging_folder(ws) if workers >= STAGING_MIN_WORKERS else None
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=pool_context(),
                                        initializer=_start_worker, initargs=(ws.config, self.staging))
        self._fill()

    def _fill(self) -> None:
        while self.chunks < self.depth and not self.broken:
            paths = [p for p in (next(self.todo, None) for _ in range(CHUNK_FILES)) if p is not None]
            if not paths:
                return
            jobs = [(p, folder_unit(self.inbox, self.resolve(p), self.units)[0]) for p in paths]
            try:
                future = self.pool.submit(_parse_chunk, jobs, self.received)
            except Exception:  # the pool broke (a worker died): the remaining files are parsed here
                if not self.broken:
                    log.warning("后台解析进程不可用，改为逐个解析")
                self.broken = True
                return
            self.window.update((p, (future, n)) for n, p in enumerate(paths))
            self.chunks += 1

    def take(self, path: Path) -> Callable[[], Parsed | None]:
        """The file as a worker parses it, to be waited for when the ingesting process reaches
        it; None then when no worker has it (the head, a huge sheet, a failure)."""
        future, index = self.window.pop(path, (None, 0))
        if future is not None and not any(f is future for f, _ in self.window.values()):
            self.chunks -= 1  # the chunk's last file: room for the next chunk
            self._fill()

        def result() -> Parsed | None:
            try:
                return future.result()[index] if future else None
            except BrokenProcessPool:  # a worker died: every file still in the window fails alike
                if not self.broken:
                    log.warning("后台解析进程意外退出，其余文件改为逐个解析")
                self.broken = True
                return None
            except Exception as e:  # a worker could not send its result: parsed here instead
                log.warning("后台解析 %s 失败（%s），改为直接解析", path, type(e).__name__)
                return None

        return result

    def close(self) -> None:
        """Stop the workers; copies staged for files not taken (an error stopped the batch) go."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        for future in {id(f): f for f, _ in self.window.values()}.values():
            if future.done() and not future.cancelled() and future.exception() is None:
                for parsed in future.result():
                    discard(parsed.staged if parsed else None)
