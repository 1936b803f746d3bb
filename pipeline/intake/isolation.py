"""Reading a submitted file in a worker process with limits, so that no file can stop a batch.

A `Worker` is one `python -m pipeline.intake.worker` process (worker.py): a fresh interpreter
on every platform (no fork; on Windows, in a job object with a memory limit that dies with us),
capped at `[limits] max_worker_memory_mb` of address space, given `max_worker_seconds` of CPU
per file (and twice that plus 30 s of wall time, then it is killed), ending when its parent
ends. A worker that dies on a file — calamine aborts on an allocation it cannot make, a limit
is hit, anything — gives that file a verdict (`died`: file-too-large or unreadable-file) and
the next file a fresh worker. Idle workers are kept for the next file (`acquire` / `release`):
the watcher, `check` and the ingesting process pay the start (≈ 0.3 s) once, not per file.

`Reader` is what ingest and check call: the Submission of some bytes, read in a worker — or,
with `max_worker_memory_mb = 0` or where no worker can start (logged once), in this process.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

from pipeline.config import Config, Limits
from pipeline.intake import findings
from pipeline.intake.worker import MEMORY, STREAM, receive, send
from pipeline.model import Finding, Submission

log = logging.getLogger("sancha.isolation")

IDLE_KEPT = 2  # idle workers kept for the next file
_SIGXCPU, _SIGKILL, _SIGABRT, _SIGSEGV = 24, 9, 6, 11
_said: set[str] = set()  # what was logged once per process


def _once(key: str, message: str, *args: object) -> None:
    if key not in _said:
        _said.add(key)
        log.warning(message, *args)


class WorkerDied(Exception):
    """The worker ended while on a file; `cause` is memory, time or crash."""

    def __init__(self, cause: str, detail: str = ""):
        super().__init__(cause, detail)
        self.cause, self.detail = cause, detail


class Worker:
    """One parse worker process and the pipes to it; a thread reads its messages into a queue."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.memory_mb = limits.max_worker_memory_mb
        self.config: Config | None = None
        cmd = [sys.executable, "-m", "pipeline.intake.worker", str(os.getpid()), str(self.memory_mb)]
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        env = {**os.environ, "PYTHONIOENCODING": "utf-8", "RUST_BACKTRACE": "0"}  # a backtrace can hang out of memory
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     creationflags=flags, env=env)
        if sys.platform == "win32":
            self._job = _windows_job(self.memory_mb, self.proc)
        self.messages: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, name="sancha-worker-read", daemon=True).start()
        self.started: float | None = None  # when its current file began
        self.hello: dict | None = None

    def _read(self) -> None:
        assert self.proc.stdout is not None
        try:
            while True:
                message = receive(self.proc.stdout)
                if isinstance(message, tuple) and message[0] == "start":
                    self.started = time.monotonic()
                self.messages.put(message)
        except Exception:  # EOF (it ended) or a broken message: either way, nothing more comes
            self.messages.put(None)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def ready(self, timeout: float = 60.0) -> None:
        """Wait for its hello; log once what could not be limited here."""
        if self.hello is not None:
            return
        message = self._next(timeout, starting=True)
        if not (isinstance(message, tuple) and message[0] == "hello"):
            raise WorkerDied("crash", "no hello")
        self.hello = message[1]
        missing = [{"memory": "内存上限", "cpu": "CPU 时间上限", "parent": "随父进程退出"}[k]
                   for k, ok in message[1].items() if not ok and not (k == "parent" and sys.platform == "win32")]
        if missing:
            _once("limits", "本系统无法为读取进程设置%s；改由超时（%d 秒）保护", "、".join(missing),
                  int(self.wall_seconds))

    @property
    def wall_seconds(self) -> float:
        return 2 * self.limits.max_worker_seconds + 30

    def submit(self, task: tuple, config: Config) -> None:
        """Send a task (its CPU seconds appended); results come in order, one per task."""
        assert self.proc.stdin is not None
        if config is not self.config:
            send(self.proc.stdin, ("config", config))
            self.config = config
        self.started = time.monotonic()
        send(self.proc.stdin, (*task, self.limits.max_worker_seconds))

    def result(self) -> object:
        """The next task's result; WorkerDied when the worker ended or ran out of time first."""
        while True:
            message = self._next(self.wall_seconds)
            if message[0] == "done":
                self.started = None
                return message[1]
            if message[0] == "start":
                self.last_sha = message[1]

    def _next(self, timeout: float, starting: bool = False) -> tuple:
        while True:
            try:
                message = self.messages.get(timeout=1.0)
            except queue.Empty:
                began = self.started if not starting else None
                if began is not None and time.monotonic() - began > timeout:
                    self.kill()
                    raise WorkerDied("time") from None
                if starting and timeout <= 0:
                    raise WorkerDied("crash", "no hello") from None
                if starting:
                    timeout -= 1.0
                continue
            if message is None:
                raise WorkerDied(*self._cause())
            return message

    def _cause(self) -> tuple[str, str]:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            return "crash", "no exit"
        if code in (-_SIGXCPU, -_SIGKILL) or code == 0xC000012D:
            return ("time" if code == -_SIGXCPU else "memory"), str(code)
        if code in (-_SIGABRT, 3, 134, 0xC0000409, 0xC0000017):  # abort: calamine's failed allocation
            return "memory", str(code)
        return "crash", str(code)

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()


