"""The folder watcher (`sancha watch`): every file dropped in inbox/ is processed once, whole.

    observer thread ── paths ──▶ queue ──▶ worker: wait until complete → Ingestor.ingest → receipt
    main thread: supervisor (observer alive? inbox still the same folder?), periodic rescan, signals

The observer (watchdog: native events, or polling for SMB/NFS shares, which send none) only puts
paths on a queue; an exception in an event handler would silently kill it. One worker does all
the work: it waits until a file is complete (size and mtime unchanged for `settle_seconds`, the
file opens, an xlsx is a whole zip), then hands it to the Ingestor, whose journal makes every
file count exactly once across crashes and beside `sancha ingest` / `sancha weekly`. A periodic
full rescan catches whatever events missed; the supervisor rebuilds an observer that died or
that watches a folder which is no longer the inbox (a share that went away and came back).

sancha.toml is reread when it changes (`ConfigReloader`, checked by the worker between files):
a unit added while the watcher runs is known to its first file. An edit that does not parse is
logged once, in Chinese, and the last good configuration stays in use. A changed [watch] takes
effect too (`Watcher.use_settings`): the timings at once, a change of polling or interval by
rebuilding the observer; options given on the command line keep overriding it.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import stat
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from logging.handlers import RotatingFileHandler
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from pipeline.config import ConfigError, WatchSettings
from pipeline.intake.isolation import prestart
from pipeline.ledger.inbox import is_candidate, is_link, waiting_files
from pipeline.ledger.ingest import FileResult, Ingestor
from pipeline.ledger.ledger import Ledger
from pipeline.osguard import held_for_writing
from pipeline.workspace import Workspace

log = logging.getLogger("sancha.watch")

LOG_NAME = "sancha.log"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Workbook formats that are zip containers: complete only once the central directory is written.
ZIP_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm", ".ods"})

# Queue markers: scan the whole inbox. After a start, a rebuild or a new folder, finding files is
# expected; a periodic scan that finds files no event reported means the observer went silent.
_RESCAN = object()
_PERIODIC_RESCAN = object()
STOP_GRACE_SECONDS = 5.0  # how long a stop waits for the file in hand before abandoning it


def looks_complete(path: Path) -> bool:
    """Whether a file that stopped changing can be read whole.

    It must open for reading (a copy in progress may be locked on Windows) and not be empty; a
    zip workbook must have a readable central directory, which copiers write last. Content that
    is not a zip at all (an encrypted workbook, a renamed CSV) is as complete as it will get:
    ingest gives its verdict.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
            if not head:
                return False
            if path.suffix.lower() in ZIP_SUFFIXES and head.startswith(b"PK"):
                fh.seek(0)
                try:
                    with zipfile.ZipFile(fh) as zf:
                        zf.infolist()
                except (zipfile.BadZipFile, EOFError):
                    return False
    except OSError:
        return False
    return True


@dataclass
class _Pending:
    """A file the worker is waiting on: its last seen (size, mtime) and when that last changed."""

    signature: tuple[int, int]
    changed_at: float
    since: float


class _Enqueue(FileSystemEventHandler):
    """Runs in the observer thread: only records the event and queues the path."""

    def __init__(self, watcher: Watcher):
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        try:
            self.watcher._on_event(event)
        except Exception:  # never let an exception reach watchdog: it would kill the observer
            log.exception("处理文件事件时出错：%r", event)


SETTINGS_CHANGED = "监视设置已更改"