def _windows_job(memory_mb: int, proc: subprocess.Popen):
    from pipeline.osguard import WindowsJob

    try:
        job = WindowsJob(memory_mb)
        if job.assign(proc._handle):  # type: ignore[attr-defined]
            return job
    except OSError:
        pass
    _once("job", "无法为读取进程设置作业对象（内存上限、随父进程退出）；改由超时保护")
    return None


# -- the workers of this process -----------------------------------------------------------------

_idle: list[Worker] = []
_lock = threading.Lock()


def acquire(limits: Limits) -> Worker:
    """An idle worker with these limits, or a new one (its start is not waited for here)."""
    with _lock:
        while _idle:
            worker = _idle.pop()
            if worker.alive and worker.limits == limits:
                return worker
            worker.close()
    return Worker(limits)


def release(worker: Worker) -> None:
    """A worker done with its task: kept for the next one while it lives."""
    if not worker.alive or worker.started is not None:
        worker.kill()
        return
    with _lock:
        if len(_idle) < IDLE_KEPT:
            _idle.append(worker)
            return
    worker.close()


def prestart(limits: Limits) -> None:
    """Start a worker now, so that it is ready by the first file (a command's start-up)."""
    if limits.max_worker_memory_mb:
        try:
            release(acquire(limits))
        except OSError:
            pass


@atexit.register
def _close_all() -> None:
    with _lock:
        workers, _idle[:] = list(_idle), []
    for worker in workers:
        worker.close()


# -- what a death means for the file -----------------------------------------------------------

def died(name: str, cause: str, limits: Limits) -> Submission:
    """The verdict of a file its worker died on."""
    if cause == "memory":
        finding = findings.FILE_TOO_LARGE.at(form="memory", file=name, limit_mb=limits.max_worker_memory_mb)
    elif cause == "time":
        finding = findings.FILE_TOO_LARGE.at(form="time", file=name, seconds=limits.max_worker_seconds)
    else:
        finding = findings.UNREADABLE_FILE.at(form="crashed", file=name)
    return Submission(name, None, None, None, None, None, (), (finding,))


class Reader:
    """Reads submitted files for this process: in a worker with limits, or — `max_worker_memory_mb
    = 0`, `isolated=False`, or no worker can start — here."""

    def __init__(self, config: Config, isolated: bool | None = None):
        self.config = config
        self.isolated = bool(config.limits.max_worker_memory_mb) if isolated is None else isolated

    def parse(self, data: bytes, name: str, folder_unit: str | None, received: date) -> Submission | str:
        """The file's Submission, or STREAM (read fine in a worker; stream it here), or IN_PROCESS
        (no worker: read it here)."""
        if not self.isolated:
            return IN_PROCESS
        result = self._ask(("parse", data, name, folder_unit, received), name)
        if result is None:
            return IN_PROCESS if not self.isolated else _unreadable(name)
        return result  # type: ignore[return-value]

    def mark(self, original: Path, name: str, found: list[Finding]) -> bytes | None:
        """The rejected workbook with its bad cells marked (openpyxl reads the unit's file: a worker's job)."""
        if not self.isolated:
            from pipeline.output.receipts import marked_workbook

            return marked_workbook(original, name, found)
        result = self._ask(("mark", str(original), name, found), name, quiet=True)
        return result if isinstance(result, bytes) else None

    def _ask(self, task: tuple, name: str, quiet: bool = False) -> object:
        limits = self.config.limits
        try:
            worker = acquire(limits)
            worker.ready()
        except (OSError, WorkerDied) as e:
            _once("start", "无法启动读取进程（%s），改为在本进程中读取文件（没有内存和时间上限）", e)
            self.isolated = False
            return None
        try:
            worker.submit(task, self.config)
            result = worker.result()
        except WorkerDied as e:
            if not quiet:
                log.warning("读取 %s 时读取进程退出（%s %s），判为%s", name, e.cause, e.detail,
                            "文件过大" if e.cause != "crash" else "无法读取")
            worker.kill()
            return None if quiet else died(name, e.cause, limits)
        except OSError:  # the pipe broke: it died between two files
            worker.kill()
            return self._ask(task, name, quiet)
        release(worker)
        if result == MEMORY:
            return None if quiet else died(name, "memory", limits)
        if result is None and not quiet:
            return _unreadable(name)
        return result


IN_PROCESS = "in-process"


def _unreadable(name: str) -> Submission:
    finding = findings.UNREADABLE_FILE.at(file=name)
    return Submission(name, None, None, None, None, None, (), (finding,))


__all__ = ["IN_PROCESS", "STREAM", "Reader", "Worker", "WorkerDied", "acquire", "died", "prestart", "release"]