class ConfigReloader:
    """sancha.toml reread when its modification time or size changed: `check()` is True when a
    new, valid configuration is now the workspace's; a broken one is logged once and ignored."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self._stamp = self._stat()
        self._refused: tuple[int, int] | None = None

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.ws.config_path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def check(self) -> bool:
        stamp = self._stat()
        if stamp is None or stamp == self._stamp or stamp == self._refused:
            return False  # unchanged, or being replaced (no file for a moment), or already refused
        try:
            config = self.ws.read_config()
        except (ConfigError, OSError) as e:
            self._refused = stamp
            log.error("sancha.toml 修改后无法使用，继续使用上次的配置：%s", e)
            return False
        self._stamp, self._refused = stamp, None
        self.ws.use_config(config)
        log.info("已重新读取 sancha.toml：%d 个单位", len(config.unit_names))
        return True


class Watcher:
    """Watches one workspace's inbox and hands each complete file to `process` exactly once.

    `process(path)` returns a FileResult, or None when it did not process the file (not a
    submission, gone, locked); `recover()` finishes what a crash left half-answered. Both are
    only ever called from the worker thread. `run()` blocks until `stop_event` is set.
    """

    def __init__(self, ws: Workspace, settings: WatchSettings, process: Callable[[Path], FileResult | None], *,
                 recover: Callable[[], list[FileResult]] | None = None,
                 on_result: Callable[[FileResult], None] | None = None,
                 stop_event: threading.Event | None = None, give_up_seconds: float | None = None,
                 refresh: Callable[[], None] | None = None):
        self.ws = ws
        self.refresh = refresh  # called by the worker between files (the configuration reread)
        self.inbox = ws.inbox
        self.settings = settings
        self.process = process
        self.recover = recover
        self.on_result = on_result
        self.stop_event = stop_event or threading.Event()
        # A file that stopped changing but is still not a whole workbook (an aborted copy, a stalled
        # share) is waited for this long, then ingest rejects it with a receipt.
        self._give_up_given = give_up_seconds
        self._timings(settings)
        self.queue: queue.Queue = queue.Queue()
        self.observer: BaseObserver | None = None
        self.processed = 0
        self.errors = 0
        self.rebuilds = 0
        self._pending: dict[Path, _Pending] = {}
        self._seen: set[Path] = set()  # paths events or scans reported, for spotting a silent observer
        self._inbox_identity: tuple[int, int] | None = None
        self._inbox_missing = False
        self._observer_lost = threading.Event()
        self._new_settings = threading.Event()  # polling or interval changed: a new observer
        self._worker: threading.Thread | None = None
        self._busy_with: Path | None = None

    # -- the observer thread --------------------------------------------------------------
    def _on_event(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        if event.is_directory:
            src = Path(os.fsdecode(event.src_path))
            if kind in ("deleted", "moved") and src == self.inbox:
                self._observer_lost.set()
            elif kind in ("created", "moved"):
                self.queue.put(_RESCAN)  # a folder moved in brings files no event will name
            return
        if kind == "moved":
            self.queue.put(Path(os.fsdecode(event.dest_path)))
        elif kind in ("created", "modified", "closed"):
            self.queue.put(Path(os.fsdecode(event.src_path)))

    # -- the worker thread ----------------------------------------------------------------
    def _wanted(self, path: Path) -> bool:
        try:
            rel = path.relative_to(self.inbox)
        except ValueError:
            return False
        return not any(part.startswith(".") for part in rel.parts) and is_candidate(path)

    def _add(self, path: Path, now: float) -> None:
        if path in self._pending or not self._wanted(path):
            return
        try:
            st = os.lstat(path)  # a link is never followed: ingest answers it as a link
        except OSError:
            return  # gone already (processed, renamed away by an editor)
        if not (stat.S_ISREG(st.st_mode) or is_link(path, st)):
            return
        self._pending[path] = _Pending((st.st_size, st.st_mtime_ns), now, now)

    def _rescan(self, count_missed: bool) -> None:
        """Queue every waiting file. With `count_missed`, a file that arrived a while ago and that
        no event and no earlier scan reported means the observer went silent: rebuild it."""
        now, wall = time.monotonic(), time.time()
        grace = 2 * self.settings.interval + self.settings.settle_seconds + 1
        found = waiting_files(self.ws)
        missed = []
        for path in found:
            if count_missed and path not in self._seen:
                try:
                    if path.stat().st_ctime < wall - grace:
                        missed.append(path.name)
                except OSError:
                    continue
            self._add(path, now)
        self._seen = set(found)
        if missed:
            log.warning("全量扫描发现 %d 个没有收到事件的文件（%s 等）", len(missed), missed[0])
            self._observer_lost.set()

    def _drain(self, timeout: float) -> None:
        """Move queued paths into the pending set (deduplicating repeated events)."""
        try:
            item = self.queue.get(timeout=timeout)
        except queue.Empty:
            return
        rescans = []
        while True:
            now = time.monotonic()
            if item is _RESCAN or item is _PERIODIC_RESCAN:
                rescans.append(item)
            else:
                self._seen.add(item)
                self._add(item, now)
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
        if rescans:
            self._rescan(count_missed=_PERIODIC_RESCAN in rescans)

    def _ready(self, now: float) -> list[Path]:
        """Pending files that are complete, oldest first; forgets files that went away."""
        ready = []
        for path, p in list(self._pending.items()):
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                del self._pending[path]
                continue
            except OSError:
                continue  # a share hiccup: ask again next tick
            signature = (st.st_size, st.st_mtime_ns)
            if signature != p.signature:
                p.signature, p.changed_at = signature, now
                continue
            if now - p.changed_at < self.settings.settle_seconds:
                continue
            if held_for_writing(path):
                continue  # a writer still has it open (a copy paused longer than settle_seconds)
            if is_link(path, st) or looks_complete(path):
                ready.append((p.since, path))
            elif now - p.changed_at >= self.give_up_seconds:
                log.warning("%s 已 %.0f 秒没有变化但仍不完整，交给入帐程序判定", path.name, now - p.changed_at)
                ready.append((p.since, path))
        return [path for _, path in sorted(ready)]

    def _handle(self, path: Path) -> None:
        self._pending.pop(path, None)
        self._busy_with = path
        try:
            result = self.process(path)
        except Exception:
            self.errors += 1
            log.exception("处理 %s 时出错；文件留在收件箱，下次全量扫描时重试", path.name)
            return
        finally:
            self._busy_with = None
        if result is not None:
            self.processed += 1
            self._report(result)

    def _report(self, result: FileResult) -> None:
        if self.on_result is None:
            return
        try:
            self.on_result(result)
        except Exception:
            log.exception("on_result 回调出错")

    def _work(self) -> None:
        if self.recover is not None:
            try:
                for result in self.recover():
                    self.processed += 1
                    self._report(result)
            except Exception:
                self.errors += 1
                log.exception("恢复上次中断的文件时出错；下次启动时重试")
        while not self.stop_event.is_set():
            try:
                if self.refresh is not None:
                    self.refresh()
                self._drain(self.tick)
                for path in self._ready(time.monotonic()):
                    if self.stop_event.is_set():
                        break
                    self._handle(path)
            except Exception:  # a bug here must not stop the watcher; the rescan retries
                self.errors += 1
                log.exception("监视程序工作线程出错，继续运行")
                self.stop_event.wait(self.tick)

    # -- the supervisor (main thread) -----------------------------------------------------
    def _identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.inbox)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def _observer_problem(self) -> str | None:
        """Why the observer cannot be trusted any more, or None while it is fine."""
        obs = self.observer
        if obs is None:
            return "没有监视器"
        if not obs.is_alive() or not obs.emitters or not all(e.is_alive() for e in obs.emitters):
            return "监视线程已退出"
        if self._new_settings.is_set():
            return SETTINGS_CHANGED
        if self._observer_lost.is_set():
            return "收件箱被删除、移走，或有文件没有收到事件"
        if self._identity() != self._inbox_identity:
            return "收件箱已不是原来的文件夹（共享盘断开后重新挂载？）"
        return None

    def _stop_observer(self) -> None:
        obs, self.observer = self.observer, None
        if obs is None:
            return
        try:
            obs.stop()
            obs.join(timeout=2)  # a hung share may keep it blocked: leave it behind (daemon thread)
        except Exception:
            log.debug("停止监视器时出错", exc_info=True)

    def _start_observer(self) -> bool:
        identity = self._identity()
        if identity is None:
            return False  # the inbox is gone (share unmounted): wait for it to come back
        polling = self.settings.polling
        for attempt_polling in ((polling,) if polling else (False, True)):
            obs = PollingObserver(timeout=self.settings.interval) if attempt_polling else Observer()
            obs.daemon = True
            try:
                obs.schedule(_Enqueue(self), str(self.inbox), recursive=True)
                obs.start()
            except OSError as e:
                log.warning("无法启动%s监视器：%s", "轮询" if attempt_polling else "系统事件", e)
                continue
            self.observer = obs
            self._inbox_identity = identity
            self._observer_lost.clear()
            self._new_settings.clear()
            if attempt_polling and not polling:
                log.warning("已改用轮询方式监视 %s", self.inbox)
            return True
        return False

    def _supervise(self) -> None:
        problem = self._observer_problem()
        if problem is None:
            return
        if self.observer is not None:
            if problem == SETTINGS_CHANGED:
                log.info("按新的监视设置重新启动监视器")
            else:
                log.warning("监视器失效：%s；正在重建", problem)
                self.rebuilds += 1
            self._stop_observer()
        if self._start_observer():
            if self._inbox_missing or self.rebuilds:
                log.info("监视器已重建，继续监视 %s", self.inbox)
            self._inbox_missing = False
            self.queue.put(_RESCAN)  # whatever arrived while nobody was watching
        elif not self._inbox_missing:
            self._inbox_missing = True
            log.warning("收件箱 %s 暂时不可用，等待恢复", self.inbox)

    def _ensure_worker(self) -> None:
        if self._worker is not None and self._worker.is_alive():
            return
        if self._worker is not None:
            log.error("工作线程意外退出，已重新启动")
        self._worker = threading.Thread(target=self._work, name="sancha-watch-worker", daemon=True)
        self._worker.start()

    def _timings(self, settings: WatchSettings) -> None:
        self.give_up_seconds = (self._give_up_given if self._give_up_given is not None
                                else max(300.0, 60 * settings.settle_seconds))
        self.tick = max(0.05, min(settings.settle_seconds / 3, settings.interval, 0.5))

    def use_settings(self, settings: WatchSettings) -> None:
        """[watch] changed while watching: settle and rescan times apply from now on; a change
        of polling or interval rebuilds the observer at the supervisor's next round."""
        old, self.settings = self.settings, settings
        if settings == old:
            return
        self._timings(settings)
        if (old.polling, old.interval) != (settings.polling, settings.interval):
            self._new_settings.set()
        log.info("监视设置已更新：%s，间隔 %.1f 秒，文件稳定 %.1f 秒后处理，全量扫描每 %.0f 秒",
                 "轮询" if settings.polling else "系统事件", settings.interval, settings.settle_seconds,
                 settings.rescan_seconds)

    def run(self) -> None:
        """Watch until `stop_event` is set; then stop within a few seconds."""
        mode = "轮询" if self.settings.polling else "系统事件"
        log.info("开始监视 %s（%s，间隔 %.1f 秒，全量扫描每 %.0f 秒）", self.inbox, mode, self.settings.interval,
                 self.settings.rescan_seconds)
        self._supervise()
        self.queue.put(_RESCAN)  # files waiting before we started
        next_rescan = time.monotonic() + self.settings.rescan_seconds
        try:
            self._ensure_worker()
            while not self.stop_event.wait(self.settings.interval):
                self._supervise()
                self._ensure_worker()
                if time.monotonic() >= next_rescan:
                    self.queue.put(_PERIODIC_RESCAN)
                    next_rescan = time.monotonic() + self.settings.rescan_seconds
        finally:
            self.stop_event.set()
            self._stop_observer()
            self._join_worker()

    def _join_worker(self) -> None:
        worker = self._worker
        if worker is None:
            return
        worker.join(timeout=STOP_GRACE_SECONDS)
        if worker.is_alive():
            in_hand = self._busy_with.name if self._busy_with else "-"
            log.warning("停止时仍在处理 %s：放弃本次处理，下次启动时重新处理或补发回执", in_hand)
        else:
            log.info("监视已停止：处理 %d 个文件，出错 %d 次", self.processed, self.errors)

    @property
    def stopped_cleanly(self) -> bool:
        return self._worker is None or not self._worker.is_alive()


@contextmanager
def stop_on_signals(stop_event: threading.Event) -> Iterator[None]:
    """SIGINT (Ctrl-C), SIGTERM and, on Windows, SIGBREAK set `stop_event` instead of killing;
    a second Ctrl-C while stopping interrupts at once.

    Only the main thread may install handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if stop_event.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop_event.set()

    previous = {}
    for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
        signum = getattr(signal, name, None)
        if signum is not None:
            previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def configure_logging(ws: Workspace, *, stderr: bool = True) -> Callable[[], None]:
    """Send the `sancha` loggers to data/logs/sancha.log (rotating, UTF-8) and stderr.

    Returns a function that removes the handlers again.
    """
    ws.logs.mkdir(parents=True, exist_ok=True)
    formatter = logging.Formatter(LOG_FORMAT)
    handlers: list[logging.Handler] = [
        RotatingFileHandler(ws.logs / LOG_NAME, maxBytes=5 * 1024 * 1024, backupCount=5, encoding="utf-8",
                            errors="backslashreplace"),  # a file name that is not UTF-8 is logged, not lost
    ]
    if stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    logger = logging.getLogger("sancha")
    previous_level = logger.level
    logger.setLevel(logging.INFO)
    for h in handlers:
        h.setFormatter(formatter)
        logger.addHandler(h)

    def remove() -> None:
        for h in handlers:
            logger.removeHandler(h)
            h.close()
        logger.setLevel(previous_level)

    return remove


def watch(ws: Workspace, *, polling: bool | None = None, interval: float | None = None,
          stop_event: threading.Event | None = None,
          on_result: Callable[[FileResult], None] | None = None) -> Watcher:
    """Watch the workspace's inbox until stopped (`stop_event`, SIGINT, SIGTERM).

    `polling` and `interval` override `[watch]` in sancha.toml. Each file is received on the day
    it is processed. Returns the stopped watcher (its counters say what happened).
    """
    def settings_now() -> WatchSettings:  # [watch], with the command line's options over it
        settings = ws.config.watch
        if polling is not None:
            settings = replace(settings, polling=polling)
        if interval is not None:
            settings = replace(settings, interval=interval)
        return settings

    ws.ensure()
    prestart(ws.config.limits)  # the parse worker is kept between drops: started once, now
    ledger = Ledger.open(ws.db_path)
    ingestors = [Ingestor(ws, ledger)]  # the current one last: made anew when sancha.toml changes
    reloader = ConfigReloader(ws)

    def refresh() -> None:
        if reloader.check():
            ingestors[-1].close()
            ingestors.append(Ingestor(ws, ledger))
            watcher.use_settings(settings_now())

    watcher = Watcher(ws, settings_now(), lambda path: ingestors[-1].ingest(path, date.today()),
                      recover=ingestors[-1].recover, on_result=on_result, stop_event=stop_event, refresh=refresh)
    with stop_on_signals(watcher.stop_event):
        watcher.run()
    if watcher.stopped_cleanly:  # else the worker still holds the connection; exiting rolls it back
        ingestors[-1].close()
        ledger.close()
    return watcher
